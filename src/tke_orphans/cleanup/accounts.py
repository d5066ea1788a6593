"""What both cleanups (VMs and leftovers) do before looking at the cloud: group the targets by account and region,
and open every account's session first, so that missing credentials stop the run before it changes anything."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from ..cloud import Session
from ..cloud.accounts import make_session, plan_accounts
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
    session: Session | None  # None: the account is no longer in the config
    credentials: Credentials | None


def by_region(run: Run, targets: Iterable[T]) -> list[Group[T]]:
    """The targets per (account, region), sorted, each with its account's session; raises CredentialsError."""
    plans = {p.name: p for p in plan_accounts(run.cfg)}
    groups: dict[tuple[str, str], list[T]] = defaultdict(list)
    for t in targets:
        groups[(t.account, t.region)].append(t)
    sessions = {a: make_session(run, plans[a]) for a in {a for a, _ in groups} if a in plans}
    return [
        Group(account, region, group, sessions.get(account), plans[account].credentials if account in plans else None)
        for (account, region), group in sorted(groups.items())
    ]
