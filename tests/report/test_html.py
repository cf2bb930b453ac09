"""The steps page: sections, checks, pictures, and escaping of every text value."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvant.errors import KvantIOError
from kvant.report import render_steps_html, write_steps_html

STEPS = [
    {"section": "A", "name": "one", "figure": "1", "expected": "1", "ok": True,
     "pictures": ["one.png"]},
    {"section": "B", "name": "two", "figure": "2", "expected": "3", "ok": False,
     "links": {"data": "two.json"}},
]  # fmt: skip


def test_sections_checks_pictures_and_links() -> None:
    page = render_steps_html("Report", STEPS)
    assert page.index("<h2>A</h2>") < page.index("<h2>B</h2>")
    assert page.count('class="ok"') == 1
    assert page.count('class="bad"') == 1
    assert 'src="one.png"' in page
    assert 'href="two.json"' in page


def test_text_is_escaped() -> None:
    hostile = [{"name": "<script>x</script>", "figure": '"&', "expected": "", "ok": True,
                "pictures": ['a" onerror="x']}]  # fmt: skip
    page = render_steps_html("<b>", hostile)
    assert "<script>" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;" in page
    assert "a&quot; onerror=&quot;x" in page


def test_write_reports_an_unwritable_path(tmp_path: Path) -> None:
    assert write_steps_html("t", STEPS, tmp_path / "r.html").read_text().startswith("<!DOCTYPE")
    with pytest.raises(KvantIOError, match="cannot write the report"):
        write_steps_html("t", STEPS, tmp_path / "missing" / "r.html")
