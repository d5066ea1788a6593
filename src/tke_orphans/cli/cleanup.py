"""`cleanup`: act on orphans safely. A dry run unless --yes; capped; re-checked right before acting."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from ..cleanup import CleanupRun, Decision, Options, run_operation
from ..context import Run
from ..kinds import names, noun
from ..render.columns import Column, Row, layout
from ..render.table import say
from ..sanitize import csv_cell, labelled, visible
from .common import (
    EXIT_INCOMPLETE,
    ConfigOpt,
    EndpointOpt,
    StateOpt,
    command,
    console,
    duration,
    endpoint,
    load,
    open_state,
)
from .scan import delivery_json


class CleanupOutput(StrEnum):
    """The formats cleanup has (not scan's markdown: there is no message to show)."""

    table = "table"
    json = "json"
    csv = "csv"


# What cleanup acts on: VMs, or one kind of a deleted cluster's leftovers (one kind a run): the registry's kinds.
KindName = StrEnum("KindName", {name: name for name in names()})  # type: ignore[misc]
VMS = KindName("cvm")


class ActionName(StrEnum):
    mark = "mark"
    terminate = "terminate"
    readd = "readd"


@command
def cleanup(
    action: Annotated[ActionName, typer.Option(help="mark (tag), terminate, or readd (back into --cluster).")] = (
        ActionName.mark
    ),
    kind: Annotated[
        KindName,
        typer.Option(help=f"cvm (instances), or leftovers of deleted clusters: {', '.join(names()[1:])}. One a run."),
    ] = VMS,
    yes: Annotated[bool, typer.Option("--yes", help="Really do it. Without it, a dry run.")] = False,
    min_orphan_age: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION", help="Orphaned continuously at least this long [default: cleanup.min_orphan_age, 24h]."
        ),
    ] = None,
    max_: Annotated[
        int | None,
        typer.Option(
            "--max", min=1, metavar="N", help="At most this many a run; more qualify: none is acted on [default: 10]."
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(metavar="ID", help="Only this instance (or disk, lb, eip) id (repeatable).")
    ] = None,
    min_mark_age: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="terminate: only instances marked at least this long ago [default: cleanup.min_mark_age, 72h].",
        ),
    ] = None,
    unmarked: Annotated[bool, typer.Option("--unmarked", help="terminate: also instances never marked.")] = False,
    destroy_recycled: Annotated[
        bool,
        typer.Option(
            "--destroy-recycled", help="terminate: destroy prepaid instances, not only move them to the recycle bin."
        ),
    ] = False,
    cluster: Annotated[
        str | None, typer.Option(metavar="CLUSTER_ID", help="readd: the cluster to add them back to.")
    ] = None,
    node_pool: Annotated[
        str | None, typer.Option(metavar="POOL_ID", help="readd: the node pool in that cluster.")
    ] = None,
    output: Annotated[CleanupOutput, typer.Option("--output", "-o", help="How to print the decisions.")] = (
        CleanupOutput.table
    ),
    config: ConfigOpt = None,
    state: StateOpt = None,
    endpoint_url: EndpointOpt = None,
) -> int:
    """Act on orphans (or a kind of leftover) the state has seen long enough: tag, terminate or add back. Dry run
    unless --yes."""
    cfg = load(config)
    c = cfg.cleanup
    opts = Options(
        action=action.value,
        kind=kind.value,
        min_orphan_age=duration("--min-orphan-age", min_orphan_age) if min_orphan_age else c.min_orphan_age,
        max=max_ or c.max,
        only=frozenset(only or ()),
        min_mark_age=duration("--min-mark-age", min_mark_age) if min_mark_age else c.min_mark_age,
        unmarked=unmarked,
        destroy_recycled=destroy_recycled,
        cluster_id=cluster,
        node_pool_id=node_pool,
        dry_run=not yes,
    )
    with open_state(cfg, state) as db:
        run = run_operation(Run(cfg, endpoint(endpoint_url)), db, opts)
    report = run.report
    if output is CleanupOutput.json:
        doc = {"dry_run": opts.dry_run, "kind": opts.kind, "action": opts.action, "actor": run.actor,
               "refused": report.refused, "recovered": report.recovered,
               "decisions": [asdict(d) for d in report.decisions],
               "notifications": [delivery_json(d) for d in run.deliveries]}  # fmt: skip
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    elif output is CleanupOutput.csv:
        typer.echo(decisions_csv(report.decisions), nl=False)
    else:
        show_table(run, opts)
    return EXIT_INCOMPLETE if run.failed else 0


# kind last: the columns before it keep their places for readers of the VM-only file.
CSV_COLUMNS = (
    "account",
    "region",
    "instance_id",
    "name",
    "action",
    "outcome",
    "detail",
    "request_id",
    "refund",
    "kind",
)


def decisions_csv(decisions: list[Decision]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in decisions:
        writer.writerow([csv_cell("" if v is None else v) for v in (getattr(d, c) for c in CSV_COLUMNS)])
    return buf.getvalue()


def show_table(run: CleanupRun, opts: Options) -> None:
    report = run.report
    out = console()
    mode = "DRY-RUN: nothing is changed (add --yes to act)" if opts.dry_run else f"acting as {run.actor}"
    kind = "" if opts.kind == "cvm" else f" --kind {opts.kind}"
    out.print(Text(visible(f"cleanup{kind} --action {opts.action}: {mode}"), style="bold"))
    if report.recovered:  # before anything this run did: its rows come first
        n = report.recovered
        say(out, labelled("looked up first:", "yellow", f"{n} call{'s' if n > 1 else ''} of an interrupted run had"
                          " no outcome on record; what was found is in the first rows"))  # fmt: skip
    if report.refused:  # said once, before the rows it is about
        say(out, labelled("refused:", "red", report.refused))
    if not report.decisions:
        out.print("No orphan to act on." if opts.kind == "cvm" else "No leftover to act on.")
    columns = [Column(noun(opts.kind).heading), Column("REGION"), Column("NAME", flex=True), Column("OUTCOME"),
               Column("DETAIL", wrap=True, min_width=20)]  # fmt: skip
    rows: list[Row] = []
    for d in report.decisions:
        outcome = "DRY-RUN" if d.outcome == "dry-run" else d.outcome
        rows.append([visible(x or "-") for x in (d.instance_id, d.region, d.name, outcome, d.detail)])
    if rows:
        for line in layout(columns, rows, out.width):
            out.print(Text(line), soft_wrap=True)
    for sent in run.deliveries:
        out.print(
            labelled("sent", "green", sent.describe()) if sent.ok else labelled("not sent", "red", sent.describe())
        )
