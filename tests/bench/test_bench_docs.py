"""docs/bench.md's python blocks run (a page that drifts from the code fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_bench_guide_code_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "bench.md").read_text(), re.DOTALL)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "docs_bench"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/bench.md block {number}", "exec"), namespace)
    assert (tmp_path / "datasheet" / "datasheet.html").exists()
