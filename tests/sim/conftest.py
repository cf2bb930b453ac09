"""Fixtures for the simulation tests: a kvant -> Qiskit circuit converter (for Aer checks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Gate
from qiskit.circuit import library as lib
from qiskit_aer import AerSimulator

from kvant.circuit import Circuit, Instruction

# kvant name -> factory of the Qiskit standard gate with the same operand order.
# Qiskit's gate *semantics* match textbook operand order (control first); only its matrix
# printout is little-endian, which matters for `unitary` alone (see below).
_QISKIT: dict[str, Callable[..., Gate]] = {
    "id": lambda: lib.IGate(),
    "u0": lambda _gamma: lib.IGate(),
    "x": lib.XGate,
    "y": lib.YGate,
    "z": lib.ZGate,
    "h": lib.HGate,
    "s": lib.SGate,
    "sdg": lib.SdgGate,
    "t": lib.TGate,
    "tdg": lib.TdgGate,
    "sx": lib.SXGate,
    "sxdg": lib.SXdgGate,
    "rx": lib.RXGate,
    "ry": lib.RYGate,
    "rz": lib.RZGate,
    "p": lib.PhaseGate,
    "u1": lib.PhaseGate,
    "u2": lib.U2Gate,
    "u3": lib.U3Gate,
    "u": lib.UGate,
    "cx": lib.CXGate,
    "cy": lib.CYGate,
    "cz": lib.CZGate,
    "ch": lib.CHGate,
    "csx": lib.CSXGate,
    "csxdg": lambda: lib.CSXGate().inverse(),
    "swap": lib.SwapGate,
    "iswap": lib.iSwapGate,
    "iswapdg": lambda: lib.iSwapGate().inverse(),
    "crx": lib.CRXGate,
    "cry": lib.CRYGate,
    "crz": lib.CRZGate,
    "cp": lib.CPhaseGate,
    "cu1": lib.CPhaseGate,
    "cu3": lib.CU3Gate,
    "cu": lib.CUGate,
    "rxx": lib.RXXGate,
    "ryy": lib.RYYGate,
    "rzz": lib.RZZGate,
    "ccx": lib.CCXGate,
    "cswap": lib.CSwapGate,
    "rccx": lib.RCCXGate,
    "rccxdg": lambda: lib.RCCXGate().inverse(),
    "c3x": lib.C3XGate,
    "rc3x": lib.RC3XGate,
    "rc3xdg": lambda: lib.RC3XGate().inverse(),
    "c3sqrtx": lib.C3SXGate,
    "c3sqrtxdg": lambda: lib.C3SXGate().inverse(),
    "c4x": lib.C4XGate,
}


def _append(qc: QuantumCircuit, op: Instruction) -> None:
    if op.name == "barrier":
        qc.barrier(*op.qubits)
    elif op.name == "delay":
        return
    elif op.name == "unitary":
        # kvant matrices put qubits[0] on the most significant bit; Qiskit's UnitaryGate puts
        # its first qarg on the least significant bit, so hand it the qubits reversed.
        qc.append(lib.UnitaryGate(op.unitary_matrix()), list(reversed(op.qubits)))
    else:
        qc.append(_QISKIT[op.name](*op.numeric_params()), list(op.qubits))


def kvant_to_qiskit(circuit: Circuit) -> QuantumCircuit:
    """A Qiskit circuit with the same gates (measurements dropped; custom gates expanded)."""
    qc = QuantumCircuit(circuit.num_qubits)
    for op in circuit.decompose():
        if op.name in ("measure", "reset") or op.condition is not None:
            raise ValueError(f"conversion supports unitary circuits only, got {op.name}")
        _append(qc, op)
    return qc


class AerStateVector:
    """Runs kvant circuits on Qiskit Aer's state-vector method (double precision)."""

    def __init__(self) -> None:
        self.simulator = AerSimulator(method="statevector", precision="double")
        self.native = set(self.simulator.target.operation_names)

    def __call__(self, circuit: Circuit) -> np.ndarray[Any, Any]:
        """Aer's final state vector for ``circuit`` (little-endian, like kvant's)."""
        qc = kvant_to_qiskit(circuit)
        if any(item.operation.name not in self.native for item in qc.data):
            # rewrite only the gates Aer lacks (c3sx, rc3x, iswap...) into ones it has:
            # no layout, no optimisation, global phase kept
            qc = transpile(qc, self.simulator, optimization_level=0)
        qc.save_statevector()
        result = self.simulator.run(qc, shots=1).result()
        return np.asarray(result.get_statevector(qc), dtype=np.complex128)


@pytest.fixture(scope="session")
def qiskit_names() -> frozenset[str]:
    """kvant gate names the converter maps to Qiskit gates."""
    return frozenset(_QISKIT)


@pytest.fixture(scope="session")
def aer_statevector() -> Callable[[Circuit], np.ndarray[Any, Any]]:
    """Run a kvant circuit on Qiskit Aer's state-vector method; returns the final state."""
    return AerStateVector()
