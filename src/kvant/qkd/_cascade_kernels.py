"""Compiled (Numba) kernels of Cascade: shared pseudo-random pass orders and the whole
interactive protocol, simulated for both parties at once with its transcript recorded.

Two kinds of pass:

- *block* passes (kind 0): the key in a pass order (identity in pass 0, a Fisher-Yates
  shuffle from a public seed afterwards) cut into blocks of k bits (Brassard & Salvail 1993);
- *half* passes (kind 1): a random subset (public seed, one bit per key bit) and its
  complement, each in index order: a BICONF confirmation (Brassard & Salvail 1993, Sec. 5)
  that, like a block pass of size n/2, takes part in the cascade.

Every parity Alice discloses is appended to the transcript as (pass, start, end, parity),
start and end being positions in the pass order. Alice's total parity, known after pass 0,
lets the last block of every later pass go undisclosed (its parity is inferred).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["cascade_kernel", "half_mask", "half_order", "inverse", "shuffle"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@numba.njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64 output function (Steele, Lea & Flood, OOPSLA 2014)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def shuffle(n: int, seed: int) -> NDArray[np.int32]:  # pragma: no cover - compiled
    """Pass order of a block pass: Fisher-Yates with SplitMix64 and Lemire's multiply-shift."""
    perm = np.arange(n, dtype=np.int32)
    state = np.uint64(seed)
    for i in range(n - 1, 0, -1):
        state += _GOLDEN
        r = _mix(state) >> np.uint64(32)
        j = np.int64((r * np.uint64(i + 1)) >> np.uint64(32))
        perm[i], perm[j] = perm[j], perm[i]
    return perm


@numba.njit(cache=True)
def inverse(order: NDArray[np.int32], out: NDArray[np.int32]) -> None:  # pragma: no cover
    """out[order[i]] = i."""
    for i in range(order.size):
        out[order[i]] = i


@numba.njit(cache=True)
def half_mask(n: int, seed: int) -> NDArray[np.uint8]:  # pragma: no cover - compiled
    """Membership of a half pass: bit i says which half key bit i is in."""
    mask = np.empty(n, dtype=np.uint8)
    state = np.uint64(seed)
    for w in range((n + 63) // 64):
        state += _GOLDEN
        r = _mix(state)
        for bit in range(min(64, n - 64 * w)):
            mask[64 * w + bit] = np.uint8((r >> np.uint64(bit)) & np.uint64(1))
    return mask


@numba.njit(cache=True)
def half_order(mask: NDArray[np.uint8], out: NDArray[np.int32]) -> int:  # pragma: no cover
    """Pass order of a half pass (half 0 then half 1, each in index order); returns |half 0|."""
    n = mask.size
    count0 = 0
    for i in range(n):
        count0 += 1 - mask[i]
    a, b = 0, count0
    for i in range(n):
        if mask[i] == 0:
            out[a] = i
            a += 1
        else:
            out[b] = i
            b += 1
    return count0


@numba.njit(cache=True, inline="always")
def _parity(
    bits: NDArray[np.uint8], order: NDArray[np.int32], lo: int, hi: int
) -> int:  # pragma: no cover
    acc = 0
    for i in range(lo, hi):
        acc ^= bits[order[i]]
    return acc


@numba.njit(cache=True)
def _bisect(
    alice: NDArray[np.uint8],
    bob: NDArray[np.uint8],
    order: NDArray[np.int32],
    lo: int,
    hi: int,
    pass_index: int,
    t_pass: NDArray[np.int32],
    t_start: NDArray[np.int32],
    t_end: NDArray[np.int32],
    t_par: NDArray[np.uint8],
    used: int,
) -> tuple[int, int]:  # pragma: no cover - compiled
    """BINARY of Brassard & Salvail: halve a block of odd relative parity down to the error;
    Alice discloses the parity of each left half (recorded), the right half's is inferred."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        pa = _parity(alice, order, lo, mid)
        t_pass[used] = pass_index
        t_start[used] = lo
        t_end[used] = mid
        t_par[used] = pa
        used += 1
        if pa != _parity(bob, order, lo, mid):
            hi = mid
        else:
            lo = mid
    return lo, used


@numba.njit(cache=True)
def cascade_kernel(  # pragma: no cover - compiled
    alice: NDArray[np.uint8],
    bob: NDArray[np.uint8],
    kinds: NDArray[np.int64],
    sizes: NDArray[np.int64],
    orders: NDArray[np.int32],
    inverses: NDArray[np.int32],
    masks: NDArray[np.uint8],
    rows: NDArray[np.int64],
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32], NDArray[np.uint8], int]:
    """Run Cascade; ``bob`` is corrected in place.

    Args:
        alice, bob: The two keys, one bit per byte.
        kinds: Per pass, 0 = block pass, 1 = half pass.
        sizes: Per pass, the block size (block passes).
        orders, inverses: Pass orders and their inverses of the block passes after pass 0.
        masks: Memberships of the half passes.
        rows: Per pass, its row in ``orders``/``inverses`` or ``masks`` (-1 for pass 0).

    Returns:
        Transcript columns (pass, start, end, parity) and the number of bits flipped.
    """
    n = alice.size
    passes = kinds.size
    identity = np.arange(n, dtype=np.int32)
    scratch = np.empty(n, dtype=np.int32)
    splits = np.zeros(passes, dtype=np.int64)
    counts = np.empty(passes, dtype=np.int64)
    for q in range(passes):
        counts[q] = 2 if kinds[q] == 1 else (n + sizes[q] - 1) // sizes[q]
    offsets = np.zeros(passes + 1, dtype=np.int64)
    for q in range(passes):
        offsets[q + 1] = offsets[q] + counts[q]
    a_par = np.zeros(offsets[passes], dtype=np.uint8)
    b_par = np.zeros(offsets[passes], dtype=np.uint8)
    queued = np.zeros(offsets[passes], dtype=np.uint8)
    stack = np.empty(offsets[passes], dtype=np.int64)
    depth = np.zeros(passes, dtype=np.int64)
    cap = 1024
    t_pass = np.empty(cap, dtype=np.int32)
    t_start = np.empty(cap, dtype=np.int32)
    t_end = np.empty(cap, dtype=np.int32)
    t_par = np.empty(cap, dtype=np.uint8)
    used = 0
    flips = 0
    total = 0
    for p in range(passes):
        # --- parities of every block of pass p; Alice discloses all but an inferable one
        if kinds[p] == 1:
            mask = masks[rows[p]]
            ones_a = np.int64(0)
            ones_b = np.int64(0)
            size1 = np.int64(0)
            all_b = np.int64(0)
            for i in range(n):
                m = np.int64(mask[i])
                ones_a += np.int64(alice[i]) & m
                ones_b += np.int64(bob[i]) & m
                all_b += np.int64(bob[i])
                size1 += m
            splits[p] = n - size1
            a_par[offsets[p] + 1] = ones_a & 1
            b_par[offsets[p] + 1] = ones_b & 1
            a_par[offsets[p]] = (ones_a ^ total) & 1
            b_par[offsets[p]] = (all_b ^ ones_b) & 1
        else:
            order = identity if rows[p] < 0 else orders[rows[p]]
            k = sizes[p]
            for blk in range(counts[p]):
                lo = blk * k
                hi = min(n, lo + k)
                a_par[offsets[p] + blk] = _parity(alice, order, lo, hi)
                b_par[offsets[p] + blk] = _parity(bob, order, lo, hi)
        for blk in range(counts[p]):
            if p > 0 and blk == counts[p] - 1:
                continue  # inferred from Alice's total parity
            if used == cap:
                cap *= 2
                t_pass = np.concatenate((t_pass, np.empty(cap - used, np.int32)))
                t_start = np.concatenate((t_start, np.empty(cap - used, np.int32)))
                t_end = np.concatenate((t_end, np.empty(cap - used, np.int32)))
                t_par = np.concatenate((t_par, np.empty(cap - used, np.uint8)))
            if kinds[p] == 1:
                t_start[used] = 0 if blk == 0 else splits[p]
                t_end[used] = splits[p] if blk == 0 else n
            else:
                t_start[used] = blk * sizes[p]
                t_end[used] = min(n, (blk + 1) * sizes[p])
            t_pass[used] = p
            t_par[used] = a_par[offsets[p] + blk]
            used += 1
        if p == 0:
            for blk in range(counts[0]):
                total ^= a_par[blk]
        for blk in range(counts[p]):
            if a_par[offsets[p] + blk] != b_par[offsets[p] + blk]:
                stack[offsets[p] + depth[p]] = blk
                depth[p] += 1
                queued[offsets[p] + blk] = 1
        # --- correct odd blocks, smallest pass first, cascading into earlier passes
        while True:
            q = -1
            for r in range(p + 1):
                if depth[r] > 0:
                    q = r
                    break
            if q < 0:
                break
            depth[q] -= 1
            blk = stack[offsets[q] + depth[q]]
            queued[offsets[q] + blk] = 0
            if a_par[offsets[q] + blk] == b_par[offsets[q] + blk]:
                continue
            if kinds[q] == 1:
                half_order(masks[rows[q]], scratch)
                order = scratch
                lo = 0 if blk == 0 else splits[q]
                hi = splits[q] if blk == 0 else n
            else:
                order = identity if rows[q] < 0 else orders[rows[q]]
                lo = blk * sizes[q]
                hi = min(n, lo + sizes[q])
            if used + 64 > cap:  # a bisection discloses at most log2(n) < 64 parities
                cap = 2 * cap + 64
                t_pass = np.concatenate((t_pass, np.empty(cap - t_pass.size, np.int32)))
                t_start = np.concatenate((t_start, np.empty(cap - t_start.size, np.int32)))
                t_end = np.concatenate((t_end, np.empty(cap - t_end.size, np.int32)))
                t_par = np.concatenate((t_par, np.empty(cap - t_par.size, np.uint8)))
            lo, used = _bisect(alice, bob, order, lo, hi, q, t_pass, t_start, t_end, t_par, used)
            j = order[lo]
            bob[j] ^= 1
            flips += 1
            for r in range(p + 1):
                if kinds[r] == 1:
                    br = np.int64(masks[rows[r]][j])
                elif rows[r] < 0:
                    br = j // sizes[r]
                else:
                    br = inverses[rows[r]][j] // sizes[r]
                index = offsets[r] + br
                b_par[index] ^= 1
                if a_par[index] != b_par[index] and queued[index] == 0:
                    stack[offsets[r] + depth[r]] = br
                    depth[r] += 1
                    queued[index] = 1
    return t_pass[:used], t_start[:used], t_end[:used], t_par[:used], flips
