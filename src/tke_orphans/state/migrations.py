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

MIGRATIONS += [
    (
        "0002_lifecycle",
        """
        -- One row per instance ever seen as an orphan; open while resolved_at is NULL.
        CREATE TABLE orphans (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_notified TEXT,
            resolved_at TEXT,
            resolved_how TEXT,
            resolved_detail TEXT,
            record_json TEXT NOT NULL,
            PRIMARY KEY (account, region, instance_id)
        );
        CREATE INDEX orphans_open ON orphans (resolved_at);
        -- Every change of an orphan's evidence, for the history.
        CREATE TABLE evidence_history (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            evidence_json TEXT NOT NULL
        );
        -- Which cluster each node belonged to: an instance seen as a node and now in no cluster was removed.
        CREATE TABLE nodes (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            cluster_id TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (account, region, instance_id)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            account TEXT NOT NULL DEFAULT '',
            region TEXT NOT NULL DEFAULT '',
            instance_id TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX events_at ON events (at);
        CREATE INDEX events_instance ON events (instance_id);
        -- Notices to deliver; `pending_json` lists the channel#part still owed (NULL: every channel, every part).
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            notice_json TEXT NOT NULL,
            pending_json TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            done_at TEXT
        );
        """,
    ),
]

MIGRATIONS += [
    (
        "0003_actions",
        """
        -- Every cleanup decision: who, when, what, and what the API answered (dry runs too, marked so).
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            request_id TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX actions_instance ON actions (instance_id);
        """,
    ),
]

MIGRATIONS += [
    (
        "0004_told_issues",
        """
        -- What could not be checked, as last told: a problem is told when it appears, not on every run it lasts.
        CREATE TABLE told_issues (key TEXT PRIMARY KEY);
        """,
    ),
]

MIGRATIONS += [
    (
        "0005_outbox_parts",
        """
        -- Each part accepted by each channel, committed as it is accepted: a run killed mid-delivery owes only the
        -- rest. (`outbox.pending_json`, from before, still limits what an older entry owes.)
        CREATE TABLE outbox_parts (
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            channel TEXT NOT NULL,
            part INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (outbox_id, channel, part)
        );
        -- How an entry ended: delivered, superseded (by a newer digest) or dead (given up); and the last failure.
        ALTER TABLE outbox ADD COLUMN outcome TEXT;
        ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
        UPDATE outbox SET outcome = 'delivered' WHERE done_at IS NOT NULL;
        """,
    ),
]

MIGRATIONS += [
    (
        "0006_price_cache",
        """
        -- Prices of instance configurations (cloud/pricing.py's key), per account: they change rarely, and serve
        -- should not ask again every pass. Read back only within pricing.cache_ttl of fetched_at.
        CREATE TABLE price_cache (
            account TEXT NOT NULL,
            key TEXT NOT NULL,
            cost_json TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (account, key)
        );
        """,
    ),
    (
        "0007_leftovers",
        """
        -- One row per disk, load balancer or address ever seen as a deleted cluster's leftover; open while
        -- resolved_at is NULL. Resource ids are unique across kinds (disk-, lb-, eip-).
        CREATE TABLE leftovers (
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_notified TEXT,
            resolved_at TEXT,
            resolved_how TEXT,
            resolved_detail TEXT,
            record_json TEXT NOT NULL,
            PRIMARY KEY (account, region, resource_id)
        );
        CREATE INDEX leftovers_open ON leftovers (resolved_at);
        """,
    ),
    (
        "0008_action_kind",
        """
        -- Cleanup acts on disks, load balancers and addresses too: instance_id holds their ids, kind says which.
        ALTER TABLE actions ADD COLUMN kind TEXT NOT NULL DEFAULT 'cvm';
        """,
    ),
    (
        "0008_cleanup_calls",
        """
        -- Each mutating call of cleanup is written before it is sent (outcome 'pending') and settled as soon as it
        -- answers: a run killed in between leaves the pending row, which the next run looks up by id and settles.
        -- run_id ties the rows of one run; call is the API (a second TerminateInstances of the recycle bin says so).
        ALTER TABLE actions ADD COLUMN run_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE actions ADD COLUMN call TEXT NOT NULL DEFAULT '';
        CREATE INDEX actions_outcome ON actions (outcome);
        """,
    ),
]

MIGRATIONS += [
    (
        "0009_retention",
        """
        -- A scan's whole result in a table of its own: dropped once nothing reads it (retention.py), it frees its
        -- pages whole, while the summaries in `scans` stay packed (a result beside them left a page per scan).
        -- scans.result_json is no longer written. Moved: the newest result, and those notices still owed refer to.
        CREATE TABLE scan_results (
            scan_id INTEGER PRIMARY KEY REFERENCES scans (id),
            result_json TEXT NOT NULL
        );
        INSERT INTO scan_results (scan_id, result_json) SELECT id, result_json FROM scans
            WHERE result_json IS NOT NULL AND (id = (SELECT max(id) FROM scans WHERE result_json IS NOT NULL)
            OR id IN (SELECT json_extract(notice_json, '$.scan_id') FROM outbox
                      WHERE done_at IS NULL AND json_valid(notice_json)));
        UPDATE scans SET result_json = NULL WHERE result_json IS NOT NULL;
        -- What pruning looks rows up by. (The file itself turns to incremental vacuum at open: db.py.)
        CREATE INDEX scans_started ON scans (started_at);
        CREATE INDEX actions_at ON actions (at);
        CREATE INDEX outbox_done ON outbox (done_at);
        """,
    ),
]
