"""Key supply: cut the key a QKD link delivers into store units that both KMEs name alike.

A KME gets key from each QKD link that ends at its node. The two ends of a link hold the same
key (a :class:`~kvant.qkd.KeyBlock` from the post-processing pipeline, whose ``key_id`` both
sides learn over the authenticated classical channel, or, when no pipeline runs, the link's
seeded :class:`~kvant.network.LinkKeyStream` as in the network simulation). Each KME cuts that
key into units of ``unit_size_bits`` and names unit ``i`` of a source ``s``
``uuid5(UNIT_ID_NAMESPACE, f"{s}/{i}")`` (RFC 4122 section 4.3), so both KMEs store identical
units under identical ids without exchanging them; trailing bits that do not fill a unit are
dropped. Supplying the same units twice is harmless (the store skips ids it has seen).

>>> import numpy as np
>>> feed = LinkFeed("moscow-klin", seed=7, link_index=0, rate_bps=1024.0, unit_size_bits=256)
>>> a, b = feed.units_between(0.0, 1.0), feed.units_between(0.0, 1.0)
>>> len(a), a == b, a[0].key_id == unit_id("moscow-klin", 0)
(4, True, True)
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from kvant.errors import ConfigError
from kvant.kms._store import KeyStore, KeyUnit

if TYPE_CHECKING:  # the QKD and network rooms are imported only where used (fast KME start-up)
    from kvant.network import Topology
    from kvant.qkd import KeyBlock

__all__ = [
    "UNIT_ID_NAMESPACE",
    "LinkFeed",
    "SupplyReport",
    "supply_blocks",
    "unit_id",
    "units_from_bytes",
    "units_from_keyblock",
]

UNIT_ID_NAMESPACE = uuid.UUID("56625c6d-0c3a-540b-8a12-a3742a686c38")
"""Namespace of unit ids: uuid5(NAMESPACE_URL, "https://kvant.dev/kms/unit-id")."""


def unit_id(source_id: str, index: int) -> str:
    """Id of unit ``index`` cut from key source ``source_id`` (a KeyBlock id, a link name).

    >>> unit_id("block-1", 0) == str(uuid.uuid5(UNIT_ID_NAMESPACE, "block-1/0"))
    True
    """
    return str(uuid.uuid5(UNIT_ID_NAMESPACE, f"{source_id}/{index}"))


def _check_unit_size(unit_size_bits: object) -> int:
    if isinstance(unit_size_bits, bool) or not isinstance(unit_size_bits, int):
        raise ConfigError(f"unit_size_bits must be an int, got {unit_size_bits!r}")
    if unit_size_bits < 8 or unit_size_bits % 8:
        raise ConfigError(f"unit_size_bits must be a positive multiple of 8, got {unit_size_bits}")
    return unit_size_bits


def units_from_bytes(
    source_id: str, key: bytes | np.ndarray[Any, Any], unit_size_bits: int, first_index: int = 0
) -> list[KeyUnit]:
    """Cut ``key`` into whole units named after ``source_id`` (trailing bits are dropped).

    Args:
        source_id: Name of the key source, known to both ends (e.g. a KeyBlock id).
        key: The key bytes (or a 1-D ``uint8`` array).
        unit_size_bits: Unit size, a positive multiple of 8.
        first_index: Index of the first unit (for a source delivered in pieces).

    Returns:
        The units, in key order.

    Raises:
        ConfigError: bad unit size, empty ``source_id``, negative ``first_index``.

    >>> [u.key for u in units_from_bytes("b", bytes(range(5)), 16)]
    [b'\\x00\\x01', b'\\x02\\x03']
    """
    size = _check_unit_size(unit_size_bits) // 8
    if not isinstance(source_id, str) or not source_id:
        raise ConfigError(f"source_id must be a non-empty string, got {source_id!r}")
    if isinstance(first_index, bool) or not isinstance(first_index, int) or first_index < 0:
        raise ConfigError(f"first_index must be an int >= 0, got {first_index!r}")
    data = np.frombuffer(bytes(key), np.uint8) if isinstance(key, bytes | bytearray) else key
    arr = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    n = arr.size // size
    rows = arr[: n * size].reshape(n, size)
    return [KeyUnit(unit_id(source_id, first_index + i), rows[i].tobytes()) for i in range(n)]


def units_from_keyblock(
    block: KeyBlock, unit_size_bits: int, side: Literal["alice", "bob"] = "alice"
) -> list[KeyUnit]:
    """The units of a post-processed :class:`~kvant.qkd.KeyBlock` (named by its ``key_id``).

    The KME at Alice's end of the link passes ``side="alice"`` (``block.key``), the one at
    Bob's ``side="bob"`` (``block.bob_key``); the pipeline verified both equal.

    Raises:
        ConfigError: for a side other than ``"alice"``/``"bob"`` or a bad unit size.

    >>> from types import SimpleNamespace  # stands in for a KeyBlock here
    >>> block = SimpleNamespace(key_id="blk", key=bytes(70), bob_key=bytes(70), key_bits=560)
    >>> [u.key_id == unit_id("blk", i) for i, u in enumerate(units_from_keyblock(block, 256))]
    [True, True]
    """
    if side not in ("alice", "bob"):
        raise ConfigError(f"side must be 'alice' or 'bob', got {side!r}")
    return units_from_bytes(
        block.key_id, block.key if side == "alice" else block.bob_key, unit_size_bits
    )


@dataclass(frozen=True)
class SupplyReport:
    """What one supply call did.

    Attributes:
        peer_kme_id: The KME at the other end.
        offered_units: Units handed to the store.
        new_units: Units the store did not have yet.
        dropped_bits: Trailing key bits that did not fill a unit.

    >>> r = SupplyReport("KME_B", 4, 3, 5)
    >>> SupplyReport.from_dict(r.to_dict()) == r, r + r
    (True, SupplyReport(peer_kme_id='KME_B', offered_units=8, new_units=6, dropped_bits=10))
    """

    peer_kme_id: str
    offered_units: int
    new_units: int
    dropped_bits: int = 0

    def __add__(self, other: SupplyReport) -> SupplyReport:
        if other.peer_kme_id != self.peer_kme_id:
            raise ConfigError("only reports for the same peer KME can be added")
        return SupplyReport(
            self.peer_kme_id,
            self.offered_units + other.offered_units,
            self.new_units + other.new_units,
            self.dropped_bits + other.dropped_bits,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "peer_kme_id": self.peer_kme_id,
            "offered_units": self.offered_units,
            "new_units": self.new_units,
            "dropped_bits": self.dropped_bits,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupplyReport:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(data["peer_kme_id"]),
            int(data["offered_units"]),
            int(data["new_units"]),
            int(data.get("dropped_bits", 0)),
        )


def supply_blocks(
    store: KeyStore,
    peer_kme_id: str,
    blocks: Iterable[KeyBlock],
    side: Literal["alice", "bob"] = "alice",
) -> SupplyReport:
    """Feed the key of post-processed blocks of the link to ``peer_kme_id`` into ``store``.

    Args:
        store: This KME's store.
        peer_kme_id: The KME at the other end of the link.
        blocks: Key blocks from :meth:`kvant.qkd.Pipeline.process` (any number).
        side: Which end this KME is (``"alice"`` or ``"bob"``).

    Returns:
        The counts.

    >>> import tempfile
    >>> from types import SimpleNamespace
    >>> from kvant.kms import open_store
    >>> block = SimpleNamespace(key_id="blk", key=bytes(70), bob_key=bytes(70), key_bits=560)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = open_store(f"{tmp}/kme.db", "kme-a", bytes(32))
    ...     supply_blocks(store, "kme-b", [block])  # doctest: +NORMALIZE_WHITESPACE
    ...     store.close()
    SupplyReport(peer_kme_id='kme-b', offered_units=2, new_units=2, dropped_bits=48)
    """
    report = SupplyReport(peer_kme_id, 0, 0, 0)
    for block in blocks:
        units = units_from_keyblock(block, store.unit_size_bits, side)
        new = store.supply(peer_kme_id, units)
        dropped = block.key_bits - len(units) * store.unit_size_bits
        report = report + SupplyReport(peer_kme_id, len(units), new, dropped)
    return report


class LinkFeed:
    """Key of a QKD link as a seeded stream delivered at a constant rate (no pipeline run).

    Unit ``i`` is bits ``[i u, (i+1) u)`` of the link's :class:`~kvant.network.LinkKeyStream`
    (``u`` = ``unit_size_bits``) and becomes available at time ``(i+1) u / rate_bps``; both
    ends of the link compute the same units.

    Args:
        link_id: Name of the link, known to both ends (the unit ids' source name).
        seed: Seed of the network's key material.
        link_index: Index of the link (independent streams per link).
        rate_bps: Secret key rate of the link (e.g. ``Link.key_rate_bps`` from the network).
        unit_size_bits: Unit size of the stores.

    Raises:
        ConfigError: for an empty link id, a rate that is not positive and finite, a bad seed,
            index or unit size.
    """

    def __init__(
        self, link_id: str, seed: int, link_index: int, rate_bps: float, unit_size_bits: int = 256
    ) -> None:
        if not isinstance(link_id, str) or not link_id:
            raise ConfigError(f"link_id must be a non-empty string, got {link_id!r}")
        if not (isinstance(rate_bps, int | float) and math.isfinite(rate_bps) and rate_bps > 0):
            raise ConfigError(f"rate_bps must be a positive finite number, got {rate_bps!r}")
        self.link_id = link_id
        self.rate_bps = float(rate_bps)
        self.unit_size_bits = _check_unit_size(unit_size_bits)
        from kvant.network._pools import LinkKeyStream

        self._stream = LinkKeyStream(seed, link_index)

    @classmethod
    def from_topology(
        cls, topology: Topology, a: str, b: str, seed: int, unit_size_bits: int = 256
    ) -> LinkFeed:
        """The feed of the link between nodes ``a`` and ``b`` of a network topology: its name,
        index (so its key stream is the one the network simulation uses with the same seed)
        and its physics key rate (``Link.key_rate_bps``).

        Raises:
            TopologyError: if the topology has no such link.

        >>> from kvant.network import moscow_spb
        >>> feed = LinkFeed.from_topology(moscow_spb().topology, "Klin", "Solnechnogorsk", 1)
        >>> feed.link_id, feed.rate_bps > 1e4
        ('Solnechnogorsk-Klin', True)
        """
        index = topology.link_index(a, b)
        link = topology.links[index]
        return cls(link.name, seed, index, link.key_rate_bps, unit_size_bits)

    def __repr__(self) -> str:
        return (
            f"LinkFeed(link_id={self.link_id!r}, rate_bps={self.rate_bps}, "
            f"unit_size_bits={self.unit_size_bits})"
        )

    def units_available(self, elapsed_s: float) -> int:
        """Whole units the link has delivered after ``elapsed_s`` seconds."""
        if not (math.isfinite(elapsed_s) and elapsed_s >= 0):
            raise ConfigError(f"elapsed_s must be a finite number >= 0, got {elapsed_s!r}")
        return math.floor(elapsed_s * self.rate_bps / self.unit_size_bits + 1e-9)

    def units(self, first: int, count: int) -> list[KeyUnit]:
        """Units ``first .. first + count - 1`` of the link.

        Raises:
            ConfigError: for a negative ``first`` or ``count``.
        """
        if first < 0 or count < 0:
            raise ConfigError(f"first and count must be >= 0, got {first}, {count}")
        data = self._stream.bits(first * self.unit_size_bits, count * self.unit_size_bits)
        return units_from_bytes(self.link_id, data, self.unit_size_bits, first_index=first)

    def units_between(self, start_s: float, end_s: float) -> list[KeyUnit]:
        """Units that became available in ``(start_s, end_s]`` seconds of link time."""
        first, last = self.units_available(start_s), self.units_available(end_s)
        return self.units(first, max(0, last - first))

    def feed_until(self, store: KeyStore, peer_kme_id: str, elapsed_s: float) -> SupplyReport:
        """Supply every unit the link has delivered after ``elapsed_s`` seconds that ``store``
        does not have yet, resuming from the store's durable cursor for this link (so a KME
        that restarts neither skips nor re-reads key), and move the cursor in the same
        transaction.

        >>> import tempfile
        >>> from kvant.kms import open_store
        >>> feed = LinkFeed("a-b", seed=1, link_index=0, rate_bps=2560.0)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     store = open_store(f"{tmp}/a.db", "kme-a", bytes(32))
        ...     r1, r2 = feed.feed_until(store, "kme-b", 1.0), feed.feed_until(store, "kme-b", 2.0)
        ...     r1.new_units, r2.new_units, store.supply_cursor("a-b")
        ...     store.close()
        (10, 10, 20)
        """
        first = store.supply_cursor(self.link_id)
        last = max(first, self.units_available(elapsed_s))
        units = self.units(first, last - first)
        new = store.supply(peer_kme_id, units, cursor=(self.link_id, last))
        return SupplyReport(peer_kme_id, len(units), new, 0)

    def feed(self, store: KeyStore, peer_kme_id: str, start_s: float, end_s: float) -> SupplyReport:
        """Supply the units of ``(start_s, end_s]`` to ``store`` as key shared with the KME at
        the other end of the link."""
        units = self.units_between(start_s, end_s)
        return SupplyReport(peer_kme_id, len(units), store.supply(peer_kme_id, units), 0)
