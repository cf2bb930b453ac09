"""Fusion of a noisy program into 1- and 2-qubit channels, for faster exact density-matrix runs.

A transpiled QV or XEB circuit's noisy program has ~10 steps per 2-qubit gate (``rz``, ``sx``,
their noise, idle relaxation). Consecutive steps that act within the same one or two qubits are
composed into one channel: its superoperator ``S = S_n ... S_1`` with ``S = sum K (x) conj(K)``
(Nielsen & Chuang, *Quantum Computation and Quantum Information*, 2000, sec. 8.2.3: the
composition of channels is the product of their superoperators). A step joins the latest block
of its qubits when no later block touches them, so moving it there commutes with everything it
passes. Kraus operators of a block are the eigenvectors of its Choi matrix scaled by the square
roots of their eigenvalues (Choi, Linear Algebra Appl. 10, 285, 1975, thm. 1). The result is
the same channel up to rounding, with ~10x fewer tensor contractions.

Barriers: measurements (in a program with mid-circuit operations), resets, conditioned
instructions or channels, and operations on more than two qubits are never fused; they keep
their place and no step on their qubits moves across them. Steps on *other* qubits may move
across a barrier, which is exact: operations on disjoint qubits commute, and a classical
condition only reads bits that measurements (barriers themselves, kept in order) write.

Trajectories: :class:`~kvant.sim.TrajectoryEngine` does not use this. A fused channel's Kraus
operators (from the Choi matrix) are a different but equivalent unravelling: the outcome
distribution is the same, but per-shot randomness and the number of branches differ, and the
trajectory engine already merges gates and channels of one or two qubits into blocks of its own
(:mod:`kvant.sim._trajectory_blocks`) while keeping the dominant no-error branch cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Instruction
from kvant.errors import ConfigError
from kvant.sim._channels import KrausChannel
from kvant.sim._noisy import NoisyProgram, Operation
from kvant.sim._program import require_bound

__all__ = ["FusedBlock", "fuse_noisy_program", "fuse_operations"]

_IDLE = frozenset({"barrier", "delay", "id", "u0"})
_SWAP = np.eye(4)[[0, 2, 1, 3]]
_EYE2 = np.eye(2)
#: Choi eigenvalues below this fraction of the largest are rounding noise (dropped).
_CHOI_RTOL = 1e-14

Matrix = NDArray[np.complex128]


@dataclass(eq=False)
class FusedBlock:
    """Consecutive steps on ``qubits`` (sorted; the first is the most significant bit of the
    superoperator's indices) composed into one superoperator ``d^2 x d^2``, acting on
    ``vec(rho)`` row-major like :meth:`KrausChannel.superoperator`."""

    qubits: tuple[int, ...]
    superop: Matrix
    first: Operation
    size: int = 1

    def channel(self) -> KrausChannel:
        """The block as a channel with Kraus operators from its Choi matrix."""
        d = 1 << len(self.qubits)
        choi = self.superop.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)
        vals, vecs = np.linalg.eigh((choi + choi.conj().T) / 2)
        keep = vals > _CHOI_RTOL * max(float(vals.max()), 1e-300)
        ops = (vecs[:, keep] * np.sqrt(vals[keep])).T.reshape(-1, d, d)
        total = np.einsum("kji,kjl->il", ops.conj(), ops)
        w, v = np.linalg.eigh(total)  # restore trace preservation lost to rounding
        ops = ops @ (v @ np.diag(w**-0.5) @ v.conj().T)
        return KrausChannel(self.qubits, ops, "fused")


def _embed(matrix: Matrix, qubits: tuple[int, ...], block: tuple[int, ...]) -> Matrix:
    """Operators ``(m, d, d)`` on ``qubits`` as operators on the block's qubits."""
    if qubits == block:
        return matrix
    if len(qubits) == 2:  # the reversed pair
        return np.asarray(_SWAP @ matrix @ _SWAP)
    m = matrix.shape[0]
    eye = _EYE2
    if qubits[0] == block[0]:  # K (x) I
        out = matrix[:, :, None, :, None] * eye[None, None, :, None, :]
    else:  # I (x) K
        out = eye[None, :, None, :, None] * matrix[:, None, :, None, :]
    return np.asarray(out.reshape(m, 4, 4))


def _superop(ops: Matrix) -> Matrix:
    d = ops.shape[-1]
    if ops.shape[0] == 1:  # a gate: K (x) conj(K) as one broadcast product
        k = ops[0]
        return np.asarray((k[:, None, :, None] * k.conj()[None, :, None, :]).reshape(d * d, d * d))
    return np.asarray(np.einsum("kab,kcd->acbd", ops, ops.conj()).reshape(d * d, d * d))


def _widen(block: FusedBlock, qubits: tuple[int, ...]) -> None:
    """Grow a 1-qubit block to ``qubits`` (its qubit stays in place)."""
    old = block.superop.reshape(2, 2, 2, 2)
    if qubits[0] == block.qubits[0]:  # old on the first (most significant) qubit
        sup = np.einsum("acbd,eg,fh->aecfbgdh", old, _EYE2, _EYE2)
    else:
        sup = np.einsum("acbd,eg,fh->eafcgbhd", old, _EYE2, _EYE2)
    block.superop = np.ascontiguousarray(sup.reshape(16, 16))
    block.qubits = qubits


def _step_superop(op: Operation, block: tuple[int, ...]) -> Matrix:
    """The superoperator of one step on the block's qubits."""
    qubits = tuple(op.qubits)
    if isinstance(op, KrausChannel):
        if qubits == block:
            return np.asarray(op.superoperator())
        return _superop(_embed(op.operators, qubits, block))
    return _superop(_embed(op.unitary_matrix()[None], qubits, block))


def _fusable(op: Operation) -> bool:
    if op.condition is not None or len(op.qubits) > 2:
        return False
    return isinstance(op, KrausChannel) or op.is_unitary


def fuse_operations(operations: Sequence[Operation]) -> list[Operation | FusedBlock]:
    """Fuse runs of gates and unconditioned channels on at most two qubits.

    Idle instructions (barrier, delay, id) are dropped; everything else that cannot be fused
    (measure, reset, conditioned steps, steps on three or more qubits) is kept in place as a
    barrier on its qubits. A block made of one step is returned as that step.

    Args:
        operations: Steps of a noisy program, in time order, with bound parameters.

    Returns:
        Steps and :class:`FusedBlock` s, in an order that gives the same overall map.
    """
    entries: list[Operation | FusedBlock] = []
    last: dict[int, int] = {}
    cache: dict[tuple[object, ...], Matrix] = {}
    for op in operations:
        if isinstance(op, Instruction) and op.name in _IDLE:
            continue
        qubits = tuple(op.qubits)
        if not _fusable(op):
            entries.append(op)
            for q in qubits:
                last[q] = len(entries) - 1
            continue
        owners = {last[q] for q in qubits if q in last}
        target: FusedBlock | None = None
        if len(owners) == 1:
            (index,) = owners
            candidate = entries[index]
            if isinstance(candidate, FusedBlock):
                union = tuple(sorted(set(candidate.qubits) | set(qubits)))
                # a qubit not touched yet (None) lets the step move back to the block
                if len(union) <= 2 and all(last.get(q) in (index, None) for q in union):
                    target = candidate
                    if union != candidate.qubits:
                        _widen(candidate, union)
                        for q in union:
                            last[q] = index
        placement = tuple(sorted(qubits)) if target is None else target.qubits
        # noise channels and most gates repeat: cache by operators (or gate) and placement
        key: tuple[object, ...] | None = (
            (id(op.operators), qubits, placement)
            if isinstance(op, KrausChannel)
            else (op.name, op.params, qubits, placement)
            if op.matrix is None
            else None
        )
        step = None if key is None else cache.get(key)
        if step is None:
            step = _step_superop(op, placement)
            if key is not None:
                cache[key] = step
        if target is None:
            entries.append(FusedBlock(placement, step, op))
            for q in placement:
                last[q] = len(entries) - 1
            continue
        target.superop = step @ target.superop
        target.size += 1
    return [e.first if isinstance(e, FusedBlock) and e.size == 1 else e for e in entries]


def fuse_noisy_program(program: NoisyProgram) -> NoisyProgram:
    """The same noisy program with its steps fused into 1- and 2-qubit channels.

    Without mid-circuit operations every measurement is terminal and moves to the end (gates
    and channels on other qubits commute past it). With them, measurements, resets and
    conditioned steps stay in place and only the runs between them on each qubit are fused
    (see the module docstring). Readout errors are kept. Outcome distributions of the fused
    and the original program agree to rounding (~1e-15 per block).

    Args:
        program: The noisy program (parameters bound).

    Returns:
        A new program: fused blocks are :class:`KrausChannel` s labelled ``"fused"``; a
        block of one step is that step.

    Raises:
        ConfigError: If ``program`` is not a :class:`NoisyProgram`.
        UnboundParameterError: For free parameters.

    >>> import numpy as np
    >>> from kvant.circuit import Circuit
    >>> from kvant.sim import DensityMatrixEngine, KrausChannel, NoisyProgram
    >>> g = 0.02  # amplitude damping after every gate
    >>> damp = KrausChannel((0,), [np.diag([1, np.sqrt(1 - g)]), [[0, np.sqrt(g)], [0, 0]]])
    >>> c = Circuit(3).sx(0).cz(0, 1).sx(1).cz(1, 2).sx(2).rz(0.3, 0).measure_all()
    >>> program = NoisyProgram.from_circuit(
    ...     c, after_gate=lambda op: [damp.on((q,)) for q in op.qubits]
    ... )
    >>> fused = fuse_noisy_program(program)
    >>> len(program.operations), len(fused.operations)
    (17, 6)
    >>> engine = DensityMatrixEngine(fuse=False)
    >>> a, b = engine.distribution(program), engine.distribution(fused)
    >>> max(abs(a[k] - b[k]) for k in a) < 1e-12
    True
    """
    if not isinstance(program, NoisyProgram):
        raise ConfigError(
            f"fuse_noisy_program needs a kvant.sim.NoisyProgram, got {type(program).__name__}; "
            "build one with NoisyProgram.from_circuit or kvant.device.NoiseModel.noisy_program"
        )
    if program.parameters:
        require_bound(program.ideal_circuit())
    ops = program.operations
    tail: list[Operation] = []
    if not program.has_mid_circuit_operations:
        tail = [op for op in ops if isinstance(op, Instruction) and op.name == "measure"]
        ops = tuple(op for op in ops if not (isinstance(op, Instruction) and op.name == "measure"))
    operations = [
        e.channel() if isinstance(e, FusedBlock) else e for e in fuse_operations(ops)
    ] + tail
    return NoisyProgram(
        program.num_qubits, program.num_clbits, tuple(operations), program.readout, program.name
    )
