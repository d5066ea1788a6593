"""Commands that other distributions add, found through the `tke_orphans.commands` entry point group.

The test kit (tke-orphans-testkit) adds `demo`, `emulator` and `sinks` this way, so that no module of the product
imports it (tests/test_layering.py holds that): the wheel and the image carry no emulator and no fake bots. Each
entry point names a command and points at a typer command function or a typer app (a group of commands). Without
the kit its commands say how to get it; a kit that is installed but fails to load says that, not "not installed".
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import typer

from .common import fail

GROUP = "tke_orphans.commands"
KIT_COMMANDS = ("demo", "emulator", "sinks")
NOT_INSTALLED = (
    "`tke-orphans {name}` comes with the test kit, which is not installed: from a checkout of the repository, "
    "run `make demo` or `pip install -e ./testkit`"
)
BROKEN = (
    "`tke-orphans {name}` cannot load ({value}: {error}): reinstall the distribution that adds it "
    "(the test kit: `pip install -e ./testkit`)"
)


def add_kit_commands(app: typer.Typer, found: Iterable[EntryPoint] | None = None) -> None:
    """Add each command of the group (`found`: those entry points instead, for tests); none replaces one of the
    product's own. A kit command that no entry point adds becomes a stub that says how to install the kit."""
    own = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    points = {ep.name: ep for ep in (entry_points(group=GROUP) if found is None else found)}
    for name in sorted(points.keys() - own, key=lambda n: (n not in KIT_COMMANDS, n)):
        ep = points[name]
        try:
            target: Any = ep.load()
        except Exception as exc:  # whatever a broken plugin raises, the product's own commands still work
            _stub(app, name, "(Installed but broken: it fails to load.)", BROKEN.format(
                name=name, value=ep.value, error=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            continue
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    for name in KIT_COMMANDS:
        if name not in points:
            _stub(app, name, "(Needs the test kit, tke-orphans-testkit.)", NOT_INSTALLED.format(name=name))


def _stub(app: typer.Typer, name: str, help: str, message: str) -> None:
    def missing(ctx: typer.Context) -> None:
        fail(message)

    app.command(
        name,
        help=help,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(missing)
