"""Cleanup, as one path for the dry run and the real run and for every kind: select, cap, re-check against the
cloud right now, then act, where only the real run makes the mutating call (runner.py, with the kind's steps).
Every decision is recorded, real ones are notified."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..context import Run
from ..state import StateDB
from .journal import Journal, recover
from .kinds import KindSteps, check_kind
from .plan import CleanupError, Decision, Options
from .runner import Steps, run_steps
from .vms import VmSteps


@dataclass
class Report:
    decisions: list[Decision] = field(default_factory=list)
    refused: str = ""
    recovered: int = 0  # the first decisions: calls of an interrupted run, looked up before anything else

    @property
    def failed(self) -> bool:
        return bool(self.refused) or any(d.outcome == "failed" for d in self.decisions)


def actor() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "tke-orphans"


def run_cleanup(
    run: Run,
    state: StateDB,
    opts: Options,
    journal: Journal,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Report:
    """Each call is on record before it is sent and as soon as it answers (`journal`), the other decisions as they
    are made: what was done is on record even if a later step fails or the process is killed. First of all, calls
    of an interrupted run whose outcome is not on record are looked up (and reported first)."""
    if opts.action == "readd" and not opts.cluster_id:
        raise CleanupError("--action readd needs --cluster (and optionally --node-pool)")
    cfg = run.cfg
    check_kind(cfg, opts)
    last = state.scans.last()
    if last is None:
        raise CleanupError("no scan in the state yet: run `tke-orphans scan` first")
    at = now()
    result = Report(decisions=recover(run, state, at))
    result.recovered = len(result.decisions)

    def decided(decisions: list[Decision]) -> None:
        result.decisions += decisions
        journal.record(decisions)

    steps: Steps[Any, Any] = VmSteps(cfg) if opts.kind == "cvm" else KindSteps(cfg, opts.kind)
    result.refused = run_steps(steps, run, state, opts, last, at, decided, journal)
    return result
