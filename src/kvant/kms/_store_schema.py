"""The SQL vocabulary shared by the key-store modules: row states, the transaction handle,
and small helpers.

Tables (every row carries ``kme_id`` so several KMEs may share one PostgreSQL database):

- ``kvant_kms_meta``: unit size and a KEK canary (detects a wrong KEK at open).
- ``kvant_kms_units``: one row per unit ever supplied. ``state`` 0 = in the pool (material
  sealed), 1 = assigned to ``key_id`` on the slave side (material sealed), 2 = used (material
  deleted; the row stays as a tombstone so a re-supplied id is never stored again), 3 =
  pending: relayed here and waiting for the origin KME to commit it (material sealed, not in
  the pool).
- ``kvant_kms_keys``: one row per key_ID: the (master, slave) pair, unit ids and ``state`` 1 =
  delivered to the master here, 2 = assigned here and waiting for the slave, 3 = delivered to
  the slave here.
- ``kvant_kms_receipts``: the sealed answer of each request/relay id for idempotent retries,
  deleted after ``receipt_ttl_s``.
- ``kvant_kms_cursors``: per key source (a link), the index of the next unit to supply, moved
  forward in the transaction that stores the units (a feed resumes there after a restart).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, TypeVar

from kvant.errors import ConfigError

__all__ = [
    "ASSIGNED",
    "PENDING",
    "POOL",
    "TO_MASTER",
    "TO_SLAVE",
    "USED",
    "WAITING_SLAVE",
    "ContentionError",
    "Tx",
    "check_id",
    "chunks",
    "marks",
]

T = TypeVar("T")

POOL, ASSIGNED, USED, PENDING = 0, 1, 2, 3
TO_MASTER, WAITING_SLAVE, TO_SLAVE = 1, 2, 3
_CHUNK = 500


class ContentionError(Exception):
    """Cause of a KeyUnavailableError that a retry may cure (units locked by others)."""


class Tx(Protocol):
    """A transaction in progress, as seen by :class:`SqlKeyStore` (``?`` parameter markers)."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and fetch all rows."""
        ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the row count."""
        ...

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        """Run a statement for each parameter row; the total row count."""
        ...


def marks(n: int) -> str:
    """``(?,?,...)`` with ``n`` markers."""
    return "(" + ",".join("?" * n) + ")"


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices short enough for one ``IN (...)`` list."""
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def check_id(value: object, what: str) -> str:
    """``value`` if it is a non-empty string, else ConfigError naming ``what``."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} must be a non-empty string, got {value!r}")
    return value
