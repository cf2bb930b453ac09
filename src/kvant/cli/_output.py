"""Printing for the CLI: Rich tables for people, JSON for programs."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (no colour, so it pipes cleanly)."""
    print(json.dumps(data, indent=2, sort_keys=False))
