"""Fusion of a noisy program into 2-qubit blocks, for faster exact density-matrix runs.

A transpiled QV or XEB circuit's noisy program has ~10 steps per 2-qubit gate (``rz``, ``sx``,
their noise, idle relaxation). Consecutive steps that act within the same pair of qubits are
composed into one channel: its superoperator ``S = S_n ... S_1`` (``S = sum K (x) conj(K)``),
turned back into Kraus operators from the eigenvectors of the Choi matrix (Choi, Linear
Algebra Appl. 10, 285, 1975). A step joins the latest block of its qubits when no later block
touches them, so moving it there commutes with everything it passes. The result is the same
channel (up to rounding), with ~10x fewer tensor contractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Instruction
from kvant.sim import KrausChannel, NoisyProgram

__all__ = ["fuse_program"]

_IDLE = frozenset({"barrier", "delay", "id", "u0"})
_SWAP = np.eye(4)[[0, 2, 1, 3]]


@dataclass
class _Block:
    qubits: tuple[int, ...]
    superop: NDArray[np.complex128] = field(default_factory=lambda: np.eye(1, dtype=complex))


def _embed(
    matrix: NDArray[np.complex128], qubits: tuple[int, ...], block: tuple[int, ...]
) -> NDArray[np.complex128]:
    """Operators ``(m, d, d)`` on ``qubits`` as operators on the block's qubits."""
    if len(block) == 1 or qubits == block:
        return matrix
    if len(qubits) == 2:  # the reversed pair
        return np.asarray(_SWAP @ matrix @ _SWAP)
    m = matrix.shape[0]
    eye = np.eye(2)
    if qubits[0] == block[0]:  # K (x) I
        out = matrix[:, :, None, :, None] * eye[None, None, :, None, :]
    else:  # I (x) K
        out = eye[None, :, None, :, None] * matrix[:, None, :, None, :]
    return np.asarray(out.reshape(m, 4, 4))


def _superop(ops: NDArray[np.complex128]) -> NDArray[np.complex128]:
    d = ops.shape[-1]
    return np.asarray(np.einsum("kab,kcd->acbd", ops, ops.conj()).reshape(d * d, d * d))


def _widen(block: _Block, qubits: tuple[int, ...]) -> None:
    """Grow a 1-qubit block to ``qubits`` (its qubit stays in place)."""
    if block.qubits == qubits:
        return
    old = block.superop.reshape(2, 2, 2, 2)
    if qubits[0] == block.qubits[0]:  # old on the first (most significant) qubit
        sup = np.einsum("acbd,eg,fh->aecfbgdh", old, np.eye(2), np.eye(2))
    else:
        sup = np.einsum("acbd,eg,fh->eafcgbhd", old, np.eye(2), np.eye(2))
    block.superop = np.ascontiguousarray(sup.reshape(16, 16))
    block.qubits = qubits


def _kraus(block: _Block) -> KrausChannel:
    d = 1 << len(block.qubits)
    choi = block.superop.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)
    vals, vecs = np.linalg.eigh((choi + choi.conj().T) / 2)
    keep = vals > 1e-13 * max(float(vals.max()), 1e-300)
    ops = (vecs[:, keep] * np.sqrt(vals[keep])).T.reshape(-1, d, d)
    total = np.einsum("kji,kjl->il", ops.conj(), ops)
    w, v = np.linalg.eigh(total)  # restore trace preservation lost to rounding
    ops = ops @ (v @ np.diag(w**-0.5) @ v.conj().T)
    return KrausChannel(block.qubits, ops, "fused")


def fuse_program(program: NoisyProgram) -> NoisyProgram:
    """The same noisy program with steps fused into 1- and 2-qubit channels.

    Terminal measurements stay as they are; programs with mid-circuit measurements,
    resets or conditions are returned unchanged.

    >>> from kvant.circuit import Circuit
    >>> from kvant.device import NoiseModel, load_device
    >>> from kvant.sim import DensityMatrixEngine
    >>> model = NoiseModel.from_calibration(load_device("line-3"))
    >>> c = Circuit(3).sx(0).cz(0, 1).sx(1).cz(1, 2).sx(2).rz(0.3, 0).measure_all()
    >>> program = model.noisy_program(c)
    >>> fused = fuse_program(program)
    >>> len(fused.operations) < len(program.operations)
    True
    >>> engine = DensityMatrixEngine()
    >>> a, b = engine.distribution(program), engine.distribution(fused)
    >>> max(abs(a[k] - b[k]) for k in a) < 1e-12
    True
    """
    if program.has_mid_circuit_operations:
        return program
    blocks: list[_Block] = []
    last: dict[int, int] = {}
    tail: list[Instruction] = []
    cache: dict[tuple[object, ...], NDArray[np.complex128]] = {}
    for op in program.operations:
        if isinstance(op, Instruction):
            if op.name == "measure":
                tail.append(op)
                continue
            if op.name in _IDLE:
                continue
            qubits, ops = op.qubits, op.unitary_matrix()[None]
        else:
            qubits, ops = op.qubits, op.operators
        owners = {last.get(q) for q in qubits}
        target: _Block | None = None
        if len(owners) == 1 and None not in owners:
            (index,) = owners
            candidate = blocks[index]  # type: ignore[index]
            union = tuple(sorted(set(candidate.qubits) | set(qubits)))
            if len(union) <= 2 and all(last.get(q) in (index, None) for q in union):
                target = candidate
                if union != candidate.qubits:
                    _widen(candidate, union)
                    for q in union:
                        last[q] = index  # type: ignore[assignment]
        if target is None:
            target = _Block(tuple(sorted(qubits)), np.eye(4 ** len(qubits), dtype=complex))
            blocks.append(target)
            for q in target.qubits:
                last[q] = len(blocks) - 1
        key = (id(ops) if isinstance(op, KrausChannel) else None, tuple(qubits), target.qubits)
        step = cache.get(key) if key[0] is not None else None
        if step is None:
            step = _superop(_embed(ops, tuple(qubits), target.qubits))
            if key[0] is not None:
                cache[key] = step
        target.superop = step @ target.superop
    operations: list[Instruction | KrausChannel] = [_kraus(b) for b in blocks]
    operations += tail
    return NoisyProgram(
        program.num_qubits, program.num_clbits, tuple(operations), program.readout, program.name
    )
