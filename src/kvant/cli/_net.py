"""``kvant net simulate|plan|show``: QKD networks with trusted-node relay."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kvant.cli._output import console, err_console, print_json
from kvant.errors import ConfigError

net_app = typer.Typer(
    name="net",
    help="QKD networks: trusted-node key relay, routing, faults, planning.",
    no_args_is_help=True,
)

_PROGRESS_FROM_STEPS = 20_000
Routing = Literal["shortest", "multipath"]


def _seconds(text: str) -> float:
    """'90', '90s', '15m', '2h' or '1d' -> seconds."""
    text = text.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    unit = text[-1] if text and text[-1] in scale else "s"
    number = text[:-1] if text and text[-1] in scale else text
    try:
        return float(number) * scale[unit]
    except ValueError:
        raise ConfigError(f"bad time {text!r}; write e.g. 3600, 90s, 15m, 2h or 1d") from None


def _window(spec: str, what: str) -> tuple[str, float, float | None]:
    """'NAME@START[-END]' -> (name, start_s, end_s)."""
    name, at, when = spec.rpartition("@")
    if not at or not name:
        raise ConfigError(f"bad {what} {spec!r}; write NAME@START or NAME@START-END (e.g. 2h-3h)")
    start, dash, end = when.partition("-")
    return name, _seconds(start), (_seconds(end) if dash else None)


def _scenario(spec: str) -> Any:
    from kvant.network import load_scenario, preset_scenario

    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml", ".json", ".geojson") or path.exists():
        return load_scenario(path)
    return preset_scenario(spec)


def simulate(
    scenario: str = typer.Option(
        "moscow-spb", "--scenario", help="moscow-spb, regional-mesh[-N] or a scenario file."
    ),
    hours: float = typer.Option(24.0, "--hours", help="Simulated time in hours."),
    step_s: float = typer.Option(1.0, "--step-s", help="Time step in seconds."),
    routing: str = typer.Option("shortest", "--routing", help="shortest or multipath."),
    max_paths: int = typer.Option(2, "--max-paths", help="Paths per demand with multipath."),
    reroute_s: float = typer.Option(60.0, "--reroute-s", help="Routing epoch in seconds."),
    cut: list[str] = typer.Option(
        [], "--cut", help="Cut a link: LINK@START[-END], e.g. Bologoye-Okulovka@2h-5h."
    ),
    outage: list[str] = typer.Option(
        [], "--outage", help="Take a node down: NODE@START[-END]; add ! to purge its keys."
    ),
    compromised: list[str] = typer.Option(
        [], "--compromised", help="List the keys this node saw (repeatable)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the key material."),
    out: Path | None = typer.Option(None, "--out", help="Directory for PNG plots and JSON."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Simulate key pools, XOR relay and routing over time; print what was delivered."""
    from kvant.network import LinkCut, NodeOutage, SimulationConfig
    from kvant.network import simulate as run

    base = _scenario(scenario)
    faults: list[Any] = []
    for spec in cut:
        name, start, end = _window(spec, "--cut")
        faults.append(LinkCut(name, start, end))
    for spec in outage:
        purge = spec.endswith("!")
        name, start, end = _window(spec.rstrip("!"), "--outage")
        faults.append(NodeOutage(name, start, end, purge))
    sc = base.with_faults(faults)
    if not hours > 0:
        raise ConfigError(f"--hours must be > 0, got {hours}")
    cfg = SimulationConfig(
        duration_s=hours * 3600.0,
        step_s=step_s,
        routing=cast(Routing, routing),
        max_paths=max_paths,
        reroute_interval_s=reroute_s,
        seed=seed,
    )
    for node in compromised:
        sc.topology.node_index(node)
    if cfg.num_steps >= _PROGRESS_FROM_STEPS and not as_json:
        columns = (TextColumn("simulating"), BarColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("steps", total=1.0)
            result = run(sc, cfg, progress=lambda f: bar.update(task, completed=f))
    else:
        result = run(sc, cfg)
    summary = result.summary()
    exposures = [result.exposed_keys(node).to_dict() for node in compromised]
    for e in exposures:
        e["ranges"] = e["ranges"][:100]
    written = _write_outputs(result, summary, out) if out is not None else []
    if as_json:
        print_json({**summary, "exposures": exposures, "files": [str(p) for p in written]})
        return
    _print_summary(summary, exposures)
    for p in written:
        console.print(f"wrote [bold]{p}[/]")


def _write_outputs(result: Any, summary: dict[str, Any], out: Path) -> list[Path]:
    import json

    from kvant.errors import KvantIOError
    from kvant.report import plot_delivered_rate, plot_network_map, plot_pool_levels

    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
    except OSError as exc:
        raise KvantIOError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    files = [out / "summary.json"]
    files.append(plot_pool_levels(result, out / "pool-levels.png"))
    if result.scenario.demands:
        files.append(plot_delivered_rate(result, out / "delivered-rate.png"))
    files.append(
        plot_network_map(
            result.scenario.topology, out / "map.png", link_rates_bps=result.link_rates_bps
        )
    )
    return files


def _print_summary(summary: dict[str, Any], exposures: list[dict[str, Any]]) -> None:
    title = (
        f"{summary['scenario']}: {summary['nodes']} nodes, {summary['links']} links, "
        f"{summary['duration_s'] / 3600:g} h at {summary['step_s']:g} s, "
        f"{summary['routing']} routing"
    )
    table = Table(title=title, caption=f"simulated in {summary['wall_s']:.2f} s")
    for name in ("demand", "asked kbit/s", "delivered kbit/s", "blocked", "latency ms"):
        table.add_column(name, justify="right")
    for d in summary["demands"]:
        lat = d["mean_latency_ms"]
        table.add_row(
            d["demand"],
            f"{d['requested_bps'] / 1e3:,.2f}",
            f"{d['delivered_bps'] / 1e3:,.2f}",
            f"{100 * d['blocked_fraction']:.1f}%",
            "-" if lat is None else f"{lat:.1f}",
        )
    console.print(table)
    tot = summary["totals_bits"]
    ledger = Table(title="key ledger (Gbit)")
    for name in ("produced", "overflow", "consumed", "delivered", "relay pads", "discarded"):
        ledger.add_column(name, justify="right")
    ledger.add_row(
        *(
            f"{tot[k] / 1e9:,.3f}"
            for k in ("produced", "overflow", "consumed", "delivered", "overhead", "discarded")
        )
    )
    console.print(ledger)
    ok = "[green]balanced[/]" if summary["conservation_ok"] else "[bold red]NOT balanced[/]"
    console.print(
        f"ledgers {ok}; {summary['keys_delivered']:,} keys delivered, "
        f"{summary['keys_verified']:,} materialised and checked end to end"
    )
    for e in exposures:
        per = ", ".join(f"{k}: {v:,}" for k, v in e["by_demand"].items()) or "none"
        console.print(
            f"node [bold]{e['node']}[/] saw {e['num_keys']:,} keys "
            f"({e['relayed_keys']:,} relayed): {per}"
        )


def plan(
    length_km: float | None = typer.Option(None, "--length-km", help="Route length in km."),
    target_bps: float = typer.Option(..., "--target-bps", help="End-to-end key rate wanted."),
    sites: str | None = typer.Option(
        None, "--sites", help="Choose among the nodes of a chain scenario (preset or file)."
    ),
    system: str = typer.Option("apd", "--system", help="QKD system preset: apd, snspd, ..."),
    max_hop_km: float = typer.Option(80.0, "--max-hop-km", help="Longest hop allowed (0: none)."),
    max_systems: int = typer.Option(2, "--max-systems", help="Most QKD systems on one link."),
    cost_node: float = typer.Option(1.0, "--cost-node", help="Cost of a trusted node."),
    cost_system: float = typer.Option(0.5, "--cost-system", help="Cost of a QKD system."),
    cost_fibre_km: float = typer.Option(0.002, "--cost-fibre-km", help="Cost per route km."),
    sweep_lengths: str | None = typer.Option(
        None, "--sweep-lengths", help="Comma-separated lengths (km): plan each (with targets)."
    ),
    sweep_targets: str | None = typer.Option(
        None, "--sweep-targets", help="Comma-separated targets (bit/s) for a sweep."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="dask.distributed scheduler address for sweeps."
    ),
    workers: int | None = typer.Option(None, "--workers", help="Local processes for sweeps."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Choose trusted nodes (and doubled links) at minimum cost for a target end-to-end rate."""
    from kvant.network import CostModel, QkdSystem, plan_line, plan_route, plan_sweep

    cost = CostModel(cost_node, cost_system, cost_fibre_km)
    options: dict[str, Any] = {
        "system": QkdSystem.preset(system),
        "cost": cost,
        "max_hop_km_limit": max_hop_km if max_hop_km > 0 else None,
        "max_systems_per_link": max_systems,
    }
    if sweep_lengths or sweep_targets:
        lengths = _numbers(sweep_lengths, "--sweep-lengths") if sweep_lengths else [length_km]
        targets = _numbers(sweep_targets, "--sweep-targets") if sweep_targets else [target_bps]
        if any(x is None for x in lengths):
            raise ConfigError("give --length-km or --sweep-lengths")
        rows = plan_sweep(
            [float(x) for x in lengths if x is not None],
            targets,
            scheduler=scheduler,
            max_workers=workers,
            **options,
        )
        if as_json:
            print_json(rows)
            return
        table = Table(title="plan sweep")
        for name in ("length km", "target bit/s", "trusted nodes", "systems", "cost"):
            table.add_column(name, justify="right")
        for r in rows:
            cells = (
                [str(r["trusted_nodes"]), str(r["systems"]), f"{r['cost']:.2f}"]
                if r["ok"]
                else ["no plan", "", ""]
            )
            table.add_row(f"{r['length_km']:g}", f"{r['target_bps']:g}", *cells)
        console.print(table)
        return
    if sites is not None:
        result = plan_route(_scenario(sites).topology, target_bps, **options)
    elif length_km is not None:
        result = plan_line(length_km, target_bps, **options)
    else:
        raise ConfigError("give --length-km, --sites or a sweep")
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(
        title=f"{result.length_km:g} km at {target_bps:g} bit/s: {result.trusted_nodes} trusted "
        f"nodes, {result.systems} QKD systems, cost {result.cost:.2f}",
        caption=f"end-to-end rate {result.end_to_end_rate_bps:,.0f} bit/s (weakest hop)",
    )
    for name in ("hop", "from km", "to km", "length km", "systems", "rate bit/s"):
        table.add_column(name, justify="right")
    for i, h in enumerate(result.hops):
        label = f"{h.start_site}-{h.end_site}" if h.start_site else str(i + 1)
        table.add_row(
            label,
            f"{h.start_km:.1f}",
            f"{h.end_km:.1f}",
            f"{h.fibre_km:.1f}",
            str(h.systems),
            f"{h.rate_bps:,.0f}",
        )
    console.print(table)


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{option}: give comma-separated numbers, got {text!r}") from None


def show(
    file: str = typer.Argument(..., help="Scenario file (YAML/JSON/GeoJSON) or preset name."),
    export: Path | None = typer.Option(
        None, "--export", help="Write the scenario to this .yaml/.json/.geojson file."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Show a network: nodes, links with their physics key rates, demands and faults."""
    from kvant.network import save_scenario

    sc = _scenario(file)
    net = sc.topology
    if export is not None:
        save_scenario(sc, export)
    if as_json:
        data = sc.to_dict()
        for link, rate in zip(data["links"], net.key_rates_bps, strict=True):
            link["key_rate_bps"] = float(rate)
        print_json(data)
        return
    links = Table(
        title=f"{net.name}: {net.num_nodes} nodes, {net.num_links} links, "
        f"{net.total_fibre_km():,.1f} km of fibre"
    )
    for name in ("link", "fibre km", "loss dB", "system", "systems", "key rate bit/s"):
        links.add_column(name, justify="right")
    for link, rate in zip(net.links, net.key_rates_bps, strict=True):
        links.add_row(
            link.name,
            f"{link.fibre_km:.1f}",
            f"{link.loss_db:.1f}",
            link.system.name,
            str(link.systems),
            f"{rate:,.0f}",
        )
    console.print(links)
    if sc.demands:
        demands = Table(title="demands")
        for name in ("from", "to", "rate bit/s"):
            demands.add_column(name)
        for d in sc.demands:
            demands.add_row(d.a, d.b, f"{d.rate_bps:,.0f}")
        console.print(demands)
    for f in sc.faults:
        console.print(f"fault: {f.to_dict()}")
    if export is not None:
        console.print(f"wrote [bold]{export}[/]")


def register(app: typer.Typer) -> None:
    """Add ``net simulate``, ``net plan`` and ``net show`` to the application."""
    net_app.command("simulate")(simulate)
    net_app.command("plan")(plan)
    net_app.command("show")(show)
    app.add_typer(net_app, name="net")
