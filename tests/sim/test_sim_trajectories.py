"""Trajectories converge to the density matrix: chi-square tests with fixed seeds (p > 1e-3).

Every test samples a noisy program with the trajectory engine and compares the counts with the
exact distribution of the density-matrix engine; the tolerance is the chi-square test's, so it
scales with the shot count.
"""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit, Instruction
from kvant.errors import ConfigError
from kvant.sim import (
    DensityMatrixEngine,
    KrausChannel,
    NoisyProgram,
    ReadoutError,
    TrajectoryEngine,
)
from kvant.sim._trajectory_blocks import merge_blocks
from kvant.testing import assert_counts_match, dense_distribution, random_circuit

DM = DensityMatrixEngine()
TRAJ = TrajectoryEngine()


def damping(qubit: int, gamma: float) -> KrausChannel:
    ops = [np.diag([1.0, np.sqrt(1 - gamma)]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
    return KrausChannel((qubit,), ops, "damping")


def depolarizing(qubits: tuple[int, ...], p: float) -> KrausChannel:
    from kvant.sim import pauli_basis

    d2 = 4 ** len(qubits)
    weights = np.full(d2, p / d2)
    weights[0] += 1 - p
    return KrausChannel(qubits, np.sqrt(weights)[:, None, None] * pauli_basis(len(qubits)))


def noisy(
    circuit: Circuit, gamma: float = 0.08, p: float = 0.05, readout: bool = True
) -> NoisyProgram:
    def after(op: Instruction) -> list[KrausChannel]:
        out = [damping(q, gamma) for q in op.qubits[:2]]
        if len(op.qubits) <= 2:
            out.append(depolarizing(op.qubits, p))
        return out

    errors = [ReadoutError(0.03, 0.08)] * circuit.num_qubits if readout else []
    return NoisyProgram.from_circuit(circuit, after_gate=after, readout=errors)


@pytest.mark.parametrize("seed", range(4))
def test_noisy_random_circuits_converge_to_the_density_matrix(seed: int) -> None:
    circuit = random_circuit(
        4, 4, seed=seed, measure=True, gate_set=["h", "rx", "ry", "cx", "cz", "t", "swap"]
    )
    program = noisy(circuit)
    result, stats = TRAJ.run_with_stats(program, shots=4000, seed=seed)
    assert assert_counts_match(result.counts, DM.distribution(program)) > 1e-3
    assert 1 < stats.trajectories <= 4000


@pytest.mark.parametrize("seed", range(4))
def test_mid_circuit_programs_with_readout_feeding_conditions(seed: int) -> None:
    circuit = random_circuit(
        3, 5, seed=seed, mid_circuit=True, measure=True, gate_set=["h", "rx", "cx", "s"]
    )
    program = noisy(circuit, gamma=0.05, p=0.04)
    result = TRAJ.run(program, shots=4000, seed=10 + seed)
    assert assert_counts_match(result.counts, DM.distribution(program)) > 1e-3


def test_noiseless_runs_simulate_one_trajectory() -> None:
    circuit = random_circuit(5, 6, seed=3, measure=True)
    result, stats = TRAJ.run_with_stats(circuit, shots=3000, seed=1)
    assert stats.trajectories == 1
    assert assert_counts_match(result.counts, dense_distribution(circuit)) > 1e-3


def test_shots_one_at_a_time_when_grouping_does_not_fit() -> None:
    program = noisy(random_circuit(3, 3, seed=9, measure=True))
    ungrouped = TRAJ._needed_bytes(program, 500, False)
    assert TRAJ._needed_bytes(program, 500, True) > ungrouped
    engine = TrajectoryEngine(max_memory_bytes=ungrouped)
    result, stats = engine.run_with_stats(program, shots=500, seed=2)
    assert stats.trajectories == 500  # ungrouped: one walk per shot
    assert assert_counts_match(result.counts, DM.distribution(program)) > 1e-3


def test_a_singular_dominant_operator_takes_the_copy_path() -> None:
    # full damping: K0 = diag(1, 0) is singular, so the state is copied before applying it
    program = NoisyProgram.from_circuit(
        Circuit(2).h(0).h(1).cx(0, 1).measure_all(),
        after_gate=lambda op: [damping(op.qubits[0], 1.0)] if op.name == "h" else [],
    )
    result = TRAJ.run(program, shots=4000, seed=5)
    assert assert_counts_match(result.counts, DM.distribution(program)) > 1e-3


def test_resets_and_complex64() -> None:
    circuit = Circuit(2, 2).h(0).cx(0, 1).reset(0).h(0).measure(0, 0).measure(1, 1)
    program = noisy(circuit, readout=False)
    result = TrajectoryEngine("complex64").run(program, shots=4000, seed=6)
    assert assert_counts_match(result.counts, DM.distribution(program)) > 1e-3


def test_merged_blocks_are_the_same_channel() -> None:
    circuit = random_circuit(3, 4, seed=12, gate_set=["h", "rz", "sx", "cz", "cx"])
    program = noisy(circuit, readout=False)
    merged = NoisyProgram(3, 0, tuple(merge_blocks(program.operations)))
    assert len(merged.operations) < len(program.operations)
    assert np.allclose(DM.density_matrix(merged), DM.density_matrix(program), atol=1e-12)


def test_seeds_reproduce_and_errors() -> None:
    program = noisy(random_circuit(3, 3, seed=1, measure=True))
    assert (
        TRAJ.run(program, shots=300, seed=9).counts == TRAJ.run(program, shots=300, seed=9).counts
    )
    assert TRAJ.run(program, shots=0).counts == {}
    with pytest.raises(ConfigError):
        TRAJ.run(program, shots=-2)
    with pytest.raises(ConfigError):
        TrajectoryEngine("float32")
    from kvant.sim import TrajectoryStats

    stats = TrajectoryStats(10, 3, 2, 40)
    assert TrajectoryStats.from_dict(stats.to_dict()) == stats
