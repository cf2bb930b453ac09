"""The gates an OpenQASM 3 program can call: builtins, stdgates.inc and its own definitions.

:meth:`GateTable.operations` turns one gate statement, modifiers and all, into Kvant
instructions on operand positions; the builder maps them onto qubits.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from openqasm3 import ast

from kvant.circuit._gates import GATES
from kvant.circuit._instruction import GateDefinition, Instruction
from kvant.circuit._parameters import Parameter, ParameterExpression
from kvant.circuit._qasm3_modifiers import (
    Step,
    control,
    custom_step,
    invert,
    library_step,
    materialize,
    negative_control,
    phase_step,
    power,
)
from kvant.circuit._qasm3_scope import Scope
from kvant.circuit._qasm_library import STDGATES, matching_library_gate
from kvant.errors import QasmError, QasmSemanticError

__all__ = ["GateTable"]

#: Names a custom gate cannot take.
_RESERVED = ("unitary", "measure", "reset", "barrier", "delay", "gphase")


@dataclass(frozen=True)
class _Gate:
    """A callable gate: a library gate (``library``) or a custom one (``definition``)."""

    num_params: int
    num_qubits: int
    library: str | None = None
    definition: GateDefinition | None = None


def _library(name: str) -> _Gate:
    spec = GATES[name]
    return _Gate(spec.num_params, spec.num_qubits, library=name)


class GateTable:
    """Known gates by name, with where each came from (for redefinition errors)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.gates: dict[str, _Gate] = {"U": _library("u")}
        self.origin: dict[str, str] = {"U": "by the language"}

    def error(self, message: str, node: ast.QASMNode | None) -> QasmSemanticError:
        """A semantic error located at ``node``."""
        return self.scope.error(message, node)

    def operations(
        self,
        st: ast.QuantumGate | ast.QuantumPhase,
        positions: Sequence[int],
        formals: Mapping[str, Parameter] | None = None,
    ) -> list[Instruction]:
        """The instructions of one gate statement on ``positions`` (one per operand)."""
        self.check_distinct(positions, st)
        return self.instructions(self.steps(st, formals), positions, st)

    def include(self, st: ast.Include) -> None:
        if st.filename == "qelib1.inc":
            raise self.error(
                'qelib1.inc is the OpenQASM 2 library: use include "stdgates.inc"; or make '
                "the header 'OPENQASM 2.0;'",
                st,
            )
        if st.filename != "stdgates.inc":
            raise self.error(
                f"cannot include {st.filename!r}: Kvant provides only stdgates.inc and reads "
                "no include files; paste the file's definitions into the program",
                st,
            )
        for name, kvant in STDGATES.items():
            if name in self.gates and self.gates[name] != _library(kvant):
                raise self.error(
                    f"gate {name!r} was defined before including stdgates.inc, which defines "
                    "it too; rename your gate",
                    st,
                )
            self.gates[name] = _library(kvant)
            self.origin[name] = "by stdgates.inc"

    def define(self, st: ast.QuantumGateDefinition) -> None:
        name = st.name.name
        if name in self.gates:
            raise self.error(
                f"redefinition of gate {name!r}, already defined {self.origin[name]}; rename it",
                st,
            )
        if name in _RESERVED:
            raise self.error(f"{name!r} is reserved; rename the gate", st)
        params = tuple(a.name for a in st.arguments)
        qubits = [q.name for q in st.qubits]
        if len(set(params)) != len(params) or len(set(qubits)) != len(qubits):
            raise self.error(f"gate {name!r} repeats a parameter or qubit name", st)
        formals = {p: Parameter(p) for p in params}
        body: list[Instruction] = []
        for part in st.body:
            body += self.body_part(name, part, formals, qubits)
        definition = GateDefinition(name, params, len(qubits), tuple(body))
        try:
            library = matching_library_gate(definition)
        except ValueError as exc:
            raise self.error(str(exc), st) from None
        self.gates[name] = (
            _library(library) if library else _Gate(len(params), len(qubits), definition=definition)
        )
        self.origin[name] = f"at line {st.span.start_line if st.span else '?'}"

    def body_part(
        self,
        gate: str,
        part: ast.QASMNode,
        formals: Mapping[str, Parameter],
        qubits: Sequence[str],
    ) -> list[Instruction]:
        def local(node: ast.QASMNode) -> int:
            if not isinstance(node, ast.Identifier) or node.name not in qubits:
                raise self.error(
                    f"gate {gate!r} bodies can only use its qubit arguments ({', '.join(qubits)})",
                    node,
                )
            return qubits.index(node.name)

        if isinstance(part, ast.QuantumBarrier):
            return [Instruction("barrier", tuple(dict.fromkeys(local(q) for q in part.qubits)))]
        if isinstance(part, ast.QuantumPhase) and not part.modifiers:
            raise self.error(
                f"gphase inside gate {gate!r} is not supported (Kvant gate definitions carry "
                "no global phase); it matters only under ctrl @",
                part,
            )
        if not isinstance(part, ast.QuantumGate | ast.QuantumPhase):
            raise self.error(
                f"gate {gate!r}: a gate body holds only gate calls, gphase and barriers", part
            )
        return self.operations(part, [local(q) for q in part.qubits], formals)

    def steps(
        self, st: ast.QuantumGate | ast.QuantumPhase, formals: Mapping[str, Parameter] | None
    ) -> list[Step]:
        """The gate with its modifiers applied, on operand positions 0, 1, ..."""
        if isinstance(st, ast.QuantumPhase):
            steps, arity = [phase_step(self.scope.value(st.argument, formals))], 0
        else:
            if st.duration is not None:
                raise self.error("gate durations (g[100ns] ...) are not supported", st)
            gate = self.lookup(st.name)
            params = tuple(self.scope.value(a, formals) for a in st.arguments)
            if len(params) != gate.num_params:
                raise self.error(
                    f"gate {st.name.name!r} takes {gate.num_params} parameter(s), "
                    f"got {len(params)}",
                    st,
                )
            arity = gate.num_qubits
            local = tuple(range(arity))
            if gate.definition is not None:
                steps = [custom_step(gate.definition, params, local)]
            else:
                steps = [library_step(gate.library or "", params, local)]
        try:
            for modifier in reversed(st.modifiers):
                steps, arity = self.modify(steps, arity, modifier, formals)
        except QasmError:
            raise
        except ValueError as exc:  # from the modifier algebra: a matrix needs numbers
            raise self.error(str(exc), st) from None
        if len(st.qubits) != arity:
            name = "gphase" if isinstance(st, ast.QuantumPhase) else st.name.name
            what = f"{name!r} with its modifiers" if st.modifiers else f"gate {name!r}"
            raise self.error(f"{what} acts on {arity} qubit(s), got {len(st.qubits)}", st)
        return steps

    def modify(
        self,
        steps: list[Step],
        arity: int,
        modifier: ast.QuantumGateModifier,
        formals: Mapping[str, Parameter] | None,
    ) -> tuple[list[Step], int]:
        kind = modifier.modifier.name
        if kind == "inv":
            return invert(steps), arity
        if kind == "pow":
            if modifier.argument is None:
                raise self.error("pow @ needs an exponent: pow(2) @", modifier)
            exponent = self.scope.value(modifier.argument, formals)
            if isinstance(exponent, ParameterExpression):
                raise self.error("pow(k) @ needs a numeric k", modifier)
            return power(steps, exponent, arity), arity
        count = 1 if modifier.argument is None else self.scope.integer(modifier.argument, "ctrl(n)")
        if count < 1:
            raise self.error(f"{kind}({count}) @ needs at least one control", modifier)
        if kind == "ctrl":
            return control(steps, count), arity + count
        return negative_control(steps, count), arity + count

    def instructions(
        self, steps: Sequence[Step], positions: Sequence[int], where: ast.QASMNode
    ) -> list[Instruction]:
        out = []
        for step in steps:
            try:
                op = materialize(step)
            except ValueError as exc:
                raise self.error(str(exc), where) from None
            if op is not None:
                out.append(replace(op, qubits=tuple(positions[q] for q in op.qubits)))
        return out

    def lookup(self, name: ast.Identifier) -> _Gate:
        gate = self.gates.get(name.name)
        if gate is not None:
            return gate
        if name.name in STDGATES:
            hint = "it is in stdgates.inc: add 'include \"stdgates.inc\";' after the header"
        else:
            close = difflib.get_close_matches(name.name, list(self.gates), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "define it with a gate block first"
        raise self.error(f"unknown gate {name.name!r}; {hint}", name)

    def check_distinct(self, positions: Sequence[int], where: ast.QASMNode) -> None:
        if len(set(positions)) != len(positions):
            raise self.error("repeated qubit: a gate's qubits must all differ", where)
