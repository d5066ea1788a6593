"""serve on an exposed port, at a real socket: bounded connections and read time, security headers, hostile cloud
text on the page, optional auth for the page (probes and metrics open unless asked)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import select
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.config import ServeAuth, config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.serve import Service
from tke_orphans.serve.metrics import Metrics
from tke_orphans.serve.page import PER_PAGE
from tke_orphans.serve.web import Health, StatusServer
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data

from ..hostile import FAULT, assert_inert, hostile_world
from .conftest import bulk_data, config_data, write_yaml
from .test_status_page import chromium_with_log, needs_chromium


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll a condition (not a guess at a duration); the deadline only bounds a failure."""
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def server_for(tmp_path: Path) -> Iterator[Callable[..., StatusServer]]:
    servers: list[StatusServer] = []
    with StateDB(tmp_path / "s.db") as db:

        def make(**kw: Any) -> StatusServer:
            server = StatusServer(("127.0.0.1", 0), db, Metrics(), Health(60), "en", **kw).start()
            servers.append(server)
            return server

        try:
            yield make
        finally:
            for server in servers:
                server.stop()


def connect(server: StatusServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


# ---- bounded connections and read time -----------------------------------------------------------------------


def test_idle_connections_hold_no_thread_and_the_longest_waiting_make_room(
    server_for: Callable[..., StatusServer],
) -> None:
    """A client still sending its request costs a buffer, not a thread; past the bound, each newcomer cuts the one
    that has waited longest (answered busy), so descriptors stay bounded and a probe always gets in."""
    server = server_for(max_connections=4, read_timeout=60)
    before = threading.active_count()
    held = [connect(server) for _ in range(4)]
    wait_until(lambda: server.connections == 4, "the four idle connections to be taken")
    extra = [connect(server) for _ in range(100)]
    for sock in [*held, *extra[:96]]:
        assert sock.recv(200).startswith(b"HTTP/1.0 503"), "the longest waiting is answered busy and closed"
        sock.close()
    wait_until(lambda: server.connections == 4, "the last four to wait")
    assert threading.active_count() <= before
    assert fetch(server.url + "/healthz")[0] == 200  # the probe made room for itself
    for sock in extra[96:]:
        sock.close()
    wait_until(lambda: server.connections == 0, "the closed connections to be released")


def test_requests_beyond_the_bound_are_answered_busy_and_probes_still_answer(
    server_for: Callable[..., StatusServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every thread answering (here the one allowed, held by a page that does not come): the next request gets a 503
    at once, and the probes their answer."""
    entered, release = threading.Event(), threading.Event()

    def held(self: object, lang: str, page: int, account: str = "") -> bytes:
        entered.set()
        release.wait(30)
        return b"late"

    monkeypatch.setattr("tke_orphans.serve.pages.StatusPages.get", held)
    server = server_for(max_connections=1)
    slow = threading.Thread(target=fetch, args=(server.url + "/",), daemon=True)
    slow.start()
    try:
        assert entered.wait(20)
        assert fetch(server.url + "/metrics")[::2] == (503, "busy\n")
        assert fetch(server.url + "/healthz")[::2] == (200, "ok\n")
    finally:
        release.set()
        slow.join(timeout=20)
    assert fetch(server.url + "/metrics")[0] == 200


def test_idle_and_trickling_clients_are_cut_after_the_read_timeout(server_for: Callable[..., StatusServer]) -> None:
    server = server_for(max_connections=4, read_timeout=0.3)
    held = [connect(server) for _ in range(3)]
    trickler = connect(server)
    # One byte every 50 ms: no single read waits the timeout, only the whole request is too slow.
    request = b"GET /healthz HTTP/1.0\r\nX-Pad: " + b"a" * 1000
    cut = False
    for byte in request:
        try:
            trickler.sendall(bytes([byte]))
        except OSError:
            cut = True
            break
        if select.select([trickler], [], [], 0.05)[0] and trickler.recv(100) == b"":
            cut = True
            break
    assert cut, "a client trickling its request for 50 s was never cut"
    for sock in held:
        assert sock.recv(100) == b"", "an idle connection is closed by the server"
    wait_until(lambda: server.connections == 0, "the cut connections to be released")
    assert fetch(server.url + "/healthz")[0] == 200


def test_probes_never_wait_behind_trickling_clients(server_for: Callable[..., StatusServer]) -> None:
    """40 clients send their requests a byte at a time and reconnect as soon as they are cut (more than the 32
    connections served at once): /healthz and /readyz answer every probe, as the kubelet needs."""
    server = server_for(read_timeout=1.0)  # the default bound of 32 connections
    server._server.health.last_finished = time.time()  # a pass just finished: ready
    stop = threading.Event()
    cuts = [0]

    def trickle() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError), connect(server) as sock:
                for byte in b"GET / HTTP/1.0\r\nX-Pad: " + b"a" * 10_000:
                    sock.sendall(bytes([byte]))
                    if stop.is_set() or (select.select([sock], [], [], 0.02)[0] and not sock.recv(100)):
                        break
            cuts[0] += 1

    clients = [threading.Thread(target=trickle, daemon=True) for _ in range(40)]
    for t in clients:
        t.start()
    try:
        wait_until(lambda: server.connections >= 32 and cuts[0] >= 40, "the slow clients to fill the server")
        answers = [fetch(server.url + path)[:3:2] for _ in range(20) for path in ("/healthz", "/readyz")]
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=10)
    assert answers == [(200, "ok\n"), (200, "ready\n")] * 20


# ---- headers and hostile text on the page --------------------------------------------------------------------


@pytest.fixture
def hostile_service(tmp_path: Path) -> Iterator[Service]:
    with (
        Emulator(hostile_world(), faults=FaultPlan.from_data({"faults": [FAULT]})) as emu,
        StateDB(tmp_path / "s.db") as db,
    ):
        cfg = config_from_data(config_data(emu.url), "serve-test")
        svc = Service(cfg, db, timedelta(minutes=10), ("127.0.0.1", 0))
        svc.server.start()
        try:
            svc.run_pass()
            yield svc
        finally:
            svc.server.stop()


def test_page_sends_security_headers_and_shows_hostile_text_inert(hostile_service: Service) -> None:
    status, headers, html = fetch(hostile_service.server.url + "/?lang=en")
    assert status == 200
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "\x1b" not in html
    assert_inert(html)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\x1b[2J" in html and "\\u202eevil" in html  # shown, not obeyed
    assert "[/TraceId=abc]" in html and "\\x1b[31mred" in html  # the error of the failed listing
    for path in ("/healthz", "/metrics"):
        assert fetch(hostile_service.server.url + path)[1]["X-Content-Type-Options"] == "nosniff"


@needs_chromium
def test_the_page_renders_under_its_policy(hostile_service: Service) -> None:
    """Chromium logs each resource or inline style the policy blocks: none may be."""
    dom, log = chromium_with_log("--enable-logging=stderr", "--v=0", "--dump-dom", hostile_service.server.url + "/")
    assert "Content Security Policy" not in log, log[-2000:]
    assert "<svg" in dom and "<style>" in dom and "ins-gzorp002" in dom
    assert "<script>" not in dom


# ---- listen address and auth ---------------------------------------------------------------------------------


def test_listens_on_loopback_unless_told() -> None:
    assert config_from_data({}).serve.listen == "127.0.0.1:9108"
    assert config_from_data({"serve": {"listen": "0.0.0.0:9108"}}).serve.listen == "0.0.0.0:9108"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_bearer_token_guards_the_page_not_the_probes_nor_metrics(
    server_for: Callable[..., StatusServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGE_TOKEN", "tok-3f9a2c\n")  # a Kubernetes secret made from a file: the newline goes
    auth = config_from_data({"serve": {"auth": {"token": "${PAGE_TOKEN}"}}}).serve.auth
    url = server_for(auth=auth).url
    status, headers, _ = fetch(url + "/")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert fetch(url + "/", {"Authorization": "Bearer tok-3f9a2"})[0] == 401
    assert fetch(url + "/", {"Authorization": "Bearer tok-3f9a2c-more"})[0] == 401
    assert fetch(url + "/", basic("x", "tok-3f9a2c"))[0] == 401
    assert fetch(url + "/", {"Authorization": "Bearer tok-3f9a2c"})[0] == 200
    assert fetch(url + "/nope", {"Authorization": "Bearer tok-3f9a2c"})[0] == 404
    assert fetch(url + "/nope")[0] == 401
    assert fetch(url + "/healthz")[0] == 200
    assert fetch(url + "/readyz")[0] == 503  # open: not ready yet, rather than unauthorized
    assert fetch(url + "/metrics")[0] == 200


def test_basic_auth_and_protected_metrics(server_for: Callable[..., StatusServer]) -> None:
    auth = ServeAuth.model_validate({"username": "ops", "password": "pa55-word", "protect_metrics": True})
    url = server_for(auth=auth).url
    for path in ("/", "/metrics"):
        status, headers, _ = fetch(url + path)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
        assert fetch(url + path, basic("ops", "wrong"))[0] == 401
        assert fetch(url + path, basic("admin", "pa55-word"))[0] == 401
        assert fetch(url + path, {"Authorization": "Bearer pa55-word"})[0] == 401
        assert fetch(url + path, basic("ops", "pa55-word"))[0] == 200
    assert fetch(url + "/healthz")[0] == 200


def test_auth_secrets_are_masked_and_bad_auth_config_is_one_sentence(tmp_path: Path) -> None:
    runner = CliRunner()
    good = write_yaml(tmp_path / "good.yaml", {"serve": {"auth": {"username": "ops", "password": "pa55-word-x"}}})
    result = runner.invoke(app, ["check-config", "-c", str(good)])
    assert result.exit_code == 0 and "pa55-word-x" not in result.output and "password: '****'" in result.output
    for bad in ({"token": "t0k3n-x", "username": "ops", "password": "p"}, {"username": "ops"},
                {"protect_metrics": True}, {"token": "two words"}, {"token": ""}):  # fmt: skip
        path = write_yaml(tmp_path / "bad.yaml", {"serve": {"auth": bad}})
        result = runner.invoke(app, ["check-config", "-c", str(path)])
        assert result.exit_code == 2 and "serve.auth" in result.output, result.output
        assert "Traceback" not in result.output and "t0k3n-x" not in result.output


def test_a_failing_request_is_logged_and_the_server_goes_on(
    server_for: Callable[..., StatusServer], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("page bug")

    monkeypatch.setattr("tke_orphans.serve.pages.render_page", broken)
    server = server_for()
    with pytest.raises(http.client.RemoteDisconnected):  # closed without an answer
        fetch(server.url + "/")
    wait_until(lambda: server.connections == 0, "the failed request to finish")
    assert any("request from 127.0.0.1 failed" in r.getMessage() and r.exc_info for r in caplog.records)
    assert fetch(server.url + "/healthz")[0] == 200


# ---- the status page: rendered once per scan, bounded ---------------------------------------------------------


def test_the_page_is_rendered_once_per_scan_and_bounded(tmp_path: Path) -> None:
    """3,000 orphans, 32 readers at once: one render, the same bytes for all, a page of PER_PAGE orphans with a
    link to the next; the next scan renders it again."""
    with Emulator(world_from_data(bulk_data(2996))) as emu, StateDB(tmp_path / "s.db") as db:
        data = config_data(emu.url)
        data["tencentcloud"]["workers"] = 1
        cfg = config_from_data(data)
        assert len(run_job(Run(cfg), state=db, notify=False).result.orphans) == 3000
        metrics = Metrics()
        server = StatusServer(("127.0.0.1", 0), db, metrics, Health(60), "en").start()
        try:
            with ThreadPoolExecutor(32) as pool:
                bodies = list(pool.map(lambda _: fetch_bytes(server.url + "/?lang=en"), range(32)))
            assert renders(metrics) == 1
            assert len(set(bodies)) == 1
            html = bodies[0].decode("utf-8")
            assert len(bodies[0]) < 200_000
            assert "id='orphan-count'>3000<" in html and html.count("<code>ins-") == PER_PAGE + 10  # and the top 10
            assert "?lang=en&amp;page=2" in html and "Page 1 of 30" in html
            last = fetch_bytes(server.url + "/?lang=en&page=30").decode("utf-8")
            assert "Page 30 of 30" in last and "page=31" not in last
            assert renders(metrics) == 2  # each page once
            run_job(Run(cfg), state=db, notify=False)
            assert fetch_bytes(server.url + "/?lang=en") != bodies[0]  # a new scan: rendered again
            assert renders(metrics) == 3
        finally:
            server.stop()


def fetch_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return bytes(resp.read())


def renders(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("tke_orphans_status_page_renders_total")
