"""WeCom (企业微信) group robot: markdown messages up to 4096 bytes of content; the key in the URL is the credential."""

from __future__ import annotations

from typing import Any, ClassVar

from ..model import Orphan
from .chat import ChatBot
from .compose import Part, Style
from .model import Notice

WECOM_STYLE = Style(
    heading=lambda s: f"## {s}",
    quiet=lambda s: f'<font color="comment">{s}</font>',
)


class WeComBot(ChatBot):
    platform = "wecom"
    style = WECOM_STYLE
    limit_bytes = 4096  # of markdown.content, not of the whole body
    throttle_codes = frozenset({45009})
    hints: ClassVar[dict[int, str]] = {
        93000: "check the WeCom robot's webhook key (the key in its URL)",
        40058: "the message is too long for WeCom (please report this: tke-orphans splits messages to fit)",
        40008: "WeCom did not accept the message type",
    }

    def fits(self, body: dict[str, Any]) -> bool:
        content = body.get("markdown", body.get("text", {})).get("content", "")
        return len(str(content).encode("utf-8")) <= self.limit_bytes

    def mention_text(self) -> str:
        # In markdown only <@userid> mentions work; @all and mobiles need a text message (extra_payloads).
        return " ".join(f"<@{u}>" for u in self.spec.mentions.user_ids)

    def payload(self, part: Part, notice: Notice, first: bool) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"content": part.text}}

    def extra_payloads(self, notice: Notice) -> list[dict[str, Any]]:
        m = self.spec.mentions
        if not (m.all or m.mobiles) or notice.kind not in ("new", "reminder"):
            return []
        zh = self.spec.language == "zh-CN"
        if any(isinstance(f, Orphan) for f in notice.findings):
            text = "请查看上面的孤儿 CVM 告警。" if zh else "Please see the orphaned CVM alert above."
        else:
            text = "请查看上面的已删除集群遗留资源告警。" if zh else "Please see the leftovers alert above."
        return [
            {
                "msgtype": "text",
                "text": {
                    "content": text,
                    "mentioned_list": ["@all"] if m.all else [],
                    "mentioned_mobile_list": list(m.mobiles),
                },
            }
        ]
