"""GPU tests: they run on a machine with CuPy and a CUDA device, and skip with the reason
("CuPy not installed", "no CUDA device") everywhere else.

The backend-independent parts (fused blocks, GPU window plans and the kernel's index arithmetic
emulated in NumPy) are tested on the CPU in ``test_gpu_plan.py``; this module runs the kernels.
"""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.circuit.library import qft
from kvant.errors import SimulationError
from kvant.sim import NumbaEngine, StateVectorEngine, make_engine
from kvant.sim._backends import array_namespace, gpu_unavailable_reason
from kvant.testing import assert_engines_agree, random_circuit, state_fidelity

_REASON = gpu_unavailable_reason()

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(_REASON is not None, reason=f"GPU tests need CuPy and a device: {_REASON}"),
]

GATES = ["h", "rx", "ry", "t", "cx", "cz", "cp", "rzz", "swap", "ccx", "cswap", "unitary"]


def test_cupy_namespace_round_trip() -> None:
    xp = array_namespace("cupy")
    host = np.arange(8, dtype=np.complex64)
    device = xp.asarray(host) * 2
    np.testing.assert_array_equal(xp.asnumpy(device), host * 2)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("seed", range(4))
def test_cupy_engine_matches_the_reference(dtype: str, seed: int) -> None:
    circuit = random_circuit(12, 12, seed=seed, gate_set=GATES)
    tol = 1e-5 if dtype == "complex64" else 1e-12
    assert_engines_agree(
        circuit, [StateVectorEngine(), make_engine("cupy", dtype=dtype)], fidelity_tol=tol
    )


@pytest.mark.parametrize("window", [5, 8, 12])
def test_every_window_size_gives_the_same_state(window: int) -> None:
    from kvant.sim._cupy_engine import CupyEngine

    circuit = random_circuit(16, 10, seed=window, gate_set=GATES)
    reference = NumbaEngine("complex128").run(circuit).state_vector
    state = CupyEngine("complex128", window_qubits=window).run(circuit).state_vector
    assert state_fidelity(reference, state) > 1 - 1e-12


def test_a_large_qft_matches_the_cpu_engine() -> None:
    circuit = Circuit(22).h(3).x(17) + qft(22)
    reference = NumbaEngine("complex64").run(circuit).state_vector
    state = make_engine("cupy", dtype="complex64").run(circuit).state_vector
    assert state_fidelity(reference, state) > 1 - 1e-5


def test_shots_are_drawn_like_the_cpu_engines() -> None:
    circuit = random_circuit(10, 8, seed=4, gate_set=GATES).measure_all()
    cpu = NumbaEngine("complex128").run(circuit, shots=20_000, seed=9).counts
    gpu = make_engine("cupy", dtype="complex128").run(circuit, shots=20_000, seed=9).counts
    keys = set(cpu) | set(gpu)
    distance = sum(abs(cpu.get(k, 0) - gpu.get(k, 0)) for k in keys) / 2 / 20_000
    assert distance < 1e-3  # the same uniform draws: only samples on a bin edge may differ


def test_mid_circuit_measurement_is_refused_and_auto_avoids_the_gpu() -> None:
    circuit = Circuit(22, 1).h(0).measure(0, 0).x(1)
    with pytest.raises(SimulationError, match="engine='numba'"):
        make_engine("cupy").run(circuit, shots=10)
    assert make_engine("auto", circuit=circuit).name == "numba"
    assert make_engine("auto", circuit=Circuit(22).h(0).t(0)).name == "cupy"
