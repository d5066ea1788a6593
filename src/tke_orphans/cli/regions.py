"""Region names checked before a scan, doctor or serve starts: a typo (`--region ap-guangzhuo`) is a usage error that
names the closest real names, not an outage (the cloud's UnsupportedRegion in every listing, exit 3).

The names are checked against each account's own region listing, the call `regions: all` makes. That listing only
advises: when it fails (a missing CAM action, a network error), nothing is said and the scan goes on to say what
fails, so a failed listing never turns into a usage error.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import replace

from ..cloud import list_regions
from ..cloud.accounts import make_session, plan_accounts
from ..config.schema import Retry
from ..context import Run
from .common import UsageError

log = logging.getLogger(__name__)
QUICK = 10.0  # seconds: one try of the listing, so that an outage of it delays a scan by this at most


def check_region_names(run: Run, regions: Sequence[str]) -> None:
    """Raise UsageError for the first region name (of `regions`, the --region flags, else the config's) that an
    account's region listing lacks."""
    cfg, tc = run.cfg, run.cfg.tencentcloud
    quick_tc = tc.model_copy(update={"retry": Retry(max_attempts=1, throttle_deadline=QUICK),
                                     "request_timeout": min(tc.request_timeout, QUICK)})  # fmt: skip
    quick = replace(run, cfg=cfg.model_copy(update={"tencentcloud": quick_tc}), listener=None)
    plans = plan_accounts(cfg, regions)
    for plan in plans:
        if plan.regions == "all" or not plan.regions:
            continue
        try:
            known = list_regions(make_session(quick, plan))
        except Exception as exc:  # the listing decides nothing: the scan itself says what fails
            log.debug("%s: region names not checked: the region listing failed: %s", plan.name, exc)
            continue
        for name in plan.regions:
            if name not in known:
                key = "regions" if getattr(plan.credentials, "regions", None) is not None else "region"
                origin = "--region" if regions else f"{cfg.source}: {plan.where}.{key}"
                whose = f"account {plan.name}" if len(plans) > 1 else "this account"
                closest = difflib.get_close_matches(name, known, n=3, cutoff=0)
                listed = f"{len(known)} available in region.DescribeRegions"
                raise UsageError(
                    f"{origin}: {name!r} is not a region {whose} can use ({listed}); the closest: {', '.join(closest)}"
                )
