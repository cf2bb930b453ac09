"""Plots of a QKD network simulation: pool levels, delivered key rate, a map coloured by rate."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from kvant.errors import ConfigError
from kvant.network import SimulationResult, Topology
from kvant.report._plots import _pyplot, _save

__all__ = ["plot_delivered_rate", "plot_network_map", "plot_pool_levels"]


def plot_pool_levels(
    result: SimulationResult,
    path: str | Path,
    *,
    max_links: int = 12,
    title: str = "",
) -> Path:
    """Pool level of each link over time (as a fraction of its capacity).

    With more links than ``max_links``, the ones that relayed the most key are drawn.

    Args:
        result: A simulation result.
        path: Where to write the PNG.
        max_links: Most links drawn.
        title: Figure title (default: the scenario's name).

    Returns:
        The path written.

    Raises:
        ConfigError: if the network has no link or ``max_links < 1``.

    >>> import tempfile, pathlib
    >>> from kvant.network import SimulationConfig, moscow_spb, simulate
    >>> res = simulate(moscow_spb(), SimulationConfig(duration_s=600, verify_epochs=0))
    >>> plot_pool_levels(res, pathlib.Path(tempfile.mkdtemp()) / "pools.png").exists()
    True
    """
    net = result.scenario.topology
    if net.num_links == 0 or max_links < 1:
        raise ConfigError("nothing to plot: the network has no link (or max_links < 1)")
    cap = np.array([x.pool_capacity_bits for x in net.links], dtype=float)
    order = np.argsort(-result.link_totals_bits[2], kind="stable")[:max_links]
    hours = np.concatenate([[0.0], result.record_times_s / 3600.0])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for i in order:
        levels = np.concatenate([[result.initial_level_bits[i]], result.pool_level_bits[:, i]])
        ax.plot(hours, levels / cap[i], label=net.links[i].name, linewidth=1.2)
    ax.set_xlabel("time (h)")
    ax.set_ylabel("pool level (fraction of capacity)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or f"{result.scenario.name}: key pools")
    ax.grid(True, alpha=0.25)
    ax.legend(frameon=False, fontsize=6, ncol=2, loc="best")
    return _save(fig, Path(path))


def plot_delivered_rate(result: SimulationResult, path: str | Path, *, title: str = "") -> Path:
    """Delivered end-to-end key rate of each demand over time, with what it asked for.

    Args:
        result: A simulation result.
        path: Where to write the PNG.
        title: Figure title.

    Returns:
        The path written.

    Raises:
        ConfigError: if the scenario has no demand.

    >>> import tempfile, pathlib
    >>> from kvant.network import SimulationConfig, moscow_spb, simulate
    >>> res = simulate(moscow_spb(), SimulationConfig(duration_s=600, verify_epochs=0))
    >>> plot_delivered_rate(res, pathlib.Path(tempfile.mkdtemp()) / "rate.png").exists()
    True
    """
    if not result.scenario.demands:
        raise ConfigError("nothing to plot: the scenario has no demand")
    hours = result.record_times_s / 3600.0
    delivered = result.delivered_rate_bps()
    widths = np.diff(np.concatenate([[0.0], result.record_times_s]))
    requested = result.requested_bits / widths[:, None]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for d, name in enumerate(result.demand_names[:20]):
        colour = colours[d % len(colours)]
        ax.step(hours, delivered[:, d] / 1e3, where="pre", color=colour, label=name, linewidth=1.3)
        ax.step(
            hours, requested[:, d] / 1e3, where="pre", color=colour, linestyle=":", linewidth=0.9
        )
    ax.set_xlabel("time (h)")
    ax.set_ylabel("key rate (kbit/s); dotted: requested")
    ax.set_title(title or f"{result.scenario.name}: delivered end-to-end key")
    ax.grid(True, alpha=0.25)
    ax.legend(frameon=False, fontsize=7, loc="best")
    return _save(fig, Path(path))


def plot_network_map(
    topology: Topology,
    path: str | Path,
    *,
    link_rates_bps: ArrayLike | None = None,
    title: str = "",
    label_nodes: bool | None = None,
) -> Path:
    """Map of the network (longitude/latitude), links coloured by key rate (log scale).

    Args:
        topology: The network.
        path: Where to write the PNG.
        link_rates_bps: Rate per link (default: each link's physics rate).
        title: Figure title.
        label_nodes: Write node names (default: when there are at most 40 nodes).

    Returns:
        The path written.

    Raises:
        ConfigError: if the rates do not match the links.

    >>> import tempfile, pathlib
    >>> from kvant.network import moscow_spb
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "map.png"
    >>> plot_network_map(moscow_spb().topology, out).exists()
    True
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm

    rates = np.asarray(
        topology.key_rates_bps if link_rates_bps is None else link_rates_bps, dtype=float
    )
    if rates.shape != (topology.num_links,):
        raise ConfigError(f"give one rate per link ({topology.num_links}), got {rates.shape}")
    lon = np.array([n.lon_deg for n in topology.nodes])
    lat = np.array([n.lat_deg for n in topology.nodes])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 6.0))
    ax.set_aspect(1.0 / max(math.cos(math.radians(float(lat.mean()))), 0.1))
    if topology.num_links:
        ends = topology.endpoints
        segments = np.stack(
            [
                np.stack([lon[ends[:, 0]], lat[ends[:, 0]]], axis=1),
                np.stack([lon[ends[:, 1]], lat[ends[:, 1]]], axis=1),
            ],
            axis=1,
        )
        positive = rates[rates > 0]
        lo = float(positive.min()) if positive.size else 1.0
        hi = float(positive.max()) if positive.size else 10.0
        norm = LogNorm(vmin=lo, vmax=max(hi, lo * 1.01))
        lines = LineCollection(list(segments), cmap="viridis", norm=norm, linewidths=2.2)
        lines.set_array(np.maximum(rates, lo))
        ax.add_collection(lines)
        fig.colorbar(lines, ax=ax, label="link key rate (bit/s)", shrink=0.8)
    trusted = np.array([n.kind == "trusted" for n in topology.nodes])
    ax.scatter(lon[trusted], lat[trusted], s=18, c="k", zorder=3, label="trusted node")
    if (~trusted).any():
        ax.scatter(
            lon[~trusted], lat[~trusted], s=30, marker="s", c="tab:red", zorder=3, label="user site"
        )
    if label_nodes if label_nodes is not None else topology.num_nodes <= 40:
        for n in topology.nodes:
            ax.annotate(
                n.name,
                (n.lon_deg, n.lat_deg),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
    ax.autoscale_view()
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_title(
        title or f"{topology.name}: {topology.num_nodes} nodes, {topology.num_links} links"
    )
    ax.legend(frameon=False, fontsize=7, loc="lower right")
    return _save(fig, Path(path))
