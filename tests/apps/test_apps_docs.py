"""docs/apps.md's python blocks run, in order, in one namespace (their asserts checked)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "apps.md"
_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_apps_guide_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _PYTHON_BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "docs_apps_md"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/apps.md block {number}", "exec"), namespace)
