"""The accounts a run works in, and a session for each: what every command that calls the cloud opens first.

With `tencentcloud.organization`, the accounts are the management account (the `tencentcloud` credentials, unless
excluded) and the organization's members, listed through it each pass and reached through their role
(organization.py). A member that cannot be reached is that member's failure; the others go on.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..config.schema import Config, Credentials
from ..context import Run
from ..model import ApiFailure
from .errors import CloudError
from .organization import AssumedRole, Member, assumed_role, chosen, list_members, read_only_policy, refusal, select
from .ratelimit import Pacer
from .session import Endpoint, Session, resolve_credentials

MANAGER = "default"  # the `tencentcloud` section's account
# A member's name names its account (the table, the state, the chats) when it is plain enough; else its uin.
_PLAIN_NAME = re.compile(r"^[\w .@()-]{1,64}$")


@dataclass(frozen=True)
class AccountPlan:
    name: str
    credentials: Credentials
    where: str  # the config key, for error messages
    regions: Sequence[str] | str  # a list, or "all"
    uin: str | None = None
    member: Member | None = None  # an organization's member
    assumed: AssumedRole | None = None  # ... and its role's credentials


# The members each organization (by its config) was last planned with, for the commands that follow a scan in the
# same process (the by-id look before a leftover resolves as gone): their credentials are reused, never asked again.
_PLANNED: dict[str, list[AccountPlan]] = {}


def _org_key(cfg: Config) -> str:
    tc = cfg.tencentcloud
    return f"{cfg.source}\0{tc.secret_id}\0{tc.organization.model_dump_json()}"


def _regions_of(
    regions_override: Sequence[str], region: str | None, regions: list[str] | str | None
) -> Sequence[str] | str:
    if regions_override:
        return list(regions_override)
    if regions is not None:
        return regions
    return [region] if region else []


def manager_plan(cfg: Config, regions_override: Sequence[str] = ()) -> AccountPlan:
    """The `tencentcloud` section's account (an organization's management account: its members take its regions)."""
    tc = cfg.tencentcloud
    return AccountPlan(MANAGER, tc, "tencentcloud", _regions_of(regions_override, tc.region, tc.regions), uin=tc.uin)


def plan_accounts(cfg: Config, regions_override: Sequence[str] = ()) -> list[AccountPlan]:
    """The accounts to scan and their regions: `accounts:` if given, else the `tencentcloud:` section (unless an
    organization's `exclude` names it), and the organization's members as last planned in this process."""
    if cfg.accounts:
        return [
            AccountPlan(a.name, a, f"accounts[{i}]", _regions_of(regions_override, a.region, a.regions), uin=a.uin)
            for i, a in enumerate(cfg.accounts)
        ]
    tc = cfg.tencentcloud
    manager = manager_plan(cfg, regions_override)
    if not tc.organization.enabled:
        return [manager]
    scanned = chosen(tc.uin or "", (MANAGER,), (), tc.organization, member=False)
    return ([manager] if scanned else []) + _PLANNED.get(_org_key(cfg), [])


def plan_run(
    run: Run, regions_override: Sequence[str] = (), *, only: Collection[str] | None = None, acting: bool = False
) -> tuple[list[AccountPlan], list[ApiFailure]]:
    """The accounts of one pass, and why any could not be planned: with an organization, its members listed now
    through the management account, filtered, and each with its role's credentials (asked now unless still good).
    A failed member listing is a failure of the pass (no member is taken to have nothing); a refused role is that
    member's. `only`: just the members of these account names (cleanup's); `acting`: their credentials may write
    (no read-only session policy). Raises CredentialsError when the management account has no credentials."""
    cfg = run.cfg
    org = cfg.tencentcloud.organization
    if cfg.accounts or not org.enabled:
        return plan_accounts(cfg, regions_override), []
    manager = make_session(run, manager_plan(cfg, regions_override))
    statics = [p for p in plan_accounts(cfg, regions_override) if p.member is None]
    try:
        members = select(list_members(manager), org)
    except CloudError as exc:
        return statics, [exc.failure()]
    named = list(zip(members, _names(members, {p.name for p in statics}), strict=True))
    if only is not None:
        named = [(m, n) for m, n in named if n in only]
    plans, failures = _member_plans(run, manager, named, regions_override, read_only=org.read_only and not acting)
    if only is None and not acting:
        _PLANNED[_org_key(cfg)] = plans
    return statics + plans, failures


def _names(members: Sequence[Member], taken: set[str]) -> list[str]:
    """Each member's account name, in the listing's order: its name when plain and free, else its uin."""
    out = []
    for member in members:
        name = member.name if _PLAIN_NAME.fullmatch(member.name) and member.name not in taken else member.uin
        taken.add(name)
        out.append(name)
    return out


def endpoint_of(run: Run) -> Endpoint:
    """Where every call of the run goes: --endpoint-url, else the config's."""
    tc = run.cfg.tencentcloud
    return Endpoint(url=run.endpoint_url or tc.endpoint_url, root_domain=tc.root_domain)


def _member_plans(
    run: Run, manager: Session, named: Sequence[tuple[Member, str]], regions_override: Sequence[str], *,
    read_only: bool
) -> tuple[list[AccountPlan], list[ApiFailure]]:  # fmt: skip
    tc = run.cfg.tencentcloud
    endpoint = endpoint_of(run)
    policy = read_only_policy(_scan_reads(run.cfg)) if read_only else None
    roles = [
        assumed_role(
            manager.credential,
            m,
            tc.organization,
            endpoint=endpoint,
            timeout=tc.request_timeout,
            retry=tc.retry,
            policy=policy,
        )
        for m, _ in named
    ]

    def reach(role: AssumedRole) -> CloudError | None:
        try:
            role.refresh()
        except CloudError as exc:
            return refusal(exc, role.member, tc.organization, tc.uin)
        return None

    with ThreadPoolExecutor(max(1, min(len(roles), 8)), thread_name_prefix="assume-role") as pool:
        refused = list(pool.map(reach, roles))
    plans: list[AccountPlan] = []
    failures: list[ApiFailure] = []
    regions = _regions_of(regions_override, tc.region, tc.regions)
    for (member, name), role, error in zip(named, roles, refused, strict=True):
        if error is not None:
            failures.append(error.failure())
            continue
        where = f"tencentcloud.organization (member {member.uin})"
        # Its own uin (resource names for tagging), and no keys: its role's credentials sign its calls.
        own = Credentials(uin=member.uin)
        plans.append(AccountPlan(name, own, where, regions, uin=member.uin, member=member, assumed=role))
    return plans, failures


def _scan_reads(cfg: Config) -> tuple[str, ...]:
    """The CAM actions the scan calls, from the registry of kinds (imported when needed: the kinds reach this
    adapter)."""
    from ..kinds import scan_reads

    return scan_reads(cfg.detection.leftovers)


def make_session(run: Run, plan: AccountPlan) -> Session:
    """The account's session: its calls go to the run's endpoint, are told to its listener, stop on its cancel.
    Raises CredentialsError when the account has none."""
    tc = run.cfg.tencentcloud
    credential: Any
    if plan.assumed is not None:
        credential, credentials_from = plan.assumed, plan.assumed.described
    else:
        credential, credentials_from = resolve_credentials(plan.credentials, plan.where, run.cfg.source)
    return Session(
        plan.name,
        credential,
        credentials_from=credentials_from,
        endpoint=endpoint_of(run),
        timeout=tc.request_timeout,
        retry=tc.retry,
        pacer=Pacer(tc.rate_limits),
        listener=run.listener,
        cancel=run.cancel,
    )


class Sessions:
    """A session for each account of the run, made when first asked for: what follows a scan in the same process
    (the by-id look before a leftover is gone, who left each finding) asks each account once."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._plans: dict[str, AccountPlan] | None = None
        self._sessions: dict[str, Session] = {}

    def __call__(self, account: str) -> Session:
        """Raises LookupError for an account the config no longer has, CredentialsError for one without keys."""
        if self._plans is None:
            self._plans = {p.name: p for p in plan_accounts(self.run.cfg)}
        if account not in self._plans:
            raise LookupError(f"account {account} is no longer in the config")
        if account not in self._sessions:
            self._sessions[account] = make_session(self.run, self._plans[account])
        return self._sessions[account]
