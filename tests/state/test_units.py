"""Small unit tests of pure rules: the lifecycle never resolves what it could not check; retry classes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tke_orphans.cleanup.plan import Options, Target, still_qualifies
from tke_orphans.cloud.errors import is_retryable
from tke_orphans.detect import Policy
from tke_orphans.model import Instance, RegionResult, RegionSnapshot, ScanResult, Unverified
from tke_orphans.render.json import candidate_json
from tke_orphans.state.lifecycle import Tracked, plan

NOW = datetime(2026, 11, 28, tzinfo=UTC)
INST = Instance("ins-1", "tke_cls-a_worker", "RUNNING", "S5", 2, 4, "POSTPAID_BY_HOUR", NOW - timedelta(days=9), None,
                "ap-guangzhou-3", "vpc-1", (), (), ())  # fmt: skip


def test_an_unverified_orphan_in_a_complete_region_is_not_resolved() -> None:
    u = Unverified("default", "ap-guangzhou", INST, (), "membership not confirmed")
    result = ScanResult(
        NOW, "ok", (RegionResult("default", "ap-guangzhou", "ok", 1, 1, 0),), (), (u,), (),
        snapshots=(RegionSnapshot("default", "ap-guangzhou", True, frozenset({"ins-1"}), {}),),
    )  # fmt: skip
    record = candidate_json(u)
    tracked = [Tracked("default", "ap-guangzhou", "ins-1", NOW - timedelta(days=2), NOW, record)]
    assert plan(result, tracked, timedelta(hours=24), NOW).orphans.resolved == []
    gone = ScanResult(NOW, "ok", result.regions, (), (), (), snapshots=result.snapshots)
    assert [r.how for r in plan(gone, tracked, timedelta(hours=24), NOW).orphans.resolved] == ["ignored"]


def test_permission_errors_are_not_retried() -> None:
    assert not is_retryable("InternalError.CamNoAuth")
    assert not is_retryable("UnauthorizedOperation")
    assert is_retryable("InternalError") and is_retryable("RequestLimitExceeded.UinLimitExceeded")


def test_cleanup_needs_tke_to_confirm_membership() -> None:
    t = Target("default", "ap-guangzhou", INST, NOW - timedelta(days=2))
    reason = still_qualifies(t, INST, None, None, Policy(), Options(action="terminate"), NOW)
    assert reason is not None and "did not confirm" in reason
    assert still_qualifies(t, INST, None, "", Policy(), Options(action="terminate", unmarked=True), NOW) is None


def test_terminate_waits_for_an_old_enough_mark() -> None:
    def why(tags: tuple[tuple[str, str], ...], **opts: Any) -> str | None:
        inst = replace(INST, tags=tags)
        t = Target("default", "ap-guangzhou", inst, NOW - timedelta(days=2))
        return still_qualifies(t, inst, None, "", Policy(), Options(action="terminate", **opts), NOW)

    mark = (("tke-orphans:marked-at", "2026-11-24T00:00:00Z"),)  # 4 days before NOW
    assert why(mark) is None
    assert why(mark, min_mark_age=timedelta(days=5)) == "marked 4d ago, less than --min-mark-age 5d"
    assert why((), min_mark_age=timedelta(0)) is not None  # 0s skips the wait, not the mark
    assert why((("tke-orphans:marked-at", "2026-11-24T00:00:00"),)) is not None  # no time zone: not a time we wrote
