"""Throttling is a signal to slow down, not a failure: its own budget (a deadline), and a pacer that adapts."""

from __future__ import annotations

from typing import Any

from tke_orphans.cloud.ratelimit import FLOOR, RECOVERY, SETTLE, Pacer, default_rate

from .conftest import orphan_ids, scan_world

EXPECTED = {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"}
THROTTLE = {"code": "RequestLimitExceeded", "message": "Your current request times exceeds the limit."}
# Few attempts for other errors: throttling must not be counted against them.
SHORT = {"max_attempts": 3, "base_delay": 0.002, "max_delay": 0.01}


def test_twenty_scans_in_a_row_under_30_percent_throttling_all_complete(demo: dict[str, Any]) -> None:
    for seed in range(20):
        result = scan_world(demo, faults=[{"probability": 0.3, **THROTTLE}], seed=seed, tencentcloud={"retry": SHORT})
        assert result.status == "ok", (seed, [e.describe() for r in result.regions for e in r.errors])
        assert orphan_ids(result) == EXPECTED
        # The scan slowed down where it was throttled, and says how far.
        shares = [share for r in result.regions for _, share in r.rate_adapted]
        assert shares and all(0 < share < 1 for share in shares)


def test_throttled_past_the_deadline_is_a_failure_of_that_listing_only(demo: dict[str, Any]) -> None:
    result = scan_world(
        demo,
        faults=[{"action": "DescribeNodePools", "region": "ap-guangzhou", **THROTTLE}],
        tencentcloud={"retry": {**SHORT, "throttle_deadline": 0.3}},
    )
    regions = {r.region: r for r in result.regions}
    gz = regions["ap-guangzhou"]
    assert gz.status == "partial"
    assert {e.api for e in gz.errors} == {"tke.DescribeNodePools"}
    assert "deadline" in gz.errors[0].message and gz.errors[0].code == "RequestLimitExceeded"
    assert regions["ap-shanghai"].status == "ok"


def test_other_errors_keep_their_own_budget(demo: dict[str, Any]) -> None:
    # Two 500s then an answer: within 3 attempts. Three 500s: not.
    ok = scan_world(demo, faults=[{"action": "DescribeClusters", "effect": "http_500", "times": 2}],
                    tencentcloud={"retry": SHORT, "regions": ["ap-guangzhou"]})  # fmt: skip
    assert ok.status == "ok"
    bad = scan_world(demo, faults=[{"action": "DescribeClusters", "effect": "http_500", "times": 3}],
                     tencentcloud={"retry": SHORT, "regions": ["ap-guangzhou"]})  # fmt: skip
    assert bad.status == "partial"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_halves_on_throttling_once_per_burst_and_recovers_additively() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    api, region = "cvm.DescribeInstances", "ap-guangzhou"
    nominal = default_rate(api)
    pacer.throttled(api, region)
    pacer.throttled(api, region)  # the same burst of refusals: one signal
    assert pacer.rate(api, region) == nominal / 2
    assert pacer.rate(api, "ap-shanghai") == nominal  # other regions have their own budget
    clock.now += SETTLE
    pacer.throttled(api, region)
    assert pacer.rate(api, region) == nominal / 4
    for _ in range(40):
        clock.now += SETTLE
        pacer.throttled(api, region)
    assert pacer.rate(api, region) == nominal * FLOOR
    assert pacer.lowest() == {(api, region): FLOOR}
    pacer.answered(api, region)
    assert pacer.rate(api, region) == nominal * (FLOOR + RECOVERY)
    for _ in range(int(1 / RECOVERY)):
        pacer.answered(api, region)
    assert pacer.rate(api, region) == nominal


def test_pacer_paces_at_the_adapted_rate() -> None:
    clock = FakeClock()
    pacer = Pacer({"tke.DescribeClusters": 10}, burst_seconds=0.1, clock=clock, sleep=clock.sleep)
    api, region = "tke.DescribeClusters", "ap-guangzhou"
    pacer.throttled(api, region)  # 5 a second from now on
    start = clock.now
    for _ in range(50):
        pacer.acquire(api, region)
    assert 9.5 <= clock.now - start <= 10.5
