"""serve --events, POST /events: audit records an EventBridge rule forwards, signed with serve.events.secret. The real
service loop and HTTP server over loopback, the record the emulator's CloudAudit log wrote for a real
DeleteClusterInstances. Unsigned, wrongly signed, stale, replayed, oversized, not JSON or not a TKE deleting call:
refused with its status, nothing changes; a good one brings the scan forward."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.cloudaudit.v20190319 import models as audit_models
from tencentcloud.cloudaudit.v20190319.cloudaudit_client import CloudauditClient
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from tke_orphans.config.secrets import masked_dict
from tke_orphans.events import SIGNATURE, TIMESTAMP, signature
from tke_orphans_testkit.emulator import load_world

from .conftest import DEMO, get
from .test_backlog import wait_for
from .test_events_poll import GZ, Running, running
from .test_service import metric

SECRET = "events-secret-0123456789"


@contextmanager
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **events: Any) -> Iterator[Running]:
    """The service with the events' secret from the environment; no poll within a test (an hour apart), so that
    only POST /events can ask for a scan."""
    monkeypatch.setenv("TKE_ORPHANS_EVENTS_SECRET", SECRET)
    section = {"secret": "${TKE_ORPHANS_EVENTS_SECRET}"}
    with running(tmp_path, section, poll_interval=timedelta(hours=1), **events) as r:
        r.first_pass()
        yield r


def audit_record(r: Running) -> dict[str, Any]:
    """ins-gzweb001 removed with retain (the real SDK), and its audit record as CloudAudit holds it: what an
    EventBridge rule on the default service bus delivers as `data`."""
    r.remove("ins-gzweb001")
    cred = load_world(DEMO).spec.credentials[0]
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=r.emu.endpoint, protocol="http"))
    client = CloudauditClient(credential.Credential(cred.secret_id, cred.secret_key), GZ, profile)
    req = audit_models.DescribeEventsRequest()
    now = int(time.time())
    req.from_json_string(json.dumps({"StartTime": now - 600, "EndTime": now + 60, "MaxResults": 50}))
    events = json.loads(client.DescribeEvents(req).to_json_string())["Events"]
    record: dict[str, Any] = json.loads(events[0]["CloudAuditEvent"])
    assert record["eventName"] == "DeleteClusterInstances"
    return record


def delivered(data: dict[str, Any], event_id: str = "eb-0001") -> bytes:
    """EventBridge's envelope (CloudEvents 1.0) around an audit record."""
    envelope = {"specversion": "1.0", "id": event_id, "type": "tke:CloudEvent:ApiCall", "source": "tke.cloud.tencent",
                "subject": "qcs::tke:ap-guangzhou:uin/100000000001:cluster/cls-prodgz01", "time": "1700000000",
                "region": GZ, "datacontenttype": "application/json;charset=utf-8", "data": data}  # fmt: skip
    return json.dumps(envelope).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url + "/events", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {"Content-Type": "application/json", TIMESTAMP: stamp, SIGNATURE: signature(secret, stamp, body)}


def posted(r: Running) -> float:
    return metric(get(r.svc.server.url + "/metrics")[1], "tke_orphans_events_total", source="post")


def test_bad_requests_are_refused_and_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with service(tmp_path, monkeypatch) as r:
        url = r.svc.server.url
        body = delivered(audit_record(r))
        good = signed(body)
        assert post(url, body, {}) == (401, f"unsigned: {TIMESTAMP} and {SIGNATURE} are required\n")
        assert post(url, body, signed(body, secret="not-the-secret"))[0] == 401
        assert post(url, body + b" ", good) == (401, "wrong signature\n")  # the body changed after signing
        assert post(url, body, signed(body, at=time.time() - 3600)) == (401, "stale: the timestamp is outside "
                                                                         "the replay window\n")  # fmt: skip
        assert post(url, b"{not json", signed(b"{not json"))[0] == 400
        other = delivered({**audit_record_like("DescribeClusters")})
        assert post(url, other, signed(other))[0] == 422
        assert oversized(url, 70_000).startswith(b"HTTP/1.0 413 ")
        assert oversized(url, "9" * 5000).startswith(b"HTTP/1.0 413 ")  # more digits than int() takes
        assert posted(r) == 0 and r.svc.event_passes == 0
        assert r.svc.reactor is not None and r.svc.reactor.next_at() is None  # no scan is due
        # The good one, then the same request again (a replay): refused, and it asks for nothing more.
        assert post(url, body, good) == (202, "a scan is due\n")
        assert post(url, body, good) == (409, "replayed\n")
        assert posted(r) == 1
        wait_for("the forwarded event's scan", lambda: r.svc.event_passes == 1, timeout=60)
        wait_for("the orphan's notice", lambda: any("ins-gzweb001" in t for t in r.texts()), timeout=60)
        assert "ins-gzweb001" in r.open_ids()
        assert r.svc.passes == 1


def audit_record_like(name: str) -> dict[str, Any]:
    return {"eventName": name, "eventRegion": GZ, "eventTime": int(time.time()), "requestParameters": "{}"}


def oversized(url: str, length: int | str) -> bytes:
    """A request announcing a body larger than the limit: answered from its head, before any more is read (the rest
    of the body is never sent; a server that waited for it would answer 400 only after its read timeout)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST /events HTTP/1.0\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode() + b"{" * 100)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        return answer


def test_a_burst_of_forwarded_events_makes_one_scan_a_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with service(tmp_path, monkeypatch, floor=timedelta(hours=1)) as r:
        data = audit_record(r)
        for n in range(100):
            body = delivered(data, f"eb-{n:04d}")
            assert post(r.svc.server.url, body, signed(body))[0] == 202
            if n == 0:
                wait_for("the first event's scan", lambda: r.svc.event_passes >= 1, timeout=60)
        assert posted(r) == 100
        assert r.svc.reactor is not None and r.svc.reactor.next_at() is not None  # the other 99: one scan, later
        assert r.svc.event_passes == 1


def test_without_a_secret_there_is_no_route_and_the_secret_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(tmp_path) as r:
        body = delivered(audit_record_like("DeleteClusterInstances"))
        assert post(r.svc.server.url, body, signed(body)) == (404, "not found\n")
    with service(tmp_path / "2", monkeypatch) as r:
        shown = json.dumps(masked_dict(r.svc.cfg))
        assert SECRET not in shown and '"secret": "****"' in shown
