"""Network plots: PNG files, and errors for what cannot be drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvant.errors import ConfigError
from kvant.network import (
    Link,
    Node,
    Scenario,
    SimulationConfig,
    Topology,
    regional_mesh,
    simulate,
)
from kvant.report import plot_delivered_rate, plot_network_map, plot_pool_levels


def test_plots_of_a_mesh(tmp_path: Path) -> None:
    sc = regional_mesh(16, seed=2)
    res = simulate(sc, SimulationConfig(duration_s=600, verify_epochs=0))
    for fn, name in ((plot_pool_levels, "p.png"), (plot_delivered_rate, "d.png")):
        assert fn(res, tmp_path / name).stat().st_size > 1000
    out = plot_network_map(sc.topology, tmp_path / "m.png", link_rates_bps=res.link_rates_bps)
    assert out.stat().st_size > 1000


def test_what_cannot_be_drawn(tmp_path: Path) -> None:
    lonely = Scenario(Topology("t", (Node("A"),), ()))
    res = simulate(lonely, SimulationConfig(duration_s=10, verify_epochs=0))
    with pytest.raises(ConfigError, match="no link"):
        plot_pool_levels(res, tmp_path / "p.png")
    with pytest.raises(ConfigError, match="no demand"):
        plot_delivered_rate(res, tmp_path / "d.png")
    net = Topology("t", (Node("A"), Node("B")), (Link("A", "B", 5.0),))
    with pytest.raises(ConfigError, match="one rate per link"):
        plot_network_map(net, tmp_path / "m.png", link_rates_bps=[1.0, 2.0])
