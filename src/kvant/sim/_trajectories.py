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

Two more savings. Gates and channels on the same one or two qubits are first merged into
blocks (:mod:`kvant.sim._trajectory_blocks`), so a noisy ``cz`` with its surrounding ``rz sx``
runs and idle relaxation costs one operator application. And a block's probabilities are not
computed up front: the dominant operator ``K_0`` is applied, ``p_0 = ||K_0 psi||^2 / ||psi||^2``
comes from the norm of the result (the state is kept unnormalised, its squared norm tracked),
and only when some shots leave branch 0 is ``psi`` recovered (``K_0^{-1}``, or a copy when
``K_0`` is ill-conditioned) and the other branch probabilities computed.

:meth:`TrajectoryEngine.run_with_stats` reports how many trajectories were simulated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from kvant.circuit import Instruction
from kvant.errors import ConfigError
from kvant.sim._channels import KrausChannel
from kvant.sim._density_matrix import as_noisy_program
from kvant.sim._memory import as_memory_limit, run_bytes
from kvant.sim._noisy import NoisyProgram, split_tail
from kvant.sim._result import Result
from kvant.sim._run_inputs import as_dtype, branching_fits, check_shots, run_generator
from kvant.sim._sampling import counts_from_bits
from kvant.sim._trajectory_blocks import KrausStep, compile_kraus, merge_blocks, unitary_step
from kvant.sim._trajectory_walk import Counter, Event, walk

__all__ = ["TrajectoryEngine", "TrajectoryStats"]

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
            return cls(
                **{k: int(data[k]) for k in ("shots", "trajectories", "splits", "kernel_calls")}
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"cannot read TrajectoryStats from this data: {exc!r}") from exc


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
    {'00': 47, '11': 53}
    """

    def __init__(
        self, dtype: DTypeLike = "complex128", *, max_memory_bytes: int | None = None
    ) -> None:
        self._dtype = as_dtype(dtype)
        self._max_memory_bytes = as_memory_limit(max_memory_bytes)

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
    @staticmethod
    def _compile(
        body: Sequence[Instruction | KrausChannel], program: NoisyProgram
    ) -> list[KrausStep | Event]:
        merged = merge_blocks(body)
        read_later = _clbits_read_by_conditions(merged)
        steps: list[KrausStep | Event] = []
        for index, op in enumerate(merged):
            if isinstance(op, KrausChannel):
                steps.append(compile_kraus(op))
            elif op.name == "measure":
                q, clbit = op.qubits[0], op.clbits[0]
                steps.append(
                    Event(
                        "measure",
                        q,
                        clbit,
                        program.readout_error(q),
                        clbit in read_later[index],
                        op.condition,
                    )
                )
            elif op.name == "reset":
                steps.append(Event("reset", op.qubits[0], condition=op.condition))
            else:  # a conditioned gate or a gate on 3+ qubits
                steps.append(unitary_step(op.qubits, op.unitary_matrix(), op.condition))
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
        >>> program = NoisyProgram.from_circuit(Circuit(20))
        >>> engine.estimate_bytes(program, shots=1) > required_bytes(20)
        True
        """
        return self._needed_bytes(as_noisy_program(program), check_shots(shots), grouped=True)

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
        >>> circuit = Circuit(1).h(0).measure_all()
        >>> _, stats = TrajectoryEngine().run_with_stats(circuit, shots=50, seed=2)
        >>> stats.trajectories
        1
        """
        program = as_noisy_program(circuit)
        shots = check_shots(shots)
        rng, recorded = run_generator(seed, shots)
        grouped = branching_fits(
            lambda grouped: self._needed_bytes(program, shots, grouped),
            program.num_qubits,
            self._dtype,
            self._max_memory_bytes,
            can_branch_per_shot=True,
        )
        counter = Counter()
        counts: dict[str, int] = {}
        if shots:
            body, tail = split_tail(program.operations, program.has_mid_circuit_operations)
            steps = self._compile(body, program)
            bits = walk(
                steps,
                tail,
                program,
                shots,
                rng,
                grouped=grouped,
                dtype=self._dtype,
                counter=counter,
            )
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
