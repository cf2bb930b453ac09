"""Expectation values of Pauli strings and weighted sums of them, without dense matrices.

Label convention: in a string label such as ``"XZI"`` the *last* (rightmost) character acts on
qubit 0, as in Qiskit's ``Pauli("XZI")``; so ``"XZI"`` is X on qubit 2, Z on qubit 1. The dict
form ``{0: "X", 3: "Z"}`` names qubits explicitly. A weighted sum is a list of
``(coefficient, label)`` pairs with real coefficients.

Method: a Pauli product is ``P = i**n_Y X^x Z^z`` with bit masks ``x`` (X or Y) and ``z``
(Z or Y), because ``Y = iXZ``. Hence
``<psi|P|psi> = i**n_Y sum_j conj(psi_j) (-1)**popcount((j ^ x) & z) psi_{j ^ x}``, evaluated in
chunks of basis indices; terms that share ``x`` share the products ``conj(psi_j) psi_{j^x}``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = ["PauliLike", "PauliTerm", "as_pauli_terms", "pauli_expectation"]

PauliLabel: TypeAlias = str | Mapping[int, str]
PauliLike: TypeAlias = PauliLabel | Sequence[tuple[float, PauliLabel]]

_LETTERS = "IXYZ"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class PauliTerm:
    """``coefficient * P`` for a Pauli product P given by bit masks (bit q = qubit q).

    Attributes:
        coefficient: Real weight.
        x_mask: Qubits carrying X or Y.
        z_mask: Qubits carrying Z or Y.
    """

    coefficient: float
    x_mask: int
    z_mask: int

    @property
    def num_y(self) -> int:
        """Number of Y factors."""
        return (self.x_mask & self.z_mask).bit_count()


def _term_from_letters(letters: Mapping[int, str], coefficient: float) -> PauliTerm:
    x_mask = z_mask = 0
    for qubit, letter in letters.items():
        if letter in "XY":
            x_mask |= 1 << qubit
        if letter in "ZY":
            z_mask |= 1 << qubit
    return PauliTerm(coefficient, x_mask, z_mask)


def _parse_label(label: object, num_qubits: int, coefficient: float) -> PauliTerm:
    if isinstance(label, str):
        bad = sorted(set(label) - set(_LETTERS))
        if bad:
            raise ConfigError(
                f"Pauli label {label!r} has character(s) {bad}; use only I, X, Y, Z "
                "(the rightmost character acts on qubit 0)"
            )
        if len(label) != num_qubits:
            raise ConfigError(
                f"Pauli label {label!r} has {len(label)} character(s) but the state has "
                f"{num_qubits} qubit(s); give one letter per qubit (rightmost = qubit 0) "
                "or use the dict form {qubit: letter}"
            )
        return _term_from_letters(
            {num_qubits - 1 - pos: ch for pos, ch in enumerate(label)}, coefficient
        )
    if isinstance(label, Mapping):
        letters: dict[int, str] = {}
        for qubit, letter in label.items():
            if isinstance(qubit, bool) or not isinstance(qubit, int | np.integer):
                raise ConfigError(f"Pauli dict keys must be qubit indices, got {qubit!r}")
            if not 0 <= qubit < num_qubits:
                raise ConfigError(
                    f"Pauli dict names qubit {qubit}, but the state has qubits 0..{num_qubits - 1}"
                )
            if not isinstance(letter, str) or len(letter) != 1 or letter not in _LETTERS:
                raise ConfigError(
                    f"Pauli dict value for qubit {qubit} is {letter!r}; use 'I', 'X', 'Y' or 'Z'"
                )
            letters[int(qubit)] = letter
        return _term_from_letters(letters, coefficient)
    raise ConfigError(
        f"cannot read {label!r} as a Pauli label; use a string like 'XZI' or a dict like "
        "{0: 'X', 3: 'Z'}"
    )


def as_pauli_terms(pauli: PauliLike, num_qubits: int) -> list[PauliTerm]:
    """Read any accepted form of Pauli operator into a list of terms.

    Args:
        pauli: ``"XZI"`` (rightmost letter = qubit 0), ``{0: "X", 3: "Z"}``, or a list of
            ``(coefficient, label)`` pairs with real coefficients.
        num_qubits: Number of qubits of the state it will act on.

    Returns:
        The terms.

    Raises:
        ConfigError: For unknown letters, a wrong length, qubits out of range, complex or
            non-numeric coefficients, or an empty sum.

    >>> [(t.coefficient, t.x_mask, t.z_mask) for t in as_pauli_terms("XZ", 2)]
    [(1.0, 2, 1)]
    """
    if isinstance(pauli, str | Mapping):
        return [_parse_label(pauli, num_qubits, 1.0)]
    if not isinstance(pauli, Sequence) or not pauli:
        raise ConfigError(
            f"cannot read {pauli!r} as a Pauli operator; use 'XZI', {{0: 'X'}} or a non-empty "
            "list of (coefficient, label) pairs"
        )
    terms: list[PauliTerm] = []
    for item in pauli:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ConfigError(
                f"each term of a Pauli sum must be a (coefficient, label) pair, got {item!r}"
            )
        coefficient, label = item
        if isinstance(coefficient, bool) or not isinstance(coefficient, Real):
            raise ConfigError(
                f"Pauli coefficient {coefficient!r} is not a real number; the operator must "
                "be Hermitian, so use real weights"
            )
        terms.append(_parse_label(label, num_qubits, float(coefficient)))
    return terms


def _parity(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """Parity of the set bits of each non-negative int64 (XOR folding)."""
    v = values.copy()
    for shift in (32, 16, 8, 4, 2, 1):
        v ^= v >> shift
    v &= 1
    return v


def pauli_expectation(
    state_vector: NDArray[np.complexfloating[Any, Any]], pauli: PauliLike
) -> float:
    """``<psi|H|psi>`` for a Pauli string or a real-weighted sum of them.

    Args:
        state_vector: Little-endian amplitudes, length ``2**n`` (normalised).
        pauli: See :func:`as_pauli_terms`; the rightmost letter of a string acts on qubit 0.

    Returns:
        The (real) expectation value.

    Raises:
        ConfigError: For a malformed operator or a state whose length is not a power of two.

    >>> import numpy as np
    >>> plus_zero = np.array([1, 1, 0, 0]) / np.sqrt(2)  # qubit 0 in |+>, qubit 1 in |0>
    >>> round(pauli_expectation(plus_zero, "ZX"), 12)
    1.0
    >>> round(pauli_expectation(plus_zero, [(0.5, {0: "X"}), (2.0, {1: "Y"})]), 12)
    0.5
    """
    psi = np.asarray(state_vector).reshape(-1)
    size = psi.shape[0]
    num_qubits = size.bit_length() - 1
    if size == 0 or size != 1 << num_qubits:
        raise ConfigError(f"state vector length {size} is not a power of two")
    groups: dict[int, list[PauliTerm]] = defaultdict(list)
    for term in as_pauli_terms(pauli, num_qubits):
        groups[term.x_mask].append(term)
    total = 0.0
    for x_mask, terms in groups.items():
        sums = np.zeros(len(terms), dtype=np.complex128)
        for start in range(0, size, _CHUNK):
            index = np.arange(start, min(start + _CHUNK, size), dtype=np.int64)
            partner = index ^ x_mask
            products = np.conj(psi[start : start + index.shape[0]]) * psi[partner]
            for k, term in enumerate(terms):
                signs = 1 - 2 * _parity(partner & term.z_mask)
                sums[k] += np.dot(products, signs)
        for k, term in enumerate(terms):
            value = (1j**term.num_y) * sums[k]
            total += term.coefficient * float(value.real)
    return total
