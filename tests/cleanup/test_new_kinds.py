"""cleanup --kind cfs|security_group on the real API (issue 22's two kinds, each one file in kinds/): the demo's
deleted cluster cls-gone0001 left a CFS CSI volume (with its mount target) and its worker security group. Each is
re-checked right before acting: a file system's mount targets go first, a group still associated or named by another
group's rules stays, and a live cluster's, a look-alike name or a default group is never touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tke_orphans_testkit.emulator.store import ClusterRec

from .conftest import Rig, demo_data, outcomes, rig_for
from .test_leftovers import assert_marked_then_returned

GZ = "ap-guangzhou"
NEW = {"detection": {"leftovers": ["cfs", "security_group"]}}
# kind -> (its leftover in the demo, the region store's table, its tag list field, the call that returns it)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "cfs": ("cfs-gzleft01", "file_systems", "Tags", "DeleteCfsFileSystem"),
    "security_group": ("sg-gzleft01", "security_groups", "TagSet", "DeleteSecurityGroup"),
}


@pytest.fixture
def nrig(tmp_path: Path) -> Iterator[Rig]:
    with rig_for(demo_data(), tmp_path, **NEW) as r:
        r.scan()
        yield r


def test_a_file_system_is_deleted_after_its_mount_targets_and_only_the_csi_volume(nrig: Rig) -> None:
    rs = nrig.emulator.store.regions[GZ]
    dry = outcomes(nrig.cleanup(kind="cfs", action="terminate", unmarked=True))
    assert dry == {
        "cfs-gzleft01": (
            "dry-run",
            "would delete its 1 mount target(s) (DeleteMountTarget), then the file system and its data "
            "(DeleteCfsFileSystem); saves about ¥4.20 a month",
        )
    }
    assert nrig.calls("DeleteMountTarget") == nrig.calls("DeleteCfsFileSystem") == 0
    done = outcomes(nrig.cleanup(kind="cfs", action="terminate", unmarked=True, dry_run=False))
    assert done == {"cfs-gzleft01": ("done", "deleted")}
    assert nrig.calls("DeleteMountTarget") == nrig.calls("DeleteCfsFileSystem") == 1
    # The live cluster's volume and the user's look-alike backup are still there.
    assert set(rs.file_systems) == {"cfs-gzlive01", "cfs-gzuser01"}


def test_a_mount_target_that_will_not_go_keeps_the_file_system(nrig: Rig) -> None:
    nrig.faults({"action": "DeleteMountTarget", "code": "FailedOperation"})
    got = outcomes(nrig.cleanup(kind="cfs", action="terminate", unmarked=True, dry_run=False))
    assert got["cfs-gzleft01"][0] == "failed"
    assert nrig.calls("DeleteCfsFileSystem") == 0
    assert "cfs-gzleft01" in nrig.emulator.store.regions[GZ].file_systems


def test_a_cluster_back_again_keeps_its_file_system(nrig: Rig) -> None:
    rs = nrig.emulator.store.regions[GZ]
    spec = rs.clusters[0].spec.model_copy(update={"ClusterId": "cls-gone0001"})
    rs.clusters.append(ClusterRec(spec=spec, pools={}, nodes=[]))
    got = outcomes(nrig.cleanup(kind="cfs", action="terminate", unmarked=True, dry_run=False))
    assert got == {"cfs-gzleft01": ("skipped", "cluster cls-gone0001 is in ap-guangzhou again")}
    assert nrig.calls("DeleteMountTarget") == 0


def test_a_security_group_is_deleted_only_while_unassociated_and_unreferenced(nrig: Rig) -> None:
    rs = nrig.emulator.store.regions[GZ]
    rs.sg_referenced_by["sg-gzleft01"] = ["sg-gzlive01"]  # another group's rule names it since the scan
    referenced = outcomes(nrig.cleanup(kind="security_group", action="terminate", unmarked=True, dry_run=False))
    assert referenced == {"sg-gzleft01": ("skipped", "referenced by the rules of sg-gzlive01")}
    rs.sg_referenced_by["sg-gzleft01"] = []
    rs.sg_associations["sg-gzleft01"] = {"CVM": 1}  # an instance put in it since the scan
    bound = outcomes(nrig.cleanup(kind="security_group", action="terminate", unmarked=True, dry_run=False))
    assert bound == {"sg-gzleft01": ("skipped", "associated now (instances, or other groups' rules)")}
    assert nrig.calls("DeleteSecurityGroup") == 0
    rs.sg_associations["sg-gzleft01"] = {}
    done = outcomes(nrig.cleanup(kind="security_group", action="terminate", unmarked=True, dry_run=False))
    assert done == {"sg-gzleft01": ("done", "deleted")}
    assert set(rs.security_groups) == {"sg-gzlive01", "sg-gzdflt01"}


def test_a_default_group_or_a_live_clusters_is_never_a_target(nrig: Rig) -> None:
    got = outcomes(nrig.cleanup(kind="security_group", action="terminate", unmarked=True, dry_run=False,
                                only=frozenset({"sg-gzdflt01", "sg-gzlive01"})))  # fmt: skip
    assert {rid: o for rid, (o, _) in got.items()} == {"sg-gzdflt01": "skipped", "sg-gzlive01": "skipped"}
    assert nrig.calls("DeleteSecurityGroup") == 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_marked_then_returned_only_after_the_mark_age(nrig: Rig, kind: str) -> None:
    """The staged path with the default options, the mark through tag.TagResources with the kind's six-segment name
    (`qcs::cfs:<region>:uin/<uin>:filesystem/<id>`, `qcs::cvm:<region>:uin/<uin>:sg/<id>`)."""
    assert_marked_then_returned(nrig, kind, KINDS[kind])


def test_a_file_system_clients_still_mount_is_never_deleted(nrig: Rig) -> None:
    """Its cluster is gone, but something mounts it now (a static volume of another cluster, a VM): it is in use,
    whatever its name says, and neither its mount target nor its data goes."""
    mounts = nrig.emulator.store.regions[GZ].mount_targets["cfs-gzleft01"]
    mounts[0] = {**mounts[0], "ServerList": ["10.0.3.7"]}
    got = outcomes(nrig.cleanup(kind="cfs", action="terminate", unmarked=True, dry_run=False))
    assert got == {"cfs-gzleft01": ("skipped", "mounted by 1 client(s) now (DescribeMountTargets ServerList): in use")}
    assert nrig.calls("DeleteMountTarget") == nrig.calls("DeleteCfsFileSystem") == 0
