"""Device helpers of the suite: sub-devices, connected regions and lines, channel infidelity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from kvant.bench._emulator import kraus_ptm
from kvant.circuit import Circuit
from kvant.device import Calibration, Topology, choose_layout
from kvant.errors import ConfigError
from kvant.sim import KrausChannel

__all__ = ["average_gate_infidelity", "connected_line", "qv_region", "restrict"]


def average_gate_infidelity(channel: KrausChannel | None) -> float:
    """``1 - F_avg`` with ``F_avg = (d F_pro + 1) / (d + 1)`` (Horodecki et al., PRA 60, 1888,
    1999; Nielsen, Phys. Lett. A 303, 249, 2002, eq. 3) and ``F_pro = Tr(R) / d^2`` from the
    channel's Pauli transfer matrix ``R``; 0 for no channel.

    >>> from kvant.device import depolarizing_channel
    >>> round(average_gate_infidelity(depolarizing_channel(0.01, [0])), 12)
    0.005
    """
    if channel is None:
        return 0.0
    ptm = kraus_ptm(channel.operators)
    d = channel.dim
    f_pro = float(np.trace(ptm)) / d**2
    return 1.0 - (d * f_pro + 1) / (d + 1)


def connected_line(topology: Topology, length: int, qubits: Sequence[int]) -> tuple[int, ...]:
    """A simple path of ``length`` coupled qubits among ``qubits`` (depth-first search)."""
    allowed = set(qubits)
    neighbours: dict[int, list[int]] = {q: [] for q in allowed}
    for a, b in topology.couplers:
        if a in allowed and b in allowed:
            neighbours[a].append(b)
            neighbours[b].append(a)

    def extend(path: list[int]) -> list[int] | None:
        if len(path) == length:
            return path
        for nxt in sorted(neighbours[path[-1]]):
            if nxt not in path:
                found = extend([*path, nxt])
                if found:
                    return found
        return None

    for start in sorted(allowed):
        found = extend([start])
        if found:
            return tuple(found)
    raise ConfigError(f"no line of {length} coupled qubits among {sorted(allowed)}")


def restrict(calibration: Calibration, qubits: Sequence[int]) -> Calibration:
    """The device cut down to ``qubits`` (renumbered ``0..k-1`` in the given order) and the
    couplers among them. The noise model is local, so a circuit on this sub-device has
    exactly the noise it has on those qubits of the whole device.

    >>> from kvant.device import load_device
    >>> sub = restrict(load_device("grid-2x3"), (1, 2, 4, 5))
    >>> sub.num_qubits, sub.topology.couplers
    (4, ((0, 1), (0, 2), (1, 3), (2, 3)))
    """
    index = {int(q): i for i, q in enumerate(qubits)}
    if len(index) != len(qubits):
        raise ConfigError(f"restrict needs distinct qubits, got {list(qubits)}")
    pairs = [c for c in calibration.couplers if c.qubits[0] in index and c.qubits[1] in index]
    positions = tuple(calibration.topology.positions[q] for q in index)
    topology = Topology(
        f"{calibration.name}[{','.join(str(q) for q in index)}]",
        len(index),
        tuple((index[c.qubits[0]], index[c.qubits[1]]) for c in pairs),
        positions,
    )
    couplers = tuple(replace(c, qubits=(index[c.qubits[0]], index[c.qubits[1]])) for c in pairs)
    return Calibration(
        topology,
        tuple(calibration.qubit(q) for q in index),
        couplers,
        f"{calibration.source} (qubits {list(index)})",
        calibration.date,
    )


def qv_region(
    calibration: Calibration, circuit: Circuit, allowed: Sequence[int]
) -> tuple[int, ...]:
    """Connected device qubits for a QV circuit: the router's best placement, restricted to
    ``allowed`` (so that routing never leaves the region and the density matrix stays small)."""
    sub = restrict(calibration, allowed)
    placed = choose_layout(circuit, sub, "best")
    region = tuple(sorted(int(allowed[q]) for q in placed))
    seen, todo = {region[0]}, [region[0]]
    members = set(region)
    while todo:
        q = todo.pop()
        for a, b in calibration.topology.couplers:
            for x, y in ((a, b), (b, a)):
                if x == q and y in members and y not in seen:
                    seen.add(y)
                    todo.append(y)
    if len(seen) != len(region):
        raise ConfigError(f"no connected region of {len(region)} qubits for quantum volume")
    return region
