"""The ``gate`` blocks Kvant writes for gates an include file lacks, and the matrix helpers.

Each block is read back under another name (so it stays a custom gate) and its
``GateDefinition.matrix`` must equal the library matrix to rounding, *with* global phase: a
block is a definition of the library gate, not an approximation to it.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from kvant.circuit import GATES, Circuit, GateDefinition, Instruction, from_qasm, gate_matrix
from kvant.circuit._qasm_library import (
    QASM2_DEFINITIONS,
    QASM3_DEFINITIONS,
    QELIB1_GATES,
    STDGATES,
    controlled_one_qubit,
    global_phase,
    matching_library_gate,
    u3_angles,
)

PARAMS = (0.37, -1.21, 2.05, 0.66)


def _definition_matrix(name: str, block: str, version: int) -> np.ndarray:
    spec = GATES[name]
    renamed = re.sub(rf"^gate {name}\b", f"gate my_{name}", block)
    params = PARAMS[: spec.num_params]
    call = f"my_{name}" + (f"({', '.join(map(repr, params))})" if params else "")
    qubits = ", ".join(f"q[{i}]" for i in range(spec.num_qubits))
    if version == 2:
        head = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{spec.num_qubits}];\n'
    else:
        head = f'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[{spec.num_qubits}] q;\n'
    (op,) = from_qasm(f"{head}{renamed}\n{call} {qubits};\n").instructions
    assert op.definition is not None
    return op.definition.matrix(params)


@pytest.mark.parametrize("name", sorted(QASM2_DEFINITIONS))
def test_qasm2_definitions_are_exact(name: str) -> None:
    assert not GATES[name].in_qelib1
    matrix = _definition_matrix(name, QASM2_DEFINITIONS[name], 2)
    expected = GATES[name].matrix(*PARAMS[: GATES[name].num_params])
    np.testing.assert_allclose(matrix, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", sorted(QASM3_DEFINITIONS))
def test_qasm3_definitions_are_exact(name: str) -> None:
    matrix = _definition_matrix(name, QASM3_DEFINITIONS[name], 3)
    expected = GATES[name].matrix(*PARAMS[: GATES[name].num_params])
    np.testing.assert_allclose(matrix, expected, atol=1e-12, rtol=0)


def test_every_library_gate_can_be_written() -> None:
    assert {n for n, spec in GATES.items() if spec.in_qelib1} == QELIB1_GATES
    assert set(GATES) == QELIB1_GATES | set(QASM2_DEFINITIONS)
    assert set(GATES) == set(STDGATES.values()) | {"u"} | set(QASM3_DEFINITIONS)


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_library_gate_round_trips(name: str) -> None:
    from kvant.circuit import to_qasm2, to_qasm3

    spec = GATES[name]
    circuit = Circuit(spec.num_qubits).gate(
        name, list(reversed(range(spec.num_qubits))), PARAMS[: spec.num_params]
    )
    assert from_qasm(to_qasm2(circuit)) == circuit
    assert from_qasm(to_qasm3(circuit)) == circuit


# the matrix helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "matrix",
    [
        gate_matrix("h"),
        gate_matrix("x"),
        gate_matrix("s"),
        gate_matrix("sx"),
        gate_matrix("u", (0.3, -2.0, 1.1)),
        np.exp(0.7j) * gate_matrix("u", (2.4, 0.5, -0.9)),
        np.exp(-2.1j) * gate_matrix("y"),
        np.diag([1j, -1j]),
    ],
)
def test_u3_angles_and_global_phase(matrix: np.ndarray) -> None:
    theta, phi, lam = u3_angles(matrix)
    alpha = global_phase(matrix, theta, phi, lam)
    rebuilt = np.exp(1j * alpha) * gate_matrix("u", (theta, phi, lam))
    np.testing.assert_allclose(rebuilt, matrix, atol=1e-12)
    assert all(-math.pi <= a <= math.pi for a in (phi, lam))


def test_controlled_one_qubit() -> None:
    block = gate_matrix("u", (0.3, 0.2, 0.1)) * np.exp(0.4j)
    from kvant.circuit._gates import controlled

    np.testing.assert_array_equal(controlled_one_qubit(controlled(block, 2)), block)
    np.testing.assert_array_equal(controlled_one_qubit(block), block)
    assert controlled_one_qubit(gate_matrix("swap")) is None
    assert controlled_one_qubit(gate_matrix("rzz", (0.3,))) is None


def test_matching_library_gate() -> None:
    def u(*params: float) -> Instruction:
        return Instruction("u", (0,), params)

    # h, up to a global phase, is recognised
    assert matching_library_gate(GateDefinition("h", (), 1, (u(math.pi / 2, 0.0, math.pi),))) == "h"
    assert matching_library_gate(GateDefinition("mine", (), 1, ())) is None
    with pytest.raises(ValueError, match="different matrix"):
        matching_library_gate(GateDefinition("h", (), 1, (u(0.1, 0.0, 0.0),)))
    with pytest.raises(ValueError, match="takes 1 parameter"):
        matching_library_gate(GateDefinition("h", ("a",), 1, ()))
