"""The density-matrix engine against independent references: dense matrices, enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit, Instruction
from kvant.errors import ConfigError, MemoryLimitError, UnboundParameterError
from kvant.sim import DensityMatrixEngine, KrausChannel, NoisyProgram, ReadoutError
from kvant.testing import (
    assert_counts_match,
    dense_distribution,
    dense_unitary,
    embed_little_endian,
    random_circuit,
)

ENGINE = DensityMatrixEngine()
AMP = 0.3  # amplitude damping strength of the test channel


def damping(qubit: int, gamma: float = AMP) -> KrausChannel:
    ops = [np.diag([1.0, np.sqrt(1 - gamma)]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
    return KrausChannel((qubit,), ops, "damping")


def dense_reference(program: NoisyProgram) -> np.ndarray:
    """Final density matrix by full 2^n x 2^n matrices (gates and Kraus operators embedded)."""
    n = program.num_qubits
    rho = np.zeros((1 << n, 1 << n), dtype=complex)
    rho[0, 0] = 1
    for op in program.operations:
        if isinstance(op, KrausChannel):
            mats = [embed_little_endian(k, op.qubits, n) for k in op.operators]
            rho = sum(m @ rho @ m.conj().T for m in mats)
        elif op.is_unitary:
            u = embed_little_endian(op.unitary_matrix(), op.qubits, n)
            rho = u @ rho @ u.conj().T
    return rho


@pytest.mark.parametrize("seed", range(4))
def test_pure_circuits_give_the_projector_on_the_state(seed: int) -> None:
    circuit = random_circuit(4, 5, seed=seed)
    state = dense_unitary(circuit)[:, 0]
    assert np.allclose(ENGINE.density_matrix(circuit), np.outer(state, state.conj()), atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_channels_match_full_kraus_matrices(seed: int) -> None:
    rng = np.random.default_rng(seed)
    circuit = random_circuit(3, 4, seed=seed, gate_set=["h", "rx", "cx", "cz", "t", "swap", "ccx"])

    def noise(op: Instruction) -> list[KrausChannel]:
        gamma = float(rng.uniform(0.05, 0.4))
        out = [damping(q, gamma) for q in op.qubits]
        if len(op.qubits) == 2:  # a correlated 2-qubit dephasing
            zz = np.diag([1, -1, -1, 1]).astype(complex)
            out.append(KrausChannel(op.qubits, [np.sqrt(0.9) * np.eye(4), np.sqrt(0.1) * zz]))
        return out

    program = NoisyProgram.from_circuit(circuit, after_gate=noise)
    assert np.allclose(ENGINE.density_matrix(program), dense_reference(program), atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_mid_circuit_distributions_match_enumeration(seed: int) -> None:
    circuit = random_circuit(3, 5, seed=seed, mid_circuit=True, measure=True)
    exact = dense_distribution(circuit)
    got = ENGINE.distribution(circuit)
    assert set(got) == set(exact)
    assert all(got[k] == pytest.approx(v, abs=1e-12) for k, v in exact.items())


def test_readout_confusion_on_a_bell_pair() -> None:
    a, b = 0.02, 0.07  # p(1|0), p(0|1) on both qubits
    program = NoisyProgram.from_circuit(
        Circuit(2).h(0).cx(0, 1).measure_all(), readout=[ReadoutError(a, b)] * 2
    )
    got = ENGINE.distribution(program)
    expected = {
        "00": 0.5 * (1 - a) ** 2 + 0.5 * b**2,
        "01": 0.5 * a * (1 - a) + 0.5 * b * (1 - b),
        "10": 0.5 * a * (1 - a) + 0.5 * b * (1 - b),
        "11": 0.5 * a**2 + 0.5 * (1 - b) ** 2,
    }
    assert got == pytest.approx(expected, abs=1e-12)


def test_mid_circuit_readout_error_feeds_the_condition() -> None:
    # measure |1>, read with p(0|1) = 0.25, flip qubit 1 if the *recorded* bit is 1
    circuit = Circuit(2, 2).x(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
    program = NoisyProgram.from_circuit(circuit, readout=[ReadoutError(0.0, 0.25), None])
    assert ENGINE.distribution(program) == pytest.approx({"00": 0.25, "11": 0.75})


def test_shots_are_sampled_from_the_exact_distribution() -> None:
    program = NoisyProgram.from_circuit(
        Circuit(2).h(0).cx(0, 1).measure_all(),
        after_gate=lambda op: [damping(q) for q in op.qubits],
        readout=[ReadoutError(0.05, 0.1)] * 2,
    )
    result = ENGINE.run(program, shots=20_000, seed=3)
    assert result.engine == "density_matrix"
    assert result.state_vector is None
    assert assert_counts_match(result.counts, ENGINE.distribution(program)) > 1e-3
    assert (
        ENGINE.run(program, shots=50, seed=4).counts == ENGINE.run(program, shots=50, seed=4).counts
    )


def test_reset_and_complex64() -> None:
    circuit = Circuit(1, 1).h(0).reset(0).measure(0, 0)
    assert ENGINE.distribution(circuit) == pytest.approx({"0": 1.0})
    single = DensityMatrixEngine("complex64")
    rho = single.density_matrix(Circuit(2).h(0).cx(0, 1))
    assert rho.dtype == np.complex64
    assert rho[3, 0].real == pytest.approx(0.5, abs=1e-6)


def test_errors() -> None:
    with pytest.raises(ConfigError, match=r"Circuit or a kvant\.sim\.NoisyProgram"):
        ENGINE.run("h q[0];", shots=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="mid-circuit"):
        ENGINE.density_matrix(Circuit(1, 1).measure(0, 0).x(0))
    with pytest.raises(MemoryLimitError, match="state vector"):
        DensityMatrixEngine(max_memory_bytes=1 << 20).run(Circuit(10).h(0), shots=1)
    with pytest.raises(ConfigError, match="shots"):
        ENGINE.run(Circuit(1), shots=-1)
    with pytest.raises(ConfigError, match="max_memory_bytes"):
        DensityMatrixEngine(max_memory_bytes=-5)
    from kvant.circuit import Parameter

    with pytest.raises(UnboundParameterError):
        ENGINE.run(Circuit(1).rx(Parameter("a"), 0), shots=1)
    assert ENGINE.estimate_bytes(Circuit(10)) > ENGINE.estimate_bytes(Circuit(9))
