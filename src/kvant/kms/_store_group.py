"""Group commit: many concurrent store operations share one durable commit.

A durable commit costs one ``fsync`` (milliseconds on many disks), so one transaction per
operation caps a store at ``1 / fsync`` operations per second however many threads call it.
With group commit, write operations that arrive while a commit is in progress wait and then
run together: the next caller runs each waiting operation inside its own SAVEPOINT of one
transaction and commits once; every caller gets its answer only after that commit is durable.
Each operation stays atomic (an operation that raises is rolled back to its savepoint and the
others are unaffected) and nothing is handed out before it is committed, so a crash at any
point still leaves each unit in exactly one state. This is the classic group commit of
database logs (Gray and Reuter, "Transaction Processing: Concepts and Techniques", 1993,
section 9.4.7).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kvant.errors import KeyStoreError, KmsError

__all__ = ["GroupCommitter"]

T = TypeVar("T")
MAX_BATCH = 256


@dataclass
class _Job(Generic[T]):
    body: Callable[[Any], T]
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None


class GroupCommitter:
    """Runs write operations in batches, one commit per batch (leader/follower).

    A caller that finds no batch running becomes the leader: it takes every operation waiting
    (its own included) and runs them as one transaction on its own connection. Callers that
    arrive meanwhile wait; when the leader's commit is done, the next waiting caller leads the
    next batch. A lone caller thus runs its operation directly, with no hand-off to another
    thread; concurrent callers share commits.

    Args:
        name: For messages.
        transaction: Opens a write transaction on the calling thread's connection and yields a
            handle with ``run(sql)``; commits on exit, rolls back and raises KeyStoreError
            (with the driver error as ``__cause__``) on a database error.
        retryable: Whether a failed batch may be run again (the database was busy).
        driver_error: The database driver's error type: such an error inside an operation
            aborts the whole batch.
    """

    def __init__(
        self,
        name: str,
        transaction: Callable[[], AbstractContextManager[Any]],
        retryable: Callable[[BaseException], bool],
        driver_error: type[BaseException],
    ) -> None:
        self._name = name
        self._transaction = transaction
        self._retryable = retryable
        self._driver_error = driver_error
        self._queue: deque[_Job[Any]] = deque()
        self._cond = threading.Condition()
        self._leading = False
        self._closed = False
        self.batches = 0
        self.operations = 0

    @property
    def pending(self) -> int:
        """Operations waiting for a batch."""
        with self._cond:
            return len(self._queue)

    def submit(self, body: Callable[[Any], T]) -> T:
        """Run ``body(tx)`` in the next batch; its result once the batch is committed.

        Raises:
            Whatever ``body`` raised (its changes rolled back), or KeyStoreError if the batch
            could not be committed (then no operation of the batch took effect).
        """
        job: _Job[T] = _Job(body)
        with self._cond:
            if self._closed:
                raise KeyStoreError(f"the key store {self._name!r} is closed; open it again")
            self._queue.append(job)
        while True:
            with self._cond:
                while self._leading and not job.done.is_set():
                    self._cond.wait()
                if job.done.is_set():
                    break
                self._leading = True
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
            try:
                self._run(batch)
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def close(self) -> None:
        """Refuse new operations and wait for the queued ones to finish (idempotent)."""
        with self._cond:
            self._closed = True
            while self._leading or self._queue:
                self._cond.wait()

    def _run(self, batch: list[_Job[Any]]) -> None:
        try:
            for attempt in range(8):
                try:
                    self._run_once(batch)
                    break
                except KmsError as exc:
                    cause = exc.__cause__
                    if attempt < 7 and cause is not None and self._retryable(cause):
                        time.sleep(0.005 * (attempt + 1))
                        continue
                    for job in batch:
                        job.result, job.error = None, exc
                    break
            self.batches += 1
            self.operations += len(batch)
        except BaseException as exc:  # pragma: no cover - never leave a caller waiting
            for job in batch:
                job.result, job.error = None, KeyStoreError(f"group commit failed: {exc!r}")
        finally:
            for job in batch:
                job.done.set()

    def _run_once(self, batch: list[_Job[Any]]) -> None:
        with self._transaction() as tx:
            for job in batch:
                job.result, job.error = None, None
                tx.run("SAVEPOINT kvant_op")
                try:
                    job.result = job.body(tx)
                except self._driver_error:
                    raise
                except Exception as exc:
                    job.error = exc
                    tx.run("ROLLBACK TO SAVEPOINT kvant_op")
                tx.run("RELEASE SAVEPOINT kvant_op")
