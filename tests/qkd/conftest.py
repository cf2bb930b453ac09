"""Shared data for the post-processing tests: a short, bright link whose 4e6 pulses give a
positive finite key (Lim et al. 2014) in a fraction of a second."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kvant.qkd import (
    Detections,
    DetectorConfig,
    FibreConfig,
    LinkConfig,
    SourceConfig,
    iter_detections,
)

BRIGHT_LINK = LinkConfig(
    SourceConfig((0.5, 0.1, 0.0), (0.6, 0.2, 0.2)),
    FibreConfig(2.0),
    DetectorConfig(0.9, 1e-7, 0.0, 0.0),
)


Pair = Callable[[int, float, int], tuple[np.ndarray, np.ndarray]]
"""The ``noisy_pair`` fixture: (length, QBER, seed) -> (Alice's key, Bob's noisy copy)."""


@pytest.fixture(scope="session")
def bright_detections() -> list[Detections]:
    """4e6 pulses through :data:`BRIGHT_LINK` (about 2e5 sifted key bits at QBER 1%)."""
    return list(iter_detections(BRIGHT_LINK, 4_000_000, seed=11))


def _noisy_pair(n: int, qber: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    return alice, alice ^ (rng.random(n) < qber).astype(np.uint8)


@pytest.fixture(scope="session")
def noisy_pair() -> Pair:
    """(n, qber, seed) -> Alice's random key and Bob's copy with independent flips."""
    return _noisy_pair
