"""The IR helpers of the hand-written kernels: a kernel's disk cache follows the IR it embeds."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from kvant.qkd._llvm_ir import cache_follows


def _fresh(name: str) -> object:
    """The module imported anew (a new dispatcher, as in a new process)."""
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_a_kernel_cache_is_dropped_when_its_ir_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kvant_cached_kernel.py").write_text(
        "import numba\n\n\n@numba.njit(cache=True)\ndef twice(x):\n    return 2 * x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    def call_with(ir: str) -> tuple[bool, int, int]:
        kernel = _fresh("kvant_cached_kernel").twice  # type: ignore[attr-defined]
        flushed = cache_follows(kernel, ir)
        assert kernel(21) == 42
        return (
            flushed,
            sum(kernel.stats.cache_hits.values()),
            sum(kernel.stats.cache_misses.values()),
        )

    assert call_with("ir 1") == (True, 0, 1)  # no stamp yet: compiled and saved
    assert call_with("ir 1") == (False, 1, 0)  # the same IR: the saved code is loaded
    assert call_with("ir 2") == (True, 0, 1)  # other IR: the saved code is not used
    assert call_with("ir 2") == (False, 1, 0)
    sys.modules.pop("kvant_cached_kernel", None)


def test_functions_without_a_disk_cache_are_left_alone() -> None:
    assert not cache_follows(lambda x: x, "ir")
