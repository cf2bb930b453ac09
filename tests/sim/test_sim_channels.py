"""Kraus channels and readout errors: validation, CPTP, fidelities, twirl, algebra, plain data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import ConfigError
from kvant.sim import KrausChannel, ReadoutError, pauli_basis
from kvant.testing import random_unitary

X = np.array([[0, 1], [1, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)


def random_channel(num_qubits: int, rank: int, seed: int) -> KrausChannel:
    """A random CPTP map from a Haar isometry (Stinespring): K_i = rows of blocks of V."""
    d = 1 << num_qubits
    big = random_unitary(num_qubits + math.ceil(math.log2(rank)), seed=seed)
    isometry = big[:, :d][: d * rank]
    isometry = isometry / np.sqrt(np.real(np.trace(isometry.conj().T @ isometry)) / d)
    ops = isometry.reshape(rank, d, d)
    total = np.einsum("kji,kjl->il", ops.conj(), ops)
    w, v = np.linalg.eigh(total)
    ops = ops @ (v @ np.diag(w**-0.5) @ v.conj().T)
    return KrausChannel(tuple(range(num_qubits)), ops, "random")


def test_validation() -> None:
    with pytest.raises(ConfigError, match="not trace preserving"):
        KrausChannel((0,), [np.eye(2) * 0.9])
    with pytest.raises(ConfigError, match="shape"):
        KrausChannel((0, 1), [np.eye(2)])
    with pytest.raises(ConfigError, match="distinct"):
        KrausChannel((1, 1), [np.eye(4)])
    with pytest.raises(ConfigError, match="NaN"):
        KrausChannel((0,), [np.full((2, 2), np.nan)])
    with pytest.raises(ConfigError, match="at most 3"):
        KrausChannel((0, 1, 2, 3), [np.eye(16)])


@pytest.mark.parametrize(
    ("num_qubits", "rank", "seed"), [(1, 2, 1), (1, 4, 2), (2, 3, 3), (2, 16, 4)]
)
def test_random_channels_are_cptp_and_canonical_forms_agree(
    num_qubits: int, rank: int, seed: int
) -> None:
    channel = random_channel(num_qubits, rank, seed)
    assert channel.is_cptp()
    canonical = channel.canonical()
    assert canonical.operators.shape[0] <= 4**num_qubits
    assert np.allclose(canonical.superoperator(), channel.superoperator(), atol=1e-12)
    assert np.isclose(np.trace(channel.choi()).real, channel.dim)


def test_the_cp_criterion_rejects_the_transpose_map() -> None:
    # Choi matrix of the identity, J[(a,b),(c,e)] = d_ab d_ce; the transpose map's Choi matrix
    # swaps the output indices a and c: it is the SWAP, with eigenvalue -1 (positive, not CP)
    identity = KrausChannel((0,), [np.eye(2)]).choi()
    transpose_map = identity.reshape(2, 2, 2, 2).transpose(2, 1, 0, 3).reshape(4, 4)
    assert np.min(np.linalg.eigvalsh(transpose_map)) == pytest.approx(-1.0)
    assert np.min(np.linalg.eigvalsh(identity)) >= -1e-12


def test_composition_is_the_product_of_superoperators() -> None:
    a, b = random_channel(1, 2, 5), random_channel(1, 3, 6)
    assert np.allclose(a.then(b).superoperator(), b.superoperator() @ a.superoperator(), atol=1e-12)
    with pytest.raises(ConfigError, match="cannot compose"):
        a.then(b.on((3,)))


def test_apply_to_matches_the_superoperator() -> None:
    channel = random_channel(2, 4, 7)
    rho = np.outer(random_unitary(2, seed=8)[:, 0], random_unitary(2, seed=8)[:, 0].conj())
    via_super = (channel.superoperator() @ rho.reshape(-1)).reshape(4, 4)
    assert np.allclose(channel.apply_to(rho), via_super)
    assert np.isclose(np.trace(channel.apply_to(rho)).real, 1.0)


def test_fidelities_of_a_bit_flip() -> None:
    p = 0.1
    flip = KrausChannel((0,), [np.sqrt(1 - p) * np.eye(2), np.sqrt(p) * X])
    assert flip.process_fidelity() == pytest.approx(0.9)
    assert flip.average_gate_fidelity() == pytest.approx((2 * 0.9 + 1) / 3)
    assert flip.unitary_mixture() == pytest.approx([0.9, 0.1])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), num_qubits=st.sampled_from([1, 2]))
def test_the_pauli_twirl_preserves_process_fidelity(seed: int, num_qubits: int) -> None:
    channel = random_channel(num_qubits, 2, seed)
    twirled = channel.pauli_twirl()
    assert twirled.process_fidelity() == pytest.approx(channel.process_fidelity(), abs=1e-12)
    assert twirled.pauli_probabilities().sum() == pytest.approx(1.0)
    assert twirled.unitary_mixture() is not None  # a Pauli channel is a mixture of unitaries


def test_pauli_order_is_textbook_and_matches_stim() -> None:
    basis = pauli_basis(2)
    assert np.allclose(basis[1 * 4 + 3], np.kron(X, Z))  # "XZ": X on the first operand
    flip_first = KrausChannel((0, 1), [np.kron(X, np.eye(2))])
    probs = flip_first.pauli_probabilities()
    assert probs[4] == pytest.approx(1.0)  # stim's PAULI_CHANNEL_2 argument p_XI (index 4 - 1)


def test_round_trips() -> None:
    from kvant.circuit import Condition

    channel = random_channel(2, 3, 11).with_condition(Condition((0, 1), 2))
    again = KrausChannel.from_dict(channel.to_dict())
    assert again == channel
    assert np.array_equal(again.operators, channel.operators)
    with pytest.raises(ConfigError):
        KrausChannel.from_dict({"qubits": [0]})
    error = ReadoutError(0.01, 0.05)
    assert ReadoutError.from_dict(error.to_dict()) == error


def test_readout_error() -> None:
    error = ReadoutError(0.02, 0.06)
    assert error.mean_error == pytest.approx(0.04)
    assert error.confusion_matrix().sum(axis=0) == pytest.approx([1.0, 1.0])
    assert error.flip_probability(0) == 0.02
    assert error.flip_probability(1) == 0.06
    assert ReadoutError(0, 0).is_trivial
    with pytest.raises(ConfigError, match="p_meas1_prep0"):
        ReadoutError(1.5, 0.0)
    with pytest.raises(ConfigError, match="p_meas0_prep1"):
        ReadoutError(0.0, "x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        ReadoutError.from_dict({"p_meas1_prep0": 0.1})


def test_relabelled_copies_share_their_figures() -> None:
    from kvant.circuit import Condition

    channel = random_channel(2, 3, 21)
    assert channel.on((0, 1)) is channel
    moved = channel.on((5, 2))
    assert moved.qubits == (5, 2)
    assert moved.pauli_probabilities() is channel.pauli_probabilities()  # computed once
    assert np.array_equal(moved.operators, channel.operators)
    conditioned = moved.with_condition(Condition((0,), 1))
    assert conditioned.condition == Condition((0,), 1)
    assert conditioned.with_condition(Condition((0,), 1)) is conditioned
    assert moved.canonical().qubits == (5, 2)  # qubit-dependent results are kept apart
    assert channel.canonical().qubits == (0, 1)
    with pytest.raises(ConfigError, match="acts on 2"):
        channel.on((1,))
    with pytest.raises(ConfigError, match="acts on 2"):
        channel.on((1, 1))
