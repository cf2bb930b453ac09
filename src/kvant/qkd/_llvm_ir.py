"""What the hand-written LLVM IR kernels (:mod:`kvant.qkd._ldpc_simd`, :mod:`kvant.qkd._clmul`)
need to know before Numba compiles them: whether this llvmlite parses a text, and which
instructions the CPU that Numba compiles for has."""

from __future__ import annotations

from typing import Any

import llvmlite.binding as llvm  # type: ignore[import-untyped]
import numba

__all__ = ["host_features", "parses"]


def parses(text: str) -> bool:
    """Whether the installed LLVM parses and verifies the IR ``text``.

    >>> parses("define void @f() { ret void }"), parses("define void @f( {")
    (True, False)
    """
    try:
        llvm.parse_assembly(text).verify()
    except RuntimeError:
        return False
    return True


def host_features() -> Any:
    """The CPU features (``avx2``, ``pclmul``, ...: a mapping to bools) of the machine Numba
    compiles for: this one's, or none at all where ``NUMBA_CPU_NAME`` names another CPU (its
    code must not use this one's instructions)."""
    cpu = getattr(numba.config, "CPU_NAME", None)
    return llvm.get_host_cpu_features() if cpu in (None, "host") else {}
