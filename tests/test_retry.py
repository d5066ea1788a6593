"""Small unit tests of the one retry loop and backoff (the callers' rules are tested at the real boundaries)."""

from __future__ import annotations

from tke_orphans.retry import Backoff, no_jitter, retrying, up_to_double


def test_backoff_doubles_up_to_its_cap_and_jitters_within_bounds() -> None:
    assert [Backoff(0.5, 3, no_jitter).delay(n) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]
    assert all(0 <= Backoff(1, 4).delay(n) <= 4 for n in range(1, 20))
    assert all(8 <= Backoff(2, jitter=up_to_double).delay(3) <= 16 for _ in range(50))


def test_retrying_waits_as_the_rule_says_and_stops_when_it_says_none() -> None:
    waits: list[float] = []
    outcome = retrying(lambda n: n, lambda n, _: None if n == 3 else n / 10, waits.append)
    assert outcome == 3 and waits == [0.1, 0.2]
