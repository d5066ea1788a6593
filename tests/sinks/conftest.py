"""Start sinks in-process on a test clock, and talk to them over real HTTP with the standard library only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from tke_orphans_testkit.sinks import ChatSinks, SinkBot

T0 = 1_700_000_000.0  # the facts sheet's test vectors are signed at this time


class Clock:
    """A clock the test moves by hand: rate windows and timestamp checks read it, nothing sleeps."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class Answer:
    status: int
    json: Any
    raw: bytes
    content_type: str

    @property
    def code(self) -> Any:
        return self.json.get("errcode", self.json.get("code"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def start(clock: Clock) -> Iterator[Callable[..., ChatSinks]]:
    """`start(bots, **kwargs)` -> running sinks on the test clock, stopped after the test."""
    with ExitStack() as stack:

        def _start(bots: list[SinkBot], **kwargs: Any) -> ChatSinks:
            kwargs.setdefault("clock", clock)
            return stack.enter_context(ChatSinks(bots, **kwargs))

        yield _start


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def post(url: str, body: Any, timeout: float = 5) -> Answer:
    """POST JSON (or raw bytes) and return the answer, whatever its HTTP status."""
    data = body if isinstance(body, bytes) else encode(body)
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, ctype = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        status, raw, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "")
    parsed = json.loads(raw) if ctype.startswith("application/json") else None
    return Answer(status, parsed, raw, ctype)


def sized(make: Callable[[str], dict[str, Any]], total: int) -> bytes:
    """The body `make(padding)` padded with ASCII to exactly `total` UTF-8 bytes on the wire."""
    base = len(encode(make("")))
    raw = encode(make("x" * (total - base)))
    assert len(raw) == total
    return raw


# Our own implementations of the two algorithms, checked against the facts sheet's vectors in the tests.
def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: str) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
