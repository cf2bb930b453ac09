"""The GPU state-vector engine: the CPU engine's fusion and windows, run as CUDA kernels.

A run fuses the circuit (blocks of up to 4 qubits), plans windows of ``window_qubits`` qubits
that always include qubits 0..4 (:func:`~kvant.sim._gpu_plan.plan_gpu_windows`) and launches one
kernel per window (:mod:`kvant.sim._cuda_source`): each CUDA block moves one chunk of the state
into shared memory, applies all of the window's gates there and writes it back, so a pass costs
one read and one write of the state whatever the number of gates in it. Shots are sampled on the
device (running sum and binary search over the probabilities) with the same uniform draws as
the CPU engines, so a seed gives the same counts on both up to rounding at bin edges.

Circuits with mid-circuit measurements, resets or classical conditions are refused with a
pointer to the Numba engine (``"auto"`` never sends them here). Needs ``kvant[gpu]`` and an
NVIDIA GPU; constructing the engine without them raises BackendUnavailableError.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from kvant.circuit import Circuit
from kvant.errors import ConfigError, MemoryLimitError, SimulationError
from kvant.sim._backends import array_namespace
from kvant.sim._blocks import Block
from kvant.sim._cuda_source import KERNEL_NAMES, MATRIX_ENTRIES, SOURCE
from kvant.sim._fusion import fuse
from kvant.sim._gpu_plan import GpuWindow, plan_gpu_windows
from kvant.sim._program import require_bound, split_measurements
from kvant.sim._result import Result
from kvant.sim._run_inputs import (
    as_dtype,
    basis_index,
    check_shots,
    circuit_for_run,
    initial_state_tensor,
    run_generator,
)
from kvant.sim._sampling import bitstrings, counts_from_bits, sample_indices

__all__ = ["DEFAULT_GPU_WINDOW_QUBITS", "CupyEngine"]

#: Qubits per chunk: 2**12 complex64 or 2**11 complex128 amplitudes is 32 KiB of shared
#: memory per CUDA block (plus 4 KiB for a matrix), inside the 48 KiB every device grants.
DEFAULT_GPU_WINDOW_QUBITS = {"complex64": 12, "complex128": 11}
_MAX_BLOCK_QUBITS = 4
_THREADS = 256
#: Device bytes beyond the state: the float64 probabilities when sampling, tables, slack.
_SLACK_BYTES = 64 << 20


class CupyEngine:
    """State-vector simulation on an NVIDIA GPU through CuPy and CUDA kernels.

    Args:
        dtype: ``"complex64"`` (default: twice the qubits per byte of device memory) or
            ``"complex128"``.
        window_qubits: Qubits per shared-memory chunk (default 12 for complex64, 11 for
            complex128; at most 14).

    Raises:
        BackendUnavailableError: Without CuPy or a CUDA device.
        ConfigError: For an unsupported dtype or window.
    """

    name = "cupy"

    def __init__(self, dtype: DTypeLike = "complex64", *, window_qubits: int | None = None) -> None:
        self._dtype = as_dtype(dtype)
        self._window = _check_window(window_qubits)
        self._xp = array_namespace("cupy")
        module = self._xp.RawModule(code=SOURCE)
        self._kernel = module.get_function(KERNEL_NAMES[self._dtype.name])
        device = self._xp.cuda.Device()
        self._max_shared = int(device.attributes.get("MaxSharedMemoryPerBlockOptin", 48 << 10))

    @property
    def dtype(self) -> np.dtype[Any]:
        """The state's dtype."""
        return self._dtype

    def __repr__(self) -> str:
        return f"CupyEngine(dtype={self._dtype.name!r})"

    def plan(self, circuit: Circuit) -> list[GpuWindow]:
        """The kernel launches a run of ``circuit`` makes (gates only; measurements apart)."""
        require_bound(circuit)
        flat = circuit.decompose() if circuit.definitions else circuit
        return _plan(flat, self._window_for(flat.num_qubits))

    def simulate(self, circuit: Circuit, initial_state: ArrayLike | int | None = None) -> Any:
        """The final state as a CuPy array on the device (no copy to the host).

        For benchmarks and for callers that post-process on the GPU; :meth:`run` copies it.
        """
        flat = _deterministic(circuit_for_run(circuit, 0))
        return self._evolve(flat, initial_state, sampling=False)

    def run(
        self,
        circuit: Circuit,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
        initial_state: ArrayLike | int | None = None,
        memory: bool = False,
    ) -> Result:
        """Simulate ``circuit`` on the GPU and sample ``shots`` shots there.

        Args:
            circuit: A circuit without mid-circuit measurements, resets or conditions.
            shots: Number of shots (0: the state vector only).
            seed: An int, a Generator, or None.
            initial_state: None for |0...0>, a basis-state index or ``2**n`` amplitudes.
            memory: Also return each shot's bitstring.

        Returns:
            The result, with the final state copied to the host.

        Raises:
            SimulationError: For mid-circuit operations (use the Numba engine).
            MemoryLimitError: If the state does not fit in free device memory.
        """
        shots = check_shots(shots)
        rng, recorded_seed = run_generator(seed, shots)
        flat = _deterministic(circuit_for_run(circuit, shots))
        _, tail, _ = split_measurements(flat)
        state = self._evolve(flat, initial_state, sampling=bool(shots and tail))
        bits = np.zeros((shots, flat.num_clbits), dtype=np.uint8)
        if shots and tail:
            indices = sample_indices(state, shots, rng, xp=self._xp)
            for qubit, clbit in tail:
                bits[:, clbit] = (indices >> qubit) & 1
        return Result(
            engine=self.name,
            num_qubits=flat.num_qubits,
            num_clbits=flat.num_clbits,
            shots=shots,
            seed=recorded_seed,
            counts=counts_from_bits(bits) if shots else {},
            state_vector=self._xp.asnumpy(state),
            memory=tuple(bitstrings(bits)) if memory else None,
        )

    # internals -----------------------------------------------------------------------------
    def _window_for(self, num_qubits: int) -> int:
        window = (
            DEFAULT_GPU_WINDOW_QUBITS[self._dtype.name] if self._window is None else self._window
        )
        return min(window, num_qubits)

    def _check_device_memory(self, num_qubits: int, sampling: bool) -> None:
        free, _ = self._xp.cuda.Device().mem_info
        # sampling: |amplitude| in the real dtype, then float64 probabilities (summed in place)
        per_amplitude = int(self._dtype.itemsize) + (int(self._dtype.itemsize) // 2 + 8) * sampling
        needed = (per_amplitude << num_qubits) + _SLACK_BYTES
        if needed > free:
            raise MemoryLimitError(
                f"a {num_qubits}-qubit {self._dtype.name} run needs {needed / 2**30:.1f} GiB of "
                f"device memory but {free / 2**30:.1f} GiB is free; use complex64, fewer "
                "qubits, no shots (simulate()) or the CPU engine"
            )

    def _evolve(
        self, flat: Circuit, initial_state: ArrayLike | int | None, *, sampling: bool
    ) -> Any:
        n = flat.num_qubits
        self._check_device_memory(n, sampling)
        index = basis_index(initial_state, n)
        if index is not None:  # built on the device: no 2**n host array
            state = self._xp.zeros(1 << n, dtype=self._dtype)
            state[index] = 1
        else:
            host = initial_state_tensor(initial_state, n, self._dtype).reshape(-1)
            state = self._xp.asarray(host)
        for window in _plan(flat, self._window_for(n)):
            self._launch(state, window)
        return state

    def _launch(self, state: Any, window: GpuWindow) -> None:
        xp = self._xp
        w = window.window_qubits
        shared = ((1 << w) + MATRIX_ENTRIES) * int(self._dtype.itemsize)
        if shared > self._max_shared:
            raise ConfigError(
                f"a window of {w} qubits needs {shared} bytes of shared memory; this device "
                f"grants {self._max_shared}: use a smaller window_qubits"
            )
        if shared > 48 << 10:  # above 48 KiB a kernel must opt in
            self._kernel.max_dynamic_shared_size_bytes = shared
        args = (
            state,
            np.int32(w),
            xp.asarray(window.local_offsets),
            xp.asarray(window.outer_qubits if window.outer_qubits.size else np.zeros(1, np.int64)),
            np.int32(window.outer_qubits.shape[0]),
            xp.asarray(window.ops),
            np.int32(window.ops.shape[0]),
            xp.asarray(window.data.astype(self._dtype)),
        )
        self._kernel((window.num_chunks,), (min(_THREADS, 1 << w),), args, shared_mem=shared)


def _check_window(window_qubits: int | None) -> int | None:
    if window_qubits is None:
        return None
    if isinstance(window_qubits, bool) or not isinstance(window_qubits, int):
        raise ConfigError(f"window_qubits must be an int, got {window_qubits!r}")
    if not _MAX_BLOCK_QUBITS + 1 <= window_qubits <= 14:
        raise ConfigError(f"window_qubits must be in 5..14, got {window_qubits}")
    return window_qubits


def _deterministic(flat: Circuit) -> Circuit:
    if flat.has_mid_circuit_operations:
        raise SimulationError(
            "the cupy engine runs circuits whose measurements are all at the end; this one has "
            "mid-circuit measurements, resets or conditions: use engine='numba'"
        )
    return flat


def _plan(flat: Circuit, window_qubits: int) -> list[GpuWindow]:
    ops, _, _ = split_measurements(flat)
    blocks = [b for b in fuse(ops, max_block_qubits=_MAX_BLOCK_QUBITS) if isinstance(b, Block)]
    return plan_gpu_windows(blocks, flat.num_qubits, window_qubits)
