"""Numba kernels of the CPU engine: one parallel pass per window, in-cache block kernels.

:func:`run_window` splits the state into chunks (one per value of the outer qubits); each thread
takes every ``num_threads``-th chunk, gathers its ``2**w`` amplitudes into a private buffer
(real and imaginary parts apart, local bit order of the window), applies the window's blocks
there and scatters the chunk back. The state is updated in place; the only other memory is the
per-thread buffers (``2**w`` amplitudes each).

In a buffer, local bits ``0..lanes-1`` are lanes that no dense or permutation block moves, so
the innermost loops run over ``2**lanes`` or more contiguous floats with unsigned indices and
LLVM vectorises them (signed indices carry Numba's wrap-around check, which blocks that).
Kernels are written once for ``float32``/``complex64`` and ``float64``/``complex128``; Numba
compiles one version per precision on first use and caches it on disk (``cache=True``).

``fastmath={"contract"}`` lets LLVM fuse a multiply and an add into one FMA instruction (one
rounding instead of two); it allows no reassociation and no finite-math assumptions.

Op encoding (built by :mod:`kvant.sim._numba_plan`), per block i:
``kinds[i]`` (0 dense 1-qubit, 1 dense 2-qubit, 2 dense k-qubit, 3 permutation, 4 diagonal);
``fixed[i, :nfixed[i]]`` ascending local bits of targets and window controls;
``targets[i, :ntargets[i]]`` ascending local target bits; ``local_controls[i]`` and
``outer_controls[i]`` control masks over local bits and chunk-number bits; ``foff[i]``/``ioff[i]``
offsets into ``fdata`` (matrices: all real parts, then all imaginary parts; diagonal tables)
and ``idata`` (permutation sources; diagonal bit positions).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

__all__ = ["KERNEL_TILE", "run_window"]

#: Inner tile (amplitudes) of the generic k-qubit kernels; scratch per thread is
#: ``4 * 32 * KERNEL_TILE`` floats.
KERNEL_TILE = 64

_FLAGS = {"cache": True, "fastmath": {"contract"}, "nogil": True}
_ONE = uint64(1)


@njit(inline="always", **_FLAGS)  # type: ignore[misc]
def _spread(value, fixed, count):  # type: ignore[no-untyped-def]
    """Insert a zero bit at each of the ``count`` ascending positions ``fixed``."""
    for t in range(count):
        p = uint64(fixed[t])
        value = ((value >> p) << (p + _ONE)) | (value & ((_ONE << p) - _ONE))
    return value


@njit(**_FLAGS)  # type: ignore[misc]
def _dense1(re, im, fixed, nfixed, target, cmask, m):  # type: ignore[no-untyped-def]
    run = _ONE << uint64(fixed[0])
    step = _ONE << uint64(target)
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    ar, br, cr, dr = m[0], m[1], m[2], m[3]
    ai, bi, ci, di = m[4], m[5], m[6], m[7]
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        for j in range(run):
            i0 = base + uint64(j)
            i1 = i0 + step
            xr = re[i0]
            xi = im[i0]
            yr = re[i1]
            yi = im[i1]
            re[i0] = ar * xr - ai * xi + br * yr - bi * yi
            im[i0] = ar * xi + ai * xr + br * yi + bi * yr
            re[i1] = cr * xr - ci * xi + dr * yr - di * yi
            im[i1] = cr * xi + ci * xr + dr * yi + di * yr


@njit(**_FLAGS)  # type: ignore[misc]
def _dense2(re, im, fixed, nfixed, t0, t1, cmask, m):  # type: ignore[no-untyped-def]
    run = _ONE << uint64(fixed[0])
    s0 = _ONE << uint64(t0)
    s1 = _ONE << uint64(t1)
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    r00, r01, r02, r03, r10, r11, r12, r13 = m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]
    r20, r21, r22, r23, r30, r31, r32, r33 = m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15]
    j00, j01, j02, j03, j10, j11, j12, j13 = m[16], m[17], m[18], m[19], m[20], m[21], m[22], m[23]
    j20, j21, j22, j23, j30, j31, j32, j33 = m[24], m[25], m[26], m[27], m[28], m[29], m[30], m[31]
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        for j in range(run):
            i0 = base + uint64(j)
            i1 = i0 + s0
            i2 = i0 + s1
            i3 = i2 + s0
            ar, ai, br, bi = re[i0], im[i0], re[i1], im[i1]
            cr, ci, dr, di = re[i2], im[i2], re[i3], im[i3]
            re[i0] = r00 * ar - j00 * ai + r01 * br - j01 * bi + r02 * cr - j02 * ci + r03 * dr - j03 * di
            im[i0] = r00 * ai + j00 * ar + r01 * bi + j01 * br + r02 * ci + j02 * cr + r03 * di + j03 * dr
            re[i1] = r10 * ar - j10 * ai + r11 * br - j11 * bi + r12 * cr - j12 * ci + r13 * dr - j13 * di
            im[i1] = r10 * ai + j10 * ar + r11 * bi + j11 * br + r12 * ci + j12 * cr + r13 * di + j13 * dr
            re[i2] = r20 * ar - j20 * ai + r21 * br - j21 * bi + r22 * cr - j22 * ci + r23 * dr - j23 * di
            im[i2] = r20 * ai + j20 * ar + r21 * bi + j21 * br + r22 * ci + j22 * cr + r23 * di + j23 * dr
            re[i3] = r30 * ar - j30 * ai + r31 * br - j31 * bi + r32 * cr - j32 * ci + r33 * dr - j33 * di
            im[i3] = r30 * ai + j30 * ar + r31 * bi + j31 * br + r32 * ci + j32 * cr + r33 * di + j33 * dr


@njit(inline="always", **_FLAGS)  # type: ignore[misc]
def _offsets(targets, ntargets, out):  # type: ignore[no-untyped-def]
    """``out[c]``: the buffer offset of local index c over the target bits."""
    for c in range(1 << ntargets):
        offset = uint64(0)
        for t in range(ntargets):
            if (c >> t) & 1:
                offset += _ONE << uint64(targets[t])
        out[c] = offset


@njit(**_FLAGS)  # type: ignore[misc]
def _dense_k(re, im, fixed, nfixed, targets, ntargets, cmask, m, scratch, offs):  # type: ignore[no-untyped-def]
    dim = 1 << ntargets
    _offsets(targets, ntargets, offs)
    run = _ONE << uint64(fixed[0])
    tile = uint64(min(run, uint64(scratch.shape[1]) // uint64(dim)))
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    tr, ti, ar, ai = scratch[0], scratch[1], scratch[2], scratch[3]
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        for j0 in range(uint64(0), run, tile):
            for c in range(dim):
                src = base + offs[c] + j0
                o = uint64(c) * tile
                for j in range(tile):
                    tr[o + uint64(j)] = re[src + uint64(j)]
                    ti[o + uint64(j)] = im[src + uint64(j)]
            for r in range(dim):
                for j in range(tile):
                    ar[j] = 0.0
                    ai[j] = 0.0
                for c in range(dim):
                    mr = m[r * dim + c]
                    mi = m[dim * dim + r * dim + c]
                    o = uint64(c) * tile
                    for j in range(tile):
                        xr = tr[o + uint64(j)]
                        xi = ti[o + uint64(j)]
                        ar[j] += mr * xr - mi * xi
                        ai[j] += mr * xi + mi * xr
                dst = base + offs[r] + j0
                for j in range(tile):
                    re[dst + uint64(j)] = ar[j]
                    im[dst + uint64(j)] = ai[j]


@njit(**_FLAGS)  # type: ignore[misc]
def _permute(re, im, fixed, nfixed, targets, ntargets, cmask, source, ph, scratch, offs):  # type: ignore[no-untyped-def]
    """``out[r] = phase[r] * in[source[r]]`` over the targets (rows with r == source[r] and
    phase 1 are skipped); ``ph`` holds the real parts of the phases, then the imaginary parts."""
    dim = 1 << ntargets
    _offsets(targets, ntargets, offs)
    run = _ONE << uint64(fixed[0])
    tile = uint64(min(run, uint64(scratch.shape[1]) // uint64(dim)))
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    tr, ti = scratch[0], scratch[1]
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        for j0 in range(uint64(0), run, tile):
            for c in range(dim):
                src = base + offs[c] + j0
                o = uint64(c) * tile
                for j in range(tile):
                    tr[o + uint64(j)] = re[src + uint64(j)]
                    ti[o + uint64(j)] = im[src + uint64(j)]
            for r in range(dim):
                pr = ph[r]
                pi = ph[dim + r]
                s = source[r]
                if s == r and pr == 1.0 and pi == 0.0:
                    continue
                dst = base + offs[r] + j0
                o = uint64(s) * tile
                if pi == 0.0 and pr == 1.0:
                    for j in range(tile):
                        re[dst + uint64(j)] = tr[o + uint64(j)]
                        im[dst + uint64(j)] = ti[o + uint64(j)]
                else:
                    for j in range(tile):
                        xr = tr[o + uint64(j)]
                        xi = ti[o + uint64(j)]
                        re[dst + uint64(j)] = pr * xr - pi * xi
                        im[dst + uint64(j)] = pr * xi + pi * xr


@njit(**_FLAGS)  # type: ignore[misc]
def _diagonal(re, im, lanes, chunk, info, table):  # type: ignore[no-untyped-def]
    """Multiply by a diagonal given as ``table[outer, row, lane]`` (real parts, then imaginary
    parts); ``info`` = [n_outer, n_row, outer bit positions..., row bit positions...]."""
    n_outer = info[0]
    n_row = info[1]
    outer = 0
    for t in range(n_outer):
        outer |= ((chunk >> info[2 + t]) & 1) << t
    width = uint64(1) << uint64(lanes)
    rows = uint64(re.shape[0]) >> uint64(lanes)
    per_outer = (uint64(1) << uint64(n_row)) * width
    half = uint64(table.shape[0] // 2)
    start = uint64(outer) * per_outer
    for row in range(rows):
        h = uint64(0)
        for t in range(n_row):
            h |= ((uint64(row) >> uint64(info[2 + n_outer + t])) & _ONE) << uint64(t)
        f = start + h * width
        o = uint64(row) * width
        for lane in range(width):
            fr = table[f + uint64(lane)]
            fi = table[half + f + uint64(lane)]
            xr = re[o + uint64(lane)]
            xi = im[o + uint64(lane)]
            re[o + uint64(lane)] = fr * xr - fi * xi
            im[o + uint64(lane)] = fr * xi + fi * xr


@njit(**_FLAGS)  # type: ignore[misc]
def _apply_blocks(re, im, chunk, lanes, plan, fdata, idata, scratch, offs):  # type: ignore[no-untyped-def]
    kinds, nfixed, fixed, ntargets, targets, local_controls, outer_controls, foff, ioff = plan
    for i in range(kinds.shape[0]):
        oc = outer_controls[i]
        if (chunk & oc) != oc:
            continue
        kind = kinds[i]
        cmask = uint64(local_controls[i])
        if kind == 0:
            _dense1(re, im, fixed[i], nfixed[i], targets[i, 0], cmask, fdata[foff[i] :])
        elif kind == 1:
            _dense2(re, im, fixed[i], nfixed[i], targets[i, 0], targets[i, 1], cmask, fdata[foff[i] :])
        elif kind == 2:
            _dense_k(re, im, fixed[i], nfixed[i], targets[i], ntargets[i], cmask, fdata[foff[i] :], scratch, offs)
        elif kind == 3:
            source = idata[ioff[i] :]
            _permute(re, im, fixed[i], nfixed[i], targets[i], ntargets[i], cmask, source, fdata[foff[i] :], scratch, offs)
        else:
            end = foff[i + 1] if i + 1 < foff.shape[0] else fdata.shape[0]
            _diagonal(re, im, lanes, chunk, idata[ioff[i] :], fdata[foff[i] : end])


@njit(parallel=True, **_FLAGS)  # type: ignore[misc]
def run_window(floats, outer_offsets, row_offsets, lane_offsets, lanes, plan, fdata, idata, buffers, scratch, offs):  # type: ignore[no-untyped-def]
    """Apply one window's blocks to every chunk of the state (in place, on all threads).

    ``floats``: the state viewed as floats (real, imaginary interleaved);
    ``outer_offsets[c]``: state index of chunk c's local index 0; ``row_offsets``,
    ``lane_offsets``: state offsets of the local rows (bits >= lanes) and of the lanes;
    ``buffers[t]``: thread t's (2, 2**w) float buffer; ``scratch[t]``, ``offs[t]``: its
    kernel scratch.
    """
    nthreads = buffers.shape[0]
    nchunks = outer_offsets.shape[0]
    width = lane_offsets.shape[0]
    contiguous = lane_offsets[width - 1] == width - 1
    two = uint64(2)
    for t in prange(nthreads):
        re = buffers[t, 0]
        im = buffers[t, 1]
        chunk = t
        while chunk < nchunks:
            base = uint64(outer_offsets[chunk])
            for row in range(row_offsets.shape[0]):
                src = two * (base + uint64(row_offsets[row]))
                o = uint64(row) * uint64(width)
                if contiguous:
                    for lane in range(width):
                        re[o + uint64(lane)] = floats[src + two * uint64(lane)]
                        im[o + uint64(lane)] = floats[src + two * uint64(lane) + _ONE]
                else:
                    for lane in range(width):
                        at = src + two * uint64(lane_offsets[lane])
                        re[o + uint64(lane)] = floats[at]
                        im[o + uint64(lane)] = floats[at + _ONE]
            _apply_blocks(re, im, chunk, lanes, plan, fdata, idata, scratch[t], offs[t])
            for row in range(row_offsets.shape[0]):
                dst = two * (base + uint64(row_offsets[row]))
                o = uint64(row) * uint64(width)
                if contiguous:
                    for lane in range(width):
                        floats[dst + two * uint64(lane)] = re[o + uint64(lane)]
                        floats[dst + two * uint64(lane) + _ONE] = im[o + uint64(lane)]
                else:
                    for lane in range(width):
                        at = dst + two * uint64(lane_offsets[lane])
                        floats[at] = re[o + uint64(lane)]
                        floats[at + _ONE] = im[o + uint64(lane)]
            chunk += nthreads
