"""``kvant bench datasheet`` and ``kvant bench analyse``: measure a device, publish a datasheet."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kvant.cli._output import console, err_console, print_json

bench_app = typer.Typer(
    name="bench",
    help="Characterisation: measure T1, T2, readout, RB, QV, XEB and publish a datasheet.",
    no_args_is_help=True,
)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        return f"{value:.3e}"
    return f"{value:.4g}"


def _summary_table(sheet: Any, title: str) -> Table:
    from kvant.bench import SUMMARY_METRICS

    summary = sheet.summary()
    table = Table(title=title)
    for column in ("metric", "median", "16-84 %", "unit", "trusted"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    injected = bool(sheet.injected)
    if injected:
        table.add_column("injected median", justify="right")
    for name, label in SUMMARY_METRICS:
        if name not in summary:
            continue
        s = summary[name]
        row = [
            label,
            _fmt(s["median"]),
            f"{_fmt(s['p16'])} - {_fmt(s['p84'])}",
            s["unit"],
            f"{s['good']}/{s['count']}",
        ]
        if injected:
            values = sorted(v for _, v in sheet.injected.get(name, ()))
            row.append(_fmt(values[len(values) // 2]) if values else "")
        table.add_row(*row)
    return table


def _summary_json(sheet: Any, paths: dict[str, Path]) -> dict[str, Any]:
    return {
        "device": sheet.device.name,
        "schema": sheet.to_dict()["schema"],
        "summary": sheet.summary(),
        "qv": [r.to_dict() for r in sheet.qv],
        "bad_fits": sum(not m.good for m in sheet.metrics),
        "timings_s": dict(sheet.timings_s),
        "files": {k: str(v) for k, v in paths.items()},
    }


def _measure(device: Any, config: Any, show_progress: bool, out_console: Console) -> Any:
    from kvant.bench import STAGES, measure_device

    if not show_progress:
        return measure_device(device, config)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out_console, transient=True) as bar:
        task = bar.add_task(f"measuring: {STAGES[0]}", total=len(STAGES))

        def advance(stage: str, done: int, total: int) -> None:
            following = STAGES[done] if done < total else "analysis"
            bar.update(task, completed=done, description=f"measuring: {following}")

        return measure_device(device, config, progress=advance)


def datasheet(
    device: str = typer.Option(
        "kvant-50", "--device", help="Preset (kvant-50, line-N, grid-RxC) or calibration file."
    ),
    out: Path = typer.Option(Path("datasheet"), "--out", help="Directory for the outputs."),
    quick: bool = typer.Option(
        False, "--quick", help="Reduced suite: 3 qubits, 2 couplers, QV widths 2-3 (seconds)."
    ),
    seed: int = typer.Option(2026, "--seed", help="Seed of every random choice and shot."),
    max_qv_width: int = typer.Option(8, "--max-qv-width", help="Largest QV width tried."),
    counts: bool = typer.Option(
        True, "--counts/--no-counts", help="Also write the raw counts (counts.json)."
    ),
    maps: bool = typer.Option(True, "--maps/--no-maps", help="Draw device maps (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Measure an emulated device with the full suite; write datasheet.json and .html."""
    from kvant.bench import SuiteConfig, counts_document
    from kvant.device import load_device
    from kvant.report import write_datasheet

    calibration = load_device(Path(device) if Path(device).is_file() else device)
    config = (
        SuiteConfig.reduced(seed=seed)
        if quick
        else SuiteConfig(seed=seed, qv_max_width=max_qv_width)
    )
    sheet, records = _measure(calibration, config, not as_json, err_console)
    paths = write_datasheet(sheet, out, maps=maps)
    if counts:
        target = out / "counts.json"
        try:
            target.write_text(json.dumps(counts_document(sheet.device, records)) + "\n")
        except OSError as exc:
            from kvant.errors import KvantIOError

            raise KvantIOError(f"cannot write {target}: {exc.strerror}") from exc
        paths["counts"] = target
    if as_json:
        print_json(_summary_json(sheet, paths))
        return
    console.print(_summary_table(sheet, f"Datasheet of {sheet.device.name} (measured)"))
    for key, path in paths.items():
        console.print(f"wrote {key}: [bold]{path}[/]")


def analyse(
    counts_file: Path = typer.Argument(..., help="Counts JSON (schema kvant.bench.counts/1)."),
    out: Path = typer.Option(Path("datasheet"), "--out", help="Directory for the outputs."),
    maps: bool = typer.Option(True, "--maps/--no-maps", help="Draw device maps (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Analyse counts measured elsewhere (documented in docs/bench.md); write the datasheet."""
    from datetime import UTC, datetime

    from kvant.bench import analyse_counts, load_counts
    from kvant.report import write_datasheet

    device, records = load_counts(counts_file)
    sheet = analyse_counts(
        records,
        device,
        source=f"counts file {counts_file.name}",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    paths = write_datasheet(sheet, out, maps=maps)
    if as_json:
        print_json(_summary_json(sheet, paths))
        return
    console.print(_summary_table(sheet, f"Datasheet of {sheet.device.name} (from counts)"))
    for key, path in paths.items():
        console.print(f"wrote {key}: [bold]{path}[/]")


def demo_datasheet(out_dir: Path, out_console: Console | None = None) -> dict[str, Any]:
    """A reduced datasheet of the emulated ``kvant-50`` for ``kvant demo`` (a few seconds):
    3 qubits, 2 couplers, QV widths 2-3, a 3-qubit XEB line.

    Args:
        out_dir: Where ``datasheet.json``/``datasheet.html`` go.
        out_console: Where to print the summary table (None: print nothing).

    Returns:
        The summary (as ``kvant bench datasheet --json`` prints it).
    """
    from kvant.bench import SuiteConfig, measure_device
    from kvant.report import write_datasheet

    sheet, _ = measure_device("kvant-50", SuiteConfig.reduced())
    paths = write_datasheet(sheet, out_dir)
    if out_console is not None:
        out_console.print(_summary_table(sheet, "kvant-50 datasheet (reduced, measured)"))
    return _summary_json(sheet, paths)


def datasheet_step(seed: int, out: Path) -> dict[str, Any]:
    """A ``kvant demo`` step: the reduced datasheet of the emulated ``kvant-50`` (3 qubits,
    2 couplers, QV widths 2-3, XEB on 3 qubits), written to ``out/datasheet``, checked against
    what the noise model injects (median T1 and T2 within 10 %, every fit trusted).

    Returns:
        The step as ``kvant demo`` prints it (section, name, figure, expected, ok, pictures).
    """
    from kvant.bench import SuiteConfig, measure_device
    from kvant.report import write_datasheet

    sheet, _ = measure_device("kvant-50", SuiteConfig.reduced(seed=seed))
    write_datasheet(sheet, out / "datasheet")
    summary = sheet.summary()

    def median_error(name: str) -> float:
        pairs = sheet.compare_injected(name)
        return float(sorted(abs(m / i - 1) for _, m, _, i in pairs)[len(pairs) // 2])

    errors = {name: median_error(name) for name in ("t1_us", "t2_us")}
    qv = sheet.get("quantum_volume").value
    figure = (
        f"T1 {summary['t1_us']['median']:.0f} us, T2 {summary['t2_us']['median']:.0f} us, "
        f"1q error/gate {summary['epg_1q']['median']:.1e}, "
        f"CZ error {summary['error_cz']['median']:.1e}, "
        f"readout error {summary['readout_error']['median']:.1e}, QV {qv:.0f}"
    )
    return {
        "section": "Transparent metrics",
        "name": "datasheet of kvant-50 (3 qubits, 2 couplers, QV widths 2-3)",
        "figure": figure,
        "expected": "every fit trusted; median T1, T2 within 10% of the injected values",
        "ok": all(m.good for m in sheet.metrics) and max(errors.values()) < 0.10,
        "pictures": ["datasheet/map_t1_us.png", "datasheet/map_error_cz.png"],
        "links": {"datasheet": "datasheet/datasheet.html", "JSON": "datasheet/datasheet.json"},
    }


def register(app: typer.Typer) -> None:
    """Add ``bench datasheet`` and ``bench analyse`` to the application."""
    bench_app.command("datasheet")(datasheet)
    bench_app.command("analyse")(analyse)
    app.add_typer(bench_app, name="bench")
