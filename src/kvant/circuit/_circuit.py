"""The circuit: registers, a list of instructions, and a fluent builder."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Self

import numpy as np
from numpy.typing import ArrayLike

from kvant.circuit._gates import GATES
from kvant.circuit._instruction import Condition, GateDefinition, Instruction
from kvant.circuit._parameters import ParameterValue, as_parameter_value
from kvant.errors import CircuitError, GateDefinitionError

__all__ = ["Circuit", "Register"]

_UNITARY_ATOL = 1e-9


@dataclass(frozen=True)
class Register:
    """A named run of consecutive qubits or classical bits.

    ``reg[i]`` is the global index of its i-th bit, so registers can be used in the builder:
    ``c.cx(a[0], b[1])``.
    """

    name: str
    start: int
    size: int

    def __getitem__(self, index: int) -> int:
        if not -self.size <= index < self.size:
            raise CircuitError(
                f"index {index} is out of range for register {self.name!r} of size {self.size}"
            )
        return self.start + (index % self.size)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.start + self.size))

    @property
    def indices(self) -> tuple[int, ...]:
        """Global indices of the register's bits, low bit first."""
        return tuple(range(self.start, self.start + self.size))


class Circuit:
    """A quantum circuit, built fluently.

    Qubits and classical bits have global indices; named registers (``q``, ``c`` by default)
    give them OpenQASM names. Bit order is little-endian throughout Kvant: qubit 0 is the least
    significant bit of a basis-state index, and printed bitstrings show qubit 0 rightmost.

    Args:
        num_qubits: Size of the default quantum register ``q`` (0 for none).
        num_clbits: Size of the default classical register ``c`` (0 for none).
        name: A label for reports.

    >>> bell = Circuit(2).h(0).cx(0, 1).measure_all()
    >>> bell.count_ops()
    {'h': 1, 'cx': 1, 'measure': 2}
    >>> bell.depth()
    3
    """

    def __init__(self, num_qubits: int = 0, num_clbits: int = 0, *, name: str = "circuit"):
        for label, value in (("num_qubits", num_qubits), ("num_clbits", num_clbits)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise CircuitError(f"{label} must be a non-negative integer, got {value!r}")
        self.name = name
        self._instructions: list[Instruction] = []
        self._qregs: list[Register] = []
        self._cregs: list[Register] = []
        self._definitions: dict[str, GateDefinition] = {}
        if num_qubits:
            self.add_qreg("q", int(num_qubits))
        if num_clbits:
            self.add_creg("c", int(num_clbits))

    # registers -----------------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        """Total number of qubits."""
        return sum(r.size for r in self._qregs)

    @property
    def num_clbits(self) -> int:
        """Total number of classical bits."""
        return sum(r.size for r in self._cregs)

    @property
    def qregs(self) -> tuple[Register, ...]:
        """Quantum registers in declaration order."""
        return tuple(self._qregs)

    @property
    def cregs(self) -> tuple[Register, ...]:
        """Classical registers in declaration order."""
        return tuple(self._cregs)

    def add_qreg(self, name: str, size: int) -> Register:
        """Append a quantum register; returns it for indexing."""
        reg = Register(name, self.num_qubits, size)
        self._check_new_register(reg)
        self._qregs.append(reg)
        return reg

    def add_creg(self, name: str, size: int) -> Register:
        """Append a classical register; returns it for indexing."""
        reg = Register(name, self.num_clbits, size)
        self._check_new_register(reg)
        self._cregs.append(reg)
        return reg

    def _check_new_register(self, reg: Register) -> None:
        if not reg.name.isidentifier():
            raise CircuitError(f"register name {reg.name!r} is not an identifier")
        if reg.size < 1:
            raise CircuitError(f"register {reg.name!r} must have at least one bit")
        if any(r.name == reg.name for r in (*self._qregs, *self._cregs)):
            raise CircuitError(f"a register named {reg.name!r} already exists; pick another name")

    def creg(self, name: str) -> Register:
        """The classical register called ``name``."""
        for reg in self._cregs:
            if reg.name == name:
                return reg
        raise CircuitError(f"no classical register {name!r}; have {[r.name for r in self._cregs]}")

    # instructions ----------------------------------------------------------------------------
    @property
    def instructions(self) -> tuple[Instruction, ...]:
        """The instructions in order."""
        return tuple(self._instructions)

    @property
    def definitions(self) -> dict[str, GateDefinition]:
        """Custom gate definitions used in this circuit, by name."""
        return dict(self._definitions)

    def __len__(self) -> int:
        return len(self._instructions)

    def __iter__(self) -> Iterator[Instruction]:
        return iter(self._instructions)

    def append(self, instruction: Instruction) -> Self:
        """Append a ready-made instruction after checking it against this circuit."""
        self._validate(instruction)
        if instruction.definition is not None:
            self._register_definition(instruction.definition)
        self._instructions.append(instruction)
        return self

    def _register_definition(self, definition: GateDefinition) -> None:
        known = self._definitions.get(definition.name)
        if known is not None and known != definition:
            raise GateDefinitionError(
                f"two different gates are both called {definition.name!r}; rename one"
            )
        for op in definition.body:
            if op.definition is not None:
                self._register_definition(op.definition)
        self._definitions[definition.name] = definition

    def _validate(self, op: Instruction) -> None:
        n = self.num_qubits
        for q in op.qubits:
            if isinstance(q, bool) or not isinstance(q, int | np.integer) or not 0 <= q < n:
                raise CircuitError(
                    f"{op.name}: qubit {q!r} does not exist; the circuit has qubits 0..{n - 1}"
                )
        if len(set(op.qubits)) != len(op.qubits):
            raise CircuitError(
                f"{op.name}: repeated qubit in {list(op.qubits)}; qubits must differ"
            )
        for b in op.clbits + (op.condition.clbits if op.condition else ()):
            if not 0 <= b < self.num_clbits:
                raise CircuitError(
                    f"{op.name}: classical bit {b} does not exist; the circuit has "
                    f"{self.num_clbits} classical bit(s) (add one with add_creg)"
                )
        if op.name in GATES:
            spec = GATES[op.name]
            if len(op.qubits) != spec.num_qubits:
                raise CircuitError(
                    f"gate {op.name!r} acts on {spec.num_qubits} qubit(s), got {len(op.qubits)}"
                )
            if len(op.params) != spec.num_params:
                raise GateDefinitionError(
                    f"gate {op.name!r} takes {spec.num_params} parameter(s), got {len(op.params)}"
                )

    def gate(self, name: str, qubits: Sequence[int], params: Sequence[ParameterValue] = ()) -> Self:
        """Append a library gate by name: ``c.gate("crx", [0, 1], [0.3])``."""
        if name not in GATES:
            raise GateDefinitionError(
                f"unknown gate {name!r}; library gates are: {', '.join(sorted(GATES))}"
            )
        values = tuple(as_parameter_value(p) for p in params)
        return self.append(Instruction(name, _qubit_tuple(qubits), values))

    def _g(self, name: str, *qubits: int, params: tuple[object, ...] = ()) -> Self:
        values = tuple(as_parameter_value(p) for p in params)
        return self.append(Instruction(name, tuple(qubits), values))

    # one-qubit gates
    def i(self, q: int) -> Self:
        """Identity."""
        return self._g("id", q)

    def x(self, q: int) -> Self:
        """Pauli X."""
        return self._g("x", q)

    def y(self, q: int) -> Self:
        """Pauli Y."""
        return self._g("y", q)

    def z(self, q: int) -> Self:
        """Pauli Z."""
        return self._g("z", q)

    def h(self, q: int) -> Self:
        """Hadamard."""
        return self._g("h", q)

    def s(self, q: int) -> Self:
        """Phase S = sqrt(Z)."""
        return self._g("s", q)

    def sdg(self, q: int) -> Self:
        """S dagger."""
        return self._g("sdg", q)

    def t(self, q: int) -> Self:
        """T = fourth root of Z."""
        return self._g("t", q)

    def tdg(self, q: int) -> Self:
        """T dagger."""
        return self._g("tdg", q)

    def sx(self, q: int) -> Self:
        """sqrt(X)."""
        return self._g("sx", q)

    def sxdg(self, q: int) -> Self:
        """sqrt(X) dagger."""
        return self._g("sxdg", q)

    def rx(self, theta: ParameterValue, q: int) -> Self:
        """exp(-i theta X / 2)."""
        return self._g("rx", q, params=(theta,))

    def ry(self, theta: ParameterValue, q: int) -> Self:
        """exp(-i theta Y / 2)."""
        return self._g("ry", q, params=(theta,))

    def rz(self, theta: ParameterValue, q: int) -> Self:
        """exp(-i theta Z / 2)."""
        return self._g("rz", q, params=(theta,))

    def p(self, lam: ParameterValue, q: int) -> Self:
        """Phase gate diag(1, e^{i lam})."""
        return self._g("p", q, params=(lam,))

    def u(self, theta: ParameterValue, phi: ParameterValue, lam: ParameterValue, q: int) -> Self:
        """General one-qubit gate U(theta, phi, lam) of OpenQASM 3."""
        return self._g("u", q, params=(theta, phi, lam))

    # two-qubit gates
    def cx(self, control: int, target: int) -> Self:
        """Controlled X (CNOT)."""
        return self._g("cx", control, target)

    def cy(self, control: int, target: int) -> Self:
        """Controlled Y."""
        return self._g("cy", control, target)

    def cz(self, control: int, target: int) -> Self:
        """Controlled Z."""
        return self._g("cz", control, target)

    def ch(self, control: int, target: int) -> Self:
        """Controlled Hadamard."""
        return self._g("ch", control, target)

    def swap(self, a: int, b: int) -> Self:
        """Swap two qubits."""
        return self._g("swap", a, b)

    def iswap(self, a: int, b: int) -> Self:
        """iSWAP: swap with phase i on the exchanged states."""
        return self._g("iswap", a, b)

    def crx(self, theta: ParameterValue, control: int, target: int) -> Self:
        """Controlled RX."""
        return self._g("crx", control, target, params=(theta,))

    def cry(self, theta: ParameterValue, control: int, target: int) -> Self:
        """Controlled RY."""
        return self._g("cry", control, target, params=(theta,))

    def crz(self, theta: ParameterValue, control: int, target: int) -> Self:
        """Controlled RZ."""
        return self._g("crz", control, target, params=(theta,))

    def cp(self, lam: ParameterValue, control: int, target: int) -> Self:
        """Controlled phase."""
        return self._g("cp", control, target, params=(lam,))

    def cu(
        self,
        theta: ParameterValue,
        phi: ParameterValue,
        lam: ParameterValue,
        gamma: ParameterValue,
        control: int,
        target: int,
    ) -> Self:
        """Controlled e^{i gamma} U(theta, phi, lam)."""
        return self._g("cu", control, target, params=(theta, phi, lam, gamma))

    def rxx(self, theta: ParameterValue, a: int, b: int) -> Self:
        """exp(-i theta XX / 2)."""
        return self._g("rxx", a, b, params=(theta,))

    def ryy(self, theta: ParameterValue, a: int, b: int) -> Self:
        """exp(-i theta YY / 2)."""
        return self._g("ryy", a, b, params=(theta,))

    def rzz(self, theta: ParameterValue, a: int, b: int) -> Self:
        """exp(-i theta ZZ / 2)."""
        return self._g("rzz", a, b, params=(theta,))

    # three-qubit gates
    def ccx(self, control1: int, control2: int, target: int) -> Self:
        """Toffoli."""
        return self._g("ccx", control1, control2, target)

    def cswap(self, control: int, a: int, b: int) -> Self:
        """Fredkin (controlled swap)."""
        return self._g("cswap", control, a, b)

    def unitary(self, matrix: ArrayLike, qubits: Sequence[int]) -> Self:
        """Append a user-given unitary.

        Args:
            matrix: ``2^k x 2^k`` unitary in textbook order: ``qubits[0]`` is the *most*
                significant bit of the row/column index (as for every library gate).
            qubits: The k qubits it acts on.

        Raises:
            GateDefinitionError: if the matrix is not square of size 2^k or not unitary.
        """
        qubit_tuple = _qubit_tuple(qubits)
        m = np.asarray(matrix, dtype=complex)
        dim = 1 << len(qubit_tuple)
        if m.shape != (dim, dim):
            raise GateDefinitionError(
                f"unitary on {len(qubit_tuple)} qubit(s) must be {dim}x{dim}, got shape {m.shape}"
            )
        if not np.all(np.isfinite(m)):
            raise GateDefinitionError("unitary has NaN or infinite entries")
        deviation = float(np.max(np.abs(m.conj().T @ m - np.eye(dim))))
        if deviation > _UNITARY_ATOL:
            raise GateDefinitionError(
                f"matrix is not unitary (max |U^dag U - I| = {deviation:.2e}); "
                "orthonormalise it, e.g. with scipy.linalg.polar"
            )
        return self.append(Instruction("unitary", qubit_tuple, matrix=m.copy()))

    def apply(
        self,
        definition: GateDefinition,
        qubits: Sequence[int],
        params: Sequence[ParameterValue] = (),
    ) -> Self:
        """Append a custom gate (a :class:`GateDefinition`)."""
        qubit_tuple = _qubit_tuple(qubits)
        if len(qubit_tuple) != definition.num_qubits:
            raise CircuitError(
                f"gate {definition.name!r} acts on {definition.num_qubits} qubit(s), "
                f"got {len(qubit_tuple)}"
            )
        if len(params) != len(definition.params):
            raise GateDefinitionError(
                f"gate {definition.name!r} takes {len(definition.params)} parameter(s), "
                f"got {len(params)}"
            )
        values = tuple(as_parameter_value(p) for p in params)
        return self.append(Instruction(definition.name, qubit_tuple, values, definition=definition))

    # non-unitary -------------------------------------------------------------------------
    def measure(self, qubit: int, clbit: int) -> Self:
        """Measure ``qubit`` in the Z basis into classical bit ``clbit``."""
        return self.append(Instruction("measure", (qubit,), clbits=(clbit,)))

    def measure_all(self) -> Self:
        """Measure every qubit into a fresh register (``c`` if none exists, else ``meas``).

        Qubit i goes to bit i of the new register, so counts read as little-endian integers.
        """
        n = self.num_qubits
        if n == 0:
            raise CircuitError("measure_all on a circuit with no qubits")
        name = "c" if not self._cregs else "meas"
        while any(r.name == name for r in self._cregs):
            name += "_"
        reg = self.add_creg(name, n)
        for q in range(n):
            self.measure(q, reg[q])
        return self

    def reset(self, qubit: int) -> Self:
        """Reset ``qubit`` to |0>."""
        return self.append(Instruction("reset", (qubit,)))

    def barrier(self, *qubits: int) -> Self:
        """A barrier on ``qubits`` (all qubits if none given); it stops gate reordering."""
        targets = tuple(qubits) if qubits else tuple(range(self.num_qubits))
        return self.append(Instruction("barrier", targets))

    def delay(self, qubit: int, duration_ns: float) -> Self:
        """Idle ``qubit`` for ``duration_ns`` nanoseconds (identity on an ideal engine)."""
        if not duration_ns >= 0:
            raise CircuitError(f"delay duration must be >= 0 ns, got {duration_ns}")
        return self.append(Instruction("delay", (qubit,), (float(duration_ns),)))

    def c_if(self, bits: str | Register | Sequence[int] | int, value: int) -> Self:
        """Condition the last instruction on classical bits reading ``value``.

        Args:
            bits: A register (or its name), a single bit index, or a list of bit indices
                (the first is the least significant bit of ``value``).
            value: The integer the bits must read.

        >>> c = Circuit(1, 1).measure(0, 0).x(0).c_if("c", 1)
        >>> c.instructions[-1].condition
        Condition(clbits=(0,), value=1)
        """
        if not self._instructions:
            raise CircuitError("c_if needs an instruction before it")
        if isinstance(bits, str):
            clbits = self.creg(bits).indices
        elif isinstance(bits, Register):
            clbits = bits.indices
        elif isinstance(bits, int | np.integer):
            clbits = (int(bits),)
        else:
            clbits = tuple(int(b) for b in bits)
        last = self._instructions.pop()
        try:
            self.append(replace(last, condition=Condition(clbits, int(value))))
        except Exception:
            self._instructions.append(last)
            raise
        return self

    # whole-circuit views -------------------------------------------------------------------
    @property
    def parameters(self) -> frozenset[str]:
        """Names of all free parameters."""
        names: frozenset[str] = frozenset()
        for op in self._instructions:
            names |= op.parameters
        return names

    def bind(self, values: Mapping[str, ParameterValue]) -> Circuit:
        """A copy with parameters replaced by numbers (or other expressions).

        >>> from kvant.circuit import Parameter
        >>> c = Circuit(1).rx(Parameter("a") * 2, 0)
        >>> c.bind({"a": 0.25}).instructions[0].params
        (0.5,)

        Raises:
            ConfigError: if a name is not a parameter of the circuit.
        """
        from kvant.errors import ConfigError

        unknown = set(values) - set(self.parameters)
        if unknown:
            raise ConfigError(
                f"circuit has no parameter(s) {sorted(unknown)}; it has {sorted(self.parameters)}"
            )
        return self._copy_with([op.bind(values) for op in self._instructions])

    def _copy_with(self, instructions: Sequence[Instruction]) -> Circuit:
        out = Circuit(name=self.name)
        out._qregs = list(self._qregs)
        out._cregs = list(self._cregs)
        out._definitions = dict(self._definitions)
        out._instructions = list(instructions)
        return out

    def copy(self) -> Circuit:
        """An independent copy."""
        return self._copy_with(self._instructions)

    def inverse(self) -> Circuit:
        """The inverse circuit: instructions reversed, each replaced by its inverse.

        Raises:
            CircuitError: if the circuit measures, resets or has conditioned gates.
        """
        if any(op.condition is not None for op in self._instructions):
            raise CircuitError("cannot invert a circuit with classically conditioned gates")
        inverted = [op.inverse() for op in reversed(self._instructions)]
        out = self._copy_with(())
        out.name = self.name + "_dg"
        for op in inverted:
            out.append(op)
        return out

    def compose(self, other: Circuit, qubits: Sequence[int] | None = None) -> Circuit:
        """A new circuit: this one followed by ``other`` on ``qubits`` (default: the same ones).

        Classical bits map one to one; ``other`` must not have more of them than this circuit.
        """
        mapping = list(range(other.num_qubits)) if qubits is None else list(qubits)
        if len(mapping) != other.num_qubits:
            raise CircuitError(
                f"compose: other circuit has {other.num_qubits} qubits, {len(mapping)} given"
            )
        if other.num_clbits > self.num_clbits:
            raise CircuitError(
                f"compose: other circuit has {other.num_clbits} classical bits, "
                f"this one only {self.num_clbits}"
            )
        out = self.copy()
        for op in other:
            out.append(replace(op, qubits=tuple(mapping[q] for q in op.qubits)))
        return out

    def __add__(self, other: Circuit) -> Circuit:
        if not isinstance(other, Circuit):
            return NotImplemented
        if other.num_qubits != self.num_qubits:
            raise CircuitError(
                f"cannot add circuits of {self.num_qubits} and {other.num_qubits} qubits; "
                "use compose(other, qubits=[...])"
            )
        return self.compose(other)

    def decompose(self) -> Circuit:
        """A copy with every custom gate expanded (recursively) into library gates."""
        flat: list[Instruction] = []
        stack = list(reversed(self._instructions))
        while stack:
            op = stack.pop()
            if op.definition is None:
                flat.append(op)
                continue
            body = op.definition.expand(op.qubits, op.params)
            if op.condition is not None:
                body = [replace(b, condition=op.condition) for b in body]
            stack.extend(reversed(body))
        out = self._copy_with(flat)
        out._definitions = {}
        return out

    def depth(self) -> int:
        """Number of layers: the longest chain of instructions sharing a qubit or bit.

        Barriers align the qubits they touch but add no layer; delays count as a layer.
        """
        level_q = [0] * self.num_qubits
        level_c = [0] * self.num_clbits
        for op in self._instructions:
            cbits = op.clbits + (op.condition.clbits if op.condition else ())
            start = max([level_q[q] for q in op.qubits] + [level_c[b] for b in cbits], default=0)
            step = 0 if op.name == "barrier" else 1
            for q in op.qubits:
                level_q[q] = start + step
            for b in cbits:
                level_c[b] = start + step
        return max(level_q + level_c, default=0)

    def count_ops(self) -> dict[str, int]:
        """How many of each instruction, in order of first appearance."""
        return dict(Counter(op.name for op in self._instructions))

    @property
    def has_mid_circuit_operations(self) -> bool:
        """True if a measured qubit is used again, or there are resets or conditioned gates."""
        measured: set[int] = set()
        for op in self._instructions:
            if op.name == "reset" or op.condition is not None:
                return True
            if op.name == "measure":
                if op.qubits[0] in measured:
                    return True
                measured.add(op.qubits[0])
            elif op.name != "barrier" and measured.intersection(op.qubits):
                return True
        return False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Circuit):
            return NotImplemented
        return (
            self._qregs == other._qregs
            and self._cregs == other._cregs
            and self._instructions == other._instructions
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Circuit(name={self.name!r}, num_qubits={self.num_qubits}, "
            f"num_clbits={self.num_clbits}, instructions={len(self)})"
        )

    def __str__(self) -> str:
        lines = [repr(self)]
        for op in self._instructions:
            params = f"({', '.join(str(p) for p in op.params)})" if op.params else ""
            cl = f" -> c{list(op.clbits)}" if op.clbits else ""
            cond = f" if c{list(op.condition.clbits)}=={op.condition.value}" if op.condition else ""
            lines.append(f"  {op.name}{params} q{list(op.qubits)}{cl}{cond}")
        return "\n".join(lines)


def _qubit_tuple(qubits: Sequence[int]) -> tuple[int, ...]:
    if isinstance(qubits, int | np.integer):
        return (int(qubits),)
    return tuple(int(q) for q in qubits)
