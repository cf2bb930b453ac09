"""Routing over a graph weighted by available key: shortest paths and link-disjoint multipath.

Links are weighted by the inverse of the key they can offer: ``w = 1 / (1 + a / key_size)``
with ``a`` the bits in the pool plus what the link will produce before the next routing epoch,
so a path through full pools is cheap and a drained or slow link is avoided; every hop costs
something, so among equally stocked paths the shorter one wins. Links that are down, and nodes
that are down or may not relay (user sites), are never crossed; a user site can only be a
path's end. Dijkstra runs compiled (Numba, binary heap) on a CSR adjacency, so re-routing every
epoch stays cheap on networks of thousands of nodes. Multipath takes up to ``k`` paths, each
the shortest once the previous ones' links carry a penalty larger than any simple path: they
are link-disjoint wherever the network allows and share only unavoidable links (such as the
access link of a single-homed user site).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from kvant.errors import ConfigError, NetworkError
from kvant.network._topology import Topology

__all__ = ["Graph", "available_key_weights", "disjoint_paths", "route_all", "shortest_path"]

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Graph:
    """CSR adjacency of a topology: node ``u``'s neighbours are ``neighbour[indptr[u]:
    indptr[u+1]]`` reached over links ``link[...]``."""

    indptr: I64
    neighbour: I64
    link: I64

    @classmethod
    def of(cls, topology: Topology) -> Graph:
        """Build the adjacency (both directions of every link)."""
        n, ends = topology.num_nodes, topology.endpoints
        src = np.concatenate([ends[:, 0], ends[:, 1]])
        dst = np.concatenate([ends[:, 1], ends[:, 0]])
        lnk = np.concatenate([np.arange(len(ends)), np.arange(len(ends))]).astype(np.int64)
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        return cls(indptr, dst[order].astype(np.int64), lnk[order])


def available_key_weights(
    available_bits: NDArray[np.float64], key_size_bits: int
) -> NDArray[np.float64]:
    """Link weights ``1 / (1 + available / key_size)`` (see the module docstring).

    >>> available_key_weights(np.array([0.0, 256.0, 2560.0]), 256).round(3).tolist()
    [1.0, 0.5, 0.091]
    """
    return 1.0 / (1.0 + np.maximum(available_bits, 0.0) / float(key_size_bits))


@njit(cache=True, inline="always")
def _push(hk, hv, size, key, val):  # type: ignore[no-untyped-def]
    """Binary min-heap push on arrays (keys hk, values hv); returns the new size."""
    i = size
    hk[i] = key
    hv[i] = val
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hv[p], hv[i] = hv[i], hv[p]
        i = p
    return size + 1


@njit(cache=True, inline="always")
def _pop(hk, hv, size):  # type: ignore[no-untyped-def]
    """Remove the heap's minimum (moved to index ``size - 1``); returns the new size."""
    size -= 1
    hk[0], hk[size] = hk[size], hk[0]
    hv[0], hv[size] = hv[size], hv[0]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hk[c + 1] < hk[c]:
            c += 1
        if hk[i] <= hk[c]:
            break
        hk[c], hk[i] = hk[i], hk[c]
        hv[c], hv[i] = hv[i], hv[c]
        i = c
    return size


@njit(cache=True)
def _dijkstra(  # type: ignore[no-untyped-def]
    indptr,
    neighbour,
    link,
    weight,
    link_ok,
    relay_ok,
    src,
    dst,
    out_nodes,
    dist,
    prev,
    done,
    hk,
    hv,
):
    """Shortest path src -> dst; writes nodes into out_nodes, returns the hop count (-1: none).

    dist, prev, done, hk, hv are scratch arrays (nodes, nodes, nodes, edges + 1, edges + 1).
    """
    dist[:] = np.inf
    prev[:] = -1
    done[:] = False
    dist[src] = 0.0
    size = _push(hk, hv, 0, 0.0, src)
    while size > 0:
        size = _pop(hk, hv, size)
        d, u = hk[size], hv[size]
        if done[u]:
            continue
        done[u] = True
        if u == dst:
            break
        if u != src and not relay_ok[u]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            lk = link[e]
            if not link_ok[lk]:
                continue
            v = neighbour[e]
            nd = d + weight[lk]
            if nd < dist[v]:
                dist[v] = nd
                prev[v] = u
                size = _push(hk, hv, size, nd, v)
    if not done[dst]:
        return -1
    hops = 0
    v = dst
    while v != src:
        v = prev[v]
        hops += 1
    v = dst
    for i in range(hops, -1, -1):
        out_nodes[i] = v
        v = prev[v]
    return hops


@njit(cache=True)
def _route_all(  # type: ignore[no-untyped-def]
    indptr,
    neighbour,
    link,
    weight,
    link_ok,
    relay_ok,
    src,
    dst,
    max_paths,
    out_nodes,
    out_links,
    out_hops,
):
    """Up to max_paths paths per (src, dst) pair, slot d * max_paths + k: after each path its
    links get a penalty larger than any simple path, so the next path avoids them if it can
    (link-disjoint) and shares only unavoidable links; a repeated path ends the search."""
    n = indptr.size - 1
    nodes = np.empty(n, dtype=np.int64)
    dist = np.empty(n)
    prev = np.empty(n, dtype=np.int64)
    done = np.empty(n, dtype=np.bool_)
    hk = np.empty(neighbour.size + 1)
    hv = np.empty(neighbour.size + 1, dtype=np.int64)
    penalty = 1.0 + weight.sum()
    for d in range(src.size):
        w = weight.copy()
        for k in range(max_paths):
            slot = d * max_paths + k
            out_hops[slot] = 0
            hops = _dijkstra(
                indptr,
                neighbour,
                link,
                w,
                link_ok,
                relay_ok,
                src[d],
                dst[d],
                nodes,
                dist,
                prev,
                done,
                hk,
                hv,
            )
            if hops <= 0:
                break
            repeated = False
            for q in range(k):
                prior = d * max_paths + q
                if out_hops[prior] == hops:
                    same = True
                    for i in range(hops + 1):
                        if out_nodes[prior, i] != nodes[i]:
                            same = False
                            break
                    if same:
                        repeated = True
            if repeated:
                break
            out_hops[slot] = hops
            for i in range(hops + 1):
                out_nodes[slot, i] = nodes[i]
            for i in range(hops):
                u, v = nodes[i], nodes[i + 1]
                best_e = -1
                for e in range(indptr[u], indptr[u + 1]):
                    if neighbour[e] == v and link_ok[link[e]]:
                        best_e = e
                        break
                out_links[slot, i] = link[best_e]
                w[link[best_e]] += penalty


def route_all(
    graph: Graph,
    weight: NDArray[np.float64],
    links_up: NDArray[np.bool_],
    relay_ok: NDArray[np.bool_],
    sources: I64,
    destinations: I64,
    max_paths: int,
) -> tuple[I64, I64, I64]:
    """Paths for many demands at once.

    Args:
        graph: The adjacency.
        weight: Link weights, shape (links,).
        links_up: Usable links.
        relay_ok: Nodes that may be crossed (trusted and up).
        sources: Source node of each demand.
        destinations: Destination node of each demand.
        max_paths: Paths per demand (1: shortest path only).

    Returns:
        (nodes, links, hops): slot ``d * max_paths + k`` is demand ``d``'s ``k``-th path; nodes
        shape (slots, max hops + 1), links shape (slots, max hops), both padded with -1; hops 0
        for an empty slot.
    """
    n_slots = len(sources) * max_paths
    width = graph.indptr.size  # nodes + 1 >= hops + 1
    nodes = np.full((n_slots, width), -1, dtype=np.int64)
    links = np.full((n_slots, max(width - 1, 1)), -1, dtype=np.int64)
    hops = np.zeros(n_slots, dtype=np.int64)
    _route_all(
        graph.indptr,
        graph.neighbour,
        graph.link,
        np.asarray(weight, np.float64),
        np.asarray(links_up, np.bool_),
        np.asarray(relay_ok, np.bool_),
        np.asarray(sources, np.int64),
        np.asarray(destinations, np.int64),
        max_paths,
        nodes,
        links,
        hops,
    )
    h = int(hops.max()) if hops.size else 0
    return nodes[:, : h + 1], links[:, : max(h, 1)], hops


def _prepare(
    topology: Topology,
    weights: NDArray[np.float64] | Sequence[float] | None,
    links_up: NDArray[np.bool_] | None,
    nodes_up: NDArray[np.bool_] | None,
) -> tuple[Graph, NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    w = topology.fibre_km if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (topology.num_links,) or (w < 0).any() or not np.isfinite(w).all():
        raise ConfigError(f"give one finite weight >= 0 per link ({topology.num_links})")
    up = np.ones(topology.num_links, bool) if links_up is None else np.asarray(links_up, bool)
    nup = np.ones(topology.num_nodes, bool) if nodes_up is None else np.asarray(nodes_up, bool)
    return Graph.of(topology), w, up, topology.relays & nup


def disjoint_paths(
    topology: Topology,
    a: str,
    b: str,
    k: int = 2,
    *,
    weights: NDArray[np.float64] | Sequence[float] | None = None,
    links_up: NDArray[np.bool_] | None = None,
    nodes_up: NDArray[np.bool_] | None = None,
) -> list[list[str]]:
    """Up to ``k`` distinct paths from ``a`` to ``b``, link-disjoint where the network allows
    (see the module docstring), each the shortest given the previous ones.

    Args:
        topology: The network.
        a: Source node.
        b: Destination node.
        k: Most paths.
        weights: Link weights (default: fibre km).
        links_up: Usable links (default all).
        nodes_up: Nodes that are up (default all).

    Returns:
        Node-name paths, possibly fewer than ``k`` (empty if ``a`` and ``b`` are not joined).

    Raises:
        TopologyError: for unknown nodes.
        ConfigError: for bad weights or ``k < 1``.

    >>> from kvant.network import Link, Node, Topology
    >>> ring = Topology("ring", tuple(Node(x) for x in "ABCD"), (Link("A", "B", 10.0),
    ...     Link("B", "C", 10.0), Link("C", "D", 10.0), Link("D", "A", 10.0)))
    >>> disjoint_paths(ring, "A", "C")
    [['A', 'B', 'C'], ['A', 'D', 'C']]
    """
    if not isinstance(k, int) or k < 1:
        raise ConfigError(f"k must be an int >= 1, got {k!r}")
    src, dst = topology.node_index(a), topology.node_index(b)
    if src == dst:
        raise ConfigError("source and destination are the same node")
    graph, w, up, relay = _prepare(topology, weights, links_up, nodes_up)
    if nodes_up is not None and not (nodes_up[src] and nodes_up[dst]):
        return []
    nodes, _, hops = route_all(graph, w, up, relay, np.array([src]), np.array([dst]), k)
    names = [n.name for n in topology.nodes]
    return [[names[i] for i in nodes[s, : hops[s] + 1]] for s in range(k) if hops[s] > 0]


def shortest_path(
    topology: Topology,
    a: str,
    b: str,
    *,
    weights: NDArray[np.float64] | Sequence[float] | None = None,
    links_up: NDArray[np.bool_] | None = None,
    nodes_up: NDArray[np.bool_] | None = None,
) -> list[str]:
    """The shortest path from ``a`` to ``b`` (only trusted nodes relay).

    Args:
        topology: The network.
        a: Source node.
        b: Destination node.
        weights: Link weights (default: fibre km).
        links_up: Usable links (default all).
        nodes_up: Nodes that are up (default all).

    Returns:
        Node names, ``a`` first.

    Raises:
        NetworkError: if no path joins them.

    >>> from kvant.network import moscow_spb
    >>> len(shortest_path(moscow_spb().topology, "Moscow", "St Petersburg"))
    15
    """
    paths = disjoint_paths(topology, a, b, 1, weights=weights, links_up=links_up, nodes_up=nodes_up)
    if not paths:
        raise NetworkError(f"no path from {a} to {b} through trusted nodes that are up")
    return paths[0]
