"""The status page, rendered once per scan and served from memory.

Rendering reads every open orphan and leftover and the last scan from the state: with 3,000 orphans, 32 readers at
once each rendering took the process from 94 MB to 845 MB. Here a page (per language and `?page=`) is rendered
once for the latest scan, one render at a time, and every reader gets the same bytes; a new scan makes the next
reader render it afresh. At most CACHED pages are kept, and each is bounded (page.PER_PAGE rows a list).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal, Protocol, TypeVar

from ..model import ScanResult
from ..records import leftover_from_dict
from ..state import StateDB
from .page import render_page

CACHED = 8


class _OfAccount(Protocol):
    @property
    def account(self) -> str: ...


T = TypeVar("T", bound=_OfAccount)


class StatusPages:
    def __init__(self, state: StateDB, timezone: str | None, on_render: Callable[[], None] = lambda: None) -> None:
        self.state, self.timezone, self.on_render = state, timezone, on_render
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[int | None, str, int, str], bytes] = OrderedDict()

    def get(self, lang: Literal["zh-CN", "en"], page: int, account: str = "") -> bytes:
        """`account`: only that account's findings; one with no open finding shows every account's (a query
        cannot make renders of pages nobody else asks for)."""
        latest = self.state.scans.recent(1)
        accounts = sorted(self.state.orphans.accounts() | self.state.leftovers.accounts())
        account = account if account in accounts and len(accounts) > 1 else ""
        key = (latest[0]["id"] if latest else None, lang, page, account)
        with self._lock:  # one render at a time; those who waited for it get its bytes
            body = self._pages.get(key)
            if body is None:
                body = self._render(lang, page, account, accounts)
                self._pages[key] = body
                while len(self._pages) > CACHED:
                    self._pages.popitem(last=False)
            self._pages.move_to_end(key)
            return body

    def _render(self, lang: Literal["zh-CN", "en"], page: int, account: str, accounts: list[str]) -> bytes:
        self.on_render()
        db = self.state
        rows, last, recent = db.orphans.open_rows(), db.scans.last(), db.scans.recent(50)
        leftovers = [(leftover_from_dict(dict(t.record)), t.first_seen) for t in db.leftovers.open()]
        if account:
            rows = [r for r in rows if r["account"] == account]
            leftovers = [(x, first) for x, first in leftovers if x.account == account]
            last = None if last is None else of_account(last, account)
        html = render_page(rows, last, recent, lang, timezone=self.timezone, leftovers=leftovers, page=page,
                           accounts=accounts, account=account)  # fmt: skip
        return html.encode("utf-8")


def of_account(result: ScanResult, account: str) -> ScanResult:
    """A scan's share of one account: its regions, orphans, leftovers, the candidates it could not check."""

    def mine(items: Iterable[T]) -> tuple[T, ...]:
        return tuple(x for x in items if x.account == account)

    return replace(result, regions=mine(result.regions), orphans=mine(result.orphans),
                   leftovers=mine(result.leftovers), unverified=mine(result.unverified),
                   excluded=mine(result.excluded))  # fmt: skip
