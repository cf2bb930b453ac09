"""random_circuit, random_unitary, random_state_vector."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import GATES
from kvant.errors import ConfigError
from kvant.testing import random_circuit, random_state_vector, random_unitary


def test_same_seed_same_circuit() -> None:
    assert random_circuit(5, 8, seed=3) == random_circuit(5, 8, seed=3)
    assert random_circuit(5, 8, seed=3) != random_circuit(5, 8, seed=4)


def test_every_library_gate_appears() -> None:
    seen: set[str] = set()
    for seed in range(30):
        seen |= set(random_circuit(6, 10, seed=seed).count_ops())
    assert seen == set(GATES)


def test_depth_and_distinct_qubits() -> None:
    for seed in range(10):
        circuit = random_circuit(6, 7, seed=seed, gate_set=[*GATES, "unitary"])
        assert circuit.depth() <= 7
        assert all(len(set(op.qubits)) == len(op.qubits) for op in circuit)
        assert circuit.num_clbits == 0


def test_unitary_instructions_are_unitary() -> None:
    circuit = random_circuit(4, 6, seed=1, gate_set=["unitary"])
    ops = list(circuit)
    assert ops
    assert {op.name for op in ops} == {"unitary"}
    for op in ops:
        assert op.matrix is not None
        assert 1 <= len(op.qubits) <= 3
        np.testing.assert_allclose(
            op.matrix.conj().T @ op.matrix, np.eye(len(op.matrix)), atol=1e-12
        )


def test_measure_adds_terminal_measurements() -> None:
    circuit = random_circuit(4, 5, seed=2, measure=True)
    assert circuit.num_clbits == 4
    assert [op.name for op in circuit][-4:] == ["measure"] * 4
    assert not circuit.has_mid_circuit_operations


def test_mid_circuit_adds_measure_reset_and_conditions() -> None:
    names: set[str] = set()
    conditioned = 0
    for seed in range(10):
        circuit = random_circuit(4, 8, seed=seed, mid_circuit=True)
        names |= set(circuit.count_ops())
        conditioned += sum(op.condition is not None for op in circuit)
    assert {"measure", "reset"} <= names
    assert conditioned > 0


def test_parameterised_circuits_bind() -> None:
    circuit = random_circuit(3, 5, seed=4, parameterised=True, gate_set=["rx", "cu", "h"])
    assert circuit.parameters
    bound = circuit.bind(dict.fromkeys(circuit.parameters, 0.25))
    assert not bound.parameters


def test_small_registers_drop_gates_that_do_not_fit() -> None:
    circuit = random_circuit(2, 5, seed=5)
    assert max(len(op.qubits) for op in circuit) <= 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_qubits": 0, "depth": 2}, "num_qubits must be an integer >= 1"),
        ({"num_qubits": 2, "depth": -1}, "depth must be an integer >= 0"),
        ({"num_qubits": 2, "depth": 2, "gate_set": ["nope"]}, "unknown gate"),
        ({"num_qubits": 2, "depth": 2, "gate_set": ["ccx"]}, "no gate in"),
        ({"num_qubits": 2, "depth": 2, "seed": -1}, "seed must be"),
    ],
)
def test_random_circuit_errors(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"seed": 0, **kwargs}
    with pytest.raises(ConfigError, match=match):
        random_circuit(**arguments)  # type: ignore[arg-type]


def test_random_unitary_is_haar_like() -> None:
    # E|U_00|^2 = 1/d for Haar unitaries; the mean over samples must be close
    samples = [abs(random_unitary(1, seed=s)[0, 0]) ** 2 for s in range(2000)]
    assert np.mean(samples) == pytest.approx(0.5, abs=0.02)
    u = random_unitary(3, seed=1)
    np.testing.assert_allclose(u @ u.conj().T, np.eye(8), atol=1e-12)


def test_random_state_vector() -> None:
    state = random_state_vector(4, seed=1, dtype="complex64")
    assert state.dtype == np.complex64
    assert np.linalg.norm(state) == pytest.approx(1, abs=1e-6)
    np.testing.assert_array_equal(random_state_vector(4, seed=1), random_state_vector(4, seed=1))
