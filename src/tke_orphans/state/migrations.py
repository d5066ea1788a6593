"""Named schema migrations, applied in order inside one transaction each and recorded in the database itself."""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            orphans INTEGER NOT NULL DEFAULT 0,
            unverified INTEGER NOT NULL DEFAULT 0,
            errors_json TEXT NOT NULL DEFAULT '[]',
            result_json TEXT
        );
        -- When each chat bot was last posted to, so pacing holds across runs.
        CREATE TABLE sends (bot TEXT NOT NULL, at REAL NOT NULL);
        CREATE INDEX sends_bot_at ON sends (bot, at);
        """,
    ),
]
