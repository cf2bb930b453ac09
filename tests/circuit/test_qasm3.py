"""OpenQASM 3 import (the circuit subset) and export; modifiers are checked by their matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.circuit import (
    Circuit,
    Condition,
    GateDefinition,
    Instruction,
    Parameter,
    from_qasm,
    gate_matrix,
    to_qasm3,
)
from kvant.circuit._gates import controlled, embed
from kvant.errors import QasmError, QasmSemanticError, QasmSyntaxError

HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'  # the body starts on line 3


def read(body: str) -> Circuit:
    return from_qasm(HEAD + body)


def summary(body: str) -> list[tuple[str, tuple[int, ...], tuple[object, ...]]]:
    return [(op.name, op.qubits, op.params) for op in read(body)]


def unitary(circuit: Circuit) -> np.ndarray:
    n = circuit.num_qubits
    total = np.eye(1 << n, dtype=complex)
    for op in circuit:
        total = embed(op.unitary_matrix(), op.qubits, n) @ total
    return total


# declarations, gates, measurement ------------------------------------------------------------
def test_declarations_and_stdgates_names() -> None:
    c = read(
        "qubit[2] q;\nqubit a;\nbit[2] c;\nbit d;\nphase(0.5) a;\ncphase(0.25) q[1], a;\n"
        "CX q[0], q[1];\nid q[0];\nU(1, 2, 3) q[1];"
    )
    assert [(r.name, r.size) for r in c.qregs] == [("q", 2), ("a", 1)]
    assert [(r.name, r.size) for r in c.cregs] == [("c", 2), ("d", 1)]
    assert [(op.name, op.qubits, op.params) for op in c] == [
        ("p", (2,), (0.5,)),
        ("cp", (1, 2), (0.25,)),
        ("cx", (0, 1), ()),
        ("id", (0,), ()),
        ("u", (1,), (1.0, 2.0, 3.0)),
    ]


def test_old_style_registers_and_indexing() -> None:
    body = "qreg q[4];\ncreg c[4];\nh q[-1];\nx q[0:2];\ny q[{1, 3}];\nz q[3:-1:2];\n"
    body += "measure q -> c;\nc[0] = measure q[1];\nmeasure q[2] -> c[3];"
    c = read(body)
    assert [(op.name, op.qubits, op.clbits) for op in c][:8] == [
        ("h", (3,), ()),
        ("x", (0,), ()),
        ("x", (1,), ()),
        ("x", (2,), ()),
        ("y", (1,), ()),
        ("y", (3,), ()),
        ("z", (3,), ()),
        ("z", (2,), ()),
    ]
    assert [(op.qubits, op.clbits) for op in c if op.name == "measure"][-2:] == [
        ((1,), (0,)),
        ((2,), (3,)),
    ]


def test_inputs_become_parameters_and_constants_fold() -> None:
    c = read(
        "input angle[32] theta;\ninput float phi;\nconst float k = pi / 4;\nqubit q;\n"
        "rx(theta * 2 + k) q;\nrz(phi ** 2) q;\nry(2 * k) q;"
    )
    assert c.parameters == frozenset({"theta", "phi"})
    assert [str(op.params[0]) for op in c][:2] == ["theta*2 + pi/4", "phi**2"]
    assert c.instructions[2].params == (math.pi / 2,)


def test_declarations_with_measurement_constants_and_outputs() -> None:
    c = read(
        "const int n = 2;\nqubit[n] q;\nbit[n] c = measure q;\noutput bit[1] out;\n"
        "out[0] = measure q[1];\ninput float θ;\ngate g(φ) a { rz(φ / 2) a; }\ng(θ) q[0];"
    )
    assert [(r.name, r.size) for r in c.cregs] == [("c", 2), ("out", 1)]
    assert [(op.name, op.qubits, op.clbits) for op in c][:3] == [
        ("measure", (0,), (0,)),
        ("measure", (1,), (1,)),
        ("measure", (1,), (2,)),
    ]
    assert from_qasm(to_qasm3(c)) == c  # Unicode names survive the round trip


def test_delay_units() -> None:
    c = read(
        "qubit q;\ndelay[100ns] q;\ndelay[1.5us] q;\ndelay[2µs] q;\ndelay[0.25ms] q;\n"
        "delay[1e-6s] q;"
    )
    assert [op.params[0] for op in c] == [100.0, 1500.0, 2000.0, 250000.0, 1000.0]


def test_barrier_without_operands_covers_all_qubits_and_gphase_is_dropped() -> None:
    assert summary("qubit[3] q;\nbarrier;\ngphase(0.3);\nbarrier q[2], q[0:1];") == [
        ("barrier", (0, 1, 2), ()),
        ("barrier", (2, 0, 1), ()),
    ]


def test_conditions() -> None:
    body = "qubit q;\nbit[2] c;\nbit f;\nif (c == 2) x q;\nif (0b11 == c) { y q; z q; }\n"
    body += "if (f) x q; else y q;\nif (!c[1]) x q;\nif (c[0] != 1) x q;\n"
    body += "if (c[1] == true && f == 0) x q;"
    conditions = [op.condition for op in read(body)]
    assert conditions == [
        Condition((0, 1), 2),
        Condition((0, 1), 3),
        Condition((0, 1), 3),
        Condition((2,), 1),
        Condition((2,), 0),
        Condition((1,), 0),
        Condition((0,), 0),
        Condition((1, 2), 1),
    ]


# modifiers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("ctrl @ x q[0], q[1];", [("cx", (0, 1), ())]),
        ("ctrl(2) @ x q[0], q[1], q[2];", [("ccx", (0, 1, 2), ())]),
        ("ctrl @ ctrl @ ctrl @ x q[3], q[2], q[1], q[0];", [("c3x", (3, 2, 1, 0), ())]),
        ("ctrl @ cx q[0], q[1], q[2];", [("ccx", (0, 1, 2), ())]),
        ("ctrl(3) @ sx q[0], q[1], q[2], q[3];", [("c3sqrtx", (0, 1, 2, 3), ())]),
        ("ctrl @ inv @ sx q[1], q[0];", [("csxdg", (1, 0), ())]),
        ("inv @ ctrl @ sx q[1], q[0];", [("csxdg", (1, 0), ())]),
        ("inv @ s q[0];", [("sdg", (0,), ())]),
        ("inv @ U(0.1, 0.2, 0.3) q[0];", [("u", (0,), (-0.1, -0.3, -0.2))]),
        ("pow(2) @ t q[0];", [("t", (0,), ())] * 2),
        ("pow(-2) @ rx(0.5) q[0];", [("rx", (0,), (-0.5,))] * 2),
        ("pow(0) @ h q[0];", []),
        ("ctrl @ U(0.1, 0.2, 0.3) q[0], q[1];", [("cu", (0, 1), (0.1, 0.2, 0.3, 0.0))]),
        ("ctrl @ u2(0.2, 0.3) q[0], q[1];", [("cu3", (0, 1), (math.pi / 2, 0.2, 0.3))]),
        ("ctrl @ t q[0], q[1];", [("cp", (0, 1), (math.pi / 4,))]),
        ("ctrl @ rz(0.5) q[1], q[0];", [("crz", (1, 0), (0.5,))]),
        ("ctrl @ swap q[0], q[1], q[2];", [("cswap", (0, 1, 2), ())]),
        ("ctrl @ gphase(0.5) q[1];", [("p", (1,), (0.5,))]),
        ("ctrl(2) @ gphase(0.5) q[1], q[0];", [("cp", (1, 0), (0.5,))]),
        ("negctrl @ x q[1], q[0];", [("x", (1,), ()), ("cx", (1, 0), ()), ("x", (1,), ())]),
    ],
)
def test_modifiers_map_to_library_gates(
    statement: str, expected: list[tuple[str, tuple[int, ...], tuple[float, ...]]]
) -> None:
    assert summary(f"qubit[4] q;\n{statement}") == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("ctrl(2) @ rz(0.5) q[0], q[1], q[2];", controlled(gate_matrix("rz", (0.5,)), 2)),
        ("ctrl @ ctrl @ z q[0], q[1], q[2];", np.diag([1, 1, 1, 1, 1, 1, 1, -1])),
        ("pow(0.5) @ x q[2];", np.kron(np.eye(4), gate_matrix("sx"))),
        ("pow(0.25) @ z q[2];", np.kron(np.eye(4), gate_matrix("t"))),
        ("pow(1.5) @ s q[2];", np.kron(np.eye(4), gate_matrix("p", (3 * math.pi / 4,)))),
        ("ctrl(3) @ gphase(0.7) q[0], q[1], q[2];", np.diag([1] * 7 + [np.exp(0.7j)])),
    ],
)
def test_modifiers_without_library_names_give_exact_matrices(
    statement: str, expected: np.ndarray
) -> None:
    np.testing.assert_allclose(unitary(read(f"qubit[3] q;\n{statement}")), expected, atol=1e-12)


def test_fractional_power_is_the_principal_root() -> None:
    root = unitary(read("qubit[2] q;\ninv @ pow(0.5) @ ctrl @ h q[0], q[1];"))
    np.testing.assert_allclose(root @ root, gate_matrix("ch"), atol=1e-12)  # CH is self-inverse
    eigenvalues = np.linalg.eigvals(root.conj().T)
    assert np.allclose(sorted(eigenvalues.round(12), key=lambda z: (z.real, z.imag)), [1j, 1, 1, 1])


def test_modifiers_on_custom_gates() -> None:
    body = "gate g(a) x, y { cx x, y; ry(a) y; }\nqubit[3] q;\ninv @ g(0.4) q[0], q[1];\n"
    body += "ctrl @ g(0.4) q[2], q[0], q[1];"
    inverse, controlled_g = read(body).instructions
    g = GateDefinition(
        "g", ("a",), 2, (Instruction("cx", (0, 1)), Instruction("ry", (1,), (Parameter("a"),)))
    )
    assert inverse.definition is not None
    assert inverse.definition.name == "g_dg"
    np.testing.assert_allclose(inverse.unitary_matrix(), g.matrix((0.4,)).conj().T, atol=1e-12)
    assert controlled_g.name == "unitary"
    np.testing.assert_allclose(
        controlled_g.unitary_matrix(), controlled(g.matrix((0.4,))), atol=1e-12
    )


def test_modifiers_in_gate_definitions_keep_parameters_symbolic() -> None:
    body = "gate g(a) x, y { ctrl @ rx(a) x, y; inv @ pow(2) @ p(a / 2) y; }\nqubit[2] q;\n"
    body += "g(0.6) q[1], q[0];"
    (op,) = read(body).instructions
    assert op.definition is not None
    assert [(b.name, [str(p) for p in b.params]) for b in op.definition.body] == [
        ("crx", ["a"]),
        ("p", ["-(a/2)"]),
        ("p", ["-(a/2)"]),
    ]


# export ----------------------------------------------------------------------------------------
def test_export_round_trip_with_parameters_conditions_and_definitions() -> None:
    theta = Parameter("theta")
    inner = GateDefinition("inner", ("a",), 2, (Instruction("rzz", (0, 1), (Parameter("a") / 2,)),))
    c = Circuit(4)
    m = c.add_creg("m", 2)
    c.add_creg("flag", 1)
    c.rx(theta * 2, 0).apply(inner, [2, 0], [theta]).gate("c3sqrtx", [0, 1, 2, 3])
    c.measure(0, m[0]).x(1).c_if("m", 2).y(1).c_if([m[1], 2], 2).delay(3, 12.5).reset(3)
    text = to_qasm3(c)
    assert "input float theta;" in text
    assert "if (m == 2) { x q[1]; }" in text
    assert "if (m[1] == 0 && flag[0] == 1) { y q[1]; }" in text
    assert "delay[12.5ns] q[3];" in text
    assert "gate c3sqrtx a, b, c, d { ctrl(3) @ sx a, b, c, d; }" in text
    assert from_qasm(text) == c


def test_export_multi_controlled_unitary() -> None:
    block = np.exp(0.3j) * gate_matrix("u", (0.5, 0.1, -0.4))
    c = Circuit(3).unitary(controlled(block, 2), [2, 0, 1])
    text = to_qasm3(c)
    assert "ctrl(1) @ cu(" in text
    (op,) = from_qasm(text).instructions
    np.testing.assert_allclose(op.unitary_matrix(), controlled(block, 2), atol=1e-12)
    with pytest.raises(QasmError, match="decompose"):
        to_qasm3(Circuit(2).unitary(gate_matrix("iswap"), [0, 1]))


def test_export_refuses_bad_names() -> None:
    with pytest.raises(QasmError, match="not a valid OpenQASM 3 name"):
        to_qasm3(Circuit(1).rx(Parameter("input"), 0))
    with pytest.raises(QasmError, match="name of a gate or register"):
        to_qasm3(Circuit(1).rx(Parameter("q"), 0))


# errors ----------------------------------------------------------------------------------------
SEM, SYN = QasmSemanticError, QasmSyntaxError
ERRORS = [
    ("for", "qubit[2] q;\nfor int i in [0:1] { h q[i]; }", SEM, 4, 1, "for loops"),
    ("while", "qubit q;\nwhile (true) { h q; }", SEM, 4, 1, "while loops"),
    ("def", "def f(qubit a) { h a; }", SEM, 3, 1, "subroutine definitions"),
    ("int-variable", "int[8] n = 3;", SEM, 3, 1, "classical variables of type Int"),
    ("assignment", "bit[2] c;\nc[0] = 1;", SEM, 4, 1, "classical assignments"),
    ("box", "qubit q;\nbox { h q; }", SEM, 4, 1, "box blocks"),
    ("extern", "extern f(int) -> int;", SEM, 3, 1, "extern declarations"),
    ("alias", "qubit[2] q;\nlet a = q[0];", SEM, 4, 1, "aliases (let)"),
    ("unknown-gate", "qubit q;\nfoo q;", SEM, 4, 1, "unknown gate 'foo'"),
    ("wrong-arity", "qubit[2] q;\ncx q[0];", SEM, 4, 1, "gate 'cx' acts on 2 qubit(s), got 1"),
    ("modifier-arity", "qubit[2] q;\nctrl @ h q[0];", SEM, 4, 1, "with its modifiers acts on 2"),
    ("wrong-params", "qubit q;\nrx(0.1, 0.2) q;", SEM, 4, 1, "takes 1 parameter(s), got 2"),
    ("repeated-qubit", "qubit[2] q;\ncx q[1], q[1];", SEM, 4, 1, "repeated qubit"),
    ("undeclared", "qubit q;\nh r[0];", SEM, 4, 3, "undeclared register 'r'"),
    ("undeclared-bare", "qubit q;\nh r;", SEM, 4, 3, "undeclared register 'r'"),
    ("out-of-range", "qubit[2] q;\nh q[2];", SEM, 4, 3, "out of range"),
    ("broadcast", "qubit[2] q;\nqubit[3] r;\ncx q, r;", SEM, 5, 7, "mismatched register sizes"),
    ("redeclared", "qubit[2] q;\nbit[2] q;", SEM, 4, 8, "already declared"),
    ("redefine", "gate h a { x a; }", SEM, 3, 1, "redefinition of gate 'h'"),
    ("dt", "qubit q;\ndelay[10dt] q;", SEM, 4, 6, "dt (device cycles)"),
    ("else-multibit", "qubit q;\nbit[2] c;\nif (c == 1) x q; else y q;", SEM, 5, 1, "else"),
    ("condition", "qubit q;\nbit[2] c;\nif (c > 1) x q;", SEM, 5, 5, "unsupported condition"),
    ("nested-if", "qubit q;\nbit[2] c;\nif (c[0]) { if (c[1]) x q; }", SEM, 5, 13, "inside if"),
    ("measure-no-target", "qubit q;\nmeasure q;", SEM, 4, 1, "must store its result"),
    ("gphase-in-gate", "gate g a { gphase(0.1); }", SEM, 3, 12, "gphase inside gate 'g'"),
    (
        "symbolic-ctrl",
        "input float a;\nqubit[3] q;\nctrl(2) @ rz(a) q[0], q[1], q[2];",
        SEM,
        5,
        1,
        "symbolic parameters",
    ),
    ("symbolic-pow", "input float a;\nqubit q;\npow(a) @ x q;", SEM, 5, 1, "numeric k"),
    ("qelib1", 'include "qelib1.inc";', SEM, 3, 1, "OpenQASM 2 library"),
    ("other-include", 'include "foo.inc";', SEM, 3, 1, "cannot include 'foo.inc'"),
    ("unknown-name", "qubit q;\nrx(theta) q;", SEM, 4, 4, "unknown identifier 'theta'"),
    ("value-too-big", "qubit q;\nbit[3] c;\nif (c == 8) x q;", SEM, 5, 10, "does not fit"),
    ("zero-controls", "qubit[2] q;\nctrl(0) @ x q[0], q[1];", SEM, 4, 1, "at least one control"),
    ("same-bit", "qubit q;\nbit c;\nif (c == 1 && c == 1) x q;", SEM, 5, 5, "same bit twice"),
    ("missing-semicolon", "qubit q\nh q;", SYN, 4, 1, "';' missing at the end of line 3"),
    ("end-of-input", "qubit q;\nh q", SYN, 4, 4, "end of input"),
    ("bad-character", "qubit q;\nh q $;", SYN, 4, 5, "unexpected character"),
    ("unbalanced", "qubit q;\nrx(pi q;", SYN, 4, 7, "syntax error at 'q'"),
    ("not-global", "def f() { qubit q; }", SYN, 3, 11, "qubit declarations must be global"),
]


@pytest.mark.parametrize(
    ("body", "error", "line", "column", "fragment"),
    [case[1:] for case in ERRORS],
    ids=[case[0] for case in ERRORS],
)
def test_errors(
    body: str,
    error: type[QasmError],
    line: int,
    column: int,
    fragment: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(error) as info:
        read(body)
    assert type(info.value) is error
    assert (info.value.line, info.value.column) == (line, column)
    assert fragment in str(info.value)
    assert capfd.readouterr() == ("", "")  # ANTLR prints nothing


def test_stdgates_hint_without_include() -> None:
    with pytest.raises(QasmSemanticError, match=r"stdgates\.inc"):
        from_qasm("OPENQASM 3.0;\nqubit q;\nh q;")
