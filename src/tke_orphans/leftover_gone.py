"""Before a leftover is resolved as gone: the tag API's pages carry no count to check them by, so a page that came
back short (or a tag index that lags) would look like a deletion. Each leftover the tag listing no longer names is
looked up by id through its own product's API; it stays open while that still lists it with its cluster tag, or
while that look fails."""

from __future__ import annotations

import logging
from collections import defaultdict

from .cloud.leftovers import by_id
from .cloud.session import CallListener, Cancel
from .config import Config
from .model import CLUSTER_TAG, LeftoverKind
from .scan import make_session, plan_accounts
from .state.lifecycle import GONE, Plan

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # account, region, resource id


def gone_candidates(p: Plan) -> dict[tuple[str, str, LeftoverKind], list[str]]:
    """The plan's "gone" resolutions (not listed with a cluster tag), per account, region and kind."""
    out: dict[tuple[str, str, LeftoverKind], list[str]] = defaultdict(list)
    for r in p.resolved_leftovers:
        if r.how == "gone" and r.detail == GONE:
            x = r.leftover
            out[(x.account, x.region, x.kind)].append(x.resource_id)
    return out


def still_listed(
    cfg: Config, p: Plan, endpoint_url: str | None, listener: CallListener | None = None, cancel: Cancel | None = None
) -> set[Key]:
    """Which of the plan's "gone" leftovers their product still lists with a cluster tag, or could not tell. Its
    calls are counted (`listener`) and stopped (`cancel`) as the scan's are."""
    groups = gone_candidates(p)
    if not groups:
        return set()
    plans = {a.name: a for a in plan_accounts(cfg)}
    out: set[Key] = set()
    for (account, region, kind), ids in sorted(groups.items()):
        try:
            session = make_session(cfg, plans[account], endpoint_url, listener, cancel)
            found = by_id(session, region, kind, ids)
        except Exception as exc:  # cannot tell: not resolved this time
            log.warning("%s/%s: could not confirm that %d %s are gone: %s", account, region, len(ids), kind.value, exc)
            out |= {(account, region, i) for i in ids}
            continue
        out |= {(account, region, r.resource_id) for r in found if r.tag(CLUSTER_TAG)}
    return out


def drop_still_listed(p: Plan, listed: set[Key]) -> None:
    """Keep open (unresolved, untouched) the leftovers `still_listed` found."""
    p.resolved_leftovers = [
        r for r in p.resolved_leftovers if (r.leftover.account, r.leftover.region, r.leftover.resource_id) not in listed
    ]
