"""Which team hears of what (pure): `webhook.routes` is an ordered list; a finding goes to the first route whose
match it meets, and one no route takes to the default bots (those no route names). Each notice is split into one
per route that has something to tell, and a routed notice reaches its route's bots only.

A finding is in exactly one route at a time, so the lifecycle the state keeps (new, reminder, resolved) is each
route's own: every bot is told of a finding once, reminded in its own digest, and told once that it is resolved.
What could not be checked (a region's failed listing) concerns every team whose findings could be there: it goes to
each route that could match that account and region, and to the default bots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from .config.schema import Config, Route
from .model import AccountInfo, Leftover, Notice, Orphan, Resolved, ScanResult, Unverified, Vm

DEFAULT = "default"  # the route of what no route takes: the bots no route names

Routed = Orphan | Leftover | Resolved | Unverified
R = TypeVar("R", bound=Routed)


def account_facts(cfg: Config, result: ScanResult | None) -> dict[str, AccountInfo]:
    """What names each account besides its name: the scan's accounts (an organization member's uin and node), else
    the uins the config gives (accounts[].uin, tencentcloud.uin)."""
    out = {a.name: AccountInfo(a.name, a.uin or "") for a in cfg.accounts}
    out.setdefault("default", AccountInfo("default", cfg.tencentcloud.uin or ""))
    for a in () if result is None else result.accounts:
        known = out.get(a.name)
        out[a.name] = a if a.uin or known is None else replace(a, uin=known.uin)
    return out


def _tags(x: Orphan | Leftover | Vm | Unverified) -> Sequence[tuple[str, str]]:
    return x.tags if isinstance(x, Leftover) else x.instance.tags


def _account_matches(route: Route, account: str, accounts: Mapping[str, AccountInfo]) -> bool:
    m = route.match
    facts = accounts.get(account, AccountInfo(account))
    if m.accounts and not {account, facts.uin} & set(m.accounts):
        return False
    return not m.nodes or bool({facts.node_id, facts.node_name} - {""} & set(m.nodes))


def matches(route: Route, x: Routed, accounts: Mapping[str, AccountInfo]) -> bool:
    """Every key the match gives holds (all); each list holds one of the finding's values (any)."""
    what = x.what if isinstance(x, Resolved) else x
    m = route.match
    if not _account_matches(route, what.account, accounts) or (m.regions and what.region not in m.regions):
        return False
    if m.clusters and what.cluster_id not in m.clusters:
        return False
    tags = dict(_tags(what))
    return all(k in tags and v in ("*", tags[k]) for k, v in m.tags.items())


def route_of(x: Routed, routes: Sequence[Route], accounts: Mapping[str, AccountInfo]) -> str:
    return next((r.name for r in routes if matches(r, x, accounts)), DEFAULT)


def _concerns(route: Route, where: str, accounts: Mapping[str, AccountInfo]) -> bool:
    """Could this route's findings be where a check failed (`account/region`, or "" for the whole run)?"""
    account, _, region = where.partition("/")
    if not where:
        return True
    return _account_matches(route, account, accounts) and (not route.match.regions or region in route.match.regions)


def split(notice: Notice, routes: Sequence[Route], accounts: Mapping[str, AccountInfo]) -> list[Notice]:
    """One notice per route with something to tell it, the default route's first; without routes, the notice."""
    if not routes or notice.kind in ("test", "cleanup"):
        return [notice]
    names = [DEFAULT, *(r.name for r in routes)]

    def mine(items: Iterable[R], name: str) -> tuple[R, ...]:
        return tuple(x for x in items if route_of(x, routes, accounts) == name)

    out = []
    by_name = {r.name: r for r in routes}
    for name in names:
        errors = tuple(
            (where, f) for where, f in notice.errors if name == DEFAULT or _concerns(by_name[name], where, accounts)
        )
        result = notice.result
        if result is not None:  # what takes the whole result (the generic webhook) gets the route's share of it
            excluded = tuple(
                e
                for e in result.excluded
                if name == DEFAULT or _concerns(by_name[name], f"{e.account}/{e.region}", accounts)
            )
            result = replace(result, orphans=mine(result.orphans, name), leftovers=mine(result.leftovers, name),
                             unverified=mine(result.unverified, name), excluded=excluded)  # fmt: skip
        routed = replace(
            notice,
            route=name,
            result=result,
            findings=mine(notice.findings, name),
            resolved=mine(notice.resolved, name),
            unverified=mine(notice.unverified, name),
            errors=errors,
        )
        if routed.findings or routed.resolved or routed.unverified or routed.errors:
            out.append(routed)
    return out


def receives(channel: str, route: str | None, routes: Sequence[Route]) -> bool:
    """Does this channel (`wecom`, `wecom:team-a`) get a notice of this route? None: a notice for every channel."""
    if route is None or not routes:
        return True
    named = {b for r in routes for b in r.bots}
    if route == DEFAULT:
        return channel not in named
    return any(r.name == route and channel in r.bots for r in routes)


def check(routes: Sequence[Route], channels: Sequence[str]) -> str | None:
    """What is wrong with the routes against the configured bots, in a sentence naming the key; None when fine."""
    if not routes:
        return None
    for i, r in enumerate(routes):
        unknown = [b for b in r.bots if b not in channels]
        if unknown:
            return (f"webhook.routes[{i}].bots: {', '.join(unknown)} is no enabled bot; the bots are "
                    f"{', '.join(channels) or 'none'} (as `--channel` names them)")  # fmt: skip
    if not [c for c in channels if receives(c, DEFAULT, routes)]:
        return ("webhook.routes: every bot belongs to a route, so what no route matches would reach no one; leave "
                "one bot out of the routes for it")  # fmt: skip
    return None
