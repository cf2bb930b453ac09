"""The ``kvant`` command line: ``kvant <area> <verb>``, thin over the rooms below."""

from kvant.cli._app import app, main

__all__ = ["app", "main"]
