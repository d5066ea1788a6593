"""`tke-orphans doctor`: one call per API and region, to show that credentials and CAM permissions work."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .cloud import PERMISSION_CODES, CloudError, Session, list_regions
from .cloud import probe as probes
from .cloud.accounts import AccountPlan
from .cloud.errors import check_keys, is_auth_failure
from .config.schema import Config
from .kinds import KINDS
from .model import ApiFailure


@dataclass(frozen=True)
class Check:
    account: str
    region: str
    api: str
    ok: bool
    detail: str
    tried: bool = True  # a step not tried is neither OK nor a failure: it is shown as such


def _not_tried(session: Session, region: str, api: str, why: str) -> Check:
    return Check(session.account, region, api, False, f"not tried: {why}", tried=False)


def _hint(session: Session, exc: CloudError, cam_action: str) -> str:
    if exc.code.startswith(PERMISSION_CODES):
        return f"{exc.code}: the CAM policy lacks {cam_action}"
    if is_auth_failure(exc.code):
        return f"{exc.code}: {check_keys([session.credentials_from])} ({exc.message})"
    return f"{exc.code}: {exc.message}"


def _try(session: Session, region: str, probe: probes.Probe) -> Check:
    try:
        found = probe.run(session, region)
    except CloudError as exc:
        return Check(session.account, region, probe.api, False, _hint(session, exc, probe.cam_action))
    return Check(session.account, region, probe.api, True, found if isinstance(found, str) else f"{found} found")


def organization_checks(cfg: Config, plans: Sequence[AccountPlan], failures: Sequence[ApiFailure]) -> list[Check]:
    """With an organization: its member listing, and each chosen member's role assumed (or the fix, refused)."""
    if not cfg.tencentcloud.organization.enabled or cfg.accounts:
        return []
    listing = "organization.DescribeOrganizationMembers"
    failed = [f for f in failures if f.api == listing]
    members = [p for p in plans if p.member is not None]
    refused = [f for f in failures if f.api != listing]
    listed = f"{failed[0].code}: {failed[0].message}" if failed else f"{len(members) + len(refused)} chosen"
    role = cfg.tencentcloud.organization.role
    out = [Check("default", "-", listing, not failed, listed)]
    out += [Check(p.name, "-", "sts.AssumeRole", True, f"{p.member.uin}: {role}") for p in members if p.member]
    out += [Check("-", "-", f.api, False, f"{f.code}: {f.message}") for f in refused]
    return out


def diagnose(session: Session, regions: Sequence[str] | str, leftovers: Collection[str] = ()) -> list[Check]:
    """`leftovers`: the kinds the scan looks for (detection.leftovers); their listings are tried too."""
    checks: list[Check] = []
    try:
        available = list_regions(session)
        checks.append(Check(session.account, "-", "region.DescribeRegions", True, f"{len(available)} regions"))
    except CloudError as exc:
        available = []
        checks.append(
            Check(session.account, "-", "region.DescribeRegions", False, _hint(session, exc, "region:DescribeRegions"))
        )
    chosen = available if regions == "all" else list(regions)
    for region in chosen:
        checks.append(_try(session, region, probes.INSTANCES))
        checks += [
            _try(session, region, p)
            for p in probes.leftover_probes(
                [KINDS[k].listing for k in leftovers], [p for k in leftovers for p in KINDS[k].probes]
            )
        ]
        try:
            cluster_id, found = probes.first_cluster(session, region)
            checks.append(Check(session.account, region, probes.CLUSTERS_API, True, f"{found} found"))
        except CloudError as exc:
            cluster_id = ""
            checks.append(
                Check(session.account, region, probes.CLUSTERS_API, False, _hint(session, exc, probes.CLUSTERS_CAM))
            )
        checks.append(_try(session, region, probes.EXISTED))
        if not cluster_id:
            why = "no cluster in the region" if cluster_id is None else f"{probes.CLUSTERS_API} failed"
            checks.append(_not_tried(session, region, "tke cluster APIs", why))
            continue
        checks += [_try(session, region, p) for p in probes.cluster_probes(cluster_id)]
    return checks
