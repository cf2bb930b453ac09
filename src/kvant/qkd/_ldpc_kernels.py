"""Compiled belief-propagation decoder for syndrome reconciliation (Numba).

Layered (row-serial) decoding: checks are processed one after the other and each updates the
bit posteriors at once, which converges in about half the iterations of flooding (Hocevar,
IEEE SiPS 2004). Check rule, with the syndrome bit s_c folded into the sign (the decoder looks
for Alice's frame x with H x = s, given Bob's frame as side information):

- ``sum-product``: R = (-1)^s_c prod sign(Q) * phi(sum phi(|Q|)), phi(x) = -ln tanh(x/2)
  (Gallager 1963; Richardson & Urbanke, Modern Coding Theory (2008), Sec. 2.5), with phi from
  a table with linear interpolation (exact below 1/16 and above 30);
- ``min-sum``: the same with phi(sum phi) replaced by alpha * min |Q| (normalised min-sum,
  Chen & Fossorier, IEEE Trans. Commun. 50, 406 (2002)).

LLRs are log P(x = 0) / P(x = 1); the hard decision is x = 1 where the posterior is < 0. The
decoder stops as soon as the hard decision satisfies every check, and gives up once the
number of unsatisfied checks stalls (no new minimum for a while), which is where a blind
retry with more revealed bits pays off.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["PHI_TABLE_STEP", "layered_decode", "phi_table"]

PHI_TABLE_STEP = 1.0 / 64.0
_PHI_MAX_X = 30.0
_PHI_SMALL_X = 1.0 / 16.0


def phi_table() -> NDArray[np.float64]:
    """phi(x) = -ln tanh(x/2) sampled every 1/64 from 0 to 30 (phi(0) taken at 1e-300)."""
    x = np.arange(0.0, _PHI_MAX_X + 2 * PHI_TABLE_STEP, PHI_TABLE_STEP)
    x[0] = 1e-300
    table: NDArray[np.float64] = -np.log(np.tanh(x / 2.0))
    return table


@numba.njit(cache=True, inline="always")
def _phi(x: float, table: NDArray[np.float64]) -> float:  # pragma: no cover - compiled
    if x < _PHI_SMALL_X:
        return -math.log(math.tanh(max(x, 1e-300) / 2.0))
    if x >= _PHI_MAX_X:
        return 2.0 * math.exp(-x)
    t = x * 64.0
    i = int(t)
    frac = t - i
    return float(table[i] + frac * (table[i + 1] - table[i]))


@numba.njit(cache=True)
def layered_decode(  # pragma: no cover - compiled
    check_start: NDArray[np.int64],
    check_vars: NDArray[np.int32],
    syndrome: NDArray[np.uint8],
    posterior: NDArray[np.float64],
    messages: NDArray[np.float64],
    max_iterations: int,
    min_sum: bool,
    alpha: float,
    table: NDArray[np.float64],
    stall_iterations: int,
) -> tuple[bool, int]:
    """Decode in place: ``posterior`` (channel LLR plus incoming messages) and ``messages``
    (check-to-bit, per edge) are updated and can be reused to resume after more bits are
    revealed. Stops early, as failed, when the number of unsatisfied checks has not reached a
    new minimum for ``stall_iterations`` iterations. Returns (all checks satisfied,
    iterations run)."""
    m = check_start.size - 1
    width = 0
    for c in range(m):
        width = max(width, check_start[c + 1] - check_start[c])
    q = np.empty(width, dtype=np.float64)
    f = np.empty(width, dtype=np.float64)
    best = m + 1
    since_best = 0
    for it in range(max_iterations):
        for c in range(m):
            lo = check_start[c]
            hi = check_start[c + 1]
            sign = -1.0 if syndrome[c] else 1.0
            if min_sum:
                min1 = np.inf
                min2 = np.inf
                arg = -1
                for k in range(lo, hi):
                    value = posterior[check_vars[k]] - messages[k]
                    q[k - lo] = value
                    if value < 0.0:
                        sign = -sign
                    a = abs(value)
                    if a < min1:
                        min2 = min1
                        min1 = a
                        arg = k
                    elif a < min2:
                        min2 = a
                for k in range(lo, hi):
                    value = q[k - lo]
                    magnitude = alpha * (min2 if k == arg else min1)
                    r = magnitude * (sign if value >= 0.0 else -sign)
                    messages[k] = r
                    posterior[check_vars[k]] = value + r
            else:
                total = 0.0
                for k in range(lo, hi):
                    value = posterior[check_vars[k]] - messages[k]
                    q[k - lo] = value
                    if value < 0.0:
                        sign = -sign
                    p = _phi(abs(value), table)
                    f[k - lo] = p
                    total += p
                for k in range(lo, hi):
                    value = q[k - lo]
                    magnitude = _phi(max(total - f[k - lo], 0.0), table)
                    r = magnitude * (sign if value >= 0.0 else -sign)
                    messages[k] = r
                    posterior[check_vars[k]] = value + r
        unsatisfied = 0
        for c in range(m):
            parity = syndrome[c]
            for k in range(check_start[c], check_start[c + 1]):
                if posterior[check_vars[k]] < 0.0:
                    parity ^= 1
            unsatisfied += parity
        if unsatisfied == 0:
            return True, it + 1
        if unsatisfied < best:
            best = unsatisfied
            since_best = 0
        else:
            since_best += 1
            if since_best >= stall_iterations:
                return False, it + 1
    return False, max_iterations


@numba.njit(cache=True, fastmath=True)
def layered_min_sum_batch(  # pragma: no cover - compiled
    check_start: NDArray[np.int64],
    check_vars: NDArray[np.int32],
    syndromes: NDArray[np.float32],
    posterior: NDArray[np.float32],
    max_iterations: int,
    alpha: float,
    stall_iterations: int,
) -> NDArray[np.bool_]:
    """Normalised min-sum on F frames of one code at once, frames in the fast axis so every
    step runs across SIMD lanes (inter-frame vectorisation, as in CPU decoders such as
    Le Gal & Jego, IEEE Embedded Syst. Lett. 7, 37 (2015)).

    Args:
        check_start, check_vars: H in compressed rows.
        syndromes: (m, F) with -1.0 where the syndrome bit is 1, else +1.0.
        posterior: (n, F) channel LLRs on entry; the posteriors of each frame at its first
            satisfied iteration on exit (its last iteration if it never converged).
        max_iterations: Iteration cap.
        alpha: Normalisation factor.
        stall_iterations: A frame stops counting as live after this many iterations without
            a new minimum of unsatisfied checks.

    Returns:
        Per frame, whether its hard decision satisfied every check.
    """
    m = check_start.size - 1
    n, frames = posterior.shape
    width = 0
    for c in range(m):
        width = max(width, check_start[c + 1] - check_start[c])
    messages = np.zeros((check_vars.size, frames), dtype=np.float32)
    q = np.empty((width, frames), dtype=np.float32)
    sign = np.empty(frames, dtype=np.float32)
    min1 = np.empty(frames, dtype=np.float32)
    min2 = np.empty(frames, dtype=np.float32)
    arg = np.empty(frames, dtype=np.int64)
    parity = np.empty(frames, dtype=np.float32)
    unsatisfied = np.empty(frames, dtype=np.int64)
    best = np.full(frames, m + 1, dtype=np.int64)
    since = np.zeros(frames, dtype=np.int64)
    done = np.zeros(frames, dtype=np.bool_)
    final = posterior.copy()
    scale = np.float32(alpha)
    for _ in range(max_iterations):
        for c in range(m):
            lo = check_start[c]
            hi = check_start[c + 1]
            for f in range(frames):
                sign[f] = syndromes[c, f]
                min1[f] = np.inf
                min2[f] = np.inf
                arg[f] = -1
            for k in range(lo, hi):
                v = check_vars[k]
                for f in range(frames):
                    value = posterior[v, f] - messages[k, f]
                    q[k - lo, f] = value
                    sign[f] = -sign[f] if value < 0 else sign[f]
                    a = abs(value)
                    smaller = a < min1[f]
                    min2[f] = min1[f] if smaller else min(min2[f], a)
                    arg[f] = k if smaller else arg[f]
                    min1[f] = a if smaller else min1[f]
            for k in range(lo, hi):
                v = check_vars[k]
                for f in range(frames):
                    value = q[k - lo, f]
                    magnitude = scale * (min2[f] if arg[f] == k else min1[f])
                    r = magnitude * (sign[f] if value >= 0 else -sign[f])
                    messages[k, f] = r
                    posterior[v, f] = value + r
        for f in range(frames):
            unsatisfied[f] = 0
        for c in range(m):
            for f in range(frames):
                parity[f] = syndromes[c, f]
            for k in range(check_start[c], check_start[c + 1]):
                v = check_vars[k]
                for f in range(frames):
                    parity[f] = -parity[f] if posterior[v, f] < 0 else parity[f]
            for f in range(frames):
                unsatisfied[f] += 1 if parity[f] < 0 else 0
        live = 0
        for f in range(frames):
            if done[f]:
                continue
            if unsatisfied[f] == 0:
                done[f] = True
                for v in range(n):
                    final[v, f] = posterior[v, f]
                continue
            if unsatisfied[f] < best[f]:
                best[f] = unsatisfied[f]
                since[f] = 0
            else:
                since[f] += 1
            if since[f] < stall_iterations:
                live += 1
        if live == 0:
            break
    for f in range(frames):
        if not done[f]:
            for v in range(n):
                final[v, f] = posterior[v, f]
    posterior[:, :] = final
    return done
