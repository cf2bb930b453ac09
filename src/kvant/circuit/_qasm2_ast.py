"""The OpenQASM 2.0 syntax tree, and the evaluation of its angle expressions.

Nodes carry the :class:`Pos` of their first token, so every later error can say where it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from kvant.circuit._parameters import Parameter, ParameterValue
from kvant.circuit._qasm_expr import ExpressionError, apply_binary, apply_function, negate
from kvant.errors import QasmSemanticError

__all__ = [
    "Barrier",
    "Binary",
    "Call",
    "Declaration",
    "Expr",
    "GateCall",
    "GateDecl",
    "If",
    "Include",
    "Measure",
    "Name",
    "Negate",
    "Number",
    "Operand",
    "Pos",
    "Reset",
    "Statement",
    "evaluate",
]


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


# expressions --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Number:
    value: float
    pos: Pos


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ** (the text's ^ is stored as **)
    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    argument: Expr
    pos: Pos


Expr = Number | Name | Negate | Binary | Call


# statements ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Operand:
    """``q`` (index None: the whole register) or ``q[3]``."""

    register: str
    index: int | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Include:
    filename: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Declaration:
    kind: str  # "qreg" or "creg"
    name: str
    size: int
    pos: Pos


@dataclass(frozen=True, slots=True)
class GateCall:
    name: str
    params: tuple[Expr, ...]
    operands: tuple[Operand, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Barrier:
    operands: tuple[Operand, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class GateDecl:
    name: str
    params: tuple[str, ...]
    qubits: tuple[str, ...]
    body: tuple[GateCall | Barrier, ...]
    opaque: bool
    pos: Pos


@dataclass(frozen=True, slots=True)
class Measure:
    qubit: Operand
    clbit: Operand
    pos: Pos


@dataclass(frozen=True, slots=True)
class Reset:
    operand: Operand
    pos: Pos


@dataclass(frozen=True, slots=True)
class If:
    register: str
    value: int
    body: GateCall | Measure | Reset
    pos: Pos


Statement = Include | Declaration | GateDecl | GateCall | Barrier | Measure | Reset | If


def evaluate(expr: Expr, scope: Mapping[str, Parameter], gate: str | None) -> ParameterValue:
    """The value of an angle expression: a float, or an expression in ``scope``'s parameters.

    Args:
        expr: The expression.
        scope: The formal parameters of the enclosing gate definition (empty at top level).
        gate: The enclosing gate's name, None at top level (for error messages).

    Raises:
        QasmSemanticError: for an unknown name or an undefined value (``1/0``, ``ln(0)``).
    """
    try:
        if isinstance(expr, Number):
            return expr.value
        if isinstance(expr, Name):
            return _name(expr, scope, gate)
        if isinstance(expr, Negate):
            return negate(evaluate(expr.operand, scope, gate))
        if isinstance(expr, Binary):
            left = evaluate(expr.left, scope, gate)
            return apply_binary(expr.op, left, evaluate(expr.right, scope, gate))
        return apply_function(expr.function, evaluate(expr.argument, scope, gate))
    except ExpressionError as exc:
        raise QasmSemanticError(str(exc), line=expr.pos.line, column=expr.pos.column) from None


def _name(expr: Name, scope: Mapping[str, Parameter], gate: str | None) -> ParameterValue:
    if expr.name == "pi":
        return math.pi
    if expr.name in scope:
        return scope[expr.name]
    if gate is None:
        message = (
            f"unknown identifier {expr.name!r}: outside gate definitions, parameters can use "
            "only numbers, pi and the functions sin cos tan exp ln sqrt (OpenQASM 2 has no "
            "variables; bind parameters before exporting)"
        )
    else:
        message = (
            f"unknown identifier {expr.name!r} in gate {gate!r}; its parameters are "
            f"({', '.join(scope)})"
        )
    raise QasmSemanticError(message, line=expr.pos.line, column=expr.pos.column)
