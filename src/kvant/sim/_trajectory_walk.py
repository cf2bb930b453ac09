"""The walk of the trajectory engine: groups of shots down the tree of Kraus branches.

State layout: a branch's state is a C-contiguous ``(2,)*n`` tensor whose axes hold the qubits
in the order ``branch.order`` (``order[a]`` is the qubit on axis a). Applying an operator on
qubits Q moves Q to the front (one transposing copy, skipped when they already are there),
multiplies the ``(d, 2**n / d)`` matrix by the operator (one BLAS call) and leaves the result
with Q in front. Norms and reduced density matrices of Q are then plain BLAS calls on
contiguous memory. The little-endian order is restored only to sample the final state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Condition
from kvant.sim._channels import ReadoutError
from kvant.sim._kernels import StateTensor, collapse, probability_of_one, reset_to_zero
from kvant.sim._noisy import NoisyProgram
from kvant.sim._sampling import probabilities_of, sample_bits
from kvant.sim._trajectory_blocks import KrausStep

__all__ = ["Branch", "Counter", "Event", "walk"]


@dataclass(frozen=True, eq=False)
class Event:
    """A measurement or reset in the walk."""

    kind: str  # "measure", "reset"
    qubit: int
    clbit: int = -1
    readout: ReadoutError | None = None
    flip_now: bool = False  # the recorded bit is read by a later condition
    condition: Condition | None = None


@dataclass
class Counter:
    """Work done: trajectories finished, splits, operator applications."""

    trajectories: int = 0
    splits: int = 0
    kernel_calls: int = 0


@dataclass
class Branch:
    """A group of shots that share one state."""

    position: int
    state: StateTensor
    order: tuple[int, ...]
    norm2: float
    bits: NDArray[np.uint8]
    writer: dict[int, int]
    count: int


def _front(
    state: StateTensor, order: tuple[int, ...], qubits: tuple[int, ...]
) -> tuple[StateTensor, tuple[int, ...]]:
    """``state`` with ``qubits`` as its leading axes (C-contiguous), and the new order."""
    k = len(qubits)
    if order[:k] == qubits:
        return state, order
    positions = [order.index(q) for q in qubits]
    rest = [a for a in range(len(order)) if a not in positions]
    moved = np.ascontiguousarray(np.transpose(state, positions + rest))
    return moved, qubits + tuple(order[a] for a in rest)


def apply_operator(
    state: StateTensor,
    order: tuple[int, ...],
    matrix: NDArray[np.complex128],
    diagonal: NDArray[np.complex128] | None,
    qubits: tuple[int, ...],
    *,
    in_place: bool,
) -> tuple[StateTensor, tuple[int, ...]]:
    """``matrix`` (textbook order on ``qubits``) applied to the state; returns state and order.

    A diagonal operator multiplies in place (``in_place``) or into a new array; any other one
    brings ``qubits`` to the front and multiplies.
    """
    k = len(qubits)
    d = 1 << k
    if diagonal is not None:
        positions = [order.index(q) for q in qubits]
        shape = [1] * len(order)
        for p in positions:
            shape[p] = 2
        factor = diagonal.astype(state.dtype, copy=False).reshape((2,) * k)
        factor = factor.transpose(np.argsort(positions)).reshape(shape)
        if in_place:
            state *= factor
            return state, order
        return state * factor, order
    front, new_order = _front(state, order, qubits)
    flat = front.reshape(d, -1)
    result = np.asarray(matrix, dtype=state.dtype) @ flat
    return result.reshape(state.shape), new_order


def _norm2(state: StateTensor) -> float:
    flat = state.reshape(-1)
    return float(np.vdot(flat, flat).real)


def _branch_probabilities(
    state: StateTensor, order: tuple[int, ...], step: KrausStep
) -> NDArray[np.float64]:
    front, _ = _front(state, order, step.qubits)
    moved = front.reshape(1 << len(step.qubits), -1)
    reduced = moved @ moved.conj().T  # the reduced density matrix of the block's qubits
    probs = np.clip(np.real(np.einsum("kab,ba->k", step.gram, reduced)), 0.0, None)
    return np.asarray(probs, dtype=np.float64)


def split(
    rng: np.random.Generator, count: int, probs: NDArray[np.float64]
) -> list[tuple[int, int]]:
    """Divide ``count`` shots over branches; ``(branch, shots)`` pairs, fewest shots first."""
    total = float(probs.sum())
    if count == 1:
        branch = int(np.searchsorted(np.cumsum(probs), rng.random() * total, side="right"))
        return [(min(branch, probs.shape[0] - 1), 1)]
    drawn = rng.multinomial(count, probs / total)
    groups = [(int(b), int(c)) for b, c in enumerate(drawn) if c]
    groups.sort(key=lambda g: g[1])
    return groups


def _kraus(
    step: KrausStep, branch: Branch, rng: np.random.Generator, stack: list[Branch], counter: Counter
) -> Branch:
    counter.kernel_calls += 1
    qubits = step.qubits
    if step.unitary:
        branch.state, branch.order = apply_operator(
            branch.state, branch.order, step.matrices[0], step.diagonals[0], qubits, in_place=True
        )
        return branch
    if step.weights is not None:  # a mixture of unitaries: the probabilities are fixed
        groups = split(rng, branch.count, step.weights)
        return _branch_out(step, branch, groups, (branch.state, branch.order), None, stack, counter)
    keep = None if step.inverse is not None else (branch.state.copy(), branch.order)
    phi, phi_order = apply_operator(
        branch.state, branch.order, step.matrices[0], step.diagonals[0], qubits, in_place=True
    )
    norm0 = _norm2(phi)
    p0 = min(norm0 / branch.norm2, 1.0)
    if branch.count == 1:
        stay = 1 if rng.random() < p0 else 0
    else:
        stay = int(rng.binomial(branch.count, p0))
    if stay == branch.count:
        branch.state, branch.order, branch.norm2 = phi, phi_order, norm0
        return branch
    counter.kernel_calls += 1
    if keep is None:
        inverse = cast(NDArray[np.complex128], step.inverse)
        keep = apply_operator(phi, phi_order, inverse, None, qubits, in_place=False)
    probs = _branch_probabilities(keep[0], keep[1], step)
    probs[0] = 0.0
    if probs.sum() <= 0.0:  # rounding put p0 a hair below 1: nothing else can happen
        branch.state, branch.order, branch.norm2 = phi, phi_order, norm0
        return branch
    groups = split(rng, branch.count - stay, probs)
    if stay:
        groups = sorted([*groups, (0, stay)], key=lambda g: g[1])
    return _branch_out(step, branch, groups, keep, (phi, phi_order, norm0), stack, counter)


def _branch_out(
    step: KrausStep,
    branch: Branch,
    groups: list[tuple[int, int]],
    psi: tuple[StateTensor, tuple[int, ...]],
    done: tuple[StateTensor, tuple[int, ...], float] | None,
    stack: list[Branch],
    counter: Counter,
) -> Branch:
    """Continue with the smallest group, push the others (each with its own state)."""
    results: list[Branch] = []
    users = [i for i, (b, _) in enumerate(groups) if not (b == 0 and done is not None)]
    for i, (b, size) in enumerate(groups):
        if b == 0 and done is not None:
            state, order, norm2 = done
        else:
            state, order = apply_operator(
                psi[0],
                psi[1],
                step.matrices[b],
                step.diagonals[b],
                step.qubits,
                in_place=i == users[-1],
            )
            norm2 = branch.norm2 if step.weights is not None else _norm2(state)
            counter.kernel_calls += 1
        results.append(
            Branch(branch.position, state, order, norm2, branch.bits, branch.writer, size)
        )
    for other in results[1:]:
        counter.splits += 1
        stack.append(other)
    return results[0]


def _event(
    step: Event, branch: Branch, rng: np.random.Generator, stack: list[Branch], counter: Counter
) -> Branch:
    state, axis = branch.state, branch.order.index(step.qubit)
    p_one = probability_of_one(state, axis)
    variants: list[tuple[int, int, int]] = []  # (outcome, recorded, shots)
    for outcome, size in split(rng, branch.count, np.array([1.0 - p_one, p_one])):
        if step.kind == "measure" and step.flip_now and step.readout is not None:
            flips = int(rng.binomial(size, step.readout.flip_probability(outcome)))
            variants += [(outcome, outcome, size - flips)] if size - flips else []
            variants += [(outcome, 1 - outcome, flips)] if flips else []
        else:
            variants.append((outcome, outcome, size))
    variants.sort(key=lambda v: v[2])
    counter.kernel_calls += 1
    results = []
    for i, (outcome, recorded, size) in enumerate(variants):
        own = state if i == len(variants) - 1 else state.copy()
        collapse(own, axis, outcome, p_one if outcome else 1.0 - p_one)
        bits, writer = branch.bits, branch.writer
        if step.kind == "measure":
            bits = bits.copy()
            bits[step.clbit] = recorded
            writer = {k: v for k, v in writer.items() if k != step.clbit}
            if not step.flip_now:
                writer[step.clbit] = step.qubit
        elif outcome == 1:
            reset_to_zero(own, axis)
        results.append(Branch(branch.position, own, branch.order, branch.norm2, bits, writer, size))
    for other in results[1:]:
        counter.splits += 1
        stack.append(other)
    return results[0]


def _finish(
    branch: Branch, tail: Sequence[tuple[int, int]], program: NoisyProgram, rng: np.random.Generator
) -> NDArray[np.uint8]:
    count, bits, n = branch.count, branch.bits, program.num_qubits
    if tail:
        # axis a of the little-endian tensor holds qubit n - 1 - a
        canonical = np.transpose(branch.state, [branch.order.index(n - 1 - a) for a in range(n)])
        out = sample_bits(probabilities_of(canonical), count, tail, bits, rng)
    else:
        out = np.broadcast_to(bits, (count, bits.shape[0])).copy()
    final = dict(branch.writer)
    for qubit, clbit in tail:
        final[clbit] = qubit
    for clbit, qubit in final.items():
        readout = program.readout_error(qubit)
        if readout is None:
            continue
        draws = rng.random(count)
        column = out[:, clbit]
        flip = np.where(column == 0, draws < readout.p_meas1_prep0, draws < readout.p_meas0_prep1)
        out[:, clbit] = column ^ flip.astype(np.uint8)
    return out


def walk(
    steps: Sequence[KrausStep | Event],
    tail: Sequence[tuple[int, int]],
    program: NoisyProgram,
    shots: int,
    rng: np.random.Generator,
    *,
    grouped: bool,
    dtype: np.dtype[Any],
    counter: Counter,
) -> NDArray[np.uint8]:
    """Sample the classical bits of ``shots`` shots: a ``(shots, num_clbits)`` matrix."""
    n = program.num_qubits
    initial = np.zeros(1 << n, dtype=dtype)
    initial[0] = 1
    order = tuple(n - 1 - a for a in range(n))  # the little-endian layout
    base = np.zeros(program.num_clbits, dtype=np.uint8)
    walks = [shots] if grouped else [1] * shots
    rows: list[NDArray[np.uint8]] = []
    for walk_shots in walks:
        stack = [Branch(0, initial.copy().reshape((2,) * n), order, 1.0, base, {}, walk_shots)]
        while stack:
            branch = stack.pop()
            while branch.position < len(steps):
                step = steps[branch.position]
                branch.position += 1
                if step.condition is not None and not step.condition.holds(branch.bits):
                    continue
                if isinstance(step, Event):
                    branch = _event(step, branch, rng, stack, counter)
                else:
                    branch = _kraus(step, branch, rng, stack, counter)
                if branch.norm2 < 1e-150:  # keep the unnormalised state away from underflow
                    branch.state *= 1.0 / np.sqrt(branch.norm2)
                    branch.norm2 = 1.0
            counter.trajectories += 1
            rows.append(_finish(branch, tail, program, rng))
    return np.concatenate(rows, axis=0)
