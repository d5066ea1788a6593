"""The `--output json` contract (schema_version 1): other tools parse this, so it changes only by adding keys."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .. import __version__
from ..model import ApiFailure, Instance, Orphan, ScanResult, Unverified

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
        "evidence": [{"kind": e.kind.value, "detail": e.detail} for e in c.evidence],
    }
    if isinstance(c, Unverified):
        out["why"] = c.why
    return out


def to_json(result: ScanResult) -> dict[str, Any]:
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
            }
            for r in result.regions
        ],
        "orphans": [candidate_json(o) for o in result.orphans],
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
