"""The SQLite key store: one file per KME, WAL journal, ``synchronous=FULL``.

Each thread gets its own connection (autocommit mode; transactions are explicit). Write
transactions start with ``BEGIN IMMEDIATE``, which takes the database's write lock at once, so
concurrent writers in several threads or processes queue on the busy timeout instead of
deadlocking on a lock upgrade; a transaction is therefore the unit of isolation and no row
locks are needed. With WAL and ``synchronous=FULL`` a committed transaction survives a process
kill or power loss (SQLite documentation, "Write-Ahead Logging" and "PRAGMA synchronous").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kvant.errors import KeyStoreError
from kvant.kms._crypto_at_rest import KeyWrapper
from kvant.kms._store_schema import Tx
from kvant.kms._store_sql import SqlKeyStore

__all__ = ["SqliteKeyStore", "open_sqlite"]

BUSY_TIMEOUT_MS = 60_000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kvant_kms_meta (kme_id TEXT PRIMARY KEY, "
    "unit_size_bits INTEGER NOT NULL, canary BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_units (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "kme_id TEXT NOT NULL, unit_id TEXT NOT NULL, peer_kme_id TEXT NOT NULL, "
    "state INTEGER NOT NULL, key_id TEXT, material BLOB, UNIQUE (kme_id, unit_id))",
    "CREATE INDEX IF NOT EXISTS kvant_kms_units_pool ON kvant_kms_units "
    "(kme_id, peer_kme_id, state, seq)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_keys (kme_id TEXT NOT NULL, key_id TEXT NOT NULL, "
    "peer_kme_id TEXT NOT NULL, master_sae_id TEXT NOT NULL, slave_sae_id TEXT NOT NULL, "
    "unit_ids TEXT NOT NULL, state INTEGER NOT NULL, PRIMARY KEY (kme_id, key_id))",
    "CREATE INDEX IF NOT EXISTS kvant_kms_keys_state ON kvant_kms_keys "
    "(kme_id, peer_kme_id, state)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_receipts (kme_id TEXT NOT NULL, "
    "request_id TEXT NOT NULL, params TEXT NOT NULL, created_s REAL NOT NULL, "
    "payload BLOB NOT NULL, PRIMARY KEY (kme_id, request_id))",
    "CREATE INDEX IF NOT EXISTS kvant_kms_receipts_age ON kvant_kms_receipts (kme_id, created_s)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_cursors (kme_id TEXT NOT NULL, "
    "source_id TEXT NOT NULL, next_index INTEGER NOT NULL, PRIMARY KEY (kme_id, source_id))",
)


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        return self._conn.executemany(sql, [tuple(p) for p in params]).rowcount


class SqliteKeyStore(SqlKeyStore):
    """:class:`~kvant.kms.KeyStore` on one SQLite file (see :func:`kvant.kms.open_store`)."""

    backend = "sqlite"

    def __init__(
        self,
        path: str,
        kme_id: str,
        wrapper: KeyWrapper,
        unit_size_bits: int,
        receipt_ttl_s: float,
    ) -> None:
        super().__init__(kme_id, wrapper, unit_size_bits, receipt_ttl_s)
        self.path = path

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise KeyStoreError(
                f"cannot open the SQLite key store {self.path!r}: {exc}; check that the "
                "directory exists and is writable"
            ) from exc
        if str(mode).lower() != "wal":
            conn.close()
            raise KeyStoreError(
                f"SQLite key store {self.path!r} cannot use WAL journaling (got {mode!r}); "
                "put it on a local filesystem"
            )
        self._remember(conn)
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise KeyStoreError(f"SQLite key store {self.path!r}: {exc}") from exc
        try:
            yield _SqliteTx(conn)
        except BaseException as exc:
            conn.rollback()
            if isinstance(exc, sqlite3.Error):
                raise KeyStoreError(
                    f"SQLite key store {self.path!r} failed: {exc}; the transaction was "
                    "rolled back, nothing changed"
                ) from exc
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.rollback()
            raise KeyStoreError(f"SQLite key store {self.path!r}: commit failed: {exc}") from exc

    def _retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

    def create_schema(self) -> None:
        """Create the tables if needed and check the meta row (unit size, KEK)."""

        def body(tx: Tx) -> None:
            for statement in _SCHEMA:
                tx.run(statement)
            self._setup(tx)

        self._do(True, body)


def open_sqlite(
    path: str,
    kme_id: str,
    wrapper: KeyWrapper,
    unit_size_bits: int,
    receipt_ttl_s: float,
    group_commit: bool = True,
) -> SqliteKeyStore:
    """Open the SQLite store at ``path`` (``:memory:`` is refused: it would not be durable).

    Raises:
        KeyStoreError: the file cannot be opened or is not a Kvant key store of this KME.
    """
    if path.strip() in (":memory:", ""):
        raise KeyStoreError(
            "an in-memory SQLite key store loses keys on exit; give a file path "
            "('sqlite:///path/to/kme.db')"
        )
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise KeyStoreError(
            f"cannot create the SQLite key store {path!r}: directory {str(parent)!r} does not "
            "exist; create it first"
        )
    store = SqliteKeyStore(
        str(Path(path).expanduser()), kme_id, wrapper, unit_size_bits, receipt_ttl_s
    )
    try:
        store.create_schema()
    except BaseException:
        store.close()
        raise
    if group_commit:
        store.enable_group_commit(sqlite3.Error)
    return store
