"""An organization: the member listing, sts AssumeRole, and the temporary credentials that act in a member's own
world, through the official SDK clients over the socket."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.cvm.v20170312 import models as cvm_models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.organization.v20210331 import models as org_models
from tencentcloud.organization.v20210331.organization_client import OrganizationClient
from tencentcloud.sts.v20180813 import models as sts_models
from tencentcloud.sts.v20180813.sts_client import StsClient

from tke_orphans_testkit.emulator import FaultPlan
from tke_orphans_testkit.emulator.generate import generate_world
from tke_orphans_testkit.emulator.generate_org import generate_organization
from tke_orphans_testkit.emulator.ratelimit import RateLimiter

Api = Any  # the `Api` helper of this folder's conftest


GZ, SH = "ap-guangzhou", "ap-shanghai"
MANAGER = "100000000001"
ROLE = "OrganizationAccessControlRole"
A, B, C, D = "200000000001", "200000000002", "200000000003", "200000000004"


def _instance(iid: str, zone: str) -> dict[str, Any]:
    return {"InstanceId": iid, "CreatedTime": "-3d", "Placement": {"Zone": zone}}


def org_world(extra_members: int = 0) -> dict[str, Any]:
    """A management account with one instance, and members: A (two regions, the role), B (a role that trusts
    someone else), C (no role), D (a one-minute role session, an external id); then `extra_members` plain ones."""
    members: list[dict[str, Any]] = [
        {
            "uin": A,
            "name": "team-a",
            "node_id": 11,
            "node_name": "Dev",
            "tags": [{"Key": "team", "Value": "a"}],
            "role": {},
            "regions": {
                GZ: {"instances": [_instance("ins-a0000001", "ap-guangzhou-3")]},
                SH: {"instances": [_instance("ins-a0000002", "ap-shanghai-2")]},
            },
        },
        {"uin": B, "name": "team-b", "role": {"trusts": ["300000000009"]}, "regions": {GZ: {}}},
        {"uin": C, "name": "team-c", "member_type": "Invite", "regions": {GZ: {}}},
        {
            "uin": D,
            "name": "team-d",
            "role": {"session_duration": 60, "external_id": "ext-tke-orphans"},
            "regions": {GZ: {"instances": [_instance("ins-d0000001", "ap-guangzhou-4")]}},
        },
    ]
    members += [{"uin": str(210000000000 + i), "name": f"extra-{i:03d}"} for i in range(extra_members)]
    return {
        "credentials": [{"name": "manager", "secret_id": "AKIDmanager", "secret_key": "manager-key", "uin": MANAGER}],
        "regions": {GZ: {"instances": [_instance("ins-m0000001", "ap-guangzhou-3")]}},
        "organization": {"members": members},
    }


class Clock:
    """The emulator's clock, moved forward by tests (within the 5-minute signature skew)."""

    def __init__(self) -> None:
        import time

        self.offset = 0.0
        self._time = time.time

    def __call__(self) -> float:
        return self._time() + self.offset


def _org(api: Api, cred: Credential | None = None) -> OrganizationClient:
    return OrganizationClient(cred or api.credential(), "", api.profile())


def _sts(api: Api, cred: Credential | None = None) -> StsClient:
    return StsClient(cred or api.credential(), GZ, api.profile())


def members_page(api: Api, params: dict[str, Any], cred: Credential | None = None) -> Any:
    return api.sdk(_org(api, cred), org_models, "DescribeOrganizationMembers", params)


def assume(api: Api, uin: str, role: str = ROLE, **params: Any) -> Any:
    request = {"RoleArn": f"qcs::cam::uin/{uin}:roleName/{role}", "RoleSessionName": "tke-orphans", **params}
    return api.sdk(_sts(api), sts_models, "AssumeRole", request)


def as_member(answer: Any) -> Credential:
    creds = answer["Credentials"]
    return Credential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])


def instance_ids(api: Api, cred: Credential, region: str = GZ) -> list[str]:
    client = CvmClient(cred, region, api.profile())
    answer = api.sdk(client, cvm_models, "DescribeInstances", {"Limit": 100})
    return [i["InstanceId"] for i in answer["InstanceSet"]]


@pytest.fixture
def org(serve: Callable[..., Api]) -> Api:
    return serve(org_world())


# ---- DescribeOrganizationMembers ---------------------------------------------------------------------------


def test_members_are_paged_to_total_with_the_documented_fields(serve: Callable[..., Api]) -> None:
    api = serve(org_world(extra_members=116))
    seen: list[int] = []
    offset = 0
    while True:
        page = members_page(api, {"Offset": offset, "Limit": 50})
        seen += [m["MemberUin"] for m in page["Items"]]
        offset += 50
        if offset >= page["Total"]:
            break
    assert page["Total"] == 120 and len(seen) == 120 == len(set(seen))
    assert int(MANAGER) not in seen
    first = members_page(api, {"Offset": 0, "Limit": 1})["Items"][0]
    assert first["MemberUin"] == int(A) and first["Name"] == "team-a"
    assert (first["NodeId"], first["NodeName"], first["MemberType"]) == (11, "Dev", "Create")
    assert first["Tags"] == [{"TagKey": "team", "TagValue": "a"}]
    assert first["OrgIdentity"] and first["PermissionStatus"] == "Confirmed"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Limit": 10}, "MissingParameter"),
        ({"Offset": 0}, "MissingParameter"),
        ({"Offset": 0, "Limit": 51}, "InvalidParameter"),
        ({"Offset": 0, "Limit": 0}, "InvalidParameter"),
        ({"Offset": 5, "Limit": 10}, "InvalidParameter"),
        ({"Offset": -10, "Limit": 10}, "InvalidParameter"),
    ],
)
def test_member_paging_rules(org: Api, params: dict[str, Any], code: str) -> None:
    assert org.error_code(lambda: members_page(org, params)) == code


def test_members_filtered_by_search_key_node_and_tag(org: Api) -> None:
    def uins(**params: Any) -> list[str]:
        return [str(m["MemberUin"]) for m in members_page(org, {"Offset": 0, "Limit": 50, **params})["Items"]]

    assert uins(SearchKey="team-b") == [B]
    assert uins(NodeId=11) == [A]
    assert uins(Tags=[{"TagKey": "team", "TagValue": "a"}]) == [A]


def test_only_the_management_account_lists_members(org: Api, serve: Callable[..., Api]) -> None:
    member = as_member(assume(org, A))
    assert org.error_code(lambda: members_page(org, {"Offset": 0, "Limit": 10}, member)) == "UnauthorizedOperation"
    alone = serve({"regions": {GZ: {}}})
    code = org.error_code(lambda: members_page(alone, {"Offset": 0, "Limit": 10}))
    assert code == "ResourceNotFound.OrganizationNotExist"


def test_faults_reach_the_member_listing(serve: Callable[..., Api]) -> None:
    rules = [
        {"action": "DescribeOrganizationMembers", "params": {"Offset": 0}, "effect": "omit", "times": 1},
        {"action": "DescribeOrganizationMembers", "params": {"Offset": 0}, "effect": "short", "times": 1},
        {"action": "DescribeOrganizationMembers", "code": "InternalError", "times": 1},
    ]
    api = serve(org_world(), faults=FaultPlan.from_data({"faults": rules}))
    omitted = members_page(api, {"Offset": 0, "Limit": 50})
    assert (len(omitted["Items"]), omitted["Total"]) == (3, 3)
    short = members_page(api, {"Offset": 0, "Limit": 50})
    assert (len(short["Items"]), short["Total"]) == (3, 4)
    assert api.error_code(lambda: members_page(api, {"Offset": 0, "Limit": 50})) == "InternalError"
    assert len(members_page(api, {"Offset": 0, "Limit": 50})["Items"]) == 4


# ---- AssumeRole and the member's own world ----------------------------------------------------------------


def test_assumed_role_acts_in_the_member_world_only(org: Api) -> None:
    answer = assume(org, A)
    assert set(answer["Credentials"]) == {"Token", "TmpSecretId", "TmpSecretKey"}
    assert answer["ExpiredTime"] > 0 and answer["Expiration"].endswith("Z")
    member = as_member(answer)
    assert instance_ids(org, member, GZ) == ["ins-a0000001"]
    assert instance_ids(org, member, SH) == ["ins-a0000002"]
    assert instance_ids(org, org.credential(), GZ) == ["ins-m0000001"]  # the management account's own
    client = CvmClient(org.credential(), SH, org.profile())
    assert org.error_code(lambda: org.sdk(client, cvm_models, "DescribeInstances", {})) == "UnsupportedRegion"
    identity = org.common("sts", "2018-08-13", GZ)
    identity.credential = member
    assert identity.call_json("GetCallerIdentity", {})["Response"]["AccountId"] == A


def test_default_duration_and_the_role_session_cap(org: Api) -> None:
    clock = org.em.clock()
    default = assume(org, A)["ExpiredTime"] - clock
    assert 7190 <= default <= 7210
    capped = assume(org, D, ExternalId="ext-tke-orphans", DurationSeconds=43200)["ExpiredTime"] - clock
    assert 50 <= capped <= 70  # the role's session_duration, 60 s


@pytest.mark.parametrize(
    ("uin", "role", "params", "code"),
    [
        (C, ROLE, {}, "ResourceNotFound.RoleNotFound"),
        (A, "SomeOtherRole", {}, "ResourceNotFound.RoleNotFound"),
        (B, ROLE, {}, "InternalError.IllegalRole"),
        (D, ROLE, {}, "UnauthorizedOperation"),
        (D, ROLE, {"ExternalId": "ext-wrong"}, "UnauthorizedOperation"),
        ("299999999999", ROLE, {}, "InvalidParameter.AccountNotAvaliable"),
        (A, ROLE, {"DurationSeconds": 43201}, "InvalidParameter.OverTimeError"),
        (A, ROLE, {"RoleSessionName": "x"}, "InvalidParameter.ParamError"),
        (A, ROLE, {"RoleSessionName": "tke orphans"}, "InvalidParameter.ParamError"),
        (A, ROLE, {"Policy": quote("not json")}, "InvalidParameter.StrategyFormatError"),
    ],
)
def test_assume_role_refusals(org: Api, uin: str, role: str, params: dict[str, Any], code: str) -> None:
    assert org.error_code(lambda: assume(org, uin, role, **params)) == code


def test_malformed_role_arn_is_refused(org: Api) -> None:
    request = {"RoleArn": f"qcs::cam::uin/{A}:role/{ROLE}", "RoleSessionName": "tke-orphans"}
    call = lambda: org.sdk(_sts(org), sts_models, "AssumeRole", request)  # noqa: E731
    assert org.error_code(call) == "InvalidParameter.ParamError"


def test_temporary_credentials_expire_and_a_new_assume_role_works(serve: Callable[..., Api]) -> None:
    clock = Clock()
    api = serve(org_world(), clock=clock)
    member = as_member(assume(api, D, ExternalId="ext-tke-orphans"))
    assert instance_ids(api, member) == ["ins-d0000001"]
    clock.offset = 61  # past the role's 60 s session
    assert api.error_code(lambda: instance_ids(api, member)) == "AuthFailure.TokenFailure"
    renewed = as_member(assume(api, D, ExternalId="ext-tke-orphans"))
    assert instance_ids(api, renewed) == ["ins-d0000001"]


def test_a_wrong_or_missing_token_is_refused(org: Api) -> None:
    creds = assume(org, A)["Credentials"]
    wrong = Credential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"] + "x")
    missing = Credential(creds["TmpSecretId"], creds["TmpSecretKey"])
    assert org.error_code(lambda: instance_ids(org, wrong)) == "AuthFailure.TokenFailure"
    assert org.error_code(lambda: instance_ids(org, missing)) == "AuthFailure.TokenFailure"


# ---- statistics and rate limits per account ---------------------------------------------------------------


def test_calls_are_counted_per_account_and_assumed_roles_recorded(org: Api) -> None:
    policy = quote(json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["cvm:Describe*"],
                                                                 "resource": "*"}]}))  # fmt: skip
    member = as_member(assume(org, A, Policy=policy, DurationSeconds=3600))
    instance_ids(org, member)
    instance_ids(org, member, SH)
    instance_ids(org, org.credential())
    stats = org.stats()
    mine = stats["accounts"][A]
    assert mine["totals"]["calls"] == 2
    assert sorted((r["action"], r["region"]) for r in mine["actions"]) == [("DescribeInstances", GZ),
                                                                           ("DescribeInstances", SH)]  # fmt: skip
    manager = {(r["service"], r["action"]): r["calls"] for r in stats["accounts"][MANAGER]["actions"]}
    assert manager == {("sts", "AssumeRole"): 1, ("cvm", "DescribeInstances"): 1}
    [assumed] = stats["assumed_roles"]
    assert (assumed["caller"], assumed["member"], assumed["role"]) == (MANAGER, A, ROLE)
    assert (assumed["session_name"], assumed["duration"], assumed["policy"]) == ("tke-orphans", 3600, policy)


def test_members_never_share_a_rate_limit(serve: Callable[..., Api]) -> None:
    world = org_world()
    for m in world["organization"]["members"][:2]:
        m["rate_limits"] = {"cvm.DescribeInstances": 2}
    world["organization"]["members"][1]["role"] = {}
    api = serve(world)
    api.em.limiter = RateLimiter(clock=lambda: 0.0)  # no token comes back, however slow the machine
    a, b = as_member(assume(api, A)), as_member(assume(api, B))
    for _ in range(2):
        instance_ids(api, a)
    assert api.error_code(lambda: instance_ids(api, a)) == "RequestLimitExceeded"
    assert instance_ids(api, b) == []  # B's own budget is untouched
    assert instance_ids(api, api.credential()) == ["ins-m0000001"]  # the management account: no limit set
    assert api.stats()["accounts"][A]["totals"]["throttled"] == 1


# ---- world files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda w: w["organization"]["members"][1].update(uin=A), "organization.members[1].uin", "duplicates"),
        (lambda w: w["organization"]["members"][0].update(uin=MANAGER), "organization.members[0].uin", "management"),
        (lambda w: w["organization"].update(uin="100000000009"), "organization.uin", "none of the world"),
        (
            lambda w: w["organization"]["members"][0]["regions"][GZ]["instances"].append(
                _instance("ins-a0000001", "ap-guangzhou-3")
            ),
            "organization.members[0].regions.ap-guangzhou.instances[1].InstanceId",
            "duplicates",
        ),
        (
            lambda w: w["organization"]["members"][0]["regions"][GZ].update(
                disks=[{"DiskId": "disk-x1", "DiskSize": 10, "CreateTime": "-1d", "Placement": {"Zone": SH + "-1"}}]
            ),
            "organization.members[0].regions.ap-guangzhou.disks[0]",
            "",
        ),
        (lambda w: w["organization"]["members"][0].update(colour="red"), "organization.members[0].colour", "unknown"),
        (
            lambda w: w["organization"]["members"][0]["role"].update(session_duration=43201),
            "organization.members[0].role.session_duration",
            "",
        ),
        (
            lambda w: w["organization"]["members"][0].update(rate_limits={"DescribeInstances": 2}),
            "organization.members[0].rate_limits",
            "key",
        ),
    ],
)
def test_bad_organizations_are_refused_naming_the_path(
    refused: Callable[..., Any], change: Callable[[dict[str, Any]], object], path: str, words: str
) -> None:
    error = refused(copy.deepcopy(org_world()), change)
    assert error.path.startswith(path), error
    assert words in error.problem


# ---- the generator ----------------------------------------------------------------------------------------


def test_generated_organization_serves_each_member_its_own_world(serve: Callable[..., Api]) -> None:
    data = generate_organization(members=3, regions=2, instances=40, clusters=1, seed=7, without_role=1)
    assert data == generate_organization(members=3, regions=2, instances=40, clusters=1, seed=7, without_role=1)
    api = serve(data)
    page = members_page(api, {"Offset": 0, "Limit": 50})
    uins = [str(m["MemberUin"]) for m in page["Items"]]
    assert page["Total"] == 3 and len(set(uins)) == 3
    first = data["organization"]["members"][0]
    assert first["answer_key"] == generate_world(regions=2, instances=40, clusters=1, seed=8)["answer_key"]
    member = as_member(assume(api, uins[0]))
    region = sorted(first["regions"])[0]
    expected = sorted(i["InstanceId"] for i in first["regions"][region]["instances"])
    assert sorted(instance_ids(api, member, region)) == expected
    assert api.error_code(lambda: assume(api, uins[2])) == "ResourceNotFound.RoleNotFound"
