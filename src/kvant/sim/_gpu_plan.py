"""Encode windows for the GPU kernel, and the same kernel written in NumPy.

The GPU engine applies each window (:mod:`kvant.sim._windows`) as one kernel launch: one CUDA
block per chunk loads the chunk's ``2**w`` amplitudes into shared memory, applies every block of
the window there, and writes them back, so a pass costs one read and one write of the state.
Window qubits are kept in ascending order as local bits, and qubits ``0..4`` are always in the
window, so the 32 threads of a warp read 32 consecutive amplitudes (coalesced).

An op is one row of ``OP_FIELDS`` int64 values:
``[kind, k, data_offset, local_control_mask, outer_control_mask, position_0 .. position_7]``.
``kind`` 0 is dense (a ``2**k x 2**k`` row-major matrix over local target bits ``positions``),
1 is diagonal (``2**k`` factors; a position below ``w`` is a local bit, ``w + j`` is bit ``j``
of the chunk number, i.e. an outer qubit). An op runs on a chunk only when the chunk number has
every bit of ``outer_control_mask`` set, and on an amplitude only when its local index has every
bit of ``local_control_mask`` set. Permutation blocks travel as dense matrices.

:func:`emulate_window` executes an encoded window with exactly the kernel's index arithmetic on
a NumPy state; the tests run it against the reference engine, so the encoding is checked on
any machine and the CUDA source (:mod:`kvant.sim._cuda_source`) only has to mirror it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.sim._blocks import Block
from kvant.sim._numba_plan import bit_offsets
from kvant.sim._windows import Window, plan_windows

__all__ = [
    "COALESCED_QUBITS",
    "OP_FIELDS",
    "GpuWindow",
    "emulate_window",
    "encode_gpu_window",
    "plan_gpu_windows",
]

#: Op row layout (see the module docstring).
OP_FIELDS = 13
_MAX_POSITIONS = 8
#: Qubits 0..4 are in every window: a warp reads 32 consecutive amplitudes.
COALESCED_QUBITS = 5
_DENSE, _DIAGONAL = 0, 1

Ints = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class GpuWindow:
    """One kernel launch.

    Attributes:
        local_offsets: ``2**w`` state offsets of the local indices (bit m -> local qubit m).
        outer_qubits: Qubits outside the window, ascending (chunk-number bit j -> qubit).
        ops: ``(num_ops, OP_FIELDS)`` int64 op table.
        data: Matrices and diagonal factors, complex128 (cast to the run's dtype on upload).
    """

    local_offsets: Ints
    outer_qubits: Ints
    ops: Ints
    data: NDArray[np.complex128]

    @property
    def window_qubits(self) -> int:
        """Qubits per chunk (w)."""
        return int(self.local_offsets.shape[0]).bit_length() - 1

    @property
    def num_chunks(self) -> int:
        """Chunks per pass: one CUDA block each."""
        return 1 << int(self.outer_qubits.shape[0])


def _mask(qubits: Sequence[int], position: dict[int, int]) -> int:
    return sum(1 << position[q] for q in qubits)


def encode_gpu_window(window: Window, num_qubits: int) -> GpuWindow:
    """The op table of one window (local bits in ascending qubit order).

    Args:
        window: A window planned with no lanes.
        num_qubits: Qubits of the state.

    Returns:
        The encoded window.
    """
    local_qubits = sorted(window.qubits)
    local = {q: m for m, q in enumerate(local_qubits)}
    outer_list = window.outer_qubits(num_qubits)
    outer = {q: j for j, q in enumerate(outer_list)}
    w = len(local_qubits)
    rows: list[list[int]] = []
    chunks: list[NDArray[np.complex128]] = []
    used = 0
    for block in window.blocks:
        local_controls = [q for q in block.controls if q in local]
        outer_controls = [q for q in block.controls if q in outer]
        if block.kind == "diagonal":
            positions = [local[q] if q in local else w + outer[q] for q in block.targets]
            kind, values = _DIAGONAL, np.asarray(block.data, dtype=np.complex128).reshape(-1)
        else:
            positions = [local[q] for q in block.targets]
            kind, values = _DENSE, np.asarray(block.target_matrix(), np.complex128).reshape(-1)
        if len(positions) > _MAX_POSITIONS:
            raise ConfigError(f"a block on {len(positions)} qubits does not fit the GPU op table")
        row = [kind, len(positions), used, _mask(local_controls, local),
               _mask(outer_controls, outer)]  # fmt: skip
        rows.append(row + positions + [0] * (_MAX_POSITIONS - len(positions)))
        chunks.append(values)
        used += values.shape[0]
    return GpuWindow(
        local_offsets=bit_offsets(local_qubits),
        outer_qubits=np.asarray(outer_list, dtype=np.int64),
        ops=np.asarray(rows, dtype=np.int64).reshape(-1, OP_FIELDS),
        data=np.concatenate(chunks) if chunks else np.zeros(1, np.complex128),
    )


def plan_gpu_windows(
    blocks: Sequence[Block], num_qubits: int, window_qubits: int
) -> list[GpuWindow]:
    """Group unconditioned blocks into GPU passes of ``window_qubits`` qubits.

    >>> from kvant.circuit import Circuit
    >>> from kvant.sim._fusion import fuse
    >>> windows = plan_gpu_windows(fuse(Circuit(8).h(0).cx(0, 7).h(6)), 8, 6)
    >>> [(w.window_qubits, w.num_chunks, w.ops.shape[0]) for w in windows]
    [(6, 4, 3)]
    """
    window_qubits = min(window_qubits, num_qubits)
    low = min(COALESCED_QUBITS, num_qubits)
    widest = max((len(b.qubits) for b in blocks if b.kind != "diagonal"), default=0)
    low = max(0, min(low, window_qubits - widest))
    plans = plan_windows(
        blocks, num_qubits, window_qubits=window_qubits, lane_qubits=0, low_qubits=low
    )
    return [encode_gpu_window(w, num_qubits) for w in plans]


def _spread(values: Ints, positions: Sequence[int]) -> Ints:
    """Insert a zero bit at each ascending position (the kernel's group enumeration)."""
    out = values.copy()
    for p in positions:
        out = ((out >> p) << (p + 1)) | (out & ((1 << p) - 1))
    return out


def _dense(chunks: NDArray[Any], op: Ints, data: NDArray[Any], w: int, active: Any) -> None:
    k, offset, local_mask = int(op[1]), int(op[2]), int(op[3])
    positions = [int(p) for p in op[5 : 5 + k]]
    dim = 1 << k
    matrix = data[offset : offset + dim * dim].reshape(dim, dim)
    base = _spread(np.arange(1 << (w - k), dtype=np.int64), positions)
    base = base[(base & local_mask) == local_mask]
    index = base[:, None] | bit_offsets(positions)[None, :]
    block = chunks[active][:, index]  # (chunks, groups, 2**k)
    chunks[np.ix_(np.flatnonzero(active), index.reshape(-1))] = (block @ matrix.T).reshape(
        block.shape[0], -1
    )


def _diagonal(chunks: NDArray[Any], op: Ints, data: NDArray[Any], w: int, active: Any) -> None:
    k, offset, local_mask = int(op[1]), int(op[2]), int(op[3])
    local_index = np.arange(1 << w, dtype=np.int64)
    chunk_index = np.flatnonzero(active).astype(np.int64)
    selector = np.zeros((chunk_index.shape[0], 1 << w), dtype=np.int64)
    for j, p in enumerate(int(p) for p in op[5 : 5 + k]):
        bit = (local_index >> p) & 1 if p < w else ((chunk_index >> (p - w)) & 1)[:, None]
        selector |= bit << j
    factors = data[offset : offset + (1 << k)][selector]
    factors[:, (local_index & local_mask) != local_mask] = 1
    chunks[chunk_index] *= factors


def emulate_window(state: NDArray[Any], window: GpuWindow) -> None:
    """Apply ``window`` to a flat NumPy ``state`` in place, as the CUDA kernel does."""
    w = window.window_qubits
    chunk_numbers = np.arange(window.num_chunks, dtype=np.int64)
    outer_offsets = bit_offsets([int(q) for q in window.outer_qubits])
    addresses = outer_offsets[:, None] + window.local_offsets[None, :]
    chunks = state[addresses]  # shared memory of every CUDA block at once
    data = window.data.astype(state.dtype)
    for op in window.ops:
        outer_mask = int(op[4])
        active = (chunk_numbers & outer_mask) == outer_mask
        if not active.any():
            continue
        if op[0] == _DENSE:
            _dense(chunks, op, data, w, active)
        else:
            _diagonal(chunks, op, data, w, active)
    state[addresses] = chunks
