"""The key store interface of a KME: key units, delivered keys, pool status, ``open_store``.

A KME shares *key units* with each peer KME (a QKD neighbour, or a far KME reached by relay).
A unit is ``unit_size_bits`` of key with a UUID ``key_id`` that both KMEs know. ETSI GS QKD 014
keys are cut from whole units: ``min_key_size`` is one unit and a key of ``size`` bits is made of
``size // unit_size_bits`` units taken oldest first. The key_ID of a key made of one unit is that
unit's id; of several units it is :func:`derive_key_id` of their ids, so the peer KME derives the
same key_ID from the same unit ids.

Life of a unit (each step one database transaction; a crash at any point leaves every unit in
exactly one of these states and nothing is ever delivered twice)::

    supply -> POOL --take_for_master--> used here (material deleted), key recorded as
                                        delivered-to-master for (master SAE, slave SAE)
               |  --assign_for_slave--> ASSIGNED to key_ID for (master SAE, slave SAE)
               |                          --take_for_slave--> used (material deleted)
               +--take_for_relay--> used (material deleted), consumed as a relay one-time pad

    supply(pending=True) -> PENDING --commit_units--> POOL     (relayed key at the destination:
                              +--assign_for_slave--> ASSIGNED   out of the pool until the origin
                                                                has stored its copy)

Concurrent write operations from several threads share one durable commit (group commit,
on by default for SQLite, where a commit costs an fsync and writers queue anyway); each still
takes effect atomically and returns only once committed.

Idempotency: ``supply`` is idempotent per unit id (a unit id once seen, even after it was used,
is never stored again); ``take_for_master(request_id=...)`` and ``take_for_relay(relay_id=...)``
return the *same* keys when called again with the same id and the same arguments (never new
ones): the store keeps a sealed receipt of the answer for ``receipt_ttl_s`` seconds (default
300) so that a retried request can be answered, and then deletes it. ``assign_for_slave`` is
idempotent for the same key_IDs and units.

Key material at rest is sealed with AES-256-GCM under a key-encryption key (KEK, 32 bytes, from
configuration) with the KME id and the unit id as associated data; opening a store with the
wrong KEK raises :class:`~kvant.errors.KeyStoreError`.

>>> import os, tempfile
>>> from kvant.kms import KeyUnit, open_store
>>> kek = bytes(32)
>>> with tempfile.TemporaryDirectory() as tmp:
...     alice = open_store(os.path.join(tmp, "a.db"), "KME_A", kek)
...     bob = open_store(os.path.join(tmp, "b.db"), "KME_B", kek)
...     units = [KeyUnit(f"00000000-0000-4000-8000-00000000000{i}", bytes([i]) * 32)
...              for i in range(4)]
...     alice.supply("KME_B", units), bob.supply("KME_A", units)
...     [key] = alice.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 512, "req-1")
...     bob.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(key.key_id, key.unit_ids)])
...     [same] = bob.take_for_slave("SAE_2", "SAE_1", [key.key_id])
...     same == key, alice.status("KME_B").stored_key_count
...     alice.close(); bob.close()
(4, 4)
(True, 2)
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from kvant.errors import ConfigError

__all__ = [
    "KEY_ID_NAMESPACE",
    "DeliveredKey",
    "KeyStore",
    "KeyUnit",
    "PoolStatus",
    "derive_key_id",
    "open_store",
]

KEY_ID_NAMESPACE = uuid.UUID("d227d2cf-642a-58b5-ae24-8553526b8925")
"""Namespace of multi-unit key_IDs: ``uuid5(NAMESPACE_URL, "https://kvant.dev/kms/key-id")``."""


def derive_key_id(unit_ids: Sequence[str]) -> str:
    """The key_ID of a key made of ``unit_ids`` (in order), as both KMEs compute it.

    One unit: the unit's own id. Several: ``uuid5(KEY_ID_NAMESPACE, ",".join(unit_ids))``
    (RFC 4122 section 4.3 name-based UUID).

    Args:
        unit_ids: Ids of the units, in the order their bytes are concatenated.

    Returns:
        The key_ID as canonical UUID text.

    Raises:
        ConfigError: if ``unit_ids`` is empty or an id is not a UUID.

    >>> derive_key_id(["5a2f1c7e-0000-4000-8000-000000000001"])
    '5a2f1c7e-0000-4000-8000-000000000001'
    >>> derive_key_id(["5a2f1c7e-0000-4000-8000-000000000001",
    ...                "5a2f1c7e-0000-4000-8000-000000000002"]) == str(uuid.uuid5(
    ...     KEY_ID_NAMESPACE, "5a2f1c7e-0000-4000-8000-000000000001,"
    ...     "5a2f1c7e-0000-4000-8000-000000000002"))
    True
    """
    ids = [canonical_uuid(u, "unit id") for u in unit_ids]
    if not ids:
        raise ConfigError("a key needs at least one unit id; pass a non-empty sequence")
    if len(ids) == 1:
        return ids[0]
    return str(uuid.uuid5(KEY_ID_NAMESPACE, ",".join(ids)))


def canonical_uuid(text: object, what: str = "key_ID") -> str:
    """``text`` as canonical lower-case UUID text, or :class:`ConfigError` saying what was wrong."""
    if not isinstance(text, str):
        raise ConfigError(f"{what} must be UUID text such as '{uuid.UUID(int=0)}', got {text!r}")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ConfigError(
            f"{what} {text!r} is not a UUID; use canonical text such as '{uuid.UUID(int=0)}'"
        ) from None


def _b64decode(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ConfigError(f"{what} must be base64 text, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"{what} is not valid base64 text; encode the bytes with base64"
        ) from None


def _require(data: Mapping[str, Any], names: Sequence[str], what: str) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{what}.from_dict needs a mapping, got {type(data).__name__}")
    missing = [n for n in names if n not in data]
    if missing:
        raise ConfigError(f"{what}.from_dict: missing field(s) {missing}; give all of {names}")


@dataclass(frozen=True)
class KeyUnit:
    """One unit of key shared with a peer KME (from a QKD link or a relay).

    Attributes:
        key_id: UUID text, the same at both KMEs.
        key: The key bytes (``unit_size_bits / 8`` of them).

    >>> unit = KeyUnit("00000000-0000-4000-8000-000000000001", b"\\x01" * 32)
    >>> KeyUnit.from_dict(unit.to_dict()) == unit
    True
    """

    key_id: str
    key: bytes

    def __repr__(self) -> str:  # never print key material
        return f"KeyUnit(key_id={self.key_id!r}, key=<{len(self.key)} bytes>)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form; ``key`` as base64 text."""
        return {"key_id": self.key_id, "key": base64.b64encode(self.key).decode("ascii")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyUnit:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: for a missing field, a key_id that is not a UUID or bad base64.
        """
        _require(data, ("key_id", "key"), "KeyUnit")
        return cls(canonical_uuid(data["key_id"]), _b64decode(data["key"], "KeyUnit.key"))


@dataclass(frozen=True)
class DeliveredKey:
    """A key handed to an SAE (or consumed by a relay hop).

    Attributes:
        key_id: The ETSI key_ID (see :func:`derive_key_id`).
        key: The key bytes (the units' bytes concatenated in ``unit_ids`` order).
        unit_ids: Ids of the units it was made of, oldest first.

    >>> k = DeliveredKey("00000000-0000-4000-8000-000000000001", b"\\x07" * 32,
    ...                  ("00000000-0000-4000-8000-000000000001",))
    >>> DeliveredKey.from_dict(k.to_dict()) == k
    True
    """

    key_id: str
    key: bytes
    unit_ids: tuple[str, ...]

    def __repr__(self) -> str:  # never print key material
        return (
            f"DeliveredKey(key_id={self.key_id!r}, key=<{len(self.key)} bytes>, "
            f"unit_ids={self.unit_ids!r})"
        )

    @property
    def size_bits(self) -> int:
        """Length of the key in bits."""
        return 8 * len(self.key)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form; ``key`` as base64 text."""
        return {
            "key_id": self.key_id,
            "key": base64.b64encode(self.key).decode("ascii"),
            "unit_ids": list(self.unit_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeliveredKey:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: for a missing field, an id that is not a UUID or bad base64.
        """
        _require(data, ("key_id", "key", "unit_ids"), "DeliveredKey")
        units = data["unit_ids"]
        if not isinstance(units, list | tuple):
            raise ConfigError("DeliveredKey.unit_ids must be a list of UUID texts")
        return cls(
            canonical_uuid(data["key_id"]),
            _b64decode(data["key"], "DeliveredKey.key"),
            tuple(canonical_uuid(u, "unit id") for u in units),
        )


@dataclass(frozen=True)
class PoolStatus:
    """What a KME holds for one peer KME.

    Attributes:
        kme_id: This KME.
        peer_kme_id: The peer KME the key is shared with.
        unit_size_bits: Size of one unit (ETSI ``min_key_size``; key sizes are multiples).
        stored_key_count: Units in the pool, i.e. keys of ``unit_size_bits`` that can be made
            (ETSI ``stored_key_count`` for the default key size).
        assigned_key_count: Keys assigned by the master side and not yet fetched by the slave.

    >>> s = PoolStatus("KME_A", "KME_B", 256, 10, 1)
    >>> PoolStatus.from_dict(s.to_dict()) == s, s.stored_bits
    (True, 2560)
    """

    kme_id: str
    peer_kme_id: str
    unit_size_bits: int
    stored_key_count: int
    assigned_key_count: int = 0

    @property
    def stored_bits(self) -> int:
        """Key bits in the pool."""
        return self.stored_key_count * self.unit_size_bits

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "kme_id": self.kme_id,
            "peer_kme_id": self.peer_kme_id,
            "unit_size_bits": self.unit_size_bits,
            "stored_key_count": self.stored_key_count,
            "assigned_key_count": self.assigned_key_count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PoolStatus:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: for a missing field.
        """
        names = ("kme_id", "peer_kme_id", "unit_size_bits", "stored_key_count")
        _require(data, names, "PoolStatus")
        return cls(
            str(data["kme_id"]),
            str(data["peer_kme_id"]),
            int(data["unit_size_bits"]),
            int(data["stored_key_count"]),
            int(data.get("assigned_key_count", 0)),
        )


@runtime_checkable
class KeyStore(Protocol):
    """Durable, exactly-once key store of one KME (SQLite or PostgreSQL).

    Every method is atomic (one database transaction, or, with group commit, one savepoint of
    a transaction that commits before the method returns) and is safe to call from several
    threads and several processes on the same database.

    Errors: :class:`~kvant.errors.ConfigError` for bad arguments,
    :class:`~kvant.errors.KeyUnavailableError` when the key asked for is not there (the
    message carries the counts), :class:`~kvant.errors.SaeAuthorizationError` when a key is
    addressed to another SAE pair, :class:`~kvant.errors.KeyStoreError` when the database
    fails or the KEK is wrong.
    """

    kme_id: str
    unit_size_bits: int

    def supply(
        self,
        peer_kme_id: str,
        units: Sequence[KeyUnit],
        *,
        cursor: tuple[str, int] | None = None,
        pending: bool = False,
    ) -> int:
        """Add key units shared with ``peer_kme_id``; idempotent per unit id (an id seen
        before, even one already used, is skipped). Returns how many units were new.

        ``cursor=(source_id, next_index)`` records, in the same transaction, that units of
        that source up to ``next_index`` have been supplied (see :meth:`supply_cursor`).
        ``pending=True`` stores relayed units outside the pool until :meth:`commit_units`
        (or an assignment notice from ``peer_kme_id`` naming them) puts them in it."""
        ...

    def commit_units(self, peer_kme_id: str, unit_ids: Sequence[str]) -> int:
        """Put pending units shared with ``peer_kme_id`` into the pool (idempotent; ids that
        are not pending units of that peer are ignored). Returns how many moved."""
        ...

    def supply_cursor(self, source_id: str) -> int:
        """Index of the next unit of key source ``source_id`` (a link) to supply: where a
        feed resumes after a restart (0 for a source never recorded)."""
        ...

    def status(self, peer_kme_id: str) -> PoolStatus:
        """Pool level for ``peer_kme_id`` (zero counts for an unknown peer)."""
        ...

    def peers(self) -> list[str]:
        """Peer KME ids for which units were ever supplied, sorted."""
        ...

    def take_for_master(
        self,
        peer_kme_id: str,
        master_sae_id: str,
        slave_sae_id: str,
        number: int,
        size_bits: int,
        request_id: str,
    ) -> list[DeliveredKey]:
        """Take ``number`` keys of ``size_bits`` for the master SAE (ETSI enc_keys).

        One transaction: takes ``number * size_bits / unit_size_bits`` units (oldest first),
        groups them into keys, records each key_ID as delivered to the master for the pair
        (master, slave) and deletes the material. The same ``request_id`` with the same
        arguments returns the same keys (within ``receipt_ttl_s``); with other arguments it is
        refused with ConfigError.

        Raises:
            ConfigError: ``size_bits`` not a positive multiple of ``unit_size_bits``, ``number``
                < 1, empty ids.
            KeyUnavailableError: fewer units in the pool than needed (message has both counts).
        """
        ...

    def assign_for_slave(
        self,
        peer_kme_id: str,
        master_sae_id: str,
        slave_sae_id: str,
        keys: Sequence[tuple[str, Sequence[str]]],
    ) -> None:
        """Slave side: mark the units of each ``(key_id, unit_ids)`` as forming that key for
        (master, slave); called when the master's KME (``peer_kme_id``) notifies this KME.
        All-or-nothing; idempotent for the same keys.

        Raises:
            ConfigError: a key_id that does not match :func:`derive_key_id` of its units.
            KeyUnavailableError: a unit not in this KME's pool for ``peer_kme_id`` (unknown
                yet, used, or assigned to another key).
        """
        ...

    def take_for_slave(
        self,
        slave_sae_id: str,
        master_sae_id: str,
        key_ids: Sequence[str],
        request_id: str | None = None,
    ) -> list[DeliveredKey]:
        """Hand assigned keys to the slave SAE (ETSI dec_keys), in ``key_ids`` order, and
        delete their material. All-or-nothing.

        With a ``request_id`` the call is idempotent like ``take_for_master``: a retry with the
        same id and arguments (e.g. after the answer was lost in a crash) returns the same keys
        for ``receipt_ttl_s``, so a key delivered to the master is never lost for the slave.

        Raises:
            KeyUnavailableError: a key_ID unknown here, not assigned yet, or already delivered.
            SaeAuthorizationError: a key_ID assigned to another (master, slave) pair.
        """
        ...

    def take_for_relay(
        self,
        peer_kme_id: str,
        size_bits: int,
        relay_id: str,
        unit_ids: Sequence[str] | None = None,
    ) -> DeliveredKey:
        """Consume link key with ``peer_kme_id`` as a one-time pad for a relay hop.

        The sending KME passes ``unit_ids=None`` (oldest units of the pool are taken); the
        receiving KME passes the ``unit_ids`` it was told, so both use the same pad.
        Idempotent by ``relay_id`` like ``take_for_master``.

        Raises:
            ConfigError: bad size or ids; ``unit_ids`` whose count does not match ``size_bits``.
            KeyUnavailableError: not enough units, or a named unit not in the pool.
        """
        ...

    def close(self) -> None:
        """Close the database connections (idempotent)."""
        ...


def open_store(
    url: str | Path,
    kme_id: str,
    kek: bytes,
    unit_size_bits: int = 256,
    *,
    receipt_ttl_s: float = 300.0,
    group_commit: bool | None = None,
) -> KeyStore:
    """Open (creating if needed) the key store of KME ``kme_id``.

    Args:
        url: ``sqlite:///path/to.db``, a filesystem path (SQLite, WAL, synchronous=FULL), or
            ``postgresql://user@host:port/db`` (PostgreSQL via psycopg 3, row locks with
            ``FOR UPDATE SKIP LOCKED``). Several KMEs may share one PostgreSQL database.
        kme_id: This KME's id (non-empty).
        kek: Key-encryption key, 32 bytes; material at rest is sealed with AES-256-GCM.
        unit_size_bits: Unit size, a positive multiple of 8 (fixed when the store is created).
        receipt_ttl_s: How long the answer of a request is kept for an idempotent retry.
        group_commit: Let concurrent write operations (from several threads) share one durable
            commit, each in its own savepoint (see ``kvant.kms._store_group``). None: the
            backend's default, on for SQLite (one writer at a time anyway), off for PostgreSQL
            (which runs writers in parallel on a connection per thread).

    Returns:
        The store.

    Raises:
        ConfigError: a URL scheme that is not SQLite or PostgreSQL, a KEK that is not 32
            bytes, a bad unit size or kme_id.
        KeyStoreError: the database cannot be opened, was created with another unit size,
            or the KEK is not the one the store was created with.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = open_store(f"sqlite:///{tmp}/kme.db", "KME_A", bytes(32))
    ...     (store.kme_id, store.unit_size_bits, store.status("KME_B").stored_key_count)
    ...     store.close()
    ('KME_A', 256, 0)
    """
    from kvant.kms._crypto_at_rest import KeyWrapper

    if not isinstance(kme_id, str) or not kme_id.strip():
        raise ConfigError(f"kme_id must be a non-empty string, got {kme_id!r}")
    if isinstance(unit_size_bits, bool) or not isinstance(unit_size_bits, int):
        raise ConfigError(f"unit_size_bits must be an int, got {unit_size_bits!r}")
    if unit_size_bits < 8 or unit_size_bits % 8:
        raise ConfigError(f"unit_size_bits must be a positive multiple of 8, got {unit_size_bits}")
    if not receipt_ttl_s >= 0:
        raise ConfigError(f"receipt_ttl_s must be >= 0, got {receipt_ttl_s!r}")
    wrapper = KeyWrapper(kek, kme_id)
    if isinstance(url, Path):
        target = str(url)
        kind = "sqlite"
    elif isinstance(url, str):
        kind, target = _parse_url(url)
    else:
        raise ConfigError(f"store url must be a str or Path, got {type(url).__name__}")
    if kind == "sqlite":
        from kvant.kms._sqlite import open_sqlite

        return open_sqlite(
            target, kme_id, wrapper, unit_size_bits, receipt_ttl_s, group_commit is not False
        )
    from kvant.kms._postgres import open_postgres

    return open_postgres(
        target, kme_id, wrapper, unit_size_bits, receipt_ttl_s, group_commit is True
    )


def _parse_url(url: str) -> tuple[str, str]:
    """``(kind, target)`` for a store URL: ``("sqlite", path)`` or ``("postgresql", url)``."""
    text = url.strip()
    if not text:
        raise ConfigError("store url is empty; give 'sqlite:///path/to.db' or 'postgresql://...'")
    lower = text.lower()
    if lower.startswith("sqlite:///"):
        path = text[len("sqlite:///") :]
        # sqlite:////abs/path and sqlite:///rel/path as in SQLAlchemy
        if not path or path == "/":
            raise ConfigError(f"store url {url!r} names no file; use 'sqlite:///path/to/kme.db'")
        return "sqlite", path
    if lower.startswith("sqlite:"):
        raise ConfigError(f"store url {url!r}: write SQLite URLs as 'sqlite:///path/to/kme.db'")
    if lower.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        if lower.startswith("postgresql+psycopg://"):
            text = "postgresql://" + text[len("postgresql+psycopg://") :]
        return "postgresql", text
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ConfigError(
            f"store url scheme {scheme!r} is not supported; use 'sqlite:///path/to.db', "
            "a plain path, or 'postgresql://user@host:port/dbname'"
        )
    return "sqlite", text
