"""Feishu / Lark custom bot: interactive card (JSON 1.0), signed in the body when a secret is set."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, ClassVar

from .chat import ChatBot
from .compose import Part, Style
from .model import Notice

FEISHU_STYLE = Style(
    heading=lambda s: f"**{s}**",  # card markdown has no headings
    quiet=lambda s: f"<font color='grey'>{s}</font>",
)
TEMPLATES = {"new": "red", "reminder": "orange", "resolved": "green", "test": "blue", "cleanup": "purple"}
# Room for the "timestamp" and "sign" fields added when signing.
SIGN_ROOM = 100


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key = timestamp + "\\n" + secret, msg = empty)): not DingTalk's algorithm."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FeishuBot(ChatBot):
    platform = "feishu"
    style = FEISHU_STYLE
    limit_bytes = 20000  # the documented 20 KB, with room to spare: which KB Feishu means is unverified
    throttle_codes = frozenset({11232})
    hints: ClassVar[dict[int, str]] = {
        19001: "check the Feishu bot's webhook URL (its hook token)",
        19021: "check the Feishu bot's secret (signing) and this machine's clock",
        19022: "the Feishu bot's IP allow-list refuses this machine",
        19024: "the Feishu bot's keywords are not in the message",
        9499: "Feishu refused the message as malformed or too large",
    }

    def answer_code(self, answer: dict[str, Any]) -> tuple[int, str]:
        if "code" in answer:
            return int(answer["code"]), str(answer.get("msg", ""))
        return int(answer.get("StatusCode", -1)), str(answer.get("StatusMessage", ""))

    def mention_text(self) -> str:
        m = self.spec.mentions
        return " ".join([*(["<at id=all></at>"] if m.all else []), *(f"<at id={u}></at>" for u in m.user_ids)])

    def fits(self, body: dict[str, Any]) -> bool:
        return len(self.encode(body)) + SIGN_ROOM <= self.limit_bytes

    def payload(self, part: Part, notice: Notice, first: bool) -> dict[str, Any]:
        # A "new" notice with nothing of TKE's to remove only tells what could not be checked (or a user's reused
        # CLB): orange, not the red of a finding.
        found = any(not f.reused for f in notice.findings)
        template = TEMPLATES[notice.kind] if found or notice.kind != "new" else "orange"
        return {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": part.title}, "template": template},
                "elements": [{"tag": "markdown", "content": part.text}],
            },
        }

    def signed(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if not self.spec.secret:
            return self.spec.url, body
        ts = int(self.clock())
        return self.spec.url, {"timestamp": str(ts), "sign": feishu_sign(self.spec.secret, ts), **body}
