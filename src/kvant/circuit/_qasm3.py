"""OpenQASM 3 reader for the circuit subset, on top of the ``openqasm3`` reference parser.

Supported: ``include "stdgates.inc"``, ``qubit``/``bit`` (and ``qreg``/``creg``) declarations,
``input float``/``input angle`` (free :class:`Parameter` s), ``const`` numbers, gate calls with
broadcasting and the modifiers ``inv``, ``pow``, ``ctrl``, ``negctrl``, ``gate`` definitions,
``measure`` (all three spellings), ``reset``, ``barrier``, ``delay`` (ns, us, µs, ms, s), ``if``
on a register or bits (with ``else`` for one bit), and ``gphase`` (dropped at top level, where
it is a global phase; under ``ctrl @`` it is a phase gate). Everything else (loops,
subroutines, classical variables and arithmetic, ``box``, calibrations) raises a
:class:`QasmSemanticError` naming the construct and where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from openqasm3 import ast

from kvant.circuit._circuit import Circuit
from kvant.circuit._instruction import Condition, Instruction
from kvant.circuit._parameters import Parameter
from kvant.circuit._qasm3_gates import GateTable
from kvant.circuit._qasm3_parse import Source, parse_program
from kvant.circuit._qasm3_scope import Scope
from kvant.errors import CircuitError, ConfigError, QasmSemanticError

__all__ = ["parse_qasm3"]

_UNITS_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

_UNSUPPORTED: dict[type, str] = {
    ast.ForInLoop: "for loops",
    ast.WhileLoop: "while loops",
    ast.SubroutineDefinition: "subroutine definitions (def)",
    ast.ClassicalAssignment: "classical assignments",
    ast.ExternDeclaration: "extern declarations",
    ast.Box: "box blocks",
    ast.SwitchStatement: "switch statements",
    ast.AliasStatement: "aliases (let)",
    ast.CalibrationStatement: "calibration blocks (cal)",
    ast.CalibrationDefinition: "calibration definitions (defcal)",
    ast.CalibrationGrammarDeclaration: "defcalgrammar",
    ast.ExpressionStatement: "expression statements (e.g. subroutine calls)",
    ast.ReturnStatement: "return statements",
    ast.BreakStatement: "break statements",
    ast.ContinueStatement: "continue statements",
    ast.EndStatement: "end statements",
    ast.CompoundStatement: "bare scopes { ... }",
}

_QUANTUM = (
    ast.QuantumGate,
    ast.QuantumPhase,
    ast.QuantumMeasurementStatement,
    ast.QuantumReset,
    ast.QuantumBarrier,
    ast.DelayInstruction,
)


def parse_qasm3(text: str) -> Circuit:
    """Read OpenQASM 3 text (the circuit subset; see the module docstring) into a circuit.

    Raises:
        QasmSyntaxError: if the text does not parse.
        QasmSemanticError: for unsupported constructs, unknown names or wrong arity.
    """
    source = Source(text)
    return _Builder(Scope(source)).build(parse_program(text))


class _Builder:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.circuit = Circuit()
        self.table = GateTable(scope)

    def error(self, message: str, node: ast.QASMNode | None) -> QasmSemanticError:
        return self.scope.error(message, node)

    def build(self, program: ast.Program) -> Circuit:
        for statement in program.statements:
            self.statement(statement, None)
        return self.circuit

    def statement(self, st: ast.Statement | ast.Pragma, condition: Condition | None) -> None:
        try:
            self.dispatch(st, condition)
        except (CircuitError, ConfigError) as exc:
            raise self.error(str(exc), st) from exc

    def dispatch(self, st: ast.Statement | ast.Pragma, condition: Condition | None) -> None:
        if isinstance(st, ast.QuantumGate | ast.QuantumPhase):
            self.gate(st, condition)
        elif isinstance(st, ast.QuantumMeasurementStatement):
            self.measure(st.measure.qubit, st.target, st, condition)
        elif isinstance(st, ast.QuantumReset):
            qubits, _ = self.scope.bits(st.qubits, quantum=True)
            self.emit([Instruction("reset", (q,)) for q in qubits], condition)
        elif isinstance(st, ast.QuantumBarrier):
            self.emit([Instruction("barrier", self.all_qubits(st.qubits))], condition)
        elif isinstance(st, ast.DelayInstruction):
            self.delay(st, condition)
        elif isinstance(st, ast.BranchingStatement):
            self.branch(st, condition)
        elif isinstance(st, ast.Include):
            self.table.include(st)
        elif isinstance(st, ast.QubitDeclaration):
            self.declare_qubits(st)
        elif isinstance(st, ast.ClassicalDeclaration):
            self.declare_bits(st)
        elif isinstance(st, ast.IODeclaration):
            self.declare_io(st)
        elif isinstance(st, ast.ConstantDeclaration):
            self.scope.constants[self.new_name(st.identifier)] = self.scope.value(
                st.init_expression
            )
        elif isinstance(st, ast.QuantumGateDefinition):
            self.table.define(st)
        elif not isinstance(st, ast.Pragma):
            construct = _UNSUPPORTED.get(type(st), type(st).__name__)
            raise self.error(
                f"{construct} are not supported: Kvant reads the circuit subset of OpenQASM 3 "
                "(declarations, gates and modifiers, measure, reset, barrier, delay, if)",
                st,
            )

    def emit(self, ops: Sequence[Instruction], condition: Condition | None) -> None:
        for op in ops:
            self.circuit.append(op if condition is None else replace(op, condition=condition))

    # declarations -----------------------------------------------------------------------------
    def new_name(self, name: ast.Identifier) -> str:
        if self.scope.is_declared(name.name) or name.name in self.table.gates:
            raise self.error(f"{name.name!r} is already declared; pick another name", name)
        return name.name

    def declare_qubits(self, st: ast.QubitDeclaration) -> None:
        name = self.new_name(st.qubit)
        size = 1 if st.size is None else self.scope.integer(st.size, "a register size")
        if size < 1:
            raise self.error(f"register {name!r} must have at least one qubit", st)
        if st.size is None:
            self.scope.scalars.add(name)
        self.scope.qregs[name] = self.circuit.add_qreg(name, size)

    def declare_bits(self, st: ast.ClassicalDeclaration) -> None:
        if not isinstance(st.type, ast.BitType):
            raise self.error(
                f"classical variables of type {type(st.type).__name__.removesuffix('Type')} "
                "are not supported (Kvant circuits hold bit registers); use const for "
                "constants and input for parameters",
                st,
            )
        self.bit_register(st.identifier, st.type.size, st)
        if isinstance(st.init_expression, ast.QuantumMeasurement):
            self.measure(st.init_expression.qubit, st.identifier, st, None)
        elif st.init_expression is not None:
            raise self.error("bit registers can only be initialised by a measurement", st)

    def bit_register(
        self, identifier: ast.Identifier, size_expr: ast.Expression | None, st: ast.Statement
    ) -> str:
        name = self.new_name(identifier)
        size = 1 if size_expr is None else self.scope.integer(size_expr, "a register size")
        if size < 1:
            raise self.error(f"register {name!r} must have at least one bit", st)
        if size_expr is None:
            self.scope.scalars.add(name)
        self.scope.cregs[name] = self.circuit.add_creg(name, size)
        return name

    def declare_io(self, st: ast.IODeclaration) -> None:
        if st.io_identifier.name == "output" and isinstance(st.type, ast.BitType):
            self.bit_register(st.identifier, st.type.size, st)
            return
        if st.io_identifier.name != "input" or not isinstance(
            st.type, ast.FloatType | ast.AngleType
        ):
            raise self.error(
                "only 'input float'/'input angle' parameters and 'output bit' registers are "
                "supported",
                st,
            )
        name = self.new_name(st.identifier)
        self.scope.inputs[name] = Parameter(name)

    # quantum statements ---------------------------------------------------------------------
    def gate(self, st: ast.QuantumGate | ast.QuantumPhase, condition: Condition | None) -> None:
        steps = self.table.steps(st, None)
        operands = [self.scope.bits(q, quantum=True) for q in st.qubits]
        size = None
        for q, (bits, many) in zip(st.qubits, operands, strict=True):
            if many and size is not None and len(bits) != size:
                raise self.error(
                    f"mismatched register sizes in a broadcast: {len(bits)} vs {size}; "
                    "registers used as whole arguments must be the same size",
                    q,
                )
            size = len(bits) if many else size
        for k in range(size or 1):
            positions = [bits[k] if many else bits[0] for bits, many in operands]
            self.table.check_distinct(positions, st)
            self.emit(self.table.instructions(steps, positions, st), condition)

    def measure(
        self,
        qubit: ast.QASMNode,
        target: ast.QASMNode | None,
        st: ast.Statement,
        condition: Condition | None,
    ) -> None:
        qubits, _ = self.scope.bits(qubit, quantum=True)
        if target is None:
            raise self.error("a measurement must store its result: c[0] = measure q[0];", st)
        clbits, _ = self.scope.bits(target, quantum=False)
        if len(qubits) != len(clbits):
            raise self.error(
                f"measure: {len(qubits)} qubit(s) into {len(clbits)} bit(s); sizes must match", st
            )
        ops = [
            Instruction("measure", (q,), clbits=(c,)) for q, c in zip(qubits, clbits, strict=True)
        ]
        self.emit(ops, condition)

    def all_qubits(self, nodes: Sequence[ast.QASMNode]) -> tuple[int, ...]:
        if not nodes:
            return tuple(range(self.circuit.num_qubits))
        return tuple(dict.fromkeys(q for n in nodes for q in self.scope.bits(n, True)[0]))

    def delay(self, st: ast.DelayInstruction, condition: Condition | None) -> None:
        duration = st.duration
        if not isinstance(duration, ast.DurationLiteral):
            raise self.error("a delay duration must be a literal such as 100ns", st)
        if duration.unit.name == "dt":
            raise self.error(
                "delay in dt (device cycles) has no fixed length; give it in s, ms, us, µs or ns",
                duration,
            )
        nanoseconds = duration.value * _UNITS_NS[duration.unit.name]
        if nanoseconds < 0:
            raise self.error("a delay duration cannot be negative", duration)
        ops = [Instruction("delay", (q,), (nanoseconds,)) for q in self.all_qubits(st.qubits)]
        self.emit(ops, condition)

    def branch(self, st: ast.BranchingStatement, condition: Condition | None) -> None:
        if condition is not None:
            raise self.error("nested if statements are not supported", st)
        test = self.scope.condition(st.condition)
        blocks = [(st.if_block, test)]
        if st.else_block:
            if len(test.clbits) != 1:
                raise self.error(
                    "else is supported only after a one-bit condition (if (c[0]) ... else ...)",
                    st,
                )
            blocks.append((st.else_block, Condition(test.clbits, 1 - test.value)))
        for block, cond in blocks:
            for inner in block:
                if not isinstance(inner, _QUANTUM):
                    raise self.error(
                        "inside if, only gates, measure, reset, barrier and delay are supported",
                        inner,
                    )
                self.statement(inner, cond)

    # helpers ----------------------------------------------------------------------------------
    def check_distinct(self, positions: Sequence[int], where: ast.QASMNode) -> None:
        if len(set(positions)) != len(positions):
            raise self.error("repeated qubit: a gate's qubits must all differ", where)
