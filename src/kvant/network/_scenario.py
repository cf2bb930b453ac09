"""A scenario: a topology, the applications' key demands on it, and the faults to play."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kvant.errors import TopologyError
from kvant.network._faults import Fault, check_faults, fault_from_dict
from kvant.network._systems import QkdSystem
from kvant.network._topology import Topology

__all__ = ["Demand", "Scenario"]


@dataclass(frozen=True)
class Demand:
    """An application asking for end-to-end key between two sites at a steady rate.

    Key is requested in whole keys of the simulation's ``key_size_bits``; what cannot be served
    in the step it is asked for is blocked (not queued), as an encryptor that re-keys on a
    timer would see it.

    Attributes:
        a: One site (node name).
        b: The other site.
        rate_bps: Key asked for, bits per second.
        start_s: When the application starts asking.
        end_s: When it stops (None: never).

    >>> Demand("Moscow", "St Petersburg", 1e4).name
    'Moscow->St Petersburg'
    """

    a: str
    b: str
    rate_bps: float
    start_s: float = 0.0
    end_s: float | None = None

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise TopologyError(f"demand {self.name} joins a site to itself")
        if not (math.isfinite(self.rate_bps) and self.rate_bps >= 0):
            raise TopologyError(f"demand {self.name}: rate_bps must be >= 0, got {self.rate_bps}")
        if not (math.isfinite(self.start_s) and self.start_s >= 0):
            raise TopologyError(f"demand {self.name}: start_s must be >= 0")
        if self.end_s is not None and not self.end_s > self.start_s:
            raise TopologyError(f"demand {self.name}: end_s must be after start_s")

    @property
    def name(self) -> str:
        """``"a->b"``."""
        return f"{self.a}->{self.b}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "a": self.a,
            "b": self.b,
            "rate_bps": self.rate_bps,
            "start_s": self.start_s,
            "end_s": self.end_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Demand:
        """Rebuild from :meth:`to_dict` output."""
        end = data.get("end_s")
        return cls(
            str(data["a"]),
            str(data["b"]),
            float(data["rate_bps"]),
            float(data.get("start_s", 0.0)),
            None if end is None else float(end),
        )


@dataclass(frozen=True)
class Scenario:
    """What to simulate: a network, its demands and its faults (validated together).

    Attributes:
        topology: The network.
        demands: Applications asking for key (their sites must exist).
        faults: Link cuts and node outages (their links and nodes must exist).

    >>> from kvant.network import Link, Node, Topology
    >>> net = Topology("t", (Node("A", "user"), Node("B", "user")), (Link("A", "B", 10.0),))
    >>> Scenario(net, (Demand("A", "B", 1e3),)).demands[0].rate_bps
    1000.0
    """

    topology: Topology
    demands: tuple[Demand, ...] = ()
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "demands", tuple(self.demands))
        object.__setattr__(self, "faults", tuple(self.faults))
        for i, demand in enumerate(self.demands):
            for site in (demand.a, demand.b):
                try:
                    self.topology.node_index(site)
                except TopologyError:
                    raise TopologyError(
                        f"demand {demand.name} names unknown site {site!r}", f"demands[{i}]"
                    ) from None
        check_faults(self.topology, self.faults)

    @property
    def name(self) -> str:
        """The topology's name."""
        return self.topology.name

    def with_faults(self, faults: Sequence[Fault]) -> Scenario:
        """The same scenario with these faults added."""
        return Scenario(self.topology, self.demands, (*self.faults, *faults))

    def with_demands(self, demands: Sequence[Demand]) -> Scenario:
        """The same topology and faults with other demands."""
        return Scenario(self.topology, tuple(demands), self.faults)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            **self.topology.to_dict(),
            "demands": [d.to_dict() for d in self.demands],
            "faults": [f.to_dict() for f in self.faults],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], systems: dict[str, QkdSystem] | None = None
    ) -> Scenario:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            TopologyError: for a missing or invalid entry (named in the message).
        """
        topology = Topology.from_dict(data, systems)
        demands, faults = [], []
        for i, item in enumerate(data.get("demands") or []):
            try:
                demands.append(Demand.from_dict(item))
            except TopologyError as exc:
                raise TopologyError(exc.bare_message, f"demands[{i}]") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise TopologyError(f"missing or invalid field: {exc}", f"demands[{i}]") from None
        for i, item in enumerate(data.get("faults") or []):
            if not isinstance(item, dict):
                raise TopologyError("must be a mapping", f"faults[{i}]")
            try:
                faults.append(fault_from_dict(item))
            except TopologyError as exc:
                raise TopologyError(exc.bare_message, f"faults[{i}]") from None
        return cls(topology, tuple(demands), tuple(faults))
