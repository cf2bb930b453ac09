"""Shot sampling: counts against exact probabilities (chi-square), bit order, memory."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.sim import StateVectorEngine
from kvant.testing import assert_counts_match, dense_distribution, random_circuit

ENGINE = StateVectorEngine()
SHOTS = 20_000


def _exact(result_probs: np.ndarray, width: int) -> dict[str, float]:
    return {format(i, f"0{width}b"): float(p) for i, p in enumerate(result_probs) if p > 1e-15}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_measure_all_counts_fit_the_probabilities(seed: int, dtype: str) -> None:
    circuit = random_circuit(5, 6, seed=seed, measure=True, gate_set=["h", "rx", "cx", "t"])
    result = StateVectorEngine(dtype).run(circuit, shots=SHOTS, seed=seed)
    assert sum(result.counts.values()) == SHOTS
    # measure_all put qubit i into clbit i, so the bitstring is the basis index in binary
    assert_counts_match(result.counts, _exact(result.probabilities(), 5))


def test_subset_into_permuted_clbits() -> None:
    circuit = random_circuit(5, 6, seed=11, gate_set=["h", "ry", "cx", "cz", "s"])
    circuit.add_creg("c", 4)
    circuit.measure(3, 0).measure(4, 1).measure(0, 2)  # classical bit 3 is never written
    result = ENGINE.run(circuit, shots=SHOTS, seed=5)
    assert all(key[0] == "0" for key in result.counts)
    marginal = result.probabilities([3, 4, 0])  # bit 0 of the index = qubit 3 = clbit 0
    expected = {"0" + format(i, "03b"): float(p) for i, p in enumerate(marginal) if p > 1e-15}
    assert_counts_match(result.counts, expected)
    # and the independent branch-enumerating reference agrees with the marginal
    reference = dense_distribution(circuit)
    assert reference.keys() == expected.keys()
    np.testing.assert_allclose(list(reference.values()), list(expected.values()), atol=1e-12)


def test_classical_bit_zero_is_rightmost() -> None:
    circuit = Circuit(3, 3).x(0).measure(0, 2).measure(1, 0)
    assert ENGINE.run(circuit, shots=5, seed=0).counts == {"100": 5}
    assert ENGINE.run(Circuit(3, 3).x(2).measure(2, 0), shots=5, seed=0).counts == {"001": 5}


def test_later_measurement_into_the_same_clbit_wins() -> None:
    circuit = Circuit(2, 1).x(0).measure(0, 0).measure(1, 0)
    assert ENGINE.run(circuit, shots=10, seed=0).counts == {"0": 10}


def test_no_measurement_reads_zeros() -> None:
    assert ENGINE.run(Circuit(2, 3).h(0), shots=7, seed=0).counts == {"000": 7}
    assert ENGINE.run(Circuit(2).h(0), shots=7, seed=0).counts == {"": 7}


def test_shots_zero_gives_no_counts() -> None:
    result = ENGINE.run(Circuit(1).h(0).measure_all())
    assert result.counts == {}
    assert result.shots == 0


def test_memory_lists_each_shot() -> None:
    circuit = Circuit(2).h(0).cx(0, 1).measure_all()
    result = ENGINE.run(circuit, shots=300, seed=2, memory=True)
    assert result.memory is not None
    assert len(result.memory) == 300
    assert {key: result.memory.count(key) for key in set(result.memory)} == result.counts
    assert ENGINE.run(circuit, shots=300, seed=2).memory is None


def test_mid_circuit_memory_is_shuffled_but_consistent() -> None:
    circuit = Circuit(2, 2).h(0).measure(0, 0).reset(0).h(0).measure(0, 1)
    result = ENGINE.run(circuit, shots=400, seed=3, memory=True)
    assert result.memory is not None
    assert {key: result.memory.count(key) for key in set(result.memory)} == result.counts
    # grouped branching must not hand back the shots sorted by outcome
    assert list(result.memory) != sorted(result.memory)


def test_deterministic_circuit_gives_one_outcome() -> None:
    circuit = Circuit(4).x(1).x(3).cx(3, 0).measure_all()
    assert ENGINE.run(circuit, shots=1000, seed=0).counts == {"1011": 1000}


def test_large_shot_counts_are_fast_and_exact_in_total() -> None:
    circuit = random_circuit(10, 4, seed=4, measure=True)
    result = ENGINE.run(circuit, shots=1_000_000, seed=4)
    assert sum(result.counts.values()) == 1_000_000
    assert_counts_match(result.counts, _exact(result.probabilities(), 10))
