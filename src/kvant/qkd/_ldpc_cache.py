"""An on-disk cache of built LDPC codes, so that a process does not redraw the code family.

Drawing the 20 codes of n = 65536 bits (:func:`kvant.qkd._ldpc_codes.code_family`) takes
about 9 s of CPU; loading and checking them takes about 0.15 s. A code is a pure function
of (degree distribution, n, seed, builder), so it is stored under the SHA-256 of
those, of :data:`BUILDER_VERSION` (raised whenever the construction changes) and of the NumPy
and Numba versions (whose random streams the construction consumes).

Where: ``$KVANT_CACHE_DIR/ldpc-codes`` if ``KVANT_CACHE_DIR`` is set, else
``~/.cache/kvant/ldpc-codes`` (:func:`cache_root`, beside the FFTW wisdom of
:mod:`kvant.qkd._toeplitz`).
``KVANT_CACHE_DIR=off`` (or empty) turns the cache off, as does a missing home directory.
Each entry is one uncompressed ``.npz`` (about 2 MB for n = 65536), written to a temporary
file in the same directory and renamed into place (atomic on POSIX, so concurrent processes
never see half a file), holding its key and the SHA-256 of its arrays. On load the key and
the digest are checked and a caller-given check of the arrays' structure runs; an entry that
fails any of them, or cannot be read, is rebuilt and overwritten. A cache that cannot be
written (read-only home) is skipped silently: the cache only ever saves time. A new key
(another NumPy, Numba or builder version) leaves the old file behind, so every load marks its
entry as used (its modification time) and :func:`prune_cache` (``kvant qkd cache
--prune-days D``) deletes the entries unused for D days, or all of them; the family at
n = 65536 takes about 30 MB, the 20 codes of n = 262144 about 127 MB.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numpy.lib.npyio import NpzFile
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = [
    "BUILDER_VERSION",
    "CACHE_ENV",
    "CacheEntry",
    "cache_directory",
    "cache_entries",
    "cache_key",
    "cache_root",
    "cached_arrays",
    "prune_cache",
]

BUILDER_VERSION = 1
"""Version of :func:`~kvant.qkd._ldpc_codes.build_code`'s output: raise it on any change that
alters a code drawn from the same (distribution, n, seed)."""
CACHE_ENV = "KVANT_CACHE_DIR"
_SUBDIRECTORY = "ldpc-codes"
_OFF = ("", "off", "0", "none")

Arrays = dict[str, NDArray[Any]]


def cache_root() -> Path | None:
    """Kvant's cache directory (``$KVANT_CACHE_DIR``, else ``~/.cache/kvant``), or ``None``
    when ``$KVANT_CACHE_DIR`` turns caching off or there is no home directory. Shared by the
    code cache and the FFTW wisdom of :mod:`kvant.qkd._toeplitz`.

    >>> root = cache_root()
    >>> root is None or root.is_absolute()
    True
    """
    configured = os.environ.get(CACHE_ENV)
    if configured is None:
        try:
            return Path.home() / ".cache" / "kvant"
        except (RuntimeError, KeyError):  # no home directory: no cache
            return None
    if configured.strip().lower() in _OFF:
        return None
    return Path(configured).expanduser().absolute()


def cache_directory() -> Path | None:
    """The directory of the code cache, or ``None`` when caching is off (:func:`cache_root`).

    >>> place = cache_directory()
    >>> place is None or place.name == "ldpc-codes"
    True
    """
    root = cache_root()
    return None if root is None else root / _SUBDIRECTORY


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def cache_key(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``fields`` (plain JSON) with the builder, NumPy and Numba versions.

    >>> cache_key({"n": 1}) == cache_key({"n": 1}) != cache_key({"n": 2})
    True
    """
    identity = {
        "builder": BUILDER_VERSION,
        "numpy": _minor(np.__version__),
        "numba": _minor(numba.__version__),
        "fields": dict(fields),
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(arrays: Mapping[str, NDArray[Any]]) -> str:
    sha = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        sha.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()


def _load(path: Path, key: str) -> Arrays | None:
    """The arrays of a cache entry, or ``None`` if it is missing, unreadable or not intact."""
    try:
        with open(path, "rb") as handle:
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, NpzFile):
                return None
            with data:
                stored = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    meta = stored.pop("__meta__", None)
    if meta is None or meta.dtype != np.uint8 or meta.ndim != 1:
        return None
    try:
        header = json.loads(meta.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(header, dict) or header.get("key") != key:
        return None
    if header.get("digest") != _digest(stored):
        return None
    return stored


def _store(path: Path, key: str, arrays: Mapping[str, NDArray[Any]]) -> None:
    """Write atomically (temporary file in the same directory, then rename); skip on OSError."""
    header = json.dumps({"key": key, "digest": _digest(arrays)}).encode()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                payload: dict[str, Any] = {"__meta__": np.frombuffer(header, np.uint8)}
                payload.update(arrays)
                np.savez(out, **payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def cached_arrays(
    name: str,
    fields: Mapping[str, Any],
    build: Callable[[], Mapping[str, NDArray[Any]]],
    check: Callable[[Mapping[str, NDArray[Any]]], bool],
) -> Arrays:
    """The arrays ``build()`` returns, from the cache when an intact entry exists.

    Args:
        name: Readable prefix of the file name (e.g. ``rate0.95-n65536``).
        fields: What the arrays are a pure function of (plain JSON); hashed into the key.
        build: Makes the arrays (called on a miss, or when an entry fails a check).
        check: Check of loaded arrays (their names, shapes, index ranges); False means
            rebuild.

    Returns:
        Name -> array, as ``build`` returns them (the same bytes whether built or loaded).

    >>> import os, shutil, tempfile
    >>> saved, scratch = os.environ.get("KVANT_CACHE_DIR"), tempfile.mkdtemp()
    >>> os.environ["KVANT_CACHE_DIR"] = scratch
    >>> made = cached_arrays("demo", {"n": 3}, lambda: {"a": np.arange(3)}, lambda a: True)
    >>> again = cached_arrays("demo", {"n": 3}, lambda: {"a": np.zeros(3)}, lambda a: True)
    >>> again["a"].tolist()  # loaded, not rebuilt
    [0, 1, 2]
    >>> _ = os.environ.pop("KVANT_CACHE_DIR") if saved is None else os.environ.update(
    ...     KVANT_CACHE_DIR=saved)
    >>> shutil.rmtree(scratch)
    """
    key = cache_key(fields)
    directory = cache_directory()
    path = None if directory is None else directory / f"{name}-{key[:32]}.npz"
    if path is not None:
        loaded = _load(path, key)
        if loaded is not None and check(loaded):
            with contextlib.suppress(OSError):  # used now: prune_cache keeps it
                os.utime(path)
            return loaded
    built = {k: np.ascontiguousarray(v) for k, v in build().items()}
    if path is not None:
        _store(path, key, built)
    return built


@dataclass(frozen=True)
class CacheEntry:
    """One file of the code cache.

    Attributes:
        path: The file.
        size_bytes: Its size.
        last_used: When it was last written or loaded (POSIX seconds).
        partial: A temporary file a writer left behind (killed before its rename).
    """

    path: Path
    size_bytes: int
    last_used: float
    partial: bool


def cache_entries() -> list[CacheEntry]:
    """Every file of the code cache, least recently used first (empty when caching is off or
    nothing was cached yet)."""
    directory = cache_directory()
    if directory is None or not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        if path.suffix not in (".npz", ".tmp") or not path.is_file():
            continue
        with contextlib.suppress(OSError):  # deleted meanwhile by another process
            stat = path.stat()
            found.append(CacheEntry(path, stat.st_size, stat.st_mtime, path.suffix == ".tmp"))
    return sorted(found, key=lambda e: e.last_used)


_PARTIAL_GRACE_SECONDS = 3600.0  # a younger temporary file may be a write in progress


def prune_cache(unused_days: float | None = None) -> list[CacheEntry]:
    """Delete the code-cache entries unused for ``unused_days`` days (None: every entry),
    and temporary files left by killed writers (older than an hour); a pruned code is
    rebuilt when next used. The FFTW wisdom beside the cache is left alone.

    Returns:
        The entries deleted.

    Raises:
        ConfigError: ``unused_days`` is negative.
    """
    if unused_days is not None and not unused_days >= 0:
        raise ConfigError(f"unused_days must be >= 0 (or None for all), got {unused_days}")
    now = time.time()
    removed = []
    for entry in cache_entries():
        age = now - entry.last_used
        if entry.partial:
            doomed = age > _PARTIAL_GRACE_SECONDS
        else:
            doomed = unused_days is None or age > unused_days * 86400.0
        if doomed:
            with contextlib.suppress(FileNotFoundError):
                entry.path.unlink()
                removed.append(entry)
    return removed
