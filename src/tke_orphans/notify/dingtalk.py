"""DingTalk (钉钉) custom robot: markdown, signed when a secret is set (the signature URL-encoded exactly once)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar

import httpx

from .chat import ChatBot
from .compose import Part, Style
from .model import Notice

# DingTalk needs two trailing spaces (or a blank line) for a line break.
DINGTALK_STYLE = Style(line="  \n", heading=lambda s: f"### {s}", quiet=lambda s: f"> {s}")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)), NOT yet URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkBot(ChatBot):
    platform = "dingtalk"
    style = DINGTALK_STYLE
    limit_bytes = 20000
    throttle_codes = frozenset({130101})
    hints: ClassVar[dict[int, str]] = {
        300001: "check the DingTalk robot's access_token",
        300005: "check the DingTalk robot's access_token",
        310000: "check the DingTalk robot's secret (signing), its keywords and its IP allow-list",
        460101: "the message is too long for DingTalk (please report this: tke-orphans splits messages to fit)",
        40035: "DingTalk did not accept the message format",
    }

    def mention_text(self) -> str:
        m = self.spec.mentions
        # The ids must be in `at` AND written into the text, or nobody is notified.
        return " ".join([*(f"@{x}" for x in m.mobiles), *(f"@{x}" for x in m.user_ids), *(["@all"] if m.all else [])])

    def payload(self, part: Part, notice: Notice, first: bool) -> dict[str, Any]:
        m = self.spec.mentions
        at = {"atMobiles": list(m.mobiles), "atUserIds": list(m.user_ids), "isAtAll": m.all} if first else {}
        return {
            "msgtype": "markdown",
            "markdown": {"title": part.title, "text": part.text},
            "at": at or {"isAtAll": False},
        }

    def signed(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if not self.spec.secret:
            return self.spec.url, body
        ts = int(self.clock() * 1000)
        # httpx encodes query values once: pass the raw base64, never a pre-quoted one.
        url = httpx.URL(self.spec.url).copy_merge_params(
            {"timestamp": str(ts), "sign": dingtalk_sign(self.spec.secret, ts)}
        )
        return str(url), body
