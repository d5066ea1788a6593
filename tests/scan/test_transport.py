"""What the SDK gives users, kept by our lean path (cloud/transport.py): proxies from the environment, custom root
domains over https, and temporary credentials read afresh for every call. Real sockets: the emulator and a local
proxy on 127.0.0.1; nothing leaves the machine."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from tencentcloud.common.credential import Credential

from tke_orphans.cloud import Endpoint, Session
from tke_orphans.cloud.errors import CloudError
from tke_orphans.config import Retry
from tke_orphans.context import Run
from tke_orphans.scan import run_scan
from tke_orphans_testkit.emulator import Emulator, world_from_data

from .conftest import config_for, orphan_ids

ONCE = Retry(max_attempts=1, base_delay=0.001, max_delay=0.001)


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy: plain-HTTP requests by absolute URI are passed on; CONNECT (https) is noted and refused."""

    seen: list[str]

    def do_POST(self) -> None:
        target = urlsplit(self.path)
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        conn = http.client.HTTPConnection(target.netloc, timeout=10)
        conn.request("POST", target.path or "/", body, dict(self.headers.items()))
        resp = conn.getresponse()
        payload = resp.read()
        self.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_CONNECT(self) -> None:
        self.server.seen.append(f"CONNECT {self.path}")  # type: ignore[attr-defined]
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def proxy() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_every_call_goes_through_the_proxy_the_environment_names(
    demo_data: dict[str, Any], no_proxy_env: pytest.MonkeyPatch
) -> None:
    world = world_from_data(demo_data)
    with Emulator(world) as emu, proxy() as (url, seen):
        no_proxy_env.setenv("HTTP_PROXY", url)
        result = run_scan(Run(config_for(world, emu.url, tencentcloud={"workers": 1})))
        calls = emu.stats.snapshot()["totals"]["calls"]
    assert orphan_ids(result) == {o["instance_id"] for o in demo_data["answer_key"]["orphans"]}
    assert len(seen) == calls > 0 and all(s.startswith(emu.url) for s in seen)


def test_a_root_domain_names_each_service_over_https_through_the_proxy(no_proxy_env: pytest.MonkeyPatch) -> None:
    with proxy() as (url, seen):
        no_proxy_env.setenv("HTTPS_PROXY", url)
        session = Session("t", Credential("AKIDx", "key"), endpoint=Endpoint(root_domain="internal.example"),
                          retry=ONCE, timeout=5)  # fmt: skip
        with pytest.raises(CloudError) as err:
            session.call("tke", "DescribeClusters", "ap-guangzhou", {})
    assert err.value.code == "ClientNetworkError"  # the proxy refused the tunnel: nothing was sent anywhere
    assert seen == ["CONNECT tke.internal.example:443"]


class Rotating(Credential):  # type: ignore[misc]
    """Temporary credentials that the SDK's provider renews: after `after` calls the first token expires (the
    emulator stops taking it) and the provider hands out the second set."""

    def __init__(self, first: tuple[str, str, str], second: tuple[str, str, str], expire: Any, after: int) -> None:
        super().__init__(*first)
        self.first, self.second, self.expire, self.after, self.asked = first, second, expire, after, 0

    def get_credential_info(self) -> tuple[str, str, str]:
        self.asked += 1
        if self.asked == self.after + 1:
            self.expire()
        return self.first if self.asked <= self.after else self.second


def test_temporary_credentials_are_read_for_every_call_and_their_renewal_taken(demo_data: dict[str, Any]) -> None:
    creds = [{"name": f"tmp{i}", "secret_id": f"AKIDtmp{i}" + "0" * 28, "secret_key": f"key-{i}",
              "token": f"token-{i}"} for i in (1, 2)]  # fmt: skip
    world = world_from_data({**demo_data, "credentials": creds})
    with Emulator(world) as emu:

        def expire() -> None:
            emu.tokens[creds[0]["secret_id"]] = "expired"

        pair = [(c["secret_id"], c["secret_key"], c["token"]) for c in creds]
        cred = Rotating(pair[0], pair[1], expire, after=3)
        session = Session("t", cred, endpoint=Endpoint(url=emu.url), retry=ONCE, timeout=5)
        for _ in range(6):
            assert "InstanceSet" in session.call("cvm", "DescribeInstances", "ap-guangzhou", {"Limit": 1})
    assert cred.asked == 6
