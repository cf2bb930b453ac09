"""The reference state-vector engine, in plain NumPy."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from kvant.circuit import Circuit
from kvant.sim._kernels import (
    StateTensor,
    apply_diagonal,
    apply_matrix,
    collapse,
    probability_of_one,
    reset_to_zero,
)
from kvant.sim._memory import as_memory_limit, run_bytes
from kvant.sim._program import Program, Step, compile_circuit
from kvant.sim._result import Result
from kvant.sim._run_inputs import (
    as_dtype,
    branching_fits,
    check_shots,
    circuit_for_run,
    initial_state_tensor,
    run_generator,
)
from kvant.sim._sampling import (
    bitstrings,
    counts_from_bits,
    probabilities_of,
    sample_bits,
)

__all__ = ["StateVectorEngine"]

#: Bytes per shot for the sampling arrays (uniform draw, basis index, sort keys); each
#: classical bit adds 4 more (bit row and np.unique's copies), a memory string 64 + width.
_BYTES_PER_SHOT = 32
_BYTES_PER_STRING = 64
#: Python-side bytes per compiled gate beyond its tensor (Step object, array header).
_BYTES_PER_STEP = 512


def _apply_gate(state: StateTensor, step: Step) -> StateTensor:
    operand = cast(StateTensor, step.operand)  # always set for gate steps
    if step.kind == "diagonal":
        apply_diagonal(state, operand)
        return state
    return apply_matrix(state, operand, step.axes)


def _sample_tail(
    state: StateTensor,
    shots: int,
    program: Program,
    bits: NDArray[np.uint8],
    rng: np.random.Generator,
) -> NDArray[np.uint8]:
    """Classical bits of ``shots`` shots: ``bits`` plus the tail measurements sampled."""
    if shots == 0 or not program.tail:
        return np.broadcast_to(bits, (shots, bits.shape[0])).copy()
    return sample_bits(probabilities_of(state), shots, program.tail, bits, rng)


class StateVectorEngine:
    """Reference state-vector engine (NumPy): exact amplitudes, shots sampled from them.

    The state is little-endian (qubit 0 is the least significant bit of a basis index) and is
    held as a ``(2,)*n`` tensor; each gate is a :func:`numpy.tensordot` over the gate's axes
    (diagonal gates: an in-place product), never a ``2**n x 2**n`` matrix. See
    :mod:`kvant.sim._kernels` for the axis bookkeeping.

    Shots: if every measurement is terminal, the circuit is simulated once and shots are sampled
    from the final distribution. Otherwise the run branches: the gates before the first
    measurement, reset or condition are simulated once; then at each measurement or reset the
    shots still in a branch split binomially between the two outcomes, each outcome continuing
    on its collapsed, renormalised state (depth first, so at most one saved state per branch
    point). If that does not fit in memory, shots are simulated one at a time.

    Args:
        dtype: ``"complex128"`` (default) or ``"complex64"``.
        max_memory_bytes: Budget for the memory guard; None reads the available memory
            (``/proc/meminfo`` and cgroup limits) at each run.

    Raises:
        ConfigError: For an unsupported dtype or a negative budget.

    >>> from kvant.circuit import Circuit
    >>> engine = StateVectorEngine()
    >>> engine.run(Circuit(2).h(0).cx(0, 1)).state_vector.round(4).tolist()
    [(0.7071+0j), 0j, 0j, (0.7071+0j)]
    >>> engine.run(Circuit(2).h(0).cx(0, 1).measure_all(), shots=1000, seed=1).counts
    {'00': 507, '11': 493}
    """

    def __init__(
        self, dtype: DTypeLike = "complex128", *, max_memory_bytes: int | None = None
    ) -> None:
        self._dtype = as_dtype(dtype)
        self._max_memory_bytes = as_memory_limit(max_memory_bytes)

    @property
    def name(self) -> str:
        """``"statevector"``."""
        return "statevector"

    @property
    def dtype(self) -> np.dtype[Any]:
        """Precision of the amplitudes."""
        return self._dtype

    @property
    def max_memory_bytes(self) -> int | None:
        """The memory budget, or None to use what the machine has available."""
        return self._max_memory_bytes

    def __repr__(self) -> str:
        limit = (
            "" if self._max_memory_bytes is None else f", max_memory_bytes={self._max_memory_bytes}"
        )
        return f"StateVectorEngine(dtype={self._dtype.name!r}{limit})"

    def estimate_bytes(self, circuit: Circuit, *, shots: int = 0, memory: bool = False) -> int:
        """Upper bound on the bytes :meth:`run` allocates at its peak.

        :func:`~kvant.sim.required_bytes` for the state and its workspace, plus the gate
        tensors, a few bytes per shot and, for circuits with mid-circuit operations, one saved
        state per measurement or reset (the branch points of the outcome tree).

        Args:
            circuit: The circuit to be run.
            shots: Shots to be sampled.
            memory: Whether per-shot bitstrings will be returned.

        Returns:
            Bytes.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import required_bytes
        >>> engine = StateVectorEngine()
        >>> engine.estimate_bytes(Circuit(20).h(0)) - required_bytes(20)
        576
        """
        flat = circuit.decompose() if circuit.definitions else circuit
        return self._needed_bytes(flat, check_shots(shots), memory, grouped=True)

    def _needed_bytes(self, circuit: Circuit, shots: int, memory: bool, *, grouped: bool) -> int:
        extra_states = 0
        if circuit.has_mid_circuit_operations:
            branch_points = sum(op.name in ("measure", "reset") for op in circuit)
            extra_states = branch_points if grouped else 1
        per_shot = _BYTES_PER_SHOT + 4 * circuit.num_clbits
        if memory:
            per_shot += _BYTES_PER_STRING + circuit.num_clbits
        tensors = sum(
            (4 ** len(op.qubits)) * self._dtype.itemsize + _BYTES_PER_STEP
            for op in circuit
            if op.is_unitary
        )
        return run_bytes(
            circuit.num_qubits,
            self._dtype,
            extra_bytes=shots * per_shot + tensors,
            extra_states=extra_states,
        )

    def run(
        self,
        circuit: Circuit,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
        initial_state: ArrayLike | int | None = None,
        memory: bool = False,
    ) -> Result:
        """Simulate ``circuit`` and sample ``shots`` shots.

        Args:
            circuit: The circuit; custom gates are expanded, parameters must be bound.
            shots: Number of shots (0: state vector only).
            seed: An int, a Generator, or None (fresh entropy, recorded in the result when
                shots are sampled).
            initial_state: None for |0...0>, a basis-state index, or ``2**n`` normalised
                little-endian amplitudes.
            memory: Also return each shot's bitstring (in random order).

        Returns:
            The result; ``state_vector`` is None for circuits with mid-circuit operations.

        Raises:
            ConfigError: For bad shots, seed or initial state, or ``shots=0`` on a circuit
                with mid-circuit operations (its final state is random).
            UnboundParameterError: If the circuit has free parameters.
            MemoryLimitError: If the run does not fit in memory (raised before allocating).

        >>> from kvant.circuit import Circuit
        >>> c = Circuit(2, 2).h(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
        >>> StateVectorEngine().run(c, shots=1000, seed=3).counts
        {'00': 504, '11': 496}
        """
        shots = check_shots(shots)
        rng, recorded_seed = run_generator(seed, shots)
        flat = circuit_for_run(circuit, shots)
        n = flat.num_qubits
        grouped = branching_fits(
            lambda grouped: self._needed_bytes(flat, shots, memory, grouped=grouped),
            n,
            self._dtype,
            self._max_memory_bytes,
            can_branch_per_shot=flat.has_mid_circuit_operations,
        )
        program = compile_circuit(flat, self._dtype)
        state = initial_state_tensor(initial_state, n, self._dtype)
        prefix = program.prefix_length()
        for step in program.steps[:prefix]:
            state = _apply_gate(state, step)
        if program.deterministic:
            base = np.zeros(program.num_clbits, dtype=np.uint8)
            bits = _sample_tail(state, shots, program, base, rng)
            final: NDArray[Any] | None = np.ascontiguousarray(state).reshape(-1)
        else:
            bits = self._branch(program, prefix, state, shots, rng, grouped)
            if memory:
                bits = bits[rng.permutation(shots)]
            final = None
        return Result(
            engine=self.name,
            num_qubits=n,
            num_clbits=program.num_clbits,
            shots=shots,
            seed=recorded_seed,
            counts=counts_from_bits(bits) if shots else {},
            state_vector=final,
            memory=tuple(bitstrings(bits)) if memory else None,
        )

    def _branch(
        self,
        program: Program,
        start: int,
        state: StateTensor,
        shots: int,
        rng: np.random.Generator,
        grouped: bool,
    ) -> NDArray[np.uint8]:
        """Run the steps from ``start`` on, splitting shots at measurements and resets.

        Grouped: one depth-first walk over the outcome tree, each branch carrying its shots.
        Ungrouped: one walk per shot from a copy of ``state`` (no branch is ever saved).
        """
        base = np.zeros(program.num_clbits, dtype=np.uint8)
        walks = [(state, shots)] if grouped else [(state, 1)] * shots
        rows: list[NDArray[np.uint8]] = []
        for index, (initial, walk_shots) in enumerate(walks):
            first = initial if index == len(walks) - 1 else initial.copy()
            stack = [(start, first, base, walk_shots)]
            while stack:
                current, bits, count = self._run_branch(program, rng, stack, *stack.pop())
                rows.append(_sample_tail(current, count, program, bits, rng))
        return np.concatenate(rows, axis=0)

    def _run_branch(
        self,
        program: Program,
        rng: np.random.Generator,
        stack: list[tuple[int, StateTensor, NDArray[np.uint8], int]],
        position: int,
        state: StateTensor,
        bits: NDArray[np.uint8],
        shots: int,
    ) -> tuple[StateTensor, NDArray[np.uint8], int]:
        """Advance one branch to the end, pushing the other outcome of each split on ``stack``.

        Returns:
            The branch's final state, classical bits and remaining number of shots.
        """
        steps = program.steps
        while position < len(steps):
            step = steps[position]
            position += 1
            if step.condition is not None and not step.condition.holds(bits):
                continue
            if not step.branches:
                state = _apply_gate(state, step)
                continue
            p_one = probability_of_one(state, step.axes[0])
            ones = int(rng.binomial(shots, p_one))
            if 0 < ones < shots:
                other, other_bits = state.copy(), bits.copy()
                self._settle(other, other_bits, step, 1, p_one)
                stack.append((position, other, other_bits, ones))
                shots -= ones
                outcome = 0
            else:
                outcome = 1 if ones else 0
            bits = bits.copy()
            self._settle(state, bits, step, outcome, p_one if outcome else 1.0 - p_one)
        return state, bits, shots

    @staticmethod
    def _settle(
        state: StateTensor, bits: NDArray[np.uint8], step: Step, outcome: int, probability: float
    ) -> None:
        axis = step.axes[0]
        collapse(state, axis, outcome, probability)
        if step.kind == "measure":
            bits[step.clbit] = outcome
        elif outcome == 1:
            reset_to_zero(state, axis)
