"""The Numba engine against the references: dense unitaries (up to 10 qubits), the reference
engine (beyond), exact outcome distributions for shots. Layouts are forced small (windows,
lanes, threads, block sizes) so that 7-to-14-qubit circuits exercise every code path the
default layout takes at 20+ qubits: many chunks, lanes, outer controls, transposed copies."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit, Parameter
from kvant.errors import ConfigError, MemoryLimitError, UnboundParameterError
from kvant.sim import Engine, NumbaEngine, StateVectorEngine, make_engine, required_bytes
from kvant.sim._backends import NUMBA_AUTO_QUBITS
from kvant.testing import (
    assert_counts_match,
    assert_engines_agree,
    dense_distribution,
    random_circuit,
    random_state_vector,
)

ALL_GATES = [*sorted(GATES), "unitary"]


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    """Compile both precisions once (a few seconds on a fresh clone, ~0 from Numba's cache)."""
    NumbaEngine("complex128").warm_up()
    NumbaEngine("complex64").warm_up()


def _layouts(n: int, dtype: str) -> list[NumbaEngine]:
    engines = [NumbaEngine(dtype), NumbaEngine(dtype, num_threads=1, max_block_qubits=2)]
    if n >= 7:
        engines += [
            NumbaEngine(dtype, window_qubits=6, lane_qubits=1),
            NumbaEngine(dtype, window_qubits=n - 1, lane_qubits=2, max_block_qubits=5),
        ]
    return engines


@pytest.mark.parametrize("seed", range(16))
def test_random_circuits_match_the_dense_reference(seed: int) -> None:
    n = 3 + seed % 6
    circuit = random_circuit(n, 10, seed=seed, gate_set=ALL_GATES)
    assert_engines_agree(circuit, _layouts(n, "complex128"), fidelity_tol=1e-12, atol=1e-10)
    assert_engines_agree(circuit, _layouts(n, "complex64"), fidelity_tol=1e-5, atol=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_default_layout_on_larger_circuits_matches_the_reference_engine(seed: int) -> None:
    n = 13 + seed % 2  # above the one-chunk size: lanes, low qubits, many windows
    circuit = random_circuit(n, 8, seed=100 + seed, gate_set=ALL_GATES)
    for dtype, tol in (("complex128", 1e-12), ("complex64", 1e-5)):
        engines: list[Engine] = [StateVectorEngine(), NumbaEngine(dtype)]
        assert_engines_agree(circuit, engines, fidelity_tol=tol, atol=10 * tol**0.5)


def _clifford_t(n: int, depth: int, seed: int) -> Circuit:
    """Random {H, S, T, X} layers and CX on random disjoint pairs (the benchmark's circuit)."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(n)
    for _ in range(depth):
        for q in range(n):
            circuit.gate(str(rng.choice(["h", "s", "sdg", "t", "tdg", "x"])), [q])
        order = rng.permutation(n)
        for k in range(n // 2):
            circuit.cx(int(order[2 * k]), int(order[2 * k + 1]))
    return circuit


def test_controls_on_lanes_and_long_runs_match_the_reference() -> None:
    # CX layers put controls on low qubits: they become lanes (blended in the kernels), and
    # every window holds qubits 0-4, so chunks are copied in runs of 32 or more amplitudes
    n = 14
    circuit = _clifford_t(n, 6, seed=3).ccx(0, 1, 9).cswap(2, 8, 11).ch(3, 12)
    engine = NumbaEngine("complex128", window_qubits=10)
    steps, _ = engine._compile(list(circuit), n)
    windows = [w for step in steps for w in step.windows]  # type: ignore[union-attr]
    assert any((w.plan[6] != 0).any() for w in windows), "no control on a lane"
    for window in windows:
        assert window.io[3].shape[0] >= 32 or window.io[0][-1] == window.io[0].shape[0] - 1
    for dtype, tol in (("complex128", 1e-12), ("complex64", 1e-5)):
        engines: list[Engine] = [
            StateVectorEngine(),
            NumbaEngine(dtype, window_qubits=10),
            NumbaEngine(dtype, window_qubits=9, lane_qubits=3, num_threads=1),
        ]
        assert_engines_agree(circuit, engines, fidelity_tol=tol, atol=10 * tol**0.5)


def test_threads_do_not_change_the_result() -> None:
    circuit = random_circuit(14, 8, seed=5, gate_set=ALL_GATES)
    one = NumbaEngine(num_threads=1).run(circuit).state_vector
    two = NumbaEngine(num_threads=2).run(circuit).state_vector
    assert one is not None
    assert two is not None
    np.testing.assert_array_equal(one, two)  # chunks are disjoint: bit-for-bit equal


def test_initial_state_and_expectations_match_the_reference() -> None:
    circuit = random_circuit(8, 6, seed=9, gate_set=ALL_GATES)
    psi = random_state_vector(8, seed=4)
    ours = NumbaEngine(window_qubits=6, lane_qubits=1).run(circuit, initial_state=psi)
    reference = StateVectorEngine().run(circuit, initial_state=psi)
    assert ours.state_vector is not None
    assert reference.state_vector is not None
    np.testing.assert_allclose(ours.state_vector, reference.state_vector, atol=1e-12)
    for label in ("ZZIIIIIX", "XYZIIIII", [(0.5, "ZIZIIIII"), (-1.0, "IIIIYYII")]):
        assert ours.expectation(label) == pytest.approx(reference.expectation(label), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_mid_circuit_shots_follow_the_exact_distribution(seed: int) -> None:
    n = 3 + seed % 4
    circuit = random_circuit(n, 6, seed=seed, mid_circuit=True, measure=True)
    expected = dense_distribution(circuit)
    engine = NumbaEngine(window_qubits=n - 1, lane_qubits=0) if n > 5 else NumbaEngine()
    result = engine.run(circuit, shots=4000, seed=seed, memory=True)
    assert result.state_vector is None
    assert result.memory is not None
    assert len(result.memory) == 4000
    assert_counts_match(result.counts, expected)


def test_terminal_measurements_are_sampled_from_the_final_state() -> None:
    circuit = random_circuit(6, 6, seed=3, gate_set=["h", "rx", "cx", "t"], measure=True)
    result = NumbaEngine("complex64").run(circuit, shots=5000, seed=2)
    assert result.state_vector is not None
    assert result.state_vector.dtype == np.complex64
    assert_counts_match(result.counts, dense_distribution(circuit))


def test_ungrouped_branching_when_saved_states_do_not_fit() -> None:
    circuit = Circuit(8, 8).h(0)
    for q in range(7):
        circuit.measure(q, q).h(q + 1).cx(q, q + 1)
    circuit.measure(7, 7)
    engine = NumbaEngine()
    tight = engine.estimate_bytes(circuit, shots=100) - 3 * 2**8 * 16
    result = NumbaEngine(max_memory_bytes=tight).run(circuit, shots=100, seed=1)
    assert_counts_match(result.counts, dense_distribution(circuit))


def test_memory_guard_and_estimate() -> None:
    circuit = Circuit(20).h(0)
    engine = NumbaEngine()
    assert engine.estimate_bytes(circuit) < required_bytes(20) / 2  # in place: ~1 state
    with pytest.raises(MemoryLimitError, match="20-qubit"):
        NumbaEngine(max_memory_bytes=2**20).run(circuit)


def test_errors() -> None:
    theta = Parameter("theta")
    with pytest.raises(UnboundParameterError):
        NumbaEngine().run(Circuit(1).rx(theta, 0))
    with pytest.raises(ConfigError, match="shots > 0"):
        NumbaEngine().run(Circuit(1, 1).measure(0, 0).x(0).c_if(0, 1))
    with pytest.raises(ConfigError, match="num_threads"):
        NumbaEngine(num_threads=0)
    with pytest.raises(ConfigError, match="dtype"):
        NumbaEngine("float32")
    with pytest.raises(ConfigError, match="cannot hold"):
        NumbaEngine(window_qubits=6, lane_qubits=3).run(Circuit(8).gate("c4x", [0, 1, 2, 3, 4]))


def test_registry_and_auto() -> None:
    assert isinstance(make_engine("numba"), NumbaEngine)
    assert make_engine("numba", dtype="complex64").dtype == np.complex64
    big = Circuit(NUMBA_AUTO_QUBITS).h(0).t(0)  # not Clifford
    assert make_engine("auto", circuit=big).name == "numba"
    assert make_engine("auto", circuit=Circuit(4).h(0).t(0)).name == "statevector"
    assert isinstance(NumbaEngine(), Engine)
