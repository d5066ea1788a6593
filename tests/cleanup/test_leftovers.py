"""cleanup --kind cbs_disk|clb|eip on the real API: the demo's deleted cluster cls-gone0001 left a disk, a load
balancer and an address; a user's own load balancer it reused, and the user's own disk and address, are never
touched. Staged, capped, re-checked right before acting, as for VMs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.cleanup import CleanupError
from tke_orphans.cloud.actions import MARK_TAG
from tke_orphans.context import Run
from tke_orphans_testkit.emulator.store import ClusterRec

from .conftest import DAY, Rig, demo_data, outcomes, rig_for

GZ = "ap-guangzhou"
LATER = DAY + timedelta(hours=73)  # past the default --min-mark-age of 72h
ALL_KINDS = {"detection": {"leftovers": ["cbs_disk", "clb", "eip"]}}
# kind -> (its leftover in the demo, the region store's table, its tag list field, the call that returns it)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "cbs_disk": ("disk-gzleft01", "disks", "Tags", "TerminateDisks"),
    "clb": ("lb-gzleft01", "load_balancers", "Tags", "DeleteLoadBalancer"),
    "eip": ("eip-gzleft01", "addresses", "TagSet", "ReleaseAddresses"),
}
LISTING = {"cbs_disk": "DescribeDisks", "clb": "DescribeLoadBalancers", "eip": "DescribeAddresses"}


def resource(rig: Rig, kind: str, rid: str) -> dict[str, Any] | None:
    return stored(rig, KINDS[kind][1], rid)


def tags_of(rig: Rig, kind: str, rid: str) -> dict[str, str]:
    return tags_in(rig, KINDS[kind][1], KINDS[kind][2], rid)


def stored(rig: Rig, table: str, rid: str) -> dict[str, Any] | None:
    items: dict[str, dict[str, Any]] = getattr(rig.emulator.store.regions[GZ], table)
    return items.get(rid)


def tags_in(rig: Rig, table: str, field: str, rid: str) -> dict[str, str]:
    item = stored(rig, table, rid)
    assert item is not None
    return {t.get("Key") or t["TagKey"]: t.get("Value") or t["TagValue"] for t in item[field]}


@pytest.fixture
def lrig(tmp_path: Path) -> Iterator[Rig]:
    with rig_for(demo_data(), tmp_path, **ALL_KINDS) as r:
        r.scan()
        yield r


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_marked_then_returned_only_after_the_mark_age(lrig: Rig, kind: str) -> None:
    assert_marked_then_returned(lrig, kind, KINDS[kind])


def assert_marked_then_returned(rig: Rig, kind: str, leftover: tuple[str, str, str, str]) -> None:
    """The staged path with the default options: a mark (dry run, then real), refused again, no return before
    --min-mark-age, then the return (dry run, then real). `leftover` as in KINDS."""
    rid, table, field, give_back = leftover
    dry = outcomes(rig.cleanup(kind=kind, action="mark"))
    assert dry == {rid: ("dry-run", f"would tag {MARK_TAG}")}  # only the TKE-made leftover, nothing of the user's
    assert rig.calls("TagResources") == 0 and MARK_TAG not in tags_in(rig, table, field, rid)
    done = outcomes(rig.cleanup(kind=kind, action="mark", dry_run=False))
    assert done[rid][0] == "done", done
    marked = tags_in(rig, table, field, rid)[MARK_TAG]
    # The mark comes back in the product's own listing: the next scan keeps the leftover, a second mark is refused.
    rig.scan(rig.t0 + DAY)
    again = outcomes(rig.cleanup(after=DAY + timedelta(hours=1), kind=kind, action="mark", dry_run=False))
    assert again == {rid: ("skipped", f"already marked {marked}")}
    early = outcomes(rig.cleanup(after=DAY + timedelta(hours=1), kind=kind, action="terminate", dry_run=False))
    assert early == {rid: ("skipped", "marked 60m ago, less than --min-mark-age 3d")}
    assert rig.calls(give_back) == 0 and stored(rig, table, rid) is not None
    would = outcomes(rig.cleanup(after=LATER, kind=kind, action="terminate"))
    assert would[rid][0] == "dry-run" and stored(rig, table, rid) is not None
    late = rig.cleanup(after=LATER, kind=kind, action="terminate", dry_run=False)
    assert outcomes(late)[rid][0] == "done" and late.decisions[0].kind == kind
    assert rig.calls(give_back) == 1 and stored(rig, table, rid) is None
    rows = rig.state.query("SELECT kind, instance_id, outcome FROM actions WHERE dry_run = 0 AND action = ?",
                           ("terminate",))  # fmt: skip
    assert [tuple(r) for r in rows][-1] == (kind, rid, "done")


def test_terminate_without_a_mark_needs_unmarked(lrig: Rig) -> None:
    got = outcomes(lrig.cleanup(kind="eip", action="terminate", dry_run=False))
    assert got == {
        "eip-gzleft01": (
            "skipped",
            f"not marked ({MARK_TAG}): run cleanup --kind eip --action mark first, or pass --unmarked",
        )
    }
    assert (
        outcomes(lrig.cleanup(kind="eip", action="terminate", dry_run=False, unmarked=True))["eip-gzleft01"][0]
        == "done"
    )


def test_a_leftover_seen_too_recently_is_not_acted_on(lrig: Rig) -> None:
    got = outcomes(lrig.cleanup(after=timedelta(hours=2), kind="cbs_disk", action="mark", dry_run=False))
    assert got == {"disk-gzleft01": ("skipped", "left over for 120m, less than --min-orphan-age 1d")}
    assert lrig.calls("TagResources") == 0


def recreate_cluster(rig: Rig) -> None:
    rs = rig.emulator.store.regions[GZ]
    spec = rs.clusters[0].spec.model_copy(update={"ClusterId": "cls-gone0001"})
    rec = ClusterRec(spec=spec, pools={}, nodes=[])
    rs.clusters.append(rec)
    rs.cluster_by_id["cls-gone0001"] = rec


def recreate_as_serverless(rig: Rig) -> None:
    """The cluster id now names a live serverless cluster, which DescribeClusters does not list."""
    other = rig.emulator.store.regions[GZ].other_clusters
    other.append(other[0].model_copy(update={"ClusterId": "cls-gone0001"}))


def ignore_tag(rig: Rig) -> None:
    """The team keeps it with detection.ignore.tags' default, as it keeps a VM."""
    rig.emulator.store.regions[GZ].disks["disk-gzleft01"]["Tags"].append({"Key": "tke-orphans:ignore", "Value": "true"})


def attach_disk(rig: Rig) -> None:
    d = rig.emulator.store.regions[GZ].disks["disk-gzleft01"]
    d.update(DiskState="ATTACHED", Attached=True, InstanceId="ins-gzweb001", InstanceIdList=["ins-gzweb001"])


def bind_address(rig: Rig) -> None:
    rig.emulator.store.regions[GZ].addresses["eip-gzleft01"].update(AddressStatus="BIND", InstanceId="ins-gzweb001")


def protect_lb(rig: Rig) -> None:
    rig.emulator.store.regions[GZ].load_balancers["lb-gzleft01"]["AttributeFlags"] = ["DeleteProtect"]


def unflag_lb(rig: Rig) -> None:
    lb = rig.emulator.store.regions[GZ].load_balancers["lb-gzleft01"]
    lb["Tags"] = [t for t in lb["Tags"] if t["TagKey"] != "tke-createdBy-flag"]


def retag_eip(rig: Rig) -> None:
    for t in rig.emulator.store.regions[GZ].addresses["eip-gzleft01"]["TagSet"]:
        if t["Key"] == "tke-clusterId":
            t["Value"] = "cls-prodgz01"


def unreturnable_disk(rig: Rig) -> None:
    d = rig.emulator.store.regions[GZ].disks["disk-gzleft01"]
    d.update(DiskChargeType="PREPAID", IsReturnable=False, ReturnFailCode=2)


def fixed_disk(rig: Rig) -> None:
    rig.emulator.store.regions[GZ].disks["disk-gzleft01"]["Portable"] = False


def delete_disk(rig: Rig) -> None:
    del rig.emulator.store.regions[GZ].disks["disk-gzleft01"]


CHANGES: list[tuple[str, Callable[[Rig], None], str]] = [
    ("cbs_disk", attach_disk, "in use now (DiskState ATTACHED)"),
    ("eip", bind_address, "bound now (AddressStatus BIND)"),
    ("clb", protect_lb, "deletion protection (DeleteProtect) is on"),
    ("clb", unflag_lb, "no longer tagged tke-createdBy-flag=yes: not proven TKE's"),
    ("eip", retag_eip, "its tag tke-clusterId is now cls-prodgz01, not cls-gone0001"),
    ("cbs_disk", recreate_cluster, "cluster cls-gone0001 is in ap-guangzhou again"),
    ("clb", recreate_cluster, "cluster cls-gone0001 is in ap-guangzhou again"),
    ("eip", recreate_cluster, "cluster cls-gone0001 is in ap-guangzhou again"),
    ("cbs_disk", recreate_as_serverless, "cluster cls-gone0001 is in ap-guangzhou again"),
    ("cbs_disk", ignore_tag, "ignored: tag tke-orphans:ignore=true"),
    ("clb", recreate_as_serverless, "cluster cls-gone0001 is in ap-guangzhou again"),
    ("cbs_disk", delete_disk, "no longer exists"),
    ("cbs_disk", unreturnable_disk, "a prepaid disk the cloud will not take back: expired (IsReturnable false)"),
    ("cbs_disk", fixed_disk, "not an elastic disk: it can only go with its instance"),
]


@pytest.mark.parametrize(("kind", "change", "why"), CHANGES, ids=[f"{k}-{c.__name__}" for k, c, _ in CHANGES])
def test_what_changed_since_the_scan_stops_the_action(lrig: Rig, kind: str, change: Callable[[Rig], None],
                                                      why: str) -> None:  # fmt: skip
    rid, _, _, give_back = KINDS[kind]
    change(lrig)  # after the scan, before cleanup: only the fresh look sees it
    for dry_run in (True, False):
        got = outcomes(lrig.cleanup(kind=kind, action="terminate", unmarked=True, dry_run=dry_run))
        assert got == {rid: ("skipped", why)}
    assert lrig.calls(give_back) == 0


@pytest.mark.parametrize(
    ("kind", "listing"),
    [*((k, LISTING[k]) for k in KINDS), ("clb", "DescribeClusters"), ("cbs_disk", "DescribeEKSClusters"),
     ("eip", "DescribeTKEEdgeClusters")],
)  # fmt: skip
def test_a_failed_fresh_listing_skips_the_region(lrig: Rig, kind: str, listing: str) -> None:
    rid, _, _, give_back = KINDS[kind]
    lrig.faults({"action": listing, "code": "InternalError"})
    got = outcomes(lrig.cleanup(kind=kind, action="terminate", unmarked=True, dry_run=False))
    assert got[rid][0] == "skipped" and got[rid][1].startswith("fresh check of ap-guangzhou failed"), got
    assert lrig.calls(give_back) == 0 and resource(lrig, kind, rid) is not None


def test_a_reused_load_balancer_is_refused_and_never_selected(lrig: Rig) -> None:
    everything = outcomes(lrig.cleanup(kind="clb", action="terminate", unmarked=True))
    assert set(everything) == {"lb-gzleft01"}
    named = outcomes(lrig.cleanup(kind="clb", action="terminate", unmarked=True, dry_run=False,
                                  only=frozenset({"lb-gzreuse1"})))  # fmt: skip
    assert named == {"lb-gzreuse1": ("refused", "a user's own load balancer that deleted cluster cls-gone0001 only "
                                                "used: never cleaned up")}  # fmt: skip
    assert lrig.calls("DeleteLoadBalancer") == 0 and resource(lrig, "clb", "lb-gzreuse1") is not None


@pytest.mark.parametrize(
    ("kind", "rid"),
    [("cbs_disk", "disk-gzuser01"), ("eip", "eip-gzuser01"), ("cbs_disk", "disk-gzlive02"), ("eip", "eip-gzgone02")],
)
def test_what_is_not_a_leftover_is_never_selected_even_by_name(lrig: Rig, kind: str, rid: str) -> None:
    got = outcomes(lrig.cleanup(kind=kind, action="terminate", unmarked=True, dry_run=False, only=frozenset({rid})))
    assert got == {rid: ("skipped", f"not a {kind} leftover in the last scan")}
    assert lrig.calls(KINDS[kind][3]) == 0


def test_an_id_of_another_kind_says_which_kind_it_is(lrig: Rig) -> None:
    got = outcomes(lrig.cleanup(kind="cbs_disk", action="mark", only=frozenset({"lb-gzleft01", "disk-gzuser01"})))
    assert got == {
        "lb-gzleft01": ("skipped", "not a cbs_disk leftover in the last scan (an id of kind clb: --kind clb)"),
        "disk-gzuser01": ("skipped", "not a cbs_disk leftover in the last scan"),
    }
    vms = outcomes(lrig.cleanup(kind="cvm", action="mark", only=frozenset({"disk-gzleft01"})))
    assert vms == {
        "disk-gzleft01": ("skipped", "not an orphan in the last scan (an id of kind cbs_disk: --kind cbs_disk)")
    }


def with_leftover_clones(data: dict[str, Any], kind: str, n: int) -> dict[str, Any]:
    """`n` more leftovers of `kind` in ap-guangzhou, like the demo's own."""
    rid, table, _, _ = KINDS[kind]
    items = data["regions"][GZ][table]
    model = next(x for x in items if rid in x.values())
    key = next(k for k, v in model.items() if v == rid)
    prefix = rid.split("-")[0]
    for k in range(n):
        clone = {**copy.deepcopy(model), key: f"{prefix}-gzcln{k:03d}"}
        if kind == "eip":
            clone["AddressIp"] = f"159.75.31.{k}"
        items.append(clone)
    return data


@pytest.mark.parametrize(("kind", "limit"), [("cbs_disk", 100), ("clb", 20), ("eip", 20)])
def test_returns_go_in_batches_within_the_api_limit_and_the_cap_holds(tmp_path: Path, kind: str, limit: int) -> None:
    with rig_for(with_leftover_clones(demo_data(), kind, limit), tmp_path, **ALL_KINDS) as rig:
        rig.scan()
        over = rig.cleanup(kind=kind, action="terminate", unmarked=True, dry_run=False, max=limit)
        assert over.refused.startswith(f"{limit + 1} ") and "more than --max" in over.refused
        assert {o for o, _ in outcomes(over).values()} == {"refused"}
        assert rig.calls(KINDS[kind][3]) == 0
        marked = outcomes(rig.cleanup(kind=kind, action="mark", dry_run=False, max=limit + 1))
        assert {o for o, _ in marked.values()} == {"done"} and len(marked) == limit + 1
        assert rig.calls("TagResources") == -(-(limit + 1) // 10)
        done = outcomes(rig.cleanup(after=LATER, kind=kind, action="terminate", dry_run=False, max=limit + 1))
        assert {o for o, _ in done.values()} == {"done"} and len(done) == limit + 1
        assert rig.calls(KINDS[kind][3]) == 2


def test_a_return_is_not_retried_after_a_5xx(lrig: Rig) -> None:
    lrig.faults({"action": "TerminateDisks", "effect": "http_500"})
    got = outcomes(lrig.cleanup(kind="cbs_disk", action="terminate", unmarked=True, dry_run=False))
    assert got["disk-gzleft01"][0] == "failed"
    assert lrig.calls("TerminateDisks") == 1


def test_a_kind_the_scan_does_not_look_for_is_bad_input(tmp_path: Path) -> None:
    with rig_for(demo_data(), tmp_path, detection={"leftovers": ["cbs_disk"]}) as rig:
        rig.scan()
        with pytest.raises(CleanupError, match=r"--kind clb: the scan does not look for these leftovers; add clb"):
            rig.cleanup(kind="clb", action="mark")
        with pytest.raises(CleanupError, match=r"--action readd is for --kind cvm only"):
            rig.cleanup(kind="cbs_disk", action="readd", cluster_id="cls-prodgz01")
        assert set(outcomes(rig.cleanup(kind="cbs_disk", action="mark"))) == {"disk-gzleft01"}


def test_serve_marks_the_leftovers_too_once_old_enough(lrig: Rig) -> None:
    """`serve --cleanup mark` marks each kind the scan looks for, with the same age rule: never a reused CLB."""
    from tke_orphans.cleanup import serve_hook
    from tke_orphans.serve import Service

    service = Service(lrig.config, lrig.state, timedelta(minutes=10), ("127.0.0.1", 0),
                      after_pass=serve_hook(Run(lrig.config), lrig.state, "mark"))  # fmt: skip
    service.run_pass()
    assert all(MARK_TAG not in tags_of(lrig, k, rid) for k, (rid, *_) in KINDS.items())  # too young yet
    with lrig.state.transaction() as conn:
        conn.execute("UPDATE leftovers SET first_seen = ?", ("2000-01-01T00:00:00Z",))
    service.run_pass()
    assert all(MARK_TAG in tags_of(lrig, k, rid) for k, (rid, *_) in KINDS.items())
    assert MARK_TAG not in tags_of(lrig, "clb", "lb-gzreuse1")
