"""Group commit: operations queued while a commit is running share the next one; an operation
that fails is rolled back to its savepoint without touching the others of its batch."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kvant.errors import KeyStoreError
from kvant.kms._store_group import GroupCommitter


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def run(self, sql: str, params: tuple[object, ...] = ()) -> int:
        return self.conn.execute(sql, params).rowcount


def test_queued_operations_share_one_commit_and_fail_alone(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "g.db", isolation_level=None, check_same_thread=False)
    conn.execute("CREATE TABLE t (x INTEGER)")
    commits: list[int] = []

    @contextmanager
    def transaction() -> Iterator[_Tx]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _Tx(conn)
        except BaseException:
            conn.rollback()
            raise
        conn.execute("COMMIT")
        commits.append(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])

    committer = GroupCommitter("test", transaction, lambda exc: False, sqlite3.Error)
    gate, first_running = threading.Event(), threading.Event()

    def slow(tx: _Tx) -> str:
        first_running.set()
        gate.wait()
        tx.run("INSERT INTO t VALUES (0)")
        return "first"

    def insert(i: int) -> object:
        def body(tx: _Tx) -> int:
            tx.run("INSERT INTO t VALUES (?)", (i,))
            if i == 3:
                raise ValueError("operation 3 fails after writing")
            return i

        return body

    results: dict[int, object] = {}

    def call(i: int) -> None:
        try:
            results[i] = committer.submit(slow if i == 0 else insert(i))  # type: ignore[arg-type]
        except ValueError as exc:
            results[i] = exc

    threads = [threading.Thread(target=call, args=(0,))]
    threads[0].start()
    first_running.wait()
    threads += [threading.Thread(target=call, args=(i,)) for i in range(1, 6)]
    for t in threads[1:]:
        t.start()
    while committer.pending < 5:  # all five wait behind the running batch
        threading.Event().wait(0.001)
    gate.set()
    for t in threads:
        t.join()
    committer.close()

    assert (committer.batches, committer.operations) == (2, 6)
    assert commits == [1, 5]  # batch 1: the slow one; batch 2: 1, 2, 4, 5 (3 rolled back)
    assert sorted(r[0] for r in conn.execute("SELECT x FROM t")) == [0, 1, 2, 4, 5]
    assert results[0] == "first"
    assert [results[i] for i in (1, 2, 4, 5)] == [1, 2, 4, 5]
    assert isinstance(results[3], ValueError)
    with pytest.raises(KeyStoreError, match="closed"):
        committer.submit(insert(9))


def test_a_failed_commit_fails_every_operation_of_the_batch(tmp_path: Path) -> None:
    @contextmanager
    def transaction() -> Iterator[_Tx]:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute("BEGIN")
        yield _Tx(conn)
        raise KeyStoreError("commit failed: disk full")

    committer = GroupCommitter("test", transaction, lambda exc: False, sqlite3.Error)
    with pytest.raises(KeyStoreError, match="disk full"):
        committer.submit(lambda tx: 1)
    committer.close()
    committer.close()
