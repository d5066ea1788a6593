"""Audit events a world file seeds (for tests of old events), and each account's log being its own."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from tencentcloud.cloudaudit.v20190319 import models as audit_models
from tencentcloud.cloudaudit.v20190319.cloudaudit_client import CloudauditClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models as sts_models
from tencentcloud.sts.v20180813.sts_client import StsClient
from tencentcloud.tke.v20180525 import models as tke_models
from tencentcloud.tke.v20180525.tke_client import TkeClient

Api = Any  # the `Api` helper of this folder's conftest: a running emulator and SDK clients for it
Refused = Any
GZ = "ap-guangzhou"
DAY = 86400
MEMBER = "200000000001"
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"

SEEDED = {
    "credentials": [{"name": "ops-bot", "secret_id": "AKIDops", "secret_key": "ops-key", "uin": "100000000007"}],
    "regions": {GZ: {}},
    "audit": {
        "events": [
            {"EventName": "DeleteClusterInstances", "EventTime": "-20d", "EventRegion": GZ, "Username": "alice",
             "requestParameters": {"ClusterId": "cls-old00001", "InstanceIds": ["ins-old00001"],
                                   "InstanceDeleteMode": "retain"}},
            {"EventName": "DeleteCluster", "EventTime": "-3h", "EventRegion": GZ, "RequestID": "req-seeded-1",
             "requestParameters": {"ClusterId": "cls-old00002", "InstanceDeleteMode": "retain"}},
        ]
    },
}  # fmt: skip


def events(api: Api, start: int, end: int, cred: Credential | None = None) -> list[Any]:
    client = CloudauditClient(cred or api.credential(), GZ, api.profile())
    query = {"StartTime": start, "EndTime": end, "MaxResults": 50}
    return list(api.sdk(client, audit_models, "DescribeEvents", query)["Events"])


def test_seeded_events_are_served_at_their_time_with_their_caller(serve: Callable[..., Api]) -> None:
    api = serve(SEEDED)
    now = int(time.time())
    assert [e["EventName"] for e in events(api, now - 25 * DAY, now)] == ["DeleteCluster", "DeleteClusterInstances"]
    old, recent = events(api, now - 21 * DAY, now - 19 * DAY), events(api, now - DAY, now)
    assert [e["Username"] for e in old] == ["alice"]
    record = json.loads(old[0]["CloudAuditEvent"])
    assert json.loads(record["requestParameters"])["InstanceIds"] == ["ins-old00001"]
    assert abs(record["eventTime"] - (now - 20 * DAY)) < 600
    # Unsaid, the caller is the world's first credential.
    assert (recent[0]["Username"], recent[0]["SecretId"], recent[0]["RequestID"]) == (
        "ops-bot",
        "AKIDops",
        "req-seeded-1",
    )
    assert recent[0]["AccountID"] == 100000000007


def test_a_bad_audit_key_is_refused_with_its_path(refused: Refused) -> None:
    def change(data: dict[str, Any]) -> None:
        data["audit"]["events"][0]["EventTime"] = "yesterday"

    error = refused(SEEDED, change)
    assert "audit.events[0].EventTime" in str(error)

    def negative(data: dict[str, Any]) -> None:
        data["audit"]["delay_seconds"] = -1

    assert "audit.delay_seconds" in str(refused(SEEDED, negative))


def _org_world() -> dict[str, Any]:
    member_region = {
        "instances": [{"InstanceId": "ins-a0000001", "CreatedTime": "-3d", "Placement": {"Zone": "ap-guangzhou-3"}}],
        "clusters": [{"ClusterId": "cls-a0000001", "CreatedTime": "-9d", "nodes": [{"InstanceId": "ins-a0000001"}]}],
    }
    return {
        "credentials": [{"name": "manager", "secret_id": "AKIDmanager", "secret_key": "manager-key"}],
        "regions": {GZ: {}},
        "organization": {"members": [{"uin": MEMBER, "name": "team-a", "role": {}, "regions": {GZ: member_region}}]},
    }


def test_each_account_sees_its_own_events_only(serve: Callable[..., Api]) -> None:
    api = serve(_org_world())
    role = {
        "RoleArn": f"qcs::cam::uin/{MEMBER}:roleName/OrganizationAccessControlRole",
        "RoleSessionName": "audit-test",
    }
    creds = api.sdk(StsClient(api.credential(), GZ, api.profile()), sts_models, "AssumeRole", role)["Credentials"]
    member = Credential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])
    params = {"ClusterId": "cls-a0000001", "InstanceIds": ["ins-a0000001"], "InstanceDeleteMode": "retain"}
    api.sdk(TkeClient(member, GZ, api.profile()), tke_models, "DeleteClusterInstances", params)
    now = int(time.time())
    theirs = events(api, now - 60, now + 60, member)
    assert [(e["EventName"], e["AccountID"], e["Username"]) for e in theirs] == [
        ("DeleteClusterInstances", int(MEMBER), "OrganizationAccessControlRole")
    ]
    assert events(api, now - 60, now + 60) == []  # the management account's log is its own


def test_serve_takes_the_delay_as_an_option() -> None:
    """`tke-orphans emulator serve --audit-delay 600`: an event made now is not seen yet (the world says 0)."""
    cli = [sys.executable, "-m", "tke_orphans", "emulator", "serve", "--world", str(DEMO), "--audit-delay", "600"]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=url.removeprefix("http://"), protocol="http"))
        demo = Credential("AKIDdemo0000000000000000000000000000", "demo-secret-key-0000000000000000")
        request = tke_models.DeleteClusterInstancesRequest()
        request.from_json_string(
            json.dumps({"ClusterId": "cls-prodgz01", "InstanceIds": ["ins-gzweb001"], "InstanceDeleteMode": "retain"})
        )
        assert TkeClient(demo, GZ, profile).DeleteClusterInstances(request).SuccInstanceIds == ["ins-gzweb001"]
        now = int(time.time())
        query = audit_models.DescribeEventsRequest()
        query.from_json_string(json.dumps({"StartTime": now - 60, "EndTime": now + 60}))
        answer = CloudauditClient(demo, GZ, profile).DescribeEvents(query)
        assert (answer.Events, answer.ListOver) == ([], True)
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_the_docs_audit_sample_is_a_valid_world_key(serve: Callable[..., Api]) -> None:
    doc = (DEMO.parents[1] / "docs" / "emulator.md").read_text(encoding="utf-8")
    sample = doc[doc.index("\naudit:") : doc.index("\nanswer_key:")]
    api = serve({"regions": {GZ: {}}, **yaml.safe_load(sample)})
    now = int(time.time())
    assert [e["Username"] for e in events(api, now - 21 * DAY, now)] == ["alice"]


def test_seeded_events_out_of_order_page_newest_first_each_once(serve: Callable[..., Api]) -> None:
    times = ["-3h", "-5h", "-1h", "-4h", "-2h"]  # the file's order is not the time order
    seeded = [{"EventName": "DeleteCluster", "EventTime": t, "EventRegion": GZ, "RequestID": f"req{t}"} for t in times]
    api = serve({"regions": {GZ: {}}, "audit": {"events": seeded}})
    client = CloudauditClient(api.credential(), GZ, api.profile())
    now, seen, token = int(time.time()), [], None
    while True:
        query = {"StartTime": now - DAY, "EndTime": now, "MaxResults": 2, **({"NextToken": token} if token else {})}
        page = api.sdk(client, audit_models, "DescribeEvents", query)
        seen += [e["RequestID"] for e in page["Events"]]
        if page["ListOver"]:
            break
        token = page["NextToken"]
    assert seen == ["req-1h", "req-2h", "req-3h", "req-4h", "req-5h"]
