"""`cleanup`: act on orphans safely. A dry run unless --yes; capped; re-checked right before acting."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from ..cleanup import Options, run_operation
from ..sanitize import labelled, plain
from .common import (
    EXIT_INCOMPLETE,
    ConfigOpt,
    EndpointOpt,
    Output,
    StateOpt,
    command,
    console,
    duration,
    endpoint,
    load,
    open_state,
)
from .scan import delivery_json


class ActionName(StrEnum):
    mark = "mark"
    terminate = "terminate"
    readd = "readd"


@command
def cleanup(
    action: Annotated[ActionName, typer.Option(help="mark (tag), terminate, or readd (back into --cluster).")] = (
        ActionName.mark
    ),
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
    only: Annotated[list[str] | None, typer.Option(metavar="ID", help="Only this instance id (repeatable).")] = None,
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
    output: Annotated[Output, typer.Option("--output", "-o", help="table or json.")] = Output.table,
    config: ConfigOpt = None,
    state: StateOpt = None,
    endpoint_url: EndpointOpt = None,
) -> int:
    """Act on orphans the state has seen long enough: tag, terminate or add back. Dry run unless --yes."""
    cfg = load(config)
    c = cfg.cleanup
    opts = Options(
        action=action.value,
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
        run = run_operation(cfg, db, opts, endpoint_url=endpoint(endpoint_url))
    report = run.report
    if output is Output.json:
        doc = {"dry_run": opts.dry_run, "action": opts.action, "actor": run.actor, "refused": report.refused,
               "decisions": [asdict(d) for d in report.decisions],
               "notifications": [delivery_json(d) for d in run.deliveries]}  # fmt: skip
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        mode = "DRY-RUN: nothing is changed (add --yes to act)" if opts.dry_run else f"acting as {run.actor}"
        table = Table(
            "Instance", "Region", "Name", "Outcome", "Detail", title=f"cleanup --action {opts.action}: {mode}"
        )
        for d in report.decisions:
            outcome = "DRY-RUN" if d.outcome == "dry-run" else d.outcome
            table.add_row(*(plain(x) for x in (d.instance_id, d.region, d.name, outcome, d.detail)))
        out = console()
        out.print(table)
        if report.refused:
            out.print(labelled("refused:", "red", report.refused))
        for sent in run.deliveries:
            out.print(
                labelled("sent", "green", sent.describe()) if sent.ok else labelled("not sent", "red", sent.describe())
            )
    return EXIT_INCOMPLETE if run.failed else 0
