"""Notices as JSON, so that the outbox can deliver what a run could not, on the next run, exactly once."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..model import ApiFailure
from ..notify.model import ActionLine, Notice, Resolved
from ..render.json import (
    candidate_json,
    failure_json,
    instance_from_json,
    instance_json,
    iso,
    orphan_from_json,
    parse_iso,
    unverified_from_json,
)


def notice_to_json(n: Notice, scan_id: int | None = None) -> dict[str, Any]:
    return {
        "kind": n.kind,
        "scanned_at": iso(n.scanned_at),
        "scan_id": scan_id,
        "orphans": [candidate_json(o) for o in n.orphans],
        "resolved": [
            {
                "account": r.account,
                "region": r.region,
                "how": r.how,
                "detail": r.detail,
                "first_seen": iso(r.first_seen),
                **instance_json(r.instance),
            }
            for r in n.resolved
        ],
        "unverified": [candidate_json(u) for u in n.unverified],
        "errors": [{"where": where, **failure_json(f)} for where, f in n.errors],
        "first_seen": {k: iso(v) for k, v in n.first_seen.items()},
        "status_url": n.status_url,
        "actions": [asdict(a) for a in n.actions],
    }


def notice_from_json(d: dict[str, Any], result: Any = None) -> Notice:
    scanned_at = parse_iso(d["scanned_at"])
    assert scanned_at is not None
    return Notice(
        kind=d["kind"],
        scanned_at=scanned_at,
        orphans=tuple(orphan_from_json(o) for o in d["orphans"]),
        resolved=tuple(
            Resolved(
                r["account"], r["region"], instance_from_json(r), r["how"], r["detail"], parse_iso(r["first_seen"])
            )
            for r in d["resolved"]
        ),
        unverified=tuple(unverified_from_json(u) for u in d["unverified"]),
        errors=tuple(
            (e["where"], ApiFailure(e["api"], e["code"], e["message"], e.get("cluster_id"))) for e in d["errors"]
        ),
        first_seen={k: t for k, v in d["first_seen"].items() if (t := parse_iso(v)) is not None},
        status_url=d.get("status_url"),
        result=result,
        actions=tuple(ActionLine(**a) for a in d.get("actions", [])),
    )
