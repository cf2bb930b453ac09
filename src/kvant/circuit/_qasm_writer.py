"""Write a :class:`Circuit` as OpenQASM text; the two dialects differ only in a few spellings."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kvant.circuit._circuit import Circuit
from kvant.circuit._gates import GATES
from kvant.circuit._instruction import Condition, GateDefinition, Instruction
from kvant.circuit._parameters import ParameterExpression, ParameterValue
from kvant.circuit._qasm_expr import ExpressionError, format_value
from kvant.circuit._qasm_library import controlled_one_qubit, global_phase, u3_angles
from kvant.errors import QasmError

__all__ = ["Dialect", "write"]


@dataclass(frozen=True)
class Dialect:
    """How one OpenQASM version spells things.

    Attributes:
        version: 2 or 3.
        include: The standard include file.
        provided: Kvant gate names the include (or the language) provides.
        renames: Kvant gate name -> name in the text, where they differ.
        definitions: ``gate`` blocks for Kvant gates the include lacks.
        reserved: Words that cannot name a register, gate or parameter.
        identifier: Pattern every written name must match.
    """

    version: int
    include: str
    provided: frozenset[str]
    renames: Mapping[str, str]
    definitions: Mapping[str, str]
    reserved: frozenset[str]
    identifier: re.Pattern[str]


def write(circuit: Circuit, dialect: Dialect) -> str:
    """The OpenQASM text of ``circuit`` in ``dialect``.

    Raises:
        QasmError: for what the dialect cannot express (see :func:`to_qasm2`, :func:`to_qasm3`).
    """
    return _Writer(circuit, dialect).text()


def _names(registers: Sequence[tuple[str, int]]) -> list[str]:
    return [f"{name}[{i}]" for name, size in registers for i in range(size)]


class _Writer:
    def __init__(self, circuit: Circuit, dialect: Dialect) -> None:
        self.circuit = circuit
        self.d = dialect
        self.qubits = _names([(r.name, r.size) for r in circuit.qregs])
        self.clbits = _names([(r.name, r.size) for r in circuit.cregs])
        self.library: dict[str, None] = {}  # library gates needing a definition, in order
        self.custom: dict[str, GateDefinition] = {}  # post-order: dependencies first
        self.uses_delay = False
        for op in circuit:
            self.collect(op)

    # what the text needs ----------------------------------------------------------------------
    def collect(self, op: Instruction) -> None:
        if op.definition is not None:
            self.collect_definition(op.definition)
        elif op.name == "delay":
            self.uses_delay = True
        elif op.name in GATES and op.matrix is None and op.name not in self.d.provided:
            self.library[op.name] = None

    def collect_definition(self, definition: GateDefinition) -> None:
        if definition.name in self.custom:
            return
        for op in definition.body:
            self.collect(op)
        self.check_name(definition.name, "custom gate")
        if definition.name in GATES or definition.name in self.d.provided:
            raise QasmError(
                f"custom gate {definition.name!r} has the name of a library gate, so the "
                f"OpenQASM {self.d.version} text would be ambiguous; rename the GateDefinition"
            )
        if self.d.version == 2 and definition.name == "delay":
            raise QasmError("a custom gate cannot be called 'delay' in OpenQASM 2; rename it")
        for param in definition.params:
            self.check_name(param, f"parameter of gate {definition.name!r}")
        self.custom[definition.name] = definition

    def check_name(self, name: str, what: str) -> None:
        if not self.d.identifier.fullmatch(name) or name in self.d.reserved:
            raise QasmError(
                f"{what} {name!r} is not a valid OpenQASM {self.d.version} name (reserved "
                f"word or wrong characters: use {self.d.identifier.pattern}); rename it"
            )

    def gate_names(self) -> set[str]:
        names = set(self.d.provided) | set(self.library) | set(self.custom)
        return names | {self.d.renames.get(n, n) for n in names} | {"delay"}

    # text ------------------------------------------------------------------------------------
    def text(self) -> str:
        taken = self.gate_names()
        for reg in (*self.circuit.qregs, *self.circuit.cregs):
            self.check_name(reg.name, "register")
            if reg.name in taken:
                raise QasmError(
                    f"register {reg.name!r} has the name of a gate; rename the register"
                )
        version = "2.0" if self.d.version == 2 else "3.0"
        lines = [f"OPENQASM {version};", f'include "{self.d.include}";']
        lines += self.inputs(taken)
        lines += [self.d.definitions[name] for name in self.library]
        if self.uses_delay and self.d.version == 2:
            lines.append("gate delay(duration_ns) q { }")
        lines += [self.definition(d) for d in self.custom.values()]
        lines += [self.declaration(r.name, r.size, quantum=True) for r in self.circuit.qregs]
        lines += [self.declaration(r.name, r.size, quantum=False) for r in self.circuit.cregs]
        for op in self.circuit:
            lines += self.top_level(op)
        return "\n".join(lines) + "\n"

    def inputs(self, taken: set[str]) -> list[str]:
        free = sorted(self.circuit.parameters)
        if self.d.version == 2 or not free:
            return []
        registers = {r.name for r in (*self.circuit.qregs, *self.circuit.cregs)}
        for name in free:
            self.check_name(name, "parameter")
            if name in taken or name in registers:
                raise QasmError(f"parameter {name!r} has the name of a gate or register; rename it")
        return [f"input float {name};" for name in free]

    def declaration(self, name: str, size: int, quantum: bool) -> str:
        if self.d.version == 2:
            return f"{'qreg' if quantum else 'creg'} {name}[{size}];"
        return f"{'qubit' if quantum else 'bit'}[{size}] {name};"

    def definition(self, definition: GateDefinition) -> str:
        params = set(definition.params)
        locals_ = []
        for i in range(definition.num_qubits):
            name = f"q{i}"
            while name in params or name in self.d.reserved:
                name += "_"
            locals_.append(name)
        head = f"gate {definition.name}"
        if definition.params:
            head += f"({', '.join(definition.params)})"
        body = []
        for op in definition.body:
            if op.condition is not None:
                raise QasmError(f"gate {definition.name!r} has a conditioned gate in its body")
            body += self.statement(op, locals_.__getitem__, definition.name)
        inner = " ".join(body)
        return (
            f"{head} {', '.join(locals_)} {{ {inner} }}"
            if inner
            else f"{head} {', '.join(locals_)} {{ }}"
        )

    def top_level(self, op: Instruction) -> list[str]:
        statements = self.statement(op, self.qubits.__getitem__, None)
        if op.condition is None or not statements:
            return statements
        if op.name == "barrier" and self.d.version == 2:
            raise QasmError("OpenQASM 2 cannot condition a barrier; remove its c_if")
        test = self.condition(op.condition)
        if self.d.version == 2:
            return [f"if({test}) {s}" for s in statements]
        return [f"if ({test}) {{ {s} }}" for s in statements]

    def condition(self, condition: Condition) -> str:
        for reg in self.circuit.cregs:
            if reg.indices == condition.clbits:
                if self.d.version == 2:
                    return f"{reg.name}=={condition.value}"
                return f"{reg.name} == {condition.value}"
        if self.d.version == 2:
            bits = ", ".join(self.clbits[b] for b in condition.clbits)
            raise QasmError(
                f"OpenQASM 2 can only test a whole classical register (if(c==n)), but this "
                f"condition reads bits [{bits}]; put those bits in a register of their own "
                "(Circuit.add_creg), or export with to_qasm3"
            )
        tests = [
            f"{self.clbits[b]} == {(condition.value >> i) & 1}"
            for i, b in enumerate(condition.clbits)
        ]
        return " && ".join(tests)

    # one instruction ---------------------------------------------------------------------------
    def statement(
        self, op: Instruction, qubit: Callable[[int], str], gate: str | None
    ) -> list[str]:
        args = ", ".join(qubit(q) for q in op.qubits)
        if op.name == "measure":
            target = self.clbits[op.clbits[0]]
            if self.d.version == 2:
                return [f"measure {args} -> {target};"]
            return [f"{target} = measure {args};"]
        if op.name in ("reset", "barrier"):
            return [f"{op.name} {args};"] if op.qubits else []
        if op.name == "delay":
            duration = self.number(op, 0)
            if self.d.version == 2:
                return [f"delay({format_value(duration, 2)}) {args};"]
            return [f"delay[{_duration(duration)}ns] {args};"]
        if op.matrix is not None:
            return [f"{self.matrix_gate(op)} {args};"]
        name = op.definition.name if op.definition is not None else op.name
        name = self.d.renames.get(name, name)
        if op.params:
            name += f"({', '.join(self.param(op, p, gate) for p in op.params)})"
        return [f"{name} {args};"]

    def matrix_gate(self, op: Instruction) -> str:
        """A user matrix as a gate: ``u3``/``U`` for one qubit, ``cu`` for a controlled one."""
        matrix = op.matrix if op.matrix is not None else np.eye(1, dtype=complex)
        split = controlled_one_qubit(matrix)
        controls = len(op.qubits) - 1
        if split is None or (controls > 1 and self.d.version == 2):
            raise QasmError(
                f"OpenQASM {self.d.version} cannot write this {len(op.qubits)}-qubit unitary "
                f"matrix (on qubits {list(op.qubits)}); decompose it into gates first (Kvant "
                "writes one-qubit matrices as U, and controlled one-qubit matrices as cu"
                + (" or ctrl(n) @ cu)" if self.d.version == 3 else ")")
            )
        theta, phi, lam = u3_angles(split)
        if controls == 0:
            angles = ", ".join(format_value(a, self.d.version) for a in (theta, phi, lam))
            return f"u3({angles})" if self.d.version == 2 else f"U({angles})"
        gamma = global_phase(split, theta, phi, lam)
        angles = ", ".join(format_value(a, self.d.version) for a in (theta, phi, lam, gamma))
        return f"cu({angles})" if controls == 1 else f"ctrl({controls - 1}) @ cu({angles})"

    def number(self, op: Instruction, index: int) -> float:
        value = op.params[index]
        if isinstance(value, ParameterExpression):
            raise QasmError(f"{op.name} on qubits {list(op.qubits)} has a symbolic duration")
        return float(value)

    def param(self, op: Instruction, value: ParameterValue, gate: str | None) -> str:
        if isinstance(value, ParameterExpression) and gate is None and self.d.version == 2:
            raise QasmError(
                f"gate {op.name!r} on qubits {list(op.qubits)} has symbolic parameter(s) "
                f"{sorted(value.parameters)}, which OpenQASM 2 cannot express; bind them first "
                "(circuit.bind({...})) or export with to_qasm3"
            )
        try:
            return format_value(value, self.d.version)
        except ExpressionError as exc:
            raise QasmError(f"gate {op.name!r}: {exc}") from None


def _duration(value: float) -> str:
    if value < 0:
        raise QasmError(f"delay duration {value} ns is negative")
    if value == int(value) and value < 1e15:
        return str(int(value))
    return repr(value)
