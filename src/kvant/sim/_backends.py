"""Array backends: NumPy on the CPU, CuPy on a CUDA GPU, behind one small helper.

Everything backend-independent in :mod:`kvant.sim` (fusion into blocks, window planning,
encoding) produces NumPy arrays; an engine moves them to its device through
:func:`array_namespace`. Nothing here imports CuPy unless asked, so a machine without it (or
without a GPU) loses nothing: GPU engines report why they are unavailable and ``"auto"`` skips
them.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Collection
from types import ModuleType
from typing import Literal

from kvant.errors import BackendUnavailableError, ConfigError

__all__ = [
    "GPU_AUTO_QUBITS",
    "NUMBA_AUTO_QUBITS",
    "array_namespace",
    "cuda_device_count",
    "gpu_unavailable_reason",
    "statevector_choice",
]

Backend = Literal["numpy", "cupy"]

#: ``"auto"`` runs circuits of at least this many qubits on the Numba engine. Below it the
#: reference engine is faster: the Numba engine's per-gate Python work (fusion, planning) is
#: about 70 us, more than a small state's whole simulation (measured: 12 qubits, 170 gates:
#: 5 ms reference, 16 ms Numba; 14 qubits, 194 gates: 195 ms reference, 35 ms Numba).
NUMBA_AUTO_QUBITS = 14
#: ``"auto"`` prefers a GPU engine (when one is registered and a device is present) from this
#: many qubits: a 2**20-amplitude state is about 1 ms of kernel launches and copies.
GPU_AUTO_QUBITS = 20


def gpu_unavailable_reason() -> str | None:
    """Why no GPU engine can run here (``"CuPy not installed"``, ``"no CUDA device"``), or
    None when CuPy and at least one device are present.

    >>> gpu_unavailable_reason() in (None, "CuPy not installed", "no CUDA device")
    True
    """
    if importlib.util.find_spec("cupy") is None:
        return "CuPy not installed"
    try:
        cupy = importlib.import_module("cupy")
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDA driver missing or broken: report it, do not crash
        return f"no CUDA device ({type(exc).__name__}: {exc})"
    return None if count > 0 else "no CUDA device"


def cuda_device_count() -> int:
    """Number of CUDA devices CuPy sees (0 without CuPy or a driver)."""
    if gpu_unavailable_reason() is not None:
        return 0
    cupy = importlib.import_module("cupy")
    return int(cupy.cuda.runtime.getDeviceCount())


def array_namespace(backend: Backend = "numpy") -> ModuleType:
    """The array module of a backend: ``numpy`` or ``cupy``.

    Args:
        backend: ``"numpy"`` or ``"cupy"``.

    Returns:
        The module.

    Raises:
        BackendUnavailableError: If CuPy or a CUDA device is missing.
        ConfigError: For an unknown backend name.

    >>> array_namespace("numpy").__name__
    'numpy'
    """
    if backend == "numpy":
        return importlib.import_module("numpy")
    if backend == "cupy":
        reason = gpu_unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(
                f"the cupy backend needs CuPy and a CUDA device: {reason}; "
                "install kvant[gpu] on a machine with an NVIDIA GPU"
            )
        return importlib.import_module("cupy")
    raise ConfigError(f"unknown array backend {backend!r}; use 'numpy' or 'cupy'")


def statevector_choice(num_qubits: int, registered: Collection[str]) -> str:
    """The state-vector engine ``"auto"`` picks for a noiseless, non-Clifford circuit.

    A GPU engine (``"cupy"``, once registered) when a device is present and the state is large
    enough to gain; the Numba engine from :data:`NUMBA_AUTO_QUBITS` qubits; the reference
    engine below.

    >>> statevector_choice(4, ["statevector", "numba"]), statevector_choice(24, ["numba"])
    ('statevector', 'numba')
    """
    if "cupy" in registered and num_qubits >= GPU_AUTO_QUBITS and cuda_device_count() > 0:
        return "cupy"
    if "numba" in registered and num_qubits >= NUMBA_AUTO_QUBITS:
        return "numba"
    return "statevector"
