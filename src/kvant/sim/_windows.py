"""Cache blocking: group blocks into passes that each sweep the state once.

A :class:`Window` names ``window_qubits`` qubits. The state splits into ``2**(n - w)`` chunks,
one per value of the other ("outer") qubits; a chunk's ``2**w`` amplitudes fit in cache (or in
a GPU's shared memory), so one pass over memory applies every block of the window to each chunk
in turn. A block belongs in a window when its moving qubits (targets of dense and permutation
blocks) are window qubits: its controls may be outer qubits (then it runs on the chunks where
they read 1) and a diagonal may touch any qubit.

The first ``lane_qubits`` window qubits are *lanes*: local bits ``0..lane_qubits-1`` of a
chunk, on which no block moves amplitudes, so every kernel loops over at least ``2**lanes``
contiguous amplitudes and vectorises. Lanes are picked once the window's blocks are chosen: the
lowest qubits that no block of the window moves or controls, and the rest of the window is
filled with the lowest free qubits. The low qubits are then all in the window (except a control
left outside), so a chunk is read from memory in contiguous runs of ``2**lane_qubits``
amplitudes or (usually) far more, and the copy into the chunk buffer permutes amplitudes only
within a run. (Lanes chosen beforehand, as the qubits used furthest ahead, were mostly high
qubits: chunks read in runs of 8 to 64 amplitudes scattered over the state, 2 to 9 times slower
per amplitude than a contiguous chunk; quantum volume at 24 qubits spent 60% of its time there.)

Scheduling is greedy and keeps the circuit's meaning. Blocks form a dependency graph (B after A
when they share a qubit on which one of them moves amplitudes; blocks diagonal on every shared
qubit, such as two diagonals or a diagonal and a control, commute). A window repeatedly takes
the ready block that adds the fewest new qubits to it (ties: the earliest), until no ready
block fits; following dependencies this way grows windows along light cones (quantum volume at
24 qubits: 27 passes instead of 37 when blocks are taken in circuit order).
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
            the first ``lane_qubits`` are lanes, the rest by how many of the window's blocks use
            them, least used first (kernels loop over ``2**b`` contiguous amplitudes below the
            lowest local bit b they touch, and long loops are faster).
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


class _Graph:
    """Dependencies between blocks: B follows A when they share a qubit on which one of them
    moves amplitudes (blocks that are diagonal on every shared qubit commute)."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.successors: list[list[int]] = [[] for _ in blocks]
        self.waiting = [0] * len(blocks)  # unscheduled predecessors
        last_moving: dict[int, int] = {}
        diagonal_since: dict[int, list[int]] = {}
        for index, block in enumerate(blocks):
            before: set[int] = set()
            moving = set(block.moving_qubits)
            for q in block.qubits:
                if q in last_moving:
                    before.add(last_moving[q])
                if q in moving:
                    before.update(diagonal_since.pop(q, ()))
                    last_moving[q] = index
                else:
                    diagonal_since.setdefault(q, []).append(index)
            for earlier in before:
                self.successors[earlier].append(index)
                self.waiting[index] += 1
        self.ready = {i for i, count in enumerate(self.waiting) if count == 0}
        self.done = [False] * len(blocks)

    def take(self, index: int) -> None:
        """Schedule a ready block; its successors may become ready."""
        self.ready.discard(index)
        self.done[index] = True
        for later in self.successors[index]:
            self.waiting[later] -= 1
            if self.waiting[later] == 0:
                self.ready.add(later)


def _one_window(
    blocks: Sequence[Block], graph: _Graph, num_qubits: int, sizes: tuple[int, int, int]
) -> Window:
    """Fill one window from the ready blocks: repeatedly take the ready block that adds the
    fewest new window qubits (then the earliest), until none fits; then pick the lanes."""
    window_qubits, lane_qubits, low = sizes
    room = window_qubits - lane_qubits
    low_set = set(range(low))

    def body_of(moving: set[int], controls: set[int]) -> set[int]:
        # qubits that must be window qubits but not lanes: moving qubits, and low qubits that
        # cannot be lanes (all of them when there are fewer lanes than low qubits)
        return moving | (low_set if lane_qubits < low else low_set & controls)

    moving: set[int] = set()
    controls: set[int] = set()  # controls of the window's non-diagonal blocks: never lanes
    taken: list[Block] = []
    while True:
        best: tuple[int, int] | None = None
        for index in graph.ready:
            block = blocks[index]
            needs = moving | set(block.moving_qubits)
            held = controls | set(_control_qubits(block))
            if len(body_of(needs, held)) > room or num_qubits - len(needs | held) < lane_qubits:
                continue
            key = (len(set(block.moving_qubits) - moving - low_set), index)
            if best is None or key < best:
                best = key
        if best is None:
            break
        block = blocks[best[1]]
        graph.take(best[1])
        taken.append(block)
        moving |= set(block.moving_qubits)
        controls |= set(_control_qubits(block))
    if not taken:
        raise ConfigError(  # unreachable for the sizes the engines use; a guard, not a path
            f"no block fits a window of {window_qubits} qubits with {lane_qubits} lanes"
        )
    # lanes: the lowest qubits no block moves or controls, so a chunk is read in long
    # contiguous runs and the copy transposes only within them
    lanes = tuple(q for q in range(num_qubits) if q not in moving and q not in controls)
    lanes = lanes[:lane_qubits]
    body = body_of(moving, controls) - set(lanes)
    filler = [q for q in range(num_qubits) if q not in lanes and q not in body]
    chosen = body | set(filler[: room - len(body)])
    uses = dict.fromkeys(range(num_qubits), 0)
    for block in taken:
        for q in block.qubits:
            uses[q] += 1
    # least used first: a kernel's inner loop runs over 2**(lowest bit it touches) contiguous
    # amplitudes, and loops of 32 are ~1.8x slower per amplitude than loops of 256 or more
    ordered = sorted(chosen, key=lambda q: (uses[q], q))
    return Window((*lanes, *ordered), lane_qubits, tuple(taken))


def plan_windows(
    blocks: Sequence[Block],
    num_qubits: int,
    *,
    window_qubits: int,
    lane_qubits: int,
    low_qubits: int = 0,
) -> list[Window]:
    """Group unconditioned ``blocks`` into passes over windows of ``window_qubits`` qubits.

    Args:
        blocks: Blocks in circuit order (no conditions).
        num_qubits: Qubits of the state.
        window_qubits: Qubits per window (at most ``num_qubits``).
        lane_qubits: Lanes per window; ``window_qubits - lane_qubits`` must be at least the
            largest block's qubit count plus ``low_qubits``.
        low_qubits: Qubits ``0..low_qubits-1`` belong to every window (as lanes or not), so a
            chunk is read from memory in runs of at least ``2**low_qubits`` amplitudes (a
            cache line: 3 for complex64, 2 for complex128).

    Returns:
        The windows; applying them in order equals applying the blocks in order.

    Raises:
        ConfigError: For sizes that cannot hold the blocks.

    >>> from kvant.circuit import Circuit
    >>> from kvant.sim._fusion import fuse
    >>> blocks = fuse(Circuit(4).h(0).cx(0, 1).h(3).cz(2, 3))
    >>> [w.qubits for w in plan_windows(blocks, 4, window_qubits=3, lane_qubits=1)]
    [(2, 1, 0), (0, 2, 3)]
    """
    if not 0 <= lane_qubits < window_qubits <= num_qubits:
        raise ConfigError(
            f"need 0 <= lane_qubits < window_qubits <= num_qubits, got {lane_qubits}, "
            f"{window_qubits}, {num_qubits}"
        )
    widest = max((len(b.qubits) for b in blocks if b.kind != "diagonal"), default=0)
    if widest + max(low_qubits, 0) > window_qubits - lane_qubits:
        raise ConfigError(
            f"a block on {widest} qubits does not fit a window of {window_qubits} qubits "
            f"with {lane_qubits} lanes and {low_qubits} low qubits"
        )
    if any(block.condition is not None for block in blocks):
        raise ConfigError("plan_windows takes unconditioned blocks only")
    graph = _Graph(blocks)
    windows: list[Window] = []
    sizes = (window_qubits, lane_qubits, low_qubits)
    while not all(graph.done):
        windows.append(_one_window(blocks, graph, num_qubits, sizes))
    return windows
