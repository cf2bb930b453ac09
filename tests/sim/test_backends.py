"""The array-namespace seam and the ``"auto"`` state-vector choice, without a GPU."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from kvant.errors import BackendUnavailableError, ConfigError
from kvant.sim import _backends
from kvant.sim._backends import (
    GPU_AUTO_QUBITS,
    NUMBA_AUTO_QUBITS,
    array_namespace,
    gpu_unavailable_reason,
    statevector_choice,
)


def test_numpy_namespace() -> None:
    assert array_namespace("numpy") is np


def test_missing_cupy_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert gpu_unavailable_reason() == "CuPy not installed"
    assert _backends.cuda_device_count() == 0
    with pytest.raises(BackendUnavailableError, match="CuPy not installed"):
        array_namespace("cupy")
    with pytest.raises(ConfigError, match="unknown array backend"):
        array_namespace("jax")  # type: ignore[arg-type]


def test_auto_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    engines = ["statevector", "numba", "cupy"]
    monkeypatch.setattr(_backends, "cuda_device_count", lambda: 0)
    assert statevector_choice(NUMBA_AUTO_QUBITS - 1, engines) == "statevector"
    assert statevector_choice(GPU_AUTO_QUBITS + 5, engines) == "numba"
    monkeypatch.setattr(_backends, "cuda_device_count", lambda: 1)
    assert statevector_choice(GPU_AUTO_QUBITS, engines) == "cupy"
    assert statevector_choice(GPU_AUTO_QUBITS, ["statevector", "numba"]) == "numba"
