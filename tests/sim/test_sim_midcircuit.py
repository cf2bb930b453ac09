"""Mid-circuit measurement, reset and classical conditions (the branching path)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.errors import MemoryLimitError
from kvant.sim import StateVectorEngine, required_bytes
from kvant.testing import assert_counts_match, dense_distribution, random_circuit

ENGINE = StateVectorEngine()


def teleport(theta: float, phi: float, lam: float, *, undo: bool) -> Circuit:
    """Teleport U(theta, phi, lam)|0> from qubit 0 to qubit 2 (Nielsen & Chuang, fig. 1.13).

    Corrections are classically conditioned: X on qubit 2 if clbit 1 reads 1, Z if clbit 0 does.
    With ``undo`` the inverse of U is applied to qubit 2 before measuring it, so clbit 2 must
    always read 0.
    """
    c = Circuit(3, 3).u(theta, phi, lam, 0)
    c.h(1).cx(1, 2)  # Bell pair between 1 and 2
    c.cx(0, 1).h(0).measure(0, 0).measure(1, 1)  # Bell measurement
    c.x(2).c_if(1, 1).z(2).c_if(0, 1)
    if undo:
        c.u(-theta, -lam, -phi, 2)
    return c.measure(2, 2)


def test_teleportation_preserves_the_state() -> None:
    circuit = teleport(1.1, 0.4, -0.7, undo=True)
    result = ENGINE.run(circuit, shots=4000, seed=1)
    assert result.state_vector is None
    assert all(key[0] == "0" for key in result.counts)  # clbit 2 (leftmost) is always 0
    # the Bell-measurement outcomes (clbits 0, 1) are uniform
    assert_counts_match(result.counts, {f"0{b:02b}": 0.25 for b in range(4)})


def test_teleported_z_statistics() -> None:
    theta = 1.1
    circuit = teleport(theta, 0.4, -0.7, undo=False)
    result = ENGINE.run(circuit, shots=20_000, seed=2)
    p_one = math.sin(theta / 2) ** 2
    expected = {f"{z}{b:02b}": 0.25 * (p_one if z else 1 - p_one) for z in (0, 1) for b in range(4)}
    assert_counts_match(result.counts, expected)
    assert_counts_match(result.counts, dense_distribution(circuit))


def test_measure_then_conditioned_x_is_deterministic() -> None:
    # whatever qubit 0 reads, the conditioned X flips it back to |0>
    circuit = Circuit(1, 2).h(0).measure(0, 0).x(0).c_if(0, 1).measure(0, 1)
    result = ENGINE.run(circuit, shots=2000, seed=3)
    assert set(result.counts) == {"00", "01"}
    assert all(key[0] == "0" for key in result.counts)
    # and a condition that copies a measured bit gives exactly correlated counts
    copy = Circuit(2, 2).x(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
    assert ENGINE.run(copy, shots=100, seed=0).counts == {"11": 100}


def test_condition_on_a_register_value() -> None:
    c = Circuit(3, 2).x(0).measure(0, 0).measure(1, 1)  # register reads 1 (binary 01)
    c.x(2).c_if("c", 1)  # holds
    c.z(2).c_if("c", 2)  # does not hold
    c.add_creg("out", 1)
    c.measure(2, 2)
    assert ENGINE.run(c, shots=50, seed=0).counts == {"101": 50}


def test_reset_behaviour() -> None:
    assert ENGINE.run(Circuit(1).x(0).reset(0).measure_all(), shots=200, seed=0).counts == {
        "0": 200
    }
    assert ENGINE.run(Circuit(1).h(0).reset(0).measure_all(), shots=200, seed=0).counts == {
        "0": 200
    }
    # resetting half of a Bell pair leaves the other half maximally mixed
    circuit = Circuit(2).h(0).cx(0, 1).reset(0).measure_all()
    result = ENGINE.run(circuit, shots=20_000, seed=4)
    assert_counts_match(result.counts, {"00": 0.5, "10": 0.5})
    # reset then re-use: |1> again after X
    reuse = Circuit(1, 2).h(0).measure(0, 0).reset(0).x(0).measure(0, 1)
    result = ENGINE.run(reuse, shots=4000, seed=5)
    assert_counts_match(result.counts, {"10": 0.5, "11": 0.5})


def test_branching_agrees_with_terminal_sampling() -> None:
    # the same distribution reached by both paths: a reset on a fresh ancilla (a no-op)
    # forces the branching path
    body = random_circuit(4, 6, seed=21, gate_set=["h", "rx", "ry", "cx", "cz", "t", "unitary"])
    terminal = Circuit(5, 4).compose(body).measure(0, 0).measure(1, 1).measure(2, 2)
    terminal.measure(3, 3)
    branching = Circuit(5, 4).reset(4).compose(body).measure(0, 0).measure(1, 1)
    branching.measure(2, 2).measure(3, 3)
    assert not terminal.has_mid_circuit_operations
    assert branching.has_mid_circuit_operations
    exact = ENGINE.run(terminal, shots=20_000, seed=6)
    assert exact.state_vector is not None
    probabilities = {
        format(i, "04b"): float(p) for i, p in enumerate(exact.probabilities([0, 1, 2, 3]))
    }
    assert_counts_match(exact.counts, probabilities)
    branched = ENGINE.run(branching, shots=20_000, seed=7)
    assert branched.state_vector is None
    assert_counts_match(branched.counts, probabilities)


def test_mid_circuit_measurements_collapse_the_state() -> None:
    # H, measure, H: the second measurement is 50/50 independent of the first
    circuit = Circuit(1, 2).h(0).measure(0, 0).h(0).measure(0, 1)
    result = ENGINE.run(circuit, shots=20_000, seed=8)
    assert_counts_match(result.counts, {k: 0.25 for k in ("00", "01", "10", "11")})


@pytest.mark.parametrize("seed", range(12))
def test_random_mid_circuit_circuits_match_the_exact_distribution(seed: int) -> None:
    num_qubits = 2 + seed % 3
    body = random_circuit(num_qubits, 5, seed=seed, measure=True, mid_circuit=True)
    circuit = Circuit(num_qubits, num_qubits).h(0).reset(0).compose(body)  # surely mid-circuit
    for dtype in ("complex128", "complex64"):
        result = StateVectorEngine(dtype).run(circuit, shots=10_000, seed=seed)
        assert_counts_match(result.counts, dense_distribution(circuit))


def test_one_shot_at_a_time_when_branch_states_do_not_fit() -> None:
    circuit = random_circuit(8, 6, seed=31, measure=True, mid_circuit=True)
    assert sum(op.name in ("measure", "reset") for op in circuit) > 2
    shots = 2000
    grouped_bytes = ENGINE.estimate_bytes(circuit, shots=shots)
    # enough for the state, its workspace and one copy, not for a saved state per branch point
    tight = StateVectorEngine(max_memory_bytes=grouped_bytes - 1)
    result = tight.run(circuit, shots=shots, seed=9)
    assert_counts_match(result.counts, dense_distribution(circuit))
    with pytest.raises(MemoryLimitError):
        StateVectorEngine(max_memory_bytes=required_bytes(8)).run(circuit, shots=shots, seed=9)


def test_branching_is_reproducible() -> None:
    circuit = teleport(0.3, 0.2, 0.1, undo=False)
    first = ENGINE.run(circuit, shots=500, seed=11, memory=True)
    assert first == ENGINE.run(circuit, shots=500, seed=11, memory=True)


def test_probabilities_need_a_state_vector() -> None:
    from kvant.errors import SimulationError

    result = ENGINE.run(teleport(0.3, 0.2, 0.1, undo=False), shots=10, seed=0)
    with pytest.raises(SimulationError, match="no state vector"):
        result.probabilities()
    with pytest.raises(SimulationError, match="use counts instead"):
        result.expectation("ZZZ")
    assert np.isclose(sum(result.counts.values()), 10)
