"""The generator's disks, load balancers and addresses: every case is there, and the answer key of leftovers is
what the evidence rules of issue 16 give (checked here independently, from the world, and through the emulator)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from tke_orphans_testkit.emulator import world_from_data
from tke_orphans_testkit.emulator.generate import generate_world

Api = Any


def tags_of(item: dict[str, Any], field: str = "Tags") -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get(field, [])}


def expected(data: dict[str, Any]) -> tuple[set[tuple[str, str, str, str]], set[tuple[str, str, str]]]:
    """(leftovers, reused CLBs) by the rules: TKE-made, of a cluster not in the region, unattached / unbound."""
    leftovers, reused = set(), set()
    for rname, region in data["regions"].items():
        live = {c["ClusterId"] for c in region["clusters"]}
        for d in region["disks"]:
            t = tags_of(d)
            made = t.get("tke-cbs-provisioner-createBy-flag") == "yes"
            if made and t.get("tke-clusterId", "x") not in live and d.get("DiskState", "UNATTACHED") == "UNATTACHED":
                leftovers.add((rname, "cbs_disk", d["DiskId"], t["tke-clusterId"]))
        for lb in region["load_balancers"]:
            t = tags_of(lb)
            if "tke-clusterId" in t and t["tke-clusterId"] not in live:
                if t.get("tke-createdBy-flag") == "yes":
                    leftovers.add((rname, "clb", lb["LoadBalancerId"], t["tke-clusterId"]))
                else:
                    reused.add((rname, lb["LoadBalancerId"], t["tke-clusterId"]))
        for a in region["addresses"]:
            t = tags_of(a, "TagSet")
            made = "tke-created-eip" in t
            if made and t.get("tke-clusterId", "x") not in live and a.get("AddressStatus", "UNBIND") == "UNBIND":
                leftovers.add((rname, "eip", a["AddressId"], t["tke-clusterId"]))
    return leftovers, reused


def test_generated_leftovers_match_the_evidence_rules_and_every_case_is_there() -> None:
    data = generate_world(regions=2, instances=3000, clusters=20, seed=5)
    world_from_data(data)  # valid
    key = data["answer_key"]
    leftovers, reused = expected(data)
    # File systems and security groups: test_cfs.py and test_security_groups.py check theirs.
    tagged = [x for x in key["leftovers"] if x["kind"] in ("cbs_disk", "clb", "eip")]
    assert {(x["region"], x["kind"], x["resource_id"], x["cluster_id"]) for x in tagged} == leftovers
    assert {(x["region"], x["resource_id"], x["cluster_id"]) for x in key["reused"]} == reused
    assert set(Counter(x["kind"] for x in tagged)) == {"cbs_disk", "clb", "eip"}
    assert reused
    whys = " ".join(key["not_leftovers"].values())
    for phrase in ("attached to", "still bound", "of the live cluster", "the user's own", "no createdBy flag"):
        assert phrase in whys
    regions = data["regions"].values()
    assert any(lb.get("AttributeFlags") == ["DeleteProtect"] for r in regions for lb in r["load_balancers"])
    assert any(d.get("DiskState") == "ATTACHED" for r in regions for d in r["disks"])
    listed = {rid for r in regions for kind in ("disks", "load_balancers", "addresses", "file_systems",
                                                "security_groups") for rid in
              (x.get("DiskId") or x.get("LoadBalancerId") or x.get("AddressId") or x.get("FileSystemId")
               or x.get("SecurityGroupId") for x in r[kind])}  # fmt: skip
    assert {x["resource_id"] for x in key["leftovers"]} | set(key["not_leftovers"]) == listed


def test_generated_leftovers_are_found_by_tag_through_the_emulator(serve: Callable[..., Api]) -> None:
    data = generate_world(regions=2, instances=1000, clusters=8, seed=3)
    api = serve(world_from_data(data))
    found: set[str] = set()
    token = ""
    while True:
        params = {"TagFilters": [{"TagKey": "tke-clusterId"}], "MaxResults": 200, "PaginationToken": token}
        page = api.call("tag", "2018-08-13", "GetResources", params)
        found |= {m["Resource"].rsplit("/", 1)[1] for m in page["ResourceTagMappingList"]}
        token = page["PaginationToken"]
        if not token:
            break
    tagged = {x["resource_id"] for x in data["answer_key"]["leftovers"] if x["kind"] in ("cbs_disk", "clb", "eip")}
    assert tagged <= found  # file systems and security groups are found by name, not by tag
