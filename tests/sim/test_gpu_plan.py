"""The GPU engine's plan, checked on any machine.

``emulate_window`` runs an encoded window with the CUDA kernel's index arithmetic in NumPy; it
must reproduce the reference engine for every window size, with controls and diagonals on qubits
inside and outside the window. The CUDA source itself is compiled with ``nvcc`` where the CUDA
toolkit is installed (the kernels run in ``test_gpu_engine.py`` on a GPU machine).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.errors import BackendUnavailableError
from kvant.sim import StateVectorEngine, make_engine
from kvant.sim._backends import gpu_unavailable_reason
from kvant.sim._blocks import Block
from kvant.sim._cuda_source import KERNEL_NAMES, SOURCE
from kvant.sim._fusion import fuse
from kvant.sim._gpu_plan import emulate_window, encode_gpu_window, plan_gpu_windows
from kvant.sim._sampling import sample_bits, sample_indices
from kvant.sim._windows import Window
from kvant.testing import random_circuit, state_fidelity

GATES = ["h", "rx", "ry", "t", "cx", "cz", "cp", "rzz", "swap", "ccx", "cswap", "unitary"]


def _emulated(circuit: Circuit, window_qubits: int, max_block: int = 4) -> np.ndarray:
    n = circuit.num_qubits
    state = np.zeros(1 << n, dtype=np.complex128)
    state[0] = 1
    blocks = fuse(circuit, max_block_qubits=max_block)
    for window in plan_gpu_windows(blocks, n, window_qubits):  # type: ignore[arg-type]
        emulate_window(state, window)
    return state


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "window"), [(6, 5), (9, 5), (9, 7), (10, 10), (3, 5)])
def test_emulated_kernel_matches_the_reference(seed: int, n: int, window: int) -> None:
    circuit = random_circuit(n, 10, seed=seed, gate_set=GATES)
    reference = StateVectorEngine().run(circuit).state_vector
    assert state_fidelity(reference, _emulated(circuit, window)) > 1 - 1e-12


def test_outer_controls_and_outer_diagonals() -> None:
    # qubits 7 and 8 only control or carry diagonals, so a window of qubits 0..4 holds them all
    circuit = Circuit(9).ccx(7, 8, 0).cp(0.7, 8, 1).cz(7, 2).rzz(0.3, 7, 8).cswap(8, 3, 4)
    blocks = tuple(b for b in fuse(circuit, max_block_qubits=2) if isinstance(b, Block))
    window = encode_gpu_window(Window((0, 1, 2, 3, 4), 0, blocks), 9)
    assert (window.ops[:, 4] != 0).any(), "no op with an outer control"
    assert (window.ops[window.ops[:, 0] == 1][:, 5:] >= 5).any(), "no diagonal on outer qubits"
    rng = np.random.default_rng(2)
    start = rng.normal(size=512) + 1j * rng.normal(size=512)
    start /= np.linalg.norm(start)
    state = start.copy()
    emulate_window(state, window)
    reference = StateVectorEngine().run(circuit, initial_state=start).state_vector
    assert state_fidelity(reference, state) > 1 - 1e-12


def test_windows_always_hold_the_coalesced_qubits() -> None:
    circuit = random_circuit(14, 8, seed=3, gate_set=GATES)
    for window in plan_gpu_windows(fuse(circuit), 14, 8):  # type: ignore[arg-type]
        assert window.local_offsets[[1, 2, 4, 8, 16]].tolist() == [1, 2, 4, 8, 16]


def test_device_sampling_draws_the_same_samples_as_the_cpu() -> None:
    rng_state = np.random.default_rng(5)
    amplitudes = rng_state.normal(size=64) + 1j * rng_state.normal(size=64)
    state = amplitudes / np.linalg.norm(amplitudes)
    indices = sample_indices(state, 3000, np.random.default_rng(11))
    tail = [(q, q) for q in range(6)]
    bits = sample_bits(
        np.abs(state) ** 2, 3000, tail, np.zeros(6, np.uint8), np.random.default_rng(11)
    )
    assert np.array_equal(bits, ((indices[:, None] >> np.arange(6)) & 1).astype(np.uint8))


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (CUDA toolkit) not installed")
def test_cuda_source_compiles(tmp_path: Path) -> None:
    source = tmp_path / "kernels.cu"
    source.write_text(SOURCE)
    ptx = tmp_path / "kernels.ptx"
    done = subprocess.run(
        ["nvcc", "--ptx", "-arch=sm_80", "-o", str(ptx), str(source)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    entries = ptx.read_text()
    assert all(f".entry {name}(" in entries for name in KERNEL_NAMES.values())


@pytest.mark.skipif(gpu_unavailable_reason() is None, reason="this machine has a GPU")
def test_asking_for_the_gpu_without_one_says_how_to_get_it() -> None:
    with pytest.raises(BackendUnavailableError, match=r"kvant\[gpu\]"):
        make_engine("cupy")
    assert make_engine("auto", circuit=Circuit(24).h(0).t(0)).name == "numba"
