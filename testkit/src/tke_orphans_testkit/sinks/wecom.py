"""WeCom group robot: the key in the URL is the only credential; content limits count UTF-8 bytes of the content.

`text` of an accepted message is `text.content`, `markdown.content` or `markdown_v2.content`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from .base import Message, Provider, Query, Refused, first, load_object, utf8_len
from .model import SinkBot

PATH = "/cgi-bin/webhook/send"
# Content limits in UTF-8 bytes, per msgtype. Other real msgtypes (image, news, file, template_card) are not served.
LIMITS = {"text": 2048, "markdown": 4096, "markdown_v2": 4096}
BAD_TYPE = (40008, "invalid message type")


class WeCom(Provider):
    platform = "wecom"
    unknown_token = (93000, "invalid webhook url")
    throttled = (45009, "api freq out of limit")
    # 20 a minute per robot. Only accepted messages count: the real one may count failed ones too (unverified).
    windows = ((60.0, 20),)

    def token_of(self, path: str, query: Query) -> str | None:
        return (first(query, "key") or "") if path.rstrip("/") == PATH else None

    def url_path(self, token: str) -> str:
        return f"{PATH}?{urlencode({'key': token})}"

    def answer(self, code: int, message: str) -> dict[str, Any]:
        return {"errcode": code, "errmsg": message}

    def ok(self) -> dict[str, Any]:
        return self.answer(0, "ok")

    def check(self, bot: SinkBot, query: Query, raw: bytes, now: float, throttle: Callable[[], None]) -> Message:
        throttle()
        body = load_object(raw)
        if body is None:
            raise Refused(*BAD_TYPE, "the body is not a JSON object")
        msgtype = body.get("msgtype")
        if not isinstance(msgtype, str) or msgtype not in LIMITS:
            raise Refused(*BAD_TYPE, f"msgtype {msgtype!r} is not one of {', '.join(LIMITS)}")
        section = body.get(msgtype)
        if not isinstance(section, dict):
            raise Refused(*BAD_TYPE, f"{msgtype!r} is not an object")
        content = section.get("content")
        if content is None or content == "":
            raise Refused(44004, "empty content", f"{msgtype}.content is missing or empty")
        if not isinstance(content, str):
            raise Refused(*BAD_TYPE, f"{msgtype}.content is not a string")
        size, limit = utf8_len(content), LIMITS[msgtype]
        if size > limit:
            raise Refused(40058, "content exceeds max length", f"{msgtype}.content is {size} UTF-8 bytes > {limit}")
        return Message(body, msgtype, content)
