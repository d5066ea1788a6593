"""`history` and `state export`: what tke-orphans remembers, for people and for other tools."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from ..sanitize import plain
from .common import ConfigOpt, Output, StateOpt, command, console, duration, load, open_state

state_app = typer.Typer(help="The state database: what tke-orphans remembers between runs.")


@command
def history(
    config: ConfigOpt = None,
    instance: Annotated[str | None, typer.Option(metavar="ID", help="Only this instance id.")] = None,
    since: Annotated[str, typer.Option(metavar="DURATION", help="How far back, e.g. 7d, 12h.")] = "7d",
    output: Annotated[Output, typer.Option("--output", "-o", help="table or json.")] = Output.table,
    state: StateOpt = None,
) -> None:
    """What happened: orphans found and resolved, reminders, deliveries and their failures."""
    cfg = load(config, read_only=True)
    start = datetime.now(UTC) - duration("--since", since)
    with open_state(cfg, state, lock=False, create=False) as db:
        events = db.events.read(since=start, instance_id=instance)
    if output is Output.json:
        typer.echo(json.dumps(events, ensure_ascii=False, indent=2))
        return
    table = Table(
        "Time", "Account/region", "Instance", "Event", "Detail", title=f"History since {start:%Y-%m-%d %H:%M} UTC"
    )
    for e in events:
        where = "/".join(x for x in (e["account"], e["region"]) if x)
        table.add_row(*(plain(str(x or "")) for x in (e["at"], where, e["instance_id"], e["kind"], e["detail"])))
    console().print(table)


@state_app.command("export")
@command
def export(config: ConfigOpt = None, state: StateOpt = None) -> None:
    """Dump every table of the state database as JSON."""
    cfg = load(config, read_only=True)
    with open_state(cfg, state, lock=False, create=False) as db:
        typer.echo(json.dumps(db.export(), ensure_ascii=False, indent=2))
