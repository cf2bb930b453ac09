"""Exact noisy simulation with a density matrix (up to about 13 qubits).

The ``2**n x 2**n`` density matrix is held as a ``(2,)*2n`` tensor: axes ``0..n-1`` are the row
(ket) bits and ``n..2n-1`` the column (bra) bits, each little-endian like a state vector
(qubit ``q`` on row axis ``n-1-q`` and column axis ``2n-1-q``), so flattening it in C order
gives the matrix in the usual little-endian basis. A gate is two tensor contractions
(``U`` on the row axes, ``conj(U)`` on the column axes); a channel is one contraction with its
superoperator ``sum_i K_i (x) conj(K_i)`` over its row and column axes
(:meth:`~kvant.sim.KrausChannel.superoperator`). No ``4**n`` matrix is ever formed.

Mid-circuit measurements are exact too: the engine keeps one unnormalised density matrix per
classical record (a classical-quantum state); a measurement splits each record in two, with
readout error mixing the two projections, and records that agree are added.

By default the steps between measurements, resets and conditioned steps are first fused into
1- and 2-qubit superoperators (:mod:`kvant.sim._noisy_fusion`), which is exact (the same
channel, composed) and saves most of the contractions of a transpiled noisy circuit;
``fuse=False`` runs the program step by step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, cast

import numpy as np
from numpy.typing import DTypeLike, NDArray

from kvant.circuit import Circuit, Condition, Instruction
from kvant.errors import ConfigError, SimulationError
from kvant.sim._channels import KrausChannel, ReadoutError
from kvant.sim._kernels import StateTensor, apply_matrix, diagonal_operand, gate_operand
from kvant.sim._memory import as_memory_limit, check_memory, run_bytes
from kvant.sim._noisy import NoisyProgram, Operation, split_tail
from kvant.sim._noisy_fusion import FusedBlock, fuse_operations
from kvant.sim._program import require_bound
from kvant.sim._result import Result
from kvant.sim._run_inputs import as_dtype, check_shots, run_generator

__all__ = ["DensityMatrixEngine", "as_noisy_program"]

_IDLE = frozenset({"barrier", "delay", "id", "u0"})
#: Most classical records held at once in a mid-circuit run.
_MAX_RECORDS = 1 << 12


def as_noisy_program(item: Circuit | NoisyProgram) -> NoisyProgram:
    """The noisy program to run: a :class:`NoisyProgram` as is, a circuit without noise.

    Raises:
        ConfigError: For anything else.
        UnboundParameterError: For free parameters.
    """
    if isinstance(item, NoisyProgram):
        program = item
    elif isinstance(item, Circuit):
        program = NoisyProgram.from_circuit(item)
    else:
        raise ConfigError(
            f"run() needs a kvant.circuit.Circuit or a kvant.sim.NoisyProgram, "
            f"got {type(item).__name__}"
        )
    if program.parameters:
        require_bound(program.ideal_circuit())
    return program


@dataclass(frozen=True, eq=False)
class _Step:
    kind: str  # "gate", "diagonal", "channel", "measure", "reset"
    axes: tuple[int, ...] = ()
    operand: StateTensor | None = None
    conj_operand: StateTensor | None = None
    qubit: int = -1
    clbit: int = -1
    readout: ReadoutError | None = None
    condition: Condition | None = None


def _index(axis: int, bit: int, ndim: int) -> tuple[slice | int | EllipsisType, ...]:
    return (slice(None),) * axis + (bit,) + (slice(None),) * (ndim - axis - 1)


class DensityMatrixEngine:
    """Exact density-matrix engine: channels as superoperators, readout as confusion matrices.

    Shots are drawn from the exact distribution of classical outcomes (with readout error),
    which :meth:`distribution` returns directly; :meth:`density_matrix` gives the final state.

    Args:
        dtype: ``"complex128"`` (default) or ``"complex64"``.
        max_memory_bytes: Budget for the memory guard; None reads the available memory.
        fuse: Compose runs of gates and channels on the same one or two qubits into one
            superoperator before running (exact; see :func:`~kvant.sim.fuse_noisy_program`).

    Raises:
        ConfigError: For an unsupported dtype, a negative budget or a non-bool ``fuse``.

    >>> from kvant.circuit import Circuit
    >>> engine = DensityMatrixEngine()
    >>> engine.density_matrix(Circuit(1).h(0)).real.round(3).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> engine.run(Circuit(2).h(0).cx(0, 1).measure_all(), shots=100, seed=1).counts
    {'00': 45, '11': 55}
    """

    def __init__(
        self,
        dtype: DTypeLike = "complex128",
        *,
        max_memory_bytes: int | None = None,
        fuse: bool = True,
    ) -> None:
        if not isinstance(fuse, bool):
            raise ConfigError(f"fuse must be True or False, got {fuse!r}")
        self._dtype = as_dtype(dtype)
        self._max_memory_bytes = as_memory_limit(max_memory_bytes)
        self._fuse = fuse

    @property
    def name(self) -> str:
        """``"density_matrix"``."""
        return "density_matrix"

    @property
    def dtype(self) -> np.dtype[Any]:
        """Precision of the matrix entries."""
        return self._dtype

    @property
    def fuse(self) -> bool:
        """Whether runs of steps are fused into superoperators before running."""
        return self._fuse

    def __repr__(self) -> str:
        return f"DensityMatrixEngine(dtype={self._dtype.name!r}, fuse={self._fuse})"

    # memory ---------------------------------------------------------------------------------
    def estimate_bytes(self, program: Circuit | NoisyProgram) -> int:
        """Upper bound on the bytes a run needs: a ``2n``-qubit "state" and its workspace,
        plus one matrix per classical record of a mid-circuit run.

        >>> from kvant.circuit import Circuit
        >>> DensityMatrixEngine().estimate_bytes(Circuit(10)) // 2**20
        49
        """
        noisy = as_noisy_program(program)
        records = 0
        if noisy.has_mid_circuit_operations:
            measured = sum(
                isinstance(op, Instruction) and op.name == "measure" for op in noisy.operations
            )
            records = min(1 << min(measured, 30), 1 << noisy.num_clbits, _MAX_RECORDS)
        return run_bytes(2 * noisy.num_qubits, self._dtype, extra_states=records)

    def _check_memory(self, program: NoisyProgram) -> None:
        check_memory(
            self.estimate_bytes(program),
            2 * program.num_qubits,
            self._dtype,
            limit_bytes=self._max_memory_bytes,
        )

    # compilation ----------------------------------------------------------------------------
    def _compile(self, ops: Sequence[Operation], program: NoisyProgram) -> list[_Step]:
        n = program.num_qubits
        steps: list[_Step] = []
        items: Sequence[Operation | FusedBlock] = fuse_operations(ops) if self._fuse else ops
        for op in items:
            if isinstance(op, FusedBlock):
                rows = tuple(n - 1 - q for q in op.qubits)
                axes = rows + tuple(r + n for r in rows)
                steps.append(_Step("channel", axes, gate_operand(op.superop, self._dtype)))
                continue
            if isinstance(op, KrausChannel):
                rows = tuple(n - 1 - q for q in op.qubits)
                axes = rows + tuple(r + n for r in rows)
                operand = gate_operand(op.superoperator(), self._dtype)
                steps.append(_Step("channel", axes, operand, condition=op.condition))
                continue
            if op.name in _IDLE:
                continue
            if op.name == "measure":
                q = op.qubits[0]
                steps.append(
                    _Step(
                        "measure",
                        qubit=q,
                        clbit=op.clbits[0],
                        readout=program.readout_error(q),
                        condition=op.condition,
                    )
                )
                continue
            if op.name == "reset":
                steps.append(_Step("reset", qubit=op.qubits[0], condition=op.condition))
                continue
            matrix = op.unitary_matrix()
            rows = tuple(n - 1 - q for q in op.qubits)
            cols = tuple(r + n for r in rows)
            if np.count_nonzero(matrix - np.diag(np.diagonal(matrix))) == 0:
                left = diagonal_operand(matrix, rows, 2 * n, self._dtype)
                right = diagonal_operand(matrix.conj(), cols, 2 * n, self._dtype)
                steps.append(_Step("diagonal", rows, left * right, condition=op.condition))
            else:
                steps.append(
                    _Step(
                        "gate",
                        rows,
                        gate_operand(matrix, self._dtype),
                        gate_operand(matrix.conj(), self._dtype),
                        condition=op.condition,
                    )
                )
        return steps

    # evolution ------------------------------------------------------------------------------
    def _initial(self, n: int) -> StateTensor:
        rho = np.zeros(1 << (2 * n), dtype=self._dtype)
        rho[0] = 1
        return rho.reshape((2,) * (2 * n))

    @staticmethod
    def _apply(rho: StateTensor, step: _Step, n: int) -> StateTensor:
        if step.kind == "diagonal":
            rho = np.ascontiguousarray(rho)
            rho *= cast(StateTensor, step.operand)
            return rho
        if step.kind == "gate":
            rho = apply_matrix(rho, step.operand, step.axes)  # type: ignore[arg-type]
            cols = tuple(a + n for a in step.axes)
            return apply_matrix(rho, step.conj_operand, cols)  # type: ignore[arg-type]
        return apply_matrix(rho, step.operand, step.axes)  # type: ignore[arg-type]

    @staticmethod
    def _project(rho: StateTensor, qubit: int, n: int, bit: int) -> StateTensor:
        """``P_bit rho P_bit`` (unnormalised)."""
        row, col = n - 1 - qubit, 2 * n - 1 - qubit
        out = np.zeros_like(rho)
        block = _index(row, bit, 2 * n)
        index = (*block[:col], bit, *block[col + 1 :])
        out[index] = rho[index]
        return out

    @staticmethod
    def _reset(rho: StateTensor, qubit: int, n: int) -> StateTensor:
        row, col = n - 1 - qubit, 2 * n - 1 - qubit
        out = np.zeros_like(rho)

        def at(bit_row: int, bit_col: int) -> tuple[slice | int | EllipsisType, ...]:
            block = _index(row, bit_row, 2 * n)
            return (*block[:col], bit_col, *block[col + 1 :])

        out[at(0, 0)] = rho[at(0, 0)] + rho[at(1, 1)]
        return out

    def _evolve(
        self, steps: Sequence[_Step], program: NoisyProgram
    ) -> dict[tuple[int, ...], StateTensor]:
        n = program.num_qubits
        records: dict[tuple[int, ...], StateTensor] = {(0,) * program.num_clbits: self._initial(n)}
        for step in steps:
            grown: dict[tuple[int, ...], StateTensor] = {}
            for bits, rho in records.items():
                if step.condition is not None and not step.condition.holds(
                    np.array(bits, dtype=np.uint8)
                ):
                    _add(grown, bits, rho)
                elif step.kind == "reset":
                    _add(grown, bits, self._reset(rho, step.qubit, n))
                elif step.kind == "measure":
                    projected = [self._project(rho, step.qubit, n, b) for b in (0, 1)]
                    for read in (0, 1):
                        confusion = (
                            np.eye(2) if step.readout is None else step.readout.confusion_matrix()
                        )
                        mixed = (
                            confusion[read, 0] * projected[0] + confusion[read, 1] * projected[1]
                        )
                        if _trace(mixed) <= 1e-15:
                            continue
                        new_bits = (*bits[: step.clbit], read, *bits[step.clbit + 1 :])
                        _add(grown, new_bits, mixed)
                else:
                    _add(grown, bits, self._apply(rho, step, n))
            if len(grown) > _MAX_RECORDS:
                raise SimulationError(
                    f"more than {_MAX_RECORDS} classical records; the density-matrix engine "
                    "cannot follow this many mid-circuit outcomes"
                )
            records = grown
        return records

    # public ---------------------------------------------------------------------------------
    def density_matrix(
        self, program: Circuit | NoisyProgram
    ) -> NDArray[np.complexfloating[Any, Any]]:
        """The final ``2**n x 2**n`` density matrix (little-endian; terminal measurements are
        left out, as for a state vector).

        Raises:
            ConfigError: For a program with mid-circuit measurement, reset or conditions.
            MemoryLimitError: If it does not fit.

        >>> from kvant.circuit import Circuit
        >>> rho = DensityMatrixEngine().density_matrix(Circuit(2).x(1))
        >>> float(rho[2, 2].real)
        1.0
        """
        noisy = as_noisy_program(program)
        if noisy.has_mid_circuit_operations:
            raise ConfigError(
                "the program has mid-circuit measurements, resets or conditions, so its final "
                "state depends on the outcomes; use distribution() or run()"
            )
        self._check_memory(noisy)
        body, _ = split_tail(noisy.operations, False)
        (rho,) = self._evolve(self._compile(body, noisy), noisy).values()
        size = 1 << noisy.num_qubits
        return np.ascontiguousarray(rho).reshape(size, size)

    def distribution(self, program: Circuit | NoisyProgram) -> dict[str, float]:
        """Exact probability of each classical bitstring (classical bit 0 rightmost), readout
        errors included.

        Returns:
            ``{bitstring: probability}`` for outcomes above 1e-15, keys sorted.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import NoisyProgram, ReadoutError
        >>> p = NoisyProgram.from_circuit(Circuit(1).measure_all(), readout=[ReadoutError(0.1, 0)])
        >>> {k: round(v, 12) for k, v in DensityMatrixEngine().distribution(p).items()}
        {'0': 0.9, '1': 0.1}
        """
        noisy = as_noisy_program(program)
        self._check_memory(noisy)
        body, tail = split_tail(noisy.operations, noisy.has_mid_circuit_operations)
        records = self._evolve(self._compile(body, noisy), noisy)
        out: dict[str, float] = {}
        for bits, rho in records.items():
            for key, p in self._tail_distribution(rho, bits, tail, noisy).items():
                out[key] = out.get(key, 0.0) + p
        total = sum(out.values())
        return {k: v / total for k, v in sorted(out.items()) if v / total > 1e-15}

    def _tail_distribution(
        self,
        rho: StateTensor,
        bits: tuple[int, ...],
        tail: Sequence[tuple[int, int]],
        program: NoisyProgram,
    ) -> dict[str, float]:
        n = program.num_qubits
        size = 1 << n
        diag = np.real(np.diagonal(np.ascontiguousarray(rho).reshape(size, size))).astype(
            np.float64
        )
        probs = np.clip(diag, 0.0, None).reshape((2,) * n) if n else np.array(diag.sum())
        writer: dict[int, int] = {}
        for qubit, clbit in tail:
            writer[clbit] = qubit
        kept = sorted(set(writer.values()))
        for qubit in kept:
            readout = program.readout_error(qubit)
            if readout is not None:
                axis = n - 1 - qubit
                probs = np.moveaxis(
                    np.tensordot(readout.confusion_matrix(), probs, axes=(1, axis)), 0, axis
                )
        others = tuple(n - 1 - q for q in range(n) if q not in kept)
        marginal = probs.sum(axis=others) if others else probs
        # remaining axes are in decreasing qubit order: flat index bit m <-> kept[m]
        flat = np.ascontiguousarray(marginal).reshape(-1)
        base = sum(b << i for i, b in enumerate(bits))
        for clbit in writer:
            base &= ~(1 << clbit)
        width = program.num_clbits
        out: dict[str, float] = {}
        for index in np.flatnonzero(flat > 0):
            value = base
            for m, qubit in enumerate(kept):
                if (int(index) >> m) & 1:
                    for clbit, q in writer.items():
                        if q == qubit:
                            value |= 1 << clbit
            key = format(value, f"0{width}b") if width else ""
            out[key] = out.get(key, 0.0) + float(flat[index])
        return out

    def run(
        self,
        circuit: Circuit | NoisyProgram,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        """Compute the exact outcome distribution and sample ``shots`` shots from it.

        Args:
            circuit: A circuit (noiseless) or a :class:`NoisyProgram`.
            shots: Number of shots (0: nothing sampled, counts empty).
            seed: An int, a Generator, or None.

        Returns:
            The result (no state vector: the state is mixed).

        Raises:
            ConfigError: For bad shots or seed, or an input that is not a circuit or program.
            UnboundParameterError: For free parameters.
            MemoryLimitError: If the density matrix does not fit (raised before allocating).
        """
        program = as_noisy_program(circuit)
        shots = check_shots(shots)
        rng, recorded = run_generator(seed, shots)
        counts: dict[str, int] = {}
        if shots:
            distribution = self.distribution(program)
            keys = list(distribution)
            probs = np.array([distribution[k] for k in keys])
            drawn = rng.multinomial(shots, probs / probs.sum())
            counts = {k: int(c) for k, c in zip(keys, drawn, strict=True) if c}
        return Result(
            engine=self.name,
            num_qubits=program.num_qubits,
            num_clbits=program.num_clbits,
            shots=shots,
            seed=recorded,
            counts=counts,
        )


def _trace(rho: StateTensor) -> float:
    ndim = rho.ndim
    n = ndim // 2
    size = 1 << n
    return float(np.real(np.trace(np.ascontiguousarray(rho).reshape(size, size))))


def _add(
    records: dict[tuple[int, ...], StateTensor], bits: tuple[int, ...], rho: StateTensor
) -> None:
    if bits in records:
        records[bits] = records[bits] + rho
    else:
        records[bits] = rho
