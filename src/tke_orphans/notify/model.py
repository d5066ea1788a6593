"""Who receives a notification (BotSpec) and what came of it (Delivery); what it says (Notice) is a record of
model.py, since the state's outbox stores it too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..config.schema import Mentions
from ..model import ActionLine, Notice, NoticeKind, Resolved

__all__ = ["ActionLine", "BotSpec", "Delivery", "Notice", "NoticeKind", "OnResult", "Owes", "Resolved"]


@dataclass(frozen=True)
class BotSpec:
    """One configured destination; `url` holds a credential and is only ever shown masked."""

    platform: Literal["wecom", "dingtalk", "feishu", "generic", "apprise"]
    name: str
    url: str
    secret: str | None = None
    mentions: Mentions = field(default_factory=Mentions)
    language: Literal["zh-CN", "en"] = "zh-CN"
    signature_header: str = "X-Tke-Orphans-Signature"
    urls: tuple[str, ...] = ()  # apprise
    timezone: str | None = None  # webhook.timezone; None: the language's usual one

    @property
    def full_name(self) -> str:
        """How a channel is named in output and in --channel: the platform, or platform:name."""
        return self.name if self.name == self.platform else f"{self.platform}:{self.name}"


@dataclass(frozen=True)
class Delivery:
    channel: str
    platform: str
    part: str  # "1/3"
    ok: bool
    attempts: int
    code: str = ""
    message: str = ""
    hint: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"{self.channel} ({self.part}): delivered"
        hint = f" ({self.hint})" if self.hint else ""
        return (
            f"{self.channel} ({self.part}): failed after {self.attempts} attempt(s): {self.code} {self.message}{hint}"
        )


Owes = Callable[[int], bool]  # does this channel still owe part i (1-based)?
OnResult = Callable[[Delivery], None]  # told of each part as soon as it is decided
