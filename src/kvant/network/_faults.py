"""Faults: link cuts and node outages at given times, and the network state they leave.

A cut link produces no key and carries no relay while it is down; its pool keeps its key (the
key managers at both ends still hold it). A node outage takes down every link at the node and
stops relays through it; with ``purge_keys`` the pools of those links are discarded when the
outage starts (an operator who can no longer vouch for the node's key store throws it away),
which the simulation counts as wasted key. A fault takes effect at the first time step that
starts at or after its time (and ends likewise); routing is recomputed there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import TopologyError
from kvant.network._topology import Topology

__all__ = ["Fault", "LinkCut", "NodeOutage", "fault_from_dict", "network_state"]


def _check_times(what: str, start_s: float, end_s: float | None) -> None:
    if not (math.isfinite(start_s) and start_s >= 0):
        raise TopologyError(f"{what}: start_s must be >= 0, got {start_s}")
    if end_s is not None and not (math.isfinite(end_s) and end_s > start_s):
        raise TopologyError(f"{what}: end_s must be after start_s, got {end_s}")


@dataclass(frozen=True)
class LinkCut:
    """A fibre cut: the link is down from ``start_s`` until ``end_s`` (None: for good).

    Attributes:
        link: The link, ``"A-B"`` (either order).
        start_s: When it goes down, seconds from the start of the simulation.
        end_s: When it is repaired, or None.

    >>> LinkCut("Tver-Klin", 3600.0, 7200.0).active_at(5000.0)
    True
    """

    link: str
    start_s: float
    end_s: float | None = None

    def __post_init__(self) -> None:
        _check_times(f"cut of {self.link}", self.start_s, self.end_s)

    def active_at(self, time_s: float) -> bool:
        """Whether the link is down at ``time_s``."""
        return self.start_s <= time_s and (self.end_s is None or time_s < self.end_s)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :func:`fault_from_dict`."""
        return {"type": "link-cut", "link": self.link, "start_s": self.start_s, "end_s": self.end_s}


@dataclass(frozen=True)
class NodeOutage:
    """A node outage: every link at the node is down and nothing relays through it.

    Attributes:
        node: The node's name.
        start_s: When it goes down.
        end_s: When it is back, or None.
        purge_keys: Discard the key in the pools of its links when the outage starts.

    >>> NodeOutage("Bologoye", 0.0, purge_keys=True).purge_keys
    True
    """

    node: str
    start_s: float
    end_s: float | None = None
    purge_keys: bool = False

    def __post_init__(self) -> None:
        _check_times(f"outage of {self.node}", self.start_s, self.end_s)

    def active_at(self, time_s: float) -> bool:
        """Whether the node is down at ``time_s``."""
        return self.start_s <= time_s and (self.end_s is None or time_s < self.end_s)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :func:`fault_from_dict`."""
        return {
            "type": "node-outage",
            "node": self.node,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "purge_keys": self.purge_keys,
        }


Fault = LinkCut | NodeOutage


def fault_from_dict(data: dict[str, Any]) -> Fault:
    """Rebuild a fault from its ``to_dict`` form.

    Raises:
        TopologyError: for an unknown type or a missing field.

    >>> fault_from_dict({"type": "link-cut", "link": "A-B", "start_s": 10})
    LinkCut(link='A-B', start_s=10.0, end_s=None)
    """
    try:
        kind = data["type"]
        end = data.get("end_s")
        end_s = None if end is None else float(end)
        if kind == "link-cut":
            return LinkCut(str(data["link"]), float(data["start_s"]), end_s)
        if kind == "node-outage":
            return NodeOutage(
                str(data["node"]),
                float(data["start_s"]),
                end_s,
                bool(data.get("purge_keys", False)),
            )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TopologyError):
            raise
        raise TopologyError(f"fault {data!r}: missing or invalid field ({exc})") from None
    raise TopologyError(f"unknown fault type {kind!r}; use 'link-cut' or 'node-outage'")


def check_faults(topology: Topology, faults: Sequence[Fault]) -> None:
    """Raise :class:`TopologyError` if a fault names an unknown link or node."""
    for fault in faults:
        if isinstance(fault, LinkCut):
            topology.find_link(fault.link)
        else:
            topology.node_index(fault.node)


def network_state(
    topology: Topology, faults: Sequence[Fault], time_s: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which links and nodes are up at ``time_s``.

    Args:
        topology: The network.
        faults: The faults.
        time_s: The time.

    Returns:
        (links up, shape (links,); nodes up, shape (nodes,)). A link is down if it is cut or
        either end is down.

    >>> from kvant.network import Link, Node, Topology
    >>> net = Topology("t", (Node("A"), Node("B")), (Link("A", "B", 10.0),))
    >>> links, nodes = network_state(net, [NodeOutage("B", 0.0)], 1.0)
    >>> links.tolist(), nodes.tolist()
    ([False], [True, False])
    """
    links_up = np.ones(topology.num_links, dtype=bool)
    nodes_up = np.ones(topology.num_nodes, dtype=bool)
    for fault in faults:
        if not fault.active_at(time_s):
            continue
        if isinstance(fault, LinkCut):
            links_up[topology.find_link(fault.link)] = False
        else:
            nodes_up[topology.node_index(fault.node)] = False
    if topology.num_links:
        ends = topology.endpoints
        links_up &= nodes_up[ends[:, 0]] & nodes_up[ends[:, 1]]
    return links_up, nodes_up


def fault_times(faults: Sequence[Fault]) -> list[float]:
    """Sorted distinct times at which the network state may change."""
    times = {f.start_s for f in faults} | {f.end_s for f in faults if f.end_s is not None}
    return sorted(times)


def purges_at(
    topology: Topology, faults: Sequence[Fault], step: int, step_s: float
) -> NDArray[np.bool_]:
    """Links whose pools are discarded at the start of step ``step``: those at a node whose
    outage with ``purge_keys`` starts within the step before (``ceil(start_s / step_s) == step``).
    """
    out = np.zeros(topology.num_links, dtype=bool)
    for fault in faults:
        if not (isinstance(fault, NodeOutage) and fault.purge_keys and topology.num_links):
            continue
        if math.ceil(fault.start_s / step_s - 1e-9) == step:
            out |= (topology.endpoints == topology.node_index(fault.node)).any(axis=1)
    return out
