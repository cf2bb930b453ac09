"""Network topology: nodes (trusted nodes, user sites) with coordinates, and QKD links.

A *trusted node* holds key managers for the links that end at it and may relay key between
them. A *user site* hosts applications (key consumers) and terminates links, but never relays.
A link is a fibre with a loss and one or more identical QKD systems on it; its key pool holds
at most ``pool_capacity_bits``.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kvant.errors import TopologyError
from kvant.network._systems import SYSTEM_PRESETS, QkdSystem

__all__ = ["EARTH_RADIUS_KM", "Link", "Node", "NodeKind", "Topology", "great_circle_km"]

NodeKind = Literal["trusted", "user"]
EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), for great-circle distances."""

_DEFAULT_POOL_BITS = 10**9


def great_circle_km(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Great-circle distance on a sphere of radius :data:`EARTH_RADIUS_KM` (haversine).

    >>> round(great_circle_km(55.7767, 37.6553, 59.9300, 30.3625))  # Moscow - St Petersburg
    631
    """
    p1, l1, p2, l2 = map(math.radians, (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _where(where: str | None, message: str) -> TopologyError:
    return TopologyError(message, where)


@dataclass(frozen=True)
class Node:
    """A network node.

    Attributes:
        name: Unique name.
        kind: ``"trusted"`` (relays key) or ``"user"`` (an application site; never relays).
        lat_deg: Latitude in degrees.
        lon_deg: Longitude in degrees.

    >>> Node("Tver", "trusted", 56.835, 35.894).kind
    'trusted'
    """

    name: str
    kind: NodeKind = "trusted"
    lat_deg: float = 0.0
    lon_deg: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise TopologyError(f"a node needs a non-empty name, got {self.name!r}")
        if self.kind not in ("trusted", "user"):
            raise TopologyError(f"node {self.name!r}: kind must be 'trusted' or 'user'")
        if not (math.isfinite(self.lat_deg) and -90.0 <= self.lat_deg <= 90.0):
            raise TopologyError(f"node {self.name!r}: lat_deg must be in [-90, 90]")
        if not (math.isfinite(self.lon_deg) and -180.0 <= self.lon_deg <= 180.0):
            raise TopologyError(f"node {self.name!r}: lon_deg must be in [-180, 180]")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "name": self.name,
            "kind": self.kind,
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Node:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            str(data["name"]),
            data.get("kind", "trusted"),
            float(data["lat_deg"]),
            float(data["lon_deg"]),
        )


@dataclass(frozen=True)
class Link:
    """A QKD link: a fibre between two nodes with ``systems`` identical QKD systems on it.

    Attributes:
        a: Name of one end.
        b: Name of the other end.
        fibre_km: Fibre length.
        attenuation_db_per_km: Fibre loss per km.
        insertion_loss_db: Length-independent loss (connectors, splices).
        system: The QKD system installed (one transmitter/receiver pair).
        systems: How many such systems run in parallel on separate fibres (their rates add).
        pool_capacity_bits: Most key the link's pool holds (at each end, identically).

    >>> link = Link("Klin", "Tver", 60.0)
    >>> link.name, link.loss_db
    ('Klin-Tver', 12.0)
    """

    a: str
    b: str
    fibre_km: float
    attenuation_db_per_km: float = 0.2
    insertion_loss_db: float = 0.0
    system: QkdSystem = field(default_factory=QkdSystem)
    systems: int = 1
    pool_capacity_bits: int = _DEFAULT_POOL_BITS

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise TopologyError(f"link {self.a}-{self.b} joins a node to itself")
        for name, value in (
            ("fibre_km", self.fibre_km),
            ("attenuation_db_per_km", self.attenuation_db_per_km),
            ("insertion_loss_db", self.insertion_loss_db),
        ):
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise TopologyError(f"link {self.a}-{self.b}: {name} must be >= 0, got {value!r}")
        if not isinstance(self.systems, int) or self.systems < 1:
            raise TopologyError(f"link {self.name}: systems must be an int >= 1")
        if not isinstance(self.pool_capacity_bits, int) or self.pool_capacity_bits < 1:
            raise TopologyError(f"link {self.name}: pool_capacity_bits must be an int >= 1")

    @property
    def name(self) -> str:
        """``"a-b"``."""
        return f"{self.a}-{self.b}"

    @property
    def loss_db(self) -> float:
        """Total channel loss in dB."""
        return self.attenuation_db_per_km * self.fibre_km + self.insertion_loss_db

    @property
    def key_rate_bps(self) -> float:
        """Secret key rate of the link: ``systems`` times one system's physics rate."""
        return self.systems * self.system.key_rate_bps(
            self.fibre_km, self.attenuation_db_per_km, self.insertion_loss_db
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict` (a preset system by name)."""
        preset = SYSTEM_PRESETS.get(self.system.name)
        return {
            "a": self.a,
            "b": self.b,
            "fibre_km": self.fibre_km,
            "attenuation_db_per_km": self.attenuation_db_per_km,
            "insertion_loss_db": self.insertion_loss_db,
            "system": self.system.name if preset == self.system else self.system.to_dict(),
            "systems": self.systems,
            "pool_capacity_bits": self.pool_capacity_bits,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], systems: dict[str, QkdSystem] | None = None) -> Link:
        """Rebuild from :meth:`to_dict` output.

        Args:
            data: The dict. ``system`` is a preset name, a name in ``systems``, or a dict.
            systems: Extra named systems (a scenario file's ``systems`` section).
        """
        raw = data.get("system", "apd")
        if isinstance(raw, dict):
            system = QkdSystem.from_dict(raw)
        elif systems is not None and raw in systems:
            system = systems[raw]
        else:
            system = QkdSystem.preset(str(raw))
        return cls(
            str(data["a"]),
            str(data["b"]),
            float(data["fibre_km"]),
            float(data.get("attenuation_db_per_km", 0.2)),
            float(data.get("insertion_loss_db", 0.0)),
            system,
            int(data.get("systems", 1)),
            int(data.get("pool_capacity_bits", _DEFAULT_POOL_BITS)),
        )


@dataclass(frozen=True)
class Topology:
    """Nodes and links of a QKD network (validated; indices follow the given order).

    Attributes:
        name: A label.
        nodes: The nodes, unique names.
        links: The links, each joining two known nodes, at most one per pair.

    >>> net = Topology("toy", (Node("A"), Node("B"), Node("C")),
    ...                (Link("A", "B", 20.0), Link("B", "C", 30.0)))
    >>> net.node_index("C"), net.link_index("C", "B")
    (2, 1)
    """

    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "links", tuple(self.links))
        if not self.nodes:
            raise TopologyError("a topology needs at least one node")
        seen: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            if node.name in seen:
                raise _where(f"nodes[{i}].name", f"duplicate node name {node.name!r}")
            seen[node.name] = i
        pairs: set[frozenset[str]] = set()
        for i, link in enumerate(self.links):
            for end in (link.a, link.b):
                if end not in seen:
                    raise _where(f"links[{i}]", f"link {link.name} names unknown node {end!r}")
            pair = frozenset((link.a, link.b))
            if pair in pairs:
                raise _where(
                    f"links[{i}]",
                    f"a second link between {link.a} and {link.b}; raise its 'systems' instead",
                )
            pairs.add(pair)

    @functools.cached_property
    def _node_ids(self) -> dict[str, int]:
        return {n.name: i for i, n in enumerate(self.nodes)}

    @functools.cached_property
    def _link_ids(self) -> dict[frozenset[str], int]:
        return {frozenset((link.a, link.b)): i for i, link in enumerate(self.links)}

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def num_links(self) -> int:
        """Number of links."""
        return len(self.links)

    def node_index(self, name: str) -> int:
        """Index of a node.

        Raises:
            TopologyError: for an unknown name.
        """
        try:
            return self._node_ids[name]
        except KeyError:
            raise TopologyError(f"no node named {name!r} in {self.name}") from None

    def link_index(self, a: str, b: str) -> int:
        """Index of the link between ``a`` and ``b`` (either order).

        Raises:
            TopologyError: if there is no such link.
        """
        try:
            return self._link_ids[frozenset((a, b))]
        except KeyError:
            raise TopologyError(f"no link between {a!r} and {b!r} in {self.name}") from None

    def find_link(self, name: str) -> int:
        """Index of a link given as ``"A-B"`` (node names may contain ``-``)."""
        for i, link in enumerate(self.links):
            if name in (link.name, f"{link.b}-{link.a}"):
                return i
        raise TopologyError(f"no link named {name!r} in {self.name}")

    @functools.cached_property
    def endpoints(self) -> NDArray[np.int64]:
        """Node indices of each link's ends, shape (links, 2)."""
        out = np.array(
            [(self._node_ids[x.a], self._node_ids[x.b]) for x in self.links], dtype=np.int64
        )
        return out.reshape(len(self.links), 2)

    @functools.cached_property
    def key_rates_bps(self) -> NDArray[np.float64]:
        """Secret key rate of each link from its physics, shape (links,)."""
        return np.array([link.key_rate_bps for link in self.links], dtype=np.float64)

    @functools.cached_property
    def fibre_km(self) -> NDArray[np.float64]:
        """Fibre length of each link, shape (links,)."""
        return np.array([link.fibre_km for link in self.links], dtype=np.float64)

    @functools.cached_property
    def relays(self) -> NDArray[np.bool_]:
        """Whether each node may relay key (trusted nodes), shape (nodes,)."""
        return np.array([n.kind == "trusted" for n in self.nodes], dtype=bool)

    def neighbours(self, name: str) -> list[str]:
        """Names of the nodes linked to ``name``."""
        self.node_index(name)
        return [x.b if x.a == name else x.a for x in self.links if name in (x.a, x.b)]

    def path_links(self, path: Sequence[str]) -> list[int]:
        """Link indices along a node path.

        Raises:
            TopologyError: if two consecutive nodes are not linked.
        """
        return [self.link_index(a, b) for a, b in itertools.pairwise(path)]

    def total_fibre_km(self) -> float:
        """Sum of the fibre lengths."""
        return float(self.fibre_km.sum()) if self.links else 0.0

    def with_links(self, links: Iterable[Link]) -> Topology:
        """The same nodes with other links."""
        return Topology(self.name, self.nodes, tuple(links))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the loader's schema without the ``version`` key)."""
        return {
            "name": self.name,
            "nodes": [n.to_dict() for n in self.nodes],
            "links": [x.to_dict() for x in self.links],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], systems: dict[str, QkdSystem] | None = None
    ) -> Topology:
        """Rebuild from :meth:`to_dict` output (errors name the offending entry).

        Raises:
            TopologyError: for a missing or invalid field.
        """
        built: dict[str, list[Any]] = {"nodes": [], "links": []}
        for key, items in (("nodes", data.get("nodes")), ("links", data.get("links", []))):
            if not isinstance(items, list):
                raise TopologyError(f"'{key}' must be a list", key)
            for i, item in enumerate(items):
                try:
                    if not isinstance(item, dict):
                        raise TopologyError("must be a mapping")
                    built[key].append(
                        Node.from_dict(item) if key == "nodes" else Link.from_dict(item, systems)
                    )
                except TopologyError as exc:
                    raise TopologyError(exc.bare_message, f"{key}[{i}]") from None
                except (KeyError, TypeError, ValueError) as exc:
                    raise TopologyError(f"missing or invalid field: {exc}", f"{key}[{i}]") from None
        name = str(data.get("name", "network"))
        return cls(name, tuple(built["nodes"]), tuple(built["links"]))
