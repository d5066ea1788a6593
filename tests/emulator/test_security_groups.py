"""vpc security groups through the official SDK (VpcClient): DescribeSecurityGroups (string Offset/Limit, filters),
DescribeSecurityGroupAssociationStatistics, DescribeSecurityGroupReferences, DescribeSecurityGroupLimits and
DeleteSecurityGroup with what it refuses; faults on the new calls, and world files with security groups."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from tencentcloud.cfs.v20190719 import models as cfs_models
from tencentcloud.vpc.v20170312 import models

from tke_orphans_testkit.emulator import FaultPlan, world_from_data
from tke_orphans_testkit.emulator.generate import generate_world
from tke_orphans_testkit.emulator.ratelimit import real_limit

Api = Any  # the `Api` helper of this folder's conftest
GZ = "ap-guangzhou"
VPC = ("vpc", "2017-03-12")
WORKER = "tke-worker-security-for-cls-gone0001"
WORLD: dict[str, Any] = {
    "regions": {
        GZ: {
            "security_groups": [
                {"SecurityGroupId": "sg-default1", "SecurityGroupName": "default", "IsDefault": True,
                 "CreatedTime": "-400d", "associations": {"CVM": 3}},
                {"SecurityGroupId": "sg-left0001", "SecurityGroupName": WORKER, "CreatedTime": "-90d",
                 "SecurityGroupDesc": "tke worker"},
                {"SecurityGroupId": "sg-left0002", "SecurityGroupName": "tke-master-security-for-cls-gone0001",
                 "CreatedTime": "-90d", "UpdateTime": "-1d", "referenced_by": ["sg-user0001"]},
                {"SecurityGroupId": "sg-live0001", "SecurityGroupName": "tke-worker-security-for-cls-prodgz01",
                 "CreatedTime": "-200d", "associations": {"CVM": 2, "ENI": 1}},
                {"SecurityGroupId": "sg-redis001", "SecurityGroupName": "my-tke-worker-security-for-cls-gone0001",
                 "CreatedTime": "-50d", "ProjectId": 7, "associations": {"REDIS": 1},
                 "TagSet": [{"Key": "team", "Value": "cache"}]},
                {"SecurityGroupId": "sg-user0001", "SecurityGroupName": "bastion", "CreatedTime": "-10d",
                 "referenced_by": []},
            ],
            "security_group_limit": 60,
        }
    }
}  # fmt: skip


@pytest.fixture
def api(serve: Callable[..., Api]) -> Api:
    return serve(WORLD)


def groups(api: Api, **params: Any) -> Any:
    return api.sdk(api.vpc(), models, "DescribeSecurityGroups", params)


def names(api: Api, **params: Any) -> list[str]:
    return [g["SecurityGroupId"] for g in groups(api, **params)["SecurityGroupSet"]]


def statistics(api: Api, *ids: str) -> Any:
    answer = api.sdk(api.vpc(), models, "DescribeSecurityGroupAssociationStatistics", {"SecurityGroupIds": list(ids)})
    return {s["SecurityGroupId"]: s for s in answer["SecurityGroupAssociationStatisticsSet"]}


def references(api: Api, *ids: str) -> dict[str, list[str]]:
    answer = api.sdk(api.vpc(), models, "DescribeSecurityGroupReferences", {"SecurityGroupIds": list(ids)})
    return {r["SecurityGroupId"]: r["ReferredSecurityGroupIds"] for r in answer["ReferredSecurityGroupSet"]}


def delete(api: Api, sid: str) -> Any:
    return api.sdk(api.vpc(), models, "DeleteSecurityGroup", {"SecurityGroupId": sid})


def test_describe_security_groups_answers_security_group_items(api: Api) -> None:
    answer = groups(api, SecurityGroupIds=["sg-left0002", "sg-redis001"])
    assert answer["TotalCount"] == 2
    master, redis = answer["SecurityGroupSet"]
    now = api.em.store.world.now
    assert master["SecurityGroupName"] == "tke-master-security-for-cls-gone0001"
    assert master["CreatedTime"] == (now - timedelta(days=90)).strftime("%Y-%m-%d %H:%M:%S")
    assert master["UpdateTime"] == (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert (master["ProjectId"], master["IsDefault"], master["TagSet"]) == ("0", False, [])
    assert (redis["ProjectId"], redis["TagSet"]) == ("7", [{"Key": "team", "Value": "cache"}])


def test_describe_security_groups_filters(api: Api) -> None:
    def by(name: str, *values: str) -> list[str]:
        return names(api, Filters=[{"Name": name, "Values": list(values)}])

    # The name filter is fuzzy: the user's look-alike comes back too, and the caller checks the name itself.
    assert by("security-group-name", WORKER) == ["sg-left0001", "sg-redis001"]
    assert by("security-group-name", "tke-master-security-for-", "bastion") == ["sg-left0002", "sg-user0001"]
    assert by("security-group-id", "sg-live0001") == ["sg-live0001"]
    assert by("project-id", "7") == ["sg-redis001"]
    assert by("tag-key", "team") == ["sg-redis001"]
    assert by("tag:team", "cache") == by("tag:team", "cache", "other") == ["sg-redis001"]
    assert names(api, SecurityGroupIds=["sg-user0001", "sg-nothere1"]) == ["sg-user0001"]


def test_describe_security_groups_takes_offset_and_limit_as_strings(api: Api) -> None:
    seen = [sid for off in ("0", "2", "4") for sid in names(api, Offset=off, Limit="2")]
    assert seen == names(api, Limit="100") and len(seen) == 6
    assert names(api, OrderField="CreatedTime", OrderDirection="DESC", Limit="1") == ["sg-user0001"]
    assert names(api, OrderField="UpdateTime", Limit="1") == ["sg-default1"]

    def code(**params: Any) -> str:
        return str(api.error_code(lambda: api.call(*VPC, "DescribeSecurityGroups", params, GZ)))

    assert code(Limit=20) == code(Offset=0) == "InvalidParameter"  # integers: this API takes strings
    assert code(Limit="101") == code(Limit="0") == "InvalidParameterValue.Range"
    assert code(Limit="ten") == "InvalidParameterValue"
    assert code(SecurityGroupIds=["sg-left0001"], Filters=[{"Name": "project-id", "Values": ["0"]}]) == (
        "InvalidParameter"
    )
    assert code(Filters=[{"Name": "tag-value", "Values": ["cache"]}]) == "InvalidParameter.FilterInvalidKey"
    assert code(SecurityGroupIds=[f"sg-{i:08d}" for i in range(101)]) == "InvalidParameterValue.LimitExceeded"
    assert code(SecurityGroupIds=["security-1"]) == "InvalidSecurityGroupID.Malformed"
    assert code(OrderField="Name") == "InvalidParameterValue"
    assert code(VpcId="vpc-1") == "UnknownParameter"


def test_association_statistics_count_every_instance_type_and_references(api: Api) -> None:
    got = statistics(api, "sg-left0001", "sg-live0001", "sg-redis001", "sg-left0002")
    assert {k: got["sg-left0001"][k] for k in ("CVM", "CDB", "ENI", "SG", "CLB", "TotalCount")} == dict.fromkeys(
        ("CVM", "CDB", "ENI", "SG", "CLB", "TotalCount"), 0
    )
    live = got["sg-live0001"]
    assert (live["CVM"], live["ENI"], live["TotalCount"]) == (2, 1, 3)
    assert live["InstanceStatistics"] == [{"InstanceType": "CVM", "InstanceCount": 2},
                                          {"InstanceType": "ENI", "InstanceCount": 1}]  # fmt: skip
    # Bound only to a type without its own field: TotalCount still counts it.
    assert (got["sg-redis001"]["CVM"], got["sg-redis001"]["TotalCount"]) == (0, 1)
    # A reference is SG, not part of TotalCount.
    assert (got["sg-left0002"]["SG"], got["sg-left0002"]["TotalCount"]) == (1, 0)

    def code(action: str, params: dict[str, Any]) -> str:
        return str(api.error_code(lambda: api.call(*VPC, action, params, GZ)))

    for action in ("DescribeSecurityGroupAssociationStatistics", "DescribeSecurityGroupReferences"):
        assert code(action, {}) == code(action, {"SecurityGroupIds": []}) == "MissingParameter"
        assert code(action, {"SecurityGroupIds": ["sg-left0001", "sg-nothere1"]}) == "InvalidSecurityGroupID.NotFound"
        assert code(action, {"SecurityGroupIds": ["nope"]}) == "InvalidSecurityGroupID.Malformed"
        too_many = {"SecurityGroupIds": [f"sg-{i:08d}" for i in range(101)]}
        assert code(action, too_many) == "InvalidParameterValue.LimitExceeded"


def test_references_and_limits(api: Api) -> None:
    assert references(api, "sg-left0002", "sg-left0001") == {"sg-left0002": ["sg-user0001"], "sg-left0001": []}
    limits = api.sdk(api.vpc(), models, "DescribeSecurityGroupLimits", {})["SecurityGroupLimitSet"]
    assert limits["SecurityGroupLimit"] == 60  # the world's; 50 by default


def test_delete_security_group_refuses_default_referenced_and_associated_groups(api: Api) -> None:
    assert api.error_code(lambda: delete(api, "sg-default1")) == "UnsupportedOperation"
    assert api.error_code(lambda: delete(api, "sg-left0002")) == "ResourceInUse"  # named by sg-user0001's rules
    assert api.error_code(lambda: delete(api, "sg-live0001")) == "ResourceInUse"  # bound to CVMs and an ENI
    assert api.error_code(lambda: delete(api, "sg-redis001")) == "ResourceInUse"  # bound to a Redis instance
    assert api.error_code(lambda: delete(api, "sg-nothere1")) == "InvalidSecurityGroupID.NotFound"
    assert api.error_code(lambda: delete(api, "group-1")) == "InvalidSecurityGroupID.Malformed"
    assert api.error_code(lambda: api.call(*VPC, "DeleteSecurityGroup", {}, GZ)) == "MissingParameter"
    assert len(names(api, Limit="100")) == 6
    delete(api, "sg-left0001")
    # The referencing group goes, and its rules with it: the group it named is free to go next.
    delete(api, "sg-user0001")
    assert references(api, "sg-left0002") == {"sg-left0002": []}
    delete(api, "sg-left0002")
    assert names(api, Limit="100") == ["sg-default1", "sg-live0001", "sg-redis001"]
    assert api.error_code(lambda: statistics(api, "sg-left0001")) == "InvalidSecurityGroupID.NotFound"


def test_faults_and_rate_limits_reach_the_security_group_calls(serve: Callable[..., Api]) -> None:
    faults = FaultPlan.from_data({"faults": [
        {"action": "DescribeSecurityGroupAssociationStatistics", "effect": "value", "field": "TotalCount",
         "value": -1, "times": 1},
        {"action": "DeleteSecurityGroup", "code": "RequestLimitExceeded", "times": 1},
        {"action": "DescribeSecurityGroups", "effect": "short", "times": 1},
    ]})  # fmt: skip
    api = serve(WORLD, faults=faults)
    assert statistics(api, "sg-live0001")["sg-live0001"]["TotalCount"] == -1
    assert api.error_code(lambda: delete(api, "sg-left0001")) == "RequestLimitExceeded"
    short = groups(api, Limit="100")
    assert (len(short["SecurityGroupSet"]), short["TotalCount"]) == (5, 6)
    delete(api, "sg-left0001")
    assert real_limit("vpc", "DescribeSecurityGroups") == real_limit("vpc", "DeleteSecurityGroup") == 100
    assert real_limit("vpc", "DescribeSecurityGroupAssociationStatistics") == 20


GOOD: dict[str, Any] = {
    "credentials": [{"secret_id": "AKIDworld", "secret_key": "world-key"}],
    "regions": {GZ: copy.deepcopy(WORLD["regions"][GZ])},
}
P = "regions.ap-guangzhou.security_groups"


def _sg(i: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["regions"][GZ]["security_groups"][i].update(fields)


def _crowd(d: dict[str, Any]) -> None:
    d["regions"][GZ]["security_group_limit"] = 50
    d["regions"][GZ]["security_groups"] += [
        {"SecurityGroupId": f"sg-crowd{i:03d}", "CreatedTime": "-1d"} for i in range(46)
    ]


BAD: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown-reference", _sg(1, referenced_by=["sg-nothere1"]), f"{P}[1].referenced_by[0]",
     "sg-nothere1 is not a security group of region ap-guangzhou"),
    ("self-reference", _sg(1, referenced_by=["sg-left0001"]), f"{P}[1].referenced_by[0]", "own rules"),
    ("duplicate", _sg(2, SecurityGroupId="sg-left0001"), f"{P}[2]", "sg-left0001 duplicates security_groups[1]"),
    ("negative-count", _sg(1, associations={"CVM": -1}), f"{P}[1].associations.CVM", "greater than or equal to 0"),
    ("bad-type", _sg(1, associations={"cvm": 1}), f"{P}[1].associations.cvm", "not a valid key"),
    ("bad-id", _sg(1, SecurityGroupId="group-1"), f"{P}[1].SecurityGroupId", "pattern"),
    ("long-name", _sg(1, SecurityGroupName="x" * 61), f"{P}[1].SecurityGroupName", "60"),
    ("over-quota", _crowd, f"{P}[51]", "project 0 holds more than 50 security groups in ap-guangzhou (the quota)"),
    ("unknown-key", _sg(1, VpcId="vpc-1"), f"{P}[1].VpcId", "unknown key (see docs/emulator.md"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "path", "detail"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_security_groups_are_refused_with_file_path_and_problem(tmp_path, refused, mutate, path, detail):
    err = refused(GOOD, mutate)
    assert (err.source, err.path) == (str(tmp_path / "bad-world.yaml"), path)
    assert detail in err.problem, err.problem
    assert "\n" not in str(err)  # one sentence


# ---- the generator ---------------------------------------------------------------------------------------------

TKE_NAME = re.compile(r"tke-(?:worker|master)-security-for-(cls-[0-9a-z]+)")


def test_generated_security_groups_follow_the_rule_and_every_trap_is_there(serve: Callable[..., Api]) -> None:
    data = generate_world(regions=2, instances=600, clusters=6, seed=5)
    key = data["answer_key"]
    listed = {
        (x["region"], x["resource_id"], x["cluster_id"]) for x in key["leftovers"] if x["kind"] == "security_group"
    }
    api = serve(world_from_data(data))
    found = set()
    for rname, region in data["regions"].items():
        assert 6 <= len(region["security_groups"]) <= 16  # a few a region: the benchmark's worlds barely grow
        live = {c["ClusterId"] for c in region["clusters"]}
        # The rule, through the emulator: TKE's exact name, of a cluster the region lacks, not default, nothing
        # associated (TotalCount 0) and nothing referencing it (SG 0).
        vpc = api.vpc(rname)
        tke = api.sdk(vpc, models, "DescribeSecurityGroups",
                      {"Filters": [{"Name": "security-group-name", "Values": ["tke-"]}], "Limit": "100"})  # fmt: skip
        named = {g["SecurityGroupId"]: g for g in tke["SecurityGroupSet"]}
        stats = api.sdk(vpc, models, "DescribeSecurityGroupAssociationStatistics", {"SecurityGroupIds": list(named)})
        for s in stats["SecurityGroupAssociationStatisticsSet"]:
            g = named[s["SecurityGroupId"]]
            m = TKE_NAME.fullmatch(g["SecurityGroupName"])
            if m and m.group(1) not in live and not g["IsDefault"] and s["TotalCount"] == s["SG"] == 0:
                found.add((rname, g["SecurityGroupId"], m.group(1)))
        whys = {key["not_leftovers"][g["SecurityGroupId"]] for g in region["security_groups"]
                if g["SecurityGroupId"] in key["not_leftovers"]}  # fmt: skip
        for phrase in (
            "still associated (REDIS 1)",
            "referenced by the rules of",
            "of the live cluster",
            "though nothing is associated",
            "not TKE's exact name",
            "a default security group, though",
        ):
            assert any(phrase in why for why in whys), phrase  # fmt: skip
    assert listed == found and listed


def test_demo_world_security_groups_and_file_systems(demo: Api) -> None:
    key = {(x.kind, x.resource_id): x.cluster_id for x in demo.em.store.world.spec.answer_key.leftovers}
    groups = names(demo, Limit="100")
    assert [rid for kind, rid in key if kind == "security_group"] == ["sg-gzleft01"]
    assert {rid for kind, rid in key if kind == "security_group"} <= set(groups)
    fs = demo.sdk(demo.cfs(), cfs_models, "DescribeCfsFileSystems", {"Limit": 100})["FileSystems"]
    assert [rid for kind, rid in key if kind == "cfs"] == ["cfs-gzleft01"]
    assert {rid for kind, rid in key if kind == "cfs"} <= {f["FileSystemId"] for f in fs}


def test_the_documented_file_systems_and_security_groups_load(serve: Callable[..., Api]) -> None:
    """docs/emulator.md's world sample: its file_systems, security_groups and security_group_limit are valid."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    sample = yaml.safe_load(text.split("## World files", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0])
    region = sample["regions"][GZ]
    kinds = {k: region[k] for k in ("file_systems", "security_groups", "security_group_limit")}
    api = serve({"regions": {GZ: kinds}})
    (fs,) = api.sdk(api.cfs(), cfs_models, "DescribeCfsFileSystems", {})["FileSystems"]
    assert (fs["FsName"], fs["Tags"]) == (kinds["file_systems"][0]["FsName"], [{"TagKey": "team", "TagValue": "data"}])
    assert statistics(api, "sg-gzleft01")["sg-gzleft01"]["TotalCount"] == 0
