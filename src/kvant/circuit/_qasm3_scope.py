"""Names, values and operands of an OpenQASM 3 program: what the circuit builder looks up.

Evaluates angle expressions (folding constants exactly, keeping ``input`` parameters
symbolic), resolves qubit and bit operands (``q``, ``q[1]``, ``q[0:2]``, ``q[{0, 2}]``) and
reads ``if`` conditions into a :class:`Condition`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from openqasm3 import ast

from kvant.circuit._circuit import Register
from kvant.circuit._instruction import Condition
from kvant.circuit._parameters import Parameter, ParameterValue
from kvant.circuit._qasm3_parse import Source
from kvant.circuit._qasm_expr import (
    QASM3_FUNCTIONS,
    ExpressionError,
    apply_binary,
    apply_function,
    negate,
)
from kvant.errors import QasmSemanticError

__all__ = ["CONSTANTS", "Scope"]

#: Built-in constants of OpenQASM 3.
CONSTANTS: dict[str, float] = {
    "pi": math.pi,
    "π": math.pi,
    "tau": 2 * math.pi,
    "τ": 2 * math.pi,
    "euler": math.e,
    "ℇ": math.e,
}

_ARITHMETIC = {"+": "+", "-": "-", "*": "*", "/": "/", "**": "**"}


class Scope:
    """The program's registers, constants and inputs, with the lookups the builder needs."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.qregs: dict[str, Register] = {}
        self.cregs: dict[str, Register] = {}
        self.scalars: set[str] = set()  # declared without a size: a single qubit or bit
        self.constants: dict[str, ParameterValue] = dict(CONSTANTS)
        self.inputs: dict[str, Parameter] = {}

    def error(self, message: str, node: ast.QASMNode | None) -> QasmSemanticError:
        """A semantic error located at ``node``."""
        line, column = self.source.position(node)
        return QasmSemanticError(message, line=line, column=column)

    def is_declared(self, name: str) -> bool:
        """True if ``name`` is a register, constant or input already."""
        return any(name in d for d in (self.qregs, self.cregs, self.constants, self.inputs))

    # values ----------------------------------------------------------------------------------
    def value(
        self, expr: ast.Expression, formals: Mapping[str, Parameter] | None = None
    ) -> ParameterValue:
        """An angle: a float, or an expression in inputs (top level) or gate parameters."""
        try:
            return self._value(expr, formals)
        except ExpressionError as exc:
            raise self.error(str(exc), expr) from None

    def _value(
        self, expr: ast.Expression, formals: Mapping[str, Parameter] | None
    ) -> ParameterValue:
        if isinstance(expr, ast.IntegerLiteral | ast.FloatLiteral):
            return float(expr.value)
        if isinstance(expr, ast.Identifier):
            return self.name(expr, formals)
        if isinstance(expr, ast.UnaryExpression) and expr.op.name == "-":
            return negate(self._value(expr.expression, formals))
        if isinstance(expr, ast.BinaryExpression) and expr.op.name in _ARITHMETIC:
            left = self._value(expr.lhs, formals)
            return apply_binary(expr.op.name, left, self._value(expr.rhs, formals))
        if isinstance(expr, ast.FunctionCall) and expr.name.name in QASM3_FUNCTIONS:
            if len(expr.arguments) != 1:
                raise self.error(f"{expr.name.name}() takes one argument", expr)
            argument = self._value(expr.arguments[0], formals)
            return apply_function(QASM3_FUNCTIONS[expr.name.name], argument)
        raise self.error(
            f"unsupported expression ({type(expr).__name__}) in an angle: Kvant evaluates "
            "numbers, pi, inputs, + - * / **, unary minus and "
            f"{', '.join(QASM3_FUNCTIONS)}",
            expr,
        )

    def name(self, expr: ast.Identifier, formals: Mapping[str, Parameter] | None) -> ParameterValue:
        """The value a name stands for in an angle."""
        if formals is not None and expr.name in formals:
            return formals[expr.name]
        if expr.name in self.constants:
            return self.constants[expr.name]
        if formals is None and expr.name in self.inputs:
            return self.inputs[expr.name]
        where = "in a gate body only its parameters and constants" if formals is not None else ""
        raise self.error(
            f"unknown identifier {expr.name!r} in an angle"
            + (f" ({where} can be used)" if where else "; declare it with input or const"),
            expr,
        )

    def integer(self, expr: ast.Expression, what: str) -> int:
        """A constant integer (a size, an index, a control count)."""
        value = self.value(expr)
        if isinstance(value, Parameter) or not isinstance(value, float) or value != int(value):
            raise self.error(f"{what} must be a constant integer, got {value}", expr)
        return int(value)

    # operands --------------------------------------------------------------------------------
    def bits(self, node: ast.QASMNode, quantum: bool) -> tuple[list[int], bool]:
        """Global indices an operand names, and whether it is a list (broadcasts)."""
        registers = self.qregs if quantum else self.cregs
        identifier = node.name if isinstance(node, ast.IndexedIdentifier) else node
        if not isinstance(identifier, ast.Identifier):
            raise self.error(f"expected a {'qubit' if quantum else 'bit'} operand", node)
        reg = registers.get(identifier.name)
        if reg is None:
            other = self.cregs if quantum else self.qregs
            kind = ("qubit", "bit") if quantum else ("bit", "qubit")
            if identifier.name in other:
                message = f"{identifier.name!r} is a {kind[1]} register; a {kind[0]} is needed here"
            else:
                message = (
                    f"undeclared register {identifier.name!r}; declare it first "
                    f"({kind[0]}[n] {identifier.name};)"
                )
            raise self.error(message, identifier)
        if not isinstance(node, ast.IndexedIdentifier):
            return list(reg.indices), identifier.name not in self.scalars
        if len(node.indices) != 1:
            raise self.error("multi-dimensional indexing is not supported", node)
        return self.index(reg, node.indices[0], node)

    def index(
        self, reg: Register, element: ast.IndexElement, node: ast.QASMNode
    ) -> tuple[list[int], bool]:
        """Apply one index, ``[i]``, ``[a:b]``, ``[a:s:b]`` (end inclusive) or ``[{i, j}]``."""
        if isinstance(element, ast.DiscreteSet):
            positions = [self.integer(v, "an index") for v in element.values]
            return [self.checked(reg, p, node) for p in positions], True
        if len(element) != 1:
            raise self.error("multi-dimensional indexing is not supported", node)
        item = element[0]
        if isinstance(item, ast.RangeDefinition):
            start = 0 if item.start is None else self.integer(item.start, "a range start")
            step = 1 if item.step is None else self.integer(item.step, "a range step")
            end = reg.size - 1 if item.end is None else self.integer(item.end, "a range end")
            if step == 0:
                raise self.error("a range step cannot be 0", node)
            stop = end + (1 if step > 0 else -1)
            return [self.checked(reg, p, node) for p in range(start, stop, step)], True
        if not isinstance(item, ast.Expression):
            raise self.error("unsupported index", node)  # pragma: no cover
        return [self.checked(reg, self.integer(item, "an index"), node)], False

    def checked(self, reg: Register, position: int, node: ast.QASMNode) -> int:
        """The global index of ``reg[position]`` (negative counts from the end)."""
        if not -reg.size <= position < reg.size:
            raise self.error(
                f"index {position} is out of range for register {reg.name!r} of size {reg.size}",
                node,
            )
        return reg[position]

    # conditions ------------------------------------------------------------------------------
    def condition(self, expr: ast.Expression) -> Condition:
        """``c == n``, ``c[i] == b``, ``c[i]``, ``!c[i]``, ``c[i] != b`` or ``&&`` of those."""
        if isinstance(expr, ast.BinaryExpression) and expr.op.name == "&&":
            left, right = self.condition(expr.lhs), self.condition(expr.rhs)
            if set(left.clbits) & set(right.clbits):
                raise self.error("a condition tests the same bit twice", expr)
            value = left.value | (right.value << len(left.clbits))
            return Condition(left.clbits + right.clbits, value)
        if isinstance(expr, ast.BinaryExpression) and expr.op.name in ("==", "!="):
            bits_node, literal = expr.lhs, expr.rhs
            if _is_literal(bits_node):
                bits_node, literal = literal, bits_node
            bits = self.condition_bits(bits_node)
            value = self.literal(literal, len(bits))
            if expr.op.name == "!=":
                if len(bits) != 1:
                    raise self.error("'!=' is supported only on a single bit", expr)
                value = 1 - value
            return Condition(bits, value)
        if isinstance(expr, ast.UnaryExpression) and expr.op.name == "!":
            return Condition(self.single_bit(expr.expression), 0)
        if isinstance(expr, ast.IndexExpression | ast.Identifier):
            return Condition(self.single_bit(expr), 1)
        raise self.error(
            "unsupported condition: Kvant reads c == n, c[i] == 0 or 1, c[i], !c[i], "
            "c[i] != 0 or 1, and && of these",
            expr,
        )

    def condition_bits(self, node: ast.Expression) -> tuple[int, ...]:
        """The bits of ``c`` or ``c[i]`` in a condition."""
        if isinstance(node, ast.IndexExpression) and isinstance(node.collection, ast.Identifier):
            self.bits(node.collection, quantum=False)  # raises if it is not a bit register
            reg = self.cregs[node.collection.name]
            return tuple(self.index(reg, node.index, node)[0])
        if isinstance(node, ast.Identifier):
            return tuple(self.bits(node, quantum=False)[0])
        raise self.error("a condition must test a classical register or bit", node)

    def single_bit(self, node: ast.Expression) -> tuple[int, ...]:
        """The one bit a bare ``c[i]`` (or a one-bit ``c``) names."""
        bits = self.condition_bits(node)
        if len(bits) != 1:
            raise self.error(
                "a register used as a truth value must have one bit; compare it: (c == n)", node
            )
        return bits

    def literal(self, node: ast.Expression, width: int) -> int:
        """The integer a condition compares with."""
        if isinstance(node, ast.BooleanLiteral):
            value = int(node.value)
        elif isinstance(node, ast.BitstringLiteral | ast.IntegerLiteral):
            value = node.value
        else:
            raise self.error("compare with an integer, a bit string or true/false", node)
        if not 0 <= value < 1 << width:
            raise self.error(
                f"value {value} does not fit in {width} bit(s) (0..{(1 << width) - 1})", node
            )
        return value


def _is_literal(node: ast.Expression) -> bool:
    return isinstance(node, ast.IntegerLiteral | ast.BooleanLiteral | ast.BitstringLiteral)
