"""Window planning: every block lands in exactly one window, the windows' rules hold, and the
blocks in window order still make the circuit's unitary (dense reference)."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit
from kvant.errors import ConfigError
from kvant.sim import Block, blocks_to_circuit, fuse
from kvant.sim._windows import plan_windows
from kvant.testing import dense_unitary, random_circuit, random_unitary

ALL_GATES = [*sorted(GATES), "unitary"]


@pytest.mark.parametrize("thorough", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_windows_keep_the_unitary_and_their_rules(seed: int, thorough: bool) -> None:
    n = 7
    circuit = random_circuit(n, 8, seed=seed, gate_set=ALL_GATES)
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    window_qubits, lanes = 6, 1
    windows = plan_windows(
        blocks, n, window_qubits=window_qubits, lane_qubits=lanes, low_qubits=1, thorough=thorough
    )
    flat = [b for w in windows for b in w.blocks]
    assert sorted(map(id, flat)) == sorted(map(id, blocks))  # each block exactly once
    for window in windows:
        assert len(window.qubits) == window_qubits == len(set(window.qubits))
        body = window.qubits[lanes:]
        lane_set = set(window.qubits[:lanes])
        for block in window.blocks:
            assert set(block.moving_qubits) <= set(body)
            assert not set(block.moving_qubits) & lane_set  # controls may be lanes
    reordered = blocks_to_circuit(flat, circuit)
    np.testing.assert_allclose(dense_unitary(reordered), dense_unitary(circuit), atol=1e-11)


def test_low_qubits_are_in_every_window() -> None:
    circuit = Circuit(10)
    for q in range(10):
        circuit.h(q)
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    windows = plan_windows(blocks, 10, window_qubits=7, lane_qubits=2, low_qubits=3)
    assert len(windows) >= 2
    for window in windows:
        assert {0, 1, 2} <= set(window.qubits)


def test_diagonals_on_lanes_and_outer_qubits_share_a_window() -> None:
    circuit = Circuit(8).h(0).cz(0, 7).rzz(0.3, 6, 7).h(1)
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    windows = plan_windows(blocks, 8, window_qubits=4, lane_qubits=1)
    assert len(windows) == 1


def test_sizes_that_cannot_hold_a_block_are_refused() -> None:
    blocks = [b for b in fuse(Circuit(6).ccx(0, 1, 2)) if isinstance(b, Block)]
    with pytest.raises(ConfigError, match="does not fit"):
        plan_windows(blocks, 6, window_qubits=3, lane_qubits=1)
    with pytest.raises(ConfigError, match="lane_qubits"):
        plan_windows(blocks, 6, window_qubits=7, lane_qubits=1)


@pytest.mark.parametrize("seed", range(4))
def test_lanes_are_the_lowest_qubits_no_block_of_the_window_moves(seed: int) -> None:
    n = 9
    circuit = random_circuit(n, 10, seed=20 + seed, gate_set=ALL_GATES)
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    for window in plan_windows(blocks, n, window_qubits=8, lane_qubits=2, low_qubits=1):
        moved = {q for b in window.blocks for q in b.moving_qubits}
        unmoved = [q for q in range(n) if q not in moved]
        assert window.qubits[:2] == tuple(unmoved[:2])


def test_controls_on_low_qubits_are_lanes_and_cost_no_room() -> None:
    # CX controls on qubits 0-2 and five moving qubits: with the controls as lanes the window
    # (3 lanes + 5 others) holds all of it and reads the state in runs of 2**8 amplitudes; a
    # planner that keeps controls off the lanes needs them among the 5 others and splits it
    circuit = Circuit(12).cx(0, 3).cx(1, 4).cx(2, 5).h(6).ccx(0, 1, 7)
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    windows = plan_windows(blocks, 12, window_qubits=8, lane_qubits=3, low_qubits=3)
    assert [w.qubits[:3] for w in windows] == [(0, 1, 2)]
    assert set(windows[0].qubits) == set(range(8))


def test_low_qubits_beyond_the_lanes_need_room_only_when_moved_or_left_over() -> None:
    # five low qubits, three lanes: the two unmoved low qubits left over take room, so a
    # window of 8 holds qubits 10 and 11 moving beside them (2 + 2 <= 5); it used to need
    # room for all five low qubits and refused a 2-qubit block
    blocks = [b for b in fuse(Circuit(12).cx(9, 10).h(11)) if isinstance(b, Block)]
    windows = plan_windows(blocks, 12, window_qubits=8, lane_qubits=3, low_qubits=5)
    assert len(windows) == 1
    assert windows[0].qubits[:3] == (0, 1, 2)
    assert set(windows[0].qubits) == {0, 1, 2, 3, 4, 5, 10, 11}
    with pytest.raises(ConfigError, match="does not fit"):
        plan_windows(blocks, 12, window_qubits=8, lane_qubits=3, low_qubits=7)


def test_without_controls_every_qubit_below_the_highest_lane_is_in_the_window() -> None:
    # quantum-volume-like layers: dense pairs only, so the chunk is read in contiguous runs
    rng = np.random.default_rng(5)
    n = 14
    circuit = Circuit(n)
    for _ in range(6):
        order = rng.permutation(n)
        for k in range(n // 2):
            u = random_unitary(2, seed=rng)
            circuit.unitary(u, [int(order[2 * k]), int(order[2 * k + 1])])
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    windows = plan_windows(blocks, n, window_qubits=10, lane_qubits=3, low_qubits=2)
    assert len(windows) >= 2
    for window in windows:
        assert set(range(max(window.qubits[:3]) + 1)) <= set(window.qubits)


def test_a_thorough_plan_has_no_more_windows_than_the_default() -> None:
    rng = np.random.default_rng(8)
    n = 16
    circuit = Circuit(n)
    for _ in range(n):
        order = rng.permutation(n)
        for k in range(n // 2):
            circuit.unitary(random_unitary(2, seed=rng), [int(order[2 * k]), int(order[2 * k + 1])])
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    quick = plan_windows(blocks, n, window_qubits=10, lane_qubits=3, low_qubits=3)
    thorough = plan_windows(blocks, n, window_qubits=10, lane_qubits=3, low_qubits=3, thorough=True)
    assert len(thorough) <= len(quick)
    flat = [b for w in thorough for b in w.blocks]
    assert sorted(map(id, flat)) == sorted(map(id, blocks))
