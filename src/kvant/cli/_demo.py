"""``kvant demo``: the whole stack end to end, with pictures and an HTML report.

Parts, in order: the emulated quantum computer (GHZ, QFT, CHSH), a reduced datasheet of the
emulated kvant-50, the applications (H2 by VQE, IEEE-14 islanding by QAOA), a QKD link distilled
to a secret key, the Moscow-St Petersburg trusted-node network, and three key management
entities on loopback relaying a key and moving an encrypted file. Every step states what it
expected and checks it against a value known independently; the command exits 1 if any check
fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from kvant.cli._output import console, err_console, print_json
from kvant.errors import ConfigError, KvantIOError


@dataclass(frozen=True)
class DemoContext:
    """What every part gets: where to write, how many shots, which seed."""

    out: Path
    shots: int
    seed: int


def _emulator(ctx: DemoContext) -> list[dict[str, Any]]:
    from kvant.cli._demo_emulator import emulator_steps

    steps = emulator_steps(ctx.shots, ctx.seed, ctx.out)
    return [{"section": "Emulated quantum computer", **step} for step in steps]


def _bench(ctx: DemoContext) -> list[dict[str, Any]]:
    from kvant.cli._bench import datasheet_step

    return [datasheet_step(ctx.seed, ctx.out)]


def _apps(ctx: DemoContext) -> list[dict[str, Any]]:
    from kvant.cli._apps import apps_demo_steps

    return apps_demo_steps(ctx.seed, ctx.out)


def _qkd(ctx: DemoContext) -> list[dict[str, Any]]:
    from kvant.cli._demo_comms import qkd_link_step

    return [qkd_link_step(ctx.seed, ctx.out)]


def _network(ctx: DemoContext) -> list[dict[str, Any]]:
    from kvant.cli._demo_comms import network_step

    return [network_step(ctx.seed, ctx.out)]


def _kms(ctx: DemoContext) -> list[dict[str, Any]]:
    from kvant.cli._kms import demo_kms

    return [demo_kms(ctx.out, seed=ctx.seed)]


PARTS: dict[str, tuple[str, Callable[[DemoContext], list[dict[str, Any]]]]] = {
    "emulator": ("GHZ, QFT and CHSH on the emulator", _emulator),
    "bench": ("datasheet of kvant-50 (3 qubits, 2 couplers, QV 2-3)", _bench),
    "apps": ("H2 VQE and IEEE-14 islanding QAOA on the emulator", _apps),
    "qkd": ("decoy-state QKD link and post-processing", _qkd),
    "network": ("Moscow-St Petersburg QKD network", _network),
    "kms": ("ETSI 014 key management: relay and a file Moscow -> St Petersburg", _kms),
}

_PART_NAMES = ", ".join(PARTS)


def _run_parts(names: list[str], ctx: DemoContext, quiet: bool) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
    )
    with Progress(*columns, console=err_console, transient=True, disable=quiet) as bar:
        task = bar.add_task("demo", total=len(names))
        for name in names:
            label, part = PARTS[name]
            bar.update(task, description=label)
            start = time.perf_counter()
            produced = part(ctx)
            seconds = time.perf_counter() - start
            steps += [{**step, "part": name, "seconds": round(seconds, 2)} for step in produced]
            bar.advance(task)
    return steps


def _print_table(steps: list[dict[str, Any]], report: Path) -> None:
    table = Table(title="Kvant demo: the stack end to end")
    for column in ("step", "result", "expected", "check"):
        table.add_column(column)
    section = None
    for step in steps:
        if step.get("section") != section:
            section = step.get("section")
            table.add_row(f"[bold]{section}[/]", "", "", "", end_section=False)
        check = "[green]ok[/]" if step["ok"] else "[red]FAILED[/]"
        table.add_row(step["name"], step["figure"], step["expected"], check)
    console.print(table)
    console.print(f"Report: [bold]{report}[/] (pictures beside it)")


def demo(
    out: Path = typer.Option(
        Path("kvant-demo"), "--out", help="Folder for the report and pictures."
    ),
    shots: int = typer.Option(4000, "--shots", help="Shots per emulator experiment."),
    seed: int = typer.Option(2026, "--seed", help="Seed for reproducible results."),
    only: list[str] = typer.Option(
        [], "--only", help="Run only these parts (repeatable): " + _PART_NAMES + "."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The whole stack end to end: emulator, datasheet, applications, QKD link, QKD network,
    key management; an HTML report with pictures."""
    from kvant.report import write_steps_html

    if shots < 100:
        raise ConfigError(f"--shots must be >= 100 for meaningful statistics, got {shots}")
    unknown = [name for name in only if name not in PARTS]
    if unknown:
        raise ConfigError(f"unknown --only part(s) {unknown}; choose from {', '.join(PARTS)}")
    names = [name for name in PARTS if not only or name in only]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KvantIOError(f"cannot create {out}: {exc.strerror or exc}") from exc
    steps = _run_parts(names, DemoContext(out, shots, seed), quiet=as_json)
    report = write_steps_html("Kvant demo", steps, out / "index.html")
    if as_json:
        print_json({"out": str(out), "report": str(report), "steps": steps})
    else:
        _print_table(steps, report)
    if not all(step["ok"] for step in steps):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the application."""
    app.command("demo")(demo)
