"""Compilation for the trajectory engine: gates and channels merged into blocks of Kraus operators.

Consecutive operations on the same one or two qubits (a native ``rz sx rz`` run, a ``cz`` and
its noise channel, the idle relaxation before them) are composed into one channel whose Kraus
operators are the products of theirs (canonicalised: at most 4 on one qubit, 16 on two). A
trajectory then applies one operator per block instead of one per gate and per channel; the
composed channel is exactly the sequence it replaces, so the sampled distribution is unchanged.

Merging rules (each keeps the order of non-commuting operations): an operation joins the last
block on its qubits if that block covers them all; otherwise the 1-qubit blocks that are last on
its qubits are taken out of the sequence (nothing after them touches their qubit, so they
commute with everything in between) and composed in front of it, as a new block at the end.
Measurements, resets, conditioned operations and channels on three qubits are never merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Condition, Instruction
from kvant.sim._channels import KrausChannel

__all__ = ["KrausStep", "compile_kraus", "merge_blocks", "unitary_step"]

_IDLE = frozenset({"barrier", "delay", "id", "u0"})
_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.complex128)
#: Largest condition number of the dominant Kraus operator inverted to recover a state.
_MAX_CONDITION = 1e6


def _as_channel(op: Instruction | KrausChannel) -> KrausChannel | None:
    """The operation as a mergeable channel, or None (measure, reset, conditioned, 3+ qubits)."""
    if isinstance(op, KrausChannel):
        return op if op.condition is None and op.num_qubits <= 2 else None
    if not op.is_unitary or op.condition is not None or len(op.qubits) > 2:
        return None
    return KrausChannel(op.qubits, op.unitary_matrix()[None], op.name)


def _lift(channel: KrausChannel, qubits: tuple[int, ...]) -> KrausChannel:
    """``channel`` written on ``qubits`` (a superset, in that operand order)."""
    if channel.qubits == qubits:
        return channel
    ops = channel.operators
    if len(qubits) == 2 and channel.num_qubits == 2:  # the same pair, operands swapped
        ops = _SWAP @ ops @ _SWAP
    elif len(qubits) == 2:
        eye = np.eye(2, dtype=np.complex128)
        ops = np.stack(
            [np.kron(k, eye) if channel.qubits[0] == qubits[0] else np.kron(eye, k) for k in ops]
        )
    return KrausChannel(qubits, ops, channel.label)


def merge_blocks(
    body: Sequence[Instruction | KrausChannel],
) -> list[Instruction | KrausChannel]:
    """Merge gates and channels into blocks (see the module docstring).

    Args:
        body: Operations in time order.

    Returns:
        The same evolution with fewer, larger steps: unmergeable instructions as they were,
        everything else as :class:`~kvant.sim.KrausChannel` blocks.
    """
    out: list[Instruction | KrausChannel | None] = []
    last: dict[int, int] = {}
    for op in body:
        if isinstance(op, Instruction) and op.name in _IDLE:
            continue
        channel = _as_channel(op)
        if channel is None:
            out.append(op)
            for q in op.qubits:
                last[q] = len(out) - 1
            continue
        qubits = channel.qubits
        owners = {last.get(q) for q in qubits}
        if len(owners) == 1 and None not in owners:
            index = cast(int, owners.pop())
            block = out[index]
            if (
                isinstance(block, KrausChannel)
                and block.condition is None
                and set(qubits) <= set(block.qubits)
            ):
                out[index] = block.then(_lift(channel, block.qubits))
                continue
        merged = channel
        for q in qubits:
            owner = last.get(q)
            block = out[owner] if owner is not None else None
            if isinstance(block, KrausChannel) and block.condition is None and block.qubits == (q,):
                merged = _lift(block, qubits).then(merged)
                out[cast(int, owner)] = None
        out.append(merged)
        for q in qubits:
            last[q] = len(out) - 1
    return [x for x in out if x is not None]


@dataclass(frozen=True, eq=False)
class KrausStep:
    """A block ready to apply; operator 0 is the dominant one.

    Attributes:
        qubits: The block's qubits (operand order: ``qubits[0]`` is the most significant bit of
            the operator index).
        matrices: Kraus operators ``(m, d, d)``, heaviest first (for a mixture of unitaries:
            the unitaries themselves).
        diagonals: The diagonal of each operator that is diagonal, else None.
        gram: ``K_i^dagger K_i``, ``(m, d, d)``, for branch probabilities.
        weights: Fixed branch probabilities of a mixture of unitaries, else None.
        inverse: Inverse of operator 0, to recover the state after a rare branch, or None if
            it is ill-conditioned.
        condition: Apply only when the classical bits satisfy it.
    """

    qubits: tuple[int, ...]
    matrices: NDArray[np.complex128]
    diagonals: tuple[NDArray[np.complex128] | None, ...]
    gram: NDArray[np.complex128]
    weights: NDArray[np.float64] | None
    inverse: NDArray[np.complex128] | None
    condition: Condition | None

    @property
    def unitary(self) -> bool:
        """True for a single unitary operator: apply it, nothing to sample."""
        return self.matrices.shape[0] == 1 and self.weights is not None


def compile_kraus(channel: KrausChannel) -> KrausStep:
    """Order a channel's (or merged block's) operators for the trajectory walk."""
    ops = channel.operators
    mixture = channel.unitary_mixture()
    weights = None
    if mixture is not None:
        order = np.argsort(-mixture, kind="stable")
        weights = mixture[order] / mixture.sum()
        ops = ops[order] / np.sqrt(weights)[:, None, None]
    else:
        norms = np.real(np.einsum("kij,kij->k", ops.conj(), ops))
        ops = ops[np.argsort(-norms, kind="stable")]
    diagonals = tuple(
        np.diagonal(k).copy() if np.count_nonzero(k - np.diag(np.diagonal(k))) == 0 else None
        for k in ops
    )
    inverse = None
    if weights is None and np.linalg.cond(ops[0]) < _MAX_CONDITION:
        inverse = np.linalg.inv(ops[0])
    return KrausStep(
        channel.qubits,
        np.ascontiguousarray(ops),
        diagonals,
        np.einsum("kji,kjl->kil", ops.conj(), ops),
        weights,
        inverse,
        channel.condition,
    )


def unitary_step(
    qubits: tuple[int, ...], matrix: NDArray[np.complex128], condition: Condition | None
) -> KrausStep:
    """A single gate as a step (for conditioned gates and gates on three or more qubits)."""
    is_diagonal = np.count_nonzero(matrix - np.diag(np.diagonal(matrix))) == 0
    return KrausStep(
        qubits,
        np.ascontiguousarray(matrix[None], dtype=np.complex128),
        (np.diagonal(matrix).copy() if is_diagonal else None,),
        np.eye(matrix.shape[0], dtype=np.complex128)[None],
        np.ones(1),
        None,
        condition,
    )
