"""events.Debounce, pure (the caller's clock): many asks make one scan, never more than one per floor for an account
and region, and a whole pass covers what was asked before it."""

from __future__ import annotations

from tke_orphans.events import Debounce

GZ, SH = ("default", "ap-guangzhou"), ("default", "ap-shanghai")


def test_many_asks_make_one_scan_and_the_floor_holds_per_account_and_region() -> None:
    d = Debounce(floor=60)
    for t in range(100):
        d.ask(GZ, 1000 + t / 100)
    assert d.take(1001) == [GZ] and d.take(1001) == []
    d.ask(GZ, 1002)
    d.ask(SH, 1003)
    assert d.take(1003) == [SH]  # another region is not held back by Guangzhou's floor
    assert d.next_at() == 1061  # Guangzhou's next scan: a floor after its last
    assert d.take(1060.9) == []
    assert d.take(1061) == [GZ]
    assert d.next_at() is None


def test_a_whole_pass_covers_what_was_asked_before_it() -> None:
    d = Debounce(floor=60)
    d.ask(GZ, 10)
    d.ask(SH, 30)
    d.covered(20)
    assert d.take(100) == [SH]
