"""Engines by name, for the CLI and for ``engine="..."`` arguments.

One table maps a name to a factory; ``"auto"`` picks an engine for a given circuit. Engines
added by later work register here, so every caller sees the same choice.
"""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import DTypeLike

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim._engine import Engine
from kvant.sim._statevector import StateVectorEngine

__all__ = ["ENGINE_NAMES", "make_engine"]

_FACTORIES: dict[str, Callable[[DTypeLike], Engine]] = {
    "statevector": lambda dtype: StateVectorEngine(dtype=dtype),
}

#: Names accepted by :func:`make_engine`, ``"auto"`` first.
ENGINE_NAMES: tuple[str, ...] = ("auto", *_FACTORIES)


def make_engine(
    name: str = "auto", *, dtype: DTypeLike = "complex128", circuit: Circuit | None = None
) -> Engine:
    """Build an engine by name.

    Args:
        name: One of :data:`ENGINE_NAMES`. ``"auto"`` picks the best engine for ``circuit``
            (today: the state-vector engine).
        dtype: ``"complex128"`` or ``"complex64"``.
        circuit: The circuit to be run, which ``"auto"`` may inspect.

    Returns:
        An object following the :class:`~kvant.sim.Engine` protocol.

    Raises:
        ConfigError: for an unknown name or dtype.

    >>> make_engine("statevector").name
    'statevector'
    """
    if name == "auto":
        del circuit  # the only engine so far suits every circuit
        name = "statevector"
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}"
        ) from None
    return factory(dtype)
