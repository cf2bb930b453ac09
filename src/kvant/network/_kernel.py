"""The compiled time-stepped core: key pools filled by the link physics, drained by relays.

One call runs the steps of one routing epoch (fixed paths, fixed link rates). All amounts are
integers (bits), so the ledgers balance exactly. Within a step, in this order:

1. **Purge** (first step of the epoch only): pools flagged by a node outage with
   ``purge_keys`` are emptied; the key is *discarded*.
2. **Production**: link ``l`` makes ``floor(r_l (t+1)) - floor(r_l t)`` bits (``r_l`` = its rate
   times the step, 0 while down); what does not fit under the pool's capacity *overflows*.
3. **Requests**: demand ``d`` asks for ``floor(q_d (t+1)) - floor(q_d t)`` whole keys
   (``q_d`` = rate x step / key size) while active.
4. **Allocation**: with several paths (multipath) a request is split in proportion to each
   path's bottleneck pool; each link's available keys are shared in proportion to what the
   paths crossing it ask (one pass, rounding down, so nothing is over-committed); a greedy pass
   (demand order rotated every step, for fairness) then hands out what rounding left.
5. **Relay**: each granted key takes ``key_bits`` from the pool of every hop of its path,
   oldest key first, paths in slot order (which is what :mod:`kvant.network._exposure` replays
   to materialise key bytes). One bit of each granted key is *delivered*; the other
   ``hops - 1`` are the one-time pads of the relay (*overhead*).

Per step it records network totals; per record interval pool levels and per-demand delivered,
requested and latency-weighted bits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["COLUMNS", "run_epoch"]

COLUMNS = (
    "produced",
    "overflow",
    "consumed",
    "delivered",
    "overhead",
    "discarded",
    "requested",
    "pool",
)
"""Columns of the per-step totals (bits; ``pool`` is the sum of pool levels after the step)."""


@njit(cache=True)
def run_epoch(  # type: ignore[no-untyped-def]
    t0,
    t1,
    total_steps,
    level,
    cap,
    bits_per_step,
    purge,
    head,
    tail,
    cum,
    keys_per_step,
    dem_start,
    dem_end,
    key_bits,
    slot_links,
    slot_hops,
    slot_ptr,
    slot_latency_s,
    multipath,
    rec_every,
    rec_level,
    rec_delivered,
    rec_requested,
    rec_latency,
    step_totals,
    slot_keys,
    trace,
):
    n_links = level.size
    n_dem = dem_start.size
    n_slots = slot_hops.size
    want = np.zeros(n_slots, dtype=np.int64)
    grant = np.zeros(n_slots, dtype=np.int64)
    need = np.zeros(n_links, dtype=np.int64)
    avail = np.zeros(n_links, dtype=np.int64)
    avail0 = np.zeros(n_links, dtype=np.int64)
    ask = np.zeros(n_dem, dtype=np.int64)
    for t in range(t0, t1):
        discarded = 0
        if t == t0:
            for l in range(n_links):
                if purge[l]:
                    x = level[l]
                    level[l] = 0
                    head[l] += x
                    cum[3, l] += x
                    discarded += x
        produced = 0
        overflow = 0
        for l in range(n_links):
            r = bits_per_step[l]
            p = math.floor(r * (t + 1)) - math.floor(r * t)
            room = cap[l] - level[l]
            s = p if p < room else room
            level[l] += s
            tail[l] += s
            cum[0, l] += p
            cum[1, l] += p - s
            produced += p
            overflow += p - s
        requested = 0
        for d in range(n_dem):
            if dem_start[d] <= t < dem_end[d]:
                q = keys_per_step[d]
                ask[d] = math.floor(q * (t + 1)) - math.floor(q * t)
            else:
                ask[d] = 0
            requested += ask[d] * key_bits
        # split each request over its paths
        for s in range(n_slots):
            want[s] = 0
            grant[s] = 0
        for d in range(n_dem):
            lo, hi = slot_ptr[d], slot_ptr[d + 1]
            if hi == lo or ask[d] == 0:
                continue
            if multipath and hi - lo > 1:
                total = 0
                best = lo
                best_b = -1
                for s in range(lo, hi):
                    b = level[slot_links[s, 0]]
                    for i in range(1, slot_hops[s]):
                        b = min(b, level[slot_links[s, i]])
                    b //= key_bits
                    want[s] = b
                    total += b
                    if b > best_b:
                        best_b = b
                        best = s
                if total == 0:
                    for s in range(lo, hi):
                        want[s] = 0
                    want[lo] = ask[d]
                else:
                    given = 0
                    for s in range(lo, hi):
                        want[s] = (ask[d] * want[s]) // total
                        given += want[s]
                    want[best] += ask[d] - given
            else:
                want[lo] = ask[d]
        # pass 1: share each link in proportion to what crosses it
        for l in range(n_links):
            need[l] = 0
            avail[l] = level[l] // key_bits
            avail0[l] = avail[l]
        for s in range(n_slots):
            for i in range(slot_hops[s]):
                need[slot_links[s, i]] += want[s]
        for s in range(n_slots):
            if want[s] == 0:
                continue
            f = 1.0
            room = avail[slot_links[s, 0]]
            for i in range(slot_hops[s]):
                l = slot_links[s, i]
                if need[l] > avail0[l]:
                    f = min(f, avail0[l] / need[l])
                room = min(room, avail[l])
            g = min(math.floor(want[s] * f), room)
            grant[s] = g
            for i in range(slot_hops[s]):
                avail[slot_links[s, i]] -= g
        # pass 2: greedy top-up, demand order rotated each step
        for k in range(n_dem):
            d = (k + t) % n_dem
            lo, hi = slot_ptr[d], slot_ptr[d + 1]
            rest = ask[d]
            for s in range(lo, hi):
                rest -= grant[s]
            for s in range(lo, hi):
                if rest <= 0:
                    break
                room = avail[slot_links[s, 0]]
                for i in range(1, slot_hops[s]):
                    room = min(room, avail[slot_links[s, i]])
                x = min(rest, room)
                if x > 0:
                    grant[s] += x
                    rest -= x
                    for i in range(slot_hops[s]):
                        avail[slot_links[s, i]] -= x
        # relay: withdraw from every hop, in slot order
        ri = t // rec_every
        consumed = 0
        delivered = 0
        overhead = 0
        for s in range(n_slots):
            g = grant[s]
            if g == 0:
                continue
            bits = g * key_bits
            for i in range(slot_hops[s]):
                l = slot_links[s, i]
                level[l] -= bits
                head[l] += bits
                cum[2, l] += bits
                consumed += bits
            delivered += bits
            overhead += bits * (slot_hops[s] - 1)
            slot_keys[s] += g
            if trace.shape[0] > 0:
                trace[t - t0, s] = g
        for d in range(n_dem):
            got = 0
            lat = 0.0
            for s in range(slot_ptr[d], slot_ptr[d + 1]):
                got += grant[s] * key_bits
                lat += grant[s] * key_bits * slot_latency_s[s]
            rec_delivered[ri, d] += got
            rec_requested[ri, d] += ask[d] * key_bits
            rec_latency[ri, d] += lat
        pool = 0
        for l in range(n_links):
            pool += level[l]
        if (t + 1) % rec_every == 0 or t + 1 == total_steps:
            for l in range(n_links):
                rec_level[ri, l] = level[l]
        step_totals[t, 0] = produced
        step_totals[t, 1] = overflow
        step_totals[t, 2] = consumed
        step_totals[t, 3] = delivered
        step_totals[t, 4] = overhead
        step_totals[t, 5] = discarded
        step_totals[t, 6] = requested
        step_totals[t, 7] = pool
