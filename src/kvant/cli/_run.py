"""``kvant run``: simulate an OpenQASM file and print the counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from kvant.cli._output import console, print_json
from kvant.errors import ConfigError
from kvant.sim import ENGINE_NAMES


def run(
    file: Path = typer.Argument(..., help="OpenQASM 2 or 3 file to simulate."),
    shots: int = typer.Option(1024, "--shots", "-s", help="Number of shots to sample."),
    seed: int | None = typer.Option(None, "--seed", help="Seed for reproducible sampling."),
    engine: str = typer.Option("auto", "--engine", help=f"One of: {', '.join(ENGINE_NAMES)}."),
    precision: str = typer.Option(
        "complex128", "--precision", help="complex128 (default) or complex64."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    device: str | None = typer.Option(
        None,
        "--device",
        help="Run on an emulated device with its noise: a preset (kvant-50, line-N, grid-RxC, "
        "heavy-hex-D) or a calibration file. The circuit is mapped (layout, SWAPs, rz/sx/x/cz).",
    ),
) -> None:
    """Simulate FILE and print measurement counts (bitstrings show qubit 0 rightmost)."""
    from kvant.circuit import load_qasm
    from kvant.sim import make_engine

    if shots < 1:
        raise ConfigError(f"--shots must be >= 1, got {shots}")
    circuit = load_qasm(file)
    if circuit.num_clbits == 0:
        circuit = circuit.copy().measure_all()
    if device is not None:
        _run_on_device(file, circuit, device, shots, seed, engine, precision, as_json)
        return
    simulator = make_engine(engine, dtype=precision, circuit=circuit)
    result = simulator.run(circuit, shots=shots, seed=seed)
    ordered = sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if as_json:
        print_json(
            {
                "file": str(file),
                "num_qubits": circuit.num_qubits,
                "num_clbits": circuit.num_clbits,
                "shots": shots,
                "seed": seed,
                "engine": simulator.name,
                "precision": precision,
                "counts": dict(ordered),
            }
        )
        return
    console.print(
        f"[bold]{file.name}[/]: {circuit.num_qubits} qubits, {shots} shots, "
        f"engine {simulator.name} ({precision}); classical bit 0 is rightmost"
    )
    table = Table()
    table.add_column("outcome", style="bold", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("frequency", justify="right")
    for bits, count in ordered:
        table.add_row(bits, str(count), f"{count / shots:.4f}")
    console.print(table)


def _run_on_device(
    file: Path,
    circuit: Any,
    device: str,
    shots: int,
    seed: int | None,
    engine: str,
    precision: str,
    as_json: bool,
) -> None:
    from kvant.device import run_on_device

    spec: str | Path = Path(device) if Path(device).is_file() else device
    run = run_on_device(circuit, spec, shots=shots, seed=seed, engine=engine, dtype=precision)
    summary = run.transpiled.summary()
    ordered = sorted(run.result.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if as_json:
        print_json(
            {
                "file": str(file),
                "num_qubits": circuit.num_qubits,
                "num_clbits": circuit.num_clbits,
                "shots": shots,
                "seed": seed,
                "engine": run.engine,
                "device": summary["device"],
                "transpiled": summary,
                "duration_ns": run.duration_ns,
                "noise_channels": run.program.count_channels(),
                "counts": dict(ordered),
            }
        )
        return
    console.print(
        f"[bold]{file.name}[/] on [bold]{summary['device']}[/]: {circuit.num_qubits} qubits on "
        f"device qubits {summary['initial_layout']}, {summary['cz_gates']} CZ, "
        f"{summary['added_swaps']} added SWAPs, depth {summary['depth']}, "
        f"{run.duration_ns / 1000:.2f} us; {shots} shots, engine {run.engine}; "
        "classical bit 0 is rightmost"
    )
    table = Table()
    table.add_column("outcome", style="bold", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("frequency", justify="right")
    for bits, count in ordered:
        table.add_row(bits, str(count), f"{count / shots:.4f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``run`` to the application."""
    app.command("run")(run)
