"""Notifications: one interface, many channels (WeCom, DingTalk, Feishu, a generic webhook, Apprise).

`compose` turns a Notice into message parts that fit each platform's byte limit; each channel signs, paces and
sends them and reads the platform's business answer; `Notifier.deliver` sends to all, each on its own.
"""

from __future__ import annotations

from .apprise_channel import AppriseMissing
from .channels import Notifier, bot_specs, make_channel
from .model import BotSpec, Delivery, Notice, Resolved
from .pacing import MemoryLedger

__all__ = [
    "AppriseMissing",
    "BotSpec",
    "Delivery",
    "MemoryLedger",
    "Notice",
    "Notifier",
    "Resolved",
    "bot_specs",
    "make_channel",
]
