"""Blocks: gates in the form the fast engines apply them, independent of the backend.

A :class:`Block` acts on ``targets`` (ascending qubit indices) and applies where every qubit in
``controls`` reads 1. Its data is in **little-endian local order**: bit ``m`` of a local index
is the value of ``targets[m]`` (the state vector's own convention, unlike the textbook order of
gate matrices in :mod:`kvant.circuit`). Three kinds:

* ``dense``: ``data`` is the ``2**k x 2**k`` matrix;
* ``diagonal``: ``data`` is the diagonal (length ``2**k``); never has controls (they are folded
  into the diagonal), so it may act on any qubit of a window, lanes included;
* ``permutation``: a monomial matrix, ``out[i] = data[i] * in[source[i]]`` (X, Y, CX, SWAP,
  CCX, iSWAP...): amplitudes move, nothing is multiplied unless a phase differs from 1.

Library gates with control qubits (``cx``, ``ccx``, ``cswap``, ``c3sqrtx``...) keep them as
``controls``, so a kernel touches only the controlled fraction of the state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import GATES, Condition, Instruction

__all__ = ["Block", "BlockKind", "block_from_instruction", "classify", "merge_blocks"]

BlockKind = Literal["dense", "diagonal", "permutation"]
Complex = NDArray[np.complex128]

#: Library gates whose leading operands are controls (textbook ``controlled(base, c)`` form).
_CONTROLS = {
    "cx": 1, "cy": 1, "ch": 1, "csx": 1, "csxdg": 1, "crx": 1, "cry": 1, "cu3": 1, "cu": 1,
    "ccx": 2, "cswap": 1, "c3x": 3, "c3sqrtx": 3, "c3sqrtxdg": 3, "c4x": 4,
}  # fmt: skip
#: Instructions that are the identity on an ideal state vector.
IDLE = frozenset({"barrier", "delay", "id", "u0"})


@dataclass(frozen=True, eq=False)
class Block:
    """One fused gate (see the module docstring for the data layout).

    Attributes:
        kind: ``dense``, ``diagonal`` or ``permutation``.
        targets: Qubits the data acts on, ascending (``targets[0]`` is local bit 0).
        data: Matrix (dense), diagonal (diagonal) or phases (permutation), complex128.
        controls: Qubits that must read 1, ascending, disjoint from ``targets``.
        source: For ``permutation``: ``out[i] = data[i] * in[source[i]]``.
        condition: Classical condition (such blocks are never fused).
        gates: How many circuit gates it stands for.

    >>> from kvant.circuit import Instruction
    >>> b = block_from_instruction(Instruction("cx", (3, 1)))
    >>> b.kind, b.targets, b.controls, b.source.tolist()
    ('permutation', (1,), (3,), [1, 0])
    """

    kind: BlockKind
    targets: tuple[int, ...]
    data: Complex = field(repr=False)
    controls: tuple[int, ...] = ()
    source: NDArray[np.int64] | None = field(default=None, repr=False)
    condition: Condition | None = None
    gates: int = 1

    @property
    def qubits(self) -> tuple[int, ...]:
        """All qubits involved (targets and controls), ascending."""
        return tuple(sorted(self.targets + self.controls))

    @property
    def moving_qubits(self) -> tuple[int, ...]:
        """Qubits whose basis states are mixed: the targets unless the block is diagonal."""
        return () if self.kind == "diagonal" else self.targets

    def target_matrix(self) -> Complex:
        """The data as a full ``2**k x 2**k`` matrix over ``targets`` (little-endian)."""
        if self.kind == "dense":
            return self.data
        if self.kind == "diagonal":
            return np.diag(self.data)
        dim = self.data.shape[0]
        matrix = np.zeros((dim, dim), dtype=np.complex128)
        matrix[np.arange(dim), self.source] = self.data
        return matrix

    def unitary(self) -> Complex:
        """The block's matrix over :attr:`qubits` (little-endian, controls expanded).

        >>> from kvant.circuit import Instruction
        >>> block_from_instruction(Instruction("cx", (0, 1))).unitary().real.astype(int).tolist()
        [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]]
        """
        return expand(self.target_matrix(), self.targets, self.qubits, self.controls)


@lru_cache(maxsize=4096)
def bit_gather(positions: tuple[int, ...], width: int) -> NDArray[np.int64]:
    """For each index below ``2**width``, its little-endian index over the bits ``positions``
    (memoised, read-only: fusion and the window plans ask for the same few patterns over and
    over).

    >>> bit_gather((2, 0), 3).tolist()  # bit 2 -> bit 0, bit 0 -> bit 1
    [0, 2, 0, 2, 1, 3, 1, 3]
    """
    index = np.arange(1 << width, dtype=np.int64)
    local = np.zeros_like(index)
    for m, p in enumerate(positions):
        local |= ((index >> p) & 1) << m
    local.flags.writeable = False
    return local


def _local_index(qubits: Sequence[int], within: Sequence[int]) -> NDArray[np.int64]:
    """Little-endian index over ``qubits`` of each index over ``within`` (both ascending)."""
    return bit_gather(tuple(within.index(q) for q in qubits), len(within))


@lru_cache(maxsize=4096)
def _expand_plan(
    targets: tuple[int, ...], controls: tuple[int, ...], width: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Flat indices for :func:`expand` with targets and controls at these bit positions:
    ``(out_at, from_at, one_at)``: ``out.flat[out_at] = matrix.flat[from_at]`` where the
    controls read 1, ``out.flat[one_at] = 1`` (identity) where they do not, 0 elsewhere."""
    dim = 1 << width
    index = np.arange(dim, dtype=np.int64)
    loc = bit_gather(targets, width)
    rest = index & ~sum(1 << p for p in targets)
    on = np.ones(dim, dtype=bool)
    for c in controls:
        on &= ((index >> c) & 1) == 1
    same = rest[:, None] == rest[None, :]
    use = same & on[:, None]
    identity = same & ~on[:, None] & (loc[:, None] == loc[None, :])
    source = loc[:, None] * (1 << len(targets)) + loc[None, :]
    out = (np.flatnonzero(use), source[use], np.flatnonzero(identity))
    for array in out:
        array.flags.writeable = False
    return out


def expand(
    matrix: Complex, targets: Sequence[int], qubits: Sequence[int], controls: Sequence[int] = ()
) -> Complex:
    """``matrix`` on ``targets`` (controlled by ``controls``) as a matrix over ``qubits``.

    All little-endian; ``qubits`` ascending and containing targets and controls.
    """
    if not controls and tuple(targets) == tuple(qubits):
        return matrix
    width = len(qubits)
    out_at, from_at, one_at = _expand_plan(
        tuple(qubits.index(q) for q in targets), tuple(qubits.index(c) for c in controls), width
    )
    out = np.zeros(1 << (2 * width), dtype=np.complex128)
    out[out_at] = np.asarray(matrix, dtype=np.complex128).reshape(-1)[from_at]
    out[one_at] = 1
    return out.reshape(1 << width, 1 << width)


def _little_endian(matrix: Complex, operands: Sequence[int]) -> tuple[tuple[int, ...], Complex]:
    """A textbook-order matrix on ``operands`` re-indexed little-endian over sorted operands."""
    k = len(operands)
    ordered = tuple(sorted(operands))
    # C-order tensor axes are most significant first: the highest qubit comes first
    axes = [list(operands).index(q) for q in reversed(ordered)]
    tensor = matrix.reshape((2,) * (2 * k)).transpose(axes + [a + k for a in axes])
    return ordered, np.ascontiguousarray(tensor.reshape(1 << k, 1 << k), dtype=np.complex128)


def classify(matrix: Complex) -> BlockKind:
    """``diagonal``, ``permutation`` (monomial) or ``dense``, from exact zeros in ``matrix``."""
    nonzero = matrix != 0
    if not np.any(nonzero & ~np.eye(matrix.shape[0], dtype=bool)):
        return "diagonal"
    if np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1):
        return "permutation"
    return "dense"


def make_block(
    matrix: Complex,
    targets: tuple[int, ...],
    controls: tuple[int, ...] = (),
    *,
    condition: Condition | None = None,
    gates: int = 1,
) -> Block:
    """The block of the little-endian ``matrix`` on ``targets``, of the kind its zeros allow."""
    kind = classify(matrix)
    if kind == "diagonal" and controls:
        qubits = tuple(sorted(targets + controls))
        full = expand(matrix, targets, qubits, controls)
        return Block("diagonal", qubits, np.diagonal(full).copy(), condition=condition, gates=gates)
    if kind == "diagonal":
        return Block(
            "diagonal", targets, np.diagonal(matrix).copy(), controls, None, condition, gates
        )
    if kind == "permutation":
        source = np.argmax(matrix != 0, axis=1).astype(np.int64)
        phases = matrix[np.arange(matrix.shape[0]), source].astype(np.complex128)
        return Block("permutation", targets, phases, controls, source, condition, gates)
    return Block("dense", targets, matrix, controls, None, condition, gates)


def block_from_instruction(op: Instruction) -> Block | None:
    """The block of a gate instruction; None for gates that do nothing (``id``, ``barrier``).

    Args:
        op: A unitary instruction with bound parameters (custom gates expanded).

    Returns:
        The block, or None.

    >>> from kvant.circuit import Instruction
    >>> block_from_instruction(Instruction("cz", (2, 0))).kind
    'diagonal'
    """
    if op.name in IDLE:
        return None
    if op.matrix is not None or op.definition is not None or op.name not in GATES:
        template = _template(np.asarray(op.unitary_matrix()), 0, _order(op.qubits))
    else:
        template = _library_template(op.name, op.numeric_params(), _order(op.qubits))
    kind, controls_at, targets_at, data, source = template
    controls = tuple(sorted(op.qubits[i] for i in controls_at))
    targets = tuple(sorted(op.qubits[i] for i in targets_at))
    return Block(kind, targets, data, controls, source, op.condition)


def _order(qubits: tuple[int, ...]) -> tuple[int, ...]:
    """The operands' ranks: gates whose operands are ordered alike share a template."""
    ranked = sorted(qubits)
    return tuple(ranked.index(q) for q in qubits)


_Template = tuple[BlockKind, tuple[int, ...], tuple[int, ...], Complex, NDArray[np.int64] | None]


@lru_cache(maxsize=4096)
def _library_template(name: str, params: tuple[float, ...], order: tuple[int, ...]) -> _Template:
    """A library gate's block on operands ranked ``order`` (memoised: circuits repeat gates;
    the arrays are read-only, since blocks share them)."""
    spec = GATES[name]
    controls = 0 if spec.diagonal else _CONTROLS.get(name, 0)
    template = _template(np.asarray(spec.matrix(*params)), controls, order)
    for array in (template[3], template[4]):
        if array is not None:
            array.flags.writeable = False
    return template


def _template(full: Complex, num_controls: int, order: tuple[int, ...]) -> _Template:
    """Kind, control and target operand positions, data and source of a gate's block, with
    the operands standing for qubits of ranks ``order`` (targets re-indexed little-endian)."""
    operands = order[num_controls:]
    start = full.shape[0] - (1 << len(operands))  # controlled(base): base is the last block
    targets, matrix = _little_endian(full[start:, start:], operands)
    block = make_block(matrix, targets, tuple(sorted(order[:num_controls])))
    positions = {rank: i for i, rank in enumerate(order)}
    return (
        block.kind,
        tuple(positions[r] for r in block.controls),
        tuple(positions[r] for r in block.targets),
        block.data,
        block.source,
    )


def merge_blocks(first: Block, second: Block) -> Block:
    """One block equal to ``first`` followed by ``second`` (on the union of their qubits).

    Two diagonals give a diagonal; otherwise the product's zeros decide the kind, and controls
    become targets.
    """
    if first.kind == "diagonal" and second.kind == "diagonal":
        qubits = tuple(sorted(set(first.targets) | set(second.targets)))
        diag = first.data[_local_index(first.targets, qubits)]
        diag = diag * second.data[_local_index(second.targets, qubits)]
        return Block("diagonal", qubits, diag, gates=first.gates + second.gates)
    qubits = tuple(sorted(set(first.qubits) | set(second.qubits)))
    a = expand(first.target_matrix(), first.targets, qubits, first.controls)
    b = expand(second.target_matrix(), second.targets, qubits, second.controls)
    gates = first.gates + second.gates
    if "dense" in (first.kind, second.kind):  # the product of a dense block stays dense
        return Block("dense", qubits, np.ascontiguousarray(b @ a), gates=gates)
    return replace(make_block(b @ a, qubits, gates=gates), condition=None)
