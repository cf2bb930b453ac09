"""Compiled belief-propagation decoder for syndrome reconciliation (Numba), one frame at a
time: the reference that the 16-frame decoder of the reconciler (:mod:`kvant.qkd._ldpc_simd`)
matches bit for bit, the phi table both use, and the syndrome of many frames.

Layered (row-serial) decoding: checks are processed one after the other and each updates the
bit posteriors at once, which converges in about half the iterations of flooding (Hocevar,
IEEE SiPS 2004; Mansour & Shanbhag's turbo-decoding message passing, IEEE Trans. VLSI 11, 976
(2003)). Check rule, with the syndrome bit s_c folded into the sign (the decoder looks for
Alice's frame x with H x = s, given Bob's frame as side information):

- ``sum-product``: R = (-1)^s_c prod sign(Q) * phi(sum phi(|Q|)), phi(x) = -ln tanh(x/2)
  (Gallager 1963; Richardson & Urbanke, Modern Coding Theory (2008), Sec. 2.5), with phi read
  from a table: :func:`phi_log_table` (64 entries on bins of a quarter octave, what the
  16-frame decoder holds in registers; the default) or :func:`phi_table` (4096 entries of
  1/256, the exact reference); :func:`phi_lookup` tells them apart by their size;
- ``min-sum``: the same with phi(sum phi) replaced by alpha * min |Q| (normalised min-sum,
  Chen & Fossorier, IEEE Trans. Commun. 50, 406 (2002)).

Everything is float32 with int32 edge indices, and one scratch buffer per call. LLRs are
log P(x = 0) / P(x = 1); the hard decision is x = 1 where the posterior is < 0.

Stopping: while a check is processed the kernel also tests its parity on the updated
posteriors (free: the values are in registers), so each iteration counts the checks that were
unsatisfied when last touched. When that count is zero the full syndrome is recomputed
exactly, and the decoder stops if it matches. It gives up once the count stalls (no new
minimum for ``stall_iterations`` iterations), which is where a blind retry with more revealed
bits pays off.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MESSAGE_UNIT",
    "PHI_LOG_BINS_PER_OCTAVE",
    "PHI_LOG_MIN_EXPONENT",
    "PHI_LOG_TABLE_SIZE",
    "PHI_TABLE_STEP",
    "frame_syndromes",
    "layered_decode",
    "phi_log_index",
    "phi_log_table",
    "phi_lookup",
    "phi_table",
    "scatter_columns",
]

PHI_TABLE_STEP = 1.0 / 256.0
MESSAGE_UNIT = 2.0**-12
"""Sum-product messages are multiples of this (see :func:`phi_table`)."""
_PHI_MAX_X = 16.0
_BIG = 1e30
PHI_LOG_BINS_PER_OCTAVE = 4
"""Bins per octave of :func:`phi_log_table` (the top 2 mantissa bits of a float32)."""
PHI_LOG_MIN_EXPONENT = -8
"""The first bin of :func:`phi_log_table` starts at 2^-8; every x below it reads bin 0."""
PHI_LOG_TABLE_SIZE = 64
"""Entries of :func:`phi_log_table`: 12 octaves [2^-8, 16) of 4 bins, then zeros."""
_LOG_OCTAVES = 12


def phi_table() -> NDArray[np.float32]:
    """phi(x) = -ln tanh(x/2) at the centres of bins of width 1/256 on [0, 16), rounded to
    multiples of :data:`MESSAGE_UNIT` = 2^-12.

    The kernel reads phi(x) as the entry of the bin that holds x (x >= 16 reads the last
    entry): one multiply and one load from a 16 KiB table that stays in L1. The bin-centre
    value caps phi at 6.93 for |x| < 1/256, a message that says "no information" either way.
    The rounding (at most 2^-13; phi < 2^-13 becomes 0, i.e. x > 9.0 counts as certain) makes
    every check-to-bit message a multiple of 2^-12 below 8 in magnitude, which the
    16-frame decoder (:mod:`kvant.qkd._ldpc_simd`) stores exactly as an int16, halving its
    memory traffic; sums of up to 4096 table entries are then exact in float32, so the
    decoders agree bit for bit whatever order they add in. Measured with n = 65536, 16
    frames (4 seeds at QBER 2%, 2 at 5%): efficiency 1.1480 vs 1.1474 and 1.0837 vs 1.0824
    unrounded, iterations the same, within the spread between seeds (0.002-0.01).

    >>> t = phi_table()
    >>> bool(abs(t[128] - (-np.log(np.tanh(128.5 / 256 / 2)))) <= MESSAGE_UNIT / 2)
    True
    >>> bool(np.all(t * 4096 == np.round(t * 4096))), float(t.max()) < 8.0
    (True, True)
    """
    x = (np.arange(int(_PHI_MAX_X / PHI_TABLE_STEP)) + 0.5) * PHI_TABLE_STEP
    exact = -np.log(np.tanh(x / 2.0))
    table: NDArray[np.float32] = (np.round(exact / MESSAGE_UNIT) * MESSAGE_UNIT).astype(np.float32)
    return table


def phi_log_table() -> NDArray[np.float32]:
    """phi(x) = -ln tanh(x/2) on quarter-octave bins, rounded to multiples of
    :data:`MESSAGE_UNIT`: the table that the 16-frame decoder keeps in registers (four
    AVX-512 or six AVX2 ones) instead of gathering from :func:`phi_table`
    (:mod:`kvant.qkd._ldpc_simd`).

    Entry i (:func:`phi_log_index`) covers [a, b) = 2^(i // 4 - 8) [1 + (i % 4) / 4,
    1 + (i % 4 + 1) / 4) for i < 48 and holds (phi(a) + phi(b)) / 2 (the error is at most half
    the fall of phi over the bin: 0.10 near x = 0, 0.05 at x = 1); entries 48-63 (x >= 16)
    are 0. Entry 0 also takes every x < 2^-8 and holds phi(2^-9) = 6.93, the cap of
    :func:`phi_table`: the largest message matters (a cap of 4.2, phi(2^-5), costs 0.05-0.1
    in efficiency at QBER 2-10%), the resolution much less. Measured with n = 65536, 8 frames,
    the vector kernel with each table (gathers for the exact one), seeds 4-9: efficiency 1.146
    vs 1.147 (exact table) at QBER 2%, 1.089 vs 1.089 at 5%, 1.213 vs 1.207 at 0.5%; seeds
    1-3: 1.066 vs 1.063 at 10%, within the spread between seeds. 8 bins per octave (96
    entries, 3 register pairs) moves efficiency by less but decodes 15% slower; 2 bins per
    octave (32 entries) costs 0.015. ``benchmarks/qkd_postprocessing.py --ldpc-only`` prints
    both tables' efficiency (4 frames, 3 seeds).

    >>> t = phi_log_table()
    >>> phi = lambda x: -np.log(np.tanh(x / 2))
    >>> t.size, bool(abs(t[0] - phi(2.0**-9)) <= MESSAGE_UNIT / 2)
    (64, True)
    >>> bool(abs(t[32] - (phi(1.0) + phi(1.25)) / 2) <= MESSAGE_UNIT / 2)  # bin [1, 1.25)
    True
    >>> bool(np.all(t[48:] == 0)), bool(np.all(np.diff(t) <= 0))  # non-increasing
    (True, True)
    """
    i = np.arange(_LOG_OCTAVES * PHI_LOG_BINS_PER_OCTAVE)
    octave = 2.0 ** (i // PHI_LOG_BINS_PER_OCTAVE + PHI_LOG_MIN_EXPONENT)
    low = octave * (1.0 + (i % PHI_LOG_BINS_PER_OCTAVE) / PHI_LOG_BINS_PER_OCTAVE)
    high = octave * (1.0 + (i % PHI_LOG_BINS_PER_OCTAVE + 1) / PHI_LOG_BINS_PER_OCTAVE)
    values = np.zeros(PHI_LOG_TABLE_SIZE)
    values[: i.size] = (-np.log(np.tanh(low / 2.0)) - np.log(np.tanh(high / 2.0))) / 2.0
    values[0] = -np.log(np.tanh(2.0 ** (PHI_LOG_MIN_EXPONENT - 1) / 2.0))
    rounded = np.round(values / MESSAGE_UNIT) * MESSAGE_UNIT
    table: NDArray[np.float32] = rounded.astype(np.float32)
    return table


@numba.njit(cache=True, inline="always")
def phi_log_index(x: float) -> int:  # pragma: no cover - compiled
    """Entry of :func:`phi_log_table` for x >= 0: ``clamp((bits(x) >> 21) - 476, 0, 63)``
    with bits(x) the float32 bit pattern (4 x biased exponent + the top 2 mantissa bits),
    which is what the vector kernel computes; here from ``math.frexp`` (exact).

    >>> [phi_log_index(x) for x in (0.0, 2.0**-8, 0.0049, 1.0, 1.3, 15.9, 16.0, 1e30)]
    [0, 0, 1, 32, 33, 47, 48, 63]
    """
    if x < 2.0**PHI_LOG_MIN_EXPONENT:
        return 0
    mantissa, exponent = math.frexp(x)  # x = mantissa 2^exponent, mantissa in [0.5, 1)
    index = PHI_LOG_BINS_PER_OCTAVE * (exponent - 2 - PHI_LOG_MIN_EXPONENT) + int(
        mantissa * 2 * PHI_LOG_BINS_PER_OCTAVE
    )
    return min(index, PHI_LOG_TABLE_SIZE - 1)


@numba.njit(cache=True, inline="always", fastmath=True)
def phi_lookup(x: float, table: NDArray[np.float32]) -> np.float32:  # pragma: no cover
    """phi(x) for x >= 0 from :func:`phi_log_table` (a table of
    :data:`PHI_LOG_TABLE_SIZE` entries) or :func:`phi_table` (any other size: the entry of the
    1/256 bin that holds x, the last one beyond it)."""
    if table.size == PHI_LOG_TABLE_SIZE:
        value: np.float32 = table[phi_log_index(x)]
    else:
        value = table[min(int(x * 256.0), table.size - 1)]
    return value


@numba.njit(cache=True, fastmath=True)
def _syndrome_matches(  # pragma: no cover - compiled
    check_start: NDArray[np.int32],
    check_vars: NDArray[np.int32],
    syndrome: NDArray[np.uint8],
    posterior: NDArray[np.float32],
) -> bool:
    for c in range(check_start.size - 1):
        parity = syndrome[c]
        for k in range(check_start[c], check_start[c + 1]):
            parity ^= posterior[check_vars[k]] < 0.0
        if parity:
            return False
    return True


@numba.njit(cache=True, fastmath=True)
def layered_decode(  # pragma: no cover - compiled
    check_start: NDArray[np.int32],
    check_vars: NDArray[np.int32],
    syndrome: NDArray[np.uint8],
    posterior: NDArray[np.float32],
    messages: NDArray[np.float32],
    max_iterations: int,
    min_sum: bool,
    alpha: float,
    table: NDArray[np.float32],
    stall_iterations: int,
) -> tuple[bool, int]:
    """Decode one frame in place.

    Args:
        check_start, check_vars: H in compressed rows (int32).
        syndrome: Alice's syndrome, one uint8 per check.
        posterior: Channel LLRs on entry (float32, n); the posteriors on exit.
        messages: Check-to-bit messages, one float32 per edge (zeros for a fresh start).
        max_iterations: Iteration cap.
        min_sum: Normalised min-sum (True) or sum-product (False).
        alpha: Normalisation of min-sum.
        table: :func:`phi_log_table` or :func:`phi_table` (sum-product only).
        stall_iterations: Give up after this many iterations without a new minimum of
            unsatisfied checks.

    Returns:
        (the hard decision satisfies every check, iterations run).
    """
    m = check_start.size - 1
    width = 0
    for c in range(m):
        width = max(width, check_start[c + 1] - check_start[c])
    f = np.empty(width, dtype=np.float32)
    scale = np.float32(alpha)
    best = m + 1
    since_best = 0
    for it in range(max_iterations):
        unsatisfied = 0
        for c in range(m):
            lo = check_start[c]
            hi = check_start[c + 1]
            negative = syndrome[c] != 0
            if min_sum:
                min1 = np.float32(_BIG)
                min2 = np.float32(_BIG)
                arg = lo
                for k in range(lo, hi):  # branch-free: ties and signs are data-dependent
                    v = check_vars[k]
                    value = posterior[v] - messages[k]
                    posterior[v] = value
                    negative ^= value < 0.0
                    a = abs(value)
                    min2 = min(min2, max(min1, a))
                    arg = k if a < min1 else arg
                    min1 = min(min1, a)
                min1 *= scale
                min2 *= scale
                if negative:
                    min1 = -min1
                    min2 = -min2
            else:
                total = np.float32(0.0)
                for k in range(lo, hi):
                    v = check_vars[k]
                    value = posterior[v] - messages[k]
                    posterior[v] = value
                    negative ^= value < 0.0
                    p = phi_lookup(abs(value), table)
                    f[k - lo] = p
                    total += p
            parity = False
            for k in range(lo, hi):
                v = check_vars[k]
                value = posterior[v]
                if min_sum:
                    r = min2 if k == arg else min1
                else:
                    r = phi_lookup(max(total - f[k - lo], 0.0), table)
                    r = -r if negative else r
                r = r if value >= 0.0 else -r
                messages[k] = r
                updated = value + r
                posterior[v] = updated
                parity ^= updated < 0.0
            unsatisfied += parity ^ (syndrome[c] != 0)
        if unsatisfied == 0 and _syndrome_matches(check_start, check_vars, syndrome, posterior):
            return True, it + 1
        if unsatisfied < best:
            best = unsatisfied
            since_best = 0
        else:
            since_best += 1
            if since_best >= stall_iterations:
                return False, it + 1
    return False, max_iterations


@numba.njit(cache=True)
def scatter_columns(  # pragma: no cover - compiled
    out: NDArray[np.generic], columns: NDArray[np.int64], values: NDArray[np.generic]
) -> None:
    """``out[:, columns] = values`` (F x n, n, F x len(columns)) in place, without NumPy's
    fancy-index machinery: 64 frames of 60k key positions in 2 ms (uint8) or 10 ms (float32)
    instead of 15 and 25 ms.

    >>> out = np.zeros((2, 4), np.float32)
    >>> scatter_columns(out, np.array([0, 3]), np.array([[1, 2], [3, 4]], np.float32))
    >>> out.tolist()
    [[1.0, 0.0, 0.0, 2.0], [3.0, 0.0, 0.0, 4.0]]
    """
    for f in range(values.shape[0]):
        for j in range(columns.size):
            out[f, columns[j]] = values[f, j]


@numba.njit(cache=True)
def scatter_signed(  # pragma: no cover - compiled
    out: NDArray[np.float32], columns: NDArray[np.int64], bits: NDArray[np.uint8], llr: float
) -> None:
    """``out[:, columns] = where(bits, -llr, llr)`` (F x n, n, F x len(columns)) in place:
    Bob's channel LLRs at the key positions of every frame, with no F x k float temporary
    (64 frames of 60k bits: 4 ms instead of 15).

    >>> out = np.zeros((1, 3), np.float32)
    >>> scatter_signed(out, np.array([2, 0]), np.array([[1, 0]], np.uint8), 2.5)
    >>> out.tolist()
    [[2.5, 0.0, -2.5]]
    """
    value = np.float32(llr)
    for f in range(bits.shape[0]):
        for j in range(columns.size):
            out[f, columns[j]] = -value if bits[f, j] else value


@numba.njit(cache=True)
def set_column(  # pragma: no cover - compiled
    out: NDArray[np.generic], column: int, values: NDArray[np.generic], units: int
) -> None:
    """``out[:, column] = values``; with ``units`` > 0, in int16 multiples of 2^-units
    (rounded half to even and clamped to +-32767, as :func:`kvant.qkd._ldpc_int16.to_units`).
    One pass over a lane of the decoder's [row][lane] arrays (a strided write): 0.1 ms for
    65,536 rows, against 0.3 ms through NumPy's conversions.

    >>> out = np.zeros((3, 2), np.int16)
    >>> set_column(out, 1, np.array([1.0, -0.5, 500.0]), 8)
    >>> out[:, 1].tolist()
    [256, -128, 32767]
    """
    scale = np.float64(2.0**units)
    for row in range(values.size):
        if units > 0:
            out[row, column] = min(max(np.rint(np.float64(values[row]) * scale), -32767.0),
                                   32767.0)  # fmt: skip
        else:
            out[row, column] = values[row]


@numba.njit(cache=True)
def negative_at(  # pragma: no cover - compiled
    matrix: NDArray[np.generic], rows: NDArray[np.int64], column: int
) -> NDArray[np.uint8]:
    """1 where ``matrix[rows, column] < 0``, else 0 (a lane's hard decisions), without the
    temporary arrays of NumPy's fancy indexing.

    >>> negative_at(np.array([[1.0, -2.0], [-3.0, 4.0]]), np.array([1, 0]), 1).tolist()
    [0, 1]
    """
    out = np.empty(rows.size, np.uint8)
    for j in range(rows.size):
        out[j] = matrix[rows[j], column] < 0
    return out


@numba.njit(cache=True)
def _xor_checks(  # pragma: no cover - compiled
    check_start: NDArray[np.int32], check_vars: NDArray[np.int32], words: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    out = np.zeros(check_start.size - 1, dtype=np.uint64)
    for c in range(check_start.size - 1):
        acc = np.uint64(0)
        for k in range(check_start[c], check_start[c + 1]):
            acc ^= words[check_vars[k]]
        out[c] = acc
    return out


def frame_syndromes(
    check_start: NDArray[np.int32], check_vars: NDArray[np.int32], bits: NDArray[np.uint8]
) -> NDArray[np.uint8]:
    """H x over GF(2) for each row x of ``bits`` (F x n; the low bit of each entry): F x m
    syndrome bits. The same behind :meth:`kvant.qkd.LdpcCode.syndrome`. Frames are packed 64
    to a word (bit f of word v is bit v of frame f), so each edge costs one 64-bit XOR for 64
    frames: 64 frames of 65536 bits at rate 0.8 take 11 ms of CPU (one frame at a time: 56 ms,
    a NumPy gather and ``add.reduceat``: 0.5 s).

    >>> h = np.array([[1, 1, 0], [0, 1, 1]], np.uint8)  # checks x0 + x1, x1 + x2
    >>> frame_syndromes(np.array([0, 2, 4], np.int32), np.array([0, 1, 1, 2], np.int32),
    ...                 np.array([[1, 0, 0], [1, 1, 1]], np.uint8)).tolist()
    [[1, 0], [0, 0]]
    """
    frames, n = bits.shape
    out = np.empty((frames, check_start.size - 1), dtype=np.uint8)
    for first in range(0, frames, 64):
        chunk = bits[first : first + 64] & np.uint8(1)
        packed = np.zeros((8, n), np.uint8)  # [byte of the word][bit]
        packed[: -(-chunk.shape[0] // 8)] = np.packbits(chunk, axis=0, bitorder="little")
        words = np.ascontiguousarray(packed.T).view(np.uint64).reshape(n)
        parity = _xor_checks(check_start, check_vars, words)
        unpacked = np.unpackbits(parity.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
        out[first : first + chunk.shape[0]] = unpacked[:, : chunk.shape[0]].T
    return out
