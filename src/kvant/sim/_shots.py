"""Shots for engines that hold a flat state vector: final sampling and mid-circuit branching.

The algorithm is the reference engine's (:class:`~kvant.sim.StateVectorEngine`): gates before
the first measurement, reset or condition run once; then at each measurement or reset the shots
of a branch split binomially between the outcomes, each outcome continuing on its collapsed,
renormalised state, depth first (at most one saved state per branch point). Ungrouped, each
shot walks alone from a copy of the prefix state, so no branch is saved. How gates are applied
is the caller's: steps are any objects with a ``condition`` attribute, and those with a
``qubit`` attribute are measurements (``kind == "measure"``, ``clbit``) or resets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Condition
from kvant.sim._kernels import collapse, probability_of_one, qubit_axis, reset_to_zero
from kvant.sim._sampling import probabilities_of, sample_bits

__all__ = ["branch_shots", "sample_final"]

Bits = NDArray[np.uint8]
State = NDArray[Any]


class _Step(Protocol):
    @property
    def condition(self) -> Condition | None: ...


def sample_final(
    state: State,
    shots: int,
    tail: Sequence[tuple[int, int]],
    num_clbits: int | Bits,
    rng: np.random.Generator,
) -> Bits:
    """Classical bits of ``shots`` shots: ``num_clbits`` zero bits (or the given bits) with the
    ``(qubit, clbit)`` measurements of ``tail`` sampled from ``state``."""
    base = np.zeros(num_clbits, np.uint8) if isinstance(num_clbits, int) else num_clbits
    if shots == 0 or not tail:
        return np.broadcast_to(base, (shots, base.shape[0])).copy()
    return sample_bits(probabilities_of(state), shots, tail, base, rng)


def _settle(state: State, bits: Bits, step: Any, outcome: int, probability: float) -> None:
    n = int(state.shape[0]).bit_length() - 1
    tensor = state.reshape((2,) * n)
    axis = qubit_axis(step.qubit, n)
    collapse(tensor, axis, outcome, probability)
    if step.kind == "measure":
        bits[step.clbit] = outcome
    elif outcome == 1:
        reset_to_zero(tensor, axis)


def _walk(
    steps: Sequence[_Step],
    position: int,
    state: State,
    bits: Bits,
    shots: int,
    rng: np.random.Generator,
    stack: list[tuple[int, State, Bits, int]],
    apply: Callable[[State, Any], None],
) -> tuple[State, Bits, int]:
    """Advance one branch to the end, pushing the other outcome of each split on ``stack``."""
    n = int(state.shape[0]).bit_length() - 1
    while position < len(steps):
        step = steps[position]
        position += 1
        if step.condition is not None and not step.condition.holds(bits):
            continue
        if not hasattr(step, "qubit"):
            apply(state, step)
            continue
        p_one = probability_of_one(state.reshape((2,) * n), qubit_axis(step.qubit, n))
        ones = int(rng.binomial(shots, p_one))
        if 0 < ones < shots:
            other, other_bits = state.copy(), bits.copy()
            _settle(other, other_bits, step, 1, p_one)
            stack.append((position, other, other_bits, ones))
            shots -= ones
            outcome = 0
        else:
            outcome = 1 if ones else 0
        bits = bits.copy()
        _settle(state, bits, step, outcome, p_one if outcome else 1.0 - p_one)
    return state, bits, shots


def branch_shots(
    steps: Sequence[_Step],
    state: State,
    shots: int,
    tail: Sequence[tuple[int, int]],
    num_clbits: int,
    rng: np.random.Generator,
    grouped: bool,
    apply: Callable[[State, Any], None],
) -> Bits:
    """Run ``steps`` on ``state`` (flat, modified) for ``shots`` shots; their classical bits.

    Args:
        steps: Gate steps (passed to ``apply``) and measure/reset steps, in order.
        state: The initial flat state vector; it is overwritten.
        shots: Number of shots (> 0).
        tail: Measurements sampled from each branch's final state.
        num_clbits: Classical bits.
        rng: The generator.
        grouped: Split shots at branch points (True) or walk each shot alone (False).
        apply: ``apply(state, step)`` applies a gate step in place.

    Returns:
        A ``(shots, num_clbits)`` uint8 matrix (shots in branch order).
    """
    prefix = 0
    while prefix < len(steps) and steps[prefix].condition is None:
        if hasattr(steps[prefix], "qubit"):
            break
        apply(state, steps[prefix])
        prefix += 1
    base = np.zeros(num_clbits, dtype=np.uint8)
    walks = [(state, shots)] if grouped else [(state, 1)] * shots
    rows: list[Bits] = []
    for index, (initial, walk_shots) in enumerate(walks):
        first = initial if index == len(walks) - 1 else initial.copy()
        stack = [(prefix, first, base, walk_shots)]
        while stack:
            final, bits, count = _walk(steps, *stack.pop(), rng, stack, apply)
            rows.append(sample_final(final, count, tail, bits, rng))
    return np.concatenate(rows, axis=0)
