"""`demo`, `emulator` and `sinks`: the test kit's commands (tke-orphans-testkit), added when the kit is installed.

The only module of the product that may import the kit (tests/test_layering.py holds it to that): the wheel and the
image carry no emulator and no fake bots, and without the kit these commands say how to get it.
"""

from __future__ import annotations

import typer

from .common import fail

KIT_COMMANDS = ("demo", "emulator", "sinks")
NOT_INSTALLED = (
    "`tke-orphans {name}` comes with the test kit, which is not installed: from a checkout of the repository, "
    "run `make demo` or `pip install -e ./testkit`"
)


def add_kit_commands(app: typer.Typer) -> None:
    try:
        from tke_orphans_testkit.cli import register
    except ModuleNotFoundError as exc:
        if exc.name != "tke_orphans_testkit":
            raise  # the kit is there but broken: say so, do not pretend it is missing
        for name in KIT_COMMANDS:
            _stub(app, name)
    else:
        register(app)


def _stub(app: typer.Typer, name: str) -> None:
    def missing(ctx: typer.Context) -> None:
        fail(NOT_INSTALLED.format(name=name))

    app.command(
        name,
        help="(Needs the test kit, tke-orphans-testkit.)",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(missing)
