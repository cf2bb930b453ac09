"""Measure the Numba kernels' cost per amplitude, the numbers behind ``CPU_COST``.

Each kind of block (dense on 1..5 qubits, permutations with and without phases, diagonals) is
applied many times inside one cache-resident window of a 20-qubit state on one thread; the time
of an empty window (the copies in and out) is subtracted. Run it on the target machine when it
is otherwise idle::

    python -m kvant.sim._calibrate
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from kvant.sim._blocks import Block, make_block
from kvant.sim._numba_engine import _Kernels
from kvant.sim._numba_plan import encode_window
from kvant.sim._windows import Window

__all__ = ["measure_costs"]

_NUM_QUBITS = 20
_WINDOW = 16
_LANES = 5
_REPEAT = 12


def _unitary(k: int, rng: np.random.Generator) -> NDArray[np.complex128]:
    z = rng.normal(size=(1 << k, 1 << k)) + 1j * rng.normal(size=(1 << k, 1 << k))
    return np.asarray(np.linalg.qr(z)[0], dtype=np.complex128)


def _cases(rng: np.random.Generator) -> dict[str, Callable[[int], Block]]:
    def dense(k: int) -> Callable[[int], Block]:
        return lambda first: make_block(_unitary(k, rng), tuple(range(first, first + k)))

    def permutation(k: int, phases: bool) -> Callable[[int], Block]:
        def build(first: int) -> Block:
            matrix = np.eye(1 << k, dtype=complex)[rng.permutation(1 << k)]
            if phases:
                matrix = matrix * np.exp(1j * rng.uniform(0, 6, 1 << k))[:, None]
            return make_block(matrix, tuple(range(first, first + k)))

        return build

    def diagonal(k: int) -> Callable[[int], Block]:
        return lambda first: make_block(
            np.diag(np.exp(1j * rng.uniform(0, 6, 1 << k))), tuple(range(first, first + k))
        )

    cases = {f"dense{k}": dense(k) for k in range(1, 6)}
    cases |= {f"perm{k}": permutation(k, False) for k in (1, 2, 4)}
    cases |= {f"perm{k}+phase": permutation(k, True) for k in (1, 2, 4)}
    cases |= {f"diag{k}": diagonal(k) for k in (1, 2, 4, 8)}
    return cases


def measure_costs(dtype: str = "complex64", repeats: int = 3) -> dict[str, float]:
    """Nanoseconds per amplitude per core of each block kind (see the module docstring).

    Args:
        dtype: ``"complex64"`` or ``"complex128"``.
        repeats: Timings per case (the minimum is kept).

    Returns:
        ``{case: ns per amplitude}``.
    """
    rng = np.random.default_rng(1)
    real = np.dtype(np.float32 if dtype == "complex64" else np.float64)
    state = np.zeros(1 << _NUM_QUBITS, dtype=dtype)
    state[0] = 1
    kernels = _Kernels(1, _WINDOW, real)
    qubits = tuple(range(_NUM_QUBITS - _LANES, _NUM_QUBITS)) + tuple(range(_WINDOW - _LANES))

    def seconds(blocks: list[Block]) -> float:
        encoded = encode_window(Window(qubits, _LANES, tuple(blocks)), _NUM_QUBITS, real)
        kernels.apply(state.view(real), encoded)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            kernels.apply(state.view(real), encoded)
            best = min(best, time.perf_counter() - start)
        return best

    empty = seconds([])
    out = {}
    for name, build in _cases(rng).items():
        blocks = [build(3 + (i % 4)) for i in range(_REPEAT)]
        out[name] = (seconds(blocks) - empty) / _REPEAT / (1 << _NUM_QUBITS) * 1e9
    out["copy in+out"] = empty / (1 << _NUM_QUBITS) * 1e9
    kernels.close()
    return out


if __name__ == "__main__":  # pragma: no cover
    for precision in ("complex64", "complex128"):
        costs = measure_costs(precision)
        print(precision, " ".join(f"{k}={v:.3f}" for k, v in costs.items()))
