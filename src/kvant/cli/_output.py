"""Printing for the CLI: Rich tables for people, JSON for programs."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console

PIPE_WIDTH = 160
"""Columns of the tables printed to a pipe or a file. Rich assumes 80 there, and shrinks
wider tables by cutting their cells short ("79,998,..."): a log or a ``| less`` would lose
digits. A terminal keeps its own width (and ``COLUMNS`` always wins)."""


def _width(stream: Any) -> int | None:
    if "COLUMNS" in os.environ or getattr(stream, "isatty", lambda: False)():
        return None
    return PIPE_WIDTH


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (no colour, so it pipes cleanly)."""
    print(json.dumps(data, indent=2, sort_keys=False))
