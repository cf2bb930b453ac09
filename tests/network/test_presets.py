"""Built-in scenarios: the Moscow - St Petersburg backbone and the seeded regional mesh."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.errors import ConfigError
from kvant.network import moscow_spb, preset_scenario, regional_mesh, shortest_path


def _connected(net) -> bool:  # type: ignore[no-untyped-def]
    seen, todo = {net.nodes[0].name}, [net.nodes[0].name]
    while todo:
        for m in net.neighbours(todo.pop()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return len(seen) == net.num_nodes


def test_moscow_spb_follows_the_railway() -> None:
    net = moscow_spb().topology
    names = [n.name for n in net.nodes]
    # the towns named in REFERENCES.md, in railway order
    towns = [
        "Moscow",
        "Klin",
        "Tver",
        "Likhoslavl",
        "Vyshny Volochyok",
        "Bologoye",
        "Okulovka",
        "Malaya Vishera",
        "Chudovo",
        "Tosno",
        "St Petersburg",
    ]
    assert [n for n in names if n in towns] == towns
    assert all(0 < x.fibre_km <= 80.0 for x in net.links)
    assert 650.0 <= net.total_fibre_km() <= 800.0
    assert shortest_path(net, "Moscow", "St Petersburg") == names
    # latitude rises from Moscow to St Petersburg along the line
    assert all(np.diff([n.lat_deg for n in net.nodes]) > 0)
    assert (net.key_rates_bps > 0).all()


def test_regional_mesh_is_reproducible_and_sound() -> None:
    a, b = regional_mesh(50, seed=3), regional_mesh(50, seed=3)
    assert a == b
    assert regional_mesh(50, seed=4) != a
    net = a.topology
    assert sum(n.kind == "trusted" for n in net.nodes) == 50
    assert net.num_nodes >= 50
    assert _connected(net)
    assert max(x.fibre_km for x in net.links) <= 80.0
    users = [n.name for n in net.nodes if n.kind == "user"]
    assert all(len(net.neighbours(u)) == 2 for u in users)  # dual-homed
    assert {d.a for d in a.demands} <= set(users)


def test_preset_names() -> None:
    assert preset_scenario("moscow-spb").name == "moscow-spb"
    assert preset_scenario("regional-mesh").topology.num_nodes == 55
    assert preset_scenario("regional-mesh-16").topology.num_nodes == 20
    with pytest.raises(ConfigError, match="unknown scenario"):
        preset_scenario("atlantis")
    with pytest.raises(ConfigError, match="num_nodes"):
        regional_mesh(2)
