"""Routing: compiled Dijkstra against SciPy, trusted-node rules, link-disjoint multipath."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from kvant.errors import ConfigError, NetworkError
from kvant.network import (
    Link,
    Node,
    Topology,
    available_key_weights,
    disjoint_paths,
    regional_mesh,
    shortest_path,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shortest_paths_match_scipy(seed: int) -> None:
    net = regional_mesh(30, seed=seed).topology
    trusted = [n for n in net.nodes if n.kind == "trusted"]
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.1, 5.0, net.num_links)
    ends = net.endpoints
    # SciPy on the trusted nodes only (users never relay, so they are left out)
    keep = np.array(
        [net.nodes[a].kind == "trusted" and net.nodes[b].kind == "trusted" for a, b in ends]
    )
    n = net.num_nodes
    matrix = csr_matrix((weights[keep], (ends[keep, 0], ends[keep, 1])), shape=(n, n))
    dist = dijkstra(matrix, directed=False)
    for k in range(10):
        a, b = rng.choice(len(trusted), 2, replace=False)
        path = shortest_path(net, trusted[a].name, trusted[b].name, weights=weights)
        length = sum(weights[i] for i in net.path_links(path))
        ia, ib = net.node_index(trusted[a].name), net.node_index(trusted[b].name)
        assert length == pytest.approx(dist[ia, ib], rel=1e-12), k


def test_user_sites_never_relay_and_down_links_are_avoided() -> None:
    nodes = (Node("A"), Node("U", "user"), Node("B"), Node("C"))
    links = (Link("A", "U", 1.0), Link("U", "B", 1.0), Link("A", "C", 10.0), Link("C", "B", 10.0))
    net = Topology("t", nodes, links)
    assert shortest_path(net, "A", "B") == ["A", "C", "B"]  # not through the user site
    assert shortest_path(net, "U", "B") == ["U", "B"]  # a user site can be an end
    up = np.array([True, True, False, True])
    with pytest.raises(NetworkError, match="no path"):
        shortest_path(net, "A", "B", links_up=up)
    assert shortest_path(net, "U", "C", links_up=up) == ["U", "B", "C"]
    down = np.array([True, True, True, False])
    with pytest.raises(NetworkError):
        shortest_path(net, "A", "C", nodes_up=down)


def test_disjoint_paths_share_no_link() -> None:
    net = regional_mesh(36, seed=5).topology
    paths = disjoint_paths(net, "N07", "N28", k=3)  # interior nodes: 4+ neighbours each
    assert len(paths) == 3
    used = [set(net.path_links(p)) for p in paths]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not used[i] & used[j]
    lengths = [sum(net.fibre_km[list(u)]) for u in used]
    assert lengths[0] == min(lengths)


def test_weights_prefer_stocked_links() -> None:
    w = available_key_weights(np.array([0.0, 1e6, 1e9]), 256)
    assert w[0] == 1.0
    assert w[0] > w[1] > w[2] > 0
    ring = Topology(
        "r",
        tuple(Node(x) for x in "ABCD"),
        tuple(Link(a, b, 10.0) for a, b in ("AB", "BC", "CD", "DA")),
    )
    stocked = available_key_weights(np.array([0.0, 0.0, 1e8, 1e8]), 256)
    assert shortest_path(ring, "A", "C", weights=stocked) == ["A", "D", "C"]


def test_routing_arguments() -> None:
    net = regional_mesh(9, seed=1).topology
    with pytest.raises(ConfigError, match="k must be"):
        disjoint_paths(net, "N0", "N1", k=0)
    with pytest.raises(ConfigError, match="same node"):
        shortest_path(net, "N0", "N0")
    with pytest.raises(ConfigError, match="weight"):
        shortest_path(net, "N0", "N1", weights=[1.0])


def test_multipath_from_a_single_homed_site_shares_only_its_access_link(ring) -> None:  # type: ignore[no-untyped-def]
    paths = disjoint_paths(ring.topology, "U0", "U1", k=3)
    assert sorted(paths) == [["U0", "A", "B", "C", "U1"], ["U0", "A", "D", "C", "U1"]]
