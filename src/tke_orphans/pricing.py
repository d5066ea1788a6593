"""Pricing the orphans and leftovers of a scan: one inquiry per distinct configuration, through a cache that lives
in the state.

Pricing only adds a figure: it never changes which instances are orphans (or what is a leftover) nor a region's
status. A price that
cannot be had is a Cost with `source` None and the reason.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from .cloud import Session
from .cloud.errors import MAX_TEXT, CloudError, as_text
from .cloud.pricing import Quote, config_key, is_price, quote, quoted
from .facts import english, fact
from .kinds import KINDS
from .model import Cost, Leftover, Orphan

log = logging.getLogger(__name__)
# Price calls are 10/s per API and region, and regions have separate budgets: a few workers per region keep every
# region's pacer busy at once (a shared pool taken region by region would price one region after the other).
WORKERS_PER_REGION = 4
MAX_WORKERS = 64


class PriceCache(Protocol):
    def fresh(self, account: str, keys: list[str], now: datetime, ttl: timedelta) -> dict[str, Cost]: ...
    def store(self, account: str, costs: Mapping[str, Cost], now: datetime) -> None: ...


@dataclass(frozen=True)
class PricingStats:
    """What pricing did: configurations asked (each one `quote`, one to three calls) and served from the cache."""

    asked: int = 0
    cached: int = 0
    unpriced: int = 0
    seconds: float = 0.0


def _interleaved(groups: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Round-robin over (account, region): the workers are spread over the regions from the start."""
    by_region: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for g in groups:
        by_region.setdefault((g[0], g[1]), []).append(g)
    queues = list(by_region.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


Group = tuple[str, str, str]  # (account, region, configuration key)
Ask = Callable[[Session, str], Quote]


def _price_groups(
    groups: Mapping[Group, Ask],
    sessions: Mapping[str, Session],
    *,
    currency: str,
    now: datetime,
    ttl: timedelta,
    cache: PriceCache | None,
) -> tuple[dict[Group, Cost], int]:
    """One cost per group: from the cache when fresh, else asked (paced by the session, spread over the regions);
    what was asked and priced goes back in the cache, an unknown price does not. Also the number asked."""
    costs: dict[Group, Cost] = {}
    if cache is not None:
        for account in sorted({a for a, _, _ in groups}):
            keys = [f"{r}|{k}" for a, r, k in groups if a == account]
            for rk, cost in cache.fresh(account, keys, now, ttl).items():
                region, key = rk.split("|", 1)
                if believed(cost):  # what an older version kept without checking it is asked again
                    costs[(account, region, key)] = cost
    todo = _interleaved([g for g in groups if g not in costs])
    regions = len({(a, r) for a, r, _ in todo})
    workers = max(1, min(len(todo), WORKERS_PER_REGION * regions, MAX_WORKERS))
    with ThreadPoolExecutor(workers, thread_name_prefix="price") as pool:
        futures = {g: pool.submit(groups[g], sessions[g[0]], g[1]) for g in todo}
        for g, fut in futures.items():
            try:
                q = fut.result()
            except Exception as exc:  # an answer nobody foresaw: this price is unknown, the scan goes on
                log.warning("pricing %s in %s failed: %r", g[2], g[1], exc)
                room = MAX_TEXT - len(english(fact("price.crashed", "")))  # the sentence, as bounded as before
                crashed = fact("price.crashed", as_text(repr(exc), room))
                costs[g] = Cost(currency, None, None, None, english(crashed), (crashed,))
                continue
            if q.currency is not None and q.currency != currency:  # a list price in another currency: not this one
                said = fact("price.other_currency", q.currency, currency)
                costs[g] = Cost(currency, None, None, None, english(said), (said,))
                continue
            costs[g] = Cost(currency, q.hourly, q.monthly, q.source, q.detail, q.facts)
    if cache is not None and todo:
        for account in sorted({g[0] for g in todo}):
            cache.store(account, {f"{g[1]}|{g[2]}": costs[g] for g in todo if g[0] == account}, now)
    return costs, len(todo)


def believed(cost: Cost) -> bool:
    """A known price that could be one: what every price answer is checked for (cloud/pricing.py)."""
    return cost.source is not None and is_price(cost.hourly) and is_price(cost.monthly)


Finding = Orphan | Leftover


def leftover_key(x: Leftover) -> str:
    """What the price depends on, prefixed by the kind (the state's price cache also holds VM configurations, whose
    keys start with "["); leftovers with equal keys get one inquiry. The zone is not in it: the disk and address
    inquiries take none, and a CLB's price is the region's."""
    return f"{x.kind}:" + json.dumps(list(KINDS[x.kind].price_key(x.billing)), separators=(",", ":"))


def quote_leftover(session: Session, region: str, x: Leftover) -> Quote:
    """The price of keeping this leftover, or an unknown price with the reason; never raises for the cloud's no."""
    try:
        return KINDS[x.kind].price(session, region, x.billing)
    except CloudError as exc:
        return quoted(None, None, None, [fact("api.error", exc.api, exc.code, exc.message)])


def _key(x: Finding) -> str:
    return config_key(x.instance) if isinstance(x, Orphan) else leftover_key(x)


def _ask(x: Finding, session: Session, region: str) -> Quote:
    # Looked up when called (not bound here): a test replaces one of them to break it.
    return quote(session, region, x.instance) if isinstance(x, Orphan) else quote_leftover(session, region, x)


def price_findings(
    items: Sequence[Finding],
    sessions: Mapping[str, Session],
    *,
    currency: str,
    now: datetime,
    ttl: timedelta,
    cache: PriceCache | None = None,
) -> tuple[list[Finding], PricingStats]:
    """Orphans and leftovers (reused CLBs too: their owner may want to know) with their `cost`, every distinct
    configuration asked once, all of them side by side; the cache (the state's) is read and written from this thread
    only."""
    started = time.monotonic()
    groups: dict[Group, Ask] = {}
    for x in items:
        groups.setdefault((x.account, x.region, _key(x)), partial(_ask, x))
    costs, asked = _price_groups(groups, sessions, currency=currency, now=now, ttl=ttl, cache=cache)
    priced: list[Finding] = [replace(x, cost=costs[(x.account, x.region, _key(x))]) for x in items]
    stats = PricingStats(asked, len(groups) - asked, sum(1 for x in priced if x.cost and x.cost.source is None),
                         round(time.monotonic() - started, 3))  # fmt: skip
    log.debug("priced %d finding(s): %d configuration(s) asked, %d from the cache, %d without a price, %.2fs",
              len(priced), stats.asked, stats.cached, stats.unpriced, stats.seconds)  # fmt: skip
    return priced, stats
