"""Printing for the CLI: Rich tables for people, JSON for programs."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

PIPE_WIDTH = 160
"""Columns of the tables printed to a pipe or a file. Rich assumes 80 there, and shrinks
wider tables by cutting their cells short ("79,998,..."): a log or a ``| less`` would lose
digits. A terminal keeps its own width (and ``COLUMNS`` always wins)."""


def _width(stream: Any) -> int | None:
    if "COLUMNS" in os.environ or getattr(stream, "isatty", lambda: False)():
        return None
    return PIPE_WIDTH


def _fit(table: Table, console: Console) -> Table:
    """``table`` with only horizontal rules and one space between columns where its boxed form
    is wider than the console: 80 columns cut the 8-column ``qkd link`` table's numbers short
    ("2.3768e..."), the compact form keeps every digit (2 columns per column instead of 3)."""
    unbounded = console.options.update_width(1 << 20)  # Rich clamps a measure to the width
    if Measurement.get(console, unbounded, table).minimum <= console.width:
        return table
    table.box = box.SIMPLE_HEAD
    table.show_edge = False
    table.pad_edge = False
    table.padding = (0, 0, 0, 1)  # with the blank divider: 2 spaces between columns
    return table


class _Console(Console):
    """A Rich console whose tables fall back to the compact form where the boxed one does not
    fit (:func:`_fit`)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        fitted = [_fit(o, self) if isinstance(o, Table) else o for o in objects]
        super().print(*fitted, **kwargs)


console = _Console(width=_width(sys.stdout))
err_console = _Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (no colour, so it pipes cleanly)."""
    print(json.dumps(data, indent=2, sort_keys=False))
