"""Gate-parameter arithmetic shared by the OpenQASM readers and writers.

Readers fold constant sub-expressions to floats (so ``pi/2`` becomes exactly ``math.pi / 2``) and
keep the rest as :class:`ParameterExpression` trees; writers print a value back in the syntax of
the target dialect, with numbers that read back bit for bit.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from kvant.circuit._parameters import (
    UNARY_FUNCTIONS,
    Parameter,
    ParameterExpression,
    ParameterValue,
    _BinaryOp,
    _Constant,
    _Function,
    format_number,
)

__all__ = [
    "QASM2_FUNCTIONS",
    "QASM3_FUNCTIONS",
    "ExpressionError",
    "apply_binary",
    "apply_function",
    "format_number_for",
    "format_value",
    "negate",
]

#: Functions OpenQASM 2.0 knows (Cross et al. 2017, sec. 3), by name in the text.
QASM2_FUNCTIONS = ("sin", "cos", "tan", "exp", "ln", "sqrt")

#: OpenQASM 3 built-in functions usable in angles, mapped to Kvant's function names.
QASM3_FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "ln": "ln",
    "sqrt": "sqrt",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
}

# Kvant function name -> the name each dialect prints (absent: the dialect lacks it)
_PRINT_NAMES: dict[int, dict[str, str]] = {
    2: {name: name for name in QASM2_FUNCTIONS} | {"log": "ln"},
    3: {name: name for name in ("sin", "cos", "tan", "exp", "ln", "sqrt")}
    | {"log": "ln", "asin": "arcsin", "acos": "arccos", "atan": "arctan"}
    | {"arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan"},
}

_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


class ExpressionError(ValueError):
    """An expression that cannot be evaluated or printed; the caller adds line and column."""


def _finite(value: object, what: str) -> float:
    if isinstance(value, complex) or not isinstance(value, float | int):
        raise ExpressionError(f"{what} is not a real number")
    if not math.isfinite(value):
        raise ExpressionError(f"{what} is not finite")
    return float(value)


def apply_binary(op: str, left: ParameterValue, right: ParameterValue) -> ParameterValue:
    """``left op right`` for ``op`` in ``+ - * / **``, folded to a float when both are numbers.

    Raises:
        ExpressionError: on division by zero, a complex or infinite result.
    """
    if isinstance(left, ParameterExpression) or isinstance(right, ParameterExpression):
        symbolic = _as_tree(left)
        return {
            "+": symbolic.__add__,
            "-": symbolic.__sub__,
            "*": symbolic.__mul__,
            "/": symbolic.__truediv__,
            "**": symbolic.__pow__,
        }[op](right)
    try:
        result = _OPERATORS[op](float(left), float(right))
    except ZeroDivisionError:
        raise ExpressionError(f"division by zero in {_operand(float(left))} {op} 0") from None
    except OverflowError:
        message = f"{_operand(float(left))} {op} {_operand(float(right))} overflows"
        raise ExpressionError(message) from None
    return _finite(result, f"{_operand(left)} {op} {_operand(right)}")


def _operand(value: float) -> str:
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def apply_function(name: str, argument: ParameterValue) -> ParameterValue:
    """``name(argument)`` for a Kvant function name, folded to a float for a number.

    Raises:
        ExpressionError: outside the function's domain (``ln(0)``, ``sqrt(-1)``) or on overflow.
    """
    if isinstance(argument, ParameterExpression):
        return argument.apply(name)
    try:
        result = UNARY_FUNCTIONS[name](float(argument))
    except (ValueError, OverflowError):
        raise ExpressionError(
            f"{name}({format_number(argument)}) is outside the function's domain"
        ) from None
    return _finite(result, f"{name}({format_number(argument)})")


def negate(value: ParameterValue) -> ParameterValue:
    """``-value``."""
    return -value


def _as_tree(value: ParameterValue) -> ParameterExpression:
    return value if isinstance(value, ParameterExpression) else _Constant(float(value))


# printing -----------------------------------------------------------------------------------


def format_number_for(value: float, version: int) -> str:
    """A number as the dialect writes it; exact, because floats print by ``repr``.

    OpenQASM 2 reals need a decimal point, so ``1e-07`` becomes ``1.0e-07`` there.
    """
    text = format_number(value)
    if version == 2 and "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
    return text


def format_value(value: ParameterValue, version: int) -> str:
    """Print a gate parameter in OpenQASM ``version`` (2 or 3) syntax.

    Powers print as ``^`` in OpenQASM 2 and ``**`` in 3; parentheses follow the same rules as
    ``str(expression)``, so the text parses back to an equal tree.

    Raises:
        ExpressionError: for a function the dialect lacks (``arcsin`` in OpenQASM 2).
    """
    if not isinstance(value, ParameterExpression):
        return format_number_for(float(value), version)
    return _format(value, version)


def _format(node: ParameterExpression, version: int) -> str:
    if isinstance(node, Parameter):
        return node.name
    if isinstance(node, _Constant):
        return format_number_for(node.value, version)
    if isinstance(node, _BinaryOp):
        mine = node._precedence()
        power = node.op == "**"
        left = _wrap(node.left, mine, power, version)
        right = _wrap(node.right, mine, not power, version)
        symbol = "^" if power and version == 2 else node.op
        return f"{left} {symbol} {right}" if node.op in "+-" else f"{left}{symbol}{right}"
    if isinstance(node, _Function):
        if node.function == "-":
            return "-" + _wrap(node.argument, 3, False, version)
        printed = _PRINT_NAMES[version].get(node.function)
        if printed is None:
            raise ExpressionError(
                f"OpenQASM {version} has no function {node.function!r}; "
                f"it knows {sorted(set(_PRINT_NAMES[version].values()))}"
            )
        return f"{printed}({_format(node.argument, version)})"
    raise ExpressionError(f"cannot print parameter expression {node!r}")  # pragma: no cover


def _wrap(node: ParameterExpression, parent: int, right: bool, version: int) -> str:
    text = _format(node, version)
    mine = node._precedence()
    # a power inside a power is always bracketed, so no reader's associativity matters
    nested_power = parent == 3 and isinstance(node, _BinaryOp) and node.op == "**"
    if mine < parent or (right and mine == parent) or nested_power:
        return f"({text})"
    return text
