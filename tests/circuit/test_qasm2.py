"""OpenQASM 2.0 import and export: what each construct becomes, and what cannot be written."""

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
    to_qasm2,
)
from kvant.circuit._gates import controlled
from kvant.errors import QasmError

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def ops(text: str) -> list[tuple[str, tuple[int, ...], tuple[object, ...]]]:
    return [(op.name, op.qubits, tuple(op.params)) for op in from_qasm(HEAD + text)]


# import ----------------------------------------------------------------------------------------
def test_registers_and_broadcasting() -> None:
    c = from_qasm(HEAD + "qreg a[2];\nqreg b[2];\ncreg m[2];\nh a;\ncx a, b;\ncx a[1], b;\n")
    assert [(r.name, r.start, r.size) for r in c.qregs] == [("a", 0, 2), ("b", 2, 2)]
    assert [(r.name, r.size) for r in c.cregs] == [("m", 2)]
    assert [(op.name, op.qubits) for op in c] == [
        ("h", (0,)),
        ("h", (1,)),
        ("cx", (0, 2)),
        ("cx", (1, 3)),
        ("cx", (1, 2)),
        ("cx", (1, 3)),
    ]


def test_measure_reset_barrier() -> None:
    text = "qreg q[2];\nqreg r[1];\ncreg c[2];\nmeasure q -> c;\nmeasure r[0] -> c[1];\n"
    text += "reset q;\nbarrier q, r[0], q[1];\n"
    c = from_qasm(HEAD + text)
    assert [(op.name, op.qubits, op.clbits) for op in c] == [
        ("measure", (0,), (0,)),
        ("measure", (1,), (1,)),
        ("measure", (2,), (1,)),
        ("reset", (0,), ()),
        ("reset", (1,), ()),
        ("barrier", (0, 1, 2), ()),
    ]


def test_if_conditions_a_whole_register() -> None:
    text = "qreg q[2];\ncreg a[1];\ncreg b[2];\nif(b==2) x q;\nif(a==1) measure q[0] -> b[0];\n"
    c = from_qasm(HEAD + text)
    conditions = [op.condition for op in c]
    assert conditions == [Condition((1, 2), 2)] * 2 + [Condition((0,), 1)]
    assert c.instructions[2].name == "measure"


def test_builtins_and_exact_angles() -> None:
    assert ops("qreg q[2];\nU(pi/2, 3*pi/4, -pi/8) q[0];\nCX q[0], q[1];") == [
        ("u", (0,), (math.pi / 2, 3 * math.pi / 4, -math.pi / 8)),
        ("cx", (0, 1), ()),
    ]


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("2^3^2", 512.0),  # right-associative
        ("-2^2", -4.0),  # unary minus below ^
        ("2^-1", 0.5),
        ("1 - -2", 3.0),
        ("2*-3", -6.0),
        ("-(1 + 2)/3*pi", -math.pi),
        ("sin(pi/6)*2", math.sin(math.pi / 6) * 2),
        (
            "exp(1) + ln(2) - sqrt(2)/tan(0.3) + cos(0)",
            math.e + math.log(2) - 2**0.5 / math.tan(0.3) + 1,
        ),
        ("1.5e-3 + .5 + 2. + 1E2", 1.5e-3 + 0.5 + 2.0 + 100.0),
        ("0.1", 0.1),
    ],
)
def test_expressions(expression: str, value: float) -> None:
    ((_, _, params),) = ops(f"qreg q[1];\nrz({expression}) q[0];")
    assert params == (value,)


def test_custom_gates_nest_and_keep_their_expressions() -> None:
    text = (
        "gate rot(theta, phi) a { rz(phi) a; ry(theta/2) a; }\n"
        "gate pair(t) a, b { rot(t, -t) a; cx a, b; barrier a, b; }\n"
        "qreg q[2];\npair(0.3) q[1], q[0];\n"
    )
    (op,) = from_qasm(HEAD + text).instructions
    pair = op.definition
    assert pair is not None
    assert (pair.name, pair.params, pair.num_qubits) == ("pair", ("t",), 2)
    rot = pair.body[0].definition
    assert rot is not None
    assert [str(p) for p in rot.body[1].params] == ["theta/2"]
    assert [str(p) for p in pair.body[0].params] == ["t", "-t"]
    expected = gate_matrix("cx") @ np.kron(
        gate_matrix("ry", (0.15,)) @ gate_matrix("rz", (-0.3,)), np.eye(2)
    )
    np.testing.assert_allclose(op.unitary_matrix(), expected, atol=1e-12)
    assert op.qubits == (1, 0)


def test_definitions_of_library_gates_become_library_gates() -> None:
    text = "OPENQASM 2.0;\ngate h a { U(pi/2, 0, pi) a; }\ngate cx c, t { CX c, t; }\n"
    text += "qreg q[2];\nh q[0];\ncx q[0], q[1];\n"
    c = from_qasm(text)
    assert [(op.name, op.definition) for op in c] == [("h", None), ("cx", None)]


def test_delay_gate_is_kvant_delay() -> None:
    text = "gate delay(duration_ns) q { }\nqreg q[2];\ncreg c[1];\ndelay(2.5e3) q;\n"
    text += "if(c==1) delay(7) q[1];\n"
    c = from_qasm(HEAD + text)
    assert [(op.name, op.qubits, op.params) for op in c] == [
        ("delay", (0,), (2500.0,)),
        ("delay", (1,), (2500.0,)),
        ("delay", (1,), (7.0,)),
    ]
    assert c.instructions[2].condition == Condition((0,), 1)


def test_comments_and_layout() -> None:
    text = 'OPENQASM 2.0; // header\n/* a\nblock */include "qelib1.inc";qreg q[1];h\nq\n[\n0\n]\n;'
    assert [op.name for op in from_qasm(text)] == ["h"]


# export ----------------------------------------------------------------------------------------
def test_export_registers_by_name() -> None:
    c = Circuit()
    a = c.add_qreg("anc", 1)
    data = c.add_qreg("data", 2)
    out = c.add_creg("out", 2)
    c.h(a[0]).cx(a[0], data[1]).measure(data[1], out[0])
    assert to_qasm2(c).splitlines()[2:] == [
        "qreg anc[1];",
        "qreg data[2];",
        "creg out[2];",
        "h anc[0];",
        "cx anc[0], data[1];",
        "measure data[1] -> out[0];",
    ]


def test_export_defines_missing_gates_once_in_order() -> None:
    inner = GateDefinition("inner", ("a",), 2, (Instruction("ryy", (0, 1), (Parameter("a"),)),))
    outer = GateDefinition(
        "outer", ("b",), 2, (Instruction("inner", (1, 0), (Parameter("b") * 2,), definition=inner),)
    )
    c = Circuit(2).iswap(0, 1).apply(outer, [0, 1], [0.5]).iswap(1, 0).delay(0, 10)
    text = to_qasm2(c)
    gates = [line.split()[1].split("(")[0] for line in text.splitlines() if line.startswith("gate")]
    assert gates == ["iswap", "ryy", "delay", "inner", "outer"]
    assert "gate outer(b) q0, q1 { inner(b*2) q1, q0; }" in text
    assert from_qasm(text) == c


def test_export_numbers_are_exact() -> None:
    values = [
        0.1,
        1 / 3,
        2**0.5,
        1e-300,
        -1e-7,
        12345.678e20,
        math.pi * 3 / 8,
        -math.pi,
        7.0,
        5e-324,
    ]
    c = Circuit(1)
    for v in values:
        c.rz(v, 0)
    text = to_qasm2(c)
    for line in ("rz(3*pi/8) q[0];", "rz(-pi) q[0];", "rz(1.0e-300) q[0];"):
        assert line in text
    assert [op.params[0] for op in from_qasm(text)] == values


@pytest.mark.parametrize(
    "expression",
    [
        lambda a, b: (a + b) * 2,
        lambda a, b: a - (b - 1),
        lambda a, b: a / (b * 3),
        lambda a, b: -(a**2),
        lambda a, b: (-a) ** 2,
        lambda a, b: a ** (b**2),
        lambda a, b: (a**b) ** 2,
        lambda a, b: 2 ** (-a) - -b,
        lambda a, b: (a * -0.5).apply("sin") / b.apply("ln") + b.apply("sqrt").apply("exp"),
        lambda a, b: a * (math.pi / 4) + 1e-7 * b.apply("tan") - b.apply("cos"),
    ],
)
def test_export_expressions_read_back_the_same(expression: object) -> None:
    a, b = Parameter("a"), Parameter("b")
    value = expression(a, b)  # type: ignore[operator]
    definition = GateDefinition("g", ("a", "b"), 1, (Instruction("rz", (0,), (value,)),))
    text = to_qasm2(Circuit(1).apply(definition, [0], [0.3, 1.7]))
    (op,) = from_qasm(text).instructions
    assert op.definition is not None
    assert str(op.definition.body[0].params[0]) == str(value)
    assert "**" not in text


def test_export_one_qubit_unitary_as_u3_dropping_global_phase() -> None:
    matrix = np.exp(0.4j) * gate_matrix("u", (0.3, -1.2, 2.2))
    (op,) = from_qasm(to_qasm2(Circuit(1).unitary(matrix, [0]))).instructions
    assert op.name == "u3"
    np.testing.assert_allclose(np.exp(0.4j) * op.unitary_matrix(), matrix, atol=1e-12)


def test_export_controlled_unitary_as_cu_with_its_phase() -> None:
    block = np.exp(0.4j) * gate_matrix("u", (0.3, -1.2, 2.2))
    c = Circuit(2).unitary(controlled(block), [1, 0])
    (op,) = from_qasm(to_qasm2(c)).instructions
    assert (op.name, op.qubits) == ("cu", (1, 0))
    np.testing.assert_allclose(op.unitary_matrix(), controlled(block), atol=1e-12)


def test_export_conditions() -> None:
    c = Circuit(1)
    c.add_creg("a", 1)
    c.add_creg("b", 2)
    c.x(0).c_if("b", 3).x(0).c_if("a", 1)
    assert to_qasm2(c).splitlines()[-2:] == ["if(b==3) x q[0];", "if(a==1) x q[0];"]


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: Circuit(1, 2).x(0).c_if([0], 1), "whole classical register"),
        (lambda: Circuit(1, 2).x(0).c_if([1, 0], 1), "whole classical register"),
        (lambda: Circuit(2, 1).barrier().c_if("c", 1), "cannot condition a barrier"),
        (lambda: Circuit(1).rx(Parameter("t"), 0), "bind them first"),
        (lambda: Circuit(2).unitary(gate_matrix("swap"), [0, 1]), "decompose it"),
        (lambda: Circuit(3).unitary(controlled(gate_matrix("h"), 2), [0, 1, 2]), "decompose"),
    ],
)
def test_export_refuses_what_qasm2_cannot_say(build: object, fragment: str) -> None:
    with pytest.raises(QasmError, match=fragment):
        to_qasm2(build())  # type: ignore[operator]


def test_export_refuses_bad_names() -> None:
    upper = Circuit()
    upper.add_qreg("Data", 1)
    with pytest.raises(QasmError, match="not a valid OpenQASM 2 name"):
        to_qasm2(upper)
    gate_named = Circuit()
    gate_named.add_qreg("x", 1)
    with pytest.raises(QasmError, match="has the name of a gate"):
        to_qasm2(gate_named)
    with pytest.raises(QasmError, match="library gate"):
        to_qasm2(Circuit(1).apply(GateDefinition("h", (), 1, ()), [0]))
    asin = Parameter("a").apply("asin")
    definition = GateDefinition("g", ("a",), 1, (Instruction("rz", (0,), (asin,)),))
    with pytest.raises(QasmError, match="no function 'asin'"):
        to_qasm2(Circuit(1).apply(definition, [0], [0.1]))
