"""The `tke-orphans` command: parse, call an operation, render, exit with a named code.

Each module holds a few commands; `demo`, `emulator` and `sinks` come from the test kit when it is installed (kit.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from . import cleanup, notify, scan, serve, state
from .kit import add_kit_commands

app = typer.Typer(
    name="tke-orphans",
    help="Find the CVM instances that TKE left behind, explain why, and tell the team.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tke-orphans {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """tke-orphans: orphaned CVM instances of Tencent Kubernetes Engine."""


app.command()(scan.scan)
app.command("check-config")(scan.check_config)
app.command()(scan.doctor)
app.command("notify-test")(notify.notify_test)
app.command()(notify.preview)
app.command()(serve.serve)
app.command()(cleanup.cleanup)
app.command()(state.history)
app.add_typer(state.state_app, name="state")
add_kit_commands(app)


def main() -> None:
    app()
