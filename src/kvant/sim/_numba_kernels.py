# Numba compiles these functions from their argument types; Python annotations would be
# ignored by it, so mypy checks neither their signatures nor their bodies:
# mypy: disallow-untyped-defs=False, check-untyped-defs=False
"""Numba kernels of the CPU engine: one pass over the state per window, in-cache block kernels.

The state splits into chunks, one per value of the window's outer qubits. :func:`run_chunks`
takes every ``step``-th chunk, gathers its ``2**w`` amplitudes into a private buffer (real and
imaginary parts apart, in the window's local bit order), applies the window's blocks there and
scatters the chunk back. The state is updated in place; the only other memory is one buffer of
``2**w`` amplitudes per thread.

Threads: the kernels are compiled with ``nogil=True`` and the engine runs one call per thread
on disjoint chunks. (Numba's ``parallel=True`` does the same static split but its parfor pass
doubled the compile time, 5 s to 11 s per precision here, and its thread count is
process-wide state; this way each engine has its own.)

The block kernels themselves are in :mod:`kvant.sim._numba_gates`.

Op encoding (built by :mod:`kvant.sim._numba_plan`), per block i:
``kinds[i]`` (0 dense 1-qubit, 1 dense 2-qubit, 2 dense k-qubit, 3 permutation, 4 diagonal);
``fixed[i, :nfixed[i]]`` ascending local bits of targets and controls above the lanes;
``targets[i, :ntargets[i]]`` ascending local target bits; ``local_controls[i]``,
``lane_controls[i]`` and ``outer_controls[i]`` control masks over local bits above the lanes,
lane bits and chunk-number bits (a lane control is not a fixed bit: the kernel computes every
lane and keeps the old value where the control reads 0); ``foff[i]``/``ioff[i]`` offsets into
``fdata`` (matrices: all real parts, then all imaginary parts; diagonal tables)
and ``idata`` (permutation sources; diagonal bit positions).
"""

from __future__ import annotations

from numba import uint64

from kvant.sim._numba_gates import (
    KERNEL_TILE,
    dense1,
    dense2,
    dense_k,
    diagonal,
    jit,
    permute,
    wide_vectors,
)

__all__ = ["KERNEL_TILE", "run_chunks"]

_IO_TILE = 8  # rows per tile of the transposing chunk copy
_ONE = uint64(1)


@jit()
def _apply_blocks(re, im, chunk, lanes, plan, fdata, idata, scratch, offs):
    """Apply a window's blocks, in order, to one chunk buffer."""
    wide_vectors()
    kinds, nfixed, fixed, ntargets, targets, local_controls, lane_controls = plan[:7]
    outer_controls, foff, ioff = plan[7:]
    for i in range(kinds.shape[0]):
        oc = outer_controls[i]
        if (chunk & oc) != oc:
            continue
        kind = kinds[i]
        cmask = uint64(local_controls[i])
        lmask = lane_controls[i]
        data = fdata[foff[i] :]
        if kind == 0:
            dense1(re, im, fixed[i], nfixed[i], targets[i, 0], cmask, lmask, data)
        elif kind == 1:
            dense2(re, im, fixed[i], nfixed[i], targets[i, 0], targets[i, 1], cmask, lmask, data)
        elif kind == 2:
            dense_k(
                re, im, fixed[i], nfixed[i], targets[i], ntargets[i], cmask, lmask, data,
                scratch, offs,
            )  # fmt: skip
        elif kind == 3:
            source = idata[ioff[i] :]
            permute(
                re, im, fixed[i], nfixed[i], targets[i], ntargets[i], cmask, lmask, source,
                data, scratch, offs,
            )  # fmt: skip
        else:
            end = foff[i + 1] if i + 1 < foff.shape[0] else fdata.shape[0]
            diagonal(re, im, lanes, chunk, idata[ioff[i] :], fdata[foff[i] : end])


@jit()
def _chunk_io(floats, base, io, re, im, load):
    """Copy one chunk from the interleaved state into the split buffer (or back).

    ``io = (lane_offsets, row_offsets, row_order, perm, run_offsets, run_buffer)``: buffer
    index ``row * lanes + lane`` is state index ``base + row_offsets[row] + lane_offsets[lane]``;
    ``row_order`` lists the rows by increasing memory offset, so the walk over memory is
    monotone (the prefetcher keeps streaming). Three ways, fastest first:

    * lanes on the lowest qubits: each row is a contiguous run;
    * the run tables (non-empty when the window holds at least qubits 0..4, as the planner
      makes it): the chunk is contiguous runs of ``len(perm)`` amplitudes, run j at
      ``run_offsets[j]``, its amplitude m at buffer index ``run_buffer[j] + perm[m]``; memory
      is read and written in order, the buffer side is a gather or scatter within L1/L2
      (one thread, in and out: 1.9 ns per amplitude against 2.4-2.9 for the tiles at 24
      qubits; 2.2 against 2.3-2.5 at 26, where main memory is the limit);
    * otherwise a transpose in tiles of ``_IO_TILE`` consecutive rows (in memory order) by all
      lanes, so both sides of a tile stay in L1.
    """
    wide_vectors()
    lane_offsets, row_offsets, row_order, perm, run_offsets, run_buffer = io
    width = uint64(lane_offsets.shape[0])
    rows = uint64(row_offsets.shape[0])
    two = uint64(2)
    if lane_offsets[width - _ONE] == width - _ONE:
        for r in range(rows):
            row = uint64(row_order[r])
            start = two * (base + uint64(row_offsets[row]))
            o = row * width
            if load:
                for lane in range(width):
                    re[o + uint64(lane)] = floats[start + two * uint64(lane)]
                    im[o + uint64(lane)] = floats[start + two * uint64(lane) + _ONE]
            else:
                for lane in range(width):
                    floats[start + two * uint64(lane)] = re[o + uint64(lane)]
                    floats[start + two * uint64(lane) + _ONE] = im[o + uint64(lane)]
        return
    run = uint64(perm.shape[0])
    if run > 0:
        for j in range(run_offsets.shape[0]):
            start = two * (base + uint64(run_offsets[j]))
            o = uint64(run_buffer[j])
            if load:
                for m in range(run):
                    k = o + uint64(perm[m])
                    re[k] = floats[start + two * uint64(m)]
                    im[k] = floats[start + two * uint64(m) + _ONE]
            else:
                for m in range(run):
                    k = o + uint64(perm[m])
                    floats[start + two * uint64(m)] = re[k]
                    floats[start + two * uint64(m) + _ONE] = im[k]
        return
    tile = min(rows, uint64(_IO_TILE))
    for first in range(uint64(0), rows, tile):
        for lane in range(width):
            start = base + uint64(lane_offsets[lane])
            for r in range(tile):
                row = uint64(row_order[first + uint64(r)])
                at = two * (start + uint64(row_offsets[row]))
                k = row * width + uint64(lane)
                if load:
                    re[k] = floats[at]
                    im[k] = floats[at + _ONE]
                else:
                    floats[at] = re[k]
                    floats[at + _ONE] = im[k]


@jit()
def run_chunks(
    first, step, floats, outer_offsets, io, lanes, plan, fdata, idata, re, im, scratch, offs
):
    """Apply one window's blocks to chunks ``first, first + step, ...`` of the state, in place.

    Compiled without the GIL, so ``step`` threads with ``first = 0..step-1`` run concurrently
    on disjoint chunks. ``floats``: the state viewed as floats (real and imaginary parts
    interleaved); ``outer_offsets[c]``: state index of chunk c's local index 0; ``io``: see
    ``_chunk_io``; ``re``, ``im``: the thread's ``2**w`` buffer; ``scratch``, ``offs``: its
    kernel scratch (``(4, 32 * KERNEL_TILE)`` floats, 32 unsigned ints).
    """
    wide_vectors()
    for chunk in range(first, outer_offsets.shape[0], step):
        base = uint64(outer_offsets[chunk])
        _chunk_io(floats, base, io, re, im, True)
        _apply_blocks(re, im, chunk, lanes, plan, fdata, idata, scratch, offs)
        _chunk_io(floats, base, io, re, im, False)
