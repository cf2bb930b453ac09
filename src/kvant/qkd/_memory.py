"""Detector memory: dead time and after-pulsing, applied to the clicks of a block.

Both make a pulse's fate depend on earlier clicks, so they cannot be vectorised over pulses;
this pass walks the (sparse) clicks instead, in a Numba kernel, once per block. Randomness
comes from a SplitMix64 stream seeded per block from the caller's ``numpy.random.Generator``,
so no global state is touched and runs are reproducible.

Model: after a registered click at gate g the receiver ignores gates g+1 .. g+D (D the dead
time in gates, both detectors, the symmetric dead time); each detector that clicked produces
an after-pulse with probability a at gate g+D+1, the first live gate. An after-pulse on a pulse
that also clicked merges with it (possibly into a double click, squashed to a random bit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MemoryState", "apply_memory"]

from numba import njit

MemoryState = tuple[int, int, int, int]
"""(first live gate, pending after-pulse gate or -1, its detector mask, RNG state), relative to
the start of the next block."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _kernel(
    raw_offset: NDArray[np.int64],
    raw_pattern: NDArray[np.uint8],
    num_pulses: int,
    dead_gates: int,
    afterpulse: float,
    next_live: int,
    ap_gate: int,
    ap_mask: int,
    state: np.uint64,
) -> tuple[Any, ...]:
    capacity = 2 * raw_offset.size + 64
    out_offset = np.empty(capacity, dtype=np.int64)
    out_pattern = np.empty(capacity, dtype=np.uint8)
    out_raw = np.empty(capacity, dtype=np.int64)
    count, j, n_raw = 0, 0, raw_offset.size
    scale = 1.0 / 9007199254740992.0  # 2^-53
    while True:
        while j < n_raw and raw_offset[j] < next_live:
            j += 1  # the receiver is dead: this click is lost
        g_raw = raw_offset[j] if j < n_raw else num_pulses
        raw_index = -1
        if ap_gate >= 0 and ap_gate <= g_raw:
            gate = ap_gate
            if gate >= num_pulses:
                break  # the after-pulse falls in the next block
            mask = ap_mask
            pattern = 0
            if g_raw == gate:
                pattern = int(raw_pattern[j])
                mask |= 1 if pattern == 1 else (2 if pattern == 2 else 3)
                raw_index = j
                j += 1
            ap_gate, ap_mask = -1, 0
        else:
            if g_raw >= num_pulses:
                break
            gate = g_raw
            pattern = int(raw_pattern[j])
            mask = 1 if pattern == 1 else (2 if pattern == 2 else 3)
            raw_index = j
            j += 1
        if mask == 3 and pattern < 3:  # a merge made a double click: squash to a random bit
            state = state + _GOLDEN
            z = state
            z = (z ^ (z >> np.uint64(30))) * _MIX1
            z = (z ^ (z >> np.uint64(27))) * _MIX2
            z = z ^ (z >> np.uint64(31))
            pattern = 3 + int(z >> np.uint64(63))
        elif mask != 3:
            pattern = mask
        if count == capacity:
            capacity *= 2
            out_offset = np.concatenate((out_offset, np.empty(capacity - count, np.int64)))
            out_pattern = np.concatenate((out_pattern, np.empty(capacity - count, np.uint8)))
            out_raw = np.concatenate((out_raw, np.empty(capacity - count, np.int64)))
        out_offset[count], out_pattern[count], out_raw[count] = gate, pattern, raw_index
        count += 1
        next_live = gate + dead_gates + 1
        if afterpulse > 0.0:
            for detector in (1, 2):
                if mask & detector:
                    state = state + _GOLDEN
                    z = state
                    z = (z ^ (z >> np.uint64(30))) * _MIX1
                    z = (z ^ (z >> np.uint64(27))) * _MIX2
                    z = z ^ (z >> np.uint64(31))
                    if (z >> np.uint64(11)) * scale < afterpulse:
                        ap_mask |= detector
            if ap_mask:
                ap_gate = next_live
    return (
        out_offset[:count],
        out_pattern[:count],
        out_raw[:count],
        next_live - num_pulses,
        ap_gate - num_pulses if ap_gate >= 0 else -1,
        ap_mask,
        state,
    )


_compiled = njit(cache=True, nogil=True)(_kernel)


def apply_memory(
    raw_offset: NDArray[np.int64],
    raw_pattern: NDArray[np.uint8],
    num_pulses: int,
    dead_gates: int,
    afterpulse_probability: float,
    state: MemoryState,
) -> tuple[NDArray[np.int64], NDArray[np.uint8], NDArray[np.int64], MemoryState]:
    """Apply dead time and after-pulsing to one block's raw clicks.

    Args:
        raw_offset: Sorted positions of the raw clicks in the block.
        raw_pattern: Their patterns: 1 only detector 0, 2 only detector 1, 3 (4) double click
            squashed to bit 0 (1).
        num_pulses: Pulses in the block.
        dead_gates: Dead time in gates.
        afterpulse_probability: After-pulse probability per detector click.
        state: Carried over from the previous block (see :data:`MemoryState`).

    Returns:
        Registered clicks (offsets, patterns, index of the raw click or -1 for an after-pulse
        on a pulse that did not click) and the state for the next block.

    >>> offsets = np.array([0, 1, 5], dtype=np.int64)
    >>> kept, patterns, raw, state = apply_memory(
    ...     offsets, np.array([1, 2, 1], dtype=np.uint8), 10, 2, 0.0, (0, -1, 0, 1))
    >>> kept.tolist(), state[0]
    ([0, 5], -2)
    """
    next_live, ap_gate, ap_mask, rng_state = state
    result = _compiled(
        raw_offset,
        raw_pattern,
        num_pulses,
        dead_gates,
        afterpulse_probability,
        next_live,
        ap_gate,
        ap_mask,
        np.uint64(rng_state),
    )
    offsets, patterns, raw_index = result[0], result[1], result[2]
    new_state: MemoryState = (int(result[3]), int(result[4]), int(result[5]), int(result[6]))
    return offsets, patterns, raw_index, new_state
