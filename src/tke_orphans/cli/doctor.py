"""`doctor`: each API once per configured region, one line per call: its status in one word, then what it found
or what to do."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ..context import Run
from ..doctor import Check
from ..render.columns import Column, layout
from ..sanitize import visible
from .common import EXIT_INCOMPLETE, ConfigOpt, EndpointOpt, command, console, endpoint, load
from .regions import check_region_names


def status(check: Check) -> str:
    if not check.tried:
        return "SKIPPED"
    return "OK" if check.ok else "FAIL"


def doctor_lines(checks: Sequence[Check], width: int | None) -> list[str]:
    """The checks as the scan's table: the account only with several; a detail too long to stand beside its row
    (a hint) under it. Counts fit beside the longest API name at 80 columns."""
    multi_account = len({c.account for c in checks}) > 1
    columns = [Column("REGION"), Column("API"), Column("STATUS"), Column("DETAIL", wrap=True, min_width=10)]
    if multi_account:
        columns.insert(0, Column("ACCOUNT"))
    rows = [[*([c.account] if multi_account else []), c.region, c.api, status(c), c.detail] for c in checks]
    return layout(columns, [[visible(x or "-") for x in row] for row in rows], width)


@command
def doctor(config: ConfigOpt = None, endpoint_url: EndpointOpt = None) -> int:
    """Call each API once per configured region: do the credentials and CAM permissions work?"""
    from ..cloud.accounts import make_session, plan_run
    from ..doctor import diagnose, organization_checks

    run = Run(load(config), endpoint(endpoint_url))
    cfg = run.cfg
    check_region_names(run, ())
    plans, failures = plan_run(run)
    checks = organization_checks(cfg, plans, failures)
    for plan in plans:
        session = make_session(run, plan)
        checks += diagnose(session, plan.regions, cfg.detection.policy().leftovers)
    out = console()
    for line in doctor_lines(checks, out.width):
        out.print(Text(line), soft_wrap=True)
    return 0 if all(c.ok or not c.tried for c in checks) else EXIT_INCOMPLETE
