"""The status page, rendered once per scan and served from memory.

Rendering reads every open orphan and leftover and the last scan from the state: with 3,000 orphans, 32 readers at
once each rendering took the process from 94 MB to 845 MB. Here a page (per language and `?page=`) is rendered
once for the latest scan, one render at a time, and every reader gets the same bytes; a new scan makes the next
reader render it afresh. At most CACHED pages are kept, and each is bounded (page.PER_PAGE rows a list).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from ..records import leftover_from_dict
from ..state import StateDB
from .page import render_page

CACHED = 8


class StatusPages:
    def __init__(self, state: StateDB, timezone: str | None, on_render: Callable[[], None] = lambda: None) -> None:
        self.state, self.timezone, self.on_render = state, timezone, on_render
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[int | None, str, int], bytes] = OrderedDict()

    def get(self, lang: Literal["zh-CN", "en"], page: int) -> bytes:
        latest = self.state.scans.recent(1)
        key = (latest[0]["id"] if latest else None, lang, page)
        with self._lock:  # one render at a time; those who waited for it get its bytes
            body = self._pages.get(key)
            if body is None:
                body = self._render(lang, page)
                self._pages[key] = body
                while len(self._pages) > CACHED:
                    self._pages.popitem(last=False)
            self._pages.move_to_end(key)
            return body

    def _render(self, lang: Literal["zh-CN", "en"], page: int) -> bytes:
        self.on_render()
        db = self.state
        rows, last, recent = db.orphans.open_rows(), db.scans.last(), db.scans.recent(50)
        leftovers = [(leftover_from_dict(dict(t.record)), t.first_seen) for t in db.leftovers.open()]
        html = render_page(rows, last, recent, lang, timezone=self.timezone, leftovers=leftovers, page=page)
        return html.encode("utf-8")
