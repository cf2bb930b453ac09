"""``kvant qkd link`` and ``kvant qkd curve``: one QKD link, measured and in theory;
``kvant qkd cache``: the LDPC codes built for post-processing, kept on disk."""

from __future__ import annotations

import hmac
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kvant.cli._output import console, err_console, print_json
from kvant.errors import ConfigError

qkd_app = typer.Typer(
    name="qkd",
    help="One QKD link: decoy-state BB84 Monte Carlo, key rates, attacks.",
    no_args_is_help=True,
)

DETECTORS = ("snspd", "apd")
ATTACKS = ("none", "intercept-resend", "pns")
_PROGRESS_FROM_PULSES = 10_000_000


def _link_config(
    protocol: str,
    distance_km: float,
    detector: str,
    attenuation_db_per_km: float,
    misalignment_error: float,
    clock_hz: float,
    signal: float | None,
) -> Any:
    from kvant.qkd import DetectorConfig, FibreConfig, LinkConfig, protocol_source

    if detector not in DETECTORS:
        raise ConfigError(f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    det = DetectorConfig.snspd() if detector == "snspd" else DetectorConfig.ingaas_apd()
    return LinkConfig(
        protocol_source(protocol, signal_mean_photon_number=signal),
        FibreConfig(distance_km, attenuation_db_per_km),
        det,
        misalignment_error,
        clock_hz,
    )


def link(
    distance_km: float = typer.Option(..., "--distance-km", help="Fibre length in km."),
    protocol: str = typer.Option(
        "decoy-bb84", "--protocol", help="bb84, decoy-bb84, one-decoy-bb84 or efficient-bb84."
    ),
    pulses: int = typer.Option(100_000_000, "--pulses", help="Pulses Alice sends (the block)."),
    clock_hz: float = typer.Option(1e9, "--clock-hz", help="Pulse rate in Hz."),
    detector: str = typer.Option("snspd", "--detector", help="snspd (80%, 20 ns) or apd."),
    attenuation_db_per_km: float = typer.Option(0.2, "--attenuation-db-per-km"),
    misalignment_error: float = typer.Option(0.01, "--misalignment-error"),
    signal: float | None = typer.Option(None, "--mu", help="Signal mean photon number."),
    attack: str = typer.Option("none", "--attack", help="none, intercept-resend or pns."),
    intercept_fraction: float = typer.Option(1.0, "--intercept-fraction"),
    seed: int | None = typer.Option(None, "--seed", help="Seed for a reproducible run."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    postprocess: bool = typer.Option(
        False, "--postprocess", help="Also distil a secret key from the detections."
    ),
    reconciler: str = typer.Option(
        "cascade-improved",
        "--reconciler",
        help="Error correction for --postprocess: cascade-improved, cascade-original or ldpc.",
    ),
) -> None:
    """Simulate a link: gains and QBER per intensity, single-photon bounds, key rates."""
    from kvant.qkd import InterceptResend, PhotonNumberSplitting, run_link

    cfg = _link_config(
        protocol, distance_km, detector, attenuation_db_per_km, misalignment_error, clock_hz,
        signal,
    )  # fmt: skip
    if attack not in ATTACKS:
        raise ConfigError(f"unknown attack {attack!r}; choose one of {', '.join(ATTACKS)}")
    eve = {
        "none": None,
        "intercept-resend": InterceptResend(intercept_fraction),
        "pns": PhotonNumberSplitting.matching_signal_gain(cfg),
    }[attack]
    if pulses < 1:
        raise ConfigError(f"--pulses must be >= 1, got {pulses}")
    if postprocess:
        _check_postprocess(protocol, reconciler)
    if postprocess and seed is None:
        seed = secrets.randbits(63)  # the same detections for the report and the key
    start = time.perf_counter()
    if pulses >= _PROGRESS_FROM_PULSES and not as_json:
        columns = (TextColumn("simulating pulses"), BarColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("pulses", total=pulses)
            report = run_link(
                cfg, protocol, pulses, seed=seed, attack=eve,
                progress=lambda done: bar.update(task, completed=done),
            )  # fmt: skip
    else:
        report = run_link(cfg, protocol, pulses, seed=seed, attack=eve)
    seconds = time.perf_counter() - start
    distilled = None
    if postprocess and seed is not None:
        distilled = _distil(cfg, protocol, pulses, seed, eve, reconciler)
    if as_json:
        print_json(
            {
                **report.to_dict(),
                "seed": seed,
                "asymptotic_rate_bps": report.asymptotic_rate_bps,
                "finite_bits_per_pulse": report.finite_bits_per_pulse,
                "finite_rate_bps": report.finite_rate_bps,
                "simulation_seconds": seconds,
                **({"postprocess": distilled} if postprocess else {}),
            }
        )
        return
    _print_link(report, seconds)
    if distilled is not None:
        _print_distilled(distilled, report)


def _check_postprocess(protocol: str, reconciler: str) -> None:
    from kvant.qkd._pipeline import RECONCILERS

    if protocol not in ("decoy-bb84", "efficient-bb84"):
        raise ConfigError(
            f"--postprocess needs decoy-bb84 or efficient-bb84 (three intensities for the "
            f"finite-key bound), got {protocol}"
        )
    if reconciler not in RECONCILERS:
        raise ConfigError(
            f"unknown --reconciler {reconciler!r}; choose one of {', '.join(RECONCILERS)}"
        )


def _distil(
    cfg: Any, protocol: str, pulses: int, seed: int, eve: Any, reconciler: str
) -> dict[str, Any]:
    """Run the post-processing on the same detections; a summary (never the key itself)."""
    from kvant.errors import ProtocolAbortError
    from kvant.qkd import Pipeline, PipelineConfig, iter_detections

    start = time.perf_counter()
    detections = list(iter_detections(cfg, pulses, seed=seed, attack=eve))
    pipeline = Pipeline(cfg.source, PipelineConfig(reconciler=reconciler))
    try:
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        block = pipeline.process(detections, seed=rng)
    except ProtocolAbortError as abort:
        return {"aborted": True, "reason": str(abort.reason), "message": str(abort),
                "reconciler": reconciler, "seconds": time.perf_counter() - start}  # fmt: skip
    summary = block.to_dict()
    for secret in ("key", "bob_key"):
        del summary[secret]
    bits_per_pulse = block.key_bits / pulses
    return {
        "aborted": False,
        "reason": None,
        "reconciler": reconciler,
        **summary,
        "key_bits": block.key_bits,
        "keys_equal": hmac.compare_digest(block.key, block.bob_key),
        "distilled_bits_per_pulse": bits_per_pulse,
        "distilled_rate_bps": bits_per_pulse * cfg.clock_hz,
        "seconds": time.perf_counter() - start,
    }


def _print_distilled(distilled: dict[str, Any], report: Any) -> None:
    if distilled["aborted"]:
        console.print(
            f"[bold red]post-processing aborted ({distilled['reason']}):[/] {distilled['message']}"
        )
        return
    table = Table(
        title=f"secret key distilled ({distilled['reconciler']})",
        caption=f"post-processed in {distilled['seconds']:.2f} s",
    )
    for name in ("", "bits", "bits per pulse", "bits per second"):
        table.add_column(name, justify="right")
    clock = report.link.clock_hz
    theory = report.finite_bits_per_pulse
    if theory is not None:
        table.add_row(
            "finite-key theory (f = 1.16)", f"{theory * report.pulses:,.0f}", f"{theory:.4e}",
            f"{theory * clock:,.1f}",
        )  # fmt: skip
    table.add_row(
        "distilled (both sides equal)" if distilled["keys_equal"] else "distilled (MISMATCH)",
        f"{distilled['key_bits']:,}",
        f"{distilled['distilled_bits_per_pulse']:.4e}",
        f"{distilled['distilled_rate_bps']:,.1f}",
    )
    console.print(table)
    leak = distilled["leakage"]
    console.print(
        f"sifted {distilled['sifted_bits']:,} bits, QBER {distilled['qber']:.4f} "
        f"(upper {distilled['qber_upper']:.4f}), error correction leaked "
        f"{leak['error_correction_bits']:,} bits (f = {distilled['efficiency']:.3f}), "
        f"verification {leak['verification_bits']} bits, authentication refill "
        f"{distilled['authentication_bits']} bits"
    )


def _print_link(report: Any, seconds: float) -> None:
    cfg, tally = report.link, report.tally
    title = (
        f"{report.protocol} over {cfg.fibre.distance_km:g} km "
        f"({cfg.fibre.attenuation_db_per_km:g} dB/km), {report.pulses:,} pulses"
    )
    if report.attack is not None:
        title += f", attack: {type(report.attack).__name__}"
    table = Table(title=title, caption=f"simulated in {seconds:.2f} s")
    for name in ("intensity", "mu", "sent", "detected", "gain Q", "model Q", "QBER E", "model E"):
        table.add_column(name, justify="right")
    names = ["signal", "decoy", "vacuum"]
    for k, mu in enumerate(cfg.source.mean_photon_numbers):
        table.add_row(
            names[k] if k < 3 else f"#{k}",
            f"{mu:g}",
            f"{tally.sent[k]:,}",
            f"{tally.detected[k]:,}",
            f"{report.measured_gain[k]:.4e}",
            f"{report.model_gain[k]:.4e}",
            f"{report.measured_qber[k]:.4f}",
            f"{report.model_qber[k]:.4f}",
        )
    console.print(table)
    sp = report.single_photon
    bounds = Table(title="single-photon bounds (from the measured gains)")
    for name in ("Y0", "Y1 lower", "Q1 lower", "e1 upper"):
        bounds.add_column(name, justify="right")
    bounds.add_row(
        f"{sp.background_yield:.3e}", f"{sp.yield_lower:.4e}", f"{sp.gain_lower:.4e}",
        f"{sp.error_upper:.4f}",
    )  # fmt: skip
    console.print(bounds)
    rates = Table(title="secret key rate")
    for name in ("", "bits per pulse", "bits per second"):
        rates.add_column(name, justify="right")
    rates.add_row(
        "asymptotic (GLLP)",
        f"{report.asymptotic_bits_per_pulse:.4e}",
        f"{report.asymptotic_rate_bps:,.1f}",
    )
    if report.finite is not None:
        rates.add_row(
            "finite (Lim et al. 2014)",
            f"{report.finite_bits_per_pulse:.4e}",
            f"{report.finite_rate_bps:,.1f}",
        )
    else:
        rates.add_row("finite (Lim et al. 2014)", "n/a for " + report.protocol, "")
    rates.add_row(
        "PLOB bound",
        f"{report.plob_bits_per_pulse:.4e}",
        f"{report.plob_bits_per_pulse * cfg.clock_hz:,.1f}",
    )
    console.print(rates)
    if report.aborted:
        console.print("[bold red]no secret key: the protocol aborts[/]")


def _best(protocol: str, base: Any, distance_km: float, block: int) -> tuple[float, float | None]:
    """Best asymptotic and finite rate over a grid of signal intensities."""
    from dataclasses import replace

    from kvant.qkd import model_link, protocol_source

    mus = np.geomspace(0.005, 0.8, 24) if protocol == "bb84" else np.linspace(0.25, 0.8, 12)
    at = base.at_distance(distance_km)
    reports = [
        model_link(
            replace(at, source=protocol_source(protocol, signal_mean_photon_number=float(mu))),
            protocol,
            block,
        )
        for mu in mus
    ]
    finite = [r.finite_bits_per_pulse for r in reports if r.finite_bits_per_pulse is not None]
    asymptotic = max(r.asymptotic_bits_per_pulse for r in reports)
    return asymptotic, (max(finite) if finite else None)


def curve(
    max_km: float = typer.Option(..., "--max-km", help="Longest fibre to plot."),
    out: Path = typer.Option("qkd-curve.png", "--out", help="PNG file to write."),
    points: int = typer.Option(41, "--points", help="Distances sampled from 0 to --max-km."),
    block_pulses: int = typer.Option(
        10**10, "--block-pulses", help="Pulses per block for the finite-size curve."
    ),
    detector: str = typer.Option("snspd", "--detector", help="snspd or apd."),
    attenuation_db_per_km: float = typer.Option(0.2, "--attenuation-db-per-km"),
    misalignment_error: float = typer.Option(0.01, "--misalignment-error"),
    as_json: bool = typer.Option(False, "--json", help="Print the curves as JSON too."),
) -> None:
    """Plot key rate against distance for each protocol, with the PLOB bound."""
    from kvant.qkd import PROTOCOLS
    from kvant.qkd.keyrate import plob_bound
    from kvant.report import plot_key_rate_curve

    if max_km <= 0:
        raise ConfigError(f"--max-km must be > 0, got {max_km}")
    if not 2 <= points <= 1000:
        raise ConfigError(f"--points must be in [2, 1000], got {points}")
    if block_pulses < 1:
        raise ConfigError(f"--block-pulses must be >= 1, got {block_pulses}")
    base = _link_config("decoy-bb84", 0.0, detector, attenuation_db_per_km, misalignment_error,
                        1e9, None)  # fmt: skip
    distances = np.linspace(0.0, max_km, points)
    curves: dict[str, list[float]] = {p: [] for p in PROTOCOLS}
    finite_name = f"decoy-bb84, finite (Lim 2014, N = {block_pulses:.0e})"
    curves[finite_name] = []
    for d in distances:
        for protocol in PROTOCOLS:
            asym, finite = _best(protocol, base, float(d), block_pulses)
            curves[protocol].append(asym)
            if protocol == "decoy-bb84":
                curves[finite_name].append(finite or 0.0)
    plob = [plob_bound(min(base.at_distance(float(d)).fibre.transmittance, 1 - 1e-16))
            for d in distances]  # fmt: skip
    drawn_bound = [b if d > 0 else 0.0 for b, d in zip(plob, distances, strict=True)]  # inf at 0
    title = f"{detector}, {attenuation_db_per_km:g} dB/km, e_d = {misalignment_error:g}"
    plot_key_rate_curve(distances, curves, out, bound=drawn_bound, title=title)
    if as_json:
        print_json({
            "out": str(out), "distances_km": distances.tolist(), "bits_per_pulse": curves,
            "plob_bits_per_pulse": plob,
        })  # fmt: skip
        return
    table = Table(title="longest fibre with a positive key (from the curve)")
    table.add_column("protocol")
    table.add_column("max km", justify="right")
    for name, rates in curves.items():
        positive = [d for d, r in zip(distances, rates, strict=True) if r > 0]
        table.add_row(name, f"{max(positive):.0f}" if positive else "none")
    console.print(table)
    console.print(f"Curve written to [bold]{out}[/]")


def cache(
    prune_days: float | None = typer.Option(
        None, "--prune-days", help="Delete LDPC codes not used for this many days."
    ),
    clear: bool = typer.Option(False, "--clear", help="Delete every cached LDPC code."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Show the cache of built LDPC codes (where, how big, how recently used); prune it."""
    from kvant.qkd._ldpc_cache import cache_directory, cache_entries, prune_cache

    if clear and prune_days is not None:
        raise ConfigError("use --clear or --prune-days, not both")
    if prune_days is not None and not prune_days >= 0:
        raise ConfigError(f"--prune-days must be >= 0 days, got {prune_days}")
    directory = cache_directory()
    removed = prune_cache(None if clear else prune_days) if clear or prune_days is not None else []
    entries = cache_entries()
    size, freed = sum(e.size_bytes for e in entries), sum(e.size_bytes for e in removed)
    oldest = (time.time() - entries[0].last_used) / 86400.0 if entries else None
    if as_json:
        print_json({
            "directory": None if directory is None else str(directory),
            "entries": len(entries), "bytes": size, "oldest_use_days": oldest,
            "removed": len(removed), "removed_bytes": freed,
        })  # fmt: skip
        return
    if directory is None:
        console.print("The LDPC code cache is off (KVANT_CACHE_DIR); nothing is stored.")
        return
    table = Table(title="LDPC code cache")
    table.add_column("directory")
    table.add_column("codes", justify="right")
    table.add_column("MB", justify="right")
    table.add_column("oldest use (days)", justify="right")
    table.add_row(str(directory), str(len(entries)), f"{size / 1e6:.1f}",
                  "-" if oldest is None else f"{oldest:.1f}")  # fmt: skip
    console.print(table)
    if clear or prune_days is not None:
        console.print(f"Deleted {len(removed)} files ({freed / 1e6:.1f} MB).")


def register(app: typer.Typer) -> None:
    """Add ``qkd link``, ``qkd curve`` and ``qkd cache`` to the application."""
    qkd_app.command("link")(link)
    qkd_app.command("curve")(curve)
    qkd_app.command("cache")(cache)
    app.add_typer(qkd_app, name="qkd")
