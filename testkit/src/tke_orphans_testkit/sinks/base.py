"""What differs between the three bots. The server runs one pipeline for all: route -> fault -> known token ->
the platform's own `check`, which calls `throttle()` at the point the real service counts the rate."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .model import Platform, SinkBot

Query = dict[str, list[str]]


class Refused(Exception):
    """The platform's business error: `code` and `message` go into the JSON answer, `detail` only into the log."""

    def __init__(self, code: int, message: str, detail: str = "") -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class Message:
    """A well-formed message, ready to be accepted."""

    body: dict[str, Any]
    msgtype: str
    text: str


class Provider(ABC):
    """One platform's paths, answers, limits and checks."""

    platform: ClassVar[Platform]
    unknown_token: ClassVar[tuple[int, str]]
    throttled: ClassVar[tuple[int, str]]
    # Sliding windows over accepted messages per bot: ((seconds, most messages allowed in them), ...).
    windows: ClassVar[tuple[tuple[float, int], ...]]
    # After tripping a window, refuse everything for this long (DingTalk's 10 minutes); 0 for none.
    block_seconds: ClassVar[float] = 0.0

    @abstractmethod
    def token_of(self, path: str, query: Query) -> str | None:
        """The bot token of a request to this platform's path ("" when it is missing); None for another path."""

    @abstractmethod
    def url_path(self, token: str) -> str:
        """Path and query of a bot's webhook, as on the real host."""

    @abstractmethod
    def answer(self, code: int, message: str) -> dict[str, Any]:
        """The JSON answer carrying a business code (0 for success)."""

    @abstractmethod
    def ok(self) -> dict[str, Any]:
        """The success answer."""

    @abstractmethod
    def check(self, bot: SinkBot, query: Query, raw: bytes, now: float, throttle: Callable[[], None]) -> Message:
        """Validate one request to a known bot, raising `Refused` with the platform's code."""


def first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def load_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        value = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def nonempty_str(container: object, key: str) -> str | None:
    """`container[key]` when the container is a dict and the value a non-empty string."""
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, str) and value else None


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def missing_keywords(bot: SinkBot, text: str) -> bool:
    return bool(bot.keywords) and not any(word in text for word in bot.keywords)
