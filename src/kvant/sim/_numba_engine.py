"""The fast CPU state-vector engine: gate fusion, cache blocking, Numba kernels on all cores.

A run fuses the circuit (:func:`~kvant.sim.fuse`), groups the blocks into windows
(:func:`~kvant.sim._windows.plan_windows`) and sweeps the state once per window with the
kernels of :mod:`kvant.sim._numba_kernels`, one thread per core on disjoint chunks. Shots,
mid-circuit measurement, resets, conditions, initial states, the memory guard and the
:class:`~kvant.sim.Result` are those of the reference engine; only the gate application differs.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from kvant.circuit import Circuit, Condition, Instruction
from kvant.errors import ConfigError
from kvant.sim._blocks import Block
from kvant.sim._fusion import CPU_COST, MAX_BLOCK_QUBITS, fuse
from kvant.sim._memory import state_bytes
from kvant.sim._numba_plan import EncodedWindow, encode_window
from kvant.sim._program import require_bound, split_measurements
from kvant.sim._result import Result
from kvant.sim._run_inputs import (
    as_dtype,
    branching_fits,
    check_shots,
    circuit_for_run,
    initial_state_tensor,
    run_generator,
)
from kvant.sim._sampling import bitstrings, counts_from_bits
from kvant.sim._shots import branch_shots, sample_final
from kvant.sim._windows import plan_windows

__all__ = ["NumbaEngine"]

#: Window sizes (qubits per cache-resident chunk), measured with ``benchmarks/statevector.py``
#: on a 2-core Xeon (2 MiB L2 per core): 2**16 complex64 / 2**15 complex128 amplitudes
#: (512 KiB of buffer per thread) beat 14 and 18 on every benchmark circuit at 24 qubits.
DEFAULT_WINDOW_QUBITS = {"complex64": 16, "complex128": 15}
#: Lanes per window: kernels loop over at least 2**5 contiguous floats (see the kernels).
DEFAULT_LANE_QUBITS = 5
#: Lowest qubits kept in every window (as lanes where no block moves them, at no cost in room),
#: so that a chunk is read in contiguous runs of at least ``2**low`` amplitudes.
_LOW_QUBITS = {"complex64": 5, "complex128": 5}
#: From this size a pass over the state costs more than planning a few times over: the
#: planner tries each of its tie-breaks and keeps the plan with the fewest passes.
_THOROUGH_QUBITS = 22
#: States up to this size run as one chunk on one thread (no lanes, one window).
_SMALL_QUBITS = 12
_FIXED_BYTES = 1 << 20
_TILE_FLOATS = 32 * 64


@dataclass(frozen=True, eq=False)
class _Gates:
    windows: tuple[EncodedWindow, ...]
    condition: Condition | None = None


@dataclass(frozen=True)
class _Collapse:
    kind: str  # "measure" or "reset"
    qubit: int
    clbit: int = -1
    condition: Condition | None = None


_Step = _Gates | _Collapse


def _threads(value: int | None) -> int:
    if value is None:
        try:
            return max(len(os.sched_getaffinity(0)), 1)
        except AttributeError:  # pragma: no cover - not Linux
            return max(os.cpu_count() or 1, 1)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"num_threads must be a positive integer or None, got {value!r}")
    return int(value)


def _optional_int(name: str, value: int | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ConfigError(f"{name} must be an integer in {low}..{high} or None, got {value!r}")
    return int(value)


class _Kernels:
    """Thread buffers and the pool that applies encoded windows to one state."""

    def __init__(self, threads: int, window_qubits: int, real_dtype: np.dtype[Any]) -> None:
        from kvant.sim import _numba_kernels  # imported late: Numba loads in ~0.5 s

        self._run = _numba_kernels.run_chunks
        self.threads = threads
        self.buffers = np.empty((threads, 2, 1 << window_qubits), dtype=real_dtype)
        self.scratch = np.empty((threads, 4, _TILE_FLOATS), dtype=real_dtype)
        self.offsets = np.empty((threads, 32), dtype=np.uint64)
        self._pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def apply(self, floats: NDArray[Any], window: EncodedWindow) -> None:
        steps = min(self.threads, window.outer_offsets.shape[0])

        def call(thread: int) -> None:
            self._run(
                thread, steps, floats, window.outer_offsets, window.io, window.lanes,
                window.plan, window.fdata, window.idata, self.buffers[thread, 0],
                self.buffers[thread, 1], self.scratch[thread], self.offsets[thread],
            )  # fmt: skip

        if self._pool is None or steps == 1:
            call(0)
            return
        for future in [self._pool.submit(call, t) for t in range(steps)]:
            future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


class NumbaEngine:
    """Fast CPU state-vector engine: fused gates, cache-blocked passes, Numba kernels.

    Same results as :class:`~kvant.sim.StateVectorEngine` (little-endian state, shots,
    mid-circuit measurement, resets, conditions), faster: gates are fused into blocks
    (:func:`~kvant.sim.fuse`), blocks are grouped into windows of qubits whose chunks fit in
    cache, and each window costs one pass over memory, on every core. The state is updated in
    place: memory is one state vector plus one small buffer per thread.

    The first run of each precision compiles the kernels (about 5 s) and caches them on disk
    (Numba's cache, next to the package or in the user cache directory), so later processes
    start at once; :meth:`warm_up` compiles ahead of time.

    Args:
        dtype: ``"complex128"`` (default) or ``"complex64"``.
        max_memory_bytes: Budget for the memory guard; None reads the available memory.
        num_threads: Threads to use (default: every core this process may run on).
        max_block_qubits: Largest fused dense block, 1..5 (default: the cost model's).
        window_qubits: Qubits per cache-resident chunk (default 16 for complex64, 15 for
            complex128; smaller circuits run as one chunk). For tuning and tests.
        lane_qubits: Lanes per window (default 5). For tuning and tests.

    Raises:
        ConfigError: For an unsupported dtype or an option out of range.

    >>> from kvant.circuit import Circuit
    >>> engine = NumbaEngine()
    >>> engine.run(Circuit(2).h(0).cx(0, 1)).state_vector.round(4).tolist()
    [(0.7071+0j), 0j, 0j, (0.7071+0j)]
    >>> engine.run(Circuit(2).h(0).cx(0, 1).measure_all(), shots=1000, seed=1).counts
    {'00': 507, '11': 493}
    """

    def __init__(
        self,
        dtype: DTypeLike = "complex128",
        *,
        max_memory_bytes: int | None = None,
        num_threads: int | None = None,
        max_block_qubits: int | None = None,
        window_qubits: int | None = None,
        lane_qubits: int | None = None,
    ) -> None:
        self._dtype = as_dtype(dtype)
        self._max_memory_bytes = _optional_int("max_memory_bytes", max_memory_bytes, 0, 1 << 62)
        self._threads = _threads(num_threads)
        self._max_block = _optional_int("max_block_qubits", max_block_qubits, 1, MAX_BLOCK_QUBITS)
        self._window = _optional_int("window_qubits", window_qubits, 1, 30)
        self._lanes = _optional_int("lane_qubits", lane_qubits, 0, 8)

    @property
    def name(self) -> str:
        """``"numba"``."""
        return "numba"

    @property
    def dtype(self) -> np.dtype[Any]:
        """Precision of the amplitudes."""
        return self._dtype

    @property
    def num_threads(self) -> int:
        """Threads a run uses."""
        return self._threads

    def __repr__(self) -> str:
        return f"NumbaEngine(dtype={self._dtype.name!r}, num_threads={self._threads})"

    # layout --------------------------------------------------------------------------------
    def _layout(self, num_qubits: int, widest: int) -> tuple[int, int, int]:
        """``(window_qubits, lane_qubits, low_qubits)`` for a state of ``num_qubits``."""
        low = _LOW_QUBITS[self._dtype.name]
        if self._window is None and num_qubits <= _SMALL_QUBITS:
            return num_qubits, 0, 0
        window = DEFAULT_WINDOW_QUBITS[self._dtype.name] if self._window is None else self._window
        window = min(window, num_qubits if self._window is not None else num_qubits - 2)
        lanes = DEFAULT_LANE_QUBITS if self._lanes is None else self._lanes
        lanes = min(lanes, max(window - widest, 0)) if self._lanes is None else lanes
        if window - lanes < widest:
            raise ConfigError(
                f"window_qubits={window} with lane_qubits={lanes} cannot hold a block on "
                f"{widest} qubits; use a larger window or fewer lanes"
            )
        return window, lanes, max(0, min(low, window - widest))

    def _real_dtype(self) -> np.dtype[Any]:
        return np.dtype(np.float32 if self._dtype == np.complex64 else np.float64)

    def _encode(
        self, blocks: list[Block], num_qubits: int, layout: tuple[int, int, int]
    ) -> tuple[EncodedWindow, ...]:
        window, lanes, low = layout
        plan = plan_windows(
            blocks,
            num_qubits,
            window_qubits=window,
            lane_qubits=lanes,
            low_qubits=low,
            thorough=num_qubits >= _THOROUGH_QUBITS,
        )
        real = self._real_dtype()
        return tuple(encode_window(w, num_qubits, real) for w in plan)

    def _compile(self, ops: list[Instruction], num_qubits: int) -> tuple[list[_Step], int]:
        items = fuse(ops, max_block_qubits=self._max_block or CPU_COST.max_block_qubits)
        widest = max(
            (len(b.qubits) for b in items if isinstance(b, Block) and b.kind != "diagonal"),
            default=1,
        )
        layout = self._layout(num_qubits, widest)
        steps: list[_Step] = []
        run: list[Block] = []
        for item in [*items, None]:
            if isinstance(item, Block) and item.condition is None:
                run.append(item)
                continue
            if run:
                steps.append(_Gates(self._encode(run, num_qubits, layout)))
                run = []
            if isinstance(item, Block):
                bare = Block(item.kind, item.targets, item.data, item.controls, item.source)
                steps.append(_Gates(self._encode([bare], num_qubits, layout), item.condition))
            elif isinstance(item, Instruction):
                clbit = item.clbits[0] if item.clbits else -1
                steps.append(_Collapse(item.name, item.qubits[0], clbit, item.condition))
        return steps, layout[0]

    # memory --------------------------------------------------------------------------------
    def _needed_bytes(self, circuit: Circuit, shots: int, memory: bool, *, grouped: bool) -> int:
        n = circuit.num_qubits
        extra_states = 0
        if circuit.has_mid_circuit_operations:
            branch_points = sum(op.name in ("measure", "reset") for op in circuit)
            extra_states = branch_points if grouped else 1
        per_shot = 32 + 4 * circuit.num_clbits + (64 + circuit.num_clbits if memory else 0)
        window = min(
            n, DEFAULT_WINDOW_QUBITS[self._dtype.name] if self._window is None else self._window
        )
        buffers = self._threads * (1 << int(window)) * int(self._dtype.itemsize)
        probabilities = 8 << n if shots else 0
        gates = sum((16 << (2 * len(op.qubits))) + 512 for op in circuit if op.is_unitary)
        return (
            (1 + extra_states) * state_bytes(n, self._dtype)
            + probabilities + buffers + shots * per_shot + gates + _FIXED_BYTES
        )  # fmt: skip

    def estimate_bytes(self, circuit: Circuit, *, shots: int = 0, memory: bool = False) -> int:
        """Upper bound on the bytes :meth:`run` allocates at its peak.

        One state vector (updated in place), one buffer per thread, the float64 probabilities
        when shots are sampled, a few bytes per shot and gate, and for circuits with mid-circuit
        operations one saved state per measurement or reset.

        >>> from kvant.circuit import Circuit
        >>> from kvant.sim import required_bytes  # the reference engine's: three states
        >>> NumbaEngine().estimate_bytes(Circuit(24).h(0)) < required_bytes(24) / 2
        True
        """
        flat = circuit.decompose() if circuit.definitions else circuit
        return self._needed_bytes(flat, check_shots(shots), memory, grouped=True)

    def describe(self, circuit: Circuit) -> dict[str, int]:
        """How a run of ``circuit`` would go: gates, fused blocks, passes over the state.

        >>> from kvant.circuit import Circuit
        >>> NumbaEngine().describe(Circuit(3).h(0).cx(0, 1).cz(1, 2).rz(0.1, 2))
        {'gates': 4, 'blocks': 3, 'passes': 1, 'window_qubits': 3, 'lane_qubits': 0}
        """
        require_bound(circuit)
        flat = circuit.decompose() if circuit.definitions else circuit
        ops, _, _ = split_measurements(flat)
        steps, window = self._compile(ops, circuit.num_qubits)
        windows = [w for step in steps if isinstance(step, _Gates) for w in step.windows]
        return {
            "gates": sum(op.is_unitary for op in ops),
            "blocks": sum(int(w.plan[0].shape[0]) for w in windows),
            "passes": len(windows),
            "window_qubits": window,
            "lane_qubits": windows[0].lanes if windows else 0,
        }

    def warm_up(self) -> float:
        """Compile the kernels for this engine's precision now; returns the seconds it took
        (close to 0 when Numba's disk cache already holds them)."""
        start = time.perf_counter()
        from kvant.sim import _numba_kernels  # noqa: F401  # importing costs time too

        engine = NumbaEngine(self._dtype, num_threads=1, window_qubits=6, lane_qubits=1)
        engine.run(Circuit(7).h(0).cx(0, 1).cz(1, 6).ccx(6, 0, 1).unitary(np.eye(8), [0, 1, 2]))
        return time.perf_counter() - start

    # running -------------------------------------------------------------------------------
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
            seed: An int, a Generator, or None (fresh entropy, recorded in the result).
            initial_state: None for |0...0>, a basis-state index, or ``2**n`` normalised
                little-endian amplitudes.
            memory: Also return each shot's bitstring (in random order).

        Returns:
            The result; ``state_vector`` is None for circuits with mid-circuit operations.

        Raises:
            ConfigError: For bad shots, seed or initial state, or ``shots=0`` on a circuit
                with mid-circuit operations.
            UnboundParameterError: If the circuit has free parameters.
            MemoryLimitError: If the run does not fit in memory (raised before allocating).
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
        ops, tail, deterministic = split_measurements(flat)
        steps, window = self._compile(ops, n)
        state = initial_state_tensor(initial_state, n, self._dtype).reshape(-1)
        kernels = _Kernels(self._threads, window, self._real_dtype())
        try:

            def apply(target: NDArray[Any], gates: _Gates) -> None:
                floats = target.view(self._real_dtype())
                for encoded in gates.windows:
                    kernels.apply(floats, encoded)

            if deterministic:
                for step in steps:
                    apply(state, step)  # type: ignore[arg-type]  # only gates here
                bits = sample_final(state, shots, tail, flat.num_clbits, rng)
                final: NDArray[Any] | None = state
            else:
                bits = branch_shots(steps, state, shots, tail, flat.num_clbits, rng, grouped, apply)
                if memory:
                    bits = bits[rng.permutation(shots)]
                final = None
        finally:
            kernels.close()
        return Result(
            engine=self.name,
            num_qubits=n,
            num_clbits=flat.num_clbits,
            shots=shots,
            seed=recorded_seed,
            counts=counts_from_bits(bits) if shots else {},
            state_vector=final,
            memory=tuple(bitstrings(bits)) if memory else None,
        )
