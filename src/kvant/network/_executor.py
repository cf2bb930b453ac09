"""A Dask-compatible executor for parameter sweeps: local processes, or a Dask cluster.

Everything is a :class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor`` by default,
a :class:`SerialExecutor` for one worker (no processes; handy in tests and notebooks), or the
``concurrent.futures`` face of a ``dask.distributed.Client`` when a scheduler address is given.
``dask.distributed`` is imported only then (install ``kvant[network]``).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from kvant.errors import BackendUnavailableError, ConfigError

__all__ = ["SerialExecutor", "open_executor", "run_sweep"]

T = TypeVar("T")
R = TypeVar("R")


class SerialExecutor(Executor):
    """Runs each task at once in the calling process (an Executor with no workers).

    >>> with SerialExecutor() as ex:
    ...     list(ex.map(abs, [-1, 2, -3]))
    [1, 2, 3]
    """

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


@contextmanager
def open_executor(
    scheduler: str | None = None, max_workers: int | None = None
) -> Iterator[Executor]:
    """An executor for a sweep, closed on exit.

    Args:
        scheduler: A ``dask.distributed`` scheduler address (``tcp://host:8786``); None for
            local processes.
        max_workers: Local worker processes (default: the CPU count); 1 runs in-process.

    Yields:
        The executor.

    Raises:
        BackendUnavailableError: if a scheduler is given but ``dask.distributed`` is missing.
        ConfigError: for ``max_workers < 1``.

    >>> with open_executor(max_workers=1) as ex:
    ...     ex.submit(pow, 2, 10).result()
    1024
    """
    if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
        raise ConfigError(f"max_workers must be an int >= 1, got {max_workers!r}")
    if scheduler:
        try:  # imported by name: an optional dependency, typed or not
            distributed: Any = importlib.import_module("dask.distributed")
        except ImportError:
            raise BackendUnavailableError(
                "a Dask scheduler was given but dask.distributed is not installed; "
                "pip install 'kvant[network]' (or 'dask[distributed]'), or drop --scheduler "
                "to use local processes"
            ) from None
        try:
            client = distributed.Client(scheduler, timeout=5)
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    workers = max_workers or os.cpu_count() or 1
    if workers == 1:
        with SerialExecutor() as serial:
            yield serial
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


def run_sweep(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    scheduler: str | None = None,
    max_workers: int | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` on an executor from :func:`open_executor`, in order.

    ``fn`` must be picklable (a module-level function) for processes and Dask.

    >>> run_sweep(abs, [-2, 3], max_workers=1)
    [2, 3]
    """
    items = list(items)
    with open_executor(scheduler, max_workers) as ex:
        return list(ex.map(fn, items))
