"""The reference state-vector engine against the independent dense reference.

``kvant.testing.dense_unitary`` builds each gate's full little-endian matrix by index arithmetic;
the engine contracts tensors. Agreement on random circuits over the whole library (and on every
gate applied to random states) checks the engine's axis bookkeeping.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit, GateDefinition, Instruction, Parameter
from kvant.errors import ConfigError, KvantError, UnboundParameterError
from kvant.sim import Engine, StateVectorEngine
from kvant.testing import (
    dense_unitary,
    random_circuit,
    random_state_vector,
    random_unitary,
    state_fidelity,
)

ENGINE = StateVectorEngine()
ENGINE64 = StateVectorEngine("complex64")
ALL_GATES = [*sorted(GATES), "unitary"]


@pytest.mark.parametrize("seed", range(60))
def test_random_circuits_match_the_dense_reference(seed: int) -> None:
    num_qubits = 1 + seed % 8
    circuit = random_circuit(num_qubits, 8, seed=seed, gate_set=ALL_GATES)
    expected = dense_unitary(circuit)[:, 0]
    state = ENGINE.run(circuit).state_vector
    assert state is not None
    assert state.dtype == np.complex128
    assert state_fidelity(expected, state) > 1 - 1e-10
    np.testing.assert_allclose(state, expected, atol=1e-10)  # global phase included


@pytest.mark.parametrize("seed", range(20))
def test_complex64_stays_within_1e_5_of_the_reference(seed: int) -> None:
    circuit = random_circuit(2 + seed % 7, 8, seed=1000 + seed, gate_set=ALL_GATES)
    expected = dense_unitary(circuit)[:, 0]
    state = ENGINE64.run(circuit).state_vector
    assert state is not None
    assert state.dtype == np.complex64
    assert state_fidelity(expected, state) > 1 - 1e-5
    np.testing.assert_allclose(state, expected, atol=1e-5)


@pytest.mark.parametrize("name", sorted(GATES))
def test_each_gate_on_random_states_equals_the_dense_reference(name: str) -> None:
    spec = GATES[name]
    rng = np.random.default_rng(sorted(GATES).index(name))
    num_qubits = max(5, spec.num_qubits)
    for trial in range(4):
        qubits = [int(q) for q in rng.permutation(num_qubits)[: spec.num_qubits]]
        if trial == 0:
            qubits = sorted(qubits)  # ascending operands
        elif trial == 1:
            qubits = sorted(qubits, reverse=True)  # descending operands
        params = [float(x) for x in rng.uniform(-2 * math.pi, 2 * math.pi, spec.num_params)]
        circuit = Circuit(num_qubits).gate(name, qubits, params)
        psi = random_state_vector(num_qubits, seed=rng)
        expected = dense_unitary(circuit) @ psi
        for engine, atol in ((ENGINE, 1e-12), (ENGINE64, 1e-6)):
            state = engine.run(circuit, initial_state=psi).state_vector
            assert state is not None
            np.testing.assert_allclose(state, expected, atol=atol, err_msg=f"{name} {qubits}")


@pytest.mark.parametrize("arity", [1, 2, 3, 4])
def test_unitary_instructions_on_random_states(arity: int) -> None:
    rng = np.random.default_rng(arity)
    for _ in range(5):
        qubits = [int(q) for q in rng.permutation(6)[:arity]]
        circuit = Circuit(6).unitary(random_unitary(arity, seed=rng), qubits)
        psi = random_state_vector(6, seed=rng)
        state = ENGINE.run(circuit, initial_state=psi).state_vector
        assert state is not None
        np.testing.assert_allclose(state, dense_unitary(circuit) @ psi, atol=1e-12)


def test_a_diagonal_unitary_instruction_uses_the_diagonal_kernel_correctly() -> None:
    phases = np.exp(1j * np.array([0.1, 0.7, -1.3, 2.9]))
    circuit = Circuit(4).h(0).h(1).h(2).h(3).unitary(np.diag(phases), [3, 1])
    state = ENGINE.run(circuit).state_vector
    assert state is not None
    np.testing.assert_allclose(state, dense_unitary(circuit)[:, 0], atol=1e-12)


def test_little_endian_layout() -> None:
    # X on qubit 1 of 3 is basis index 2 (binary 010); CX(0 -> 2) from |001> gives |101>
    state = ENGINE.run(Circuit(3).x(1)).state_vector
    assert state is not None
    assert np.argmax(np.abs(state)) == 2
    state = ENGINE.run(Circuit(3).x(0).cx(0, 2)).state_vector
    assert state is not None
    assert np.argmax(np.abs(state)) == 0b101


def test_custom_gates_are_expanded() -> None:
    theta = Parameter("theta")
    body = (
        Instruction("h", (0,)),
        Instruction("crx", (0, 1), (theta,)),
        Instruction("barrier", (0, 1)),
    )
    definition = GateDefinition("mygate", ("theta",), 2, body)
    circuit = Circuit(3).x(2).apply(definition, [2, 0], [0.4])
    expected = Circuit(3).x(2).h(2).crx(0.4, 2, 0)
    state = ENGINE.run(circuit).state_vector
    assert state is not None
    np.testing.assert_allclose(state, dense_unitary(expected)[:, 0], atol=1e-12)


def test_barrier_delay_and_identity_change_nothing() -> None:
    circuit = Circuit(2).h(0).barrier().delay(1, 50.0).i(1).gate("u0", [0], [0.3])
    state = ENGINE.run(circuit).state_vector
    assert state is not None
    np.testing.assert_allclose(state, [1 / math.sqrt(2), 1 / math.sqrt(2), 0, 0], atol=1e-15)


def test_terminal_measurements_leave_the_pre_measurement_state() -> None:
    result = ENGINE.run(Circuit(2).h(0).cx(0, 1).measure_all(), shots=10, seed=1)
    assert result.state_vector is not None
    np.testing.assert_allclose(np.abs(result.state_vector) ** 2, [0.5, 0, 0, 0.5], atol=1e-15)


def test_zero_qubit_circuit() -> None:
    result = ENGINE.run(Circuit(0), shots=3, seed=0)
    assert result.state_vector is not None
    assert result.state_vector.tolist() == [1]
    assert result.counts == {"": 3}


def test_initial_state_forms() -> None:
    psi = random_state_vector(3, seed=4)
    circuit = Circuit(3).cx(0, 1).ry(0.3, 2)
    state = ENGINE.run(circuit, initial_state=psi).state_vector
    assert state is not None
    np.testing.assert_allclose(state, dense_unitary(circuit) @ psi, atol=1e-12)
    basis = ENGINE.run(Circuit(3), initial_state=5).state_vector
    assert basis is not None
    assert basis.tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
    # the caller's array is not modified
    before = psi.copy()
    ENGINE.run(Circuit(3).x(0), initial_state=psi)
    np.testing.assert_array_equal(psi, before)


def test_engine_protocol_and_repr() -> None:
    assert isinstance(ENGINE, Engine)
    assert ENGINE.name == "statevector"
    assert repr(ENGINE64) == "StateVectorEngine(dtype='complex64')"
    assert StateVectorEngine(np.complex64).dtype == np.complex64


def test_seeds_make_runs_reproducible() -> None:
    circuit = random_circuit(4, 5, seed=3, measure=True)
    first = ENGINE.run(circuit, shots=500, seed=42)
    assert first == ENGINE.run(circuit, shots=500, seed=42)
    assert first.counts != ENGINE.run(circuit, shots=500, seed=43).counts
    fresh = ENGINE.run(circuit, shots=500)
    assert fresh.seed is not None
    assert ENGINE.run(circuit, shots=500, seed=fresh.seed).counts == fresh.counts
    generated = ENGINE.run(circuit, shots=500, seed=np.random.default_rng(42))
    assert generated.seed is None
    assert generated.counts == first.counts


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shots": -1}, "shots must be a non-negative integer"),
        ({"shots": 2.5}, "shots must be a non-negative integer"),
        ({"shots": True}, "shots must be a non-negative integer"),
        ({"seed": -3}, "seed must be a non-negative int"),
        ({"seed": "abc"}, "seed must be a non-negative int"),
        ({"initial_state": [1, 0, 0]}, "needs 4 amplitudes"),
        ({"initial_state": [1, 1, 0, 0]}, "norm 1.41421; normalise it"),
        ({"initial_state": [np.nan, 0, 0, 0]}, "NaN or infinite"),
        ({"initial_state": 4}, "not a basis-state index in 0..3"),
        ({"initial_state": "zero"}, "initial_state"),
    ],
)
def test_run_argument_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ENGINE.run(Circuit(2).h(0), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", ["complex256", "float64", "c16x", 3])
def test_bad_dtype(dtype: object) -> None:
    with pytest.raises(ConfigError, match="not supported; use one of"):
        StateVectorEngine(dtype)  # type: ignore[arg-type]


def test_bad_memory_budget() -> None:
    with pytest.raises(ConfigError, match="max_memory_bytes"):
        StateVectorEngine(max_memory_bytes=-1)


def test_unbound_parameters_are_named() -> None:
    circuit = Circuit(1).rx(Parameter("alpha"), 0).rz(2 * Parameter("beta"), 0)
    with pytest.raises(UnboundParameterError, match=r"\['alpha', 'beta'\].*bind"):
        ENGINE.run(circuit)
    state = ENGINE.run(circuit.bind({"alpha": math.pi, "beta": 0.0})).state_vector
    assert state is not None
    np.testing.assert_allclose(np.abs(state), [0, 1], atol=1e-15)


def test_shots_zero_on_a_mid_circuit_circuit_is_refused() -> None:
    circuit = Circuit(1, 1).h(0).measure(0, 0).x(0).c_if(0, 1)
    with pytest.raises(ConfigError, match="pass shots > 0"):
        ENGINE.run(circuit)


def test_non_circuit_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"needs a kvant\.circuit\.Circuit"):
        ENGINE.run("OPENQASM 2.0;")  # type: ignore[arg-type]


def test_every_error_is_a_kvant_error() -> None:
    for call in (
        lambda: StateVectorEngine("float32"),
        lambda: ENGINE.run(Circuit(1), shots=-1),
        lambda: ENGINE.run(Circuit(1).rx(Parameter("a"), 0)),
    ):
        with pytest.raises(KvantError):
            call()
