"""Records <-> plain dicts (JSON-ready): the one encoding of every record, which the state stores and the `--output
json` contract (render/json.py) is made from.

Every field is kept, so a record read back equals the one written. The keys are those of the JSON contract
(schema_version 1, `instance_name`, `created_time`, ...) plus the fields it does not show (`vpc_id`,
`disable_api_termination`, what the price depends on: `image_id`, disks, bandwidth, `renew_flag`), so rows written
before those were stored still read, with the fields' defaults.
Times are UTC, to the second, as `2026-01-02T03:04:05Z`.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, overload

from .facts import Fact, fact_from_dict, fact_to_dict
from .model import (
    VM,
    AccountInfo,
    ActionLine,
    ApiFailure,
    Billing,
    Cost,
    Disk,
    Evidence,
    EvidenceKind,
    Excluded,
    ExcludedWhy,
    Instance,
    Internet,
    Leftover,
    Notice,
    Origin,
    Orphan,
    Reason,
    RegionResult,
    Resolved,
    ScanResult,
    Unverified,
    Vm,
)

Doc = dict[str, Any]


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


@overload
def parse_iso(value: str) -> datetime: ...
@overload
def parse_iso(value: None) -> None: ...
@overload
def parse_iso(value: str | None) -> datetime | None: ...


def parse_iso(value: str | None) -> datetime | None:
    """The inverse of `iso` (and of any ISO 8601 time); raises ValueError on anything else."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _time(value: str) -> datetime:
    parsed = parse_iso(value)
    if parsed is None:
        raise ValueError("a time is missing")
    return parsed


# ---- the parts --------------------------------------------------------------------------------------------------


def failure_to_dict(f: ApiFailure) -> Doc:
    return {"api": f.api, "cluster_id": f.cluster_id, "code": f.code, "message": f.message}


def failure_from_dict(d: Doc) -> ApiFailure:
    return ApiFailure(d["api"], d["code"], d["message"], d.get("cluster_id"))


def disk_to_dict(d: Disk) -> Doc:
    return {"disk_type": d.disk_type, "disk_size": d.size_gb, "disk_id": d.disk_id,
            "delete_with_instance": d.delete_with_instance}  # fmt: skip


def disk_from_dict(d: Doc) -> Disk:
    return Disk(d["disk_type"], d["disk_size"], d.get("disk_id", ""), d.get("delete_with_instance"))


def internet_to_dict(i: Internet) -> Doc:
    return {"charge_type": i.charge_type, "max_bandwidth_out": i.max_bandwidth_out,
            "bandwidth_package_id": i.bandwidth_package_id}  # fmt: skip


def internet_from_dict(d: Doc) -> Internet:
    return Internet(d["charge_type"], d["max_bandwidth_out"], d.get("bandwidth_package_id", ""))


def facts_to_list(facts: tuple[Fact, ...]) -> list[Doc]:
    return [fact_to_dict(f) for f in facts]


def facts_from_list(items: list[Doc] | None) -> tuple[Fact, ...]:
    return tuple(fact_from_dict(f) for f in items or ())


def _fact(d: Doc | None) -> Fact | None:
    return None if d is None else fact_from_dict(d)


def cost_to_dict(c: Cost) -> Doc:
    return {"currency": c.currency, "hourly": c.hourly, "monthly": c.monthly, "source": c.source, "detail": c.detail,
            "facts": facts_to_list(c.facts)}  # fmt: skip


def cost_from_dict(d: Doc) -> Cost:
    return Cost(d["currency"], d["hourly"], d["monthly"], d["source"], d["detail"], facts_from_list(d.get("facts")))


def instance_to_dict(inst: Instance) -> Doc:
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
        "vpc_id": inst.vpc_id,
        "disable_api_termination": inst.disable_api_termination,
        "image_id": inst.image_id,
        "system_disk": None if inst.system_disk is None else disk_to_dict(inst.system_disk),
        "data_disks": [disk_to_dict(d) for d in inst.data_disks],
        "internet_accessible": None if inst.internet is None else internet_to_dict(inst.internet),
        "renew_flag": inst.renew_flag,
    }


def instance_from_dict(d: Doc) -> Instance:
    return Instance(
        instance_id=d["instance_id"],
        name=d["instance_name"],
        state=d["state"],
        instance_type=d["instance_type"],
        cpu=d["cpu"],
        memory_gb=d["memory_gb"],
        charge_type=d["charge_type"],
        created=_time(d["created_time"]),
        expired=parse_iso(d.get("expired_time")),
        zone=d["zone"],
        vpc_id=d.get("vpc_id", ""),
        private_ips=tuple(d["private_ips"]),
        public_ips=tuple(d["public_ips"]),
        tags=tuple(d["tags"].items()),
        disable_api_termination=bool(d.get("disable_api_termination", False)),
        image_id=d.get("image_id", ""),
        system_disk=None if d.get("system_disk") is None else disk_from_dict(d["system_disk"]),
        data_disks=tuple(disk_from_dict(x) for x in d.get("data_disks") or ()),
        internet=None if d.get("internet_accessible") is None else internet_from_dict(d["internet_accessible"]),
        renew_flag=d.get("renew_flag", ""),
    )


def _evidence(d: Doc) -> tuple[Evidence, ...]:
    return tuple(Evidence(EvidenceKind(e["kind"]), e["detail"], e.get("subject", ""), _fact(e.get("fact")))
                 for e in d["evidence"])  # fmt: skip


def _evidence_to_dict(e: Evidence) -> Doc:
    """The fact only where there is one (a legacy rule's): the JSON output leaves it out (render/json.py)."""
    out: Doc = {"kind": e.kind.value, "detail": e.detail, "subject": e.subject}
    return out if e.fact is None else out | {"fact": fact_to_dict(e.fact)}


def candidate_to_dict(c: Orphan | Unverified) -> Doc:
    """An orphan or an unverified candidate, its instance's fields inline."""
    out: Doc = {"account": c.account, "region": c.region, **instance_to_dict(c.instance)}
    out |= {
        "cluster_id": c.cluster_id,
        "node_pool_id": c.node_pool_id,
        "reason": c.reason.value if isinstance(c, Orphan) else None,
        "evidence": [_evidence_to_dict(e) for e in c.evidence],
    }
    if isinstance(c, Unverified):
        out["why"] = c.why
        out["why_facts"] = facts_to_list(c.facts)
    else:
        out["cost"] = None if c.cost is None else cost_to_dict(c.cost)
        out |= origin_to_dict(c.origin, c.origin_note)
    return out


def origin_to_dict(o: Origin | None, note: str) -> Doc:
    origin = None if o is None else {"event": o.event, "time": iso(o.time), "who": o.who, "how": o.how,
                                     "request_id": o.request_id}  # fmt: skip
    return {"origin": origin, "origin_note": note}


def origin_from_dict(d: Doc) -> tuple[Origin | None, str]:
    """A record kept before attribution has neither key: no origin, and nothing said."""
    o = d.get("origin")
    note = str(d.get("origin_note") or "")
    if not isinstance(o, dict):
        return None, note
    return Origin(o["event"], _time(o["time"]), o["who"], o["how"], o["request_id"]), note


def orphan_from_dict(d: Doc) -> Orphan:
    cost = d.get("cost")
    return Orphan(
        d["account"], d["region"], instance_from_dict(d), Reason(d["reason"]), _evidence(d), d["cluster_id"],
        d["node_pool_id"], None if cost is None else cost_from_dict(cost), *origin_from_dict(d),
    )  # fmt: skip


def unverified_from_dict(d: Doc) -> Unverified:
    return Unverified(d["account"], d["region"], instance_from_dict(d), _evidence(d), d["why"], d["cluster_id"],
                      d["node_pool_id"], facts_from_list(d.get("why_facts")))  # fmt: skip


def excluded_to_dict(e: Excluded) -> Doc:
    return {"account": e.account, "region": e.region, "instance_id": e.instance_id, "why": e.why.value,
            "detail": e.detail, "fact": None if e.fact is None else fact_to_dict(e.fact)}  # fmt: skip


def excluded_from_dict(d: Doc) -> Excluded:
    return Excluded(d.get("account", ""), d["region"], d["instance_id"], ExcludedWhy(d["why"]), d.get("detail", ""),
                    _fact(d.get("fact")))  # fmt: skip


def region_to_dict(r: RegionResult) -> Doc:
    return {
        "account": r.account,
        "region": r.region,
        "status": r.status,
        "instances": r.instances,
        "clusters": r.clusters,
        "nodes": r.nodes,
        "errors": [failure_to_dict(f) for f in r.errors],
        "rate_adapted": dict(r.rate_adapted),
    }


def region_from_dict(d: Doc) -> RegionResult:
    return RegionResult(
        d["account"], d["region"], d["status"], d["instances"], d["clusters"], d["nodes"],
        tuple(failure_from_dict(e) for e in d["errors"]),
        tuple((str(k), float(v)) for k, v in (d.get("rate_adapted") or {}).items()),
    )  # fmt: skip


def billing_to_dict(b: Billing) -> Doc:
    return {f.name: getattr(b, f.name) for f in fields(Billing)}


def billing_from_dict(d: Doc) -> Billing:
    """Unknown keys are left out: a record written by a later version still reads."""
    return Billing(**{f.name: d[f.name] for f in fields(Billing) if f.name in d})


def leftover_to_dict(x: Leftover) -> Doc:
    return {"account": x.account, "region": x.region, "kind": x.kind, "resource_id": x.resource_id,
            "name": x.name, "cluster_id": x.cluster_id, "evidence": list(x.evidence), "state": x.state,
            "created_time": iso(x.created), "attached": x.attached, "reused": x.reused,
            "cost": cost_to_dict(x.cost) if x.cost else None, "billing": billing_to_dict(x.billing),
            "facts": facts_to_list(x.facts), "tags": dict(x.tags),
            **origin_to_dict(x.origin, x.origin_note)}  # fmt: skip


def leftover_from_dict(d: Doc) -> Leftover:
    return Leftover(d["account"], d["region"], str(d["kind"]), d["resource_id"], d["name"], d["cluster_id"],
                    tuple(d["evidence"]), d["state"], parse_iso(d["created_time"]), bool(d.get("attached", False)),
                    bool(d["reused"]), cost_from_dict(d["cost"]) if d.get("cost") else None,
                    billing_from_dict(d.get("billing") or {}), facts_from_list(d.get("facts")),
                    tuple((d.get("tags") or {}).items()), *origin_from_dict(d))  # fmt: skip


# ---- a whole scan -----------------------------------------------------------------------------------------------


def scan_to_dict(result: ScanResult) -> Doc:
    """Every field but `snapshots` (what the state keeps of them is its node history)."""
    return {
        "scanned_at": iso(result.scanned_at),
        "status": result.status,
        "errors": [failure_to_dict(f) for f in result.errors],
        "regions": [region_to_dict(r) for r in result.regions],
        "orphans": [candidate_to_dict(o) for o in result.orphans],
        "unverified": [candidate_to_dict(u) for u in result.unverified],
        "excluded": [excluded_to_dict(e) for e in result.excluded],
        "leftovers": [leftover_to_dict(x) for x in result.leftovers],
        "accounts": [asdict(a) for a in result.accounts],
    }


def scan_from_dict(doc: Doc) -> ScanResult:
    """Raises ValueError on anything that is not a complete scan."""
    if not isinstance(doc, dict):
        raise ValueError("not a scan result (not a JSON object)")
    try:
        return ScanResult(
            scanned_at=_time(doc["scanned_at"]),
            status=doc["status"],
            regions=tuple(region_from_dict(r) for r in doc["regions"]),
            orphans=tuple(orphan_from_dict(o) for o in doc["orphans"]),
            unverified=tuple(unverified_from_dict(u) for u in doc["unverified"]),
            excluded=tuple(excluded_from_dict(e) for e in doc["excluded"]),
            errors=tuple(failure_from_dict(e) for e in doc.get("errors", [])),
            leftovers=tuple(leftover_from_dict(x) for x in doc.get("leftovers", [])),
            accounts=tuple(AccountInfo(**a) for a in doc.get("accounts", [])),
        )
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ValueError(f"not a complete scan result: missing or wrong {exc}") from None


# ---- notices (the outbox) ---------------------------------------------------------------------------------------


def finding_to_dict(f: Orphan | Leftover) -> Doc:
    """Any finding, its kind first: how a notice keeps findings of every kind in one list."""
    return leftover_to_dict(f) if isinstance(f, Leftover) else {"kind": f.kind, **candidate_to_dict(f)}


def finding_from_dict(d: Doc) -> Orphan | Leftover:
    """An orphan written before notices named kinds has none: a VM."""
    return orphan_from_dict(d) if d.get("kind", VM) == VM else leftover_from_dict(d)


def resolved_to_dict(r: Resolved) -> Doc:
    w = r.what
    what = leftover_to_dict(w) if isinstance(w, Leftover) else {
        "kind": w.kind, "account": w.account, "region": w.region, "cluster_id": w.cluster_id,
        **instance_to_dict(w.instance),
    }  # fmt: skip
    return what | {"how": r.how, "detail": r.detail, "first_seen": iso(r.first_seen),
                   "fact": None if r.fact is None else fact_to_dict(r.fact)}  # fmt: skip


def resolved_from_dict(d: Doc) -> Resolved:
    vm = d.get("kind", VM) == VM
    what = Vm(d["account"], d["region"], instance_from_dict(d), d.get("cluster_id")) if vm else leftover_from_dict(d)
    return Resolved(what, d["how"], d["detail"], parse_iso(d["first_seen"]), _fact(d.get("fact")))


def action_to_dict(a: ActionLine) -> Doc:
    return asdict(a) | {"fact": None if a.fact is None else fact_to_dict(a.fact)}


def action_from_dict(d: Doc) -> ActionLine:
    return ActionLine(**(d | {"fact": _fact(d.get("fact"))}))


def notice_to_dict(n: Notice, scan_id: int | None = None) -> Doc:
    """`scan_id` stands for `n.result`, which is not stored again: the reader gets it back from the scans."""
    return {
        "kind": n.kind,
        "scanned_at": iso(n.scanned_at),
        "scan_id": scan_id,
        "findings": [finding_to_dict(f) for f in n.findings],
        "resolved": [resolved_to_dict(r) for r in n.resolved],
        "unverified": [candidate_to_dict(u) for u in n.unverified],
        "errors": [{"where": where, **failure_to_dict(f)} for where, f in n.errors],
        "first_seen": {k: iso(v) for k, v in n.first_seen.items()},
        "status_url": n.status_url,
        "actions": [action_to_dict(a) for a in n.actions],
        "route": n.route,
    }


def notice_from_dict(d: Doc, result: ScanResult | None = None) -> Notice:
    """Notices queued before one notice shape (up to webhook.outbox.max_age old) kept each kind apart: orphans and
    leftovers, resolved and resolved_leftovers. They read as one list each, and still deliver."""
    findings = d["findings"] if "findings" in d else [*d["orphans"], *d.get("leftovers", [])]
    return Notice(
        kind=d["kind"],
        scanned_at=_time(d["scanned_at"]),
        findings=tuple(finding_from_dict(f) for f in findings),
        resolved=tuple(resolved_from_dict(r) for r in [*d["resolved"], *d.get("resolved_leftovers", [])]),
        unverified=tuple(unverified_from_dict(u) for u in d["unverified"]),
        errors=tuple((e["where"], failure_from_dict(e)) for e in d["errors"]),
        first_seen={k: t for k, v in d["first_seen"].items() if (t := parse_iso(v)) is not None},
        status_url=d.get("status_url"),
        result=result,
        actions=tuple(action_from_dict(a) for a in d.get("actions", [])),
        route=d.get("route"),
    )
