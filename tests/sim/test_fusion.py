"""Gate fusion on its own: the fused circuit's unitary equals the original's.

Blocks are turned back into ``unitary`` instructions (:func:`kvant.sim.blocks_to_circuit`) and
compared with the independent dense reference (:func:`kvant.testing.dense_unitary`, index
arithmetic), or for circuits with measurements with :func:`kvant.testing.dense_distribution`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.circuit import GATES, Circuit, Instruction
from kvant.errors import ConfigError
from kvant.sim import Block, FusionCost, blocks_to_circuit, fuse
from kvant.sim._blocks import block_from_instruction, expand
from kvant.sim._fusion import CPU_COST
from kvant.testing import dense_distribution, dense_unitary, random_circuit

ALL_GATES = [*sorted(GATES), "unitary"]
#: A memory-bound backend: every block costs one pass, so fusing always pays.
PASS_COST = FusionCost((1.0,) * 5, (1.0,) * 5, 1.0, max_block_qubits=5, max_diagonal_qubits=8)


def _blocks(items: list[Block | Instruction]) -> list[Block]:
    return [item for item in items if isinstance(item, Block)]


def _assert_same_unitary(circuit: Circuit, items: list[Block | Instruction]) -> None:
    np.testing.assert_allclose(
        dense_unitary(blocks_to_circuit(items, circuit)), dense_unitary(circuit), atol=1e-11
    )


@pytest.mark.parametrize("name", sorted(GATES))
def test_each_gate_block_equals_its_dense_matrix(name: str) -> None:
    spec = GATES[name]
    rng = np.random.default_rng(len(name) * 7 + spec.num_qubits)
    qubits = [int(q) for q in rng.permutation(6)[: spec.num_qubits]]
    params = [float(x) for x in rng.uniform(-2 * math.pi, 2 * math.pi, spec.num_params)]
    circuit = Circuit(6).gate(name, qubits, params)
    block = block_from_instruction(circuit.instructions[0])
    if block is None:
        assert name in ("id", "u0")
        return
    full = expand(block.unitary(), block.qubits, tuple(range(6)))
    np.testing.assert_allclose(full, dense_unitary(circuit), atol=1e-12)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("x", "permutation"), ("cx", "permutation"), ("swap", "permutation"),
     ("ccx", "permutation"), ("cz", "diagonal"), ("rzz", "diagonal"), ("h", "dense")],
)  # fmt: skip
def test_gates_get_the_cheapest_kind(name: str, kind: str) -> None:
    spec = GATES[name]
    circuit = Circuit(3).gate(name, list(range(spec.num_qubits)), [0.3] * spec.num_params)
    block = block_from_instruction(circuit.instructions[0])
    assert block is not None
    assert block.kind == kind


@pytest.mark.parametrize("seed", range(16))
def test_fused_unitary_equals_the_original(seed: int) -> None:
    circuit = random_circuit(1 + seed % 8, 8, seed=seed, gate_set=ALL_GATES)
    expected = dense_unitary(circuit)
    for max_block_qubits in (1, 2, 3, 4, 5):
        for cost in (CPU_COST, PASS_COST):
            items = fuse(circuit, max_block_qubits=max_block_qubits, cost=cost)
            assert all(isinstance(item, Block) for item in items)
            fused = dense_unitary(blocks_to_circuit(items, circuit))
            np.testing.assert_allclose(fused, expected, atol=1e-11, err_msg=f"{max_block_qubits}")
            widths = [len(b.qubits) for b in _blocks(items) if b.kind != "diagonal"]
            single = max((len(op.qubits) for op in circuit), default=0)
            assert max(widths, default=0) <= max(max_block_qubits, single)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    num_qubits=st.integers(1, 6),
    depth=st.integers(1, 12),
    max_block_qubits=st.integers(1, 5),
)
def test_fusion_property(seed: int, num_qubits: int, depth: int, max_block_qubits: int) -> None:
    circuit = random_circuit(num_qubits, depth, seed=seed, gate_set=ALL_GATES)
    _assert_same_unitary(circuit, fuse(circuit, max_block_qubits=max_block_qubits, cost=PASS_COST))


@pytest.mark.parametrize("seed", range(12))
def test_measurements_resets_and_conditions_keep_their_meaning(seed: int) -> None:
    circuit = random_circuit(2 + seed % 5, 6, seed=seed, mid_circuit=True, measure=True)
    items = fuse(circuit, cost=PASS_COST)
    expected = dense_distribution(circuit)
    got = dense_distribution(blocks_to_circuit(items, circuit))
    assert got.keys() == expected.keys()
    np.testing.assert_allclose(list(got.values()), list(expected.values()), atol=1e-12)


def test_a_measurement_stops_fusion_on_its_qubit_only() -> None:
    circuit = Circuit(2, 1).h(0).h(1).measure(0, 0).h(0).h(1)
    items = fuse(circuit, cost=PASS_COST)
    kinds = [(type(i).__name__, i.qubits, getattr(i, "gates", 0)) for i in items]
    # h(1) after the measurement joins the block on qubit 1; h(0) does not cross it
    assert kinds == [
        ("Block", (0,), 1), ("Block", (1,), 2), ("Instruction", (0,), 0), ("Block", (0,), 1)
    ]  # fmt: skip


def test_conditioned_gates_are_never_fused() -> None:
    circuit = Circuit(2, 1).h(0).measure(1, 0).x(0).c_if(0, 1).h(0).rz(0.4, 0)
    items = fuse(circuit, cost=PASS_COST)
    conditioned = [b for b in _blocks(items) if b.condition is not None]
    assert len(conditioned) == 1
    assert conditioned[0].gates == 1
    assert [b.gates for b in _blocks(items)] == [1, 1, 2]


def test_a_run_of_diagonal_gates_on_any_qubits_is_one_block() -> None:
    circuit = Circuit(8)
    for q in range(7):
        circuit.cz(q, q + 1).rz(0.1 * q, q).cp(0.3, q + 1, q)
    circuit.rzz(0.7, 0, 7).p(0.2, 5).t(3).s(6).z(2)
    items = fuse(circuit)
    assert len(items) == 1
    block = _blocks(items)[0]
    assert block.kind == "diagonal"
    assert block.qubits == tuple(range(8))
    assert block.gates == len(circuit)
    _assert_same_unitary(circuit, items)


def test_single_qubit_gates_are_absorbed_into_a_dense_two_qubit_block() -> None:
    u = np.linalg.qr(np.arange(16).reshape(4, 4) + 1j * np.eye(4))[0]
    circuit = Circuit(2).h(0).unitary(u, [0, 1]).rx(0.3, 1).t(0)
    blocks = _blocks(fuse(circuit))
    assert [(b.kind, b.gates) for b in blocks] == [("dense", 4)]


def test_the_cpu_cost_model_does_not_turn_cheap_blocks_dense() -> None:
    circuit = Circuit(2).cx(0, 1).h(1).x(0)
    blocks = _blocks(fuse(circuit))  # CPU costs: controlled X + H + X < one dense 2q block
    assert [b.kind for b in blocks] == ["permutation", "dense", "permutation"]
    assert [b.kind for b in _blocks(fuse(circuit, cost=PASS_COST))] == ["dense"]


def test_diagonals_on_disjoint_qubits_share_one_block() -> None:
    circuit = Circuit(6).h(0).h(1).t(0).s(3).rz(0.2, 5).h(3).t(1)
    blocks = _blocks(fuse(circuit))
    diagonal = [b for b in blocks if b.kind == "diagonal"]
    assert len(diagonal) <= 2  # t(0), rz(5) and t(1) join; s(3) is absorbed by h(3)
    _assert_same_unitary(circuit, fuse(circuit))


def test_bad_block_sizes_are_refused() -> None:
    with pytest.raises(ConfigError, match="max_block_qubits"):
        fuse(Circuit(1).h(0), max_block_qubits=6)
    with pytest.raises(ConfigError, match="max_diagonal_qubits"):
        FusionCost((1.0,), (1.0,), 1.0, max_block_qubits=1, max_diagonal_qubits=1)


def test_idle_instructions_vanish() -> None:
    circuit = Circuit(2).i(0).barrier().delay(1, 30.0).gate("u0", [1], [0.5])
    assert fuse(circuit) == []
