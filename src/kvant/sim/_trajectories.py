"""Noisy shots by state-vector Monte Carlo trajectories, with shots sharing work.

Unravelling: at each Kraus channel a trajectory takes branch ``i`` with probability
``p_i = ||K_i psi||^2`` and continues with ``K_i psi / sqrt(p_i)``; averaged over trajectories
this reproduces the channel exactly (Dalibard, Castin & Molmer, PRL 68, 580, 1992; Plenio &
Knight, Rev. Mod. Phys. 70, 101, 1998). A measurement is a two-branch channel, readout error a
classical flip of the recorded bit.

Batching ("shots share work where noise allows"): instead of one trajectory per shot, the
engine walks the tree of branches with a *group* of shots. At each channel the group's shots
are split multinomially over the Kraus branches (``p_i`` from the reduced density matrix of
the channel's qubits, or the fixed weights of a mixture of unitaries); branches that receive no
shot are never simulated. With realistic error rates nearly every channel keeps all shots on
one branch, so everything before the first error is simulated once for all shots, and a shot
costs only the part of the circuit after its own first error. The walk is depth first and
always continues with the branch holding the *fewest* shots, so the current group at least
halves at each nested split and at most ``(m - 1) * log2(shots)`` saved states (m Kraus
operators) are alive at once; if even that does not fit, shots run one at a time.

:meth:`TrajectoryEngine.run_with_stats` reports how many trajectories were simulated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import DTypeLike, NDArray

from kvant.circuit import Condition, Instruction
from kvant.errors import ConfigError
from kvant.sim._channels import KrausChannel, ReadoutError
from kvant.sim._density_matrix import as_noisy_program
from kvant.sim._kernels import (
    StateTensor,
    apply_diagonal,
    apply_matrix,
    collapse,
    diagonal_operand,
    gate_operand,
    probability_of_one,
    qubit_axis,
    reset_to_zero,
)
from kvant.sim._memory import check_memory, run_bytes
from kvant.sim._noisy import NoisyProgram, split_tail
from kvant.sim._result import Result
from kvant.sim._sampling import as_generator, counts_from_bits, probabilities_of, sample_bits
from kvant.sim._statevector import _as_dtype, _check_shots

__all__ = ["TrajectoryEngine", "TrajectoryStats"]

_IDLE = frozenset({"barrier", "delay", "id", "u0"})
_BYTES_PER_SHOT = 48


@dataclass(frozen=True)
class TrajectoryStats:
    """How much work a trajectory run did.

    Attributes:
        shots: Shots sampled.
        trajectories: Branches simulated to the end (1 for a noiseless circuit without
            mid-circuit measurements; at most ``shots``).
        splits: Channels or measurements at which a group of shots divided.
        kernel_calls: Gate, Kraus and collapse applications on a state vector.
    """

    shots: int
    trajectories: int
    splits: int
    kernel_calls: int

    def to_dict(self) -> dict[str, int]:
        """Plain data."""
        return {
            "shots": self.shots,
            "trajectories": self.trajectories,
            "splits": self.splits,
            "kernel_calls": self.kernel_calls,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrajectoryStats:
        """Rebuild from :meth:`to_dict` output."""
        try:
            return cls(**{k: int(data[k]) for k in ("shots", "trajectories", "splits", "kernel_calls")})
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"cannot read TrajectoryStats from this data: {exc!r}") from exc


@dataclass(frozen=True, eq=False)
class _Kraus:
    """A channel compiled for one state-vector precision."""

    axes: tuple[int, ...]
    operands: tuple[StateTensor, ...]  # K_i as gate tensors (or broadcast diagonals)
    diagonal: tuple[bool, ...]
    identity: tuple[bool, ...]  # K_i proportional to the identity: nothing to apply
    gram: NDArray[np.complex128]  # K_i^dagger K_i, (m, d, d), for branch probabilities
    weights: NDArray[np.float64] | None  # fixed probabilities of a mixture of unitaries
    condition: Condition | None


@dataclass(frozen=True, eq=False)
class _Step:
    kind: str  # "matrix", "diagonal", "kraus", "measure", "reset"
    axes: tuple[int, ...] = ()
    operand: StateTensor | None = None
    kraus: _Kraus | None = None
    qubit: int = -1
    clbit: int = -1
    readout: ReadoutError | None = None
    flip_now: bool = False
    condition: Condition | None = None


@dataclass
class _Counter:
    trajectories: int = 0
    splits: int = 0
    kernel_calls: int = 0


_Branch = tuple[int, StateTensor, NDArray[np.uint8], dict[int, int], int]


class TrajectoryEngine:
    """Noisy shots by Monte Carlo trajectories on a state vector, batched over shots.

    Exact in distribution: the counts are a sample of the same distribution the density-matrix
    engine computes, for as many qubits as a state vector allows. See the module docstring for
    the batching scheme.

    Args:
        dtype: ``"complex128"`` (default) or ``"complex64"``.
        max_memory_bytes: Budget for the memory guard; None reads the available memory.

    Raises:
        ConfigError: For an unsupported dtype or a negative budget.

    >>> from kvant.circuit import Circuit
    >>> TrajectoryEngine().run(Circuit(2).h(0).cx(0, 1).measure_all(), shots=100, seed=1).counts
    {'00': 52, '11': 48}
    """

    def __init__(
        self, dtype: DTypeLike = "complex128", *, max_memory_bytes: int | None = None
    ) -> None:
        self._dtype = _as_dtype(dtype)
        if max_memory_bytes is not None and (
            isinstance(max_memory_bytes, bool)
            or not isinstance(max_memory_bytes, int | np.integer)
            or max_memory_bytes < 0
        ):
            raise ConfigError(
                f"max_memory_bytes must be a non-negative integer or None, got {max_memory_bytes!r}"
            )
        self._max_memory_bytes = None if max_memory_bytes is None else int(max_memory_bytes)

    @property
    def name(self) -> str:
        """``"trajectories"``."""
        return "trajectories"

    @property
    def dtype(self) -> np.dtype[Any]:
        """Precision of the amplitudes."""
        return self._dtype

    def __repr__(self) -> str:
        return f"TrajectoryEngine(dtype={self._dtype.name!r})"

    # compilation ----------------------------------------------------------------------------
    def _kraus(self, channel: KrausChannel, n: int) -> _Kraus:
        ops = channel.operators
        axes = tuple(qubit_axis(q, n) for q in channel.qubits)
        operands, diagonal, identity = [], [], []
        for k in ops:
            is_diag = bool(np.count_nonzero(k - np.diag(np.diagonal(k))) == 0)
            diagonal.append(is_diag)
            identity.append(is_diag and bool(np.allclose(np.diagonal(k), k[0, 0], atol=1e-15)))
            operands.append(
                diagonal_operand(k, axes, n, self._dtype)
                if is_diag
                else gate_operand(k, self._dtype)
            )
        gram = np.einsum("kji,kjl->kil", ops.conj(), ops)
        mixture = channel.unitary_mixture()
        weights = None if mixture is None else mixture / mixture.sum()
        return _Kraus(
            axes, tuple(operands), tuple(diagonal), tuple(identity), gram, weights, channel.condition
        )

    def _compile(
        self, body: Sequence[Instruction | KrausChannel], program: NoisyProgram
    ) -> list[_Step]:
        n = program.num_qubits
        read_later = _clbits_read_by_conditions(body)
        steps: list[_Step] = []
        for index, op in enumerate(body):
            if isinstance(op, KrausChannel):
                steps.append(_Step("kraus", kraus=self._kraus(op, n), condition=op.condition))
            elif op.name in _IDLE:
                continue
            elif op.name == "measure":
                q = op.qubits[0]
                steps.append(
                    _Step(
                        "measure",
                        (qubit_axis(q, n),),
                        qubit=q,
                        clbit=op.clbits[0],
                        readout=program.readout_error(q),
                        flip_now=op.clbits[0] in read_later[index],
                        condition=op.condition,
                    )
                )
            elif op.name == "reset":
                steps.append(_Step("reset", (qubit_axis(op.qubits[0], n),), condition=op.condition))
            else:
                matrix = op.unitary_matrix()
                axes = tuple(qubit_axis(q, n) for q in op.qubits)
                if np.count_nonzero(matrix - np.diag(np.diagonal(matrix))) == 0:
                    operand = diagonal_operand(matrix, axes, n, self._dtype)
                    steps.append(_Step("diagonal", axes, operand, condition=op.condition))
                else:
                    operand = gate_operand(matrix, self._dtype)
                    steps.append(_Step("matrix", axes, operand, condition=op.condition))
        return steps

    # memory ---------------------------------------------------------------------------------
    def _needed_bytes(self, program: NoisyProgram, shots: int, grouped: bool) -> int:
        widest = max((len(c.operators) for c in program.channels), default=1)
        widest = max(widest, 4 if program.has_mid_circuit_operations else 2)
        saved = (widest - 1) * (math.ceil(math.log2(shots + 1)) + 1) if grouped else 1
        tensors = sum(
            16 ** len(c.qubits) * self._dtype.itemsize * 2 * len(c.operators)
            for c in program.channels
        )
        return run_bytes(
            program.num_qubits,
            self._dtype,
            extra_states=saved,
            extra_bytes=shots * (_BYTES_PER_SHOT + 4 * program.num_clbits) + tensors,
        )

    def estimate_bytes(self, program: NoisyProgram, *, shots: int = 1) -> int:
        """Upper bound on the bytes a grouped run of ``shots`` shots needs.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import NoisyProgram, required_bytes
        >>> engine = TrajectoryEngine()
        >>> engine.estimate_bytes(NoisyProgram.from_circuit(Circuit(20)), shots=1) > required_bytes(20)
        True
        """
        return self._needed_bytes(as_noisy_program(program), _check_shots(shots), grouped=True)

    # running --------------------------------------------------------------------------------
    def run(
        self,
        circuit: Any,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        """Sample ``shots`` noisy shots.

        Args:
            circuit: A :class:`~kvant.circuit.Circuit` (noiseless) or a :class:`NoisyProgram`.
            shots: Number of shots (>= 1 for a noisy program; 0 returns empty counts).
            seed: An int, a Generator, or None.

        Returns:
            The result (no state vector: each shot ends in its own state).

        Raises:
            ConfigError: For bad shots, seed or input.
            UnboundParameterError: For free parameters.
            MemoryLimitError: If one state vector (and its workspace) does not fit.
        """
        return self.run_with_stats(circuit, shots=shots, seed=seed)[0]

    def run_with_stats(
        self,
        circuit: Any,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> tuple[Result, TrajectoryStats]:
        """:meth:`run`, and how many trajectories it simulated.

        >>> from kvant.circuit import Circuit
        >>> _, stats = TrajectoryEngine().run_with_stats(Circuit(1).h(0).measure_all(), shots=50, seed=2)
        >>> stats.trajectories
        1
        """
        program = as_noisy_program(circuit)
        shots = _check_shots(shots)
        if seed is None and shots == 0:
            rng, recorded = np.random.default_rng(0), None
        else:
            rng, recorded = as_generator(seed)
        grouped = True
        try:
            check_memory(
                self._needed_bytes(program, shots, True),
                program.num_qubits,
                self._dtype,
                limit_bytes=self._max_memory_bytes,
            )
        except MemoryError:
            check_memory(
                self._needed_bytes(program, shots, False),
                program.num_qubits,
                self._dtype,
                limit_bytes=self._max_memory_bytes,
            )
            grouped = False
        counter = _Counter()
        counts: dict[str, int] = {}
        if shots:
            body, tail = split_tail(program.operations, program.has_mid_circuit_operations)
            steps = self._compile(body, program)
            bits = self._walk(steps, tail, program, shots, rng, grouped, counter)
            counts = counts_from_bits(bits)
        result = Result(
            engine=self.name,
            num_qubits=program.num_qubits,
            num_clbits=program.num_clbits,
            shots=shots,
            seed=recorded,
            counts=counts,
        )
        stats = TrajectoryStats(shots, counter.trajectories, counter.splits, counter.kernel_calls)
        return result, stats

    def _walk(
        self,
        steps: Sequence[_Step],
        tail: Sequence[tuple[int, int]],
        program: NoisyProgram,
        shots: int,
        rng: np.random.Generator,
        grouped: bool,
        counter: _Counter,
    ) -> NDArray[np.uint8]:
        n = program.num_qubits
        start = np.zeros(1 << n, dtype=self._dtype)
        start[0] = 1
        initial = start.reshape((2,) * n)
        base = np.zeros(program.num_clbits, dtype=np.uint8)
        walks = [shots] if grouped else [1] * shots
        rows: list[NDArray[np.uint8]] = []
        for index, walk_shots in enumerate(walks):
            first = initial if index == len(walks) - 1 else initial.copy()
            stack: list[_Branch] = [(0, first, base, {}, walk_shots)]
            while stack:
                state, bits, writer, count = self._advance(steps, rng, stack, counter, *stack.pop())
                counter.trajectories += 1
                rows.append(self._finish(state, bits, writer, count, tail, program, rng))
        return np.concatenate(rows, axis=0)

    def _finish(
        self,
        state: StateTensor,
        bits: NDArray[np.uint8],
        writer: dict[int, int],
        count: int,
        tail: Sequence[tuple[int, int]],
        program: NoisyProgram,
        rng: np.random.Generator,
    ) -> NDArray[np.uint8]:
        if tail:
            out = sample_bits(probabilities_of(state), count, tail, bits, rng)
        else:
            out = np.broadcast_to(bits, (count, bits.shape[0])).copy()
        final = dict(writer)
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

    def _advance(
        self,
        steps: Sequence[_Step],
        rng: np.random.Generator,
        stack: list[_Branch],
        counter: _Counter,
        position: int,
        state: StateTensor,
        bits: NDArray[np.uint8],
        writer: dict[int, int],
        count: int,
    ) -> tuple[StateTensor, NDArray[np.uint8], dict[int, int], int]:
        """Run one branch to the end; push the larger groups of every split on ``stack``."""
        while position < len(steps):
            step = steps[position]
            position += 1
            if step.condition is not None and not step.condition.holds(bits):
                continue
            if step.kind == "diagonal":
                apply_diagonal(state, step.operand)  # type: ignore[arg-type]
                counter.kernel_calls += 1
            elif step.kind == "matrix":
                state = apply_matrix(state, step.operand, step.axes)  # type: ignore[arg-type]
                counter.kernel_calls += 1
            elif step.kind == "kraus":
                kraus = cast(_Kraus, step.kraus)  # set for every kraus step
                probs = self._branch_probabilities(state, kraus)
                groups = _split(rng, count, probs)
                chosen = groups[0][0]
                for branch, size in groups[1:]:
                    counter.splits += 1
                    other = self._apply_kraus(state.copy(), kraus, branch, probs[branch])
                    stack.append((position, other, bits, writer, size))
                count = groups[0][1]
                state = self._apply_kraus(state, kraus, chosen, probs[chosen])
                counter.kernel_calls += 1
            else:
                state, bits, writer, count = self._branch_measure(
                    step, state, bits, writer, count, rng, stack, position, counter
                )
        return state, bits, writer, count

    @staticmethod
    def _branch_probabilities(state: StateTensor, kraus: _Kraus) -> NDArray[np.float64]:
        if kraus.weights is not None:
            return kraus.weights
        k = len(kraus.axes)
        moved = np.moveaxis(state, kraus.axes, tuple(range(k))).reshape(1 << k, -1)
        reduced = moved @ moved.conj().T  # the reduced density matrix rho[a, b]
        probs = np.real(np.einsum("kab,ba->k", kraus.gram, reduced))  # Tr(K^dag K rho)
        probs = np.clip(probs, 0.0, None)
        return probs / probs.sum()

    @staticmethod
    def _apply_kraus(state: StateTensor, kraus: _Kraus, branch: int, probability: float) -> StateTensor:
        if kraus.identity[branch]:
            return state
        scale = 1.0 / math.sqrt(probability)
        operand = kraus.operands[branch]
        if kraus.diagonal[branch]:
            state *= operand * scale
            return state
        return apply_matrix(state, operand * scale, kraus.axes)

    def _branch_measure(
        self,
        step: _Step,
        state: StateTensor,
        bits: NDArray[np.uint8],
        writer: dict[int, int],
        count: int,
        rng: np.random.Generator,
        stack: list[_Branch],
        position: int,
        counter: _Counter,
    ) -> tuple[StateTensor, NDArray[np.uint8], dict[int, int], int]:
        axis = step.axes[0]
        p_one = probability_of_one(state, axis)
        groups = _split(rng, count, np.array([1.0 - p_one, p_one]))
        variants: list[tuple[int, int, int]] = []  # (outcome, recorded, shots)
        for outcome, size in groups:
            if step.kind == "measure" and step.flip_now and step.readout is not None:
                flips = int(rng.binomial(size, step.readout.flip_probability(outcome)))
                if size - flips:
                    variants.append((outcome, outcome, size - flips))
                if flips:
                    variants.append((outcome, 1 - outcome, flips))
            else:
                variants.append((outcome, outcome, size))
        variants.sort(key=lambda v: v[2])
        counter.kernel_calls += 1
        results = []
        for i, (outcome, recorded, size) in enumerate(variants):
            branch_state = state if i == len(variants) - 1 else state.copy()
            probability = p_one if outcome else 1.0 - p_one
            collapse(branch_state, axis, outcome, probability)
            new_bits, new_writer = bits, writer
            if step.kind == "measure":
                new_bits = bits.copy()
                new_bits[step.clbit] = recorded
                new_writer = dict(writer)
                if step.flip_now:
                    new_writer.pop(step.clbit, None)
                else:
                    new_writer[step.clbit] = step.qubit
            elif outcome == 1:
                reset_to_zero(branch_state, axis)
            results.append((branch_state, new_bits, new_writer, size))
        for branch_state, new_bits, new_writer, size in results[1:]:
            counter.splits += 1
            stack.append((position, branch_state, new_bits, new_writer, size))
        return results[0]


def _split(
    rng: np.random.Generator, count: int, probs: NDArray[np.float64]
) -> list[tuple[int, int]]:
    """Divide ``count`` shots over branches; ``(branch, shots)`` pairs, fewest shots first."""
    if count == 1:
        branch = int(np.searchsorted(np.cumsum(probs), rng.random() * probs.sum(), side="right"))
        return [(min(branch, probs.shape[0] - 1), 1)]
    drawn = rng.multinomial(count, probs / probs.sum())
    groups = [(int(b), int(c)) for b, c in enumerate(drawn) if c]
    groups.sort(key=lambda g: g[1])
    return groups


def _clbits_read_by_conditions(
    body: Sequence[Instruction | KrausChannel],
) -> list[frozenset[int]]:
    """For each position, the classical bits some later operation's condition reads."""
    out: list[frozenset[int]] = [frozenset()] * len(body)
    later: frozenset[int] = frozenset()
    for index in range(len(body) - 1, -1, -1):
        out[index] = later
        condition = body[index].condition
        if condition is not None:
            later = later | frozenset(condition.clbits)
    return out
