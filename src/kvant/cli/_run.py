"""``kvant run``: simulate an OpenQASM file and print the counts."""

from __future__ import annotations

from pathlib import Path

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
) -> None:
    """Simulate FILE and print measurement counts (bitstrings show qubit 0 rightmost)."""
    from kvant.circuit import load_qasm
    from kvant.sim import make_engine

    if shots < 1:
        raise ConfigError(f"--shots must be >= 1, got {shots}")
    circuit = load_qasm(file)
    if circuit.num_clbits == 0:
        circuit = circuit.copy().measure_all()
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


def register(app: typer.Typer) -> None:
    """Add ``run`` to the application."""
    app.command("run")(run)
