"""The send ledger (notify.pacing.SendLedger): when each chat bot was posted to, so pacing holds across runs."""

from __future__ import annotations

from .store import Store


class Sends(Store):
    def recent_sends(self, bot: str, since: float) -> list[float]:
        rows = self.db.query("SELECT at FROM sends WHERE bot = ? AND at >= ? ORDER BY at", (bot, since))
        return [row["at"] for row in rows]

    def record_send(self, bot: str, at: float) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO sends (bot, at) VALUES (?, ?)", (bot, at))
            conn.execute("DELETE FROM sends WHERE at < ?", (at - 86400,))

    def forget_send(self, bot: str, at: float) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sends WHERE rowid IN (SELECT rowid FROM sends WHERE bot = ? AND at = ? LIMIT 1)",
                         (bot, at))  # fmt: skip
