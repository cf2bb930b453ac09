"""Named symbolic parameters and the small expression trees built from them.

Why not SymPy: gate angles need only arithmetic and a handful of functions, must print back as
OpenQASM, and must bind fast; a 200-line tree does that without a heavy dependency.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from kvant.errors import ConfigError, UnboundParameterError

__all__ = ["Parameter", "ParameterExpression", "ParameterValue", "as_parameter_value"]

_BINARY: dict[str, tuple[Callable[[float, float], float], int]] = {
    "+": (operator.add, 1),
    "-": (operator.sub, 1),
    "*": (operator.mul, 2),
    "/": (operator.truediv, 2),
    "**": (operator.pow, 3),
}

UNARY_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "arcsin": math.asin,
    "arccos": math.acos,
    "arctan": math.atan,
    "log": math.log,
}


class ParameterExpression:
    """An angle that depends on named parameters: ``theta / 2 + pi``.

    Expressions are immutable trees; arithmetic with numbers or other expressions builds new ones.

    >>> theta = Parameter("theta")
    >>> expr = 2 * theta + 1
    >>> expr.bind({"theta": 0.5})
    2.0
    >>> str(expr)
    '2*theta + 1'
    """

    __slots__ = ()

    @property
    def parameters(self) -> frozenset[str]:
        """Names of the free parameters in this expression."""
        raise NotImplementedError

    def bind(self, values: Mapping[str, float]) -> float:
        """Evaluate with every free parameter given a value (missing names raise)."""
        raise NotImplementedError

    def substitute(self, values: Mapping[str, ParameterValue]) -> ParameterValue:
        """Replace some parameters by numbers or expressions; a number if none stay free."""
        raise NotImplementedError

    def _precedence(self) -> int:
        return 4

    def _wrap(self, parent: int, right: bool = False) -> str:
        text = str(self)
        mine = self._precedence()
        if mine < parent or (right and mine == parent):
            return f"({text})"
        return text

    # arithmetic -------------------------------------------------------------------------
    def __add__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("+", self, _as_expr(other))

    def __radd__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("+", _as_expr(other), self)

    def __sub__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("-", self, _as_expr(other))

    def __rsub__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("-", _as_expr(other), self)

    def __mul__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("*", self, _as_expr(other))

    def __rmul__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("*", _as_expr(other), self)

    def __truediv__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("/", self, _as_expr(other))

    def __rtruediv__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("/", _as_expr(other), self)

    def __pow__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("**", self, _as_expr(other))

    def __rpow__(self, other: ParameterValue) -> ParameterExpression:
        return _BinaryOp("**", _as_expr(other), self)

    def __neg__(self) -> ParameterExpression:
        return _Function("-", self)

    def __pos__(self) -> ParameterExpression:
        return self

    def apply(self, function: str) -> ParameterExpression:
        """Wrap this expression in one of the OpenQASM functions (``sin``, ``cos``, ...)."""
        if function not in UNARY_FUNCTIONS:
            raise ConfigError(
                f"unknown function {function!r}; use one of {sorted(UNARY_FUNCTIONS)}"
            )
        return _Function(function, self)


@dataclass(frozen=True, eq=True, slots=True)
class Parameter(ParameterExpression):
    """A named free parameter, bound to a number later.

    Args:
        name: An identifier (letters, digits, underscore; not starting with a digit).
    """

    name: str

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ConfigError(
                f"parameter name {self.name!r} is not an identifier; use letters, digits and _"
            )

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset({self.name})

    def bind(self, values: Mapping[str, float]) -> float:
        if self.name not in values:
            raise UnboundParameterError(
                f"parameter {self.name!r} has no value; pass it in the bindings, "
                f"e.g. circuit.bind({{{self.name!r}: 0.5}})"
            )
        return float(values[self.name])

    def substitute(self, values: Mapping[str, ParameterValue]) -> ParameterValue:
        return values.get(self.name, self)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Parameter({self.name!r})"


@dataclass(frozen=True, eq=True, slots=True)
class _Constant(ParameterExpression):
    value: float

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset()

    def bind(self, values: Mapping[str, float]) -> float:
        return self.value

    def substitute(self, values: Mapping[str, ParameterValue]) -> ParameterValue:
        return self.value

    def _precedence(self) -> int:
        text = str(self)
        return 0 if text.startswith("-") else 2 if ("*" in text or "/" in text) else 4

    def __str__(self) -> str:
        return format_number(self.value)


@dataclass(frozen=True, eq=True, slots=True)
class _BinaryOp(ParameterExpression):
    op: str
    left: ParameterExpression
    right: ParameterExpression

    @property
    def parameters(self) -> frozenset[str]:
        return self.left.parameters | self.right.parameters

    def bind(self, values: Mapping[str, float]) -> float:
        return _BINARY[self.op][0](self.left.bind(values), self.right.bind(values))

    def substitute(self, values: Mapping[str, ParameterValue]) -> ParameterValue:
        left, right = self.left.substitute(values), self.right.substitute(values)
        if isinstance(left, int | float) and isinstance(right, int | float):
            return float(_BINARY[self.op][0](left, right))
        return _BinaryOp(self.op, _as_expr(left), _as_expr(right))

    def _precedence(self) -> int:
        return _BINARY[self.op][1]

    def __str__(self) -> str:
        mine = self._precedence()
        power = self.op == "**"
        left = self.left._wrap(mine, right=power)
        right = self.right._wrap(mine, right=not power)
        return f"{left} {self.op} {right}" if self.op in "+-" else f"{left}{self.op}{right}"


@dataclass(frozen=True, eq=True, slots=True)
class _Function(ParameterExpression):
    function: str  # a name from UNARY_FUNCTIONS, or "-" for negation
    argument: ParameterExpression

    @property
    def parameters(self) -> frozenset[str]:
        return self.argument.parameters

    def _evaluate(self, x: float) -> float:
        return -x if self.function == "-" else UNARY_FUNCTIONS[self.function](x)

    def bind(self, values: Mapping[str, float]) -> float:
        return self._evaluate(self.argument.bind(values))

    def substitute(self, values: Mapping[str, ParameterValue]) -> ParameterValue:
        argument = self.argument.substitute(values)
        if isinstance(argument, int | float):
            return float(self._evaluate(argument))
        return _Function(self.function, argument)

    def _precedence(self) -> int:
        return 2 if self.function == "-" else 4

    def __str__(self) -> str:
        if self.function == "-":
            return f"-{self.argument._wrap(3)}"
        return f"{self.function}({self.argument})"


ParameterValue: TypeAlias = float | ParameterExpression


def _as_expr(value: ParameterValue) -> ParameterExpression:
    if isinstance(value, ParameterExpression):
        return value
    return _Constant(float(value))


def as_parameter_value(value: object) -> ParameterValue:
    """Accept a real number or an expression as a gate parameter; reject anything else.

    Raises:
        ConfigError: for complex numbers, strings, NaN or infinities.
    """
    if isinstance(value, ParameterExpression):
        return value
    if isinstance(value, complex | np.complexfloating):
        raise ConfigError(f"gate parameter {value!r} is complex; angles must be real")
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(
            f"gate parameter {value!r} is not a real number or Parameter; "
            "pass a float or kvant.circuit.Parameter"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"gate parameter {number} is not finite; angles must be finite reals")
    return number


def format_number(value: float) -> str:
    """Print a float exactly (round-trippable) and briefly: ``0.5``, ``1e-07``, ``pi/2``."""
    for numerator in range(-8, 9):
        if numerator == 0:
            continue
        for denominator in (1, 2, 3, 4, 6, 8, 16):
            if math.gcd(abs(numerator), denominator) != 1:
                continue
            if value == numerator * math.pi / denominator:
                head = "pi" if numerator == 1 else "-pi" if numerator == -1 else f"{numerator}*pi"
                return head if denominator == 1 else f"{head}/{denominator}"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
