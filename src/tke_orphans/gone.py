"""Before a leftover is resolved as gone: a product's listing narrowed by a tag reads the cloud's tag index, and an
index that lags would leave out a resource that still exists, in a listing that adds up. Each leftover a listing
no longer names is looked up by id through its kind's own look; it stays open while that still finds it naming a
cluster, or cannot tell. Calls only for what would resolve as gone, counted and stopped as the scan's are."""

from __future__ import annotations

import logging
from collections import defaultdict

from .cloud.accounts import Sessions
from .context import Run
from .kinds import KINDS
from .model import Leftover, finding_key
from .state.lifecycle import GONE, Changes

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # account, region, resource id


def still_there(run: Run, changes: Changes[Leftover]) -> set[Key]:
    """Which of the leftovers resolved as gone their product still lists by id (naming a cluster), or could not say."""
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in changes.resolved:
        if r.how == "gone" and r.detail == GONE:  # not listed (a disk in the recycle bin is listed, and gone)
            x = r.what
            groups[(x.account, x.region, x.kind)].append(x.resource_id)
    if not groups:
        return set()
    session_of = Sessions(run)  # one an account, as the scan has
    out: set[Key] = set()
    for (account, region, kind), ids in sorted(groups.items()):
        spec = KINDS.get(kind)
        try:
            if spec is None:
                raise LookupError(f"{kind} is no longer looked for")
            fresh = spec.look(session_of(account), region, ids)
        except Exception as exc:  # cannot tell: not resolved this time
            log.warning("%s/%s: could not confirm that %d %s are gone: %s", account, region, len(ids), kind, exc)
            out |= {(account, region, i) for i in ids}
            continue
        out |= {(account, region, i) for i, f in fresh.items() if spec.cluster_of(f.resource) is not None}
    return out


def keep_open(changes: Changes[Leftover], there: set[Key]) -> None:
    """Leave open (unresolved, untouched) the leftovers `still_there` found."""
    changes.resolved = [r for r in changes.resolved if finding_key(r.what) not in there]
