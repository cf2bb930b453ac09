"""Topology, nodes, links and the link key rate taken from kvant.qkd's physics."""

from __future__ import annotations

import math

import pytest

from kvant.errors import ConfigError, TopologyError
from kvant.network import (
    Link,
    Node,
    QkdSystem,
    Topology,
    great_circle_km,
    link_key_rate_bps,
)
from kvant.qkd import DetectorConfig, FibreConfig, LinkConfig, model_link, protocol_source


def test_great_circle_matches_a_known_distance() -> None:
    # one degree of latitude on the IUGG mean sphere is 2 pi R / 360 = 111.195 km
    assert great_circle_km(55.0, 37.0, 56.0, 37.0) == pytest.approx(111.195, abs=1e-3)
    assert great_circle_km(10.0, 20.0, 10.0, 20.0) == 0.0


def test_link_rate_is_the_qkd_link_physics() -> None:
    apd = QkdSystem.preset("apd")
    cfg = LinkConfig(
        protocol_source("decoy-bb84"),
        FibreConfig(60.0, 0.2, 1.5),
        DetectorConfig.ingaas_apd(),
        0.01,
        1e9,
    )
    expected = model_link(cfg, "decoy-bb84", 10**10).finite_rate_bps
    assert link_key_rate_bps(apd, 60.0, 0.2, 1.5) == pytest.approx(expected, rel=1e-12)
    link = Link("A", "B", 60.0, insertion_loss_db=1.5, systems=2)
    assert link.key_rate_bps == pytest.approx(2 * expected, rel=1e-12)
    assert link.loss_db == pytest.approx(13.5)


def test_detector_dead_time_saturates_short_links() -> None:
    base = QkdSystem.preset("snspd")
    no_dead = QkdSystem(name="no-dead", detector=DetectorConfig(0.8, 1e-7, 0.0, 0.0))
    short_ratio = base.key_rate_bps(1.0) / no_dead.key_rate_bps(1.0)
    long_ratio = base.key_rate_bps(100.0) / no_dead.key_rate_bps(100.0)
    assert short_ratio < 0.9 < long_ratio  # dead time costs key where clicks are frequent
    assert 0 < base.key_rate_bps(100.0) < base.key_rate_bps(20.0)


def test_asymptotic_system_rate_exceeds_finite() -> None:
    finite = QkdSystem.preset("apd").key_rate_bps(50.0)
    asymptotic = QkdSystem.preset("apd-asymptotic").key_rate_bps(50.0)
    assert asymptotic > finite > 0
    assert QkdSystem.preset("apd").key_rate_bps(150.0) == 0.0


def test_topology_indices_and_arrays() -> None:
    net = Topology(
        "t", (Node("A"), Node("B", "user"), Node("C")), (Link("A", "B", 10.0), Link("C", "A", 30.0))
    )
    assert net.link_index("B", "A") == 0
    assert net.find_link("A-C") == 1
    assert net.endpoints.tolist() == [[0, 1], [2, 0]]
    assert net.relays.tolist() == [True, False, True]
    assert net.neighbours("A") == ["B", "C"]
    assert net.path_links(["B", "A", "C"]) == [0, 1]
    assert net.total_fibre_km() == 40.0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Topology("t", (Node("A"), Node("A")), ()), "duplicate node name"),
        (lambda: Topology("t", (Node("A"),), (Link("A", "Z", 1.0),)), "unknown node 'Z'"),
        (
            lambda: Topology(
                "t", (Node("A"), Node("B")), (Link("A", "B", 1.0), Link("B", "A", 2.0))
            ),
            "second link",
        ),
        (lambda: Link("A", "A", 1.0), "to itself"),
        (lambda: Link("A", "B", -1.0), "fibre_km must be >= 0"),
        (lambda: Link("A", "B", 1.0, systems=0), "systems must be"),
        (lambda: Node("X", "router"), "kind must be"),
        (lambda: Node("X", lat_deg=91.0), "lat_deg"),
        (lambda: Topology("t", (), ()), "at least one node"),
    ],
)
def test_invalid_topologies_raise_topology_error(build: object, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        build()  # type: ignore[operator]


def test_unknown_names_raise() -> None:
    net = Topology("t", (Node("A"), Node("B")), (Link("A", "B", 5.0),))
    with pytest.raises(TopologyError, match="no node named"):
        net.node_index("Q")
    with pytest.raises(TopologyError, match="no link"):
        net.link_index("A", "Q")
    with pytest.raises(ConfigError, match="unknown QKD system"):
        QkdSystem.preset("nope")


def test_round_trips() -> None:
    custom = QkdSystem(
        name="fast", detector=DetectorConfig.snspd(), clock_hz=2.5e9, block_pulses=10**9
    )
    assert QkdSystem.from_dict(custom.to_dict()) == custom
    net = Topology(
        "t",
        (Node("A", "user", 55.1, 37.2), Node("B", "trusted", 56.0, 36.0)),
        (Link("A", "B", 42.0, 0.18, 1.0, custom, 2, 12345),),
    )
    assert Topology.from_dict(net.to_dict()) == net
    assert Node.from_dict(net.nodes[0].to_dict()) == net.nodes[0]
    assert Link.from_dict(Link("A", "B", 3.0).to_dict()) == Link("A", "B", 3.0)
    assert Link("A", "B", 3.0).to_dict()["system"] == "apd"


def test_from_dict_names_the_bad_entry() -> None:
    data = {"nodes": [{"name": "A", "lat_deg": 0, "lon_deg": 0}, {"name": "B"}], "links": []}
    with pytest.raises(TopologyError, match=r"nodes\[1\]"):
        Topology.from_dict(data)
    with pytest.raises(TopologyError, match="unknown QKD system field"):
        QkdSystem.from_dict({"colour": "red"})
    assert math.isclose(QkdSystem.from_dict({}).clock_hz, 1e9)
