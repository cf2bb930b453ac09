"""A circuit compiled for the state-vector kernels: gate tensors built once, axes resolved.

The engine runs a :class:`Program` in two parts: ``steps`` (gates, and for circuits with
mid-circuit operations also measurements, resets and conditioned gates) and ``tail`` (the
measurements that can be sampled from the final distribution at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from kvant.circuit import GATES, Circuit, Condition, Instruction
from kvant.errors import UnboundParameterError
from kvant.sim._kernels import StateTensor, diagonal_operand, gate_operand, qubit_axis

__all__ = ["Program", "Step", "compile_circuit", "require_bound", "split_measurements"]

#: Instructions that do nothing on an ideal state-vector engine.
_IDLE = frozenset({"barrier", "delay", "id", "u0"})

StepKind = Literal["matrix", "diagonal", "measure", "reset"]


@dataclass(frozen=True, eq=False)
class Step:
    """One kernel call.

    Attributes:
        kind: ``matrix`` (contract a gate tensor), ``diagonal`` (multiply in place),
            ``measure`` or ``reset``.
        axes: State axes the step acts on (for measure/reset, one axis).
        operand: The gate tensor or broadcastable diagonal; None for measure/reset.
        clbit: For ``measure``, the classical bit written; -1 otherwise.
        condition: Run only if the classical bits satisfy it.
    """

    kind: StepKind
    axes: tuple[int, ...]
    operand: StateTensor | None = None
    clbit: int = -1
    condition: Condition | None = None

    @property
    def branches(self) -> bool:
        """True for steps whose outcome is random (measure, reset)."""
        return self.kind in ("measure", "reset")


@dataclass(frozen=True)
class Program:
    """A compiled circuit.

    Attributes:
        num_qubits: Number of qubits.
        num_clbits: Number of classical bits.
        steps: Kernel calls in order.
        tail: ``(qubit, clbit)`` measurements sampled from the final distribution, in order
            (a later write to the same classical bit wins).
        deterministic: True if ``steps`` holds only gates, so the final state is well defined.
    """

    num_qubits: int
    num_clbits: int
    steps: tuple[Step, ...]
    tail: tuple[tuple[int, int], ...]
    deterministic: bool

    @property
    def branch_points(self) -> int:
        """Number of measure/reset steps (an upper bound on saved branch states)."""
        return sum(step.branches for step in self.steps)

    def prefix_length(self) -> int:
        """Number of leading steps that are unconditioned gates (simulated once per run)."""
        for index, step in enumerate(self.steps):
            if step.branches or step.condition is not None:
                return index
        return len(self.steps)


def _is_diagonal(op: Instruction, matrix: np.ndarray[Any, Any]) -> bool:
    if op.name in GATES:
        return GATES[op.name].diagonal
    return bool(np.count_nonzero(matrix - np.diag(np.diagonal(matrix))) == 0)


def _gate_step(op: Instruction, num_qubits: int, dtype: np.dtype[Any]) -> Step:
    matrix = op.unitary_matrix()
    axes = tuple(qubit_axis(q, num_qubits) for q in op.qubits)
    if _is_diagonal(op, matrix):
        operand = diagonal_operand(matrix, axes, num_qubits, dtype)
        return Step("diagonal", axes, operand, condition=op.condition)
    return Step("matrix", axes, gate_operand(matrix, dtype), condition=op.condition)


def _trailing_measurements(ops: Sequence[Instruction]) -> int:
    """Start index of the trailing run of unconditioned measurements on distinct qubits."""
    start = len(ops)
    seen: set[int] = set()
    for index in range(len(ops) - 1, -1, -1):
        op = ops[index]
        if op.name == "barrier":
            continue
        if op.name != "measure" or op.condition is not None or op.qubits[0] in seen:
            break
        seen.add(op.qubits[0])
        start = index
    return start


def require_bound(circuit: Circuit) -> None:
    """Raise if ``circuit`` has free parameters.

    Raises:
        UnboundParameterError: Naming every free parameter.
    """
    if circuit.parameters:
        raise UnboundParameterError(
            f"circuit {circuit.name!r} has unbound parameter(s) {sorted(circuit.parameters)}; "
            "call circuit.bind({name: value, ...}) before running it"
        )


def split_measurements(
    circuit: Circuit,
) -> tuple[list[Instruction], tuple[tuple[int, int], ...], bool]:
    """Split a flat circuit into the instructions to simulate and the measurements to sample.

    Shared by the state-vector engines. If every measurement is terminal, gates commute past
    them: all measurements are sampled at the end. Otherwise only the trailing run of
    unconditioned measurements on distinct qubits is.

    Args:
        circuit: A circuit without custom gates (call ``decompose()`` first).

    Returns:
        ``(ops, tail, deterministic)``: the instructions to simulate in order, the
        ``(qubit, clbit)`` measurements sampled from the final distribution, and whether
        ``ops`` holds only gates (so the final state is well defined).
    """
    ops = list(circuit.instructions)
    if not circuit.has_mid_circuit_operations:
        # every measurement is terminal: gates commute past them, sample once at the end
        gates = [op for op in ops if op.name != "measure"]
        tail = tuple((op.qubits[0], op.clbits[0]) for op in ops if op.name == "measure")
        return gates, tail, True
    cut = _trailing_measurements(ops)
    tail = tuple((op.qubits[0], op.clbits[0]) for op in ops[cut:] if op.name == "measure")
    return ops[:cut], tail, False


def compile_circuit(circuit: Circuit, dtype: np.dtype[Any]) -> Program:
    """Compile ``circuit`` (custom gates expanded) for an engine of precision ``dtype``.

    Args:
        circuit: The circuit; all parameters must be bound.
        dtype: complex64 or complex128.

    Returns:
        The program.

    Raises:
        UnboundParameterError: If the circuit has free parameters.
    """
    require_bound(circuit)
    flat = circuit.decompose() if circuit.definitions else circuit
    gates, tail, deterministic = split_measurements(flat)
    n = circuit.num_qubits
    steps: list[Step] = []
    for op in gates:
        if op.name in _IDLE:
            continue
        if op.name == "measure":
            axis = qubit_axis(op.qubits[0], n)
            steps.append(Step("measure", (axis,), clbit=op.clbits[0], condition=op.condition))
        elif op.name == "reset":
            steps.append(Step("reset", (qubit_axis(op.qubits[0], n),), condition=op.condition))
        else:
            steps.append(_gate_step(op, n, dtype))
    return Program(n, circuit.num_clbits, tuple(steps), tail, deterministic)
