"""The records the sinks take and give: bots and faults in, what arrived and what was answered out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Platform = Literal["wecom", "dingtalk", "feishu"]
FaultEffect = Literal["http_500", "throttle", "timeout"]
PLATFORMS: tuple[str, ...] = get_args(Platform)
EFFECTS: tuple[str, ...] = get_args(FaultEffect)


@dataclass(frozen=True)
class SinkBot:
    """One fake group bot. `token` is the credential the real URL carries: WeCom's `key`, DingTalk's
    `access_token`, Feishu's hook token. A `secret` makes it a signing bot; `keywords` make it refuse messages
    that contain none of them (DingTalk and Feishu only: WeCom has neither)."""

    platform: Platform
    token: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}: expected one of {', '.join(PLATFORMS)}")
        if not self.token:
            raise ValueError(f"a {self.platform} sink bot needs a non-empty token")
        if self.secret == "":
            raise ValueError("an empty secret signs nothing: pass secret=None for a bot without signing")
        if self.platform == "wecom" and (self.secret is not None or self.keywords):
            raise ValueError("WeCom robots have neither signing nor keywords: the key is the only credential")
        object.__setattr__(self, "keywords", tuple(self.keywords))  # a list would make the bot unhashable


@dataclass(frozen=True)
class SinkFault:
    """Misbehave for the first `times` requests to a platform's bot (`token`) or to all its bots (`token=None`).

    `http_500` answers HTTP 500 with an HTML page, `throttle` answers the platform's throttling code (without
    starting DingTalk's 10-minute block), `timeout` holds the request `seconds` before answering 200."""

    platform: Platform
    token: str | None = None
    effect: FaultEffect = "http_500"
    times: int = 1
    seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}: expected one of {', '.join(PLATFORMS)}")
        if self.effect not in EFFECTS:
            raise ValueError(f"unknown fault effect {self.effect!r}: expected one of {', '.join(EFFECTS)}")
        if self.times < 1:
            raise ValueError("a fault fires at least once: times must be 1 or more")
        if self.seconds <= 0:
            raise ValueError("a timeout fault needs seconds > 0")


@dataclass(frozen=True)
class Accepted:
    """A message the sink took, as the group would show it. `text` is the human-readable content (see the
    platform modules for what goes in it); `at` is the injected clock's time of arrival."""

    platform: Platform
    token: str
    body: dict[str, Any]
    raw: bytes
    at: float
    text: str
    msgtype: str


@dataclass(frozen=True)
class Received:
    """Any request routed to a bot, with the answer given. `answer` is `{}` for an HTTP 500 fault; `detail` says,
    for the developer, why a request was refused when the platform's own words are terse ("Bad Request")."""

    platform: Platform
    token: str
    status: int
    answer: dict[str, Any]
    body_bytes: int
    at: float
    fault: FaultEffect | None = None
    detail: str = ""
    content_type: str = ""

    @property
    def code(self) -> int | None:
        """The business code: `errcode` (WeCom, DingTalk) or `code` (Feishu); None when there was no JSON answer."""
        value = self.answer.get("errcode", self.answer.get("code"))
        return value if isinstance(value, int) else None
