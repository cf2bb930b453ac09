"""The engine against Qiskit Aer: the independent check of kvant's gate and bit-order conventions.

kvant gate matrices are textbook order (first operand most significant) and state vectors are
little-endian; Qiskit's gates take the same operand order and its state vectors are
little-endian too, so the two must agree amplitude for amplitude (global phase included) once
`unitary` instructions are handed to Qiskit with their qubits reversed (see conftest.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit, Parameter
from kvant.sim import StateVectorEngine
from kvant.testing import random_circuit, random_unitary, state_fidelity

ENGINE = StateVectorEngine()
AerState = Callable[[Circuit], np.ndarray[Any, Any]]


def test_the_converter_covers_the_whole_library(qiskit_names: frozenset[str]) -> None:
    assert set(GATES) <= qiskit_names


@pytest.mark.parametrize("name", sorted(GATES))
def test_each_gate_matches_aer(name: str, aer_statevector: AerState) -> None:
    spec = GATES[name]
    rng = np.random.default_rng(sorted(GATES).index(name))
    num_qubits = max(5, spec.num_qubits + 1)
    for _ in range(2):
        circuit = random_circuit(num_qubits, 2, seed=rng, gate_set=["u", "cx"])
        qubits = [int(q) for q in rng.permutation(num_qubits)[: spec.num_qubits]]
        params = [float(x) for x in rng.uniform(-2 * math.pi, 2 * math.pi, spec.num_params)]
        circuit.gate(name, qubits, params)
        state = ENGINE.run(circuit).state_vector
        assert state is not None
        expected = aer_statevector(circuit)
        assert state_fidelity(expected, state) > 1 - 1e-10
        np.testing.assert_allclose(state, expected, atol=1e-10, err_msg=f"{name} on {qubits}")


@pytest.mark.parametrize("num_qubits", range(1, 15))
def test_random_circuits_match_aer(num_qubits: int, aer_statevector: AerState) -> None:
    gate_set = [*sorted(GATES), "unitary"]
    for seed in range(2):
        circuit = random_circuit(num_qubits, 6, seed=100 * num_qubits + seed, gate_set=gate_set)
        state = ENGINE.run(circuit).state_vector
        assert state is not None
        expected = aer_statevector(circuit)
        assert state_fidelity(expected, state) > 1 - 1e-10, f"{num_qubits} qubits, seed {seed}"
        np.testing.assert_allclose(state, expected, atol=1e-10)


def test_unitary_qubit_order_matches_aer(aer_statevector: AerState) -> None:
    # a non-symmetric 2-qubit unitary on (3, 1) and on (1, 3) must give different states,
    # each matching Aer
    u = random_unitary(2, seed=5)
    for qubits in ([3, 1], [1, 3]):
        circuit = Circuit(4).h(0).h(3).cx(0, 2).unitary(u, qubits)
        state = ENGINE.run(circuit).state_vector
        assert state is not None
        np.testing.assert_allclose(state, aer_statevector(circuit), atol=1e-12)


def test_bound_parameterised_circuit_matches_aer(aer_statevector: AerState) -> None:
    circuit = random_circuit(6, 8, seed=9, parameterised=True)
    rng = np.random.default_rng(9)
    bound = circuit.bind({name: float(rng.uniform(-3, 3)) for name in circuit.parameters})
    state = ENGINE.run(bound).state_vector
    assert state is not None
    np.testing.assert_allclose(state, aer_statevector(bound), atol=1e-10)
    assert Parameter("theta_0").name in circuit.parameters


def test_complex64_matches_aer(aer_statevector: AerState) -> None:
    circuit = random_circuit(12, 10, seed=77)
    state = StateVectorEngine("complex64").run(circuit).state_vector
    assert state is not None
    assert state_fidelity(aer_statevector(circuit), state) > 1 - 1e-5
