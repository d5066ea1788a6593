"""DingTalk custom robot: signing in the query, keywords, a body limit, and 20 a minute then 10 minutes' silence.

The query is decoded exactly once (as `parse_qs` does), so a signature encoded twice arrives as `%2B...` and one
not encoded at all has its `+` turned into a space: both are refused, as by the real robot.
`text` of an accepted message is `markdown.text` or `text.content` (keywords are looked for there, not in the
markdown title: stricter than the real robot may be).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from .base import Message, Provider, Query, Refused, first, load_object, missing_keywords, nonempty_str
from .model import SinkBot

PATH = "/robot/send"
MAX_BODY = 20000  # bytes of the request body
HOUR_MS = 3_600_000
SECURITY = 310000
MISSING = 40035


def sign(secret: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)), before any URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, timestamp: str | None, signature: str | None, now: float) -> None:
    if timestamp is None or not re.fullmatch(r"[0-9]{1,17}", timestamp):
        raise Refused(SECURITY, "sign not match: invalid timestamp", f"timestamp={timestamp!r}: milliseconds needed")
    if abs(int(timestamp) - now * 1000) > HOUR_MS:
        raise Refused(
            SECURITY, "sign not match: invalid timestamp", f"timestamp {timestamp} ms is over an hour from {now:.0f} s"
        )
    if signature is None or not hmac.compare_digest(signature.encode(), sign(secret, timestamp).encode()):
        raise Refused(SECURITY, "sign not match", f"sign={signature!r} after decoding the query once")


class DingTalk(Provider):
    platform = "dingtalk"
    unknown_token = (300001, "token is not exist")
    throttled = (130101, "send too fast, exceed 20 times per minute")
    windows = ((60.0, 20),)  # accepted messages only
    block_seconds = 600.0

    def token_of(self, path: str, query: Query) -> str | None:
        return (first(query, "access_token") or "") if path.rstrip("/") == PATH else None

    def url_path(self, token: str) -> str:
        return f"{PATH}?{urlencode({'access_token': token})}"

    def answer(self, code: int, message: str) -> dict[str, Any]:
        return {"errcode": code, "errmsg": message}

    def ok(self) -> dict[str, Any]:
        return self.answer(0, "ok")

    def check(self, bot: SinkBot, query: Query, raw: bytes, now: float, throttle: Callable[[], None]) -> Message:
        if bot.secret is not None:
            verify(bot.secret, first(query, "timestamp"), first(query, "sign"), now)
        throttle()
        if len(raw) > MAX_BODY:
            raise Refused(460101, "message too long", f"the body is {len(raw)} bytes > {MAX_BODY}")
        body = load_object(raw)
        if body is None:
            raise Refused(MISSING, "缺少参数 json", "the body is not a JSON object")
        msgtype = body.get("msgtype")
        if msgtype == "markdown":
            section = body.get("markdown")
            if nonempty_str(section, "title") is None:
                raise Refused(MISSING, "缺少参数 markdown.title")
            text = nonempty_str(section, "text")
            if text is None:
                raise Refused(MISSING, "缺少参数 markdown.text")
        elif msgtype == "text":
            text = nonempty_str(body.get("text"), "content")
            if text is None:
                raise Refused(MISSING, "缺少参数 text.content")
        elif msgtype is None:
            raise Refused(MISSING, "缺少参数 msgtype")
        else:
            raise Refused(MISSING, "缺少参数 msgtype", f"msgtype {msgtype!r} is not served here (text, markdown)")
        if missing_keywords(bot, text):
            raise Refused(SECURITY, "keywords not in content", f"none of {list(bot.keywords)} in the text")
        return Message(body, msgtype, text)
