"""Serve the sinks in the foreground, for `tke-orphans sinks` and the demo."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType

from tke_orphans.sanitize import visible

from .model import Received, SinkBot
from .server import ChatSinks, mask

# Clearly fake credentials: one bot per platform, DingTalk and Feishu signing.
DEFAULT_BOTS: tuple[SinkBot, ...] = (
    SinkBot("wecom", "demo-wecom-key"),
    SinkBot("dingtalk", "demo-dingtalk-token", secret="SECdemo-dingtalk-secret"),
    SinkBot("feishu", "demo-feishu-token", secret="demo-feishu-secret"),
)


def describe(sinks: ChatSinks, bot: SinkBot) -> str:
    """`platform URL [secret=...] [keywords=...]`: the URL is always the second word."""
    line = f"{bot.platform:<9}{sinks.bot_url(bot)}"
    if bot.secret is not None:
        line += f"  secret={bot.secret}"
    if bot.keywords:
        line += f"  keywords={','.join(bot.keywords)}"
    return line


def request_line(received: Received, raw: bytes, accepted: bool, verbose: bool = False) -> str:
    """One line per message: when, which bot, accepted or rejected (with the bot's code and why), its size; with
    `verbose`, the body below it, indented."""
    at = datetime.fromtimestamp(received.at).strftime("%H:%M:%S")
    bot = f"{received.platform} {mask(received.token)}"
    if accepted:
        verdict = "accepted"
    else:
        answer = received.answer
        why = (
            f"injected {received.fault}"
            if received.fault
            else received.detail or answer.get("errmsg", answer.get("msg"))
        )
        verdict = f"rejected (code {received.code}{': ' + str(why) if why else ''})"
    line = f"{at} {bot} {verdict}, {received.body_bytes} bytes"
    if verbose:
        text = raw.decode("utf-8", errors="replace")
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        line += "\n" + textwrap.indent(text, "    ")
    return visible(line, keep="\n")


def run_sinks(
    port: int,
    record_path: Path | None,
    bots: Sequence[SinkBot] = DEFAULT_BOTS,
    host: str = "127.0.0.1",
    verbose: bool = False,
) -> None:
    """Serve until SIGINT or SIGTERM. Prints the base URL, then one line per bot with its webhook URL, then a line
    per message that arrives (and its body, with `verbose`)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:

        def on_request(received: Received, raw: bytes, accepted: bool) -> None:
            print(request_line(received, raw, accepted, verbose), flush=True)

        with ChatSinks(bots, host=host, port=port, record_path=record_path, on_request=on_request) as sinks:
            print(sinks.url, flush=True)
            for bot in bots:
                print(describe(sinks, bot), flush=True)
            where = f"; recording accepted messages to {record_path}" if record_path is not None else ""
            print(f"chat sinks serving{where}; Ctrl-C to stop", file=sys.stderr, flush=True)
            while not stop.wait(0.2):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
