"""One step of a circuit: a gate, measurement, reset, barrier or delay, maybe conditioned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from kvant.circuit._gates import GATES
from kvant.circuit._parameters import ParameterExpression, ParameterValue
from kvant.errors import CircuitError, GateDefinitionError, UnboundParameterError

__all__ = ["NON_UNITARY", "Condition", "GateDefinition", "Instruction"]

#: Instruction names that are not unitary gates.
NON_UNITARY = frozenset({"measure", "reset", "barrier", "delay"})


@dataclass(frozen=True)
class Condition:
    """Run an instruction only if the classical bits ``clbits`` read ``value``.

    ``clbits[0]`` is the least significant bit of ``value`` (as in OpenQASM 2's
    ``if(c==3)``, where ``c[0]`` is the low bit).
    """

    clbits: tuple[int, ...]
    value: int

    def __post_init__(self) -> None:
        if not self.clbits:
            raise CircuitError("a condition needs at least one classical bit")
        if not 0 <= self.value < (1 << len(self.clbits)):
            raise CircuitError(
                f"condition value {self.value} does not fit in {len(self.clbits)} bit(s); "
                f"use 0..{(1 << len(self.clbits)) - 1}"
            )

    def holds(self, bits: NDArray[np.uint8]) -> bool:
        """True if the classical register contents ``bits`` satisfy the condition."""
        return sum(int(bits[b]) << i for i, b in enumerate(self.clbits)) == self.value


@dataclass(frozen=True, eq=False)
class Instruction:
    """An operation on qubits (and classical bits).

    Attributes:
        name: A library gate name, ``"unitary"``, a custom gate's name, or one of
            ``measure``, ``reset``, ``barrier``, ``delay``.
        qubits: The qubits acted on, in the gate's operand order.
        params: Angles (numbers or expressions); for ``delay`` the duration in ns.
        clbits: For ``measure``, the classical bit written.
        condition: If given, the instruction runs only when it holds.
        matrix: For ``unitary``, the user's matrix (textbook order, first qubit most significant).
        definition: For a custom gate, its definition.
    """

    name: str
    qubits: tuple[int, ...]
    params: tuple[ParameterValue, ...] = ()
    clbits: tuple[int, ...] = ()
    condition: Condition | None = None
    matrix: NDArray[np.complex128] | None = field(default=None, repr=False)
    definition: GateDefinition | None = field(default=None, repr=False)

    @property
    def is_unitary(self) -> bool:
        """True for gates (library, user matrix, custom); False for measure/reset/barrier/delay."""
        return self.name not in NON_UNITARY

    @property
    def parameters(self) -> frozenset[str]:
        """Names of free parameters in this instruction."""
        names: frozenset[str] = frozenset()
        for p in self.params:
            if isinstance(p, ParameterExpression):
                names |= p.parameters
        return names

    def numeric_params(self) -> tuple[float, ...]:
        """The parameters as floats.

        Raises:
            UnboundParameterError: if any parameter is still symbolic.
        """
        out = []
        for p in self.params:
            if isinstance(p, ParameterExpression):
                raise UnboundParameterError(
                    f"gate {self.name!r} on qubits {list(self.qubits)} has unbound parameter(s) "
                    f"{sorted(p.parameters)}; call circuit.bind({{...}}) first"
                )
            out.append(float(p))
        return tuple(out)

    def bind(self, values: Mapping[str, ParameterValue]) -> Instruction:
        """A copy with parameters substituted (partially, if some names are missing)."""
        if not self.parameters:
            return self
        params = tuple(
            p.substitute(values) if isinstance(p, ParameterExpression) else p for p in self.params
        )
        return replace(self, params=params)

    def unitary_matrix(self) -> NDArray[np.complex128]:
        """The gate's matrix in textbook order (first qubit most significant).

        Raises:
            CircuitError: for non-unitary instructions.
            UnboundParameterError: if a parameter is symbolic.
        """
        if self.matrix is not None:
            return self.matrix
        if self.definition is not None:
            return self.definition.matrix(self.numeric_params())
        if self.name not in GATES:
            raise CircuitError(f"instruction {self.name!r} is not a unitary gate")
        return GATES[self.name].matrix(*self.numeric_params())

    def inverse(self) -> Instruction:
        """The inverse gate, as a library gate where one exists.

        Raises:
            CircuitError: for measure and reset, which have no inverse.
        """
        if self.name in ("measure", "reset"):
            raise CircuitError(
                f"cannot invert a circuit containing {self.name!r}: it is not unitary; "
                "remove measurements/resets before calling inverse()"
            )
        if self.name in NON_UNITARY:
            return self
        if self.matrix is not None:
            return replace(self, matrix=self.matrix.conj().T.copy())
        if self.definition is not None:
            return replace(self, definition=self.definition.inverse(), name=self.name + "_dg")
        spec = GATES[self.name]
        if self.parameters:
            # inverse rules only negate/permute parameters, so they work on expressions too
            name, params = spec.inverse(*self.params)
        else:
            name, params = spec.inverse(*self.numeric_params())
        return replace(self, name=name, params=tuple(params))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instruction):
            return NotImplemented
        if (self.matrix is None) != (other.matrix is None):
            return False
        if (
            self.matrix is not None
            and other.matrix is not None
            and not np.array_equal(self.matrix, other.matrix)
        ):
            return False
        return (
            self.name == other.name
            and self.qubits == other.qubits
            and tuple(map(_key, self.params)) == tuple(map(_key, other.params))
            and self.clbits == other.clbits
            and self.condition == other.condition
            and self.definition == other.definition
        )

    def __hash__(self) -> int:
        return hash((self.name, self.qubits, self.clbits, self.condition))


def _key(value: ParameterValue) -> object:
    return str(value) if isinstance(value, ParameterExpression) else float(value)


@dataclass(frozen=True)
class GateDefinition:
    """A user-defined gate: a named, parameterised sub-circuit (OpenQASM ``gate``).

    Attributes:
        name: The gate's name.
        params: Names of its formal parameters.
        num_qubits: Number of qubit arguments.
        body: Instructions on local qubits ``0..num_qubits-1``, whose parameters may be
            expressions in the formal parameters.
    """

    name: str
    params: tuple[str, ...]
    num_qubits: int
    body: tuple[Instruction, ...]

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise GateDefinitionError(f"gate name {self.name!r} is not an identifier")
        if self.num_qubits < 1:
            raise GateDefinitionError(f"gate {self.name!r} must act on at least one qubit")
        for op in self.body:
            if not op.is_unitary and op.name != "barrier":
                raise GateDefinitionError(
                    f"gate {self.name!r} contains {op.name!r}; gate bodies hold only gates"
                )
            if any(q >= self.num_qubits for q in op.qubits):
                raise GateDefinitionError(
                    f"gate {self.name!r}: body uses a qubit outside its "
                    f"{self.num_qubits} argument(s)"
                )
            unknown = op.parameters - set(self.params)
            if unknown:
                raise GateDefinitionError(
                    f"gate {self.name!r}: body uses undeclared parameter(s) {sorted(unknown)}"
                )

    def expand(
        self, qubits: tuple[int, ...], values: tuple[ParameterValue, ...]
    ) -> list[Instruction]:
        """The body mapped onto ``qubits`` with the formal parameters replaced by ``values``."""
        if len(values) != len(self.params):
            raise GateDefinitionError(
                f"gate {self.name!r} takes {len(self.params)} parameter(s), got {len(values)}"
            )
        binding = dict(zip(self.params, values, strict=True))
        return [
            replace(op.bind(binding), qubits=tuple(qubits[q] for q in op.qubits))
            for op in self.body
        ]

    def matrix(self, values: tuple[float, ...]) -> NDArray[np.complex128]:
        """Unitary of the gate at numeric parameters (textbook order), by dense product."""
        from kvant.circuit._gates import embed

        n = self.num_qubits
        total = np.eye(1 << n, dtype=complex)
        for op in self.expand(tuple(range(n)), values):
            if op.name == "barrier":
                continue
            total = embed(op.unitary_matrix(), op.qubits, n) @ total
        return total

    def inverse(self) -> GateDefinition:
        """Definition of the inverse gate: the body reversed, each step inverted."""
        body = tuple(op.inverse() for op in reversed(self.body))
        return GateDefinition(self.name + "_dg", self.params, self.num_qubits, body)
