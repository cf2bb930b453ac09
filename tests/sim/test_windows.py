"""Window planning: every block lands in exactly one window, the windows' rules hold, and the
blocks in window order still make the circuit's unitary (dense reference)."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit
from kvant.errors import ConfigError
from kvant.sim import Block, blocks_to_circuit, fuse
from kvant.sim._windows import plan_windows
from kvant.testing import dense_unitary, random_circuit

ALL_GATES = [*sorted(GATES), "unitary"]


@pytest.mark.parametrize("seed", range(8))
def test_windows_keep_the_unitary_and_their_rules(seed: int) -> None:
    n = 7
    circuit = random_circuit(n, 8, seed=seed, gate_set=ALL_GATES)
    blocks = [b for b in fuse(circuit) if isinstance(b, Block)]
    window_qubits, lanes = 6, 1
    windows = plan_windows(blocks, n, window_qubits=window_qubits, lane_qubits=lanes)
    flat = [b for w in windows for b in w.blocks]
    assert sorted(map(id, flat)) == sorted(map(id, blocks))  # each block exactly once
    for window in windows:
        assert len(window.qubits) == window_qubits == len(set(window.qubits))
        body = window.qubits[lanes:]
        lane_set = set(window.qubits[:lanes])
        for block in window.blocks:
            assert set(block.moving_qubits) <= set(body)
            if block.kind != "diagonal":
                assert not set(block.controls) & lane_set
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
