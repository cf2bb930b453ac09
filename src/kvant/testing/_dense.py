"""An independent reference: the whole circuit as one dense little-endian matrix.

Built by index arithmetic, not by the engines' tensor contractions: for a gate G on qubits
``(q_0, ..., q_{k-1})`` (textbook order, ``q_0`` most significant in G's index), the full
matrix element between global basis indices r and c is ``G[loc(r), loc(c)]`` if r and c agree on
every other qubit and 0 otherwise, where ``loc(i) = sum_m bit(i, q_m) * 2**(k-1-m)`` and
``bit(i, q) = (i >> q) & 1`` (little-endian: qubit 0 is the least significant bit).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Circuit
from kvant.errors import ConfigError

__all__ = ["DENSE_MAX_QUBITS", "dense_distribution", "dense_unitary", "embed_little_endian"]

#: Largest circuit :func:`dense_unitary` accepts (a 1024 x 1024 complex matrix, 16 MiB).
DENSE_MAX_QUBITS = 10

_SKIPPED = frozenset({"barrier", "delay"})


def embed_little_endian(
    matrix: NDArray[np.complex128], qubits: Sequence[int], num_qubits: int
) -> NDArray[np.complex128]:
    """The ``2**n x 2**n`` little-endian matrix of a textbook-order gate on ``qubits``.

    >>> cx = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
    >>> full = embed_little_endian(cx, [0, 1], 2)  # control qubit 0, target qubit 1
    >>> full[:, 1].real.tolist()  # |q1 q0> = |01> (index 1) goes to |11> (index 3)
    [0.0, 0.0, 0.0, 1.0]
    """
    k = len(qubits)
    index = np.arange(1 << num_qubits)
    local = np.zeros_like(index)
    mask = 0
    for m, qubit in enumerate(qubits):
        local |= ((index >> qubit) & 1) << (k - 1 - m)
        mask |= 1 << qubit
    rest = index & ~mask
    same_rest = rest[:, None] == rest[None, :]
    return np.where(same_rest, matrix[local[:, None], local[None, :]], 0).astype(np.complex128)


def dense_unitary(circuit: Circuit) -> NDArray[np.complex128]:
    """The circuit's unitary as a dense little-endian matrix (reference for small circuits).

    Column j is the output state for input basis state j; ``dense_unitary(c)[:, 0]`` is the
    state the circuit prepares from ``|0...0>``.

    Args:
        circuit: A circuit of at most :data:`DENSE_MAX_QUBITS` qubits with bound parameters
            and no measure, reset or condition (barriers and delays are skipped; custom gates
            are expanded).

    Returns:
        The ``2**n x 2**n`` unitary (complex128).

    Raises:
        ConfigError: For too many qubits or a non-unitary instruction.
        UnboundParameterError: For free parameters.

    >>> from kvant.circuit import Circuit
    >>> dense_unitary(Circuit(2).h(0).cx(0, 1))[:, 0].round(4).real.tolist()
    [0.7071, 0.0, 0.0, 0.7071]
    """
    n = circuit.num_qubits
    if n > DENSE_MAX_QUBITS:
        raise ConfigError(
            f"dense_unitary handles at most {DENSE_MAX_QUBITS} qubits, the circuit has {n}"
        )
    total = np.eye(1 << n, dtype=np.complex128)
    for op in circuit.decompose():
        if op.name in _SKIPPED:
            continue
        if not op.is_unitary or op.condition is not None:
            raise ConfigError(
                f"dense_unitary needs a unitary circuit; found {op.name!r} on qubits "
                f"{list(op.qubits)}" + (" with a condition" if op.condition else "")
            )
        total = embed_little_endian(op.unitary_matrix(), op.qubits, n) @ total
    return total


def _format_bits(bits: tuple[int, ...]) -> str:
    return "".join(str(b) for b in reversed(bits))


def dense_distribution(circuit: Circuit, *, max_branches: int = 1 << 14) -> dict[str, float]:
    """Exact probability of each classical bitstring, by enumerating measurement outcomes.

    A reference for circuits with measurements, resets and conditions: every outcome of every
    measurement or reset is followed on a dense state vector (gates as full little-endian
    matrices, measurements as projectors), and the probabilities of branches with equal
    classical bits are added. Bitstrings cover all classical bits, classical bit 0 rightmost.

    Args:
        circuit: At most :data:`DENSE_MAX_QUBITS` qubits; parameters bound.
        max_branches: Give up beyond this many live branches.

    Returns:
        ``{bitstring: probability}`` for outcomes with probability above 1e-14, keys sorted.

    Raises:
        ConfigError: For too many qubits or branches.

    >>> from kvant.circuit import Circuit
    >>> c = Circuit(2, 2).h(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
    >>> {k: round(v, 12) for k, v in dense_distribution(c).items()}
    {'00': 0.5, '11': 0.5}
    """
    n = circuit.num_qubits
    if n > DENSE_MAX_QUBITS:
        raise ConfigError(
            f"dense_distribution handles at most {DENSE_MAX_QUBITS} qubits, the circuit has {n}"
        )
    index = np.arange(1 << n)
    flip = np.array([[0, 1], [1, 0]], dtype=np.complex128)
    start = np.zeros(1 << n, dtype=np.complex128)
    start[0] = 1
    branches: list[tuple[float, NDArray[np.complex128], tuple[int, ...]]] = [
        (1.0, start, (0,) * circuit.num_clbits)
    ]
    for op in circuit.decompose():
        if op.name in _SKIPPED:
            continue
        grown: list[tuple[float, NDArray[np.complex128], tuple[int, ...]]] = []
        full = embed_little_endian(op.unitary_matrix(), op.qubits, n) if op.is_unitary else None
        for weight, state, bits in branches:
            if op.condition is not None and not op.condition.holds(np.array(bits, np.uint8)):
                grown.append((weight, state, bits))
            elif full is not None:
                grown.append((weight, full @ state, bits))
            else:  # measure or reset: follow both outcomes
                qubit = op.qubits[0]
                for outcome in (0, 1):
                    projected = np.where(((index >> qubit) & 1) == outcome, state, 0)
                    probability = float(np.vdot(projected, projected).real)
                    if probability < 1e-14:
                        continue
                    projected = projected / np.sqrt(probability)
                    new_bits = bits
                    if op.name == "measure":
                        new_bits = tuple(
                            outcome if b == op.clbits[0] else v for b, v in enumerate(bits)
                        )
                    elif outcome == 1:
                        projected = embed_little_endian(flip, [qubit], n) @ projected
                    grown.append((weight * probability, projected, new_bits))
        if len(grown) > max_branches:
            raise ConfigError(f"more than {max_branches} measurement branches; use fewer")
        branches = grown
    distribution: dict[str, float] = {}
    for weight, _, bits in branches:
        key = _format_bits(bits)
        distribution[key] = distribution.get(key, 0.0) + weight
    return {k: v for k, v in sorted(distribution.items()) if v > 1e-14}
