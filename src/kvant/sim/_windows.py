"""Cache blocking: group blocks into passes that each sweep the state once.

A :class:`Window` names ``window_qubits`` qubits. The state splits into ``2**(n - w)`` chunks,
one per value of the other ("outer") qubits; a chunk's ``2**w`` amplitudes fit in cache (or in
a GPU's shared memory), so one pass over memory applies every block of the window to each chunk
in turn. A block belongs in a window when its moving qubits (targets of dense and permutation
blocks) are window qubits: its controls may be outer qubits (then it runs on the chunks where
they read 1) and a diagonal may touch any qubit.

The first ``lane_qubits`` window qubits are *lanes*: local bits ``0..lane_qubits-1`` of a
chunk, on which no block moves amplitudes, so every kernel loops over at least ``2**lanes``
contiguous amplitudes and vectorises. A lane may be a control: the kernels then blend old and new
values by the lane bits (a select per amplitude, no branch). Lanes are picked once the window's
blocks are chosen: the lowest qubits that no block of the window moves, and the rest of the
window is filled with the lowest free qubits. Qubits ``0..low_qubits-1`` are always in the
window: those that no block moves are the lowest unmoved qubits, so they are lanes and cost no
room (for ``low_qubits <= lane_qubits``). A chunk is then read from memory in contiguous runs of
at least ``2**low_qubits`` amplitudes, and the copy into the chunk buffer permutes amplitudes
only within a run. (Lanes chosen beforehand, as the qubits used furthest ahead, were mostly high
qubits: chunks read in runs of 8 to 64 amplitudes scattered over the state, 2 to 9 times slower
per amplitude than a contiguous chunk; quantum volume at 24 qubits spent 60% of its time there.
Lanes that could not be controls left windows full of CX controls on qubits 3-6 with those
qubits outside, and such chunks were copied in tiles at 2-5 times the cost of long runs:
random Clifford+T at 26 qubits, 9 of 21 passes.)

Scheduling is greedy and keeps the circuit's meaning. Blocks form a dependency graph (B after A
when they share a qubit on which one of them moves amplitudes; blocks diagonal on every shared
qubit, such as two diagonals or a diagonal and a control, commute). A window repeatedly takes
the ready block that adds the fewest qubits to its body (the window qubits other than lanes;
ties: the earliest), until no ready block fits; following dependencies this way grows windows
along light cones (quantum volume at 24 qubits: 26 passes instead of 37 when blocks are taken
in circuit order). A low qubit that no block moves costs nothing (it will be a lane), so it
counts only once a block moves it (counting it as free filled H+CZ windows with moves of low
qubits first: 21 passes at 20 qubits against 16).
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
            the first ``lane_qubits`` are lanes (no block moves them; they may be controls),
            the rest by how many of the window's blocks use them, least used first (kernels
            loop over ``2**b`` contiguous amplitudes below the lowest local bit b they touch,
            and long loops are faster).
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


#: Qubits the greedy counts as free when it ranks blocks, one plan per entry (the first is the
#: default): the greedy is myopic and no single rule is best. Quantum volume at 26 qubits takes
#: 32, 30 and 31 passes with these; H+CZ at 24 takes 23, 25 and 24.
_TIE_BREAKS: tuple[frozenset[int], ...] = (frozenset(), frozenset(range(3)), frozenset(range(2)))


def _one_window(
    blocks: Sequence[Block],
    moves: Sequence[frozenset[int]],
    graph: _Graph,
    num_qubits: int,
    sizes: tuple[int, int, int],
    free: frozenset[int],
) -> Window:
    """Fill one window from the ready blocks: repeatedly take the ready block that adds the
    fewest qubits to the window's body (its qubits other than lanes; qubits in ``free`` do not
    count; then the earliest), until none fits; then pick the lanes."""
    window_qubits, lane_qubits, low = sizes
    room = window_qubits - lane_qubits
    low_qubits = range(low)

    def body_of(moving: set[int]) -> set[int]:
        # qubits that must be window qubits but not lanes: the moving qubits, and the low
        # qubits left over when the unmoved low qubits outnumber the lanes
        if low <= lane_qubits:
            return moving
        return moving | set([q for q in low_qubits if q not in moving][lane_qubits:])

    moving: set[int] = set()
    body: set[int] = set()
    taken: list[Block] = []
    while True:
        best: tuple[int, int] | None = None
        for index in graph.ready:
            if moves[index] <= moving:
                key = (0, index)  # adds nothing: the best there is, or tied with it
                if best is None or key < best:
                    best = key
                continue
            needs = moving | moves[index]
            grown = body_of(needs)
            if len(grown) > room or num_qubits - len(needs) < lane_qubits:
                continue
            key = (len(grown - body - free), index)
            if best is None or key < best:
                best = key
        if best is None:
            break
        graph.take(best[1])
        taken.append(blocks[best[1]])
        moving |= moves[best[1]]
        body = set(body_of(moving))
    if not taken:
        raise ConfigError(  # unreachable for the sizes the engines use; a guard, not a path
            f"no block fits a window of {window_qubits} qubits with {lane_qubits} lanes"
        )
    # lanes: the lowest qubits no block moves, so a chunk is read in long contiguous runs and
    # the copy transposes only within them
    lanes = tuple(q for q in range(num_qubits) if q not in moving)[:lane_qubits]
    body -= set(lanes)
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
    thorough: bool = False,
) -> list[Window]:
    """Group unconditioned ``blocks`` into passes over windows of ``window_qubits`` qubits.

    Args:
        blocks: Blocks in circuit order (no conditions).
        num_qubits: Qubits of the state.
        window_qubits: Qubits per window (at most ``num_qubits``).
        lane_qubits: Lanes per window; ``window_qubits - lane_qubits`` must be at least the
            largest block's qubit count plus the low qubits that cannot be lanes
            (``max(low_qubits - lane_qubits, 0)``).
        low_qubits: Qubits ``0..low_qubits-1`` belong to every window (as lanes or not), so a
            chunk is read from memory in runs of at least ``2**low_qubits`` amplitudes.
        thorough: Plan with each of the greedy's tie-breaks (:data:`_TIE_BREAKS`) and keep the
            plan with the fewest windows (planning costs a few ms more per tie-break; worth it
            when a pass over the state costs more, from about 22 qubits).

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
    if widest + max(low_qubits - lane_qubits, 0) > window_qubits - lane_qubits:
        raise ConfigError(
            f"a block on {widest} qubits does not fit a window of {window_qubits} qubits "
            f"with {lane_qubits} lanes and {low_qubits} low qubits"
        )
    if any(block.condition is not None for block in blocks):
        raise ConfigError("plan_windows takes unconditioned blocks only")
    sizes = (window_qubits, lane_qubits, low_qubits)
    moves = [frozenset(block.moving_qubits) for block in blocks]
    best: list[Window] = []
    for free in _TIE_BREAKS[: len(_TIE_BREAKS) if thorough else 1]:
        graph = _Graph(blocks)
        windows: list[Window] = []
        while not all(graph.done):
            windows.append(_one_window(blocks, moves, graph, num_qubits, sizes, free))
        if not best or len(windows) < len(best):
            best = windows
    return best
