"""Memory guard: how many bytes a state-vector run needs, and how many are available.

The reference engine holds the state as an n-dimensional ``(2,)*n`` tensor and applies a gate
with :func:`numpy.tensordot`, which copies the state once (to bring the gate's axes to the
front) and writes one new array of the same size. While a gate is applied, three state-sized
arrays are alive: the old state, the transposed copy and the result. Everything else a run
allocates (probabilities for sampling, a norm's half-size temporary, gate tensors) is smaller,
so the peak is ``3 * 2**n * itemsize`` plus a fixed allowance for bookkeeping. The estimate is
checked against a :mod:`tracemalloc` measurement in ``tests/sim/test_sim_memory.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from kvant.errors import ConfigError, MemoryLimitError

__all__ = [
    "STATE_COPIES",
    "as_memory_limit",
    "available_memory_bytes",
    "check_memory",
    "format_bytes",
    "max_qubits",
    "required_bytes",
    "run_bytes",
    "state_bytes",
]

#: State-sized arrays alive at the peak of a gate application (old state, transposed copy,
#: result of the contraction).
STATE_COPIES = 3

#: Fixed allowance for everything that does not scale with the state: gate tensors, compiled
#: instructions, the result object, NumPy's small temporaries.
_FIXED_OVERHEAD_BYTES = 1 << 20

_DTYPES = ("complex64", "complex128")
_MEMINFO = Path("/proc/meminfo")
_CGROUP_V2 = Path("/sys/fs/cgroup")
_CGROUP_V1 = Path("/sys/fs/cgroup/memory")
_UNLIMITED = 1 << 60  # cgroup v1 reports "no limit" as a number close to 2**63


def _itemsize(dtype: DTypeLike) -> int:
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise ConfigError(f"dtype {dtype!r} is not a NumPy dtype; use one of {_DTYPES}") from exc
    if resolved.name not in _DTYPES:
        raise ConfigError(f"dtype {resolved.name!r} is not supported; use one of {_DTYPES}")
    return resolved.itemsize


def _check_num_qubits(num_qubits: int) -> int:
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, int | np.integer):
        raise ConfigError(f"num_qubits must be a non-negative integer, got {num_qubits!r}")
    if num_qubits < 0:
        raise ConfigError(f"num_qubits must be a non-negative integer, got {num_qubits}")
    return int(num_qubits)


def state_bytes(num_qubits: int, dtype: DTypeLike = "complex128") -> int:
    """Bytes of one ``2**num_qubits`` state vector of ``dtype``.

    Args:
        num_qubits: Number of qubits.
        dtype: ``"complex64"`` or ``"complex128"``.

    Returns:
        ``2**num_qubits * itemsize``.

    Raises:
        ConfigError: For a negative qubit count or an unsupported dtype.

    >>> state_bytes(10, "complex64")
    8192
    """
    return (1 << _check_num_qubits(num_qubits)) * _itemsize(dtype)


def required_bytes(num_qubits: int, dtype: DTypeLike = "complex128") -> int:
    """Upper bound on the bytes a state-vector run of ``num_qubits`` needs at its peak.

    Three state-sized arrays (state, transposed copy, contraction result) plus a fixed 1 MiB
    allowance. Sampling adds a few bytes per shot, which the engine adds to this figure.

    Args:
        num_qubits: Number of qubits.
        dtype: ``"complex64"`` or ``"complex128"``.

    Returns:
        The bound in bytes.

    Raises:
        ConfigError: For a negative qubit count or an unsupported dtype.

    >>> required_bytes(30) / 2**30  # GiB for 30 qubits at complex128, with workspace
    48.0009765625
    """
    return STATE_COPIES * state_bytes(num_qubits, dtype) + _FIXED_OVERHEAD_BYTES


def max_qubits(memory_bytes: int, dtype: DTypeLike = "complex128") -> int:
    """The largest qubit count whose :func:`required_bytes` fits in ``memory_bytes``.

    Args:
        memory_bytes: Memory to plan for, in bytes.
        dtype: ``"complex64"`` or ``"complex128"``.

    Returns:
        The qubit count, or -1 if not even a 0-qubit run fits.

    Raises:
        ConfigError: For an unsupported dtype or negative ``memory_bytes``.

    >>> max_qubits(2**30, "complex64"), max_qubits(2**30, "complex128")
    (25, 24)
    """
    if isinstance(memory_bytes, bool) or not isinstance(memory_bytes, int | np.integer):
        raise ConfigError(f"memory_bytes must be an integer, got {memory_bytes!r}")
    if memory_bytes < 0:
        raise ConfigError(f"memory_bytes must be >= 0, got {memory_bytes}")
    budget = (int(memory_bytes) - _FIXED_OVERHEAD_BYTES) // (STATE_COPIES * _itemsize(dtype))
    return budget.bit_length() - 1 if budget > 0 else -1


def _meminfo_available(path: Path) -> int | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            fields = line.split()
            try:
                return int(fields[1]) * 1024  # the file counts in kB (KiB)
            except (IndexError, ValueError):
                return None
    return None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _cgroup_available(v2_root: Path, v1_root: Path) -> int | None:
    for limit_file, usage_file in (
        (v2_root / "memory.max", v2_root / "memory.current"),
        (v1_root / "memory.limit_in_bytes", v1_root / "memory.usage_in_bytes"),
    ):
        limit = _read_int(limit_file)
        if limit is None or limit >= _UNLIMITED:
            continue
        usage = _read_int(usage_file) or 0
        return max(limit - usage, 0)
    return None


def _sysconf_available() -> int | None:
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or page_size <= 0:
        return None
    return int(pages) * int(page_size)


def available_memory_bytes(
    *,
    meminfo: Path = _MEMINFO,
    cgroup_v2: Path = _CGROUP_V2,
    cgroup_v1: Path = _CGROUP_V1,
) -> int | None:
    """Memory this process can still allocate, in bytes, or None if it cannot be told.

    The smaller of Linux's ``MemAvailable`` (``/proc/meminfo``) and the room left under a
    cgroup memory limit (v2 ``memory.max - memory.current``, or the v1 equivalents). Where
    neither file exists (macOS, Windows), ``os.sysconf`` free physical pages are used.

    Args:
        meminfo: Path of the meminfo file (for tests).
        cgroup_v2: Directory of the cgroup v2 memory controller files (for tests).
        cgroup_v1: Directory of the cgroup v1 memory controller files (for tests).

    Returns:
        Available bytes, or None when no source could be read.

    >>> available = available_memory_bytes()
    >>> available is None or available > 0
    True
    """
    candidates = [
        value
        for value in (_meminfo_available(meminfo), _cgroup_available(cgroup_v2, cgroup_v1))
        if value is not None
    ]
    if not candidates:
        fallback = _sysconf_available()
        return fallback
    return min(candidates)


def format_bytes(num_bytes: float) -> str:
    """Binary-prefixed size with one decimal: ``256.0 GiB``.

    >>> format_bytes(3 * 2**29)
    '1.5 GiB'
    """
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(value) < 1024 or unit == "EiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def run_bytes(
    num_qubits: int, dtype: DTypeLike, *, extra_bytes: int = 0, extra_states: int = 0
) -> int:
    """:func:`required_bytes` plus ``extra_states`` saved states and ``extra_bytes``.

    Args:
        num_qubits: Number of qubits.
        dtype: ``"complex64"`` or ``"complex128"``.
        extra_bytes: Bytes beyond the state and its workspace (per-shot arrays, gate tensors).
        extra_states: Additional full state copies held (branch points of a mid-circuit run).

    Returns:
        Bytes.
    """
    return (
        required_bytes(num_qubits, dtype) + extra_states * state_bytes(num_qubits, dtype)
    ) + extra_bytes


def check_memory(
    needed_bytes: int, num_qubits: int, dtype: DTypeLike, *, limit_bytes: int | None = None
) -> None:
    """Raise before allocating if a run needing ``needed_bytes`` would not fit.

    Args:
        needed_bytes: What the run needs (:func:`run_bytes`).
        num_qubits: Number of qubits (for the message).
        dtype: ``"complex64"`` or ``"complex128"`` (for the message).
        limit_bytes: The budget; None reads :func:`available_memory_bytes` (and skips the
            check if that is unknown).

    Raises:
        MemoryLimitError: If the run needs more than the budget.
    """
    budget = available_memory_bytes() if limit_bytes is None else limit_bytes
    if budget is None or needed_bytes <= budget:
        return
    name = np.dtype(dtype).name
    hint = "fewer qubits, or the stabilizer engine for Clifford circuits"
    if name == "complex128":
        hint = "complex64, " + hint
    raise MemoryLimitError(
        f"a {num_qubits}-qubit {name} state vector needs "
        f"{format_bytes(state_bytes(num_qubits, dtype))} ({format_bytes(needed_bytes)} with "
        f"workspace), but {format_bytes(budget)} is available; use {hint}"
    )


def as_memory_limit(max_memory_bytes: object) -> int | None:
    """Validate an engine's ``max_memory_bytes`` option: ``None`` or a non-negative integer.

    Raises:
        ConfigError: for anything else.
    """
    if max_memory_bytes is None:
        return None
    if (
        isinstance(max_memory_bytes, bool)
        or not isinstance(max_memory_bytes, int | np.integer)
        or max_memory_bytes < 0
    ):
        raise ConfigError(
            f"max_memory_bytes must be a non-negative integer or None, got {max_memory_bytes!r}"
        )
    return int(max_memory_bytes)
