"""The `--output json` contract (schema_version 1): other tools parse this, so it changes only by adding keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .. import __version__
from ..model import (
    ApiFailure,
    Evidence,
    EvidenceKind,
    Excluded,
    ExcludedWhy,
    Instance,
    Orphan,
    Reason,
    RegionResult,
    ScanResult,
    Unverified,
)

SCHEMA_VERSION = 1


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_json(f: ApiFailure) -> dict[str, Any]:
    return {"api": f.api, "cluster_id": f.cluster_id, "code": f.code, "message": f.message}


def instance_json(inst: Instance) -> dict[str, Any]:
    return {
        "zone": inst.zone,
        "instance_id": inst.instance_id,
        "instance_name": inst.name,
        "state": inst.state,
        "instance_type": inst.instance_type,
        "cpu": inst.cpu,
        "memory_gb": inst.memory_gb,
        "charge_type": inst.charge_type,
        "created_time": iso(inst.created),
        "expired_time": iso(inst.expired),
        "private_ips": list(inst.private_ips),
        "public_ips": list(inst.public_ips),
        "tags": dict(inst.tags),
    }


def candidate_json(c: Orphan | Unverified) -> dict[str, Any]:
    out: dict[str, Any] = {"account": c.account, "region": c.region, **instance_json(c.instance)}
    out |= {
        "cluster_id": c.cluster_id,
        "node_pool_id": c.node_pool_id,
        "reason": c.reason.value if isinstance(c, Orphan) else None,
        "evidence": [{"kind": e.kind.value, "detail": e.detail, "subject": e.subject} for e in c.evidence],
    }
    if isinstance(c, Unverified):
        out["why"] = c.why
    return out


def _aged(c: dict[str, Any], scanned_at: datetime, first_seen: Mapping[str, datetime] | None) -> dict[str, Any]:
    first = (first_seen or {}).get(c["instance_id"])
    c["first_seen"] = iso(first)
    c["orphaned_for_seconds"] = None if first is None else int((scanned_at - first).total_seconds())
    return c


def to_json(result: ScanResult, first_seen: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """`first_seen` (from the state) adds when each orphan was first seen and how long it has been one."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "scanned_at": iso(result.scanned_at),
        "status": result.status,
        "errors": [failure_json(f) for f in result.errors],
        "regions": [
            {
                "account": r.account,
                "region": r.region,
                "status": r.status,
                "instances": r.instances,
                "clusters": r.clusters,
                "nodes": r.nodes,
                "errors": [failure_json(f) for f in r.errors],
                "rate_adapted": dict(r.rate_adapted),
            }
            for r in result.regions
        ],
        "orphans": [_aged(candidate_json(o), result.scanned_at, first_seen) for o in result.orphans],
        "unverified": [candidate_json(u) for u in result.unverified],
        "excluded": [
            {
                "account": e.account,
                "region": e.region,
                "instance_id": e.instance_id,
                "why": e.why.value,
                "detail": e.detail,
            }
            for e in result.excluded
        ],
        "summary": {
            "orphans": len(result.orphans),
            "unverified": len(result.unverified),
            "by_region": result.by_region,
            "by_reason": result.by_reason,
        },
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(to_json(result), ensure_ascii=False, indent=2)


# ---- reading it back (preview of a saved result, the state's last scan) ----------------------------------------


def parse_iso(value: str | None) -> datetime | None:
    """The inverse of `iso` (state rows, saved results, the outbox)."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _failure(d: dict[str, Any]) -> ApiFailure:
    return ApiFailure(d["api"], d["code"], d["message"], d.get("cluster_id"))


def instance_from_json(d: dict[str, Any]) -> Instance:
    created = parse_iso(d["created_time"])
    assert created is not None
    return Instance(
        instance_id=d["instance_id"],
        name=d["instance_name"],
        state=d["state"],
        instance_type=d["instance_type"],
        cpu=d["cpu"],
        memory_gb=d["memory_gb"],
        charge_type=d["charge_type"],
        created=created,
        expired=parse_iso(d.get("expired_time")),
        zone=d["zone"],
        vpc_id=d.get("vpc_id", ""),
        private_ips=tuple(d["private_ips"]),
        public_ips=tuple(d["public_ips"]),
        tags=tuple(d["tags"].items()),
    )


def _evidence(d: dict[str, Any]) -> tuple[Evidence, ...]:
    return tuple(Evidence(EvidenceKind(e["kind"]), e["detail"], e.get("subject", "")) for e in d["evidence"])


def orphan_from_json(o: dict[str, Any]) -> Orphan:
    return Orphan(
        o["account"],
        o["region"],
        instance_from_json(o),
        Reason(o["reason"]),
        _evidence(o),
        o["cluster_id"],
        o["node_pool_id"],
    )


def unverified_from_json(u: dict[str, Any]) -> Unverified:
    return Unverified(
        u["account"], u["region"], instance_from_json(u), _evidence(u), u["why"], u["cluster_id"], u["node_pool_id"]
    )


def from_json(doc: dict[str, Any]) -> ScanResult:
    """The inverse of to_json, for schema_version 1. Raises ValueError on anything else."""
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"not a tke-orphans scan result with schema_version {SCHEMA_VERSION}")
    try:
        scanned_at = parse_iso(doc["scanned_at"])
        assert scanned_at is not None
        return ScanResult(
            scanned_at=scanned_at,
            status=doc["status"],
            regions=tuple(
                RegionResult(
                    r["account"],
                    r["region"],
                    r["status"],
                    r["instances"],
                    r["clusters"],
                    r["nodes"],
                    tuple(_failure(e) for e in r["errors"]),
                    tuple((str(k), float(v)) for k, v in (r.get("rate_adapted") or {}).items()),
                )
                for r in doc["regions"]
            ),
            orphans=tuple(orphan_from_json(o) for o in doc["orphans"]),
            unverified=tuple(unverified_from_json(u) for u in doc["unverified"]),
            excluded=tuple(
                Excluded(
                    e.get("account", ""), e["region"], e["instance_id"], ExcludedWhy(e["why"]), e.get("detail", "")
                )
                for e in doc["excluded"]
            ),
            errors=tuple(_failure(e) for e in doc.get("errors", [])),
        )
    except (KeyError, TypeError, AttributeError, AssertionError, IndexError) as exc:
        raise ValueError(f"not a complete scan result: missing or wrong {exc}") from None
