"""Money reads one way everywhere (issue 20, item 3): one formatter, one rule, written down in the README ("What each
orphan costs"). Whole units with thousands separators from 100 up, two decimals below, rounded half up; the currency
always shown; an amount that is not known is never written as 0."""

from __future__ import annotations

import math

import pytest

from tke_orphans.costs import money


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (1654.3, "CNY", "¥1,654"),
        (990.0, "CNY", "¥990"),
        (100.0, "CNY", "¥100"),
        (99.994, "CNY", "¥99.99"),
        (99.995, "CNY", "¥100"),  # cents first: it rounds to 100.00, so it is written whole
        (416.5, "CNY", "¥417"),  # half up, not to even
        (35.04, "CNY", "¥35.04"),
        (0.5, "CNY", "¥0.50"),
        (0.005, "CNY", "¥0.01"),
        (0.0, "CNY", "¥0.00"),  # a known zero (nothing wasted yet) is a zero
        (1234567.891, "USD", "$1,234,568"),
        (12.5, "EUR", "EUR 12.50"),
        (2500.0, "HKD", "HKD 2,500"),
        (-5.0, "CNY", "-¥5.00"),
        (None, "CNY", "unknown"),
        (0.0, None, "unknown"),  # a total with no currency: nothing was priced
        (math.nan, "CNY", "unknown"),
        (math.inf, "CNY", "unknown"),
    ],
)
def test_the_one_rule(value: float | None, currency: str | None, shown: str) -> None:
    assert money(value, currency) == shown


def test_an_unknown_amount_is_said_in_the_readers_language() -> None:
    from tke_orphans.notify.i18n import amount

    assert amount(None, "CNY", "zh-CN") == "未知" and amount(None, "CNY", "en") == "unknown"
    assert amount(1654.3, "CNY", "zh-CN") == amount(1654.3, "CNY", "en") == "¥1,654"
