"""`notify-test` and `preview`: check the chat bots, and see the exact bodies they would receive."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ..config.secrets import mask_url
from ..job import notices_for
from ..notify import BotSpec, MemoryLedger, Notice, Notifier, bot_specs, make_channel
from ..notify.pacing import BotPacer
from ..render.json import from_json
from ..routing import DEFAULT, receives
from ..sanitize import labelled
from .common import EXIT_INCOMPLETE, ConfigOpt, StateOpt, UsageError, command, console, load, open_state


class PreviewPlatform(StrEnum):
    wecom = "wecom"
    dingtalk = "dingtalk"
    feishu = "feishu"
    generic = "generic"
    apprise = "apprise"


@command
def notify_test(
    config: ConfigOpt = None,
    channel: Annotated[
        str | None, typer.Option(metavar="CHANNEL", help="Only this channel (e.g. wecom, dingtalk:ops).")
    ] = None,
    state: StateOpt = None,
) -> int:
    """Send a short test message to each configured bot and show each answer."""
    cfg = load(config)
    names = [s.full_name for s in bot_specs(cfg)]
    if not names:
        raise UsageError(f"{cfg.source}: no notification channel is configured (webhook.platforms, generic, apprise)")
    if channel and channel not in names and channel not in {n.split(":")[0] for n in names}:
        raise UsageError(f"--channel {channel}: not configured; the channels are: {', '.join(names)}")
    if not cfg.webhook.enabled:
        typer.echo("note: webhook.enabled is false: these bots answer a test, but scans will not notify them", err=True)
    notice = Notice(kind="test", scanned_at=datetime.now(UTC).replace(microsecond=0))
    with open_state(cfg, state, lock=False) as db, Notifier(cfg, db.sends, only=channel) as notifier:
        deliveries = notifier.deliver(notice)
    out = console()
    for d in deliveries:
        out.print(labelled("OK", "green", d.describe()) if d.ok else labelled("FAILED", "red", d.describe()))
    return 0 if all(d.ok for d in deliveries) else EXIT_INCOMPLETE


@command
def preview(
    platform: Annotated[PreviewPlatform, typer.Option(help="Which platform's bodies to print.")],
    config: ConfigOpt = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", metavar="FILE", help="A saved `scan --output json` result.")
    ] = None,
    state: StateOpt = None,
    route: Annotated[
        str | None,
        typer.Option(help="Only what this route of webhook.routes is told (`default`: what no route takes)."),
    ] = None,
) -> None:
    """Print the exact JSON bodies a platform would receive for the last scan (or a saved result)."""
    cfg = load(config, read_only=True)
    routes = [r.name for r in cfg.webhook.routes]
    if route is not None and route not in (DEFAULT, *routes):
        raise UsageError(f"--route {route}: no such route in webhook.routes; the routes are "
                         f"{', '.join([*routes, DEFAULT])}")  # fmt: skip
    if input_file is not None:
        try:
            result = from_json(json.loads(input_file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{input_file}: {exc}") from None
    else:
        with open_state(cfg, state, lock=False, create=False) as db:
            last = db.scans.last()
        if last is None:
            raise UsageError("no scan in the state yet: run `tke-orphans scan` first, or pass --input FILE")
        result = last
    configured = [s for s in bot_specs(cfg) if s.platform == platform.value
                  and (route is None or receives(s.full_name, route, cfg.webhook.routes))]  # fmt: skip
    # Without a configured bot of that platform, show what a default one would receive.
    spec = (
        configured[0]
        if configured
        else BotSpec(platform.value, platform.value, "", language=cfg.webhook.language, timezone=cfg.webhook.timezone)
    )
    with httpx.Client() as client:
        channel = make_channel(spec, client, BotPacer(MemoryLedger()))
        bodies = [body for notice in notices_for(result, cfg, route) for body in channel.messages(notice)]
    for body in bodies:
        typer.echo(mask_url(json.dumps(body, ensure_ascii=False, indent=2)))
