"""Tensor kernels of the state-vector engine.

Axis bookkeeping
----------------
The state vector is little-endian: qubit ``q`` is bit ``q`` of the basis index
``i = sum_q b_q 2**q``. Reshaping the length-``2**n`` vector to the C-ordered tensor of shape
``(2,)*n`` makes axis 0 the *most* significant bit, so qubit ``q`` lives on axis ``n - 1 - q``
(:func:`qubit_axis`).

A k-qubit gate matrix is in textbook order: for operands ``(q_0, ..., q_{k-1})``, row and column
indices read ``b(q_0) ... b(q_{k-1})`` with ``q_0`` most significant. Reshaped to ``(2,)*2k``,
its axes ``0..k-1`` are the output bits of ``q_0..q_{k-1}`` and ``k..2k-1`` the input bits in the
same order. Contracting the input axes with the state axes ``[n-1-q_0, ..., n-1-q_{k-1}]`` and
moving the k output axes back to those positions applies the gate; no ``2**n x 2**n`` matrix is
ever formed. Diagonal gates multiply the tensor in place by the diagonal, reshaped to broadcast
over the same axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import EllipsisType
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "StateTensor",
    "apply_diagonal",
    "apply_matrix",
    "collapse",
    "diagonal_operand",
    "gate_operand",
    "probability_of_one",
    "qubit_axis",
    "reset_to_zero",
]

StateTensor = NDArray[np.complexfloating[Any, Any]]


def qubit_axis(qubit: int, num_qubits: int) -> int:
    """Axis of ``qubit`` in the ``(2,)*num_qubits`` view of a little-endian state vector."""
    return num_qubits - 1 - qubit


def gate_operand(matrix: NDArray[np.complex128], dtype: np.dtype[Any]) -> StateTensor:
    """A textbook-order ``2**k x 2**k`` gate matrix as a ``(2,)*2k`` tensor of ``dtype``."""
    k = matrix.shape[0].bit_length() - 1
    return np.ascontiguousarray(matrix, dtype=dtype).reshape((2,) * (2 * k))


def apply_matrix(state: StateTensor, operand: StateTensor, axes: Sequence[int]) -> StateTensor:
    """Apply a gate tensor (from :func:`gate_operand`) on state ``axes``; returns a new tensor.

    ``axes[j]`` is the state axis of the gate's j-th operand. The result may be a
    non-contiguous view; callers must not assume C order.
    """
    k = len(axes)
    contracted = np.tensordot(operand, state, axes=(list(range(k, 2 * k)), list(axes)))
    return np.moveaxis(contracted, list(range(k)), list(axes))


def diagonal_operand(
    matrix: NDArray[np.complex128], axes: Sequence[int], num_qubits: int, dtype: np.dtype[Any]
) -> StateTensor:
    """The diagonal of a textbook-order gate, shaped to broadcast over the state tensor."""
    k = len(axes)
    diag = np.ascontiguousarray(np.diagonal(matrix), dtype=dtype).reshape((2,) * k)
    order = np.argsort(axes)  # operand positions sorted by state axis
    shape = [1] * num_qubits
    for axis in axes:
        shape[axis] = 2
    return diag.transpose(order).reshape(shape)


def apply_diagonal(state: StateTensor, operand: StateTensor) -> None:
    """Multiply ``state`` in place by a broadcastable diagonal (:func:`diagonal_operand`)."""
    state *= operand


def _half(state: StateTensor, axis: int, bit: int) -> StateTensor:
    # the trailing Ellipsis keeps a 0-d view (not a scalar copy) for a 1-qubit state
    index: tuple[slice | int | EllipsisType, ...] = (slice(None),) * axis + (bit, ...)
    return state[index]


def probability_of_one(state: StateTensor, axis: int) -> float:
    """Probability that the qubit on ``axis`` reads 1 (state assumed normalised)."""
    norm = float(np.linalg.norm(_half(state, axis, 1)))
    total = float(np.linalg.norm(state))
    return min(max(norm * norm / (total * total), 0.0), 1.0) if total > 0 else 0.0


def collapse(state: StateTensor, axis: int, outcome: int, probability: float) -> None:
    """Project the qubit on ``axis`` onto ``outcome`` (in place) and renormalise.

    Args:
        state: The state tensor, modified in place.
        axis: The qubit's axis.
        outcome: 0 or 1.
        probability: The probability of ``outcome`` (must be > 0).
    """
    _half(state, axis, 1 - outcome)[...] = 0
    state *= 1.0 / np.sqrt(probability)


def reset_to_zero(state: StateTensor, axis: int) -> None:
    """Move the amplitudes of a qubit collapsed to |1> onto |0> (in place)."""
    zero, one = _half(state, axis, 0), _half(state, axis, 1)
    zero[...] = one
    one[...] = 0
