"""The user guide's examples run: a page that drifts from the code fails here."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHECKED_PAGES = ["circuits.md"]


@pytest.mark.parametrize("page", CHECKED_PAGES)
def test_guide_examples_run(page: str) -> None:
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) in docs/{page} failed (see output)"
