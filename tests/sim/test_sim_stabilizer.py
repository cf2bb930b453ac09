"""The Stim stabilizer engine against the state vector (noiseless: exactly) and the density
matrix (noisy: in distribution, with the noise Pauli-twirled on both sides)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from kvant.circuit import Circuit, Instruction
from kvant.errors import SimulationError
from kvant.sim import (
    DensityMatrixEngine,
    KrausChannel,
    NoisyProgram,
    ReadoutError,
    StabilizerEngine,
    StateVectorEngine,
    TrajectoryEngine,
    is_clifford,
    make_engine,
    to_stim,
)
from kvant.testing import (
    assert_counts_match,
    assert_engines_agree,
    dense_distribution,
    random_circuit,
)

CLIFFORD = ["h", "s", "sdg", "x", "y", "z", "cx", "cy", "cz", "swap", "sx", "sxdg", "iswap", "id"]
STIM = StabilizerEngine()
DM = DensityMatrixEngine()


def clifford_circuit(num_qubits: int, depth: int, seed: int, measure: bool = False) -> Circuit:
    """Random library Cliffords plus rz/p/u with angles that are multiples of pi/2."""
    rng = np.random.default_rng(seed)
    circuit = random_circuit(num_qubits, depth, seed=seed, gate_set=CLIFFORD)
    for q in range(num_qubits):
        k = int(rng.integers(4))
        circuit.rz(k * math.pi / 2, q).p(-k * math.pi / 2, q)
        circuit.u(math.pi / 2, k * math.pi / 2, math.pi, q)
    if measure:
        circuit.measure_all()
    return circuit


@pytest.mark.parametrize(("num_qubits", "seed"), [(2, 0), (5, 1), (8, 2), (12, 3), (20, 4)])
def test_noiseless_states_agree_with_the_state_vector(num_qubits: int, seed: int) -> None:
    circuit = clifford_circuit(num_qubits, 6 if num_qubits > 12 else 10, seed)
    assert is_clifford(circuit)
    assert_engines_agree(circuit, [StateVectorEngine(), STIM], up_to_global_phase=True)


@pytest.mark.parametrize("seed", range(3))
def test_noiseless_counts_match_the_exact_distribution(seed: int) -> None:
    circuit = clifford_circuit(6, 8, seed, measure=True)
    result = STIM.run(circuit, shots=5000, seed=seed)
    assert assert_counts_match(result.counts, dense_distribution(circuit)) > 1e-3


def test_feedback_teleports_a_state() -> None:
    c = Circuit(3, 3)
    c.h(0).s(0)  # |+i> to teleport
    c.h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1)
    c.x(2).c_if(1, 1).z(2).c_if(0, 1)
    c.sdg(2).h(2).measure(2, 2)  # undo the preparation: always 0
    result = STIM.run(c, shots=2000, seed=1)
    assert {key[0] for key in result.counts} == {"0"}
    assert assert_counts_match(result.counts, dense_distribution(c)) > 1e-3
    zero_condition = Circuit(2, 2).measure(0, 0).x(1).c_if(0, 0).measure(1, 1)
    assert STIM.run(zero_condition, shots=50, seed=2).counts == {"10": 50}


def twirled_program(
    circuit: Circuit,
    gamma: float,
    p: float,
    readout: ReadoutError,
    noisy_qubits: frozenset[int] | None = None,
) -> NoisyProgram:
    """Amplitude damping + a 2-qubit correlated error, twirled (so both engines see Paulis),
    after every gate (or only gates touching ``noisy_qubits``)."""

    def after(op: Instruction) -> list[KrausChannel]:
        if noisy_qubits is not None and not noisy_qubits.intersection(op.qubits):
            return []
        out = []
        for q in op.qubits:
            k = [np.diag([1.0, np.sqrt(1 - gamma)]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
            out.append(KrausChannel((q,), k).pauli_twirl())
        if len(op.qubits) == 2:
            xx = np.kron([[0, 1], [1, 0]], [[1, 0], [0, -1]]).astype(complex)
            out.append(KrausChannel(op.qubits, [np.sqrt(1 - p) * np.eye(4), np.sqrt(p) * xx]))
        return out

    return NoisyProgram.from_circuit(
        circuit, after_gate=after, readout=[readout] * circuit.num_qubits
    )


@pytest.mark.parametrize("seed", range(3))
def test_noisy_counts_match_the_density_matrix(seed: int) -> None:
    program = twirled_program(
        clifford_circuit(4, 5, seed, measure=True), 0.05, 0.03, ReadoutError(0.02, 0.06)
    )
    result = STIM.run(program, shots=20_000, seed=seed)
    assert assert_counts_match(result.counts, DM.distribution(program)) > 1e-3


def two_sample_p_value(a: dict[str, int], b: dict[str, int]) -> float:
    keys = sorted(set(a) | set(b))
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])
    return float(stats.chi2_contingency(table + 0)[1])


def test_noisy_twenty_qubits_agree_with_trajectories_in_distribution() -> None:
    # 20 qubits: no density matrix; the trajectory engine (on the same Pauli channels) is the
    # reference. Four qubits are measured so that the two samples share their outcomes; the
    # gates touching them are noisy (the others are not, to keep the trajectories few).
    circuit = clifford_circuit(20, 3, 7)
    measured = (0, 7, 13, 19)
    circuit.add_creg("m", 4)
    for clbit, q in enumerate(measured):
        circuit.measure(q, clbit)
    program = twirled_program(circuit, 0.01, 0.01, ReadoutError(0.02, 0.05), frozenset(measured))
    stim_counts = STIM.run(program, shots=4000, seed=1).counts
    trajectory_counts = TrajectoryEngine().run(program, shots=600, seed=2).counts
    assert two_sample_p_value(stim_counts, trajectory_counts) > 1e-3


def test_twirling_keeps_fidelity_but_changes_non_pauli_noise() -> None:
    gamma = 0.3
    damping = KrausChannel(
        (0,), [np.diag([1.0, np.sqrt(1 - gamma)]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
    )
    program = NoisyProgram.from_circuit(
        Circuit(1).x(0).measure_all(), after_gate=lambda op: [damping]
    )
    # exact damping leaves |1> with p(0) = gamma; the twirl flips with p_X + p_Y = gamma / 2
    assert DM.distribution(program)["0"] == pytest.approx(gamma)
    probs = damping.pauli_probabilities()
    assert probs[1] + probs[2] == pytest.approx(gamma / 2)
    result = STIM.run(program, shots=20_000, seed=3)
    assert result.counts["0"] / 20_000 == pytest.approx(gamma / 2, abs=0.01)


def test_recognition_and_refusals() -> None:
    assert is_clifford(Circuit(1).rz(3 * math.pi / 2, 0).u(math.pi, 0, math.pi, 0))
    assert not is_clifford(Circuit(1).rz(0.3, 0))  # stim alone would call this H H
    assert not is_clifford(Circuit(1).t(0))
    swap_like = Circuit(2).unitary(np.eye(4)[[0, 2, 1, 3]], [0, 1])
    assert is_clifford(swap_like)
    with pytest.raises(SimulationError, match="not Clifford"):
        STIM.run(Circuit(1).t(0).measure_all(), shots=10)
    with pytest.raises(SimulationError, match="one classical bit"):
        STIM.run(Circuit(2, 2).measure(0, 0).measure(1, 1).x(0).c_if([0, 1], 3), shots=10)
    with pytest.raises(SimulationError, match="one classical bit"):
        STIM.run(Circuit(2, 1).measure(0, 0).h(1).c_if(0, 1), shots=10)
    assert not STIM.supports(Circuit(1).t(0))


def test_state_vector_rules() -> None:
    assert STIM.run(Circuit(60).h(0)).state_vector is None  # too large to write out
    noisy = twirled_program(Circuit(1).h(0), 0.1, 0.0, ReadoutError(0, 0))
    assert STIM.run(noisy).state_vector is None  # mixed
    from kvant.errors import ConfigError

    with pytest.raises(ConfigError, match="mid-circuit"):
        STIM.run(Circuit(1, 1).measure(0, 0).h(0))


def test_fifty_qubits_and_the_stim_text() -> None:
    ghz = Circuit(50).h(0)
    for q in range(49):
        ghz.cx(q, q + 1)
    counts = STIM.run(ghz.measure_all(), shots=1000, seed=4).counts
    assert set(counts) == {"0" * 50, "1" * 50}
    text = str(to_stim(Circuit(2).rz(math.pi / 2, 0).cz(0, 1).measure_all())[0])
    assert text.splitlines() == ["S 0", "CZ 0 1", "M 0 1"]


def test_auto_picks_by_circuit_and_noise() -> None:
    assert make_engine("auto", circuit=clifford_circuit(3, 3, 1)).name == "stabilizer"
    assert make_engine("auto", circuit=Circuit(2).t(0)).name == "statevector"
    assert make_engine("auto").name == "statevector"
    small = NoisyProgram.from_circuit(Circuit(3).t(0))
    assert make_engine("auto", circuit=small).name == "density_matrix"
    large = NoisyProgram.from_circuit(Circuit(12).t(0))
    assert make_engine("auto", circuit=large).name == "trajectories"
    assert (
        make_engine("auto", circuit=NoisyProgram.from_circuit(Circuit(12).h(0))).name
        == "stabilizer"
    )
