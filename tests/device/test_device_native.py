"""Native gates: every translation exact up to global phase, checked with dense unitaries."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit
from kvant.device import NATIVE_GATES, expand_to_two_qubit, is_native, to_native
from kvant.device._synthesis import (
    controlled_one_qubit,
    decompose_diagonal,
    decompose_unitary,
    equal_up_to_phase,
    zsx,
    zyz_angles,
)
from kvant.testing import dense_distribution, dense_unitary, random_circuit, random_unitary


def unitary_of(ops: list, num_qubits: int) -> np.ndarray:  # type: ignore[type-arg]
    circuit = Circuit(num_qubits)
    for op in ops:
        circuit.append(op)
    return dense_unitary(circuit)


def textbook(u: np.ndarray, num_qubits: int) -> np.ndarray:  # type: ignore[type-arg]
    return dense_unitary(Circuit(num_qubits).unitary(u, list(range(num_qubits))))


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_library_gate(name: str) -> None:
    spec = GATES[name]
    rng = np.random.default_rng(len(name))
    circuit = Circuit(spec.num_qubits)
    circuit.gate(
        name, list(range(spec.num_qubits))[::-1], list(rng.uniform(-4, 4, spec.num_params))
    )
    native = to_native(circuit)
    assert is_native(native)
    assert {op.name for op in native} <= NATIVE_GATES
    assert equal_up_to_phase(dense_unitary(native), dense_unitary(circuit))


@pytest.mark.parametrize("seed", range(6))
def test_random_circuits_and_unitaries(seed: int) -> None:
    circuit = random_circuit(4, 5, seed=seed, gate_set=[*sorted(GATES), "unitary"])
    native = to_native(circuit)
    assert is_native(native)
    assert equal_up_to_phase(dense_unitary(native), dense_unitary(circuit))


def test_cz_count_of_common_gates() -> None:
    def cz(c: Circuit) -> int:
        return to_native(c).count_ops().get("cz", 0)

    assert cz(Circuit(2).cx(0, 1)) == 1
    assert cz(Circuit(2).swap(0, 1)) == 3
    assert cz(Circuit(2).cp(0.3, 0, 1)) == 2
    assert cz(Circuit(3).ccx(0, 1, 2)) == 6
    assert to_native(Circuit(1).h(0).h(0)).count_ops() == {}  # merged to the identity


def test_conditions_measurements_and_ids_survive() -> None:
    circuit = Circuit(2, 2).h(0).i(1).measure(0, 0).cx(0, 1).c_if(0, 1).barrier().delay(1, 40.0)
    circuit.measure(1, 1)
    native = to_native(circuit)
    assert "id" not in native.count_ops()
    conditioned = [op for op in native if op.condition is not None]
    assert conditioned
    assert {op.name for op in conditioned} <= {"rz", "sx", "x", "cz"}
    assert dense_distribution(native) == pytest.approx(dense_distribution(circuit))


@pytest.mark.parametrize("seed", range(8))
def test_synthesis_pieces(seed: int) -> None:
    u = random_unitary(1, seed=seed)
    alpha, beta, gamma, delta = zyz_angles(u)
    rz = lambda a: np.diag([np.exp(-0.5j * a), np.exp(0.5j * a)])  # noqa: E731
    ry = lambda a: np.array([[np.cos(a / 2), -np.sin(a / 2)], [np.sin(a / 2), np.cos(a / 2)]])  # noqa: E731
    assert np.allclose(np.exp(1j * alpha) * rz(beta) @ ry(gamma) @ rz(delta), u)
    assert equal_up_to_phase(unitary_of(zsx(u, 0), 1), u)
    controlled = np.eye(4, dtype=complex)
    controlled[2:, 2:] = u
    assert equal_up_to_phase(unitary_of(controlled_one_qubit(u, 0, 1), 2), textbook(controlled, 2))
    for k in (2, 3):
        big = random_unitary(k, seed=seed)
        assert equal_up_to_phase(
            unitary_of(decompose_unitary(big, list(range(k))), k), textbook(big, k)
        )
    phases = np.random.default_rng(seed).uniform(-3, 3, 8)
    diagonal = np.diag(np.exp(1j * phases))
    assert equal_up_to_phase(
        unitary_of(decompose_diagonal(phases, [0, 1, 2]), 3), textbook(diagonal, 3)
    )


def test_expand_to_two_qubit_keeps_registers() -> None:
    circuit = Circuit(4, 1).h(0).h(1).h(2).gate("c3x", [0, 1, 2, 3]).measure(3, 0)
    expanded = expand_to_two_qubit(circuit)
    assert max(len(op.qubits) for op in expanded) <= 2
    assert expanded.cregs == circuit.cregs
    assert dense_distribution(expanded) == pytest.approx(dense_distribution(circuit))
