"""Random circuits, unitaries and states for tests and benchmarks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from kvant.circuit import GATES, Circuit, Parameter, ParameterValue
from kvant.errors import ConfigError

__all__ = ["random_circuit", "random_state_vector", "random_unitary"]

#: Pseudo-gate name in ``gate_set`` that asks for Haar-random ``unitary`` instructions.
UNITARY = "unitary"
_MAX_UNITARY_QUBITS = 3
_MID_CIRCUIT_RATE = 0.15  # chance that a slot becomes a measure or reset
_CONDITION_RATE = 0.2  # chance that a gate is classically conditioned


def _generator(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a non-negative int or a Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def random_unitary(num_qubits: int, *, seed: int | np.random.Generator) -> NDArray[np.complex128]:
    """A Haar-random ``2**n x 2**n`` unitary.

    QR decomposition of a complex Ginibre matrix with the phases of R's diagonal moved into Q
    (Mezzadri, "How to generate random matrices from the classical compact groups",
    Notices AMS 54, 592 (2007), section 5).

    Args:
        num_qubits: Number of qubits it acts on.
        seed: An int or a Generator.

    Returns:
        The unitary (complex128).

    >>> u = random_unitary(2, seed=1)
    >>> bool(np.allclose(u.conj().T @ u, np.eye(4)))
    True
    """
    rng = _generator(seed)
    dim = 1 << num_qubits
    ginibre = (rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))) / math.sqrt(2)
    q, r = np.linalg.qr(ginibre)
    phases = np.diagonal(r) / np.abs(np.diagonal(r))
    return np.asarray(q * phases, dtype=np.complex128)


def random_state_vector(
    num_qubits: int, *, seed: int | np.random.Generator, dtype: DTypeLike = "complex128"
) -> NDArray[np.complexfloating[Any, Any]]:
    """A Haar-random normalised state of ``num_qubits`` qubits (normalised complex Gaussian).

    >>> state = random_state_vector(3, seed=2)
    >>> state.shape, round(float(np.linalg.norm(state)), 12)
    ((8,), 1.0)
    """
    rng = _generator(seed)
    dim = 1 << num_qubits
    state = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    return np.asarray(state / np.linalg.norm(state), dtype=dtype)


def _gate_names(gate_set: Sequence[str] | None, num_qubits: int) -> list[str]:
    names = sorted(GATES) if gate_set is None else list(gate_set)
    unknown = [g for g in names if g not in GATES and g != UNITARY]
    if unknown:
        raise ConfigError(
            f"unknown gate(s) {unknown} in gate_set; use library names or {UNITARY!r}"
        )
    usable = [g for g in names if g == UNITARY or GATES[g].num_qubits <= num_qubits]
    if not usable:
        raise ConfigError(f"no gate in {names} fits in {num_qubits} qubit(s)")
    return usable


def _arity(name: str, rng: np.random.Generator, num_qubits: int) -> int:
    if name == UNITARY:
        return int(rng.integers(1, min(_MAX_UNITARY_QUBITS, num_qubits) + 1))
    return GATES[name].num_qubits


def random_circuit(
    num_qubits: int,
    depth: int,
    *,
    seed: int | np.random.Generator,
    gate_set: Sequence[str] | None = None,
    measure: bool = False,
    mid_circuit: bool = False,
    parameterised: bool = False,
) -> Circuit:
    """A random circuit of ``depth`` layers over the gate library.

    Each layer shuffles the qubits and fills them with gates drawn uniformly from ``gate_set``
    (those that fit), on random distinct qubits, with angles uniform in ``[-2pi, 2pi)``.

    Args:
        num_qubits: Number of qubits (>= 1).
        depth: Number of layers.
        seed: An int or a Generator.
        gate_set: Library gate names to draw from (default: all of ``kvant.circuit.GATES``);
            the name ``"unitary"`` adds Haar-random unitaries on 1 to 3 qubits.
        measure: Measure every qubit at the end (qubit i into classical bit i).
        mid_circuit: Also place measurements and resets inside the circuit and condition
            some gates on classical bits.
        parameterised: Use symbolic parameters ``theta_0, theta_1, ...`` (some inside
            expressions) instead of numbers; bind them before running.

    Returns:
        The circuit (with ``num_qubits`` classical bits if it measures).

    Raises:
        ConfigError: For a bad size, depth or gate set.

    >>> c = random_circuit(3, 4, seed=7)
    >>> c.num_qubits, c.depth() <= 4
    (3, True)
    >>> sorted(random_circuit(2, 2, seed=1, parameterised=True, gate_set=["rx"]).parameters)
    ['theta_0', 'theta_1', 'theta_2', 'theta_3']
    """
    for label, value, low in (("num_qubits", num_qubits, 1), ("depth", depth, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(f"{label} must be an integer >= {low}, got {value!r}")
    rng = _generator(seed)
    names = _gate_names(gate_set, num_qubits)
    num_clbits = num_qubits if (measure or mid_circuit) else 0
    circuit = Circuit(num_qubits, num_clbits, name=f"random_{num_qubits}x{depth}")
    counter = [0]

    def angle() -> ParameterValue:
        value = float(rng.uniform(-2 * math.pi, 2 * math.pi))
        if not parameterised:
            return value
        symbol = Parameter(f"theta_{counter[0]}")
        counter[0] += 1
        return symbol if counter[0] % 2 else 2 * symbol + value

    for _ in range(depth):
        free = [int(q) for q in rng.permutation(num_qubits)]
        while free:
            if mid_circuit and rng.random() < _MID_CIRCUIT_RATE:
                qubit = free.pop()
                if rng.random() < 0.5:
                    circuit.measure(qubit, int(rng.integers(num_clbits)))
                else:
                    circuit.reset(qubit)
                continue
            name = str(rng.choice([g for g in names if _fits(g, len(free))]))
            arity = _arity(name, rng, len(free))
            qubits = [free.pop() for _ in range(arity)]
            if name == UNITARY:
                circuit.unitary(random_unitary(arity, seed=rng), qubits)
            else:
                circuit.gate(name, qubits, [angle() for _ in range(GATES[name].num_params)])
            if mid_circuit and rng.random() < _CONDITION_RATE:
                width = int(rng.integers(1, min(2, num_clbits) + 1))
                bits = [int(b) for b in rng.choice(num_clbits, size=width, replace=False)]
                circuit.c_if(bits, int(rng.integers(1 << width)))
    if measure:
        for qubit in range(num_qubits):
            circuit.measure(qubit, qubit)
    return circuit


def _fits(name: str, free: int) -> bool:
    return name == UNITARY or GATES[name].num_qubits <= free
