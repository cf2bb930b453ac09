"""OpenQASM 3 gate modifiers (``inv @``, ``pow(k) @``, ``ctrl(n) @``, ``negctrl(n) @``).

A modified gate is built as a short program of :class:`Step` s on the operand positions, each
modifier rewriting the program from the gate outwards (Cross et al., "OpenQASM 3", 2022,
sec. "Quantum gate modifiers"). Controlled library gates are kept as (base gate, number of
controls) until the end, so ``ctrl @ ctrl @ x`` becomes ``ccx`` and ``ctrl(3) @ sx`` becomes
``c3sqrtx``; what has no library name becomes a controlled ``unitary`` matrix, which needs
numeric parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import schur

from kvant.circuit._gates import GATES, controlled, embed
from kvant.circuit._instruction import GateDefinition, Instruction
from kvant.circuit._parameters import ParameterExpression, ParameterValue

__all__ = [
    "Step",
    "control",
    "custom_step",
    "invert",
    "library_step",
    "materialize",
    "negative_control",
    "phase_step",
    "power",
]

#: Controlled library gates as (base gate, number of controls).
_CONTROLLED: dict[str, tuple[str, int]] = {
    "cx": ("x", 1),
    "ccx": ("x", 2),
    "c3x": ("x", 3),
    "c4x": ("x", 4),
    "cy": ("y", 1),
    "cz": ("z", 1),
    "ch": ("h", 1),
    "csx": ("sx", 1),
    "csxdg": ("sxdg", 1),
    "c3sqrtx": ("sx", 3),
    "c3sqrtxdg": ("sxdg", 3),
    "cswap": ("swap", 1),
    "crx": ("rx", 1),
    "cry": ("ry", 1),
    "crz": ("rz", 1),
    "cp": ("p", 1),
    "cu1": ("u1", 1),
    "cu3": ("u3", 1),
}
_BY_BASE = {form: name for name, form in _CONTROLLED.items()}
# one control on a gate with no controlled name of its own: (name, parameters)
_PHASES = {"s": math.pi / 2, "sdg": -math.pi / 2, "t": math.pi / 4, "tdg": -math.pi / 4}


@dataclass(frozen=True)
class Step:
    """One gate on operand positions ``qubits``; exactly one of its kinds is set.

    Attributes:
        qubits: Operand positions, controls first.
        base: A library gate, with ``controls`` extra control qubits in front.
        params: Its parameters (or the custom gate's).
        controls: Number of controls added to ``base``, ``matrix`` or ``phase``.
        definition: A custom gate (never controlled: that becomes a matrix).
        matrix: A unitary on the non-control qubits.
        phase: ``gphase`` angle; with controls it is a phase on the all-ones state.
    """

    qubits: tuple[int, ...]
    base: str | None = None
    params: tuple[ParameterValue, ...] = ()
    controls: int = 0
    definition: GateDefinition | None = None
    matrix: NDArray[np.complex128] | None = field(default=None, repr=False)
    phase: ParameterValue | None = None


def library_step(name: str, params: tuple[ParameterValue, ...], qubits: tuple[int, ...]) -> Step:
    """A library gate, split into its base gate and controls."""
    base, controls = _CONTROLLED.get(name, (name, 0))
    return Step(qubits, base=base, params=params, controls=controls)


def custom_step(
    definition: GateDefinition, params: tuple[ParameterValue, ...], qubits: tuple[int, ...]
) -> Step:
    """A custom gate."""
    return Step(qubits, definition=definition, params=params)


def phase_step(angle: ParameterValue) -> Step:
    """``gphase(angle)``."""
    return Step((), phase=angle)


def _numeric(params: Sequence[ParameterValue], what: str) -> tuple[float, ...]:
    out = []
    for p in params:
        if isinstance(p, ParameterExpression):
            raise ValueError(
                f"{what} with symbolic parameters has no Kvant library gate, and a matrix "
                "needs numbers; use numeric parameters here"
            )
        out.append(float(p))
    return tuple(out)


def _matrix(step: Step) -> NDArray[np.complex128]:
    """Full matrix of a step on its own qubits (controls first)."""
    if step.base is not None:
        core = GATES[step.base].matrix(*_numeric(step.params, f"a controlled {step.base!r}"))
    elif step.definition is not None:
        core = step.definition.matrix(_numeric(step.params, f"a modified {step.definition.name!r}"))
    elif step.matrix is not None:
        core = step.matrix
    else:
        angle = _numeric([step.phase if step.phase is not None else 0.0], "a controlled gphase")
        core = np.array([[np.exp(1j * angle[0])]], dtype=complex)
    return controlled(core, step.controls) if step.controls else core


def invert(steps: Sequence[Step]) -> list[Step]:
    """``inv @``: the steps reversed, each inverted."""
    out = []
    for step in reversed(steps):
        if step.base is not None:
            name, params = GATES[step.base].inverse(*step.params)
            out.append(replace(step, base=name, params=tuple(params)))
        elif step.definition is not None:
            out.append(replace(step, definition=step.definition.inverse()))
        elif step.matrix is not None:
            out.append(replace(step, matrix=step.matrix.conj().T.copy()))
        else:
            out.append(replace(step, phase=-step.phase if step.phase is not None else None))
    return out


def control(steps: Sequence[Step], count: int) -> list[Step]:
    """``ctrl(count) @``: operand positions shift by ``count``; new controls come first."""
    front = tuple(range(count))
    out = []
    for step in steps:
        if step.definition is not None:
            step = Step(step.qubits, matrix=_matrix(step))
        qubits = front + tuple(q + count for q in step.qubits)
        out.append(replace(step, qubits=qubits, controls=step.controls + count))
    return out


def negative_control(steps: Sequence[Step], count: int) -> list[Step]:
    """``negctrl(count) @``: ``ctrl`` with an X before and after on each new control."""
    flips = [library_step("x", (), (q,)) for q in range(count)]
    return flips + control(steps, count) + flips


def power(steps: Sequence[Step], exponent: float, num_qubits: int) -> list[Step]:
    """``pow(exponent) @``: repetition for integers, the principal matrix power otherwise."""
    if exponent == int(exponent):
        k = int(exponent)
        return list(steps if k >= 0 else invert(steps)) * abs(k)
    if num_qubits == 0:  # only global phases
        phases = _numeric([s.phase if s.phase is not None else 0.0 for s in steps], "pow @ gphase")
        return [phase_step(exponent * sum(phases))]
    total = np.eye(1 << num_qubits, dtype=complex)
    for step in steps:
        if step.qubits:
            total = embed(_matrix(step), step.qubits, num_qubits) @ total
        else:
            total = _matrix(step)[0, 0] * total
    diagonal, vectors = schur(total, output="complex")
    angles = np.angle(np.diag(diagonal))
    angles[np.isclose(angles, -math.pi, atol=1e-12, rtol=0)] = math.pi  # principal branch
    result = (vectors * np.exp(1j * exponent * angles)) @ vectors.conj().T
    return [Step(tuple(range(num_qubits)), matrix=result)]


def materialize(step: Step) -> Instruction | None:
    """The instruction for a step; None for an uncontrolled ``gphase`` (a global phase)."""
    if step.definition is not None:
        return Instruction(
            step.definition.name, step.qubits, step.params, definition=step.definition
        )
    if step.base is not None:
        named = _named(step.base, step.params, step.controls)
        if named is not None:
            return Instruction(named[0], step.qubits, named[1])
    elif step.phase is not None and step.matrix is None:
        if step.controls == 0:
            return None
        if step.controls <= 2:
            return Instruction(("p", "cp")[step.controls - 1], step.qubits, (step.phase,))
    return Instruction("unitary", step.qubits, matrix=_matrix(step))


def _named(
    base: str, params: tuple[ParameterValue, ...], controls: int
) -> tuple[str, tuple[ParameterValue, ...]] | None:
    if controls == 0:
        return base, params
    if (base, controls) in _BY_BASE:
        return _BY_BASE[(base, controls)], params
    if controls == 1 and base == "u":
        return "cu", (*params, 0.0)
    if controls == 1 and base == "u2":
        return "cu3", (math.pi / 2, *params)
    if controls == 1 and base in _PHASES:
        return "cp", (_PHASES[base],)
    return None
