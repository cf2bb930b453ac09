"""Pauli expectation values against dense Pauli matrices built here with np.kron."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim import Result, StateVectorEngine, pauli_expectation
from kvant.testing import random_state_vector

PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def dense_pauli(label: str) -> np.ndarray:
    """kron(P_{n-1}, ..., P_0): with little-endian indices the rightmost factor acts on qubit 0."""
    return reduce(np.kron, [PAULI[ch] for ch in label])


def random_label(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("IXYZ"), size=n))


@pytest.mark.parametrize("num_qubits", range(1, 7))
def test_single_strings_match_dense(num_qubits: int) -> None:
    rng = np.random.default_rng(num_qubits)
    for _ in range(20):
        psi = random_state_vector(num_qubits, seed=rng)
        label = random_label(rng, num_qubits)
        expected = float(np.vdot(psi, dense_pauli(label) @ psi).real)
        assert pauli_expectation(psi, label) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("num_qubits", [2, 4, 6])
def test_weighted_sums_and_dict_form_match_dense(num_qubits: int) -> None:
    rng = np.random.default_rng(10 + num_qubits)
    psi = random_state_vector(num_qubits, seed=rng)
    labels = [random_label(rng, num_qubits) for _ in range(12)] + ["I" * num_qubits]
    coefficients = [float(c) for c in rng.normal(size=len(labels))]
    hamiltonian = sum(c * dense_pauli(p) for c, p in zip(coefficients, labels, strict=True))
    expected = float(np.vdot(psi, hamiltonian @ psi).real)
    terms = list(zip(coefficients, labels, strict=True))
    assert pauli_expectation(psi, terms) == pytest.approx(expected, abs=1e-12)
    as_dicts = [
        (c, {num_qubits - 1 - pos: ch for pos, ch in enumerate(p) if ch != "I"}) for c, p in terms
    ]
    assert pauli_expectation(psi, as_dicts) == pytest.approx(expected, abs=1e-12)


def test_rightmost_letter_is_qubit_zero() -> None:
    result = StateVectorEngine().run(Circuit(3).x(2))  # |100>
    assert result.expectation("ZII") == -1.0
    assert result.expectation("IIZ") == 1.0
    assert result.expectation({2: "Z"}) == -1.0
    assert result.expectation({0: "Z", 2: "Z"}) == -1.0


def test_y_phases() -> None:
    # |+i> = S H |0> has <Y> = +1; the two-qubit product |+i>|+i> has <YY> = +1
    result = StateVectorEngine().run(Circuit(2).h(0).s(0).h(1).s(1))
    assert result.expectation("IY") == pytest.approx(1.0)
    assert result.expectation("YY") == pytest.approx(1.0)
    assert result.expectation("XY") == pytest.approx(0.0, abs=1e-15)


def test_complex64_states() -> None:
    psi = random_state_vector(5, seed=3, dtype="complex64")
    label = "XYZIX"
    expected = float(np.vdot(psi.astype(complex), dense_pauli(label) @ psi.astype(complex)).real)
    assert pauli_expectation(psi, label) == pytest.approx(expected, abs=1e-6)


def test_large_state_crosses_chunks() -> None:
    psi = random_state_vector(18, seed=4)  # 2**18 amplitudes: several chunks
    label = "X" + "I" * 15 + "YZ"
    expected = 0.0
    # <X_17 Y_1 Z_0> by brute-force index arithmetic, independent of the chunked code
    index = np.arange(psi.size)
    partner = index ^ (1 << 17) ^ (1 << 1)
    bit1 = (index >> 1) & 1
    bit0 = index & 1
    # Y|b> = i(-1)^b |1-b>, Z|b> = (-1)^b |b>:  (P psi)[j] = phase(partner) psi[partner]
    phase = 1j * (-1.0) ** bit1[partner] * (-1.0) ** bit0[partner]
    expected = float(np.vdot(psi, phase * psi[partner]).real)
    assert pauli_expectation(psi, label) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("pauli", "match"),
    [
        ("XQ", "character"),
        ("XZZ", "has 3 character"),
        ("xz", "character"),
        ({5: "X"}, "names qubit 5"),
        ({0: "W"}, "use 'I', 'X', 'Y' or 'Z'"),
        ({"0": "X"}, "keys must be qubit indices"),
        ([(1j, "XZ")], "not a real number"),
        ([("a", "XZ")], "not a real number"),
        ([(1.0, "XZ", 3)], r"\(coefficient, label\) pair"),
        ([], "non-empty"),
        (42, "cannot read"),
        ([(1.0, 7)], "cannot read 7"),
    ],
)
def test_bad_pauli_operators(pauli: object, match: str) -> None:
    psi = random_state_vector(2, seed=0)
    with pytest.raises(ConfigError, match=match):
        pauli_expectation(psi, pauli)  # type: ignore[arg-type]


def test_bad_state_length() -> None:
    with pytest.raises(ConfigError, match="power of two"):
        pauli_expectation(np.ones(3) / np.sqrt(3), "Z")


def test_result_expectation_uses_the_state() -> None:
    result = Result(
        engine="test",
        num_qubits=1,
        num_clbits=0,
        shots=0,
        seed=None,
        counts={},
        state_vector=np.array([np.cos(0.3), np.sin(0.3)], dtype=complex),
    )
    assert result.expectation("Z") == pytest.approx(np.cos(0.6))
    assert result.expectation([(2.0, "X"), (-1.0, "Z")]) == pytest.approx(
        2 * np.sin(0.6) - np.cos(0.6)
    )
