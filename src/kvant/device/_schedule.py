"""As-soon-as-possible scheduling of a native circuit: start times, durations and idle periods.

Durations come from the calibration: ``rz`` is virtual (0 ns), ``sx``/``x`` take the qubit's
1-qubit gate duration, ``cz`` its coupler's, ``measure`` and ``reset`` the qubit's readout
duration, ``delay`` its own argument, ``barrier`` nothing (but it aligns its qubits). An
instruction starts when all its qubits are free and, if conditioned, when the measurements it
reads have finished. The gaps a qubit spends waiting between two of its operations are its idle
periods, which carry thermal relaxation in the noise model. Time before a qubit's first
operation is not idle time: the qubit is still in |0>, which relaxation leaves alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kvant.circuit import Circuit, Instruction
from kvant.device._calibration import Calibration
from kvant.errors import CircuitError, ConfigError

__all__ = ["IdlePeriod", "Schedule", "TimedInstruction", "instruction_duration_ns", "schedule"]


@dataclass(frozen=True)
class TimedInstruction:
    """When one instruction of the circuit runs.

    Attributes:
        index: Position in the circuit.
        start_ns: Start time.
        duration_ns: Duration.
    """

    index: int
    start_ns: float
    duration_ns: float

    @property
    def end_ns(self) -> float:
        """``start_ns + duration_ns``."""
        return self.start_ns + self.duration_ns


@dataclass(frozen=True)
class IdlePeriod:
    """A qubit waiting between two of its operations.

    Attributes:
        qubit: The qubit (circuit index).
        start_ns: When the wait starts.
        duration_ns: How long it lasts.
        before: Index of the instruction that ends the wait.
    """

    qubit: int
    start_ns: float
    duration_ns: float
    before: int


@dataclass(frozen=True)
class Schedule:
    """An ASAP schedule.

    Attributes:
        instructions: One entry per instruction of the circuit, in circuit order.
        idle: Idle periods, in order of the instruction that ends them.
        duration_ns: End of the last instruction.

    >>> from kvant.circuit import Circuit
    >>> from kvant.device import load_device
    >>> s = schedule(Circuit(2).sx(0).cz(0, 1).sx(1), load_device("line-2"))
    >>> [(t.start_ns, t.duration_ns) for t in s.instructions], s.idle
    ([(0.0, 32.0), (32.0, 68.0), (100.0, 32.0)], ())
    >>> Schedule.from_dict(s.to_dict()) == s
    True
    """

    instructions: tuple[TimedInstruction, ...]
    idle: tuple[IdlePeriod, ...]
    duration_ns: float

    def idle_time_ns(self, qubit: int) -> float:
        """Total idle time of ``qubit``."""
        return sum(p.duration_ns for p in self.idle if p.qubit == qubit)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "instructions": [[t.index, t.start_ns, t.duration_ns] for t in self.instructions],
            "idle": [[p.qubit, p.start_ns, p.duration_ns, p.before] for p in self.idle],
            "duration_ns": self.duration_ns,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or malformed.
        """
        try:
            return cls(
                tuple(
                    TimedInstruction(int(i), float(s), float(d)) for i, s, d in data["instructions"]
                ),
                tuple(
                    IdlePeriod(int(q), float(s), float(d), int(b)) for q, s, d, b in data["idle"]
                ),
                float(data["duration_ns"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"cannot read a Schedule from this data: {exc!r}") from exc


def instruction_duration_ns(
    op: Instruction, calibration: Calibration, physical: Sequence[int]
) -> float:
    """Duration of a native instruction on device qubits ``physical[q]``.

    Raises:
        CircuitError: For a gate that is not native (transpile first) or a ``cz`` on qubits
            that are not coupled.
    """
    name = op.name
    qubits = [physical[q] for q in op.qubits]
    if name in ("rz", "barrier", "id", "u0"):
        return 0.0 if name != "id" else calibration.qubit(qubits[0]).gate_duration_1q_ns
    if name in ("sx", "x"):
        return calibration.qubit(qubits[0]).gate_duration_1q_ns
    if name in ("measure", "reset"):
        return calibration.qubit(qubits[0]).readout_duration_ns
    if name == "delay":
        return float(op.numeric_params()[0])
    if name == "cz":
        if not calibration.topology.are_coupled(*qubits):
            raise CircuitError(
                f"cz on device qubits {qubits}, which are not coupled on {calibration.name}"
            )
        return calibration.coupler(*qubits).gate_duration_2q_ns
    raise CircuitError(
        f"{name!r} is not a native gate of {calibration.name} (rz, sx, x, cz, measure, reset, "
        "delay); transpile the circuit first"
    )


def schedule(
    circuit: Circuit, calibration: Calibration, physical_qubits: Sequence[int] | None = None
) -> Schedule:
    """Schedule a native circuit as soon as possible.

    Args:
        circuit: A circuit in native gates (see :func:`~kvant.device.transpile`).
        calibration: The device, for durations.
        physical_qubits: Device qubit of each circuit qubit (default: the same index).

    Returns:
        The schedule.

    Raises:
        CircuitError: For non-native gates or a ``cz`` between uncoupled qubits.
        ConfigError: For a mapping of the wrong length or onto unknown device qubits.
    """
    n = circuit.num_qubits
    physical = (
        tuple(range(n)) if physical_qubits is None else tuple(int(q) for q in physical_qubits)
    )
    if len(physical) != n or any(not 0 <= q < calibration.num_qubits for q in physical):
        raise ConfigError(
            f"physical_qubits must give a device qubit (0..{calibration.num_qubits - 1}) for each "
            f"of the {n} circuit qubits, got {list(physical)}"
        )
    ready = [0.0] * n
    started = [False] * n
    clbit_ready = [0.0] * circuit.num_clbits
    timed: list[TimedInstruction] = []
    idle: list[IdlePeriod] = []
    for index, op in enumerate(circuit):
        duration = instruction_duration_ns(op, calibration, physical)
        reads = op.condition.clbits if op.condition else ()
        start = max([ready[q] for q in op.qubits] + [clbit_ready[b] for b in reads], default=0.0)
        for q in op.qubits:
            gap = start - ready[q]
            if started[q] and gap > 0:
                idle.append(IdlePeriod(q, ready[q], gap, index))
            ready[q] = start + duration
            started[q] = started[q] or op.name != "barrier"
        for b in op.clbits:
            clbit_ready[b] = start + duration
        timed.append(TimedInstruction(index, start, duration))
    total = max([t.end_ns for t in timed], default=0.0)
    return Schedule(tuple(timed), tuple(idle), total)
