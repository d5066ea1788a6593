"""Cleanup as one operation, as `cleanup` and `serve --cleanup` run it: act, record each decision as it is made,
and tell the channels what was really done (through the outbox, so a notice that could not go out is sent later)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..context import Run
from ..delivery import deliver_outbox
from ..model import ActionLine, Notice
from ..notify import Delivery, bot_specs
from ..records import notice_to_dict
from ..state import StateDB
from .journal import Journal
from .plan import Kind, Options
from .run import Report, actor, run_cleanup

log = logging.getLogger(__name__)


@dataclass
class CleanupRun:
    actor: str
    report: Report
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.report.failed or any(not d.ok for d in self.deliveries)


def run_operation(
    run: Run,
    state: StateDB,
    opts: Options,
    *,
    who: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CleanupRun:
    """Raises CleanupError or CredentialsError before anything is done; everything later is in the report."""
    cfg = run.cfg
    by = who or actor()
    journal = Journal(state, by, opts, now)
    op = CleanupRun(by, run_cleanup(run, state, opts, journal, now=now))
    acted = [d for d in op.report.decisions if d.outcome in ("done", "failed")]
    if acted and cfg.webhook.enabled and bot_specs(cfg):
        lines = tuple(ActionLine(d.account, d.region, d.instance_id, d.name, d.action, d.outcome, d.detail, by, d.kind,
                                 d.fact) for d in acted)  # fmt: skip
        notice = Notice("cleanup", now().replace(microsecond=0), actions=lines)
        state.outbox.enqueue("cleanup", notice_to_dict(notice))
        op.deliveries = deliver_outbox(state, cfg, None, None)
    return op


def serve_hook(run: Run, state: StateDB, action: str) -> Callable[[], None]:
    """What `serve --cleanup mark` runs after each pass: the real run, with the config's age limits and cap, for
    the instances and then each kind of leftover the scan looks for (a mark is only a tag: each kind on its own)."""
    cfg, c = run.cfg, run.cfg.cleanup
    if action != "mark":
        raise ValueError(f"serve runs cleanup --action mark only, not {action}")
    kinds: list[Kind] = ["cvm", *cfg.detection.policy().leftovers]

    def after_pass() -> None:
        for kind in kinds:
            opts = Options(action="mark", min_orphan_age=c.min_orphan_age, max=c.max, min_mark_age=c.min_mark_age,
                           dry_run=False, kind=kind)  # fmt: skip
            with state.locked():
                op = run_operation(run, state, opts, who=f"serve {actor()}")
            counts: dict[str, int] = {}
            for d in op.report.decisions:
                counts[d.outcome] = counts.get(d.outcome, 0) + 1
            if op.report.refused:
                log.warning("cleanup (mark %s) refused: %s", kind, op.report.refused)
            done = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to do"
            log.info("cleanup (mark %s): %s", kind, done)

    return after_pass
