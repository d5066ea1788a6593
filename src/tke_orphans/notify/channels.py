"""From the config to the set of destinations, and delivering one notice to all of them."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import httpx

from ..config.schema import Config, Platform
from ..config.secrets import mask_url
from ..context import Cancel
from ..routing import receives
from .apprise_channel import AppriseChannel
from .chat import ChatBot
from .dingtalk import DingTalkBot
from .feishu import FeishuBot
from .generic import GenericWebhook
from .model import BotSpec, Delivery, Notice, OnResult, Owes
from .pacing import BotPacer, SendLedger
from .wecom import WeComBot

log = logging.getLogger(__name__)
CHAT: dict[str, type[ChatBot]] = {"wecom": WeComBot, "dingtalk": DingTalkBot, "feishu": FeishuBot}


class Channel(Protocol):
    @property
    def platform(self) -> str: ...

    def messages(self, notice: Notice) -> Sequence[dict[str, Any]]: ...

    def send(self, notice: Notice, owes: Owes | None = None, on_result: OnResult | None = None) -> list[Delivery]: ...


def bot_specs(cfg: Config) -> list[BotSpec]:
    """Every enabled destination, with its name (`wecom`, `wecom:ops`, `generic:siem`, `apprise`)."""
    wh = cfg.webhook
    specs: list[BotSpec] = []
    for platform in ("wecom", "dingtalk", "feishu"):
        section: Platform = getattr(wh.platforms, platform)
        lang = section.language or wh.language
        url = section.url.get_secret_value()
        if not section.enabled:
            continue  # the platform's switch covers its `bots` too
        if url:
            secret = section.secret.get_secret_value() if section.secret else None
            specs.append(BotSpec(platform, platform, url, secret or None, section.mentions, lang))
        for i, bot in enumerate(section.bots):
            if not bot.enabled:
                continue
            secret = bot.secret.get_secret_value() if bot.secret else None
            specs.append(
                BotSpec(
                    platform,
                    bot.name or str(i + 1),
                    bot.url.get_secret_value(),
                    secret or None,
                    bot.mentions,
                    bot.language or lang,
                )
            )
    for hook in wh.generic:
        if hook.enabled:
            secret = hook.secret.get_secret_value() if hook.secret else None
            specs.append(
                BotSpec("generic", hook.name, hook.url.get_secret_value(), secret or None,
                        signature_header=hook.signature_header)
            )  # fmt: skip
    if wh.apprise.enabled and wh.apprise.urls:
        urls = tuple(u.get_secret_value() for u in wh.apprise.urls)
        specs.append(BotSpec("apprise", "apprise", "", language=wh.apprise.language or wh.language, urls=urls))
    return [dataclasses.replace(s, timezone=wh.timezone) for s in specs]


def make_channel(
    spec: BotSpec,
    client: httpx.Client,
    pacer: BotPacer,
    *,
    max_attempts: int = 4,
    base_delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Channel:
    if spec.platform in CHAT:
        return CHAT[spec.platform](
            spec, client, pacer, max_attempts=max_attempts, base_delay=base_delay, sleep=sleep, clock=clock
        )
    if spec.platform == "generic":
        return GenericWebhook(spec, client, max_attempts=max_attempts, base_delay=base_delay, sleep=sleep)
    return AppriseChannel(spec)


class Notifier:
    """Builds the channels once; `deliver` sends a notice to every one of them, each on its own."""

    def __init__(
        self,
        cfg: Config,
        ledger: SendLedger,
        *,
        only: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        base_delay: float = 2.0,
        stop: Cancel | None = None,
    ) -> None:
        wh = cfg.webhook
        self.routes = wh.routes
        self.client = httpx.Client(timeout=wh.timeout, follow_redirects=False)
        self.pacer = BotPacer(ledger, clock=clock, sleep=sleep, stop=stop)
        if stop is not None:  # retry waits end too when the run is stopping

            def sleep(seconds: float) -> None:
                stop.wait(seconds)

        self.channels: list[tuple[str, Channel]] = []
        for spec in bot_specs(cfg):
            name = spec.full_name
            if only and only not in (name, spec.platform):
                continue
            channel = make_channel(
                spec, self.client, self.pacer, max_attempts=wh.max_attempts, base_delay=base_delay, sleep=sleep,
                clock=clock,
            )  # fmt: skip
            self.channels.append((name, channel))

    def deliver(
        self, notice: Notice, owes: Callable[[str, int], bool] | None = None, on_result: OnResult | None = None
    ) -> list[Delivery]:
        """Send to every channel, or only the parts `owes(channel, part)` says are still owed (a previous run's
        failures); `on_result` hears of each part as soon as it is decided (from the channels' threads)."""
        jobs: list[tuple[str, Channel, Owes | None]] = [
            (name, channel, None if owes is None else functools.partial(owes, name))
            for name, channel in self.channels
            if receives(name, notice.route, self.routes)
        ]
        if notice.empty or not jobs:
            return []
        with ThreadPoolExecutor(len(jobs), thread_name_prefix="notify") as pool:
            futures = [pool.submit(channel.send, notice, mine, on_result) for _, channel, mine in jobs]
            out: list[Delivery] = []
            for (name, _, _), fut in zip(jobs, futures, strict=True):
                try:
                    out.extend(fut.result())
                except Exception as exc:  # one broken channel must not stop the others
                    log.exception("notification channel %s failed", name)
                    message = mask_url(str(exc))
                    out.append(Delivery(name, name.split(":")[0], "-", False, 1, type(exc).__name__, message))
        for d in out:
            (log.debug if d.ok else log.warning)("%s", d.describe())
        return out

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
