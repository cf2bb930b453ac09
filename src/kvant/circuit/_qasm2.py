"""OpenQASM 2.0 reader: the syntax tree of :mod:`._qasm2_parser` to a :class:`Circuit`.

Semantics follow Cross et al., "Open Quantum Assembly Language", arXiv:1707.03429 (2017):
registers broadcast (``h q;``, ``cx q, r;``), ``if(c==n)`` tests a whole classical register
(``c[0]`` the low bit), and ``include "qelib1.inc";`` brings in the library gates (Qiskit's
extended qelib1; Kvant knows their matrices and reads no file). A ``gate delay(d) q { }``
block is Kvant's delay (``d`` in ns), the way :func:`to_qasm2` writes one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from kvant.circuit._circuit import Circuit, Register
from kvant.circuit._gates import GATES
from kvant.circuit._instruction import Condition, GateDefinition, Instruction
from kvant.circuit._parameters import Parameter, ParameterExpression, ParameterValue
from kvant.circuit._qasm2_ast import (
    Barrier,
    Declaration,
    GateCall,
    GateDecl,
    If,
    Include,
    Measure,
    Operand,
    Pos,
    Reset,
    Statement,
    evaluate,
)
from kvant.circuit._qasm2_parser import parse
from kvant.circuit._qasm_library import QELIB1_GATES, matching_library_gate
from kvant.errors import CircuitError, ConfigError, QasmSemanticError

__all__ = ["parse_qasm2"]


@dataclass(frozen=True)
class _Library:
    name: str


@dataclass(frozen=True)
class _Custom:
    definition: GateDefinition


@dataclass(frozen=True)
class _Delay:
    pass


_Gate = _Library | _Custom | _Delay


def parse_qasm2(text: str) -> Circuit:
    """Read OpenQASM 2.0 text (with its ``OPENQASM 2.0;`` header) into a circuit.

    Raises:
        QasmSyntaxError: if the text does not parse.
        QasmSemanticError: if it parses but cannot be a circuit (unknown gate, wrong arity...).
    """
    return _Builder().build(parse(text))


def _error(message: str, pos: Pos) -> QasmSemanticError:
    return QasmSemanticError(message, line=pos.line, column=pos.column)


def _arity(gate: _Gate) -> tuple[int, int]:
    """(number of parameters, number of qubits)."""
    if isinstance(gate, _Library):
        spec = GATES[gate.name]
        return spec.num_params, spec.num_qubits
    if isinstance(gate, _Custom):
        return len(gate.definition.params), gate.definition.num_qubits
    return 1, 1


class _Builder:
    def __init__(self) -> None:
        self.circuit = Circuit()
        self.qregs: dict[str, Register] = {}
        self.cregs: dict[str, Register] = {}
        self.gates: dict[str, _Gate] = {"U": _Library("u"), "CX": _Library("cx")}
        self.origin: dict[str, str] = {"U": "the language (builtin)", "CX": "the language"}

    def build(self, statements: Sequence[Statement]) -> Circuit:
        for statement in statements:
            try:
                self.statement(statement)
            except (CircuitError, ConfigError) as exc:
                raise _error(str(exc), statement.pos) from exc
        return self.circuit

    def statement(self, st: Statement) -> None:
        if isinstance(st, Include):
            self.include(st)
        elif isinstance(st, Declaration):
            self.declare(st)
        elif isinstance(st, GateDecl):
            self.define(st)
        elif isinstance(st, If):
            self.conditional(st)
        else:
            for op in self.instructions(st):
                self.circuit.append(op)

    # declarations -----------------------------------------------------------------------------
    def include(self, st: Include) -> None:
        if st.filename != "qelib1.inc":
            raise _error(
                f"cannot include {st.filename!r}: Kvant provides only qelib1.inc and reads no "
                "include files; paste the file's gate definitions into the program instead",
                st.pos,
            )
        # a gate defined earlier under a qelib1 name was checked to be that library gate
        for name in sorted(QELIB1_GATES):
            self.gates[name] = _Library(name)
            self.origin[name] = "by qelib1.inc"

    def declare(self, st: Declaration) -> None:
        if st.name in self.qregs or st.name in self.cregs:
            raise _error(
                f"duplicate register name {st.name!r}: it is already declared; give each "
                "qreg and creg its own name",
                st.pos,
            )
        if st.size < 1:
            raise _error(f"register {st.name!r} must have at least one bit, not 0", st.pos)
        if st.kind == "qreg":
            self.qregs[st.name] = self.circuit.add_qreg(st.name, st.size)
        else:
            self.cregs[st.name] = self.circuit.add_creg(st.name, st.size)

    def define(self, st: GateDecl) -> None:
        if st.opaque:
            raise _error(
                f"opaque gate {st.name!r} cannot be simulated: it has no definition; replace "
                f"'opaque {st.name} ...;' by 'gate {st.name} ... {{ <body> }}'",
                st.pos,
            )
        if st.name in self.gates:
            raise _error(
                f"redefinition of gate {st.name!r}, already defined {self.origin[st.name]}; "
                "rename the new gate",
                st.pos,
            )
        for kind, names in (("parameter", st.params), ("qubit argument", st.qubits)):
            for i, name in enumerate(names):
                if name in names[:i]:
                    raise _error(f"gate {st.name!r} repeats the {kind} name {name!r}", st.pos)
        if "pi" in st.params:
            raise _error(f"gate {st.name!r}: 'pi' is a constant, not a parameter name", st.pos)
        scope = {name: Parameter(name) for name in st.params}
        locals_ = {name: i for i, name in enumerate(st.qubits)}
        body = tuple(op for part in st.body for op in self.body_part(st, part, scope, locals_))
        self.gates[st.name] = self.classify(
            st, GateDefinition(st.name, st.params, len(st.qubits), body)
        )
        self.origin[st.name] = f"at line {st.pos.line}"

    def classify(self, st: GateDecl, definition: GateDefinition) -> _Gate:
        if st.name == "delay":
            if len(st.params) != 1 or len(st.qubits) != 1 or st.body:
                raise _error(
                    "a gate named 'delay' must be 'gate delay(duration_ns) q { }' (Kvant's "
                    "delay, one parameter, one qubit, empty body); rename your gate",
                    st.pos,
                )
            return _Delay()
        if st.name in ("unitary", "measure", "reset", "barrier"):
            raise _error(f"{st.name!r} is reserved by Kvant; rename the gate", st.pos)
        try:
            library = matching_library_gate(definition)
        except ValueError as exc:
            raise _error(str(exc), st.pos) from None
        return _Library(library) if library else _Custom(definition)

    def body_part(
        self,
        st: GateDecl,
        part: GateCall | Barrier,
        scope: Mapping[str, Parameter],
        locals_: Mapping[str, int],
    ) -> list[Instruction]:
        qubits = []
        for operand in part.operands:
            if operand.register not in locals_:
                raise _error(
                    f"{operand.register!r} is not a qubit argument of gate {st.name!r}; "
                    f"its arguments are {', '.join(st.qubits)}",
                    operand.pos,
                )
            qubits.append(locals_[operand.register])
        if isinstance(part, Barrier):
            return [Instruction("barrier", tuple(dict.fromkeys(qubits)))]
        gate = self.lookup(part)
        if isinstance(gate, _Delay):
            raise _error("delay cannot be used inside a gate definition", part.pos)
        self.check_arity(part, gate)
        _check_distinct(part.name, part.operands, qubits)
        params = tuple(evaluate(p, scope, st.name) for p in part.params)
        return [_instruction(gate, tuple(qubits), params)]

    # operations -------------------------------------------------------------------------------
    def conditional(self, st: If) -> None:
        if st.register not in self.cregs:
            where = "a quantum register" if st.register in self.qregs else "not declared"
            raise _error(
                f"if({st.register}=={st.value}): {st.register!r} is {where}; "
                "if() tests a classical register declared with creg",
                st.pos,
            )
        reg = self.cregs[st.register]
        if st.value >= 1 << reg.size:
            raise _error(
                f"if({st.register}=={st.value}): register {st.register!r} has {reg.size} bit(s), "
                f"so it holds 0..{(1 << reg.size) - 1}",
                st.pos,
            )
        condition = Condition(reg.indices, st.value)
        for op in self.instructions(st.body):
            self.circuit.append(replace(op, condition=condition))

    def instructions(self, st: GateCall | Measure | Reset | Barrier) -> list[Instruction]:
        if isinstance(st, Barrier):
            qubits = [q for operand in st.operands for q in self.resolve(operand, self.qregs)]
            return [Instruction("barrier", tuple(dict.fromkeys(qubits)))]
        if isinstance(st, Reset):
            return [Instruction("reset", (q,)) for q in self.resolve(st.operand, self.qregs)]
        if isinstance(st, Measure):
            return self.measure(st)
        gate = self.lookup(st)
        self.check_arity(st, gate)
        params = tuple(evaluate(p, {}, None) for p in st.params)
        out = []
        for qubits in self.broadcast(st.operands):
            _check_distinct(st.name, st.operands, qubits)
            if isinstance(gate, _Delay):
                out.append(self.delay(st, qubits[0], params[0]))
            else:
                out.append(_instruction(gate, tuple(qubits), params))
        return out

    def delay(self, st: GateCall, qubit: int, duration: ParameterValue) -> Instruction:
        if isinstance(duration, ParameterExpression) or not duration >= 0:
            raise _error(f"delay duration must be a number of ns >= 0, got {duration}", st.pos)
        return Instruction("delay", (qubit,), (float(duration),))

    def measure(self, st: Measure) -> list[Instruction]:
        qubits = self.resolve(st.qubit, self.qregs)
        clbits = self.resolve(st.clbit, self.cregs)
        if (st.qubit.index is None) != (st.clbit.index is None):
            raise _error(
                "measure: write both sides as whole registers (measure q -> c;) or both as "
                "single bits (measure q[0] -> c[0];)",
                st.pos,
            )
        if len(qubits) != len(clbits):
            raise _error(
                f"measure: register {st.qubit.register!r} has {len(qubits)} qubit(s) but "
                f"{st.clbit.register!r} has {len(clbits)} bit(s); sizes must match",
                st.pos,
            )
        return [
            Instruction("measure", (q,), clbits=(c,)) for q, c in zip(qubits, clbits, strict=True)
        ]

    # helpers ----------------------------------------------------------------------------------
    def lookup(self, st: GateCall) -> _Gate:
        gate = self.gates.get(st.name)
        if gate is not None:
            return gate
        if st.name in QELIB1_GATES:
            hint = "it is in qelib1.inc: add 'include \"qelib1.inc\";' after the header"
        else:
            close = difflib.get_close_matches(st.name, list(self.gates), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "define it with a gate block first"
        raise _error(f"unknown gate {st.name!r}; {hint}", st.pos)

    def check_arity(self, st: GateCall, gate: _Gate) -> None:
        num_params, num_qubits = _arity(gate)
        if len(st.params) != num_params:
            raise _error(
                f"gate {st.name!r} takes {num_params} parameter(s), got {len(st.params)}", st.pos
            )
        if len(st.operands) != num_qubits:
            raise _error(
                f"gate {st.name!r} acts on {num_qubits} qubit(s), got {len(st.operands)}", st.pos
            )

    def resolve(self, operand: Operand, registers: Mapping[str, Register]) -> list[int]:
        reg = registers.get(operand.register)
        if reg is None:
            quantum = registers is self.qregs
            other = self.cregs if quantum else self.qregs
            if operand.register in other:
                want = "a quantum register (qreg)" if quantum else "a classical register (creg)"
                raise _error(f"{operand.register!r} is not {want}", operand.pos)
            kind = "qreg" if quantum else "creg"
            raise _error(
                f"undeclared register {operand.register!r}; declare it first "
                f"({kind} {operand.register}[n];)",
                operand.pos,
            )
        if operand.index is None:
            return list(reg.indices)
        if operand.index >= reg.size:
            raise _error(
                f"index {operand.index} is out of range for register {operand.register!r} of "
                f"size {reg.size} (valid: 0..{reg.size - 1})",
                operand.pos,
            )
        return [reg[operand.index]]

    def broadcast(self, operands: Sequence[Operand]) -> list[list[int]]:
        lists = [self.resolve(operand, self.qregs) for operand in operands]
        size = None
        for operand, qubits in zip(operands, lists, strict=True):
            if operand.index is not None:
                continue
            if size is not None and len(qubits) != size:
                raise _error(
                    f"mismatched register sizes: {operand.register!r} has {len(qubits)} "
                    f"qubit(s), an earlier register argument has {size}; registers used as "
                    "whole arguments must be the same size",
                    operand.pos,
                )
            size = len(qubits)
        return [
            [
                qubits[k] if operand.index is None else qubits[0]
                for operand, qubits in zip(operands, lists, strict=True)
            ]
            for k in range(size or 1)
        ]


def _check_distinct(name: str, operands: Sequence[Operand], qubits: Sequence[int]) -> None:
    seen: set[int] = set()
    for operand, qubit in zip(operands, qubits, strict=True):
        if qubit in seen:
            raise _error(
                f"repeated qubit in {name!r}: {operand.register}"
                f"{'' if operand.index is None else f'[{operand.index}]'} is used twice; "
                "a gate's qubits must all differ",
                operand.pos,
            )
        seen.add(qubit)


def _instruction(
    gate: _Gate, qubits: tuple[int, ...], params: tuple[ParameterValue, ...]
) -> Instruction:
    if isinstance(gate, _Custom):
        return Instruction(gate.definition.name, qubits, params, definition=gate.definition)
    if isinstance(gate, _Library):
        return Instruction(gate.name, qubits, params)
    raise CircuitError("delay is not a gate")  # pragma: no cover
