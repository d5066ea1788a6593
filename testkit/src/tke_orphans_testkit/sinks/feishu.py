"""Feishu custom bot: the token in the path, signing in the body (seconds, and the key is `timestamp\\nsecret`),
20 KB a body, 5 a second and 100 a minute. (The 30 KB card limit is not checked: the card travels inside a body
that may not exceed 20 KB, so the body limit always answers first.)

`text` of an accepted message is every piece of text in it, in order, joined with "\\n": `content.text` of a text
message; the titles and `text` of `text`/`a` elements of a post; the `content` of every `plain_text`, `lark_md` and
`markdown` element of a card (so the header title comes first).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from .base import Message, Provider, Query, Refused, load_object, missing_keywords, nonempty_str
from .model import SinkBot

PREFIX = "/open-apis/bot/v2/hook/"
MAX_BODY = 20 * 1024
BAD = (9499, "Bad Request")
SIGN = (19021, "sign match fail or timestamp is not within one hour from current time")
CONTENT_TAGS = frozenset({"plain_text", "lark_md", "markdown"})
TEXT_TAGS = frozenset({"text", "a"})


def sign(secret: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=b"")): the key order is the classic mistake."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, body: dict[str, Any], now: float) -> None:
    timestamp, signature = body.get("timestamp"), body.get("sign")
    # Strict: the documented form is a string of seconds; whether a JSON number is accepted is unverified.
    if not isinstance(timestamp, str) or not re.fullmatch(r"[0-9]{1,12}", timestamp):
        raise Refused(*SIGN, f"timestamp={timestamp!r}: a string of seconds needed")
    if abs(int(timestamp) - now) > 3600:
        raise Refused(*SIGN, f"timestamp {timestamp} s is over an hour from {now:.0f} s")
    if not isinstance(signature, str) or not hmac.compare_digest(signature.encode(), sign(secret, timestamp).encode()):
        raise Refused(*SIGN, f"sign={signature!r} does not match")


def collect(node: object, out: list[str]) -> None:
    """Append the readable text under a card or post node, depth first, in document order."""
    if isinstance(node, dict):
        tag = node.get("tag")
        if tag in CONTENT_TAGS and isinstance(node.get("content"), str):
            out.append(node["content"])
        elif tag in TEXT_TAGS and isinstance(node.get("text"), str):
            out.append(node["text"])
        for value in node.values():
            if isinstance(value, dict | list):
                collect(value, out)
    elif isinstance(node, list):
        for item in node:
            collect(item, out)


def _text_of(msg_type: object, body: dict[str, Any]) -> str:
    content = body.get("content")
    if msg_type == "text":
        text = nonempty_str(content, "text")
        if text is None:
            raise Refused(*BAD, "content.text is missing or empty")
        return text
    if msg_type == "post":
        post = content.get("post") if isinstance(content, dict) else None
        if not isinstance(post, dict) or not post:
            raise Refused(*BAD, "content.post is not an object of languages")
        out: list[str] = []
        for language, section in post.items():
            if not isinstance(section, dict) or not isinstance(section.get("content"), list):
                raise Refused(*BAD, f"content.post.{language}.content is not a list of lines")
            if isinstance(section.get("title"), str) and section["title"]:
                out.append(section["title"])
            collect(section["content"], out)
        return "\n".join(out)
    if msg_type == "interactive":
        card = body.get("card")
        if not isinstance(card, dict):
            raise Refused(*BAD, "card is not a JSON object (a string is for the im/v1 API, not bots)")
        if not isinstance(card.get("header"), dict) or not isinstance(card.get("elements"), list):
            raise Refused(*BAD, "card 1.0 needs header and elements")
        out = []
        collect(card, out)
        return "\n".join(out)
    raise Refused(*BAD, f"msg_type {msg_type!r} is not served here (text, post, interactive)")


class Feishu(Provider):
    platform = "feishu"
    unknown_token = (19001, "param invalid: incoming webhook access token invalid")
    throttled = (11232, "frequency limited")
    windows = ((1.0, 5), (60.0, 100))  # accepted messages only

    def token_of(self, path: str, query: Query) -> str | None:
        return unquote(path[len(PREFIX) :].rstrip("/")) if path.startswith(PREFIX) else None

    def url_path(self, token: str) -> str:
        return PREFIX + quote(token, safe="")

    def answer(self, code: int, message: str) -> dict[str, Any]:
        return {"code": code, "msg": message, "data": {}}

    def ok(self) -> dict[str, Any]:
        return self.answer(0, "success")

    def check(self, bot: SinkBot, query: Query, raw: bytes, now: float, throttle: Callable[[], None]) -> Message:
        if len(raw) > MAX_BODY:
            raise Refused(*BAD, f"the body is {len(raw)} bytes > {MAX_BODY}")
        body = load_object(raw)
        if body is None:
            raise Refused(*BAD, "the body is not a JSON object")
        if bot.secret is not None:
            verify(bot.secret, body, now)
        throttle()
        msg_type = body.get("msg_type")
        text = _text_of(msg_type, body)
        if missing_keywords(bot, text):
            raise Refused(19024, "Key Words Not Found", f"none of {list(bot.keywords)} in the text")
        return Message(body, str(msg_type), text)
