"""Fusion of noisy programs (kvant.sim._noisy_fusion) and its use by the density-matrix engine.

The reference is the same engine running the program step by step (``fuse=False``), which
tests/sim/test_sim_density_matrix.py checks against full Kraus matrices; fused channels are
checked against channels whose composition is known in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit, Condition, Instruction, Parameter
from kvant.device import NoiseModel, load_device, transpile
from kvant.errors import ConfigError, UnboundParameterError
from kvant.sim import (
    DensityMatrixEngine,
    KrausChannel,
    NoisyProgram,
    ReadoutError,
    fuse_noisy_program,
    pauli_basis,
)
from kvant.testing import random_circuit

FUSED = DensityMatrixEngine()
PLAIN = DensityMatrixEngine(fuse=False)
NATIVE = ["rz", "sx", "x", "cx", "h", "cz"]


def damping(qubit: int, gamma: float) -> KrausChannel:
    ops = [np.diag([1.0, np.sqrt(1 - gamma)]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
    return KrausChannel((qubit,), ops, "damping")


def depolarizing(qubits: tuple[int, ...], p: float) -> KrausChannel:
    d2 = 4 ** len(qubits)
    weights = np.full(d2, p / d2)
    weights[0] += 1 - p
    return KrausChannel(qubits, np.sqrt(weights)[:, None, None] * pauli_basis(len(qubits)))


def device_program(num_qubits: int, depth: int, seed: int, *, mid_circuit: bool) -> NoisyProgram:
    """A random circuit transpiled to a line device, with that device's noise model."""
    circuit = random_circuit(
        num_qubits, depth, seed=seed, gate_set=NATIVE, measure=True, mid_circuit=mid_circuit
    )
    device = load_device(f"line-{num_qubits}")
    mapped = transpile(circuit, device, layout="trivial")
    return NoiseModel.from_calibration(device).noisy_program(mapped.circuit, mapped.physical_qubits)


def assert_same_distribution(a: dict[str, float], b: dict[str, float]) -> None:
    keys = set(a) | set(b)
    assert max(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys) < 1e-12
    assert abs(sum(a.values()) - 1) < 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_device_programs_fuse_exactly(seed: int) -> None:
    program = device_program(4, 8, seed, mid_circuit=False)
    fused = fuse_noisy_program(program)
    assert len(fused.operations) < len(program.operations) / 3
    reference = PLAIN.distribution(program)
    assert_same_distribution(PLAIN.distribution(fused), reference)
    assert_same_distribution(FUSED.distribution(program), reference)
    assert np.allclose(FUSED.density_matrix(program), PLAIN.density_matrix(program), atol=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_mid_circuit_measurement_reset_and_conditions_fuse_exactly(seed: int) -> None:
    program = device_program(4, 8, 10 + seed, mid_circuit=True)
    assert program.has_mid_circuit_operations
    fused = fuse_noisy_program(program)
    assert len(fused.operations) < len(program.operations) / 2
    names = [getattr(op, "name", "") for op in program.operations]
    assert "reset" in names or names.count("measure") > 4
    # barriers keep their relative order
    barriers = [
        op
        for op in program.operations
        if (isinstance(op, Instruction) and op.name in ("measure", "reset")) or op.condition
    ]
    kept = [op for op in fused.operations if any(op is b for b in barriers)]
    assert kept == barriers
    reference = PLAIN.distribution(program)
    assert_same_distribution(PLAIN.distribution(fused), reference)
    assert_same_distribution(FUSED.distribution(program), reference)


@pytest.mark.parametrize("seed", range(3))
def test_generic_programs_with_three_qubit_gates(seed: int) -> None:
    # the whole gate library (ccx, cswap, random unitaries on 1-3 qubits), conditioned channels
    circuit = random_circuit(
        3, 6, seed=seed, gate_set=None, measure=True, mid_circuit=seed > 0
    ).decompose()

    def after(op: Instruction) -> list[KrausChannel]:
        out = [damping(q, 0.05) for q in op.qubits]
        if len(op.qubits) <= 2:
            out.append(depolarizing(op.qubits, 0.03))
        return out

    program = NoisyProgram.from_circuit(
        circuit, after_gate=after, readout=[ReadoutError(0.02, 0.05)] * 3
    )
    reference = PLAIN.distribution(program)
    assert_same_distribution(PLAIN.distribution(fuse_noisy_program(program)), reference)
    assert_same_distribution(FUSED.distribution(program), reference)


def test_two_dampings_fuse_to_one_damping() -> None:
    # amplitude damping composes as 1 - gamma = (1 - g1)(1 - g2) (Nielsen & Chuang eq. 8.108)
    g1, g2 = 0.1, 0.3
    program = NoisyProgram(1, 0, (damping(0, g1), damping(0, g2)))
    (channel,) = fuse_noisy_program(program).operations
    assert isinstance(channel, KrausChannel)
    assert channel.label == "fused"
    expected = damping(0, 1 - (1 - g1) * (1 - g2))
    assert np.allclose(channel.superoperator(), expected.superoperator(), atol=1e-14)
    assert channel.operators.shape[0] == 2  # Kraus rank of amplitude damping
    completeness = np.einsum("kji,kjl->il", channel.operators.conj(), channel.operators)
    assert np.allclose(completeness, np.eye(2), atol=1e-14)
    assert channel.is_cptp()


def test_two_depolarizings_multiply_their_shrinking_factors() -> None:
    # depolarizing p shrinks the Bloch vector by 1 - 4p/3... in the weights used here by 1 - p
    # on every non-identity Pauli (Nielsen & Chuang sec. 8.3.4): factors multiply
    p1, p2 = 0.2, 0.1
    program = NoisyProgram(2, 0, (depolarizing((0, 1), p1), depolarizing((1, 0), p2)))
    (channel,) = fuse_noisy_program(program).operations
    expected = depolarizing((0, 1), 1 - (1 - p1) * (1 - p2))
    assert isinstance(channel, KrausChannel)
    assert np.allclose(channel.superoperator(), expected.superoperator(), atol=1e-14)
    completeness = np.einsum("kji,kjl->il", channel.operators.conj(), channel.operators)
    assert np.allclose(completeness, np.eye(4), atol=1e-14)
    assert channel.operators.shape[0] == 16


def test_h_cz_h_fuses_to_a_single_cnot() -> None:
    # (I (x) H) CZ (I (x) H) = CNOT with control on the first operand; a reversed cz included
    circuit = Circuit(2).h(1).cz(1, 0).h(1)
    (channel,) = fuse_noisy_program(NoisyProgram.from_circuit(circuit)).operations
    assert isinstance(channel, KrausChannel)
    assert channel.qubits == (0, 1)
    (op,) = channel.operators  # rank one: a unitary
    cnot = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    phase = op[0, 0]
    assert abs(abs(phase) - 1) < 1e-12
    assert np.allclose(op / phase, cnot, atol=1e-12)


def test_barriers_are_not_crossed_on_their_own_qubits() -> None:
    flip = depolarizing((0,), 0.1)
    conditioned = flip.with_condition(Condition((0,), 1))
    ops = (
        Instruction("h", (0,)),
        Instruction("h", (1,)),
        Instruction("measure", (0,), clbits=(0,)),
        conditioned,
        Instruction("x", (0,)),
        Instruction("sx", (1,)),  # crosses the measurement on qubit 0 into h(1)'s block
        Instruction("measure", (1,), clbits=(0,)),
    )
    program = NoisyProgram(2, 1, ops, (ReadoutError(0.1, 0.2), None))
    fused = fuse_noisy_program(program).operations
    assert [getattr(op, "name", getattr(op, "label", "")) for op in fused] == [
        "h",
        "fused",
        "measure",
        "",
        "x",
        "measure",
    ]
    assert fused[3] is conditioned
    assert_same_distribution(PLAIN.distribution(program), FUSED.distribution(program))


def test_terminal_measurements_move_to_the_end_and_idles_go() -> None:
    circuit = Circuit(3, 2).h(0).measure(0, 0).barrier().cx(1, 2).delay(2, 50).measure(1, 1)
    program = NoisyProgram.from_circuit(circuit)
    assert not program.has_mid_circuit_operations
    names = [getattr(op, "name", "") for op in fuse_noisy_program(program).operations]
    assert names == ["h", "cx", "measure", "measure"]


def test_engine_option_and_errors() -> None:
    assert FUSED.fuse
    assert not PLAIN.fuse
    assert "fuse=False" in repr(PLAIN)
    with pytest.raises(ConfigError, match="fuse must be True or False"):
        DensityMatrixEngine(fuse=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"needs a kvant\.sim\.NoisyProgram"):
        fuse_noisy_program(Circuit(1).h(0))  # type: ignore[arg-type]
    free = NoisyProgram.from_circuit(Circuit(1).rx(Parameter("a"), 0))
    with pytest.raises(UnboundParameterError):
        fuse_noisy_program(free)
