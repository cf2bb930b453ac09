"""Encode a :class:`~kvant.sim._windows.Window` as the flat arrays the Numba kernels read.

The layout is described in :mod:`kvant.sim._numba_kernels`. Everything here is NumPy on small
arrays (a few entries per block); the state is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.sim._blocks import Block, bit_gather
from kvant.sim._windows import Window

__all__ = ["EncodedWindow", "bit_offsets", "encode_window"]

Ints = NDArray[np.int64]
_KIND = {"dense": (0, 1, 2), "permutation": 3, "diagonal": 4}
_WIDTH = 8  # columns of the fixed/targets tables (a block has at most 5 qubits)


@dataclass(frozen=True, eq=False)
class EncodedWindow:
    """A window ready for :func:`~kvant.sim._numba_kernels.run_window`."""

    outer_offsets: Ints
    io: tuple[Ints, ...]
    lanes: int
    plan: tuple[Ints, ...]
    fdata: NDArray[Any]
    idata: Ints

    @property
    def window_qubits(self) -> int:
        """Qubits per chunk."""
        return int(self.io[0].shape[0] * self.io[1].shape[0]).bit_length() - 1


def bit_offsets(qubits: tuple[int, ...] | list[int]) -> Ints:
    """``out[i] = sum_m bit_m(i) * 2**qubits[m]``: state offsets of each index over ``qubits``."""
    index = np.arange(1 << len(qubits), dtype=np.int64)
    out = np.zeros_like(index)
    for m, q in enumerate(qubits):
        out |= ((index >> m) & 1) << q
    return out


def _diagonal_table(
    block: Block, local: dict[int, int], outer: dict[int, int], lanes: int
) -> tuple[list[int], NDArray[np.complex128]]:
    """``info`` and ``table[o, h, lane]`` of a diagonal block in this window."""
    outer_q = [q for q in block.targets if q in outer]
    # the kernel spreads row bits in ascending local order
    row_q = sorted(
        (q for q in block.targets if q in local and local[q] >= lanes), key=lambda q: local[q]
    )
    # bit positions of each target in the flat table index (o, h, lane): lane bits lowest
    at = {q: lanes + j for j, q in enumerate(row_q)}
    at |= {q: lanes + len(row_q) + j for j, q in enumerate(outer_q)}
    positions = tuple(at.get(q, local.get(q, -1)) for q in block.targets)
    index = bit_gather(positions, lanes + len(row_q) + len(outer_q))
    info = [len(outer_q), len(row_q), *(outer[q] for q in outer_q)]
    info += [local[q] - lanes for q in row_q]
    return info, block.data[index]


#: Runs copied through the permutation table have ``2**_MIN_RUN_BITS`` to ``2**_MAX_RUN_BITS``
#: amplitudes: shorter runs are copied in tiles; longer ones are cut (the table stays in L1).
_MIN_RUN_BITS, _MAX_RUN_BITS = 5, 12


def _run_tables(window: Window) -> tuple[Ints, Ints, Ints]:
    """``(perm, run_offsets, run_buffer)`` of the run copy (see ``_chunk_io``), or empty arrays.

    With qubits ``0..c-1`` in the window, a chunk is ``2**(w-c)`` contiguous runs of ``2**c``
    amplitudes: amplitude ``m`` of the run at ``run_offsets[j]`` goes to buffer index
    ``run_buffer[j] + perm[m]``. Empty when the lanes are qubits ``0..lanes-1`` (rows are runs
    already) or the runs would be short.
    """
    lanes = window.qubits[: window.lane_qubits]
    local = {q: m for m, q in enumerate(window.qubits)}
    run_bits = 0
    while run_bits < _MAX_RUN_BITS and run_bits in local:
        run_bits += 1
    empty = np.zeros(0, np.int64)
    if lanes == tuple(range(len(lanes))) or run_bits < _MIN_RUN_BITS:
        return empty, empty, empty
    rest = sorted(q for q in window.qubits if q >= run_bits)  # ascending: runs in memory order
    return (
        bit_offsets([local[q] for q in range(run_bits)]),
        bit_offsets(rest),
        bit_offsets([local[q] for q in rest]),
    )


def _io_tables(window: Window) -> tuple[Ints, ...]:
    """Lane offsets, row offsets, rows in memory order and the run tables (see ``_chunk_io``)."""
    rows = bit_offsets(list(window.qubits[window.lane_qubits :]))
    order = np.argsort(rows, kind="stable").astype(np.int64)
    lanes = bit_offsets(list(window.qubits[: window.lane_qubits]))
    return (lanes, rows, order, *_run_tables(window))


def encode_window(window: Window, num_qubits: int, real_dtype: np.dtype[Any]) -> EncodedWindow:
    """The arrays of one window, with matrices and tables in ``real_dtype`` precision.

    Args:
        window: The window.
        num_qubits: Qubits of the state.
        real_dtype: float32 (complex64 runs) or float64 (complex128 runs).

    Returns:
        The encoded window.
    """
    lanes = window.lane_qubits
    local = {q: m for m, q in enumerate(window.qubits)}
    outer_list = window.outer_qubits(num_qubits)
    outer = {q: j for j, q in enumerate(outer_list)}
    count = len(window.blocks)
    kinds = np.zeros(count, np.int64)
    nfixed = np.zeros(count, np.int64)
    fixed = np.zeros((count, _WIDTH), np.int64)
    ntargets = np.zeros(count, np.int64)
    targets = np.zeros((count, _WIDTH), np.int64)
    local_controls = np.zeros(count, np.int64)
    lane_controls = np.zeros(count, np.int64)
    outer_controls = np.zeros(count, np.int64)
    foff = np.zeros(count, np.int64)
    ioff = np.zeros(count, np.int64)
    floats: list[NDArray[np.float64]] = []
    ints: list[int] = []
    used = 0
    for i, block in enumerate(window.blocks):
        foff[i], ioff[i] = used, len(ints)
        if block.kind == "diagonal":
            kinds[i] = 4
            info, table = _diagonal_table(block, local, outer, lanes)
            ints += info
            values = np.concatenate([table.real, table.imag])
        else:
            positions = [local[q] for q in block.targets]
            window_controls = [local[q] for q in block.controls if q in local]
            body_controls = [p for p in window_controls if p >= lanes]
            ntargets[i] = len(positions)
            targets[i, : len(positions)] = positions
            fix = sorted(positions + body_controls)
            nfixed[i] = len(fix)
            fixed[i, : len(fix)] = fix
            local_controls[i] = sum(1 << p for p in body_controls)
            lane_controls[i] = sum(1 << p for p in window_controls if p < lanes)
            outer_controls[i] = sum(1 << outer[q] for q in block.controls if q in outer)
            if block.kind == "permutation":
                kinds[i] = 3
                source = (
                    block.source if block.source is not None else np.arange(1 << len(positions))
                )
                ints += [int(s) for s in source]
                values = np.concatenate([block.data.real, block.data.imag])
            else:
                kinds[i] = min(len(positions), 3) - 1
                values = np.concatenate([block.data.real.reshape(-1), block.data.imag.reshape(-1)])
        floats.append(values)
        used += values.shape[0]
    fdata = np.concatenate(floats).astype(real_dtype) if floats else np.zeros(1, real_dtype)
    plan = (
        kinds, nfixed, fixed, ntargets, targets, local_controls, lane_controls, outer_controls,
        foff, ioff,
    )  # fmt: skip
    return EncodedWindow(
        outer_offsets=bit_offsets(list(outer_list)),
        io=_io_tables(window),
        lanes=lanes,
        plan=plan,
        fdata=fdata,
        idata=np.asarray(ints if ints else [0], dtype=np.int64),
    )
