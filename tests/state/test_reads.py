"""The state's reads in a pass do not grow with the orphans: the open orphans and the price cache are read at once."""

from __future__ import annotations

import re
from datetime import timedelta

from .conftest import Rig

PER_ROW = re.compile(r"^\s*SELECT\b.*\bFROM (orphans|price_cache)\b", re.IGNORECASE | re.DOTALL)


def _selects(rig: Rig) -> list[str]:
    seen: list[str] = []
    rig.state.conn.set_trace_callback(lambda sql: seen.append(sql) if PER_ROW.match(sql) else None)
    try:
        rig.run(advance=timedelta(minutes=5))
    finally:
        rig.state.conn.set_trace_callback(None)
    return seen


def test_a_repeat_pass_reads_the_open_orphans_and_prices_a_constant_number_of_times(rig: Rig) -> None:
    first = rig.run()
    assert len(first.result.orphans) >= 4  # enough that one read per orphan would show
    selects = _selects(rig)
    on_orphans = [s for s in selects if re.search(r"FROM orphans\b", s)]
    on_prices = [s for s in selects if "price_cache" in s]
    # The lifecycle's open list and apply's one read; pricing's one read per account.
    assert len(on_orphans) <= 2, on_orphans
    assert len(on_prices) <= 1, on_prices
