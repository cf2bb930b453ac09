"""What every engine's ``run`` checks before it simulates: one copy of each rule.

The dtype, the shot count, the seed (and what gets recorded), the circuit (bound, custom gates
expanded, mid-circuit operations only with shots), the initial state and the memory guard with
its fallback from grouped to shot-by-shot branching. Engines differ in how they simulate, not in
what they accept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim._kernels import StateTensor
from kvant.sim._memory import check_memory
from kvant.sim._program import require_bound
from kvant.sim._sampling import as_generator

__all__ = [
    "DTYPES",
    "as_dtype",
    "basis_index",
    "branching_fits",
    "check_shots",
    "circuit_for_run",
    "initial_state_tensor",
    "run_generator",
]

DTYPES = ("complex64", "complex128")
_NORM_ATOL = 1e-6


def as_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """``complex64`` or ``complex128`` as a NumPy dtype; anything else is a ConfigError.

    >>> as_dtype("complex64").name
    'complex64'
    """
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise ConfigError(f"dtype {dtype!r} is not supported; use one of {DTYPES}") from exc
    if resolved.name not in DTYPES:
        raise ConfigError(f"dtype {resolved.name!r} is not supported; use one of {DTYPES}")
    return resolved


def check_shots(shots: object) -> int:
    """A non-negative integer number of shots (bools and floats are refused)."""
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer) or shots < 0:
        raise ConfigError(f"shots must be a non-negative integer, got {shots!r}")
    return int(shots)


def run_generator(
    seed: int | np.random.Generator | None, shots: int
) -> tuple[np.random.Generator, int | None]:
    """The run's generator and the seed its result records.

    With no seed and no shots nothing is sampled, so no entropy is drawn and None is recorded;
    otherwise see :func:`~kvant.sim._sampling.as_generator`.
    """
    if seed is None and shots == 0:
        return np.random.default_rng(0), None
    return as_generator(seed)


def circuit_for_run(circuit: object, shots: int) -> Circuit:
    """The circuit an engine simulates: checked, bound, custom gates expanded.

    Raises:
        ConfigError: If ``circuit`` is not a Circuit, or it has mid-circuit measurements,
            resets or conditions and ``shots`` is 0 (its final state is random).
        UnboundParameterError: If a parameter has no value.
    """
    if not isinstance(circuit, Circuit):
        raise ConfigError(f"run() needs a kvant.circuit.Circuit, got {type(circuit).__name__}")
    if circuit.has_mid_circuit_operations and shots == 0:
        raise ConfigError(
            "the circuit has mid-circuit measurements, resets or conditions, so its final "
            "state is random; pass shots > 0"
        )
    require_bound(circuit)
    return circuit.decompose() if circuit.definitions else circuit


def branching_fits(
    needed_bytes: Callable[[bool], int],
    num_qubits: int,
    dtype: np.dtype[Any],
    limit_bytes: int | None,
    *,
    can_branch_per_shot: bool,
) -> bool:
    """Check the memory guard; True to branch shots in groups, False to go one by one.

    Grouped branching keeps one state per distinct measurement record; when that does not fit
    and the circuit branches at all, shot-by-shot branching (one extra state) is tried before
    giving up.

    Args:
        needed_bytes: Bytes the run needs, given ``grouped``.
        num_qubits: Qubits of the state (for the error message).
        dtype: The state's dtype.
        limit_bytes: The engine's memory limit (None: what the machine has).
        can_branch_per_shot: Whether shot-by-shot branching is an option.

    Raises:
        MemoryLimitError: If neither fits.
    """
    try:
        check_memory(needed_bytes(True), num_qubits, dtype, limit_bytes=limit_bytes)
    except MemoryError:
        if not can_branch_per_shot:
            raise
        check_memory(needed_bytes(False), num_qubits, dtype, limit_bytes=limit_bytes)
        return False
    return True


def basis_index(initial_state: ArrayLike | int | None, num_qubits: int) -> int | None:
    """The basis state ``initial_state`` names (None: |0...0>, so 0), or None for amplitudes.

    >>> basis_index(None, 3), basis_index(5, 3), basis_index([1, 0], 1)
    (0, 5, None)
    """
    if initial_state is not None and not isinstance(initial_state, int | np.integer):
        return None
    index = 0 if initial_state is None else int(initial_state)
    if isinstance(initial_state, bool) or not 0 <= index < 1 << num_qubits:
        raise ConfigError(
            f"initial_state {initial_state!r} is not a basis-state index in "
            f"0..{(1 << num_qubits) - 1}"
        )
    return index


def initial_state_tensor(
    initial_state: ArrayLike | int | None, num_qubits: int, dtype: np.dtype[Any]
) -> StateTensor:
    """The starting state as a ``(2,) * n`` tensor: |0...0>, a basis state or given amplitudes.

    >>> initial_state_tensor(3, 2, np.dtype("complex128")).reshape(-1).real.tolist()
    [0.0, 0.0, 0.0, 1.0]
    """
    size = 1 << num_qubits
    index = basis_index(initial_state, num_qubits)
    if index is not None:
        state = np.zeros(size, dtype=dtype)
        state[index] = 1
        return state.reshape((2,) * num_qubits)
    try:
        given = np.asarray(initial_state)
        state = np.array(given.reshape(-1) if given.ndim > 1 else given, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"initial_state is not an array of amplitudes: {exc}") from exc
    if state.shape != (size,):
        raise ConfigError(
            f"initial_state has shape {np.shape(given)}; a {num_qubits}-qubit state needs "
            f"{size} amplitudes (little-endian: qubit 0 is the least significant bit)"
        )
    if not np.all(np.isfinite(state)):
        raise ConfigError("initial_state has NaN or infinite amplitudes")
    norm = float(np.linalg.norm(state))
    if abs(norm - 1) > _NORM_ATOL:
        raise ConfigError(
            f"initial_state has norm {norm:.6g}; normalise it (divide by its norm) first"
        )
    return state.reshape((2,) * num_qubits)
