"""The one implementation of :class:`~kvant.kms.KeyStore` semantics over SQL.

SQLite (:mod:`kvant.kms._sqlite`) and PostgreSQL (:mod:`kvant.kms._postgres`) differ only in
how a connection is made, how a write transaction starts, the parameter marker and the row
locking clause; the algorithm of every operation lives here (the slave side in
:mod:`kvant.kms._store_slave`), once. The tables are described in :mod:`kvant.kms._store_schema`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from kvant.errors import (
    ConfigError,
    KeyStoreError,
    KeyUnavailableError,
    KmsError,
)
from kvant.kms._crypto_at_rest import KeyWrapper
from kvant.kms._store import DeliveredKey, KeyUnit, PoolStatus, canonical_uuid, derive_key_id
from kvant.kms._store_group import GroupCommitter
from kvant.kms._store_schema import (
    PENDING,
    POOL,
    TO_MASTER,
    USED,
    WAITING_SLAVE,
    ContentionError,
    Tx,
    check_id,
    chunks,
    marks,
)
from kvant.kms._store_slave import assign, deliver, parse_key_ids, parse_notice

__all__ = ["SqlKeyStore"]

T = TypeVar("T")

_CANARY = b"kvant-kms-kek-canary-v1"


class SqlKeyStore:
    """Shared logic of the SQL key stores; subclasses provide transactions.

    Subclasses implement :meth:`_transaction` (a context manager that yields a :class:`Tx`,
    commits on success, rolls back on an exception and maps driver errors to
    :class:`KeyStoreError`), keep one connection per thread with :meth:`_remember`, and set
    :attr:`for_update` /
    :attr:`skip_locked` (the row-locking suffixes, empty for SQLite, whose write transactions
    lock the whole database).
    """

    for_update = ""
    skip_locked = ""
    backend = "sql"

    def __init__(
        self, kme_id: str, wrapper: KeyWrapper, unit_size_bits: int, receipt_ttl_s: float
    ) -> None:
        self.kme_id = kme_id
        self.unit_size_bits = unit_size_bits
        self.receipt_ttl_s = float(receipt_ttl_s)
        self._wrapper = wrapper
        self._unit_bytes = unit_size_bits // 8
        self._closed = False
        self._lock = threading.Lock()
        self._committer: GroupCommitter | None = None
        self._next_purge = 0.0
        self._local = threading.local()  # this thread's connection (``conn``)
        self._connections: list[Any] = []  # every thread's, closed by close()

    # -- hooks -----------------------------------------------------------------------------
    def _transaction(self, write: bool) -> AbstractContextManager[Tx]:
        raise NotImplementedError

    def _remember(self, conn: Any) -> Any:
        """Keep ``conn`` as this thread's connection and for :meth:`close`."""
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    def _close_connections(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        self._local = threading.local()

    def _retryable(self, exc: BaseException) -> bool:
        """Whether a failed transaction may simply be run again (deadlock, busy, units that
        other transactions held locked while enough key was in the pool)."""
        return isinstance(exc, ContentionError)

    # -- plumbing --------------------------------------------------------------------------
    def enable_group_commit(self, driver_error: type[BaseException]) -> None:
        """Route write operations through a :class:`GroupCommitter` (one commit per batch)."""
        self._committer = GroupCommitter(
            self.kme_id, lambda: self._transaction(True), self._retryable, driver_error
        )

    def _do(self, write: bool, body: Callable[[Tx], T]) -> T:
        if self._closed:
            raise KeyStoreError(
                f"the key store of {self.kme_id!r} is closed; open it again with open_store()"
            )
        if write and self._committer is not None:
            return self._committer.submit(body)
        for attempt in range(8):
            try:
                with self._transaction(write) as tx:
                    return body(tx)
            except KmsError as exc:
                cause = exc.__cause__
                if attempt < 7 and cause is not None and self._retryable(cause):
                    time.sleep(0.005 * (attempt + 1))
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _setup(self, tx: Tx) -> None:
        """Check (or create) this KME's meta row: unit size and the KEK canary."""
        got = tx.rows(
            "SELECT unit_size_bits, canary FROM kvant_kms_meta WHERE kme_id = ?", (self.kme_id,)
        )
        if not got:
            canary = self._wrapper.seal(_CANARY, "meta:canary")
            tx.run(
                "INSERT INTO kvant_kms_meta (kme_id, unit_size_bits, canary) VALUES (?, ?, ?)",
                (self.kme_id, self.unit_size_bits, canary),
            )
            return
        size, canary = got[0]
        if int(size) != self.unit_size_bits:
            raise KeyStoreError(
                f"the key store of {self.kme_id!r} was created with unit_size_bits={size}, "
                f"not {self.unit_size_bits}; open it with unit_size_bits={size}"
            )
        if self._wrapper.open(bytes(canary), "meta:canary") != _CANARY:  # pragma: no cover
            raise KeyStoreError(f"the KEK canary of {self.kme_id!r} is corrupt")

    def close(self) -> None:
        """Close every connection of this store (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._committer is not None:
            self._committer.close()  # waits for the queued operations (they need the lock)
        with self._lock:
            self._close_connections()

    def __enter__(self) -> SqlKeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kme_id={self.kme_id!r}, unit_size_bits={self.unit_size_bits})"
        )

    # -- validation ------------------------------------------------------------------------
    def _units_per_key(self, size_bits: object) -> int:
        if isinstance(size_bits, bool) or not isinstance(size_bits, int) or size_bits < 1:
            raise ConfigError(f"size must be a positive number of bits, got {size_bits!r}")
        if size_bits % self.unit_size_bits:
            raise ConfigError(
                f"size {size_bits} bits is not a multiple of the unit size "
                f"{self.unit_size_bits} bits (ETSI min_key_size); ask for a multiple of it"
            )
        return size_bits // self.unit_size_bits

    # -- receipts --------------------------------------------------------------------------
    def _receipt(self, tx: Tx, request_id: str, params: str) -> list[DeliveredKey] | None:
        """The saved answer of ``request_id`` if it is younger than ``receipt_ttl_s``.

        Expired receipts are purged at most once per ``max(1 s, ttl / 10)`` per store object,
        so that concurrent transactions rarely compete for the same old rows.
        """
        now = time.time()
        if self.receipt_ttl_s > 0 and now >= self._next_purge:
            self._next_purge = now + max(1.0, self.receipt_ttl_s / 10)
            tx.run(
                "DELETE FROM kvant_kms_receipts WHERE kme_id = ? AND created_s < ?",
                (self.kme_id, now - self.receipt_ttl_s),
            )
        got = tx.rows(
            "SELECT params, payload, created_s FROM kvant_kms_receipts WHERE kme_id = ? "
            "AND request_id = ?",
            (self.kme_id, request_id),
        )
        if not got:
            return None
        if float(got[0][2]) < now - self.receipt_ttl_s:  # expired, not purged yet
            tx.run(
                "DELETE FROM kvant_kms_receipts WHERE kme_id = ? AND request_id = ?",
                (self.kme_id, request_id),
            )
            return None
        if got[0][0] != params:
            raise ConfigError(
                f"request id {request_id!r} was already used for another request "
                f"({got[0][0]}); use a fresh request id for each new request"
            )
        payload = self._wrapper.open(bytes(got[0][1]), f"receipt:{request_id}")
        return [DeliveredKey.from_dict(d) for d in json.loads(payload)]

    def _save_receipt(
        self, tx: Tx, request_id: str, params: str, keys: Sequence[DeliveredKey]
    ) -> None:
        if self.receipt_ttl_s <= 0:
            return
        payload = json.dumps([k.to_dict() for k in keys]).encode()
        tx.run(
            "INSERT INTO kvant_kms_receipts (kme_id, request_id, params, created_s, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                self.kme_id,
                request_id,
                params,
                time.time(),
                self._wrapper.seal(payload, f"receipt:{request_id}"),
            ),
        )

    # -- operations ------------------------------------------------------------------------
    def supply(
        self,
        peer_kme_id: str,
        units: Sequence[KeyUnit],
        *,
        cursor: tuple[str, int] | None = None,
        pending: bool = False,
    ) -> int:
        """See :meth:`kvant.kms.KeyStore.supply`."""
        peer = check_id(peer_kme_id, "peer_kme_id")
        if cursor is not None:
            source = check_id(cursor[0], "cursor source id")
            if isinstance(cursor[1], bool) or not isinstance(cursor[1], int) or cursor[1] < 0:
                raise ConfigError(f"cursor index must be an int >= 0, got {cursor[1]!r}")
        rows: dict[str, bytes] = {}
        for unit in units:
            key = getattr(unit, "key", None)
            if not isinstance(key, bytes | bytearray) or not hasattr(unit, "key_id"):
                raise ConfigError(f"supply() takes KeyUnit values, got {type(unit).__name__}")
            uid = canonical_uuid(unit.key_id, "unit key_id")
            if len(key) != self._unit_bytes:
                raise ConfigError(
                    f"unit {uid} has {len(key)} bytes; this store's units are "
                    f"{self._unit_bytes} bytes ({self.unit_size_bits} bits): cut key into units "
                    "of that size"
                )
            if rows.setdefault(uid, bytes(key)) != key:
                raise ConfigError(f"unit id {uid} appears twice with different key bytes")
        if not rows and cursor is None:
            return 0
        sealed = [(uid, self._wrapper.seal(key, uid)) for uid, key in rows.items()]

        def body(tx: Tx) -> int:
            new = 0
            if cursor is not None:
                tx.run(
                    "INSERT INTO kvant_kms_cursors (kme_id, source_id, next_index) "
                    "VALUES (?, ?, ?) ON CONFLICT (kme_id, source_id) DO UPDATE SET "
                    "next_index = CASE WHEN excluded.next_index > kvant_kms_cursors.next_index "
                    "THEN excluded.next_index ELSE kvant_kms_cursors.next_index END",
                    (self.kme_id, source, cursor[1]),
                )
            for part in chunks(sealed):
                seen = dict(
                    tx.rows(
                        "SELECT unit_id, peer_kme_id FROM kvant_kms_units WHERE kme_id = ? AND "
                        "unit_id IN " + marks(len(part)),
                        (self.kme_id, *(u for u, _ in part)),
                    )
                )
                clash = [u for u, p in seen.items() if p != peer]
                if clash:
                    raise ConfigError(
                        f"unit id {clash[0]} is already stored at {self.kme_id!r} as key shared "
                        f"with {seen[clash[0]]!r}, not {peer!r}; unit ids must be unique per KME "
                        "(name each link's or block's units after that link or block)"
                    )
                state = PENDING if pending else POOL
                fresh = [(self.kme_id, u, peer, state, m) for u, m in part if u not in seen]
                if fresh:
                    new += tx.many(
                        "INSERT INTO kvant_kms_units (kme_id, unit_id, peer_kme_id, state, "
                        "material) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        fresh,
                    )
            return new

        return self._do(True, body)

    def commit_units(self, peer_kme_id: str, unit_ids: Sequence[str]) -> int:
        """See :meth:`kvant.kms.KeyStore.commit_units`."""
        peer = check_id(peer_kme_id, "peer_kme_id")
        if isinstance(unit_ids, str):
            raise ConfigError("unit_ids must be a sequence of unit ids, not one string")
        ids = sorted({canonical_uuid(u, "unit id") for u in unit_ids})

        def body(tx: Tx) -> int:
            moved = 0
            for part in chunks(ids):
                moved += tx.run(
                    "UPDATE kvant_kms_units SET state = ? WHERE kme_id = ? AND peer_kme_id = ? "
                    "AND state = ? AND unit_id IN " + marks(len(part)),
                    (POOL, self.kme_id, peer, PENDING, *part),
                )
            return moved

        return self._do(True, body) if ids else 0

    def supply_cursor(self, source_id: str) -> int:
        """See :meth:`kvant.kms.KeyStore.supply_cursor`."""
        source = check_id(source_id, "source_id")
        got = self._do(
            False,
            lambda tx: tx.rows(
                "SELECT next_index FROM kvant_kms_cursors WHERE kme_id = ? AND source_id = ?",
                (self.kme_id, source),
            ),
        )
        return int(got[0][0]) if got else 0

    def status(self, peer_kme_id: str) -> PoolStatus:
        """See :meth:`kvant.kms.KeyStore.status`."""
        peer = check_id(peer_kme_id, "peer_kme_id")

        def body(tx: Tx) -> PoolStatus:
            [(stored,)] = tx.rows(
                "SELECT COUNT(*) FROM kvant_kms_units WHERE kme_id = ? AND peer_kme_id = ? "
                "AND state = ?",
                (self.kme_id, peer, POOL),
            )
            [(waiting,)] = tx.rows(
                "SELECT COUNT(*) FROM kvant_kms_keys WHERE kme_id = ? AND peer_kme_id = ? "
                "AND state = ?",
                (self.kme_id, peer, WAITING_SLAVE),
            )
            return PoolStatus(self.kme_id, peer, self.unit_size_bits, int(stored), int(waiting))

        return self._do(False, body)

    def peers(self) -> list[str]:
        """See :meth:`kvant.kms.KeyStore.peers`."""
        rows = self._do(
            False,
            lambda tx: tx.rows(
                "SELECT DISTINCT peer_kme_id FROM kvant_kms_units WHERE kme_id = ?",
                (self.kme_id,),
            ),
        )
        return sorted(str(r[0]) for r in rows)

    def _take_pool(
        self, tx: Tx, peer: str, n_units: int, what: str
    ) -> list[tuple[Any, str, bytes]]:
        """Lock and read the ``n_units`` oldest pool units shared with ``peer``."""
        got = tx.rows(
            "SELECT seq, unit_id, material FROM kvant_kms_units WHERE kme_id = ? AND "
            "peer_kme_id = ? AND state = ? ORDER BY seq LIMIT ?" + self.skip_locked,
            (self.kme_id, peer, POOL, n_units),
        )
        if len(got) < n_units:
            [(stored,)] = tx.rows(
                "SELECT COUNT(*) FROM kvant_kms_units WHERE kme_id = ? AND peer_kme_id = ? "
                "AND state = ?",
                (self.kme_id, peer, POOL),
            )
            raise KeyUnavailableError(
                f"{what} needs {n_units} units of {self.unit_size_bits} bits of key shared "
                f"between {self.kme_id!r} and {peer!r}, but {len(got)} are available "
                f"({stored} in the pool); ask for fewer or smaller keys, or retry when more key "
                "has arrived"
            ) from (ContentionError() if stored >= n_units else None)
        return [(r[0], str(r[1]), self._wrapper.open(bytes(r[2]), str(r[1]))) for r in got]

    def take_for_master(
        self,
        peer_kme_id: str,
        master_sae_id: str,
        slave_sae_id: str,
        number: int,
        size_bits: int,
        request_id: str,
    ) -> list[DeliveredKey]:
        """See :meth:`kvant.kms.KeyStore.take_for_master`."""
        peer = check_id(peer_kme_id, "peer_kme_id")
        master = check_id(master_sae_id, "master_SAE_ID")
        slave = check_id(slave_sae_id, "slave_SAE_ID")
        rid = check_id(request_id, "request_id")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ConfigError(f"number of keys must be an integer >= 1, got {number!r}")
        per_key = self._units_per_key(size_bits)
        params = f"master|{peer}|{master}|{slave}|{number}|{size_bits}"

        def body(tx: Tx) -> list[DeliveredKey]:
            again = self._receipt(tx, rid, params)
            if again is not None:
                return again
            units = self._take_pool(
                tx, peer, number * per_key, f"{number} key(s) of {size_bits} bits"
            )
            keys = []
            for i in range(number):
                group = units[i * per_key : (i + 1) * per_key]
                ids = tuple(u[1] for u in group)
                keys.append(DeliveredKey(derive_key_id(ids), b"".join(u[2] for u in group), ids))
            tx.many(
                "UPDATE kvant_kms_units SET state = ?, material = NULL, key_id = ? "
                "WHERE kme_id = ? AND seq = ?",
                [
                    (USED, k.key_id, self.kme_id, u[0])
                    for i, k in enumerate(keys)
                    for u in units[i * per_key : (i + 1) * per_key]
                ],
            )
            tx.many(
                "INSERT INTO kvant_kms_keys (kme_id, key_id, peer_kme_id, master_sae_id, "
                "slave_sae_id, unit_ids, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (self.kme_id, k.key_id, peer, master, slave, ",".join(k.unit_ids), TO_MASTER)
                    for k in keys
                ],
            )
            self._save_receipt(tx, rid, params, keys)
            return keys

        return self._do(True, body)

    def assign_for_slave(
        self,
        peer_kme_id: str,
        master_sae_id: str,
        slave_sae_id: str,
        keys: Sequence[tuple[str, Sequence[str]]],
    ) -> None:
        """See :meth:`kvant.kms.KeyStore.assign_for_slave`."""
        peer = check_id(peer_kme_id, "peer_kme_id")
        pair = (check_id(master_sae_id, "master_SAE_ID"), check_id(slave_sae_id, "slave_SAE_ID"))
        wanted = parse_notice(keys)
        if wanted:
            self._do(True, lambda tx: assign(tx, self.kme_id, self.for_update, peer, pair, wanted))

    def take_for_slave(
        self,
        slave_sae_id: str,
        master_sae_id: str,
        key_ids: Sequence[str],
        request_id: str | None = None,
    ) -> list[DeliveredKey]:
        """See :meth:`kvant.kms.KeyStore.take_for_slave`."""
        pair = (check_id(master_sae_id, "master_SAE_ID"), check_id(slave_sae_id, "slave_SAE_ID"))
        kids = parse_key_ids(key_ids)
        rid = None if request_id is None else check_id(request_id, "request_id")
        params = f"slave|{pair[0]}|{pair[1]}|{','.join(kids)}"

        def body(tx: Tx) -> list[DeliveredKey]:
            again = None if rid is None else self._receipt(tx, rid, params)
            if again is not None:
                return again
            keys = deliver(tx, self.kme_id, self.for_update, self._wrapper, pair, kids)
            if rid is not None:
                self._save_receipt(tx, rid, params, keys)
            return keys

        return self._do(True, body)

    def take_for_relay(
        self,
        peer_kme_id: str,
        size_bits: int,
        relay_id: str,
        unit_ids: Sequence[str] | None = None,
    ) -> DeliveredKey:
        """See :meth:`kvant.kms.KeyStore.take_for_relay`."""
        peer = check_id(peer_kme_id, "peer_kme_id")
        rid = check_id(relay_id, "relay_id")
        per_key = self._units_per_key(size_bits)
        named: tuple[str, ...] | None = None
        if unit_ids is not None:
            named = tuple(canonical_uuid(u, "unit id") for u in unit_ids)
            if len(named) != per_key or len(set(named)) != per_key:
                raise ConfigError(
                    f"a relay pad of {size_bits} bits needs {per_key} distinct unit ids, got "
                    f"{len(named)}; pass the unit ids the sending KME reported"
                )
        params = f"relay|{peer}|{size_bits}|{','.join(named or ())}"

        def body(tx: Tx) -> DeliveredKey:
            again = self._receipt(tx, rid, params)
            if again is not None:
                return again[0]
            if named is None:
                units = self._take_pool(tx, peer, per_key, f"relay pad {rid!r}")
            else:
                got = {
                    str(r[1]): r
                    for r in tx.rows(
                        "SELECT seq, unit_id, material FROM kvant_kms_units WHERE kme_id = ? "
                        "AND peer_kme_id = ? AND state = ? AND unit_id IN "
                        + marks(len(named))
                        + " ORDER BY unit_id"
                        + self.for_update,
                        (self.kme_id, peer, POOL, *named),
                    )
                }
                missing = [u for u in named if u not in got]
                again = self._receipt(tx, rid, params) if missing else None
                if again is not None:  # a concurrent call with this relay_id won the race
                    return again[0]
                if missing:
                    raise KeyUnavailableError(
                        f"relay pad {rid!r}: unit {missing[0]} is not in the pool of key shared "
                        f"between {self.kme_id!r} and {peer!r} (not arrived yet or already "
                        "used); retry once key supply has caught up"
                    )
                units = [(got[u][0], u, self._wrapper.open(bytes(got[u][2]), u)) for u in named]
            ids = tuple(u[1] for u in units)
            key = DeliveredKey(derive_key_id(ids), b"".join(u[2] for u in units), ids)
            tx.many(
                "UPDATE kvant_kms_units SET state = ?, material = NULL, key_id = ? "
                "WHERE kme_id = ? AND seq = ?",
                [(USED, key.key_id, self.kme_id, u[0]) for u in units],
            )
            self._save_receipt(tx, rid, params, [key])
            return key

        return self._do(True, body)
