"""`history` and `state export`: what tke-orphans remembers, for people and for other tools."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from ..render.columns import Column, layout
from ..sanitize import csv_cell, visible
from .common import ConfigOpt, StateOpt, command, console, duration, load, open_state


class HistoryOutput(StrEnum):
    """The formats history has: no markdown (no message to show)."""

    table = "table"
    json = "json"
    csv = "csv"


state_app = typer.Typer(help="The state database: what tke-orphans remembers between runs.")


@command
def history(
    config: ConfigOpt = None,
    instance: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this instance's or leftover's id (ins-, disk-, lb-, eip-).")
    ] = None,
    since: Annotated[str, typer.Option(metavar="DURATION", help="How far back, e.g. 7d, 12h.")] = "7d",
    output: Annotated[HistoryOutput, typer.Option("--output", "-o", help="How to print the events.")] = (
        HistoryOutput.table
    ),
    state: StateOpt = None,
) -> None:
    """What happened: orphans and leftovers found and resolved, reminders, deliveries and their failures."""
    cfg = load(config, read_only=True)
    start = datetime.now(UTC) - duration("--since", since)
    with open_state(cfg, state, lock=False, create=False) as db:
        events = db.events.read(since=start, instance_id=instance)
    if output is HistoryOutput.json:
        typer.echo(json.dumps(events, ensure_ascii=False, indent=2))
        return
    rows = [[str(e[k] or "") for k in ("at", "account", "region", "instance_id", "kind", "detail")] for e in events]
    if output is HistoryOutput.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["at", "account", "region", "instance_id", "event", "detail"])
        writer.writerows([csv_cell(v) for v in row] for row in rows)
        typer.echo(buf.getvalue(), nl=False)
        return
    out = console()
    out.print(Text(f"History since {start:%Y-%m-%d %H:%M} UTC ({len(events)} event(s))", style="bold"))
    for line in history_lines(rows, out.width) if rows else []:
        out.print(Text(line), soft_wrap=True)


def history_lines(rows: list[list[str]], width: int | None) -> list[str]:
    """The events as the scan table shows orphans: ids and event names whole, the account only with several (as
    the scan table names it only then), and a detail that cannot stand beside its row without a word broken under
    it."""
    multi_account = len({account for _, account, *_ in rows if account}) > 1
    columns = [
        Column("TIME"),
        Column("WHERE"),
        Column("ID"),
        Column("EVENT"),
        Column("DETAIL", wrap=True, min_width=20),
    ]
    cells = [
        [at, "/".join(x for x in (account if multi_account else "", region) if x), iid, kind, detail]
        for at, account, region, iid, kind, detail in rows
    ]
    return layout(columns, [[visible(x or "-") for x in row] for row in cells], width)


@state_app.command("export")
@command
def export(config: ConfigOpt = None, state: StateOpt = None) -> None:
    """Dump every table of the state database as JSON."""
    cfg = load(config, read_only=True)
    with open_state(cfg, state, lock=False, create=False) as db:
        typer.echo(json.dumps(db.export(), ensure_ascii=False, indent=2))
