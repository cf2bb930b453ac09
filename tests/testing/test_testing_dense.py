"""The dense references (dense_unitary, dense_distribution), checked on known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.circuit import Circuit, gate_matrix
from kvant.errors import ConfigError
from kvant.testing import dense_distribution, dense_unitary, embed_little_endian, random_circuit


def bit_reversal(num_qubits: int) -> np.ndarray:
    """Permutation matrix mapping a textbook (qubit 0 most significant) index to little-endian."""
    size = 2**num_qubits
    perm = np.zeros((size, size))
    for i in range(size):
        j = int(format(i, f"0{num_qubits}b")[::-1], 2)
        perm[j, i] = 1
    return perm


def test_cx_little_endian() -> None:
    # control qubit 0, target qubit 1: |q1 q0> = |01> (index 1) <-> |11> (index 3)
    expected = np.eye(4)[:, [0, 3, 2, 1]]
    np.testing.assert_array_equal(dense_unitary(Circuit(2).cx(0, 1)), expected)
    # control qubit 1, target qubit 0: index 2 <-> index 3
    np.testing.assert_array_equal(dense_unitary(Circuit(2).cx(1, 0)), np.eye(4)[:, [0, 1, 3, 2]])


def test_matches_kron_for_gates_on_all_qubits() -> None:
    # a gate on qubits (n-1, ..., 0) in textbook order is the little-endian matrix itself
    matrix = gate_matrix("cu", [0.3, 0.4, 0.5, 0.6])
    circuit = Circuit(2).gate("cu", [1, 0], [0.3, 0.4, 0.5, 0.6])
    np.testing.assert_allclose(dense_unitary(circuit), matrix)
    # single-qubit gates: kron(B on qubit 1, A on qubit 0)
    a, b = gate_matrix("ry", [0.7]), gate_matrix("h")
    np.testing.assert_allclose(dense_unitary(Circuit(2).ry(0.7, 0).h(1)), np.kron(b, a))


def textbook_embed(matrix: np.ndarray, qubits: list[int], num_qubits: int) -> np.ndarray:
    """kron(gate, identity) with the gate's qubits first, axes then permuted to 0..n-1
    (qubit 0 most significant): the textbook big-endian embedding."""
    rest = [q for q in range(num_qubits) if q not in qubits]
    full = np.kron(matrix, np.eye(2 ** len(rest))).reshape((2,) * (2 * num_qubits))
    order = qubits + rest  # the qubit on each axis of `full`
    perm = [order.index(q) for q in range(num_qubits)]
    full = full.transpose(perm + [num_qubits + p for p in perm])
    return full.reshape(2**num_qubits, 2**num_qubits)


def test_matches_the_textbook_embedding_after_bit_reversal() -> None:
    rng = np.random.default_rng(0)
    for name, qubits in (("ccx", [3, 0, 2]), ("cswap", [1, 3, 0]), ("rzz", [2, 0])):
        params = list(rng.uniform(-3, 3, 1)) if name == "rzz" else []
        matrix = gate_matrix(name, params)
        perm = bit_reversal(4)
        expected = perm @ textbook_embed(matrix, qubits, 4) @ perm.T
        np.testing.assert_allclose(embed_little_endian(matrix, qubits, 4), expected)


def test_dense_unitary_is_unitary() -> None:
    u = dense_unitary(random_circuit(5, 6, seed=1, gate_set=None))
    np.testing.assert_allclose(u.conj().T @ u, np.eye(32), atol=1e-12)


def test_dense_unitary_refuses_non_unitary_and_large_circuits() -> None:
    with pytest.raises(ConfigError, match="needs a unitary circuit; found 'measure'"):
        dense_unitary(Circuit(1).h(0).measure_all())
    with pytest.raises(ConfigError, match="with a condition"):
        dense_unitary(Circuit(1, 1).x(0).c_if(0, 0))
    with pytest.raises(ConfigError, match="at most 10 qubits"):
        dense_unitary(Circuit(11))
    with pytest.raises(ConfigError, match="at most 10 qubits"):
        dense_distribution(Circuit(11))


def test_dense_distribution_known_cases() -> None:
    bell = Circuit(2).h(0).cx(0, 1).measure_all()
    assert dense_distribution(bell) == pytest.approx({"00": 0.5, "11": 0.5})
    theta = 0.8
    c = Circuit(1, 3).ry(theta, 0).measure(0, 1).reset(0).measure(0, 2)
    p1 = math.sin(theta / 2) ** 2
    assert dense_distribution(c) == pytest.approx({"000": 1 - p1, "010": p1})
    assert dense_distribution(Circuit(2, 2)) == {"00": 1.0}


def test_dense_distribution_branch_limit() -> None:
    circuit = Circuit(4).h(0).h(1).h(2).h(3).measure_all()
    with pytest.raises(ConfigError, match="more than 8 measurement branches"):
        dense_distribution(circuit, max_branches=8)
