"""The engine protocol: anything that runs a circuit and returns a :class:`Result`."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from kvant.circuit import Circuit
from kvant.sim._result import Result

__all__ = ["Engine"]


@runtime_checkable
class Engine(Protocol):
    """Runs circuits. State-vector (NumPy, Numba, CuPy), stabilizer and density-matrix engines
    are plain classes with this shape; none inherits from another.

    An engine must: return counts over all classical bits (bit 0 rightmost) when ``shots > 0``;
    make a run reproducible from an integer ``seed``; raise
    :class:`~kvant.errors.UnboundParameterError` for free parameters and
    :class:`~kvant.errors.MemoryLimitError` *before* allocating what does not fit.

    >>> from kvant.sim import StateVectorEngine
    >>> isinstance(StateVectorEngine(), Engine)
    True
    """

    @property
    def name(self) -> str:
        """Short identifier recorded in each :class:`Result` (``"statevector"``...)."""
        ...

    def run(
        self,
        circuit: Circuit,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        """Run ``circuit``; sample ``shots`` shots if positive."""
        ...
