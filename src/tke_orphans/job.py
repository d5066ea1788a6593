"""The main job, as `scan` and `serve` run it: scan, remember, decide what to tell, tell it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .cloud.session import CallListener
from .config import Config
from .model import ScanResult
from .notify import Delivery, MemoryLedger, Notice, Notifier
from .scan import run_scan
from .state import StateDB


@dataclass
class JobResult:
    result: ScanResult
    notices: list[Notice] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed_deliveries(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]


def notices_for(result: ScanResult, cfg: Config) -> list[Notice]:
    """What to tell about one scan: its orphans, plus what could not be checked."""
    errors = tuple((f"{r.account}/{r.region}", e) for r in result.regions for e in r.errors)
    errors += tuple(("", e) for e in result.errors)
    notice = Notice(
        kind="new",
        scanned_at=result.scanned_at,
        orphans=result.orphans,
        unverified=result.unverified,
        errors=errors,
        status_url=cfg.serve.public_url,
        result=result,
    )
    return [] if notice.empty else [notice]


def run_job(
    cfg: Config,
    *,
    state: StateDB | None,
    notify: bool = True,
    regions: Sequence[str] = (),
    endpoint_url: str | None = None,
    listener: CallListener | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> JobResult:
    result = run_scan(cfg, regions_override=regions, endpoint_url=endpoint_url, listener=listener, now=now)
    job = JobResult(result, notices_for(result, cfg))
    if notify and cfg.webhook.enabled and job.notices:
        with Notifier(cfg, state if state is not None else MemoryLedger()) as notifier:
            for notice in job.notices:
                job.deliveries += notifier.deliver(notice)
    if state is not None:
        state.record_scan(result)
    return job
