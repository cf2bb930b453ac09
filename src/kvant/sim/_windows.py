"""Cache blocking: group blocks into passes that each sweep the state once.

A :class:`Window` names ``window_qubits`` qubits. The state splits into ``2**(n - w)`` chunks,
one per value of the other ("outer") qubits; a chunk's ``2**w`` amplitudes fit in cache (or in
a GPU's shared memory), so one pass over memory applies every block of the window to each chunk
in turn. A block belongs in a window when its moving qubits (targets of dense and permutation
blocks) are window qubits: its controls may be outer qubits (then it runs on the chunks where
they read 1) and a diagonal may touch any qubit.

The first ``lane_qubits`` window qubits are *lanes*: local bits ``0..lane_qubits-1`` of a
chunk, on which no block moves amplitudes, so every kernel loops over at least ``2**lanes``
contiguous amplitudes and vectorises. Lanes are picked among the qubits whose next use as a
moving or control qubit lies furthest ahead.

Scheduling is greedy and keeps the circuit's meaning: blocks are scanned in order; a block is
taken if it fits and commutes with every block deferred so far (two blocks commute when, on each
qubit they share, both are diagonal: a diagonal block, or a control), otherwise it is deferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kvant.errors import ConfigError
from kvant.sim._blocks import Block

__all__ = ["Window", "plan_windows"]


@dataclass(frozen=True, eq=False)
class Window:
    """One pass over the state.

    Attributes:
        qubits: Window qubits in local bit order: local bit m of a chunk holds ``qubits[m]``;
            the first ``lane_qubits`` are lanes, the rest ascending.
        lane_qubits: How many leading entries of ``qubits`` are lanes.
        blocks: The blocks applied to each chunk, in order.
    """

    qubits: tuple[int, ...]
    lane_qubits: int
    blocks: tuple[Block, ...]

    def outer_qubits(self, num_qubits: int) -> tuple[int, ...]:
        """Qubits outside the window, ascending: bit j of a chunk number is ``outer[j]``."""
        inside = set(self.qubits)
        return tuple(q for q in range(num_qubits) if q not in inside)


def _control_qubits(block: Block) -> tuple[int, ...]:
    return () if block.kind == "diagonal" else block.controls


def _choose_lanes(blocks: Sequence[Block], num_qubits: int, lanes: int) -> tuple[int, ...]:
    """The ``lanes`` qubits whose next use as a moving or control qubit comes last."""
    if lanes == 0:
        return ()
    horizon = len(blocks)
    next_use = dict.fromkeys(range(num_qubits), horizon)
    pending = set(range(num_qubits))
    for index, block in enumerate(blocks):
        for q in (*block.moving_qubits, *_control_qubits(block)):
            if q in pending:
                next_use[q] = index
                pending.discard(q)
        if not pending:
            break
    ranked = sorted(range(num_qubits), key=lambda q: (-next_use[q], q))
    return tuple(sorted(ranked[:lanes]))


def _one_window(
    blocks: Sequence[Block], num_qubits: int, window_qubits: int, lane_qubits: int
) -> tuple[Window, list[Block]]:
    lanes = _choose_lanes(blocks, num_qubits, lane_qubits)
    lane_set = set(lanes)
    room = window_qubits - lane_qubits
    moving: set[int] = set()
    taken: list[Block] = []
    deferred: list[Block] = []
    deferred_moving: set[int] = set()  # qubits a deferred block moves
    deferred_diagonal: set[int] = set()  # qubits a deferred block touches diagonally
    for index, block in enumerate(blocks):
        if len(deferred_moving) == num_qubits:
            deferred.extend(blocks[index:])
            break
        needs = set(block.moving_qubits)
        controls = set(_control_qubits(block))
        commutes = not (set(block.qubits) & deferred_moving) and not (needs & deferred_diagonal)
        fits = (
            not (needs | controls) & lane_set
            and len(moving | needs) <= room
            and block.condition is None
        )
        if commutes and fits:
            taken.append(block)
            moving |= needs
        else:
            deferred.append(block)
            deferred_moving |= needs
            deferred_diagonal |= set(block.qubits) - needs
    if not taken:
        raise ConfigError(  # unreachable for the sizes the engines use; a guard, not a path
            f"no block fits a window of {window_qubits} qubits with {lane_qubits} lanes"
        )
    filler = [q for q in range(num_qubits) if q not in lane_set and q not in moving]
    body = sorted(moving | set(filler[: room - len(moving)]))
    return Window((*lanes, *body), lane_qubits, tuple(taken)), deferred


def plan_windows(
    blocks: Sequence[Block], num_qubits: int, *, window_qubits: int, lane_qubits: int
) -> list[Window]:
    """Group unconditioned ``blocks`` into passes over windows of ``window_qubits`` qubits.

    Args:
        blocks: Blocks in circuit order (no conditions).
        num_qubits: Qubits of the state.
        window_qubits: Qubits per window (at most ``num_qubits``).
        lane_qubits: Lanes per window; ``window_qubits - lane_qubits`` must be at least the
            largest block's qubit count.

    Returns:
        The windows; applying them in order equals applying the blocks in order.

    Raises:
        ConfigError: For sizes that cannot hold the blocks.

    >>> from kvant.circuit import Circuit
    >>> from kvant.sim._fusion import fuse
    >>> blocks = fuse(Circuit(4).h(0).cx(0, 1).h(3).cz(2, 3))
    >>> [w.qubits for w in plan_windows(blocks, 4, window_qubits=3, lane_qubits=1)]
    [(3, 0, 1), (0, 2, 3)]
    """
    if not 0 <= lane_qubits < window_qubits <= num_qubits:
        raise ConfigError(
            f"need 0 <= lane_qubits < window_qubits <= num_qubits, got {lane_qubits}, "
            f"{window_qubits}, {num_qubits}"
        )
    widest = max((len(b.qubits) for b in blocks if b.kind != "diagonal"), default=0)
    if widest > window_qubits - lane_qubits:
        raise ConfigError(
            f"a block on {widest} qubits does not fit a window of {window_qubits} qubits "
            f"with {lane_qubits} lanes"
        )
    windows: list[Window] = []
    remaining = list(blocks)
    while remaining:
        window, remaining = _one_window(remaining, num_qubits, window_qubits, lane_qubits)
        windows.append(window)
    return windows
