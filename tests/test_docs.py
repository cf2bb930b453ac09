"""The user guides' examples run: a page that drifts from the code fails here.

Pages written as ``>>>`` sessions are checked as doctests (output compared); pages with plain
``python`` code blocks are executed block by block in one namespace (asserts in them checked).
"""

from __future__ import annotations

import doctest
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOCTEST_PAGES = ["circuits.md"]
CODE_BLOCK_PAGES = ["qkd.md", "network.md", "kms.md"]
_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_guide_sessions_run(page: str) -> None:
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) in docs/{page} failed (see output)"


@pytest.mark.parametrize("page", CODE_BLOCK_PAGES)
def test_guide_code_blocks_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _PYTHON_BLOCK.findall((DOCS / page).read_text())
    assert blocks, f"docs/{page} has no python blocks"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": f"docs_{page.replace('.', '_')}"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"docs/{page} block {number}", "exec")
        exec(code, namespace)
    assert os.getcwd() == str(tmp_path)
