"""Serve the sinks in the foreground, for `tke-orphans sinks` and the demo."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .model import SinkBot
from .server import ChatSinks

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


def run_sinks(
    port: int, record_path: Path | None, bots: Sequence[SinkBot] = DEFAULT_BOTS, host: str = "127.0.0.1"
) -> None:
    """Serve until SIGINT or SIGTERM. Prints the base URL, then one line per bot with its webhook URL."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        with ChatSinks(bots, host=host, port=port, record_path=record_path) as sinks:
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
