"""``kvant apps grid|unit-commitment|molecule|dissociation``: QAOA and VQE on the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kvant.cli._output import console, err_console, print_json
from kvant.errors import ConfigError, KvantIOError

apps_app = typer.Typer(
    name="apps",
    help="Applications: power-grid QAOA (energy) and molecular VQE (chemistry).",
    no_args_is_help=True,
)


def _write_json(out: Path, name: str, data: dict[str, Any]) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / name
        path.write_text(json.dumps(data, indent=1))
    except OSError as exc:
        raise KvantIOError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    return path


def _qaoa_table(title: str, qaoa: dict[str, Any], optimum: float, caption: str) -> Table:
    table = Table(title=title, caption=caption)
    for column in ("run", "<cost>", "approx. ratio", "P(optimum)", "answer cost", "optimum"):
        table.add_column(column, justify="right")
    for key in ("ideal", "noisy"):
        outcome = qaoa[key]
        if outcome is None:
            continue
        table.add_row(
            outcome["device"],
            f"{outcome['expectation']:,.2f}",
            f"{outcome['approximation_ratio']:.3f}",
            f"{outcome['optimum_probability']:.3f}",
            f"{outcome['answer_cost']:,.2f}",
            f"{optimum:,.2f}",
        )
    return table


def grid(
    case: str = typer.Option("ieee14", "--case", help="ieee14, ieee30 or ieee57."),
    layers: int = typer.Option(1, "--layers", "-p", help="QAOA depth p."),
    warm_start: bool = typer.Option(False, "--warm-start", help="Warm-started QAOA."),
    device: str | None = typer.Option(
        None, "--device", help="Also sample on this noisy device (e.g. kvant-50)."
    ),
    shots: int = typer.Option(2000, "--shots", help="Samples per run."),
    max_qubits: int = typer.Option(
        12, "--max-qubits", help="Largest QAOA problem; larger grids are coarse-grained."
    ),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    out: Path | None = typer.Option(None, "--out", help="Directory for JSON and a PNG."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Split an IEEE grid into two islands by QAOA; compare with the exact optimum."""
    from kvant.apps import solve_islanding

    with Progress(
        TextColumn(f"QAOA on {case}"), BarColumn(), console=err_console, transient=True,
        disable=as_json,
    ) as bar:  # fmt: skip
        task = bar.add_task("qaoa", total=None)
        run = solve_islanding(
            case,
            layers=layers,
            warm_start=warm_start,
            device=device,
            shots=shots,
            seed=seed,
            max_qubits=max_qubits,
        )
        bar.update(task, completed=1)
    data = run.to_dict()
    files = []
    if out is not None:
        from kvant.report import plot_qaoa_outcomes

        files.append(_write_json(out, f"{case}-islanding.json", data))
        outcomes = {k: v for k, v in (("ideal", data["qaoa"]["ideal"]),) if v}
        if data["qaoa"]["noisy"]:
            outcomes[data["qaoa"]["noisy"]["device"]] = data["qaoa"]["noisy"]
        files.append(
            plot_qaoa_outcomes(outcomes, out / f"{case}-qaoa.png", title=f"{case} islanding")
        )
    if as_json:
        print_json({**data, "files": [str(f) for f in files]})
        return
    what = (
        f"coarse-grained to {run.qaoa_qubits} super-buses, answer polished by 1-flip descent"
        if run.coarse_grained
        else f"{run.qaoa_qubits} free buses = {run.qaoa_qubits} qubits"
    )
    qaoa = data["qaoa"]
    console.print(
        _qaoa_table(
            f"{case}: islanding by QAOA p={layers}{' (warm start)' if warm_start else ''}",
            qaoa,
            qaoa["optimum"]["cost"],
            f"QAOA on the emulator: {what}; {qaoa['circuit_evaluations']} circuit evaluations, "
            f"{qaoa['iterations']} optimiser steps, {qaoa['wall_s']:.1f} s",
        )
    )
    verdict = "[green]optimal[/]" if run.found_optimum else "[yellow]not optimal[/]"
    island = [b + 1 for b, i in enumerate(run.answer_islands) if i]
    console.print(
        f"answer on the full grid: cost {run.answer_cost_mw:.2f} (cut {run.answer_cut_mw:.2f} MW, "
        f"imbalance {run.answer_imbalance_mw:+.2f} MW), exact optimum "
        f"{run.optimum_cost_mw:.2f} by {run.optimum_method}: {verdict}"
    )
    console.print(f"island 1 (IEEE bus numbers): {island}")
    for f in files:
        console.print(f"wrote [bold]{f}[/]")


def unit_commitment(
    layers: int = typer.Option(2, "--layers", "-p", help="QAOA depth p."),
    device: str | None = typer.Option(None, "--device", help="Also sample on this device."),
    shots: int = typer.Option(2000, "--shots", help="Samples per run."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Commit four generators over three hours (12 qubits) by QAOA; compare with brute force."""
    from kvant.apps import UnitCommitment, run_qaoa

    uc = UnitCommitment.example()
    result = run_qaoa(uc.qubo(), layers=layers, device=device, shots=shots, seed=seed)
    data: dict[str, Any] = {"problem": "unit-commitment", "qaoa": result.to_dict()}
    if as_json:
        print_json(data)
        return
    console.print(
        _qaoa_table(
            f"unit commitment (4 units x 3 h) by QAOA p={layers}",
            data["qaoa"],
            result.optimum.cost,
            f"{result.circuit_evaluations} circuit evaluations, {result.wall_s:.1f} s",
        )
    )
    bits = result.ideal.answer_bits
    for hour, demand in enumerate(uc.demands_mw):
        on = [g for g in range(len(uc.capacities_mw)) if bits[uc.index(g, hour)]]
        supplied = sum(uc.capacities_mw[g] for g in on)
        console.print(f"hour {hour}: units {on} on, {supplied:g} MW for {demand:g} MW demand")


def molecule(
    name: str = typer.Option("H2", "--name", help="H2, LiH or formamide."),
    bond_angstrom: float | None = typer.Option(
        None, "--bond-angstrom", help="Bond length (default: equilibrium)."
    ),
    ansatz: str = typer.Option("uccsd", "--ansatz", help="uccsd or hardware-efficient."),
    gradient: str = typer.Option("adjoint", "--gradient", help="adjoint or parameter-shift."),
    mapping: str = typer.Option(
        "parity-tapered", "--mapping", help="parity-tapered, parity or jordan-wigner."
    ),
    device: str | None = typer.Option(
        None, "--device", help="Also measure the optimum on this noisy device, with mitigation."
    ),
    shots: int = typer.Option(20000, "--shots", help="Shots per measured circuit (device)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the noisy measurement."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Ground-state energy by VQE on the emulator, against FCI/CASCI from PySCF."""
    from kvant.apps import build_ansatz, measure_energy, molecular_problem, qubit_hamiltonian
    from kvant.apps import run_vqe as vqe

    problem = molecular_problem(name, bond_angstrom)
    result = vqe(problem, ansatz=ansatz, gradient=gradient, mapping=mapping)
    data: dict[str, Any] = {"vqe": result.to_dict(), "noisy": None}
    if device is not None:
        hamiltonian = qubit_hamiltonian(problem.integrals, mapping)
        circuit = build_ansatz(problem, hamiltonian, ansatz, mapping, 2).circuit(result.parameters)
        noisy = measure_energy(circuit, hamiltonian, device, shots=shots, seed=seed)
        data["noisy"] = noisy.to_dict()
    if as_json:
        print_json(data)
        return
    electrons, orbitals = problem.active_space
    table = Table(
        title=f"{problem.name} at {problem.bond_angstrom:g} A: VQE ({result.ansatz}, "
        f"{result.gradient} gradients)",
        caption=f"active space ({electrons}e, {orbitals}o), {result.mapping}: "
        f"{result.num_qubits} qubits, {result.num_parameters} parameters; "
        f"{result.iterations} iterations, {result.circuit_evaluations} circuit evaluations, "
        f"{result.wall_s:.2f} s",
    )
    table.add_column("energy")
    table.add_column("hartree", justify="right")
    table.add_column("- reference (mHa)", justify="right")
    rows = [("Hartree-Fock", problem.hartree_fock_ha), ("VQE (ideal)", result.energy_ha)]
    if data["noisy"] is not None:
        rows += [
            (f"{device} raw", data["noisy"]["raw_ha"]),
            (f"{device} readout-mitigated", data["noisy"]["readout_mitigated_ha"]),
            (f"{device} readout + ZNE", data["noisy"]["mitigated_ha"]),
        ]
    rows.append(
        ("CASCI reference" if problem.name != "H2" else "FCI reference", problem.reference_ha)
    )
    for label, value in rows:
        table.add_row(label, f"{value:.6f}", f"{1e3 * (value - problem.reference_ha):+.3f}")
    console.print(table)
    ok = "[green]within[/]" if result.chemically_accurate else "[red]outside[/]"
    console.print(f"ideal VQE is {ok} chemical accuracy (1.6 mHa) of the reference")


def dissociation(
    name: str = typer.Option("H2", "--name", help="H2, LiH or formamide."),
    points: int = typer.Option(10, "--points", help="Number of bond lengths."),
    min_angstrom: float | None = typer.Option(None, "--min-angstrom", help="Shortest bond."),
    max_angstrom: float | None = typer.Option(None, "--max-angstrom", help="Longest bond."),
    ansatz: str = typer.Option("uccsd", "--ansatz", help="uccsd or hardware-efficient."),
    out: Path | None = typer.Option(None, "--out", help="PNG file for the curve."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Bond-dissociation curve by VQE against FCI/CASCI; optionally plotted."""
    from kvant.apps import equilibrium_bond_angstrom, molecular_problem, run_vqe

    if not 2 <= points <= 60:
        raise ConfigError(f"--points must be in 2..60, got {points}")
    eq = equilibrium_bond_angstrom(name)
    low = 0.6 * eq if min_angstrom is None else min_angstrom
    high = 2.5 * eq if max_angstrom is None else max_angstrom
    if not low < high:
        raise ConfigError(f"--min-angstrom ({low}) must be below --max-angstrom ({high})")
    bonds = [float(b) for b in np.linspace(low, high, points)]
    results = []
    previous = None
    columns = (TextColumn("VQE along the bond"), BarColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("curve", total=len(bonds))
        for bond in bonds:
            result = run_vqe(
                molecular_problem(name, bond), ansatz=ansatz, initial_parameters=previous
            )
            previous = result.parameters
            results.append(result)
            bar.advance(task)
    files = []
    if out is not None:
        from kvant.report import plot_dissociation_curve

        files.append(
            plot_dissociation_curve(
                bonds,
                [r.energy_ha for r in results],
                [r.reference_ha for r in results],
                out,
                hartree_fock_ha=[r.hartree_fock_ha for r in results],
                title=f"{results[0].molecule} dissociation: VQE ({ansatz}) on Kvant",
            )
        )
    if as_json:
        print_json({"points": [r.to_dict() for r in results], "files": [str(f) for f in files]})
        return
    table = Table(title=f"{results[0].molecule} dissociation curve (VQE {ansatz})")
    for column in ("bond A", "VQE Ha", "reference Ha", "error mHa", "iterations", "circuits"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r.bond_angstrom:.3f}",
            f"{r.energy_ha:.6f}",
            f"{r.reference_ha:.6f}",
            f"{1e3 * r.error_ha:+.3f}",
            str(r.iterations),
            str(r.circuit_evaluations),
        )
    console.print(table)
    for f in files:
        console.print(f"wrote [bold]{f}[/]")


def apps_demo_steps(seed: int, out: Path) -> list[dict[str, Any]]:
    """The reduced applications for ``kvant demo``: H2 VQE at one bond length, and ieee14
    islanding by QAOA p = 1 on the ideal emulator (a few seconds together).

    Returns:
        Demo steps (``section``, ``name``, ``figure``, ``expected``, ``ok``, ``pictures``).
    """
    from kvant.apps import CHEMICAL_ACCURACY_HA, run_vqe, solve_islanding
    from kvant.report import plot_qaoa_outcomes

    vqe = run_vqe("H2")
    run = solve_islanding("ieee14", layers=1, seed=seed)
    picture = plot_qaoa_outcomes(
        {"ideal": run.qaoa.ideal.to_dict()}, out / "apps_ieee14_qaoa.png", title="ieee14 QAOA"
    )
    return [
        {
            "section": "Applications",
            "name": "H2 ground state by VQE (UCCSD, 2 qubits)",
            "figure": f"{vqe.energy_ha:.6f} Ha ({1e3 * vqe.error_ha:+.4f} mHa from FCI), "
            f"{vqe.circuit_evaluations} circuit evaluations",
            "expected": f"within {1e3 * CHEMICAL_ACCURACY_HA:g} mHa of PySCF FCI "
            f"{vqe.reference_ha:.6f} Ha",
            "ok": vqe.chemically_accurate,
            "pictures": [],
        },
        {
            "section": "Applications",
            "name": "IEEE 14-bus islanding by QAOA p=1 (12 qubits)",
            "figure": f"answer {run.answer_cost_mw:.2f} MW, approximation ratio "
            f"{run.qaoa.ideal.approximation_ratio:.3f}, P(optimum) "
            f"{run.qaoa.ideal.optimum_probability:.3f}",
            "expected": f"the brute-force optimum {run.optimum_cost_mw:.2f} MW among the samples",
            "ok": run.found_optimum,
            "pictures": [picture.name],  # relative: the report folder can move
        },
    ]


def demo_apps(out_dir: Path, console: Console) -> dict[str, Any]:
    """Run :func:`apps_demo_steps`, print one line per step, return them as ``{"steps": [...]}``."""
    steps = apps_demo_steps(0, Path(out_dir))
    for step in steps:
        mark = "[green]ok[/]" if step["ok"] else "[red]FAILED[/]"
        console.print(f"{step['name']}: {step['figure']} {mark}")
    return {"steps": steps, "ok": all(s["ok"] for s in steps)}


def register(app: typer.Typer) -> None:
    """Add ``apps grid``, ``apps unit-commitment``, ``apps molecule``, ``apps dissociation``."""
    apps_app.command("grid")(grid)
    apps_app.command("unit-commitment")(unit_commitment)
    apps_app.command("molecule")(molecule)
    apps_app.command("dissociation")(dissociation)
    app.add_typer(apps_app, name="apps")
