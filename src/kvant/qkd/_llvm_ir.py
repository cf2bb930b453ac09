"""What the hand-written LLVM IR kernels (:mod:`kvant.qkd._ldpc_simd`, :mod:`kvant.qkd._clmul`)
need to know before Numba compiles them: whether this llvmlite parses a text, and which
instructions the CPU that Numba compiles for has."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import llvmlite.binding as llvm  # type: ignore[import-untyped]
import numba

__all__ = ["cache_follows", "host_features", "parses"]


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


def cache_follows(dispatcher: Any, *texts: str) -> bool:
    """Drop ``dispatcher``'s on-disk Numba cache when the IR ``texts`` it embeds changed.

    Numba keys a cached function on its own source file alone, but a kernel's IR is built by
    functions in other modules (:mod:`kvant.qkd._ldpc_phi_ir`, :mod:`kvant.qkd._ldpc_simd`'s
    ``edge_ir``): after an edit there the cache would go on serving the old machine code. A
    stamp beside the cache index keeps the SHA-256 of the texts; a different one flushes the
    index (the next call compiles afresh). Returns whether it flushed. Without a disk cache,
    or where the cache directory cannot be written, it does nothing (Numba then compiles in
    memory anyway).
    """
    cache: Any = getattr(dispatcher, "_cache", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    if index is None:  # a plain function, or Numba's NullCache (no disk cache)
        return False
    stamp = Path(index).with_suffix(".ir-sha256")
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return False
        cache.flush()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        return False
    return True
