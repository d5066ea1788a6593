"""A call whose answer never came (the client gave up; the cloud carried it out anyway) stays pending; the next run
looks the resource up by id before anything else and records what happened: for every action and kind."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.cleanup import serve_hook
from tke_orphans.cloud.actions import MARK_TAG
from tke_orphans.context import Run

from .conftest import DAY, Rig, demo_data, rig_for

ALL_KINDS = {"detection": {"leftovers": ["cbs_disk", "clb", "eip", "cfs", "security_group"]}}
# Where the emulator keeps what each call changes (a file system's mount targets, for cfs's first call).
TABLE = {"cbs_disk": "disks", "clb": "load_balancers", "eip": "addresses", "cfs": "mount_targets",
         "security_group": "security_groups"}  # fmt: skip
READD = {"cluster_id": "cls-prodsh01", "node_pool_id": "np-api00001"}
# kind, action, the call, its options, the resource and its region, what the look-up finds
CASES: list[tuple[str, str, str, dict[str, Any], str, str, str]] = [
    ("cvm", "mark", "TagResources", {}, "ins-gzorp001", "ap-guangzhou", f"tagged {MARK_TAG}="),
    ("cvm", "terminate", "TerminateInstances", {"unmarked": True}, "ins-gzorp001", "ap-guangzhou",
     "destroyed: it is gone"),
    ("cvm", "terminate", "TerminateInstances", {"unmarked": True}, "ins-gzorp002", "ap-guangzhou",
     "moved to the recycle bin"),
    ("cvm", "readd", "AddExistedInstances", READD, "ins-shorp001", "ap-shanghai", "in cluster cls-prodsh01"),
    ("cbs_disk", "terminate", "TerminateDisks", {"unmarked": True}, "disk-gzleft01", "ap-guangzhou", "returned: "),
    ("clb", "terminate", "DeleteLoadBalancer", {"unmarked": True}, "lb-gzleft01", "ap-guangzhou",
     "returned: it is gone"),
    ("eip", "mark", "TagResources", {}, "eip-gzleft01", "ap-guangzhou", f"tagged {MARK_TAG}="),
    # A file system's mount target goes first: its call is settled by the mount targets left, not by the file system.
    ("cfs", "terminate", "DeleteMountTarget", {"unmarked": True}, "cfs-gzleft01", "ap-guangzhou",
     "mount target deleted"),
    ("security_group", "terminate", "DeleteSecurityGroup", {"unmarked": True}, "sg-gzleft01", "ap-guangzhou",
     "returned: it is gone"),
]  # fmt: skip


def _wait_for_change(rig: Rig, kind: str, region: str, rid: str, before: str) -> None:
    end = time.monotonic() + 30
    while _seen(rig, kind, region, rid) == before:  # the emulator carries it out late
        assert time.monotonic() < end
        time.sleep(0.02)


def _seen(rig: Rig, kind: str, region: str, rid: str) -> str:
    """What the emulator holds of the resource now."""
    rs = rig.emulator.store.regions[region]
    table: dict[str, Any] = rs.by_id if kind == "cvm" else getattr(rs, TABLE[kind])
    return json.dumps([table.get(rid), rs.node_of.get(rid)], sort_keys=True, default=str)


@pytest.mark.parametrize(("kind", "action", "call", "extra", "rid", "region", "found"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in CASES])  # fmt: skip
def test_a_call_answered_too_late_is_looked_up_by_the_next_run(tmp_path: Path, kind: str, action: str, call: str,
        extra: dict[str, Any], rid: str, region: str, found: str) -> None:  # fmt: skip
    _answered_too_late(tmp_path, demo_data(), kind, action, call, extra, rid, region, found)


def test_a_prepaid_disk_s_interrupted_return_is_done_once_it_is_in_the_recycle_bin(tmp_path: Path) -> None:
    """TerminateDisks moves a prepaid disk to the recycle bin, still listed (TORECYCLE): the look-up settles it as
    returned, not as "still there"."""
    data = demo_data()
    disk = next(d for d in data["regions"]["ap-guangzhou"]["disks"] if d["DiskId"] == "disk-gzleft01")
    disk.update(DiskChargeType="PREPAID", DeadlineTime="+300d")
    _answered_too_late(tmp_path, data, "cbs_disk", "terminate", "TerminateDisks", {"unmarked": True},
                       "disk-gzleft01", "ap-guangzhou", "returned: prepaid, moved to the recycle bin")  # fmt: skip


def _answered_too_late(tmp_path: Path, data: dict[str, Any], kind: str, action: str, call: str,
                       extra: dict[str, Any], rid: str, region: str, found: str) -> None:  # fmt: skip
    with rig_for(data, tmp_path, **ALL_KINDS) as rig:
        rig.scan()
        before = _seen(rig, kind, region, rid)
        # The rig's client gives up after 2 s; the cloud carries the call out after 4.
        rig.faults({"action": call, "effect": "delay", "delay_seconds": 4})
        opts = {"kind": kind, "action": action, "only": frozenset({rid}), **extra}
        first = rig.cleanup(dry_run=False, **opts)
        [d] = first.decisions
        assert d.outcome == "failed" and "the outcome is unknown: it may have been carried out" in d.detail, d
        [row] = rig.state.query("SELECT outcome, call FROM actions WHERE instance_id = ?", (rid,))
        assert row["outcome"] == "pending" and row["call"].endswith(f".{call}")
        _wait_for_change(rig, kind, region, rid, before)
        rig.faults()

        later = rig.cleanup(after=DAY + timedelta(hours=1), kind="cvm", action="mark")  # any run, a dry run too
        assert later.recovered == 1
        got = later.decisions[0]
        assert (got.instance_id, got.action, got.kind, got.outcome) == (rid, action, kind, "done"), got
        assert got.detail.startswith(found) and "looked up after an interrupted run" in got.detail, got.detail
        rows = rig.state.query("SELECT outcome, detail FROM actions WHERE instance_id = ? AND dry_run = 0", (rid,))
        assert [r["outcome"] for r in rows] == ["done"]
        events = rig.state.events.read(instance_id=rid)
        assert events[-1]["kind"] == f"action:{action}" and events[-1]["detail"].startswith(f"done: {found}")
        assert "(by test)" in events[-1]["detail"]
        assert rig.cleanup(after=DAY + timedelta(hours=2), kind="cvm", action="mark").recovered == 0


def test_serve_cleanup_looks_up_an_interrupted_call_too(tmp_path: Path) -> None:
    with rig_for(demo_data(), tmp_path) as rig:
        rig.scan()
        before = _seen(rig, "cvm", "ap-guangzhou", "ins-gzorp001")
        rig.faults({"action": "TagResources", "effect": "delay", "delay_seconds": 4})
        rig.cleanup(action="mark", dry_run=False, only=frozenset({"ins-gzorp001"}))
        _wait_for_change(rig, "cvm", "ap-guangzhou", "ins-gzorp001", before)
        rig.faults()
        serve_hook(Run(rig.config), rig.state, "mark")()  # what serve --cleanup mark runs after each pass
        [row] = rig.state.query("SELECT outcome, detail FROM actions WHERE instance_id = 'ins-gzorp001' AND call != ''")
        assert row["outcome"] == "done" and row["detail"].startswith(f"tagged {MARK_TAG}="), dict(row)
