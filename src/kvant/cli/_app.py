"""The Typer application and the one place where errors become messages and exit codes.

Exit codes: 0 success, 1 interrupted, 2 bad input (any :class:`~kvant.errors.KvantError` or a
usage error). A user never sees a traceback for bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from kvant import __version__
from kvant.cli._output import err_console
from kvant.errors import KvantError

app = typer.Typer(
    name="kvant",
    help="Kvant: an open quantum-technology stack (emulator, metrics, QKD networks).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"kvant {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_version_callback,
        is_eager=True,
    ),
) -> None:
    """Kvant: an open quantum-technology stack (emulator, metrics, QKD networks)."""


def _register_commands() -> None:
    from kvant.cli import _apps, _bench, _demo, _device, _kms, _net, _qkd, _run

    _run.register(app)
    _demo.register(app)
    _qkd.register(app)
    _device.register(app)
    _bench.register(app)
    _apps.register(app)
    _net.register(app)
    _kms.register(app)


_register_commands()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``kvant`` script; always exits (``SystemExit``) with the status.

    Usage errors are reported by Typer (exit 2); a :class:`KvantError` from any command becomes
    one line on stderr and exit 2.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
    """
    try:
        app(args=list(argv) if argv is not None else None, prog_name="kvant")
    except KvantError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
