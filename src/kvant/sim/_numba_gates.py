# Numba compiles these functions from their argument types; Python annotations would be
# ignored by it, so mypy checks neither their signatures nor their bodies:
# mypy: disallow-untyped-defs=False, check-untyped-defs=False
"""In-cache block kernels of the CPU engine: dense, permutation and diagonal blocks on one
chunk buffer (real and imaginary parts in separate float arrays, local bit order).

Every kernel enumerates groups by inserting zero bits at the block's fixed bits (targets and
controls above the lanes; controls are then set) and loops over the ``2**b`` contiguous
amplitudes below the lowest fixed bit b, with unsigned indices so that LLVM vectorises the loop
(signed indices carry Numba's wrap-around check, which blocks that). Lanes (see
:mod:`kvant.sim._windows`) keep b >= 5. A control on a lane (``lmask``) is no fixed bit: the
loop computes every lane and stores the old value where the control reads 0, a select per
amplitude (a controlled X on a lane costs as much as an X, 0.2 ns per amplitude in L2, against
0.11 for a control above the lanes, which halves the groups). ``fastmath={"contract"}`` lets
LLVM fuse a multiply and an add into one FMA (one rounding instead of two); it allows no
reassociation and no finite-math assumptions. Each kernel compiles once per precision (float32
for complex64 runs, float64 for complex128) and is cached on disk.

Measured costs per amplitude are in :data:`kvant.sim._fusion.CPU_COST`
(``python -m kvant.sim._calibrate`` re-measures them).
"""

from __future__ import annotations

import contextlib
from typing import Any

from numba import njit, types, uint64
from numba.extending import intrinsic

__all__ = [
    "KERNEL_TILE",
    "dense1",
    "dense2",
    "dense_k",
    "diagonal",
    "jit",
    "permute",
    "wide_vectors",
]

#: Inner tile (amplitudes) of the generic k-qubit kernels; scratch per thread is
#: ``4 * 32 * KERNEL_TILE`` floats.
KERNEL_TILE = 64


@intrinsic
def wide_vectors(typingctx):
    """Let LLVM vectorise the calling function with 512-bit registers where the CPU has them.

    On AVX-512 CPUs LLVM defaults to 256-bit vectors (``prefer-vector-width``); this sets the
    attribute on the kernel that calls it, and on no other code in the process (Numba's
    ``NUMBA_CPU_FEATURES`` would change every compiled function). Measured on the benchmark's
    Xeon: dense 1- and 2-qubit kernels 1.45x faster. Without AVX-512 it changes nothing.
    """

    def codegen(context, builder, signature, args):
        # llvmlite checks attribute names against a fixed list; a string attribute goes in as
        # is. Should a later llvmlite store attributes differently, compile without it.
        with contextlib.suppress(TypeError):
            set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen


def jit(*, inline: bool = False) -> Any:
    """``numba.njit`` with this module's flags: cached on disk, FMA contraction only, no GIL."""
    return njit(
        cache=True, fastmath={"contract"}, nogil=True, inline="always" if inline else "never"
    )


_ONE = uint64(1)


@jit(inline=True)
def _spread(value, fixed, count):
    """Insert a zero bit at each of the ``count`` ascending positions ``fixed``."""
    for t in range(count):
        p = uint64(fixed[t])
        value = ((value >> p) << (p + _ONE)) | (value & ((_ONE << p) - _ONE))
    return value


@jit()
def dense1(re, im, fixed, nfixed, target, cmask, lmask, m):
    """A 2x2 matrix on ``target`` where the body controls ``cmask`` and the lane controls
    ``lmask`` read 1 (lanes that do not are blended back unchanged)."""
    wide_vectors()
    run = _ONE << uint64(fixed[0])
    step = _ONE << uint64(target)
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    lm = uint64(lmask)
    ar, br, cr, dr = m[0], m[1], m[2], m[3]
    ai, bi, ci, di = m[4], m[5], m[6], m[7]
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        if lm == 0:
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
            continue
        for j in range(run):
            i0 = base + uint64(j)
            i1 = i0 + step
            on = (uint64(j) & lm) == lm
            xr = re[i0]
            xi = im[i0]
            yr = re[i1]
            yi = im[i1]
            re[i0] = ar * xr - ai * xi + br * yr - bi * yi if on else xr
            im[i0] = ar * xi + ai * xr + br * yi + bi * yr if on else xi
            re[i1] = cr * xr - ci * xi + dr * yr - di * yi if on else yr
            im[i1] = cr * xi + ci * xr + dr * yi + di * yr if on else yi


@jit(inline=True)
def _row2(r0, r1, r2, r3, j0, j1, j2, j3, ar, ai, br, bi, cr, ci, dr, di):
    """One row of a 4x4 complex matrix times 4 complex amplitudes: ``(real, imaginary)``."""
    yr = r0 * ar - j0 * ai + r1 * br - j1 * bi + r2 * cr - j2 * ci + r3 * dr - j3 * di
    yi = r0 * ai + j0 * ar + r1 * bi + j1 * br + r2 * ci + j2 * cr + r3 * di + j3 * dr
    return yr, yi


@jit()
def dense2(re, im, fixed, nfixed, t0, t1, cmask, lmask, m):
    """A 4x4 matrix on ``t0 < t1`` (see :func:`dense1` for the controls)."""
    wide_vectors()
    run = _ONE << uint64(fixed[0])
    s0 = _ONE << uint64(t0)
    s1 = _ONE << uint64(t1)
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    lm = uint64(lmask)
    r00, r01, r02, r03, r10, r11, r12, r13 = m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]
    r20, r21, r22, r23, r30, r31, r32, r33 = m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15]
    j00, j01, j02, j03, j10, j11, j12, j13 = m[16], m[17], m[18], m[19], m[20], m[21], m[22], m[23]
    j20, j21, j22, j23, j30, j31, j32, j33 = m[24], m[25], m[26], m[27], m[28], m[29], m[30], m[31]
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        if lm == 0:
            for j in range(run):
                i0 = base + uint64(j)
                i1 = i0 + s0
                i2 = i0 + s1
                i3 = i2 + s0
                ar, ai, br, bi = re[i0], im[i0], re[i1], im[i1]
                cr, ci, dr, di = re[i2], im[i2], re[i3], im[i3]
                re[i0], im[i0] = _row2(
                    r00, r01, r02, r03, j00, j01, j02, j03, ar, ai, br, bi, cr, ci, dr, di
                )
                re[i1], im[i1] = _row2(
                    r10, r11, r12, r13, j10, j11, j12, j13, ar, ai, br, bi, cr, ci, dr, di
                )
                re[i2], im[i2] = _row2(
                    r20, r21, r22, r23, j20, j21, j22, j23, ar, ai, br, bi, cr, ci, dr, di
                )
                re[i3], im[i3] = _row2(
                    r30, r31, r32, r33, j30, j31, j32, j33, ar, ai, br, bi, cr, ci, dr, di
                )
            continue
        for j in range(run):
            i0 = base + uint64(j)
            i1 = i0 + s0
            i2 = i0 + s1
            i3 = i2 + s0
            ar, ai, br, bi = re[i0], im[i0], re[i1], im[i1]
            cr, ci, dr, di = re[i2], im[i2], re[i3], im[i3]
            y0r, y0i = _row2(r00, r01, r02, r03, j00, j01, j02, j03, ar, ai, br, bi, cr, ci, dr, di)
            y1r, y1i = _row2(r10, r11, r12, r13, j10, j11, j12, j13, ar, ai, br, bi, cr, ci, dr, di)
            y2r, y2i = _row2(r20, r21, r22, r23, j20, j21, j22, j23, ar, ai, br, bi, cr, ci, dr, di)
            y3r, y3i = _row2(r30, r31, r32, r33, j30, j31, j32, j33, ar, ai, br, bi, cr, ci, dr, di)
            on = (uint64(j) & lm) == lm  # a lane control reading 0 keeps the input
            re[i0] = y0r if on else ar
            im[i0] = y0i if on else ai
            re[i1] = y1r if on else br
            im[i1] = y1i if on else bi
            re[i2] = y2r if on else cr
            im[i2] = y2i if on else ci
            re[i3] = y3r if on else dr
            im[i3] = y3i if on else di


@jit(inline=True)
def _offsets(targets, ntargets, out):
    """``out[c]``: the buffer offset of local index c over the target bits."""
    for c in range(1 << ntargets):
        offset = uint64(0)
        for t in range(ntargets):
            if (c >> t) & 1:
                offset += _ONE << uint64(targets[t])
        out[c] = offset


@jit()
def dense_k(re, im, fixed, nfixed, targets, ntargets, cmask, lmask, m, scratch, offs):
    """A ``2**ntargets``-square matrix, in tiles through ``scratch`` (controls: see
    :func:`dense1`)."""
    wide_vectors()
    lm = uint64(lmask)
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
                if lm == 0:
                    for j in range(tile):
                        re[dst + uint64(j)] = ar[j]
                        im[dst + uint64(j)] = ai[j]
                    continue
                o = uint64(r) * tile
                for j in range(tile):
                    on = ((j0 + uint64(j)) & lm) == lm
                    re[dst + uint64(j)] = ar[j] if on else tr[o + uint64(j)]
                    im[dst + uint64(j)] = ai[j] if on else ti[o + uint64(j)]


@jit()
def _swap1(re, im, fixed, nfixed, target, cmask, lmask, ph):
    """X-like: ``out0 = p0 * in1, out1 = p1 * in0`` on one target (phases skipped when 1)."""
    wide_vectors()
    run = _ONE << uint64(fixed[0])
    step = _ONE << uint64(target)
    nbase = (uint64(re.shape[0]) >> uint64(nfixed)) // run
    lm = uint64(lmask)
    p0r, p1r, p0i, p1i = ph[0], ph[1], ph[2], ph[3]
    plain = p0r == 1.0 and p1r == 1.0 and p0i == 0.0 and p1i == 0.0
    for b in range(nbase):
        base = _spread(uint64(b) * run, fixed, nfixed) | cmask
        if plain and lm == 0:
            for j in range(run):
                i0 = base + uint64(j)
                i1 = i0 + step
                xr = re[i0]
                xi = im[i0]
                re[i0] = re[i1]
                im[i0] = im[i1]
                re[i1] = xr
                im[i1] = xi
        elif lm == 0:
            for j in range(run):
                i0 = base + uint64(j)
                i1 = i0 + step
                xr = re[i0]
                xi = im[i0]
                yr = re[i1]
                yi = im[i1]
                re[i0] = p0r * yr - p0i * yi
                im[i0] = p0r * yi + p0i * yr
                re[i1] = p1r * xr - p1i * xi
                im[i1] = p1r * xi + p1i * xr
        else:
            for j in range(run):
                i0 = base + uint64(j)
                i1 = i0 + step
                on = (uint64(j) & lm) == lm
                xr = re[i0]
                xi = im[i0]
                yr = re[i1]
                yi = im[i1]
                re[i0] = p0r * yr - p0i * yi if on else xr
                im[i0] = p0r * yi + p0i * yr if on else xi
                re[i1] = p1r * xr - p1i * xi if on else yr
                im[i1] = p1r * xi + p1i * xr if on else yi


@jit()
def permute(re, im, fixed, nfixed, targets, ntargets, cmask, lmask, source, ph, scratch, offs):
    """``out[r] = phase[r] * in[source[r]]`` over the targets (rows with r == source[r] and
    phase 1 are skipped); ``ph`` holds the real parts of the phases, then the imaginary parts
    (controls: see :func:`dense1`)."""
    wide_vectors()
    if ntargets == 1 and source[0] == 1:
        _swap1(re, im, fixed, nfixed, targets[0], cmask, lmask, ph)
        return
    lm = uint64(lmask)
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
                if lm != 0:
                    keep = uint64(r) * tile
                    for j in range(tile):
                        on = ((j0 + uint64(j)) & lm) == lm
                        xr = tr[o + uint64(j)]
                        xi = ti[o + uint64(j)]
                        yr = pr * xr - pi * xi
                        yi = pr * xi + pi * xr
                        re[dst + uint64(j)] = yr if on else tr[keep + uint64(j)]
                        im[dst + uint64(j)] = yi if on else ti[keep + uint64(j)]
                elif pi == 0.0 and pr == 1.0:
                    for j in range(tile):
                        re[dst + uint64(j)] = tr[o + uint64(j)]
                        im[dst + uint64(j)] = ti[o + uint64(j)]
                else:
                    for j in range(tile):
                        xr = tr[o + uint64(j)]
                        xi = ti[o + uint64(j)]
                        re[dst + uint64(j)] = pr * xr - pi * xi
                        im[dst + uint64(j)] = pr * xi + pi * xr


@jit()
def diagonal(re, im, lanes, chunk, info, table):
    """Multiply by a diagonal given as ``table[outer, h, lane]`` (real parts, then imaginary
    parts); ``info`` = [n_outer, n_row, outer bit positions..., ascending row bit positions...].

    For each value h of the diagonal's row bits, the rows holding it are visited in contiguous
    runs, each multiplied by the same lane vector; a lane vector of ones is skipped.
    """
    wide_vectors()
    n_outer = info[0]
    n_row = info[1]
    outer = 0
    for t in range(n_outer):
        outer |= ((chunk >> info[2 + t]) & 1) << t
    width = _ONE << uint64(lanes)
    rows = uint64(re.shape[0]) >> uint64(lanes)
    half = uint64(table.shape[0] // 2)
    row_bits = info[2 + n_outer : 2 + n_outer + n_row]
    run = rows >> uint64(n_row) if n_row == 0 else _ONE << uint64(row_bits[0])
    nbase = (rows >> uint64(n_row)) // run
    for h in range(_ONE << uint64(n_row)):
        f = (uint64(outer) * (_ONE << uint64(n_row)) + uint64(h)) * width
        ones = True
        for lane in range(width):
            if table[f + uint64(lane)] != 1.0 or table[half + f + uint64(lane)] != 0.0:
                ones = False
        if ones:
            continue
        fixed_h = uint64(0)
        for t in range(n_row):
            fixed_h |= ((uint64(h) >> uint64(t)) & _ONE) << uint64(row_bits[t])
        uniform = True  # same factor on every lane: one scalar over whole runs of rows
        for lane in range(width):
            if (
                table[f + uint64(lane)] != table[f]
                or table[half + f + uint64(lane)] != table[half + f]
            ):
                uniform = False
        span = run * width
        for b in range(nbase):
            first = (_spread(uint64(b) * run, row_bits, n_row) | fixed_h) * width
            if uniform:
                fr = table[f]
                fi = table[half + f]
                for j in range(span):
                    xr = re[first + uint64(j)]
                    xi = im[first + uint64(j)]
                    re[first + uint64(j)] = fr * xr - fi * xi
                    im[first + uint64(j)] = fr * xi + fi * xr
                continue
            for r in range(run):
                o = first + uint64(r) * width
                for lane in range(width):
                    fr = table[f + uint64(lane)]
                    fi = table[half + f + uint64(lane)]
                    xr = re[o + uint64(lane)]
                    xi = im[o + uint64(lane)]
                    re[o + uint64(lane)] = fr * xr - fi * xi
                    im[o + uint64(lane)] = fr * xi + fi * xr
