"""Layout (which device qubit holds which circuit qubit) and SWAP routing.

Layout ``"best"``: grow a connected set of exactly as many device qubits as the circuit has,
greedily from every starting qubit, adding at each step the neighbour with the lowest cost
(readout error + 5 x 1-qubit error + the error of the coupler that joins it, minus a
compactness bonus of one SWAP's error, 3 x the median CZ error, for each further coupler that
joins it to the set: a coupler inside the set saves SWAPs later), keep the cheapest set, then
place the circuit's qubits on that set only, one by one (most interacting first), each where it
is closest to its already placed partners (two tie-breaks tried, the one needing fewer SWAPs
kept). The set is a compact patch (a near-square on a
grid), so the circuit never occupies more device qubits than it has. ``"trivial"``: circuit
qubit i on device qubit i.

Routing: gates are taken in order; a 2-qubit gate on device qubits that are not coupled is
preceded by SWAPs along a shortest path, one end stepping towards the other. Each step is
chosen among all the shortest-path steps of either end: first one onto a device qubit the
circuit already uses (occupied or touched before), so routing does not wander onto idle
qubits while a shortest path inside the used set exists, then the one whose SWAP leaves the
next few 2-qubit gates (a lookahead window of 8) with the smaller total distance. Correct for
any connected coupling map; not optimal (the number of added SWAPs is reported so the quality
is visible).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Circuit, Instruction
from kvant.device._calibration import Calibration
from kvant.device._topology import Topology
from kvant.errors import CircuitError, ConfigError

__all__ = ["choose_layout", "route"]

_LOOKAHEAD = 8


def _interactions(circuit: Circuit) -> dict[tuple[int, int], int]:
    weights: dict[tuple[int, int], int] = {}
    for op in circuit:
        if op.is_unitary and len(op.qubits) == 2:
            a, b = sorted(op.qubits)
            weights[(a, b)] = weights.get((a, b), 0) + 1
    return weights


def _qubit_costs(calibration: Calibration) -> NDArray[np.float64]:
    return calibration.qubit_figure("readout_error") + 5 * calibration.qubit_figure("gate_error_1q")


def _best_region(calibration: Calibration, size: int) -> list[int]:
    topology = calibration.topology
    costs = _qubit_costs(calibration)
    cz_errors = [c.gate_error_2q for c in calibration.couplers]
    bonus = 3 * float(np.median(cz_errors)) if cz_errors else 0.0
    best: tuple[float, list[int]] | None = None
    for start in range(topology.num_qubits):
        region, total = [start], float(costs[start])
        chosen = {start}
        while len(region) < size:
            links: dict[int, list[float]] = {}
            for q in region:
                for nb in topology.neighbours(q):
                    if nb not in chosen:
                        links.setdefault(nb, []).append(calibration.coupler(q, nb).gate_error_2q)
            if not links:
                break
            cost, nb = min(
                (float(costs[nb]) + min(errs) - bonus * (len(errs) - 1), nb)
                for nb, errs in links.items()
            )
            region.append(nb)
            chosen.add(nb)
            total += cost
        if len(region) == size and (best is None or total < best[0]):
            best = (total, region)
    if best is None:
        raise CircuitError(f"{topology.name} has no connected set of {size} qubits")
    return best[1]


def choose_layout(
    circuit: Circuit, calibration: Calibration, layout: str | Sequence[int] = "best"
) -> tuple[int, ...]:
    """The device qubit of each circuit qubit.

    Args:
        circuit: The circuit (its 2-qubit gates guide the placement).
        calibration: The device.
        layout: ``"best"``, ``"trivial"`` or an explicit list of distinct device qubits.

    Returns:
        ``layout[i]`` = device qubit holding circuit qubit i.

    Raises:
        CircuitError: If the circuit has more qubits than the device.
        ConfigError: For an unknown method or an invalid explicit layout.

    >>> from kvant.circuit import Circuit
    >>> from kvant.device import load_device
    >>> choose_layout(Circuit(3).cx(0, 1), load_device("line-5"), "trivial")
    (0, 1, 2)
    """
    n, device = circuit.num_qubits, calibration.num_qubits
    if n > device:
        raise CircuitError(f"the circuit has {n} qubits but {calibration.name} only {device}")
    if not isinstance(layout, str):
        chosen = tuple(int(q) for q in layout)
        if len(chosen) != n or len(set(chosen)) != n or any(not 0 <= q < device for q in chosen):
            raise ConfigError(
                f"layout must list {n} distinct device qubits in 0..{device - 1}, "
                f"got {list(chosen)}"
            )
        return chosen
    if layout == "trivial":
        return tuple(range(n))
    if layout != "best":
        raise ConfigError(f"unknown layout {layout!r}; use 'best', 'trivial' or a list of qubits")
    if n == 0:
        return ()
    region = _best_region(calibration, n)
    # Four placements on the region: busiest or least busy qubit first, each spot chosen
    # keeping room next to it for later partners (good for dense circuits) or filling the
    # tightest spots first (Warnsdorff's rule, which threads a chain through the region from
    # one end); the one that routes with the fewest SWAPs wins.
    candidates = [
        _place(circuit, calibration, region, order, room) for order in (-1, 1) for room in (-1, 1)
    ]
    topology = calibration.topology
    return min(candidates, key=lambda c: (route(circuit, topology, c)[2], candidates.index(c)))


def _place(
    circuit: Circuit, calibration: Calibration, region: Sequence[int], order: int, room: int
) -> tuple[int, ...]:
    """Place the circuit's qubits on ``region`` one by one, each where it is closest to its
    placed partners; ties broken by ``room`` x free neighbours, then qubit cost."""
    n = circuit.num_qubits
    costs = _qubit_costs(calibration)
    distances = calibration.topology.distances()
    partners: list[dict[int, int]] = [{} for _ in range(n)]
    for (a, b), w in _interactions(circuit).items():
        partners[a][b] = partners[a].get(b, 0) + w
        partners[b][a] = partners[b].get(a, 0) + w
    placed: dict[int, int] = {}
    free = set(region)
    while len(placed) < n:
        # next: the circuit qubit most tied to those placed, then (order -1) the busiest or
        # (order +1) the least busy one that has partners, so a chain starts at an end
        q = max(
            (x for x in range(n) if x not in placed),
            key=lambda x: (
                sum(w for p, w in partners[x].items() if p in placed),
                len(partners[x]) > 0,
                -order * len(partners[x]),
                -x,
            ),
        )
        anchors = [(placed[p], w) for p, w in partners[q].items() if p in placed]

        def score(spot: int, anchors: list[tuple[int, int]] = anchors) -> tuple[int, float, int]:
            pull = int(sum(w * distances[spot, t] for t, w in anchors))
            space = sum(nb in free for nb in calibration.topology.neighbours(spot))
            return (pull, room * space + float(costs[spot]), spot)

        spot = min(free, key=score)
        placed[q] = spot
        free.remove(spot)
    return tuple(placed[q] for q in range(n))


def route(
    circuit: Circuit, topology: Topology, layout: Sequence[int]
) -> tuple[list[Instruction], tuple[int, ...], int]:
    """Map a circuit of 1- and 2-qubit gates onto device qubits, adding SWAPs where needed.

    Args:
        circuit: The circuit (no gate on more than two qubits).
        topology: The coupling map.
        layout: Device qubit of each circuit qubit at the start.

    Returns:
        ``(instructions, final_layout, added_swaps)``: the instructions on device qubits (``swap``
        for each added SWAP), where each circuit qubit ends up, and the number of SWAPs.

    Raises:
        CircuitError: For a gate on three or more qubits, or qubits in different components.

    >>> from kvant.circuit import Circuit
    >>> from kvant.device import Topology
    >>> ops, final, swaps = route(Circuit(3).cx(0, 2), Topology.line(3), (0, 1, 2))
    >>> swaps, [op.name for op in ops]
    (1, ['swap', 'cx'])
    """
    distances = topology.distances()
    l2p = list(layout)
    p2l = [-1] * topology.num_qubits
    for logical, physical in enumerate(l2p):
        p2l[physical] = logical
    ops = list(circuit)
    future = [i for i, op in enumerate(ops) if op.is_unitary and len(op.qubits) == 2]
    out: list[Instruction] = []
    used = set(l2p)  # device qubits the circuit occupies or has touched
    swaps = 0
    cursor = 0
    for index, op in enumerate(ops):
        if op.is_unitary and len(op.qubits) > 2:
            raise CircuitError(
                f"route needs 1- and 2-qubit gates; {op.name} acts on {len(op.qubits)}"
            )
        if op.is_unitary and len(op.qubits) == 2:
            while cursor < len(future) and future[cursor] <= index:
                cursor += 1
            window = [ops[i].qubits for i in future[cursor : cursor + _LOOKAHEAD]]
            a, b = op.qubits
            if distances[l2p[a], l2p[b]] < 0:
                raise CircuitError(
                    f"device qubits {l2p[a]} and {l2p[b]} are not connected on {topology.name}"
                )
            while distances[l2p[a], l2p[b]] > 1:
                ends = (l2p[a], l2p[b])
                options = [
                    (x, nb)
                    for x, y in (ends, ends[::-1])
                    for nb in topology.neighbours(x)
                    if distances[nb, y] == distances[x, y] - 1
                ]
                pair = min(
                    options,
                    key=lambda s: (
                        s[1] not in used,
                        _cost_after(s, window, l2p, p2l, distances),
                        s,
                    ),
                )
                _swap(pair, l2p, p2l)
                used.add(pair[1])
                out.append(Instruction("swap", pair))
                swaps += 1
        out.append(replace(op, qubits=tuple(l2p[q] for q in op.qubits)))
    return out, tuple(l2p), swaps


def _swap(pair: tuple[int, int], l2p: list[int], p2l: list[int]) -> None:
    x, y = pair
    lx, ly = p2l[x], p2l[y]
    p2l[x], p2l[y] = ly, lx
    if lx >= 0:
        l2p[lx] = y
    if ly >= 0:
        l2p[ly] = x


def _cost_after(
    pair: tuple[int, int],
    window: list[tuple[int, ...]],
    l2p: list[int],
    p2l: list[int],
    distances: NDArray[np.int64],
) -> int:
    trial_l2p, trial_p2l = list(l2p), list(p2l)
    _swap(pair, trial_l2p, trial_p2l)
    return int(sum(distances[trial_l2p[a], trial_l2p[b]] for a, b in window))
