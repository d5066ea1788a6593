"""What a notification says (Notice), who receives it (BotSpec), and what came of it (Delivery)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..config import Mentions
from ..model import ApiFailure, Instance, Orphan, ScanResult, Unverified

NoticeKind = Literal["new", "reminder", "resolved", "test", "cleanup"]


@dataclass(frozen=True)
class Resolved:
    """An orphan that is gone: how (terminated, rejoined, ignored) and after how long."""

    account: str
    region: str
    instance: Instance
    how: Literal["terminated", "rejoined", "ignored"]
    detail: str = ""
    first_seen: datetime | None = None


@dataclass(frozen=True)
class ActionLine:
    """One cleanup decision, as a message tells it."""

    account: str
    region: str
    instance_id: str
    name: str
    action: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    scanned_at: datetime
    orphans: tuple[Orphan, ...] = ()
    resolved: tuple[Resolved, ...] = ()
    unverified: tuple[Unverified, ...] = ()
    errors: tuple[tuple[str, ApiFailure], ...] = ()  # (where: "account/region" or "", failure)
    first_seen: Mapping[str, datetime] = field(default_factory=dict)
    status_url: str | None = None
    result: ScanResult | None = None  # for channels that take the whole scan result (generic webhook)
    actions: tuple[ActionLine, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.orphans or self.resolved or self.unverified or self.errors or self.actions) and (
            self.kind != "test"
        )


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
