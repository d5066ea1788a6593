"""The accounts a run works in, and a session for each: what every command that calls the cloud opens first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config.schema import Config, Credentials
from ..context import Run
from .ratelimit import Pacer
from .session import Endpoint, Session, resolve_credentials


@dataclass(frozen=True)
class AccountPlan:
    name: str
    credentials: Credentials
    where: str  # the config key, for error messages
    regions: Sequence[str] | str  # a list, or "all"


def plan_accounts(cfg: Config, regions_override: Sequence[str] = ()) -> list[AccountPlan]:
    """The accounts to scan and their regions: `accounts:` if given, else the `tencentcloud:` section."""

    def regions_of(region: str | None, regions: list[str] | str | None) -> Sequence[str] | str:
        if regions_override:
            return list(regions_override)
        if regions is not None:
            return regions
        return [region] if region else []

    if cfg.accounts:
        return [
            AccountPlan(a.name, a, f"accounts[{i}]", regions_of(a.region, a.regions))
            for i, a in enumerate(cfg.accounts)
        ]
    tc = cfg.tencentcloud
    return [AccountPlan("default", tc, "tencentcloud", regions_of(tc.region, tc.regions))]


def make_session(run: Run, plan: AccountPlan) -> Session:
    """The account's session: its calls go to the run's endpoint, are told to its listener, stop on its cancel.
    Raises CredentialsError when the account has none."""
    tc = run.cfg.tencentcloud
    credential, credentials_from = resolve_credentials(plan.credentials, plan.where, run.cfg.source)
    return Session(
        plan.name,
        credential,
        credentials_from=credentials_from,
        endpoint=Endpoint(url=run.endpoint_url or tc.endpoint_url, root_domain=tc.root_domain),
        timeout=tc.request_timeout,
        retry=tc.retry,
        pacer=Pacer(tc.rate_limits),
        listener=run.listener,
        cancel=run.cancel,
    )
