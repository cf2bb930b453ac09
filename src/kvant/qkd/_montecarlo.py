"""The vectorised Monte Carlo of a link: one 64-bit uniform per pulse, no loop over pulses.

Every pulse's fate (intensity, bases, bit, Eve's knowledge, Bob's click pattern after the
squashing rule) is one draw from the categorical distribution of
:func:`~kvant.qkd.outcome_table`, by inverse transform: the categories are laid out on
[0, 2^64) with all click categories first, so ``u < T`` is the detection mask, the few
detected pulses are classified with ``searchsorted``, and the undetected ones are only counted
per intensity with integer comparisons. Dead time and after-pulsing are then applied to the
sparse clicks (:mod:`kvant.qkd._memory`). Pulses are processed in blocks of fixed size, so
memory does not grow with the number of pulses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._attacks import Attack
from kvant.qkd._channel import BOTH, ONLY0, ONLY1, outcome_table
from kvant.qkd._config import LinkConfig
from kvant.qkd._detections import Detections, Tally
from kvant.qkd._memory import MemoryState, apply_memory
from kvant.qkd._random import generator

__all__ = ["DEFAULT_BLOCK_PULSES", "iter_detections", "simulate_tally"]

DEFAULT_BLOCK_PULSES = 1 << 20
_MAX_BLOCK_PULSES = 1 << 32
_TOP = (1 << 64) - 1


@dataclass(frozen=True)
class _Categories:
    thresholds: NDArray[np.uint64]  # exclusive upper bound of each category on [0, 2^64)
    num_click: int
    intensity_bounds: tuple[int, ...]  # upper bound of each intensity's no-click block
    intensity: NDArray[np.uint8]
    alice_basis: NDArray[np.bool_]
    alice_bit: NDArray[np.bool_]
    bob_basis: NDArray[np.bool_]
    eve: NDArray[np.bool_]
    pattern: NDArray[np.uint8]  # 0 none, 1 only detector 0, 2 only 1, 3/4 double -> bit 0/1


def _categories(link: LinkConfig, attack: Attack | None) -> _Categories:
    table = outcome_table(link, attack)
    k_count = table.shape[0]
    labels: list[tuple[int, int, int, int, int, int]] = []
    probs: list[float] = []
    for k, ab, ax, bb, eve in np.ndindex(*table.shape[:5]):
        cell = table[k, ab, ax, bb, eve]
        for pattern, p in (
            (1, cell[ONLY0]),
            (2, cell[ONLY1]),
            (3, cell[BOTH] / 2),
            (4, cell[BOTH] / 2),
        ):
            labels.append((k, ab, ax, bb, eve, pattern))
            probs.append(float(p))
    num_click = len(labels)
    ends = []
    for k in range(k_count):
        for ab, ax, bb, eve in np.ndindex(2, 2, 2, 2):
            labels.append((k, ab, ax, bb, eve, 0))
            probs.append(float(table[k, ab, ax, bb, eve, 0]))
        ends.append(len(labels) - 1)
    cumulative = np.cumsum(np.asarray(probs))
    cumulative /= cumulative[-1]
    bounds = [min(int(c * 2.0**64), _TOP) for c in cumulative]
    bounds[-1] = _TOP
    columns = np.asarray(labels, dtype=np.uint8).T
    return _Categories(
        thresholds=np.asarray(bounds, dtype=np.uint64),
        num_click=num_click,
        intensity_bounds=tuple(bounds[e] for e in ends),
        intensity=columns[0].copy(),
        alice_basis=columns[1].astype(np.bool_),
        alice_bit=columns[2].astype(np.bool_),
        bob_basis=columns[3].astype(np.bool_),
        eve=columns[4].astype(np.bool_),
        pattern=columns[5].copy(),
    )


def _check(pulses: int, block_pulses: int) -> None:
    if not isinstance(pulses, int | np.integer) or pulses < 1:
        raise ConfigError(f"pulses must be a positive integer, got {pulses!r}")
    if not 1 <= block_pulses <= _MAX_BLOCK_PULSES:
        raise ConfigError(f"block_pulses must be in [1, 2^32], got {block_pulses}")


def iter_detections(
    link: LinkConfig,
    pulses: int,
    *,
    seed: int | np.random.Generator | None = None,
    attack: Attack | None = None,
    block_pulses: int = DEFAULT_BLOCK_PULSES,
) -> Iterator[Detections]:
    """Simulate ``pulses`` pulses through the link, yielding one :class:`Detections` per block.

    Memory is bounded by the block size whatever ``pulses`` is; the results depend only on
    the seed (and the block size, which sets how the random stream is consumed).

    Args:
        link: The link.
        pulses: Number of pulses Alice sends.
        seed: An int or a ``numpy.random.Generator``.
        attack: An optional eavesdropper.
        block_pulses: Pulses per block (at most 2^32).

    Yields:
        The detections of each block in order.

    Raises:
        ConfigError: if ``pulses`` or ``block_pulses`` is out of range.

    >>> from kvant.qkd import FibreConfig, LinkConfig, SourceConfig
    >>> link = LinkConfig(SourceConfig((0.5, 0.1, 0.0), (0.8, 0.1, 0.1)), FibreConfig(25.0))
    >>> blocks = list(iter_detections(link, 3_000_000, seed=1))
    >>> len(blocks), sum(int(b.sent_per_intensity.sum()) for b in blocks)
    (3, 3000000)
    """
    _check(pulses, block_pulses)
    rng = generator(seed)
    cats = _categories(link, attack)
    click_threshold = cats.thresholds[cats.num_click - 1]
    click_bounds = cats.thresholds[: cats.num_click]
    intensity_bounds = [np.uint64(b) for b in cats.intensity_bounds[:-1]]
    k_count = link.source.num_intensities
    dead, afterpulse = link.dead_time_gates, link.detector.afterpulse_probability
    memory = dead > 0 or afterpulse > 0
    state: MemoryState = (0, -1, 0, 0)
    done = 0
    while done < pulses:
        n = min(block_pulses, pulses - done)
        u = rng.bit_generator.random_raw(n)
        raw = np.flatnonzero(u < click_threshold)
        raw_cat = np.searchsorted(click_bounds, u[raw], side="right")
        below = [np.count_nonzero(u < b) for b in intensity_bounds]
        no_click = np.diff(np.asarray([raw.size, *below, n], dtype=np.int64))
        sent = (no_click + np.bincount(cats.intensity[raw_cat], minlength=k_count)).astype(np.int64)
        if memory:
            state = (state[0], state[1], state[2], int(rng.integers(0, 2**63)))
            offsets, patterns, raw_index, state = apply_memory(
                raw, cats.pattern[raw_cat], n, dead, afterpulse, state
            )
            cat = np.zeros(offsets.size, dtype=np.int64)
            lone = raw_index < 0  # after-pulses on pulses that sent nothing to the detectors
            cat[~lone] = raw_cat[raw_index[~lone]]
            cat[lone] = np.searchsorted(cats.thresholds, u[offsets[lone]], side="right")
        else:
            offsets, patterns, cat = raw, cats.pattern[raw_cat], raw_cat
        yield Detections(
            first_pulse=done,
            num_pulses=n,
            sent_per_intensity=sent,
            pulse_offset=offsets.astype(np.uint32),
            intensity=cats.intensity[cat],
            alice_basis=np.packbits(cats.alice_basis[cat]),
            alice_bit=np.packbits(cats.alice_bit[cat]),
            bob_basis=np.packbits(cats.bob_basis[cat]),
            bob_bit=np.packbits((patterns == 2) | (patterns == 4)),
            double_click=np.packbits(patterns >= 3),
            eve_knows_bit=np.packbits(cats.eve[cat]),
        )
        done += n


def simulate_tally(
    link: LinkConfig,
    pulses: int,
    *,
    seed: int | np.random.Generator | None = None,
    attack: Attack | None = None,
    block_pulses: int = DEFAULT_BLOCK_PULSES,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """Simulate ``pulses`` pulses and return only the counts (memory flat in ``pulses``).

    Args:
        link: The link.
        pulses: Number of pulses Alice sends.
        seed: An int or a ``numpy.random.Generator``.
        attack: An optional eavesdropper.
        block_pulses: Pulses per block.
        progress: Called with the number of pulses done after each block.

    Returns:
        The tally of the whole run.

    >>> from kvant.qkd import FibreConfig, LinkConfig, SourceConfig
    >>> link = LinkConfig(SourceConfig((0.5,), (1.0,)), FibreConfig(50.0))
    >>> tally = simulate_tally(link, 1_000_000, seed=7)
    >>> tally.num_pulses, 0.021 < tally.gain(0) < 0.023
    (1000000, True)
    """
    total = Tally.empty(link.source.num_intensities)
    done = 0
    for block in iter_detections(link, pulses, seed=seed, attack=attack, block_pulses=block_pulses):
        total = total + block.tally()
        done += block.num_pulses
        if progress is not None:
            progress(done)
    return total
