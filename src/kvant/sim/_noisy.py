"""A noisy program: a circuit's instructions interleaved with Kraus channels, plus readout errors.

This is the generic noise description the noisy engines accept (density matrix, trajectories,
stabilizer). It says nothing about where the noise came from: ``kvant.device.NoiseModel``
builds one from a calibration, a test can build one by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kvant.circuit import Circuit, Condition, Instruction
from kvant.errors import ConfigError
from kvant.sim._channels import KrausChannel, ReadoutError

__all__ = ["NoisyProgram", "Operation", "split_tail"]

#: One step of a noisy program.
Operation = Instruction | KrausChannel


@dataclass(frozen=True, eq=False)
class NoisyProgram:
    """Instructions and noise channels in the order they act, and per-qubit readout errors.

    Attributes:
        num_qubits: Number of qubits.
        num_clbits: Number of classical bits.
        operations: Instructions (gates, measure, reset, barrier, delay) and
            :class:`KrausChannel` s, in time order. Custom gates must be expanded.
        readout: One :class:`ReadoutError` (or None) per qubit, applied to every measurement of
            that qubit; empty for perfect readout.
        name: A label for reports.

    Raises:
        ConfigError: For a qubit or classical bit out of range, a custom (unexpanded) gate, or a
            readout tuple of the wrong length.

    >>> import numpy as np
    >>> from kvant.circuit import Circuit
    >>> from kvant.sim import KrausChannel, ReadoutError
    >>> x = np.array([[0, 1], [1, 0]])
    >>> flip = KrausChannel((0,), [np.sqrt(0.9) * np.eye(2), np.sqrt(0.1) * x])
    >>> program = NoisyProgram.from_circuit(
    ...     Circuit(1).x(0).measure_all(),
    ...     after_gate=lambda op: [flip.on(op.qubits)],
    ...     readout=[ReadoutError(0.01, 0.02)],
    ... )
    >>> [getattr(op, "name", "channel") for op in program.operations]
    ['x', 'channel', 'measure']
    """

    num_qubits: int
    num_clbits: int
    operations: tuple[Operation, ...]
    readout: tuple[ReadoutError | None, ...] = ()
    name: str = "noisy"
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for label in ("num_qubits", "num_clbits"):
            value = getattr(self, label)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ConfigError(f"NoisyProgram.{label} must be a non-negative int, got {value!r}")
        ops = tuple(self.operations)
        for index, op in enumerate(ops):
            self._check(index, op)
        readout = tuple(self.readout)
        if readout and len(readout) != self.num_qubits:
            raise ConfigError(
                f"readout has {len(readout)} entries; give one per qubit ({self.num_qubits}) "
                "or none"
            )
        for q, item in enumerate(readout):
            if item is not None and not isinstance(item, ReadoutError):
                raise ConfigError(f"readout[{q}] must be a ReadoutError or None, got {item!r}")
        object.__setattr__(self, "operations", ops)
        object.__setattr__(self, "readout", readout)

    def _check(self, index: int, op: object) -> None:
        if isinstance(op, KrausChannel):
            qubits, clbits = op.qubits, op.condition.clbits if op.condition else ()
        elif isinstance(op, Instruction):
            if op.definition is not None:
                raise ConfigError(
                    f"operation {index} is the custom gate {op.name!r}; expand it first "
                    "(circuit.decompose())"
                )
            qubits = op.qubits
            clbits = op.clbits + (op.condition.clbits if op.condition else ())
        else:
            raise ConfigError(
                f"operation {index} is a {type(op).__name__}; use Instruction or KrausChannel"
            )
        if any(not 0 <= q < self.num_qubits for q in qubits):
            raise ConfigError(
                f"operation {index} acts on qubits {list(qubits)}; the program has "
                f"{self.num_qubits} qubit(s)"
            )
        if any(not 0 <= b < self.num_clbits for b in clbits):
            raise ConfigError(
                f"operation {index} uses classical bits {list(clbits)}; the program has "
                f"{self.num_clbits}"
            )

    # construction ---------------------------------------------------------------------------
    @classmethod
    def from_circuit(
        cls,
        circuit: Circuit,
        *,
        after_gate: Callable[[Instruction], Iterable[KrausChannel]] | None = None,
        readout: Sequence[ReadoutError | None] = (),
        name: str | None = None,
    ) -> NoisyProgram:
        """A program from ``circuit`` with ``after_gate(op)``'s channels after each gate.

        Args:
            circuit: The circuit; custom gates are expanded.
            after_gate: Called for each unitary gate; returns the channels to apply after it
                (a conditioned gate's channels get its condition).
            readout: One readout error per qubit, or none.
            name: Label (default: the circuit's name).

        Returns:
            The program.
        """
        if not isinstance(circuit, Circuit):
            raise ConfigError(f"from_circuit needs a Circuit, got {type(circuit).__name__}")
        flat = circuit.decompose() if circuit.definitions else circuit
        ops: list[Operation] = []
        for op in flat:
            ops.append(op)
            if after_gate is not None and op.is_unitary:
                for channel in after_gate(op):
                    ops.append(channel.with_condition(op.condition) if op.condition else channel)
        return cls(
            circuit.num_qubits,
            circuit.num_clbits,
            tuple(ops),
            tuple(readout),
            circuit.name if name is None else name,
        )

    # views ----------------------------------------------------------------------------------
    @property
    def channels(self) -> tuple[KrausChannel, ...]:
        """The noise channels in order."""
        return tuple(op for op in self.operations if isinstance(op, KrausChannel))

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        """The circuit's instructions in order (channels left out)."""
        return tuple(op for op in self.operations if isinstance(op, Instruction))

    @property
    def parameters(self) -> frozenset[str]:
        """Names of free parameters of the instructions (computed once: programs are frozen)."""
        if "parameters" not in self._cache:
            names: frozenset[str] = frozenset()
            for op in self.operations:
                if isinstance(op, Instruction) and op.params:
                    names |= op.parameters
            self._cache["parameters"] = names
        return self._cache["parameters"]  # type: ignore[no-any-return]

    def readout_error(self, qubit: int) -> ReadoutError | None:
        """The readout error of ``qubit`` (None for perfect readout)."""
        if not self.readout:
            return None
        item = self.readout[qubit]
        return None if item is None or item.is_trivial else item

    @property
    def has_readout_error(self) -> bool:
        """True if some qubit's readout is imperfect."""
        return any(self.readout_error(q) is not None for q in range(self.num_qubits))

    @property
    def has_mid_circuit_operations(self) -> bool:
        """True if a measured qubit is acted on again, or there are resets or conditions."""
        measured: set[int] = set()
        for op in self.operations:
            if op.condition is not None:
                return True
            if isinstance(op, KrausChannel):
                if measured.intersection(op.qubits):
                    return True
                continue
            if op.name == "reset":
                return True
            if op.name == "measure":
                if op.qubits[0] in measured:
                    return True
                measured.add(op.qubits[0])
            elif op.name != "barrier" and measured.intersection(op.qubits):
                return True
        return False

    def ideal_circuit(self) -> Circuit:
        """The circuit without its noise (default registers ``q`` and ``c``)."""
        circuit = Circuit(self.num_qubits, self.num_clbits, name=self.name)
        for op in self.instructions:
            circuit.append(op)
        return circuit

    def without_readout_error(self) -> NoisyProgram:
        """A copy with perfect readout."""
        return replace(self, readout=())

    def count_channels(self) -> int:
        """Number of noise channels."""
        return sum(isinstance(op, KrausChannel) for op in self.operations)

    def __repr__(self) -> str:
        return (
            f"NoisyProgram(name={self.name!r}, num_qubits={self.num_qubits}, "
            f"num_clbits={self.num_clbits}, instructions={len(self.instructions)}, "
            f"channels={self.count_channels()}, readout_errors={self.has_readout_error})"
        )

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data (instructions as name/qubits/params/clbits/condition).

        >>> from kvant.circuit import Circuit
        >>> p = NoisyProgram.from_circuit(Circuit(2).h(0).cx(0, 1).measure_all())
        >>> NoisyProgram.from_dict(p.to_dict()).to_dict() == p.to_dict()
        True
        """
        return {
            "name": self.name,
            "num_qubits": self.num_qubits,
            "num_clbits": self.num_clbits,
            "operations": [
                {"channel": op.to_dict()}
                if isinstance(op, KrausChannel)
                else {"instruction": _instruction_to_dict(op)}
                for op in self.operations
            ],
            "readout": [None if r is None else r.to_dict() for r in self.readout],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoisyProgram:
        """Rebuild a program from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or malformed.
        """
        try:
            ops: list[Operation] = []
            for item in data["operations"]:
                if "channel" in item:
                    ops.append(KrausChannel.from_dict(item["channel"]))
                else:
                    ops.append(_instruction_from_dict(item["instruction"]))
            readout = tuple(
                None if r is None else ReadoutError.from_dict(r) for r in data.get("readout", [])
            )
            return cls(
                int(data["num_qubits"]),
                int(data["num_clbits"]),
                tuple(ops),
                readout,
                str(data.get("name", "noisy")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"cannot read a NoisyProgram from this data: {exc!r}") from exc


def _instruction_to_dict(op: Instruction) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": op.name,
        "qubits": list(op.qubits),
        "params": list(op.numeric_params()),
        "clbits": list(op.clbits),
    }
    if op.condition is not None:
        out["condition"] = {"clbits": list(op.condition.clbits), "value": op.condition.value}
    if op.matrix is not None:
        out["matrix"] = np.stack([op.matrix.real, op.matrix.imag], axis=-1).tolist()
    return out


def _instruction_from_dict(data: Mapping[str, Any]) -> Instruction:
    condition = data.get("condition")
    matrix = None
    if "matrix" in data:
        pairs = np.asarray(data["matrix"], dtype=np.float64)
        matrix = pairs[..., 0] + 1j * pairs[..., 1]
    return Instruction(
        str(data["name"]),
        tuple(int(q) for q in data["qubits"]),
        tuple(float(p) for p in data.get("params", [])),
        tuple(int(b) for b in data.get("clbits", [])),
        None
        if condition is None
        else Condition(tuple(int(b) for b in condition["clbits"]), int(condition["value"])),
        matrix,
    )


def split_tail(
    operations: Sequence[Operation], mid_circuit: bool
) -> tuple[list[Operation], list[tuple[int, int]]]:
    """Split a program into the part to simulate and the measurements sampled at the end.

    Without mid-circuit operations every measurement is terminal (gates and channels on other
    qubits commute past it), so all of them are sampled from the final distribution. Otherwise
    only the trailing run of unconditioned measurements on distinct qubits is.

    Returns:
        ``(body, tail)``: the operations to simulate and the ``(qubit, clbit)`` pairs sampled
        at the end, in program order.
    """
    ops = list(operations)
    if not mid_circuit:
        body = [op for op in ops if not (isinstance(op, Instruction) and op.name == "measure")]
        tail = [
            (op.qubits[0], op.clbits[0])
            for op in ops
            if isinstance(op, Instruction) and op.name == "measure"
        ]
        return body, tail
    start = len(ops)
    seen: set[int] = set()
    for index in range(len(ops) - 1, -1, -1):
        op = ops[index]
        if isinstance(op, Instruction) and op.name == "barrier":
            continue
        if (
            not isinstance(op, Instruction)
            or op.name != "measure"
            or op.condition is not None
            or op.qubits[0] in seen
        ):
            break
        seen.add(op.qubits[0])
        start = index
    tail = [
        (op.qubits[0], op.clbits[0])
        for op in ops[start:]
        if isinstance(op, Instruction) and op.name == "measure"
    ]
    return ops[:start], tail
