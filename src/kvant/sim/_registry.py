"""Engines by name, for the CLI and for ``engine="..."`` arguments.

One table maps a name to a factory; ``"auto"`` picks an engine for a given circuit. Engines
added by later work register here, so every caller sees the same choice.
"""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import DTypeLike

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim._backends import statevector_choice
from kvant.sim._density_matrix import DensityMatrixEngine
from kvant.sim._engine import Engine
from kvant.sim._noisy import NoisyProgram
from kvant.sim._numba_engine import NumbaEngine
from kvant.sim._run_inputs import as_dtype
from kvant.sim._stabilizer import StabilizerEngine, is_clifford
from kvant.sim._statevector import StateVectorEngine
from kvant.sim._trajectories import TrajectoryEngine

__all__ = ["DENSITY_MATRIX_AUTO_QUBITS", "ENGINE_NAMES", "make_engine"]


def _cupy(dtype: DTypeLike) -> Engine:
    from kvant.sim._cupy_engine import CupyEngine  # CuPy is imported only when asked for

    return CupyEngine(dtype=dtype)


_FACTORIES: dict[str, Callable[[DTypeLike], Engine]] = {
    "statevector": lambda dtype: StateVectorEngine(dtype=dtype),
    "numba": lambda dtype: NumbaEngine(dtype=dtype),
    "cupy": _cupy,
    "stabilizer": lambda dtype: StabilizerEngine(),
    "density_matrix": lambda dtype: DensityMatrixEngine(dtype=dtype),
    "trajectories": lambda dtype: TrajectoryEngine(dtype=dtype),
}

#: Noisy programs up to this many qubits go to the (exact) density-matrix engine under "auto".
DENSITY_MATRIX_AUTO_QUBITS = 8

#: Names accepted by :func:`make_engine`, ``"auto"`` first.
ENGINE_NAMES: tuple[str, ...] = ("auto", *_FACTORIES)


def _auto(circuit: Circuit | NoisyProgram | None) -> str:
    """Stabilizer for Clifford work Stim can run; otherwise the state vector (noiseless) or,
    for a noisy program, the density matrix when small and trajectories beyond."""
    if circuit is None:
        return "statevector"
    if is_clifford(circuit) and StabilizerEngine().supports(circuit):
        return "stabilizer"
    if isinstance(circuit, NoisyProgram):
        if circuit.num_qubits <= DENSITY_MATRIX_AUTO_QUBITS:
            return "density_matrix"
        return "trajectories"
    registered = [
        name for name in _FACTORIES if name != "cupy" or not circuit.has_mid_circuit_operations
    ]
    return statevector_choice(circuit.num_qubits, registered)


def make_engine(
    name: str = "auto",
    *,
    dtype: DTypeLike = "complex128",
    circuit: Circuit | NoisyProgram | None = None,
) -> Engine:
    """Build an engine by name.

    Args:
        name: One of :data:`ENGINE_NAMES`. ``"auto"`` picks the stabilizer engine for Clifford
            circuits (noisy programs too, noise Pauli-twirled), a state-vector engine for
            other circuits (the Numba engine from ``NUMBA_AUTO_QUBITS`` = 14 qubits, a GPU
            engine when one is registered and a device is present), and for other noisy
            programs the density-matrix engine up to :data:`DENSITY_MATRIX_AUTO_QUBITS`
            qubits, trajectories beyond.
        dtype: ``"complex128"`` or ``"complex64"`` (the stabilizer engine has none).
        circuit: The circuit or noisy program to be run, which ``"auto"`` inspects.

    Returns:
        An object following the :class:`~kvant.sim.Engine` protocol.

    Raises:
        ConfigError: for an unknown name or dtype.

    >>> make_engine("statevector").name
    'statevector'
    >>> from kvant.circuit import Circuit
    >>> make_engine("auto", circuit=Circuit(60).h(0).cx(0, 59)).name
    'stabilizer'
    """
    as_dtype(dtype)  # every engine name accepts only the supported dtypes
    if name == "auto":
        name = _auto(circuit)
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}"
        ) from None
    return factory(dtype)
