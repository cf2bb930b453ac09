"""The OpenQASM corpus (tests/data/qasm, sources in its README): round trips, and Qiskit as an
independent reader of the same text.

Qiskit's ``Operator`` is little-endian (qubit 0 least significant); ``reverse_qargs()`` puts it
in Kvant's gate-matrix order (qubit 0 most significant), where ``dense_unitary`` works.
Agreement is required to 1e-10 *including global phase*: Qiskit maps every qelib1 name to its
standard gate, whose matrix is Kvant's, so no file needs a phase allowance.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import qiskit.qasm2
from qiskit.quantum_info import Operator

from kvant.circuit import Circuit, from_qasm, load_qasm, to_qasm2, to_qasm3
from kvant.circuit._gates import embed

DATA = Path(__file__).parent.parent / "data" / "qasm"
QASM2_FILES = sorted(DATA.glob("*.qasm"))
QASM3_FILES = sorted((DATA / "v3").glob("*.qasm"))
# files with mid-circuit measurement, reset or if: no unitary for Qiskit to compare
MID_CIRCUIT = {
    "barrier_reset.qasm",
    "entanglement_swapping.qasm",
    "repetition_code.qasm",
    "teleportation.qasm",
}
# OpenQASM 3 files whose modifiers give `unitary` matrices: after a round trip these are equal
# only to rounding (a matrix is written as angles) and, for a one-qubit matrix written as U, up
# to its global phase (documented in to_qasm3), so they are compared by unitary
V3_WITH_MATRICES = {"grover.qasm", "modifiers.qasm"}


def dense_unitary(circuit: Circuit) -> np.ndarray:
    """Unitary of the unconditioned gates (measure, reset, barrier, delay skipped)."""
    n = circuit.num_qubits
    total = np.eye(1 << n, dtype=complex)
    for op in circuit:
        if op.is_unitary and op.condition is None:
            total = embed(op.unitary_matrix(), op.qubits, n) @ total
    return total


def qiskit_unitary(text: str) -> np.ndarray:
    """Qiskit's reading of OpenQASM 2 text, in Kvant's matrix order."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # Qiskit has no block comments
    qc = qiskit.qasm2.loads(text, custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    qc.remove_final_measurements(inplace=True)
    return np.asarray(Operator(qc).reverse_qargs().data, dtype=complex)


def probabilities(circuit: Circuit) -> dict[str, float]:
    """Outcome probabilities of the unitary part on |0...0>, bits written q[0] first."""
    state = dense_unitary(circuit)[:, 0]
    n = circuit.num_qubits
    return {format(i, f"0{n}b"): float(abs(a) ** 2) for i, a in enumerate(state) if abs(a) > 1e-9}


def test_corpus_is_complete() -> None:
    assert len(QASM2_FILES) >= 30
    assert len(QASM3_FILES) >= 5
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in [*QASM2_FILES, *QASM3_FILES]:
        assert f"`{path.name}`" in readme, f"{path.name} has no source in README.md"


@pytest.mark.parametrize("path", QASM2_FILES, ids=lambda p: p.name)
def test_qasm2_round_trip(path: Path) -> None:
    circuit = load_qasm(path)
    text = to_qasm2(circuit)
    again = from_qasm(text)
    assert again == circuit
    assert to_qasm2(again) == text
    np.testing.assert_allclose(dense_unitary(again), dense_unitary(circuit), atol=1e-12)


@pytest.mark.parametrize("path", QASM2_FILES, ids=lambda p: p.name)
def test_qasm2_against_qiskit(path: Path) -> None:
    circuit = load_qasm(path)
    if path.name in MID_CIRCUIT:
        assert circuit.has_mid_circuit_operations
        return
    assert not circuit.has_mid_circuit_operations
    mine = dense_unitary(circuit)
    np.testing.assert_allclose(mine, qiskit_unitary(path.read_text()), atol=1e-10, rtol=0)
    # and Qiskit reading Kvant's export of it
    np.testing.assert_allclose(mine, qiskit_unitary(to_qasm2(circuit)), atol=1e-10, rtol=0)


@pytest.mark.parametrize("path", QASM2_FILES, ids=lambda p: p.name)
def test_qasm2_files_through_qasm3(path: Path) -> None:
    circuit = load_qasm(path)
    again = from_qasm(to_qasm3(circuit))
    assert again == circuit


@pytest.mark.parametrize("path", QASM3_FILES, ids=lambda p: p.name)
def test_qasm3_round_trip(path: Path) -> None:
    circuit = load_qasm(path)
    text = to_qasm3(circuit)
    again = from_qasm(text)
    assert to_qasm3(again) == text
    if path.name in V3_WITH_MATRICES:
        assert any(op.name == "unitary" for op in circuit.decompose())
        before, after = dense_unitary(circuit), dense_unitary(again)
        phase = np.vdot(after.ravel(), before.ravel())
        assert abs(phase) == pytest.approx(before.shape[0], abs=1e-9)
        np.testing.assert_allclose(after * phase / abs(phase), before, atol=1e-12)
    else:
        assert again == circuit


def test_qasm3_and_qasm2_versions_agree() -> None:
    pairs = [("bell", "bell"), ("teleportation", "teleportation"), ("qft", "qft_4")]
    for v3, v2 in pairs:
        a, b = load_qasm(DATA / "v3" / f"{v3}.qasm"), load_qasm(DATA / f"{v2}.qasm")
        np.testing.assert_allclose(dense_unitary(a), dense_unitary(b), atol=1e-12)
    grover3 = load_qasm(DATA / "v3" / "grover.qasm")
    grover2 = load_qasm(DATA / "grover_3.qasm")
    np.testing.assert_allclose(dense_unitary(grover3), dense_unitary(grover2), atol=1e-12)


# what the algorithms compute -------------------------------------------------------------------
def test_qft_is_the_discrete_fourier_transform() -> None:
    for name, n in (("qft_4", 4), ("qft_5", 5)):
        size = 1 << n
        j, k = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        dft = np.exp(2j * math.pi * j * k / size) / math.sqrt(size)
        np.testing.assert_allclose(dense_unitary(load_qasm(DATA / f"{name}.qasm")), dft, atol=1e-12)
    product = dense_unitary(load_qasm(DATA / "iqft_4.qasm")) @ dense_unitary(
        load_qasm(DATA / "qft_4.qasm")
    )
    np.testing.assert_allclose(product, np.eye(16), atol=1e-12)


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("grover_2", "11"),
        ("bernstein_vazirani", "1101"),  # q[0..3], then the ancilla
        ("cuccaro_adder_3", "01101001"),  # cin, a = 3, b := 9 mod 8 = 1, cout = 1
        ("full_adder", "1111"),
        ("phase_estimation", "0011"),  # count = 001 (phase 1/8), psi = 1
        ("increment_5", "00010"),  # 7 + 1 = 8, q[0] least significant
        ("hidden_shift", "1011"),
        ("superdense_coding", "11"),
    ],
)
def test_deterministic_algorithms(name: str, outcome: str) -> None:
    probs = probabilities(load_qasm(DATA / f"{name}.qasm"))
    hits = {bits: p for bits, p in probs.items() if bits.startswith(outcome)}
    assert sum(hits.values()) == pytest.approx(1.0, abs=1e-12)


def test_w_state_and_grover_3() -> None:
    w = probabilities(load_qasm(DATA / "w_state.qasm"))
    assert w == pytest.approx({"001": 1 / 3, "010": 1 / 3, "100": 1 / 3}, abs=1e-12)
    grover = probabilities(load_qasm(DATA / "grover_3.qasm"))
    assert grover["101"] == pytest.approx(
        121 / 128, abs=1e-12
    )  # sin^2(5 theta), sin theta = 1/sqrt 8


def test_deutsch_jozsa_balanced_and_toffoli_ladder() -> None:
    dj = probabilities(load_qasm(DATA / "deutsch_jozsa.qasm"))
    assert not any(bits.startswith("000") for bits in dj)
    # with clean ancillas (qubits 4, 5), the ladder and c4x cancel, leaving the Hadamards
    ladder = dense_unitary(load_qasm(DATA / "toffoli_ladder.qasm"))
    hadamards = Circuit(7)
    for q in range(4):
        hadamards.h(q)
    clean = [i for i in range(1 << 7) if not i & 0b0000110]  # q[0] is the top bit
    np.testing.assert_allclose(ladder[:, clean], dense_unitary(hadamards)[:, clean], atol=1e-12)
