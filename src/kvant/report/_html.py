"""A small, self-contained HTML page from result steps (the ``kvant demo`` report).

Pictures are referenced by relative path, so the folder can be zipped or served as it is; every
text value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kvant.errors import KvantIOError

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #eee;
         vertical-align: top; }
th { background: #f4f6f8; }
.ok { color: #1b7f3b; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; }
.pictures { display: flex; flex-wrap: wrap; gap: 1rem; }
.pictures img { max-width: 34rem; border: 1px solid #eee; }
a { color: #2a5d9f; }
"""


def _cell(value: Any) -> str:
    return html.escape(str(value))


def _links(step: Mapping[str, Any]) -> str:
    links = [
        f'<a href="{html.escape(str(target), quote=True)}">{_cell(label)}</a>'
        for label, target in step.get("links", {}).items()
    ]
    return " · ".join(links)


def render_steps_html(title: str, steps: Sequence[Mapping[str, Any]]) -> str:
    """The page as a string: one section per ``step["section"]``, a table, then the pictures.

    Args:
        title: Page heading.
        steps: Mappings with ``name``, ``figure``, ``expected``, ``ok`` and optionally
            ``section``, ``pictures`` (relative paths) and ``links`` (label -> relative path).

    >>> page = render_steps_html("t", [{"name": "GHZ", "figure": "0.5", "expected": "0.5",
    ...                                  "ok": True, "pictures": ["a.png"]}])
    >>> "<td>GHZ</td>" in page and 'src="a.png"' in page
    True
    """
    sections: dict[str, list[Mapping[str, Any]]] = {}
    for step in steps:
        sections.setdefault(str(step.get("section", "Results")), []).append(step)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_cell(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_cell(title)}</h1><p>Generated {when}. Each check compares the figure with a "
        "value known independently (textbook formula, bound or conservation law).</p>",
    ]
    for section, members in sections.items():
        parts.append(f"<h2>{_cell(section)}</h2><table><tr><th>step</th><th>result</th>"
                     "<th>expected</th><th>check</th><th>more</th></tr>")  # fmt: skip
        for step in members:
            check = (
                '<span class="ok">ok</span>' if step["ok"] else '<span class="bad">FAILED</span>'
            )
            parts.append(
                f"<tr><td>{_cell(step['name'])}</td><td>{_cell(step['figure'])}</td>"
                f"<td>{_cell(step['expected'])}</td><td>{check}</td><td>{_links(step)}</td></tr>"
            )
        parts.append("</table>")
        pictures = [p for step in members for p in step.get("pictures", [])]
        if pictures:
            parts.append('<div class="pictures">')
            parts += [
                f'<img src="{html.escape(str(p), quote=True)}" alt="{_cell(p)}">' for p in pictures
            ]
            parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_steps_html(title: str, steps: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """Write :func:`render_steps_html` to ``path``; raises KvantIOError if it cannot."""
    try:
        path.write_text(render_steps_html(title, steps), encoding="utf-8")
    except OSError as exc:
        raise KvantIOError(f"cannot write the report {path}: {exc.strerror or exc}") from exc
    return path
