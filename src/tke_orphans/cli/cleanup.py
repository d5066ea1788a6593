"""`cleanup`: act on orphans safely. A dry run unless --yes; capped; re-checked right before acting."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from ..cleanup import CleanupError, Decision, Options, actor, run_cleanup
from ..cloud import CredentialsError
from ..config import ConfigError, parse_duration
from ..job import deliver_outbox
from ..notify import Delivery, bot_specs
from ..notify.model import ActionLine, Notice
from ..state import StateError
from ..state.outbox import notice_to_json
from .common import EXIT_INCOMPLETE, ConfigOpt, EndpointOpt, Output, StateOpt, console, endpoint, fail, load, open_state
from .scan import delivery_json


class ActionName(StrEnum):
    mark = "mark"
    terminate = "terminate"
    readd = "readd"


def _duration(flag: str, value: str) -> object:
    try:
        return parse_duration(value)
    except (ValueError, ConfigError) as exc:
        fail(f"{flag}: {exc}")


def cleanup(
    action: Annotated[ActionName, typer.Option(help="mark (tag), terminate, or readd (back into --cluster).")] = (
        ActionName.mark
    ),
    yes: Annotated[bool, typer.Option("--yes", help="Really do it. Without it, a dry run.")] = False,
    min_orphan_age: Annotated[str, typer.Option(help="Orphaned continuously at least this long.")] = "24h",
    max_: Annotated[
        int, typer.Option("--max", min=1, help="At most this many a run; more qualify: none is acted on.")
    ] = 10,
    only: Annotated[list[str] | None, typer.Option(help="Only this instance id (repeatable).")] = None,
    min_mark_age: Annotated[
        str | None, typer.Option(help="terminate: only instances marked at least this long ago.")
    ] = None,
    cluster: Annotated[str | None, typer.Option(help="readd: the cluster to add them back to.")] = None,
    node_pool: Annotated[str | None, typer.Option(help="readd: the node pool in that cluster.")] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="table or json.")] = Output.table,
    config: ConfigOpt = None,
    state: StateOpt = None,
    endpoint_url: EndpointOpt = None,
) -> None:
    """Act on orphans the state has seen long enough: tag, terminate or add back. Dry run unless --yes."""
    cfg = load(config)
    opts = Options(
        action=action.value,
        min_orphan_age=_duration("--min-orphan-age", min_orphan_age),  # type: ignore[arg-type]
        max=max_,
        only=frozenset(only or ()),
        min_mark_age=_duration("--min-mark-age", min_mark_age) if min_mark_age else None,  # type: ignore[arg-type]
        cluster_id=cluster,
        node_pool_id=node_pool,
        dry_run=not yes,
    )
    who = actor()
    with open_state(cfg, state) as db:

        def record(decisions: list[Decision]) -> None:
            db.record_actions(decisions, who, opts.dry_run, datetime.now(UTC))

        try:
            report = run_cleanup(cfg, db, opts, endpoint_url=endpoint(endpoint_url), record=record)
        except (CleanupError, CredentialsError, StateError) as exc:
            fail(str(exc))
        acted = [d for d in report.decisions if d.outcome in ("done", "failed")]
        deliveries: list[Delivery] = []
        if acted and cfg.webhook.enabled and bot_specs(cfg):
            lines = tuple(ActionLine(d.account, d.region, d.instance_id, d.name, d.action, d.outcome, d.detail)
                          for d in acted)  # fmt: skip
            notice = Notice("cleanup", datetime.now(UTC).replace(microsecond=0), actions=lines)
            db.enqueue("cleanup", notice_to_json(notice))
            deliveries = deliver_outbox(db, cfg, None, None)
    if output is Output.json:
        doc = {"dry_run": opts.dry_run, "action": opts.action, "actor": who, "refused": report.refused,
               "decisions": [asdict(d) for d in report.decisions],
               "notifications": [delivery_json(d) for d in deliveries]}  # fmt: skip
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        mode = "DRY-RUN: nothing is changed (add --yes to act)" if opts.dry_run else f"acting as {who}"
        table = Table(
            "Instance", "Region", "Name", "Outcome", "Detail", title=f"cleanup --action {opts.action}: {mode}"
        )
        for d in report.decisions:
            outcome = "DRY-RUN" if d.outcome == "dry-run" else d.outcome
            table.add_row(d.instance_id, d.region, d.name, outcome, d.detail)
        out = console()
        out.print(table)
        if report.refused:
            out.print(f"[red]refused:[/] {report.refused}")
        for sent in deliveries:
            out.print(("[green]sent[/] " if sent.ok else "[red]not sent[/] ") + sent.describe())
    raise typer.Exit(EXIT_INCOMPLETE if report.failed or any(not s.ok for s in deliveries) else 0)
