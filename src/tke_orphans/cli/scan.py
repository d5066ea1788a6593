"""`scan`, `check-config` and `doctor`: the main job and the commands that prepare it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer
import yaml
from rich.console import Console

from ..config.schema import Config, check_region
from ..config.secrets import masked_dict
from ..context import Run
from ..costs import by_cost
from ..job import Cancelled, JobResult, run_job
from ..notify import Delivery
from ..notify.compose import Style, compose
from ..render import render_csv, render_table, to_json
from ..render.json import dumps
from ..render.table import failure_lines, say
from ..sanitize import labelled
from ..state import StateDB
from .common import (
    EXIT_INCOMPLETE,
    EXIT_ORPHANS,
    ConfigOpt,
    EndpointOpt,
    InitStateOpt,
    Interrupted,
    Output,
    StateOpt,
    UsageError,
    command,
    console,
    endpoint,
    load,
    open_state,
)
from .regions import check_region_names
from .stop import cancelled_by


def delivery_json(d: Delivery) -> dict[str, object]:
    return {"channel": d.channel, "part": d.part, "ok": d.ok, "attempts": d.attempts, "code": d.code,
            "message": d.message, "hint": d.hint}  # fmt: skip


def check_regions(cfg: Config, regions: Sequence[str] = ()) -> None:
    """Before the state is opened: a config that cannot scan leaves no database behind."""
    from ..cloud.accounts import manager_plan, plan_accounts

    plans = plan_accounts(cfg, regions)
    if cfg.tencentcloud.organization.enabled and not cfg.accounts:
        plans.append(manager_plan(cfg, regions))  # its members take its regions, even when it is excluded
    for plan in plans:
        if not plan.regions:
            raise UsageError(
                f"{cfg.source}: {plan.where}: no region to scan: set region, or regions (a list or 'all'), "
                "or pass --region"
            )


def execute(
    run: Run,
    state: StateDB,
    *,
    regions: Sequence[str] = (),
    notify: bool = True,
    progress: bool = True,
) -> JobResult:
    """The job, with progress on a terminal; Ctrl-C cancels it (Interrupted), saying what is kept."""
    check_regions(run.cfg, regions)
    calls = 0
    err = Console(stderr=True)
    status = err.status("Scanning...") if progress and err.is_terminal else None
    cancel, recorded = threading.Event(), threading.Event()

    def on_call(api: str, region: str, outcome: str) -> None:
        nonlocal calls
        calls += 1
        if status is not None and not cancel.is_set():
            status.update(f"Scanning... {calls} API calls ({api} in {region or 'all regions'})")

    def kept() -> str:
        if status is not None:
            status.stop()  # the terminal has its cursor back before the line, even if the process is then ended
        done = "this scan is recorded" if recorded.is_set() else "nothing of this scan is recorded"
        return f"{done}, and notices not yet sent stay owed to the next run"

    try:
        with cancelled_by(cancel, kept):
            if status is not None:
                status.start()
            job = run_job(dataclasses.replace(run, listener=on_call, cancel=cancel), state=state, notify=notify,
                          regions=regions, on_recorded=recorded.set)  # fmt: skip
    except Cancelled:
        raise Interrupted from None
    finally:
        if status is not None:
            status.stop()
    if cancel.is_set():  # stopped while delivering: recorded, and what was not sent stays owed
        raise Interrupted
    return job


def message_markdown(job: JobResult, cfg: Config) -> str:
    """The message as a chat bot would get it (unsplit, in the configured language), for `--output markdown`."""
    from ..job import notices_for

    notices = notices_for(job.result, cfg)
    if not notices:
        return (
            "✅ "
            + ("没有发现孤儿 CVM 实例。" if cfg.webhook.language == "zh-CN" else "No orphaned CVM instances.")
            + "\n"
        )
    notice = dataclasses.replace(notices[0], first_seen=job.first_seen)
    [part] = compose(notice, Style(), cfg.webhook.language, lambda title, text: True, timezone=cfg.webhook.timezone)
    return part.text + "\n"


class Sort(StrEnum):
    region = "region"
    cost = "cost"


def show(job: JobResult, output: Output, cfg: Config, wide: bool = False, sort: Sort = Sort.region) -> None:
    result = job.result
    err = console(stderr=True)
    if output is not Output.table:  # the table says it first; the machine formats leave stdout to the data
        for line in failure_lines(result):
            say(err, line)
    if output is Output.json:
        doc = to_json(result, job.first_seen) | {"notifications": [delivery_json(d) for d in job.deliveries]}
        typer.echo(dumps(doc))
        return
    if output is Output.csv:
        typer.echo(render_csv(result, job.first_seen), nl=False)
    elif output is Output.markdown:
        typer.echo(message_markdown(job, cfg), nl=False)
    else:
        if sort is Sort.cost:
            result = dataclasses.replace(result, orphans=tuple(by_cost(result.orphans)))
        render_table(result, console(), wide=wide, grouped=sort is Sort.region)
    for d in job.deliveries:
        err.print(labelled("sent", "green", d.describe()) if d.ok else labelled("not sent", "red", d.describe()))


def exit_code(job: JobResult, fail_on_orphans: bool) -> int:
    if job.result.status != "ok" or job.failed_deliveries:
        return EXIT_INCOMPLETE
    return EXIT_ORPHANS if fail_on_orphans and job.result.orphans else 0


@command
def scan(
    config: ConfigOpt = None,
    region: Annotated[
        list[str] | None, typer.Option(metavar="REGION", help="Scan only this region (repeatable).")
    ] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="How to print the result.")] = Output.table,
    no_notify: Annotated[bool, typer.Option("--no-notify", help="Do not send chat notifications.")] = False,
    fail_on_orphans: Annotated[bool, typer.Option("--fail-on-orphans", help="Exit 1 when orphans are found.")] = False,
    wide: Annotated[
        bool, typer.Option("--wide", help="Table: every column (zone, IPs, type, charge), as kubectl get -o wide.")
    ] = False,
    endpoint_url: EndpointOpt = None,
    state: StateOpt = None,
    sort: Annotated[Sort, typer.Option(help="Table order: by region, or costliest first.")] = Sort.region,
    init_state: InitStateOpt = False,
) -> int:
    """Find orphaned CVM instances in every configured account and region, and tell the team."""
    run = Run(load(config), endpoint(endpoint_url))
    cfg = run.cfg
    for name in region or []:
        try:
            check_region(name)
        except ValueError as exc:
            raise UsageError(f"--region: {exc}") from None
    check_regions(cfg, region or [])
    with open_state(cfg, state, init=init_state) as db:  # the state is checked before any API call
        check_region_names(run, region or [])
        job = execute(run, db, regions=region or [], notify=not no_notify, progress=output is not Output.json)
    show(job, output, cfg, wide, sort)
    return exit_code(job, fail_on_orphans)


@command
def check_config(config: ConfigOpt = None) -> None:
    """Validate the config file and print the effective configuration, secrets masked."""
    cfg = load(config)
    if cfg.found:
        typer.echo(f"# {cfg.source}: valid")
    else:
        typer.echo(f"note: no config file: {cfg.source}", err=True)
        typer.echo("# no config file: the built-in defaults")
    typer.echo(yaml.safe_dump(masked_dict(cfg), sort_keys=False, allow_unicode=True), nl=False)
