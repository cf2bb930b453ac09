"""docs/device.md's examples run (a page that drifts from the code fails here)."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_device_guide_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples read tests/data/device/ by relative path
    result = doctest.testfile(
        str(ROOT / "docs" / "device.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) in docs/device.md failed"
    assert os.getcwd() == str(ROOT)
