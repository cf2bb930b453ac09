"""Small networks for the network tests (real link physics, tiny sizes)."""

from __future__ import annotations

import pytest

from kvant.network import Demand, Link, Node, Scenario, Topology


def chain(lengths_km: list[float], *, capacity_bits: int = 10**8) -> Topology:
    """A line of trusted nodes N0 - N1 - ... with the given hop lengths (apd systems)."""
    nodes = tuple(
        Node(f"N{i}", "trusted", 55.0 + 0.5 * i, 37.0) for i in range(len(lengths_km) + 1)
    )
    links = tuple(
        Link(f"N{i}", f"N{i + 1}", km, pool_capacity_bits=capacity_bits)
        for i, km in enumerate(lengths_km)
    )
    return Topology("chain", nodes, links)


def ring_with_users() -> Scenario:
    """Users U0, U1 on a ring of four trusted nodes: two link-disjoint routes between them.

    U0 - A, U1 - C; ring A - B - C - D - A. Ring links are 60 km (about 67 kbit/s each with
    the apd system), access links 10 km.
    """
    nodes = (
        Node("A", "trusted", 55.0, 37.0),
        Node("B", "trusted", 55.5, 37.5),
        Node("C", "trusted", 55.0, 38.0),
        Node("D", "trusted", 54.5, 37.5),
        Node("U0", "user", 55.0, 36.9),
        Node("U1", "user", 55.0, 38.1),
    )
    links = (
        Link("A", "B", 60.0),
        Link("B", "C", 60.0),
        Link("C", "D", 60.0),
        Link("D", "A", 60.0),
        Link("U0", "A", 10.0),
        Link("U1", "C", 10.0),
    )
    return Scenario(Topology("ring", nodes, links), (Demand("U0", "U1", 1e4),))


@pytest.fixture
def ring() -> Scenario:
    return ring_with_users()


@pytest.fixture
def make_chain():  # type: ignore[no-untyped-def]
    return chain
