"""The price cache: what each instance configuration costs, per account, for `pricing.cache_ttl`.

Only prices are kept: an unknown price is asked again next time (the failure may have been passing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from ..model import Cost
from ..records import cost_from_dict, cost_to_dict
from .store import Store, iso, stored_time


class Prices(Store):
    def fresh(self, account: str, keys: list[str], now: datetime, ttl: timedelta) -> dict[str, Cost]:
        """Key -> cost, for the keys priced less than `ttl` before `now`."""
        out: dict[str, Cost] = {}
        wanted = set(keys)
        # One read of the account's cache, not one SELECT per key: the keys of a pass are most of it.
        for row in self.db.query("SELECT key, cost_json, fetched_at FROM price_cache WHERE account = ?", (account,)):
            if row["key"] not in wanted:
                continue
            try:
                if now - stored_time(row["fetched_at"]) >= ttl:
                    continue
                out[row["key"]] = cost_from_dict(json.loads(row["cost_json"]))
            except (ValueError, KeyError, TypeError):
                continue  # an unreadable row is asked again, and overwritten
        return out

    def store(self, account: str, costs: Mapping[str, Cost], now: datetime) -> None:
        rows = [(account, k, json.dumps(cost_to_dict(c)), iso(now)) for k, c in costs.items() if c.source is not None]
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO price_cache (account, key, cost_json, fetched_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account, key) DO UPDATE SET cost_json = excluded.cost_json,"
                " fetched_at = excluded.fetched_at",
                rows,
            )
