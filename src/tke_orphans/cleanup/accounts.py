"""What both cleanups (VMs and leftovers) do before looking at the cloud: group the targets by account and region,
and open every account's session first, so that missing credentials stop the run before it changes anything."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from ..cloud import Session
from ..cloud.accounts import make_session, plan_accounts, plan_run
from ..config.schema import Credentials
from ..context import Run


class Located(Protocol):
    @property
    def account(self) -> str: ...

    @property
    def region(self) -> str: ...


T = TypeVar("T", bound=Located)


@dataclass(frozen=True)
class Group(Generic[T]):
    account: str
    region: str
    targets: list[T]
    session: Session | None  # None: the account is no longer in the config, or cannot be reached (`why`)
    credentials: Credentials | None
    why: str = ""


def by_region(run: Run, targets: Iterable[T]) -> list[Group[T]]:
    """The targets per (account, region), sorted, each with its account's session; raises CredentialsError."""
    # A member's credentials held from a read-only scan cannot act: its role is asked again, for its own rights.
    read_only = run.cfg.tencentcloud.organization.read_only
    plans = {p.name: p for p in plan_accounts(run.cfg) if p.member is None or not read_only}
    groups: dict[tuple[str, str], list[T]] = defaultdict(list)
    for t in targets:
        groups[(t.account, t.region)].append(t)
    wanted = {a for a, _ in groups}
    refused: dict[str, str] = {}
    if wanted - plans.keys() and run.cfg.tencentcloud.organization.enabled:
        # An organization's members, reached through their role with its write rights (only those with targets).
        members, failures = plan_run(run, only=wanted - plans.keys(), acting=True)
        plans |= {p.name: p for p in members}
        why = "; ".join(f.describe() for f in failures)
        refused = {a: f"account {a} could not be reached: {why}" for a in wanted - plans.keys() if why}
    sessions = {a: make_session(run, plans[a]) for a in wanted if a in plans}
    out = []
    for (account, region), group in sorted(groups.items()):
        credentials = plans[account].credentials if account in plans else None
        out.append(Group(account, region, group, sessions.get(account), credentials, refused.get(account, "")))
    return out
