"""Coupling maps: presets, graph queries, Qiskit's heavy-hex as the independent reference."""

from __future__ import annotations

import itertools

import pytest
import rustworkx as rx

from kvant.device import Topology
from kvant.errors import ConfigError


def test_kvant_50_is_a_5_by_10_grid() -> None:
    t = Topology.from_name("kvant-50")
    assert (t.name, t.num_qubits, len(t.couplers)) == ("kvant-50", 50, 5 * 9 + 4 * 10)
    assert t.are_coupled(0, 1)
    assert t.are_coupled(0, 10)
    assert not t.are_coupled(9, 10)
    assert max(t.degree(q) for q in range(50)) == 4
    assert t.distance(0, 49) == 4 + 9
    assert t.is_connected


@pytest.mark.parametrize("distance", [3, 5, 7])
def test_heavy_hex_is_isomorphic_to_qiskits(distance: int) -> None:
    t = Topology.from_name(f"heavy-hex-{distance}")
    assert t.num_qubits == (5 * distance**2 - 2 * distance - 1) // 2
    graph = rx.PyGraph()
    graph.add_nodes_from(range(t.num_qubits))
    graph.add_edges_from_no_data(list(t.couplers))
    assert rx.is_isomorphic(graph, rx.generators.heavy_hex_graph(distance))
    assert max(t.degree(q) for q in range(t.num_qubits)) == 3


def test_line_and_grid_and_paths() -> None:
    line = Topology.from_name("line-4")
    assert line.couplers == ((0, 1), (1, 2), (2, 3))
    assert line.shortest_path(3, 0) == (3, 2, 1, 0)
    grid = Topology.from_name("grid-3x3")
    path = grid.shortest_path(0, 8)
    assert len(path) == 5
    assert all(grid.are_coupled(a, b) for a, b in itertools.pairwise(path))
    assert grid.neighbours(4) == (1, 3, 5, 7)
    assert grid.subgraph_is_connected([0, 1, 4])
    assert not grid.subgraph_is_connected([0, 8])


def test_disconnected_maps_and_positions() -> None:
    t = Topology("two-islands", 4, ((0, 1), (2, 3)))
    assert not t.is_connected
    assert t.distance(0, 3) == -1
    with pytest.raises(ConfigError, match="not connected"):
        t.shortest_path(0, 3)
    assert len(t.positions) == 4  # a spectral layout when none is given


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x", "num_qubits": 0, "couplers": ()}, "num_qubits"),
        ({"name": "x", "num_qubits": 2, "couplers": ((0, 0),)}, "two different"),
        ({"name": "x", "num_qubits": 2, "couplers": ((0, 5),)}, "two different"),
        (
            {"name": "x", "num_qubits": 2, "couplers": ((0, 1),), "positions": ((0, 0),)},
            "positions",
        ),
    ],
)
def test_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Topology(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["line-0", "grid-2", "heavy-hex-4", "heavy-hex-1", "kvant-51"])
def test_bad_names(name: str) -> None:
    with pytest.raises(ConfigError):
        Topology.from_name(name)


def test_round_trip_and_queries_validate() -> None:
    t = Topology.from_name("heavy-hex-3")
    assert Topology.from_dict(t.to_dict()) == t
    with pytest.raises(ConfigError):
        Topology.from_dict({"name": "x"})
    with pytest.raises(ConfigError, match="not on"):
        t.neighbours(99)
