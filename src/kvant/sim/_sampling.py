"""Sampling shots from a state and turning classical bits into counts.

Classical bits of many shots are a ``(shots, num_clbits)`` uint8 matrix; a bitstring prints
classical bit 0 rightmost (as Qiskit and OpenQASM do).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = [
    "as_generator",
    "bitstrings",
    "counts_from_bits",
    "probabilities_of",
    "sample_bits",
    "sample_indices",
]

Bits = NDArray[np.uint8]
_PACKABLE = 62  # widest register whose rows are counted as packed int64 values


def as_generator(seed: int | np.random.Generator | None) -> tuple[np.random.Generator, int | None]:
    """The generator for a run, and the integer seed to record in its result.

    A None seed draws fresh entropy and records it, so every run can be repeated; a Generator
    is used as is (its seed cannot be recorded, so None is returned).

    Raises:
        ConfigError: For a negative seed or a value of the wrong type.
    """
    if isinstance(seed, np.random.Generator):
        return seed, None
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        seed = int(entropy) if isinstance(entropy, int | np.integer) else 0
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(
            f"seed must be a non-negative int, a numpy.random.Generator or None, got {seed!r}"
        )
    return np.random.default_rng(int(seed)), int(seed)


def probabilities_of(state: NDArray[np.complexfloating[Any, Any]]) -> NDArray[np.float64]:
    """|amplitude|^2 as float64, flattened in C order (the little-endian basis index).

    Works on a non-contiguous ``(2,)*n`` view without copying it.
    """
    probs = np.empty(state.shape, dtype=np.float64)
    np.absolute(state, out=probs)
    np.square(probs, out=probs)
    return probs.reshape(-1)


def sample_bits(
    probs: NDArray[np.float64],
    shots: int,
    measurements: Sequence[tuple[int, int]],
    base: Bits,
    rng: np.random.Generator,
) -> Bits:
    """Sample ``shots`` basis states and read measured qubits into classical bits.

    Args:
        probs: Probabilities over basis states; consumed (overwritten by their running sum).
        shots: Number of samples.
        measurements: ``(qubit, clbit)`` pairs in program order; a later one wins a clbit.
        base: Classical bits before these measurements (length ``num_clbits``).
        rng: The generator.

    Returns:
        A ``(shots, num_clbits)`` uint8 matrix.
    """
    bits = np.broadcast_to(base, (shots, base.shape[0])).copy()
    if shots == 0 or not measurements:
        return bits
    cdf = np.cumsum(probs, out=probs)
    draws = rng.random(shots) * cdf[-1]
    indices = np.searchsorted(cdf, draws, side="right")
    np.minimum(indices, cdf.shape[0] - 1, out=indices)
    for qubit, clbit in measurements:
        bits[:, clbit] = (indices >> qubit) & 1
    return bits


def sample_indices(
    state: Any, shots: int, rng: np.random.Generator, *, xp: ModuleType = np
) -> NDArray[np.int64]:
    """Basis-state indices of ``shots`` samples from a state vector held by ``xp`` (NumPy or
    CuPy): the running sum and the binary search run where the state is, only the indices
    come back. The uniform draws are :func:`sample_bits`'s, so both give the same samples.

    >>> state = np.array([0.6, 0.0, 0.0, 0.8], dtype=complex)
    >>> sample_indices(state, 5, np.random.default_rng(1)).tolist()
    [3, 3, 0, 3, 0]
    """
    flat = state.reshape(-1)
    cdf = xp.cumsum(xp.abs(flat).astype(xp.float64) ** 2)
    draws = xp.asarray(rng.random(shots)) * cdf[-1]
    indices = xp.searchsorted(cdf, draws, side="right")
    xp.minimum(indices, cdf.shape[0] - 1, out=indices)
    host = indices.get() if hasattr(indices, "get") else indices
    return np.asarray(host, dtype=np.int64)


def bitstrings(bits: Bits) -> list[str]:
    """One string per row, classical bit 0 rightmost."""
    shots, width = bits.shape
    if width == 0:
        return [""] * shots
    chars = np.ascontiguousarray(bits[:, ::-1] + ord("0"), dtype=np.uint8)
    return [row.decode("ascii") for row in chars.view(f"S{width}").ravel()]


def counts_from_bits(bits: Bits) -> dict[str, int]:
    """Counts of each row of a ``(shots, num_clbits)`` bit matrix, keys sorted."""
    shots, width = bits.shape
    if shots == 0:
        return {}
    if width == 0:
        return {"": shots}
    if width <= _PACKABLE:
        # pack each row into an integer (clbit b -> bit b) and count integers: a 1-D sort
        packed = np.zeros(shots, dtype=np.int64)
        for clbit in range(width):
            packed |= bits[:, clbit].astype(np.int64) << clbit
        values, numbers = np.unique(packed, return_counts=True)
        keys = [format(int(v), f"0{width}b") for v in values]
    else:
        rows, numbers = np.unique(bits, axis=0, return_counts=True)
        keys = bitstrings(rows)
    return dict(sorted(zip(keys, (int(x) for x in numbers), strict=True)))
