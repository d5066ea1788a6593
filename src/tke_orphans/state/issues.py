"""Which problems (could not check X) were already told: each is told once, until it goes away."""

from __future__ import annotations

from collections.abc import Iterable

from .store import Store


class ToldIssues(Store):
    def told(self) -> set[str]:
        return {r["key"] for r in self.db.query("SELECT key FROM told_issues")}

    def set(self, keys: Iterable[str]) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM told_issues")
            conn.executemany("INSERT INTO told_issues (key) VALUES (?)", [(k,) for k in keys])
