"""Apprise, for the many services we do not write ourselves (email, Slack, Telegram, ...): optional extra."""

from __future__ import annotations

from typing import Any

from .compose import Style, compose
from .model import BotSpec, Delivery, Notice, OnResult, Owes


class AppriseMissing(Exception):
    pass


class AppriseChannel:
    platform = "apprise"
    style = Style()

    def __init__(self, spec: BotSpec) -> None:
        try:
            import apprise
        except ImportError:
            raise AppriseMissing(
                "webhook.apprise has URLs but Apprise is not installed: pip install 'tke-orphans[apprise]'"
            ) from None
        self._apprise: Any = apprise
        self.spec = spec

    def messages(self, notice: Notice) -> list[dict[str, str]]:
        parts = compose(
            notice,
            self.style,
            self.spec.language,
            lambda title, text: True,
            test_name=self.spec.name,
            timezone=self.spec.timezone,
        )
        return [{"title": p.title, "body": p.text} for p in parts]

    def send(self, notice: Notice, owes: Owes | None = None, on_result: OnResult | None = None) -> list[Delivery]:
        ap = self._apprise.Apprise()
        for url in self.spec.urls:
            ap.add(url)
        out = []
        messages = self.messages(notice)
        for i, msg in enumerate(messages, 1):
            if owes is not None and not owes(i):
                continue
            ok = bool(ap.notify(title=msg["title"], body=msg["body"], body_format=self._apprise.NotifyFormat.MARKDOWN))
            hint = "" if ok else "Apprise reported a failure for at least one URL (run with logging.level: debug)"
            out.append(Delivery("apprise", "apprise", f"{i}/{len(messages)}", ok, 1, "" if ok else "failed", "", hint))
            if on_result is not None:
                on_result(out[-1])
        return out
