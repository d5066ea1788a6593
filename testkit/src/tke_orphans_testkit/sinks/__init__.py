"""Local fakes of the WeCom, DingTalk and Feishu group bots, for tests and the demo.

They check what the real bots check (signatures, byte limits, rates, formats, keywords) and answer with the real
codes, so notifiers are tested over real HTTP. The product never imports this package.
"""

from __future__ import annotations

from .model import Accepted, FaultEffect, Platform, Received, SinkBot, SinkFault
from .run import DEFAULT_BOTS, run_sinks
from .server import ChatSinks

__all__ = [
    "DEFAULT_BOTS",
    "Accepted",
    "ChatSinks",
    "FaultEffect",
    "Platform",
    "Received",
    "SinkBot",
    "SinkFault",
    "run_sinks",
]
