"""Malformed OpenQASM 2: each case raises the right error class, at the right line and column,
with a message that says what is wrong."""

from __future__ import annotations

import pytest

from kvant.circuit import from_qasm
from kvant.errors import QasmError, QasmSemanticError, QasmSyntaxError

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'  # the body starts on line 3
SYN, SEM = QasmSyntaxError, QasmSemanticError

CASES = [
    # (id, body, error class, line, column, message fragment)
    ("unknown-gate", "qreg q[1];\nfoo q[0];", SEM, 4, 1, "unknown gate 'foo'"),
    ("unknown-gate-hint", "qreg q[1];\nhh q[0];", SEM, 4, 1, "did you mean 'h'"),
    ("too-few-qubits", "qreg q[2];\ncx q[0];", SEM, 4, 1, "acts on 2 qubit(s), got 1"),
    ("too-many-qubits", "qreg q[3];\nh q[0], q[1];", SEM, 4, 1, "acts on 1 qubit(s), got 2"),
    ("missing-param", "qreg q[1];\nrx q[0];", SEM, 4, 1, "takes 1 parameter(s), got 0"),
    ("too-few-params", "qreg q[1];\nu3(1, 2) q[0];", SEM, 4, 1, "takes 3 parameter(s), got 2"),
    ("custom-params", "gate g(a) x { rx(a) x; }\nqreg q[1];\ng q[0];", SEM, 5, 1, "takes 1"),
    ("repeated-qubit", "qreg q[2];\ncx q[1], q[1];", SEM, 4, 10, "repeated qubit"),
    ("repeated-register", "qreg q[2];\ncx q, q;", SEM, 4, 7, "repeated qubit"),
    ("repeated-in-body", "gate g a, b { cx a, a; }", SEM, 3, 21, "repeated qubit"),
    ("undeclared-qreg", "qreg q[1];\nh r[0];", SEM, 4, 3, "undeclared register 'r'"),
    ("undeclared-creg", "qreg q[1];\nmeasure q[0] -> c[0];", SEM, 4, 17, "undeclared register 'c'"),
    ("creg-as-qubit", "creg c[1];\nh c[0];", SEM, 4, 3, "not a quantum register"),
    ("qreg-as-bit", "qreg q[1];\nmeasure q[0] -> q[0];", SEM, 4, 17, "not a classical register"),
    ("index-out-of-range", "qreg q[2];\nh q[2];", SEM, 4, 3, "index 2 is out of range"),
    ("missing-semicolon", "qreg q[2]\nh q[0];", SYN, 3, 10, "missing ';'"),
    ("missing-final-semicolon", "qreg q[1];\nreset q[0]", SYN, 4, 11, "missing ';'"),
    ("unbalanced-paren", "qreg q[1];\nrx(pi/2 q[0];", SYN, 4, 9, "unbalanced brackets"),
    ("unbalanced-bracket", "qreg q[2;", SYN, 3, 9, "expected ']'"),
    ("unclosed-gate-body", "gate g a { x a; ", SYN, 3, 17, "expected '}'"),
    ("garbage-character", "qreg q[1];\nh q[0] $;", SYN, 4, 8, "unexpected character '$'"),
    ("garbage-statement", "qreg q[1];\n123;", SYN, 4, 1, "expected a statement"),
    ("garbage-expression", "qreg q[1];\nrx(*) q[0];", SYN, 4, 4, "expected a number"),
    ("unterminated-comment", "/* never closed\nqreg q[1];", SYN, 3, 1, "unterminated comment"),
    ("unterminated-string", 'include "qelib1.inc;\n', SYN, 3, 9, "unterminated string"),
    ("missing-arrow", "qreg q[1];\ncreg c[1];\nmeasure q[0] c[0];", SYN, 5, 14, "'->'"),
    ("index-in-body", "gate g a { h a[0]; }", SYN, 3, 15, "indexing is not allowed"),
    ("measure-in-body", "gate g a { measure a -> c; }", SYN, 3, 12, "only gate calls"),
    (
        "barrier-under-if",
        "qreg q[1];\ncreg c[1];\nif(c==1) barrier q;",
        SYN,
        5,
        10,
        "cannot follow",
    ),
    ("second-header", "OPENQASM 2.0;", SYN, 3, 1, "second version header"),
    ("opaque", "opaque magic(theta) a, b;", SEM, 3, 1, "opaque gate 'magic' cannot be simulated"),
    ("mismatched-broadcast", "qreg a[2];\nqreg b[3];\ncx a, b;", SEM, 5, 7, "mismatched register"),
    ("duplicate-register", "qreg q[2];\ncreg q[2];", SEM, 4, 1, "duplicate register name 'q'"),
    ("empty-register", "qreg q[0];", SEM, 3, 1, "at least one"),
    ("redefine-qelib1", "gate h a { x a; }", SEM, 3, 1, "redefinition of gate 'h'"),
    (
        "redefine-own",
        "gate g a { x a; }\ngate g a { y a; }",
        SEM,
        4,
        1,
        "already defined at line 3",
    ),
    ("redefine-builtin", "gate CX a, b { }", SEM, 3, 1, "redefinition of gate 'CX'"),
    ("library-clash", "gate ryy(t) a, b { cx a, b; }", SEM, 3, 1, "different matrix"),
    ("reserved-name", "gate unitary a { x a; }", SEM, 3, 1, "reserved"),
    ("pi-as-parameter", "gate g(pi) a { }", SEM, 3, 1, "'pi' is a constant"),
    ("repeated-argument", "gate g a, a { }", SEM, 3, 1, "repeats the qubit argument"),
    ("measure-sizes", "qreg q[1];\ncreg c[2];\nmeasure q -> c;", SEM, 5, 1, "sizes must match"),
    ("measure-mixed", "qreg q[2];\ncreg c[2];\nmeasure q[0] -> c;", SEM, 5, 1, "both"),
    ("if-on-qreg", "qreg q[1];\nif(q==1) x q[0];", SEM, 4, 1, "quantum register"),
    ("if-undeclared", "qreg q[1];\nif(c==1) x q[0];", SEM, 4, 1, "not declared"),
    ("if-value-too-big", "qreg q[1];\ncreg c[1];\nif(c==2) x q[0];", SEM, 5, 1, "holds 0..1"),
    ("variable-at-top", "qreg q[1];\nrx(theta) q[0];", SEM, 4, 4, "unknown identifier 'theta'"),
    ("unknown-in-body", "gate g(a) q { rx(b) q; }", SEM, 3, 18, "unknown identifier 'b'"),
    ("division-by-zero", "qreg q[1];\nrx(1/0) q[0];", SEM, 4, 5, "division by zero"),
    ("log-of-zero", "qreg q[1];\nrx(ln(0)) q[0];", SEM, 4, 4, "outside the function's domain"),
    ("complex-power", "qreg q[1];\nrx((-8)^(1/3)) q[0];", SEM, 4, 8, "not a real number"),
    ("other-include", 'include "other.inc";', SEM, 3, 1, "cannot include 'other.inc'"),
    ("delay-shape", "gate delay(a, b) q { }", SEM, 3, 1, "gate delay(duration_ns) q { }"),
    ("delay-negative", "gate delay(d) q { }\nqreg q[1];\ndelay(-1) q[0];", SEM, 5, 1, ">= 0"),
    ("delay-in-body", "gate delay(d) q { }\ngate g a { delay(1) a; }", SEM, 4, 12, "inside a gate"),
]


@pytest.mark.parametrize(
    ("body", "error", "line", "column", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed_qasm2(
    body: str, error: type[QasmError], line: int, column: int, fragment: str
) -> None:
    with pytest.raises(error, match=None) as info:
        from_qasm(HEAD + body)
    assert type(info.value) is error
    assert (info.value.line, info.value.column) == (line, column)
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"line {line}, column {column}: ")


def test_qelib1_gate_without_include_says_how_to_fix() -> None:
    with pytest.raises(QasmSemanticError, match=r"qelib1\.inc") as info:
        from_qasm("OPENQASM 2.0;\nqreg q[1];\nh q[0];")
    assert (info.value.line, info.value.column) == (3, 1)


def test_library_gate_defined_before_include_is_the_library_gate() -> None:
    text = (
        "OPENQASM 2.0;\ngate rzz(t) a, b { CX a, b; U(0, 0, t) b; CX a, b; }\n"
        'include "qelib1.inc";\nqreg q[2];\nrzz(0.5) q[0], q[1];'
    )
    (op,) = from_qasm(text).instructions
    assert (op.name, op.definition) == ("rzz", None)


@pytest.mark.parametrize(
    ("text", "error", "line", "column"),
    [
        ("qreg q[1];", QasmSyntaxError, 1, 1),
        ("// a comment\n  /* and another */ qreg q[1];", QasmSyntaxError, 2, 21),
        ("OPENQASM 4.0;\nqreg q[1];", QasmSemanticError, 1, 1),
        ("OPENQASM 2.1;\nqreg q[1];", QasmSemanticError, 1, 10),
        ("OPENQASM;", QasmSyntaxError, 1, 1),
    ],
)
def test_missing_or_unsupported_header(
    text: str, error: type[QasmError], line: int, column: int
) -> None:
    with pytest.raises(error, match="version") as info:
        from_qasm(text)
    assert (info.value.line, info.value.column) == (line, column)


def test_errors_after_comments_count_lines() -> None:
    text = HEAD + "/* one\n two\n three */ qreg q[1]; // four\nh q[1];"
    with pytest.raises(QasmSemanticError) as info:
        from_qasm(text)
    assert (info.value.line, info.value.column) == (6, 3)


def test_errors_are_value_errors_and_carry_a_bare_message() -> None:
    with pytest.raises(ValueError, match="unknown gate") as info:
        from_qasm(HEAD + "qreg q[1];\nfoo q[0];")
    assert isinstance(info.value, QasmError)
    assert info.value.bare_message.startswith("unknown gate 'foo'")
