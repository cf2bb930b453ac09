"""Gate fusion for simulation: merge neighbouring gates into blocks when that is cheaper.

The pass walks the circuit once. Each gate becomes a :class:`~kvant.sim._blocks.Block`
(diagonal, permutation or dense, controls kept); it then tries to join the most recent block on
its qubits, which is legal because no later operation touches those qubits. It joins when the
union has at most ``max_block_qubits`` qubits (``max_diagonal_qubits`` for two diagonals) and
the cost model says the merged block is no dearer than the two apart. Diagonals always merge,
and a diagonal gate also joins the latest diagonal block when nothing after that block touches
its qubits, so runs of CZ/CP/RZ/RZZ/P/T on any qubits become one diagonal pass even when they
share no qubit. A single-qubit gate is absorbed by a dense two-qubit block on the same qubits
for free, while fusing it into a cheap diagonal or permutation is refused when the dense block
would cost more.

Measurements, resets and classically conditioned gates are never fused and stop fusion on
their qubits (a conditioned gate or a measurement on another qubit does not: gates commute
past it). Barriers, delays and identities are dropped: they do nothing on an ideal state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from kvant.circuit import Circuit, Instruction
from kvant.errors import ConfigError
from kvant.sim._blocks import IDLE, Block, block_from_instruction, merge_blocks
from kvant.sim._program import require_bound

__all__ = ["CPU_COST", "FusionCost", "blocks_to_circuit", "fuse"]

#: Largest dense block any backend applies (32 x 32 matrices).
MAX_BLOCK_QUBITS = 5


@dataclass(frozen=True)
class FusionCost:
    """What applying a block costs on one backend, per amplitude of the state.

    Attributes:
        dense: Cost of a dense block on 1, 2, ... qubits (index k - 1).
        permutation: Cost of a permutation block on 1, 2, ... qubits (index k - 1) whose
            phases are all 1.
        diagonal: Cost of a diagonal block (any size up to ``max_diagonal_qubits``).
        phase: Extra cost of a permutation block with phases other than 1.
        max_block_qubits: Largest dense or permutation block fusion may build.
        max_diagonal_qubits: Largest diagonal block fusion may build.

    A block with c controls touches ``2**-c`` of the state and costs that fraction.
    """

    dense: tuple[float, ...]
    permutation: tuple[float, ...]
    diagonal: float
    phase: float = 0.0
    max_block_qubits: int = 4
    max_diagonal_qubits: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.max_block_qubits <= min(len(self.dense), MAX_BLOCK_QUBITS):
            raise ConfigError(
                f"max_block_qubits must be in 1..{min(len(self.dense), MAX_BLOCK_QUBITS)}, "
                f"got {self.max_block_qubits}"
            )
        if self.max_diagonal_qubits < 2:
            raise ConfigError(f"max_diagonal_qubits must be >= 2, got {self.max_diagonal_qubits}")

    def with_max_block(self, max_block_qubits: int) -> FusionCost:
        """The same costs with another ``max_block_qubits``."""
        return replace(self, max_block_qubits=max_block_qubits)

    def of(self, block: Block) -> float:
        """Cost of applying ``block`` once."""
        if block.kind == "diagonal":
            return self.diagonal
        k = len(block.targets)
        table = self.dense if block.kind == "dense" else self.permutation
        cost = table[k - 1] if k <= len(table) else float("inf")
        if block.kind == "permutation" and np.any(block.data != 1):
            cost += self.phase
        return cost * 0.5 ** len(block.controls)


#: The Numba engine's in-cache kernels, ns per amplitude per core, complex64, measured with
#: ``python -m kvant.sim._calibrate`` on the benchmark machine (2-core Xeon, Emerald Rapids,
#: 512-bit vectors), minimum of 7 runs: dense 0.17 0.24 1.5 1.8 3.5; permutation 0.08 0.24 -
#: 0.53 (+0.1 with phases); diagonal 0.19-0.27. The 1- and 2-qubit dense kernels are unrolled,
#: larger ones generic, so in-cache fusion rarely builds blocks beyond 2 qubits: a merge pays
#: when the product is no wider than its widest member (a 1-qubit gate absorbed by a 2-qubit
#: block costs nothing) or, as for an H next to a CZ, when one 2-qubit pass replaces two
#: cheaper ones. complex128 costs about twice as much throughout, so the same choices hold.
CPU_COST = FusionCost(
    dense=(0.17, 0.24, 1.5, 1.8, 3.5),
    permutation=(0.08, 0.24, 0.4, 0.53, 0.9),
    diagonal=0.19,
    phase=0.1,
    max_block_qubits=4,
    max_diagonal_qubits=8,
)


def _merged_cost(first: Block, second: Block, union: int, cost: FusionCost) -> float:
    """Cost of the block :func:`merge_blocks` would build, without building it: a product with
    a dense block is dense, one of permutations and diagonals a permutation (with phases if a
    diagonal or a phase is involved); controls become targets."""
    kinds = {first.kind, second.kind}
    if "dense" in kinds:
        return cost.dense[union - 1] if union <= len(cost.dense) else float("inf")
    if union > len(cost.permutation):
        return float("inf")
    phased = "diagonal" in kinds or bool(np.any(first.data != 1) or np.any(second.data != 1))
    return cost.permutation[union - 1] + (cost.phase if phased else 0.0)


def _try_merge(first: Block, second: Block, cost: FusionCost) -> Block | None:
    union = len(set(first.qubits) | set(second.qubits))
    if first.kind == "diagonal" and second.kind == "diagonal":
        return merge_blocks(first, second) if union <= cost.max_diagonal_qubits else None
    if union > cost.max_block_qubits:
        return None
    if _merged_cost(first, second, union, cost) > (cost.of(first) + cost.of(second)) * (1 + 1e-9):
        return None
    return merge_blocks(first, second)


def _instructions(source: Circuit | Sequence[Instruction]) -> Sequence[Instruction]:
    if isinstance(source, Circuit):
        require_bound(source)
        return (source.decompose() if source.definitions else source).instructions
    return source


def fuse(
    source: Circuit | Sequence[Instruction],
    *,
    max_block_qubits: int | None = None,
    cost: FusionCost = CPU_COST,
) -> list[Block | Instruction]:
    """Fuse the gates of a circuit into blocks.

    Args:
        source: A circuit (custom gates are expanded; parameters must be bound) or a list of
            flat instructions.
        max_block_qubits: Largest dense block to build (1..5); default: the cost model's.
        cost: The backend's cost model (default: the Numba engine's).

    Returns:
        Blocks and, in place, the measurements and resets (as instructions), in an order that
        is equivalent to the circuit's. Conditioned gates are blocks with a ``condition``.

    Raises:
        ConfigError: For a bad ``max_block_qubits``.
        UnboundParameterError: If the circuit has free parameters.

    >>> from kvant.circuit import Circuit
    >>> circuit = Circuit(3, 1).h(0).cz(0, 1).cz(1, 2).t(2).cx(0, 2).measure(1, 0).rx(0.5, 1)
    >>> items = fuse(circuit)
    >>> [(b.kind, b.qubits) for b in items if isinstance(b, Block)]
    [('dense', (0, 1)), ('diagonal', (1, 2)), ('permutation', (0, 2)), ('dense', (1,))]
    >>> [op.name for op in items if isinstance(op, Instruction)]
    ['measure']
    """
    if max_block_qubits is not None:
        cost = cost.with_max_block(max_block_qubits)
    items: list[Block | Instruction] = []
    last: dict[int, int] = {}  # qubit -> index in items of the latest item touching it
    last_diagonal = -1  # index of the latest unconditioned diagonal block
    for op in _instructions(source):
        if op.name in IDLE:
            continue
        block = block_from_instruction(op) if op.is_unitary else None
        if op.is_unitary and block is None:
            continue
        if block is not None and block.condition is None:
            position = max((last.get(q, -1) for q in block.qubits), default=-1)
            if block.kind == "diagonal" and last_diagonal > position:
                position = last_diagonal  # nothing after it touches these qubits: join it
            target = items[position] if position >= 0 else None
            if isinstance(target, Block) and target.condition is None:
                merged = _try_merge(target, block, cost)
                if merged is not None:
                    items[position] = merged
                    last.update((q, max(last.get(q, -1), position)) for q in merged.qubits)
                    continue
        item: Block | Instruction = op if block is None else block
        items.append(item)
        last.update(dict.fromkeys(op.qubits, len(items) - 1))
        if block is not None and block.kind == "diagonal" and block.condition is None:
            last_diagonal = len(items) - 1
    return items


def blocks_to_circuit(items: Sequence[Block | Instruction], like: Circuit) -> Circuit:
    """A circuit with ``unitary`` instructions for the blocks, registers copied from ``like``.

    For checking a fusion: its :func:`~kvant.testing.dense_unitary` equals the original's.

    >>> from kvant.circuit import Circuit
    >>> circuit = Circuit(2).h(0).cx(0, 1)
    >>> blocks_to_circuit(fuse(circuit), circuit).count_ops()
    {'unitary': 2}
    """
    out = Circuit(name=like.name)
    for reg in like.qregs:
        out.add_qreg(reg.name, reg.size)
    for reg in like.cregs:
        out.add_creg(reg.name, reg.size)
    for item in items:
        if isinstance(item, Instruction):
            out.append(item)
            continue
        # little-endian over ascending qubits == textbook order over descending qubits
        out.unitary(item.unitary(), list(reversed(item.qubits)))
        if item.condition is not None:
            out.c_if(list(item.condition.clbits), item.condition.value)
    return out
