"""The PostgreSQL key store (psycopg 3): several KMEs and several processes per database.

Each thread gets its own connection; every operation is one transaction at READ COMMITTED.
Masters take pool units with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL documentation,
"The Locking Clause"), so concurrent requests never get the same unit and do not wait on each
other; slave-side rows are locked with ``FOR UPDATE`` in a fixed order (by id) so that two
transactions cannot deadlock. A transaction that fails with a deadlock or serialization error
is rolled back and run again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kvant.errors import KeyStoreError
from kvant.kms._crypto_at_rest import KeyWrapper
from kvant.kms._store_schema import Tx
from kvant.kms._store_sql import SqlKeyStore

__all__ = ["PostgresKeyStore", "open_postgres", "redact_url"]

_SCHEMA_LOCK = 0x4B56414E  # "KVAN": advisory lock serialising schema creation

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kvant_kms_meta (kme_id TEXT PRIMARY KEY, "
    "unit_size_bits INTEGER NOT NULL, canary BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_units (seq BIGSERIAL PRIMARY KEY, "
    "kme_id TEXT NOT NULL, unit_id TEXT NOT NULL, peer_kme_id TEXT NOT NULL, "
    "state SMALLINT NOT NULL, key_id TEXT, material BYTEA, UNIQUE (kme_id, unit_id))",
    "CREATE INDEX IF NOT EXISTS kvant_kms_units_pool ON kvant_kms_units "
    "(kme_id, peer_kme_id, state, seq)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_keys (kme_id TEXT NOT NULL, key_id TEXT NOT NULL, "
    "peer_kme_id TEXT NOT NULL, master_sae_id TEXT NOT NULL, slave_sae_id TEXT NOT NULL, "
    "unit_ids TEXT NOT NULL, state SMALLINT NOT NULL, PRIMARY KEY (kme_id, key_id))",
    "CREATE INDEX IF NOT EXISTS kvant_kms_keys_state ON kvant_kms_keys "
    "(kme_id, peer_kme_id, state)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_receipts (kme_id TEXT NOT NULL, "
    "request_id TEXT NOT NULL, params TEXT NOT NULL, created_s DOUBLE PRECISION NOT NULL, "
    "payload BYTEA NOT NULL, PRIMARY KEY (kme_id, request_id))",
    "CREATE INDEX IF NOT EXISTS kvant_kms_receipts_age ON kvant_kms_receipts (kme_id, created_s)",
    "CREATE TABLE IF NOT EXISTS kvant_kms_cursors (kme_id TEXT NOT NULL, "
    "source_id TEXT NOT NULL, next_index BIGINT NOT NULL, PRIMARY KEY (kme_id, source_id))",
)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for error messages).

    >>> redact_url("postgresql://kme:s3cret@db:5432/kms")
    'postgresql://kme:***@db:5432/kms'
    """
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class _PgTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._conn.execute(_pg(sql), tuple(params)).fetchall()
        return rows

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._conn.execute(_pg(sql), tuple(params)).rowcount)

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        with self._conn.cursor() as cur:
            cur.executemany(_pg(sql), [tuple(p) for p in params])
            return int(cur.rowcount)


class PostgresKeyStore(SqlKeyStore):
    """:class:`~kvant.kms.KeyStore` in a PostgreSQL database (see :func:`kvant.kms.open_store`)."""

    backend = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self, url: str, kme_id: str, wrapper: KeyWrapper, unit_size_bits: int, receipt_ttl_s: float
    ) -> None:
        super().__init__(kme_id, wrapper, unit_size_bits, receipt_ttl_s)
        import psycopg

        self._psycopg = psycopg
        self.url = url

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        try:
            conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.Error as exc:
            raise KeyStoreError(
                f"cannot connect to the PostgreSQL key store {redact_url(self.url)}: "
                f"{str(exc).strip()}; check the URL, that the server runs and accepts this user"
            ) from exc
        return self._remember(conn)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Tx]:
        conn = self._connection()
        try:
            with conn.transaction():
                yield _PgTx(conn)
        except self._psycopg.Error as exc:
            if conn.broken:
                self._local.conn = None
            raise KeyStoreError(
                f"PostgreSQL key store {redact_url(self.url)} failed: {str(exc).strip()}; the "
                "transaction was rolled back, nothing changed"
            ) from exc

    def _retryable(self, exc: BaseException) -> bool:
        errors = self._psycopg.errors
        # UniqueViolation: two calls with the same request/relay id raced to save the receipt
        # (or to record the same key_ID); run again, the loser then finds the winner's answer
        kinds = errors.DeadlockDetected | errors.SerializationFailure | errors.UniqueViolation
        return isinstance(exc, kinds) or super()._retryable(exc)

    def create_schema(self) -> None:
        """Create the tables if needed and check the meta row (unit size, KEK)."""

        def body(tx: Tx) -> None:
            tx.rows("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                tx.run(statement)
            self._setup(tx)

        self._do(True, body)


def open_postgres(
    url: str,
    kme_id: str,
    wrapper: KeyWrapper,
    unit_size_bits: int,
    receipt_ttl_s: float,
    group_commit: bool = False,
) -> PostgresKeyStore:
    """Open the PostgreSQL store at ``url``, creating its tables if needed.

    Raises:
        KeyStoreError: psycopg is not installed, the server cannot be reached, or the
            database holds this KME's store with another unit size or KEK.
    """
    try:
        import psycopg
    except ImportError:
        raise KeyStoreError(
            "a PostgreSQL key store needs psycopg 3; install it with "
            "`pip install 'psycopg[binary]>=3.1'`"
        ) from None
    store = PostgresKeyStore(url, kme_id, wrapper, unit_size_bits, receipt_ttl_s)
    try:
        store.create_schema()
    except BaseException:
        store.close()
        raise
    if group_commit:
        store.enable_group_commit(psycopg.Error)
    return store
