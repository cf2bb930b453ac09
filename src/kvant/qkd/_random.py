"""The random source of a QKD stage, from the ``seed`` its caller gives."""

from __future__ import annotations

import numpy as np

from kvant.errors import ConfigError

__all__ = ["generator"]


def generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` for a non-negative int, a Generator (used as is) or
    None (fresh entropy); anything else is a :class:`~kvant.errors.ConfigError` before any
    work or key is spent (NumPy raises TypeError or ValueError). The same rule as
    :func:`kvant.sim._sampling.as_generator`, which this pillar may not import.

    >>> bool(generator(1).integers(10) == generator(1).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator) or seed is None:
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(
            f"seed must be a non-negative integer, a numpy Generator or None, got {seed!r}"
        )
    return np.random.default_rng(int(seed))
