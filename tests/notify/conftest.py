"""Notification tests: our senders against the local chat sinks, over real HTTP, on a shared fake clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tke_orphans.config import Config, config_from_data
from tke_orphans.model import (
    ApiFailure,
    Evidence,
    EvidenceKind,
    Instance,
    Leftover,
    Orphan,
    Reason,
    ScanResult,
    Unverified,
)
from tke_orphans.notify import Delivery, MemoryLedger, Notice, Notifier
from tke_orphans.notify.pacing import SendLedger
from tke_orphans_testkit.sinks import ChatSinks, SinkBot, SinkFault

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WECOM = SinkBot("wecom", "wc-key-1")
DINGTALK = SinkBot("dingtalk", "dt-token-1", secret="SECdt-secret")
FEISHU = SinkBot("feishu", "fs-token-1", secret="fs-secret")
BOTS = [WECOM, DINGTALK, FEISHU]


@dataclass
class FakeClock:
    """One clock for our sender (pacing, signatures) and the sinks (rate windows): sleeping moves it."""

    now: float

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture
def sinks(clock: FakeClock) -> Iterator[ChatSinks]:
    with ChatSinks(BOTS, clock=clock) as s:
        yield s


def faulty_sinks(clock: FakeClock, faults: list[SinkFault]) -> ChatSinks:
    return ChatSinks(BOTS, clock=clock, faults=faults)


def instance(n: int, name: str | None = None, **kw: Any) -> Instance:
    base: dict[str, Any] = {
        "instance_id": f"ins-{n:08d}",
        "name": name if name is not None else f"as-tke-np-pool{n % 7:04d}",
        "state": "RUNNING",
        "instance_type": "SA5.LARGE8",
        "cpu": 4,
        "memory_gb": 8,
        "charge_type": "PREPAID" if n % 3 == 0 else "POSTPAID_BY_HOUR",
        "created": NOW - timedelta(days=3 + n % 40),
        "expired": NOW + timedelta(days=30) if n % 3 == 0 else None,
        "zone": "ap-guangzhou-3",
        "vpc_id": "vpc-1",
        "private_ips": (f"10.0.{n // 256}.{n % 256}",),
        "public_ips": (),
        "tags": (),
    }
    return Instance(**(base | kw))


def orphan(n: int, **kw: Any) -> Orphan:
    inst = instance(n, **kw)
    ev = (Evidence(EvidenceKind.NAME, f"default TKE name of node pool np-pool{n % 7:04d}", f"np-pool{n % 7:04d}"),)
    return Orphan("default", "ap-guangzhou", inst, Reason.NODE_POOL_DELETED, ev, None, f"np-pool{n % 7:04d}")


def notice(count: int = 3, **kw: Any) -> Notice:
    return Notice(kind="new", scanned_at=NOW, findings=tuple(orphan(n) for n in range(count)), **kw)


def incomplete_notice() -> Notice:
    u = Unverified("default", "ap-shanghai", instance(900), (), "tke.DescribeClusters failed: InternalError: boom")
    failure = ApiFailure("cvm.DescribeInstances", "InternalError", "boom")
    return Notice(
        kind="new", scanned_at=NOW, findings=(orphan(1),), unverified=(u,), errors=(("default/ap-beijing", failure),)
    )


def webhook_config(sinks: ChatSinks, *, bots: list[SinkBot] = BOTS, **webhook: Any) -> Config:
    platforms: dict[str, Any] = {}
    for bot in bots:
        entry = {"url": sinks.bot_url(bot), **({"secret": bot.secret} if bot.secret else {})}
        if bot.platform in platforms:
            platforms[bot.platform].setdefault("bots", []).append(entry)
        else:
            platforms[bot.platform] = {"enabled": True, **entry}
    extra_platforms = webhook.pop("platforms", {})
    for name, more in extra_platforms.items():
        platforms.setdefault(name, {"enabled": True}).update(more)
    return config_from_data({"webhook": {"enabled": True, "platforms": platforms, **webhook}}, "test-config")


def deliver(cfg: Config, n: Notice, clock: FakeClock, ledger: SendLedger | None = None) -> list[Delivery]:
    with Notifier(cfg, ledger or MemoryLedger(), clock=clock, sleep=clock.sleep, base_delay=0.5) as notifier:
        return notifier.deliver(n)


def result_with(findings: tuple[Orphan | Leftover, ...]) -> ScanResult:
    orphans = tuple(f for f in findings if isinstance(f, Orphan))
    return ScanResult(NOW, "ok", (), orphans, (), (), leftovers=tuple(f for f in findings if isinstance(f, Leftover)))
