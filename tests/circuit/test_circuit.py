"""The circuit builder: validation, registers, depth, counts, inverse, binding, composition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.circuit import Circuit, Condition, GateDefinition, Instruction, Parameter
from kvant.circuit._gates import embed
from kvant.errors import CircuitError, ConfigError, GateDefinitionError, UnboundParameterError


def dense(circuit: Circuit) -> np.ndarray:
    """Unitary by plain matrix products (textbook order); independent of any engine."""
    n = circuit.num_qubits
    total = np.eye(1 << n, dtype=complex)
    for op in circuit.decompose():
        if op.name not in ("barrier", "delay"):
            total = embed(op.unitary_matrix(), op.qubits, n) @ total
    return total


def test_fluent_builder_counts_and_depth() -> None:
    c = Circuit(3).h(0).cx(0, 1).cx(1, 2).barrier().rz(0.5, 2).measure_all()
    assert c.count_ops() == {"h": 1, "cx": 2, "barrier": 1, "rz": 1, "measure": 3}
    assert c.num_clbits == 3
    # h | cx01 | cx12 | rz | measure(2); measures of 0 and 1 fit before
    assert c.depth() == 5
    assert Circuit(4).h(0).h(1).h(2).h(3).depth() == 1
    assert Circuit(2).depth() == 0


def test_conditions_chain_depth_through_classical_bits() -> None:
    c = Circuit(2, 1).measure(0, 0).x(1).c_if("c", 1)
    assert c.depth() == 2
    assert c.instructions[-1].condition == Condition((0,), 1)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda c: c.h(3), CircuitError, "qubit 3 does not exist"),
        (lambda c: c.h(-1), CircuitError, "qubit -1 does not exist"),
        (lambda c: c.cx(1, 1), CircuitError, "repeated qubit"),
        (lambda c: c.ccx(0, 1, 1), CircuitError, "repeated qubit"),
        (lambda c: c.measure(0, 5), CircuitError, "classical bit 5 does not exist"),
        (lambda c: c.rx("a", 0), ConfigError, "not a real number"),
        (lambda c: c.rx(float("nan"), 0), ConfigError, "not finite"),
        (lambda c: c.rx(1j, 0), ConfigError, "complex"),
        (lambda c: c.gate("foo", [0]), GateDefinitionError, "unknown gate 'foo'"),
        (lambda c: c.gate("cx", [0]), CircuitError, "acts on 2 qubit"),
        (lambda c: c.gate("rx", [0], []), GateDefinitionError, "takes 1 parameter"),
        (lambda c: c.unitary(np.ones((2, 2)), [0]), GateDefinitionError, "not unitary"),
        (lambda c: c.unitary(np.eye(2), [0, 1]), GateDefinitionError, "must be 4x4"),
        (lambda c: c.x(0).c_if("nope", 1), CircuitError, "no classical register 'nope'"),
        (lambda c: c.x(0).c_if("c", 4), CircuitError, "does not fit"),
        (lambda c: c.delay(0, -1), CircuitError, ">= 0 ns"),
        (lambda c: c.add_creg("c", 2), CircuitError, "already exists"),
    ],
)
def test_bad_input_raises_clear_errors(build, error, match) -> None:  # type: ignore[no-untyped-def]
    c = Circuit(3, 2)
    before = len(c)
    with pytest.raises(error, match=match):
        build(c)
    assert len(c) <= before + 1  # the failing instruction itself was not added
    assert all(op.name != "foo" for op in c)


def test_failed_c_if_keeps_the_instruction_unconditioned() -> None:
    c = Circuit(1, 1).x(0)
    with pytest.raises(CircuitError):
        c.c_if("c", 3)
    assert c.instructions == (Instruction("x", (0,)),)


def test_bad_sizes() -> None:
    with pytest.raises(CircuitError, match="non-negative integer"):
        Circuit(-1)
    with pytest.raises(CircuitError, match="non-negative integer"):
        Circuit(2.5)  # type: ignore[arg-type]


def test_registers_index_globally() -> None:
    c = Circuit()
    a = c.add_qreg("a", 2)
    b = c.add_qreg("b", 3)
    m = c.add_creg("m", 3)
    c.cx(a[1], b[2]).measure(b[0], m[2])
    assert c.instructions[0].qubits == (1, 4)
    assert c.instructions[1].clbits == (2,)
    assert list(b) == [2, 3, 4]
    assert b[-1] == 4
    with pytest.raises(CircuitError, match="out of range"):
        b[3]


def test_inverse_undoes_the_circuit() -> None:
    theta = 0.731
    c = (
        Circuit(3)
        .h(0)
        .s(1)
        .t(2)
        .sx(0)
        .rx(theta, 1)
        .ry(theta, 2)
        .rz(theta, 0)
        .p(theta, 1)
        .u(0.1, 0.2, 0.3, 2)
        .gate("u2", [0], [0.4, 0.5])
        .cx(0, 1)
        .cy(1, 2)
        .cz(0, 2)
        .ch(1, 0)
        .swap(0, 2)
        .iswap(1, 2)
        .crx(theta, 0, 1)
        .cry(theta, 1, 2)
        .crz(theta, 2, 0)
        .cp(theta, 0, 1)
        .cu(0.1, 0.2, 0.3, 0.4, 1, 0)
        .rxx(theta, 0, 1)
        .ryy(theta, 1, 2)
        .rzz(theta, 0, 2)
        .ccx(0, 1, 2)
        .cswap(2, 0, 1)
        .gate("rccx", [0, 1, 2])
        .unitary(np.array([[0, 1j], [1j, 0]]), [1])
    )
    np.testing.assert_allclose(dense(c + c.inverse()), np.eye(8), atol=1e-12)
    np.testing.assert_allclose(dense(c.inverse()), dense(c).conj().T, atol=1e-12)


def test_inverse_rejects_measurement_and_conditions() -> None:
    with pytest.raises(CircuitError, match="not unitary"):
        Circuit(1, 1).measure(0, 0).inverse()
    with pytest.raises(CircuitError, match="conditioned"):
        Circuit(1, 1).x(0).c_if(0, 1).inverse()


def test_parameters_bind_and_stay_symbolic_through_inverse() -> None:
    a, b = Parameter("a"), Parameter("b")
    c = Circuit(2).rx(2 * a, 0).crz(a - b, 0, 1).u(a, b, a / 2, 1)
    assert c.parameters == {"a", "b"}
    inv = c.inverse()
    assert inv.parameters == {"a", "b"}
    bound = (c + inv).bind({"a": 0.3, "b": -1.2})
    assert bound.parameters == frozenset()
    np.testing.assert_allclose(dense(bound), np.eye(4), atol=1e-12)
    partial = c.bind({"a": 1.0})
    assert partial.parameters == {"b"}
    assert partial.instructions[0].params == (2.0,)
    with pytest.raises(UnboundParameterError, match="unbound parameter"):
        dense(partial)
    with pytest.raises(ConfigError, match="no parameter"):
        c.bind({"zzz": 1.0})


def test_parameter_names_and_expressions() -> None:
    with pytest.raises(ConfigError, match="not an identifier"):
        Parameter("2x")
    t = Parameter("t")
    expr = (t + 1) * 2 - t / 4
    assert expr.bind({"t": 2.0}) == pytest.approx(5.5)
    assert str(expr) == "(t + 1)*2 - t/4"
    assert t.apply("cos").bind({"t": 0.0}) == 1.0
    assert (-t).substitute({"t": 2.0}) == -2.0
    with pytest.raises(ConfigError, match="unknown function"):
        t.apply("floor")


def test_custom_gate_definition_and_decompose() -> None:
    theta = Parameter("theta")
    body = (
        Instruction("h", (1,)),
        Instruction("cp", (0, 1), (theta,)),
        Instruction("h", (1,)),
    )
    cphase_x = GateDefinition("cphx", ("theta",), 2, body)
    c = Circuit(2).apply(cphase_x, [1, 0], [math.pi])
    flat = c.decompose()
    assert [op.name for op in flat] == ["h", "cp", "h"]
    assert flat.instructions[1].qubits == (1, 0)
    # controlled-phase(pi) conjugated by H on the target is CX with control 1, target 0
    np.testing.assert_allclose(dense(c), dense(Circuit(2).cx(1, 0)), atol=1e-12)
    np.testing.assert_allclose(dense(c + c.inverse()), np.eye(4), atol=1e-12)
    with pytest.raises(GateDefinitionError, match="undeclared parameter"):
        GateDefinition("bad", (), 1, (Instruction("rx", (0,), (theta,)),))
    with pytest.raises(GateDefinitionError, match="outside"):
        GateDefinition("bad", (), 1, (Instruction("cx", (0, 1)),))


def test_compose_and_add() -> None:
    bell = Circuit(2).h(0).cx(0, 1)
    wide = Circuit(3).compose(bell, qubits=[2, 0])
    assert [op.qubits for op in wide] == [(2,), (2, 0)]
    with pytest.raises(CircuitError, match="cannot add"):
        _ = bell + Circuit(3)


def test_mid_circuit_detection() -> None:
    assert not Circuit(2).h(0).measure_all().has_mid_circuit_operations
    assert Circuit(1, 1).measure(0, 0).h(0).has_mid_circuit_operations
    assert Circuit(1).reset(0).has_mid_circuit_operations
    assert Circuit(1, 1).x(0).c_if(0, 0).has_mid_circuit_operations


def test_measure_all_adds_a_fresh_register() -> None:
    c = Circuit(2, 1).measure_all()
    assert [r.name for r in c.cregs] == ["c", "meas"]
    assert [op.clbits for op in c if op.name == "measure"] == [(1,), (2,)]
