"""Small circuits on the big device: a compact layout, routing that stays on it, and runs that
simulate only the qubits the circuit touches, with the same noisy distribution as on the
restricted sub-device."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.bench import restrict
from kvant.circuit import Circuit
from kvant.device import Calibration, NoiseModel, choose_layout, run_on_device, transpile
from kvant.sim import DensityMatrixEngine
from kvant.testing import dense_distribution


def qv_like(width: int, seed: int) -> Circuit:
    """Quantum-volume pattern (Cross et al., PRA 100, 032328 (2019)): ``width`` layers, each a
    random pairing of the qubits with a random 2-qubit block on every pair."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(width)
    for _ in range(width):
        order = rng.permutation(width)
        for a, b in order[: width - width % 2].reshape(-1, 2).tolist():
            t = rng.uniform(0, 2 * math.pi, 4)
            circuit.ry(t[0], a).rz(t[1], b).cx(a, b).ry(t[2], a).rz(t[3], b).cx(b, a)
    return circuit.measure_all()


def grid_distance(a: int, b: int, columns: int = 10) -> int:
    """Manhattan distance on the kvant-50 grid (5 x 10, qubit = row * 10 + column)."""
    return abs(a // columns - b // columns) + abs(a % columns - b % columns)


def subgraph_distances(calibration: Calibration, qubits: list[int]) -> dict[tuple[int, int], int]:
    """Shortest-path lengths using only couplers among ``qubits`` (breadth-first search)."""
    members = set(qubits)
    out: dict[tuple[int, int], int] = {}
    for start in qubits:
        seen, frontier, d = {start: 0}, [start], 0
        while frontier:
            d += 1
            frontier = [
                nb
                for q in frontier
                for nb in calibration.topology.neighbours(q)
                if nb in members and nb not in seen and seen.setdefault(nb, d) == d
            ]
        out.update({(start, q): dist for q, dist in seen.items()})
    return out


@pytest.mark.parametrize("width", range(2, 13))
def test_layout_is_a_near_square_patch(kvant50: Calibration, width: int) -> None:
    layout = sorted(choose_layout(qv_like(width, width), kvant50, "best"))
    inner = subgraph_distances(kvant50, layout)
    # connected, and every pair joined by a shortest grid path inside the patch
    assert len(inner) == width * width
    assert all(inner[a, b] == grid_distance(a, b) for a in layout for b in layout)
    # no wider than the a x ceil(n/a) rectangle, a = ceil(sqrt(n)) (a line of 7 has diameter 6)
    side = math.ceil(math.sqrt(width))
    diameter = max(grid_distance(a, b) for a in layout for b in layout)
    assert diameter <= side + math.ceil(width / side) - 2


@pytest.mark.parametrize("width", [5, 7])
def test_routing_stays_on_the_layout(kvant50: Calibration, width: int) -> None:
    # The layout is a patch in which every pair of qubits has a shortest device path (test
    # above), and routing prefers shortest-path steps onto qubits already in use, so it never
    # needs a qubit outside the layout: the bound is the width itself (before the fix a width-7
    # circuit spread over 9 or 10 device qubits).
    for seed in range(4):
        t = transpile(qv_like(width, 100 + seed), kvant50)
        assert t.added_swaps > 0  # the pairings need routing, so the bound is not trivial
        assert set(t.physical_qubits) == set(t.initial_layout) == set(t.final_layout)
        assert t.circuit.num_qubits == width
    # the ideal circuit is still implemented exactly
    t = transpile(qv_like(5, 7), kvant50)
    got, want = dense_distribution(t.circuit), dense_distribution(qv_like(5, 7))
    assert set(got) == set(want)
    assert all(got[k] == pytest.approx(v, abs=1e-9) for k, v in want.items())


def test_untouched_qubits_are_left_out(kvant50: Calibration) -> None:
    circuit = Circuit(4, 2).h(0).cx(0, 2).barrier().measure(0, 0).measure(2, 1)
    run = run_on_device(circuit, kvant50, shots=500, seed=3, engine="density_matrix")
    assert len(run.transpiled.physical_qubits) == 2  # circuit qubits 1 and 3: nothing acts
    assert run.program.num_qubits == 2
    qubits = {q for op in run.program.operations for q in op.qubits}
    assert qubits == {0, 1}
    assert set(run.result.counts) <= {"00", "01", "10", "11"}
    assert sum(run.result.counts.values()) == 500


@pytest.mark.parametrize(("width", "seed"), [(3, 1), (4, 2), (5, 3), (7, 4)])
def test_full_device_equals_restricted_sub_device(
    kvant50: Calibration, width: int, seed: int
) -> None:
    circuit = qv_like(width, seed)
    full = run_on_device(circuit, kvant50, shots=2000, seed=seed, engine="density_matrix")
    qubits = full.transpiled.physical_qubits
    sub = restrict(kvant50, qubits)
    index = {q: i for i, q in enumerate(qubits)}
    local = run_on_device(
        circuit,
        sub,
        shots=2000,
        seed=seed,
        engine="density_matrix",
        layout=[index[q] for q in full.transpiled.initial_layout],
    )
    assert local.transpiled.added_swaps == full.transpiled.added_swaps
    engine = DensityMatrixEngine()
    want = engine.distribution(full.program)
    got = engine.distribution(local.program)
    assert set(got) == set(want)
    assert all(got[k] == pytest.approx(v, abs=1e-12) for k, v in want.items())
    assert local.result.counts == full.result.counts
    # and the noise model of the sub-device on the full run's own circuit gives the same
    program = NoiseModel.from_calibration(sub).noisy_program(full.transpiled.circuit)
    again = engine.distribution(program)
    assert all(again[k] == pytest.approx(v, abs=1e-12) for k, v in want.items())
