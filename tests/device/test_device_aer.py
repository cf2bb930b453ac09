"""The independent cross-check: Kvant's noise model against Qiskit Aer's.

Aer's ``NoiseModel.from_backend_properties`` builds, from the same IBM calibration file, the
same kind of model (thermal relaxation over each gate's length, a depolarizing part so that the
gate error is matched, readout confusion) with code that shares nothing with Kvant's. The
channels are compared on random density matrices, and whole noisy circuits are compared
between Aer's density-matrix simulator and Kvant's.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix
from qiskit_aer import AerSimulator
from qiskit_aer.backends.backendproperties import AerBackendProperties
from qiskit_aer.noise import NoiseModel as AerNoiseModel
from qiskit_aer.noise import thermal_relaxation_error

from kvant.circuit import Circuit
from kvant.device import Calibration, NoiseModel, load_device
from kvant.sim import DensityMatrixEngine, KrausChannel, NoisyProgram
from kvant.testing import random_state_vector

SWAP = np.eye(4)[[0, 2, 1, 3]]


@pytest.fixture(scope="module")
def aer_model(lima_path: Path) -> AerNoiseModel:
    properties = AerBackendProperties.from_dict(json.loads(lima_path.read_text()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return AerNoiseModel.from_backend_properties(properties)


def random_rho(num_qubits: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    states = [random_state_vector(num_qubits, seed=seed + i) for i in range(3)]
    rho = sum(w * np.outer(s, s.conj()) for w, s in zip((0.5, 0.3, 0.2), states, strict=True))
    return np.asarray(rho)


def aer_apply(error: Any, rho: np.ndarray, num_qubits: int) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(DensityMatrix(rho).evolve(error.to_quantumchannel()).data)


def test_one_qubit_gate_channels_match_aer(lima_path: Path, aer_model: AerNoiseModel) -> None:
    model = NoiseModel.from_calibration(load_device(lima_path))
    for q in range(5):
        ours = model.gate_channel("sx", (q,))
        assert ours is not None
        theirs = aer_model._local_quantum_errors["sx"][(q,)]
        rho = random_rho(1, seed=q)
        assert np.allclose(ours.apply_to(rho), aer_apply(theirs, rho, 1), atol=1e-12)


def directed_cz_channel(lima_path: Path, a: int, b: int) -> KrausChannel:
    """Kvant's channel for the coupler (a, b), with the length IBM gives the cx a -> b.

    Aer attaches its error to each direction of cx with that direction's length, Kvant to
    the coupler with the mean length; the channel does not depend on which gate it follows.
    """
    calibration = load_device(lima_path)
    gates = json.loads(lima_path.read_text())["gates"]
    (gate,) = [g for g in gates if g["name"] == f"cx{a}_{b}"]
    length = next(p["value"] for p in gate["parameters"] if p["name"] == "gate_length")
    couplers = tuple(
        replace(c, gate_duration_2q_ns=length) if c.qubits == tuple(sorted((a, b))) else c
        for c in calibration.couplers
    )
    model = NoiseModel.from_calibration(
        Calibration(calibration.topology, calibration.qubits, couplers)
    )
    channel = model.gate_channel("cz", (a, b))
    assert channel is not None
    return channel


def test_two_qubit_gate_channels_match_aer(lima_path: Path, aer_model: AerNoiseModel) -> None:
    for (a, b), theirs in aer_model._local_quantum_errors["cx"].items():
        channel = directed_cz_channel(lima_path, a, b)
        rho = random_rho(2, seed=a * 7 + b)
        # Qiskit's first qarg is the least significant bit: swap to Kvant's textbook order
        expected = SWAP @ aer_apply(theirs, SWAP @ rho @ SWAP, 2) @ SWAP
        assert np.allclose(channel.apply_to(rho), expected, atol=1e-12)


def test_readout_confusion_matches_aer(lima_path: Path, aer_model: AerNoiseModel) -> None:
    model = NoiseModel.from_calibration(load_device(lima_path))
    for q in range(5):
        theirs = np.asarray(aer_model._local_readout_errors[(q,)].probabilities)  # rows: prepared
        ours = model.readout_error(q)
        assert ours is not None
        assert np.allclose(ours.confusion_matrix().T, theirs)


def test_idle_relaxation_matches_aer(kvant50: Calibration) -> None:
    model = NoiseModel.from_calibration(kvant50)
    for q, duration in ((0, 68.0), (45, 1560.0), (9, 250.0)):
        ours = model.idle_channel(q, duration)
        assert isinstance(ours, KrausChannel)
        cal = kvant50.qubit(q)
        theirs = thermal_relaxation_error(cal.t1_us * 1e3, cal.t2_us * 1e3, duration)
        rho = random_rho(1, seed=q)
        assert np.allclose(ours.apply_to(rho), aer_apply(theirs, rho, 1), atol=1e-12)


def to_qiskit(circuit: Circuit) -> QuantumCircuit:
    qc = QuantumCircuit(circuit.num_qubits)
    for op in circuit:
        if op.name == "rz":
            qc.rz(op.numeric_params()[0], op.qubits[0])
        elif op.name in ("sx", "x"):
            getattr(qc, op.name)(op.qubits[0])
        elif op.name == "cx":
            qc.cx(*op.qubits)
    return qc


@pytest.mark.parametrize("seed", range(3))
def test_noisy_circuits_match_aer_density_matrices(
    lima_path: Path, aer_model: AerNoiseModel, seed: int
) -> None:
    # gates Aer's lima model makes noisy: rz, sx, x (1 qubit) and cx, here on lima's couplers
    rng = np.random.default_rng(seed)
    circuit = Circuit(5)
    for _ in range(6):
        for q in range(5):
            circuit.rz(float(rng.uniform(-3, 3)), q).sx(q)
        a, b = [(0, 1), (1, 2), (1, 3), (3, 4)][int(rng.integers(4))]
        circuit.x(a).cx(a, b)
    qc = to_qiskit(circuit)
    qc.save_density_matrix()
    simulator = AerSimulator(method="density_matrix", noise_model=aer_model)
    expected = np.asarray(simulator.run(qc).result().data()["density_matrix"])
    # Kvant: the same gates with the same noise (gate errors only: Aer adds no idle noise)
    model = NoiseModel.from_calibration(load_device(lima_path), idle=False)
    ops: list[Any] = []
    for op in circuit:
        ops.append(op)
        if op.name in ("sx", "x"):
            ops.append(model.gate_channel("sx", op.qubits))
        elif op.name == "cx":
            ops.append(directed_cz_channel(lima_path, *op.qubits))
    ours = DensityMatrixEngine().density_matrix(NoisyProgram(5, 0, tuple(ops)))
    assert np.allclose(ours, expected, atol=1e-10)
