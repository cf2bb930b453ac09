"""``kvant device show`` and ``kvant device list``: emulated devices and their calibrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table

from kvant.cli._output import console, print_json

device_app = typer.Typer(
    name="device",
    help="Emulated devices: coupling maps, calibrations, noise.",
    no_args_is_help=True,
)

#: Figures shown, with their unit and whether larger is worse.
_FIGURES = (
    ("t1_us", "us", False),
    ("t2_us", "us", False),
    ("gate_error_1q", "", True),
    ("readout_error", "", True),
    ("p_meas1_prep0", "", True),
    ("p_meas0_prep1", "", True),
    ("gate_duration_1q_ns", "ns", False),
    ("readout_duration_ns", "ns", False),
)


def _worst(calibration: Any, count: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for figure in ("t1_us", "t2_us", "gate_error_1q", "readout_error"):
        values = calibration.qubit_figure(figure)
        out[figure] = [
            {"qubit": q, "value": float(values[q])} for q in calibration.worst_qubits(figure, count)
        ]
    errors = calibration.coupler_figure("gate_error_2q") if calibration.couplers else np.zeros(0)
    order = np.argsort(-errors, kind="stable")[:count]
    out["gate_error_2q"] = [
        {"qubits": list(calibration.couplers[i].qubits), "value": float(errors[i])} for i in order
    ]
    return out


def _ascii_map(calibration: Any, flagged: set[int]) -> list[str] | None:
    """The coupling map drawn with characters, if the qubits sit on integer grid points."""
    xy = np.asarray(calibration.topology.positions)
    if not np.allclose(xy, np.round(xy)) or len(xy) > 400:
        return None
    xs, ys = np.round(xy[:, 0]).astype(int), np.round(xy[:, 1]).astype(int)
    x0, y1 = xs.min(), ys.max()
    width, height = (xs.max() - x0) * 5 + 4, (y1 - ys.min()) * 2 + 1
    grid = [[" "] * width for _ in range(height)]
    cells: dict[tuple[int, int], str] = {}
    for q in range(calibration.num_qubits):
        row, col = (y1 - ys[q]) * 2, (xs[q] - x0) * 5
        colour = "red" if q in flagged else "green"
        cells[(row, col)] = f"[{colour}]{q:>3}[/]"
        for i in range(3):
            grid[row][col + i] = ""
    for a, b in calibration.topology.couplers:
        (ra, ca), (rb, cb) = (
            ((y1 - ys[a]) * 2, (xs[a] - x0) * 5),
            ((y1 - ys[b]) * 2, (xs[b] - x0) * 5),
        )
        if ra == rb and abs(ca - cb) == 5:
            for i in range(min(ca, cb) + 3, max(ca, cb)):
                grid[ra][i] = "─"
        elif ca == cb and abs(ra - rb) == 2:
            grid[min(ra, rb) + 1][ca + 2] = "│"
        else:
            return None
    lines = []
    for r, row in enumerate(grid):
        text = ""
        for c, char in enumerate(row):
            text += cells.get((r, c), char)
        lines.append(text.rstrip())
    return lines


def show(
    device: str = typer.Argument(
        "kvant-50",
        help="Preset (kvant-50, line-N, grid-RxC, heavy-hex-D) or a calibration file "
        "(Kvant JSON, Qiskit props_*.json, Cirq calibration JSON).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    png: Path | None = typer.Option(None, "--png", help="Also draw the coupling map to this PNG."),
    figure: str = typer.Option(
        "t1_us", "--figure", help="Qubit figure that colours the PNG (t1_us, readout_error...)."
    ),
    worst: int = typer.Option(3, "--worst", help="How many worst qubits and couplers to list."),
) -> None:
    """Show a device: medians of its calibration, its worst qubits and couplers, and its map."""
    from kvant.device import load_device
    from kvant.errors import ConfigError

    if worst < 1:
        raise ConfigError(f"--worst must be >= 1, got {worst}")
    calibration = load_device(Path(device) if Path(device).is_file() else device)
    medians = calibration.medians()
    worst_lists = _worst(calibration, worst)
    written = None
    if png is not None:
        from kvant.report import plot_coupling_map

        log = figure not in ("t1_us", "t2_us") and "duration" not in figure
        written = plot_coupling_map(
            calibration,
            png,
            qubit_values=figure,
            coupler_values="gate_error_2q" if calibration.couplers else None,
            log_scale=log,
        )
    if as_json:
        print_json(
            {
                "name": calibration.name,
                "num_qubits": calibration.num_qubits,
                "num_couplers": len(calibration.couplers),
                "source": calibration.source,
                "date": calibration.date,
                "notes": list(calibration.notes),
                "medians": medians,
                "worst": worst_lists,
                "png": None if written is None else str(written),
                "calibration": calibration.to_dict(),
            }
        )
        return
    console.print(
        f"[bold]{calibration.name}[/]: {calibration.num_qubits} qubits, "
        f"{len(calibration.couplers)} CZ couplers; native gates rz, sx, x, cz"
    )
    console.print(
        f"source: {calibration.source}" + (f" ({calibration.date})" if calibration.date else "")
    )
    table = Table(title="calibration")
    for column in ("figure", "median", "min", "max"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    rows = [(f, u, calibration.qubit_figure(f)) for f, u, _ in _FIGURES]
    if calibration.couplers:
        rows += [
            ("gate_error_2q (cz)", "", calibration.coupler_figure("gate_error_2q")),
            ("gate_duration_2q_ns", "ns", calibration.coupler_figure("gate_duration_2q_ns")),
        ]
    for name, unit, values in rows:
        cells = [
            f"{v:.4g}" + (f" {unit}" if unit else "")
            for v in (np.median(values), values.min(), values.max())
        ]
        table.add_row(name, *cells)
    console.print(table)
    bad = Table(title=f"worst {worst}")
    bad.add_column("figure")
    bad.add_column("qubits (value)")
    for name, entries in worst_lists.items():
        key = "qubits" if name == "gate_error_2q" else "qubit"
        bad.add_row(name, ", ".join(f"{e[key]} ({e['value']:.3g})" for e in entries))
    console.print(bad)
    flagged = {
        e["qubit"]
        for name, entries in worst_lists.items()
        if name != "gate_error_2q"
        for e in entries
    }
    lines = _ascii_map(calibration, flagged)
    if lines is not None:
        console.print("coupling map ([red]red[/]: among the worst qubits above)")
        for line in lines:
            console.print(line, highlight=False)
    else:
        couplers = " ".join(f"{a}-{b}" for a, b in calibration.topology.couplers)
        console.print(f"couplers: {couplers}", highlight=False)
    for note in calibration.notes:
        console.print(f"note: {note}", highlight=False)
    if written is not None:
        console.print(f"map written to {written}")


def list_devices(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the preset devices."""
    from kvant.device import PUBLISHED_MEDIANS, preset_names

    descriptions = {
        "kvant-50": "50 qubits, 5 x 10 square lattice, CZ couplers; the reference device",
        "line-N": "N qubits on a line",
        "grid-RxC": "R x C square lattice",
        "heavy-hex-D": "IBM heavy-hex lattice of odd code distance D ((5D^2-2D-1)/2 qubits)",
    }
    if as_json:
        print_json({"presets": descriptions, "medians": dict(PUBLISHED_MEDIANS)})
        return
    table = Table(title="preset devices (calibrated around published medians)")
    table.add_column("name", style="bold")
    table.add_column("layout")
    for name in preset_names():
        table.add_row(name, descriptions[name])
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``device show`` and ``device list`` to the application."""
    device_app.command("show")(show)
    device_app.command("list")(list_devices)
    app.add_typer(device_app, name="device")
