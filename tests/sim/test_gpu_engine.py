"""GPU tests: they run on a machine with CuPy and a CUDA device, and skip with the reason
("CuPy not installed", "no CUDA device") everywhere else.

The backend-independent parts a GPU engine consumes (fused blocks, window plans, their NumPy
encodings) are tested on the CPU in ``test_fusion.py`` and ``test_windows.py``; this module
holds what needs the device. The CuPy engine registers as ``"cupy"``; until it exists its
agreement test skips and says so.
"""

from __future__ import annotations

import numpy as np
import pytest

from kvant.sim import ENGINE_NAMES, StateVectorEngine, make_engine
from kvant.sim._backends import array_namespace, gpu_unavailable_reason
from kvant.testing import assert_engines_agree, random_circuit

_REASON = gpu_unavailable_reason()

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(_REASON is not None, reason=f"GPU tests need CuPy and a device: {_REASON}"),
]


def test_cupy_namespace_round_trip() -> None:
    xp = array_namespace("cupy")
    host = np.arange(8, dtype=np.complex64)
    device = xp.asarray(host) * 2
    np.testing.assert_array_equal(xp.asnumpy(device), host * 2)


@pytest.mark.skipif("cupy" not in ENGINE_NAMES, reason="the CuPy engine is not implemented yet")
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("seed", range(4))
def test_cupy_engine_matches_the_reference(dtype: str, seed: int) -> None:
    circuit = random_circuit(
        12, 12, seed=seed, gate_set=[*sorted(["h", "rx", "cx", "cz", "ccx"]), "unitary"]
    )
    tol = 1e-5 if dtype == "complex64" else 1e-12
    assert_engines_agree(
        circuit, [StateVectorEngine(), make_engine("cupy", dtype=dtype)], fidelity_tol=tol
    )
