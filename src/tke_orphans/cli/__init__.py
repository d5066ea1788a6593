"""The `tke-orphans` command: parse, call an operation, render, exit with a named code.

Each module holds a few commands; `demo`, `emulator` and `sinks` come from the test kit when it is installed (kit.py).
Help is plain text, as gh, kubectl and ruff print it: our help strings are prose (`[default: ...]` is text, not rich
markup), it fits the terminal (80 columns when piped), and it reads the same piped into `less` or `grep`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperGroup, TyperOption

from .. import __version__
from . import cleanup, doctor, init, notify, scan, serve, state
from .common import UNLIMITED
from .completion import completion, enable
from .kit import add_kit_commands

app = typer.Typer(
    name="tke-orphans",
    help="Find the CVM instances that TKE left behind, explain why, and tell the team.",
    no_args_is_help=True,
    add_completion=False,  # `tke-orphans completion SHELL` instead, as gh, kubectl and ruff do
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # click wraps help at min(terminal, max_content_width) columns; its default cap, 80, wastes a wide terminal.
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": UNLIMITED},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tke-orphans {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """tke-orphans: orphaned CVM instances of Tencent Kubernetes Engine."""


app.command()(init.init)
app.command()(scan.scan)
app.command("check-config")(scan.check_config)
app.command()(doctor.doctor)
app.command("notify-test")(notify.notify_test)
app.command()(notify.preview)
app.command()(serve.serve)
app.command()(cleanup.cleanup)
app.command()(state.history)
app.add_typer(state.state_app, name="state")
app.command()(completion)
add_kit_commands(app)


def whole_first_sentences(command: object) -> None:
    """A group lists each command with its help's first sentence, whole (wrapped to the width), where click would
    cut it to fit one line ("Write a commented config.yaml to start from (never over...")."""
    for sub in getattr(command, "commands", {}).values():
        if not sub.short_help and sub.help:
            sub.short_help = sub.get_short_help_str(limit=UNLIMITED)
        whole_first_sentences(sub)


def name_metavars(command: object) -> None:
    """An option that takes a value shows what it takes, as click and gh do: its choices (`[table|json]`) or, with
    no metavar of its own, its name (`--world WORLD`), never typer's type label (`<str>`, `<list[str]>`)."""
    for param in getattr(command, "params", ()):
        if isinstance(param, TyperOption) and not param.is_flag and param.metavar is None and param.name:
            choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
            param.metavar = f"[{'|'.join(map(str, choices))}]" if choices else param.name.upper()
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            name_metavars(sub)


def main() -> None:
    command = typer.main.get_command(app)
    name_metavars(command)
    whole_first_sentences(command)
    enable()
    command(prog_name="tke-orphans")
