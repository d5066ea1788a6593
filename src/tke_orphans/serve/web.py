"""The service's HTTP side: /metrics, /healthz, /readyz and the status page at /.

The stdlib server, with limits: a status page for a few people and one Prometheus needs no ASGI stack (and no new
dependency in the image), but the bare ThreadingHTTPServer keeps a thread and a file descriptor per connection for
as long as a client likes. Here at most `max_connections` are served at once (more get a 503 and are closed at
once, so threads and descriptors stay bounded), and a client has `read_timeout` seconds to send its whole request:
a reaper on the server's own poll loop (`service_actions`) shuts the socket of a slow one, which a per-read
timeout alone cannot do against a client that trickles a byte at a time.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..config import ServeAuth
from ..records import leftover_from_dict
from ..state import StateDB
from .auth import authorized, challenge, needs_auth
from .metrics import Metrics
from .page import render_page

log = logging.getLogger(__name__)

# The page is static HTML with one <style> element and inline SVG: nothing else may load or run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\nbusy\n"
)


class Health:
    """When a pass last finished; ready means one finished within `window` seconds. `delivering` says whether the
    outbox is being drained: ready all the same (the passes go on beside it), and /readyz says so."""

    def __init__(self, window: float, delivering: Callable[[], bool] = lambda: False) -> None:
        self.window = window
        self.delivering = delivering
        self.last_finished: float | None = None

    def ready(self) -> bool:
        return self.last_finished is not None and time.time() - self.last_finished <= self.window


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    state: StateDB
    metrics: Metrics
    health: Health
    language: Literal["zh-CN", "en"]
    timezone: str | None
    auth: ServeAuth

    def __init__(self, address: tuple[str, int], max_connections: int, read_timeout: float) -> None:
        super().__init__(address, _Handler)
        self.read_timeout = read_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self.connections = 0  # being served now
        # Connections still sending their request -> the monotonic time by which they must have.
        self.reading: dict[socket.socket, float] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.setblocking(False)  # never wait on a client that is not reading
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        with self._lock:
            self.connections += 1
            self.reading[request] = time.monotonic() + self.read_timeout
        try:
            super().process_request(request, client_address)  # a thread for this connection
        except BaseException:
            self._done(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done(request)

    def _done(self, request: socket.socket) -> None:
        with self._lock:
            self.reading.pop(request, None)
            self.connections -= 1
        self._slots.release()

    def request_read(self, request: socket.socket) -> None:
        with self._lock:
            self.reading.pop(request, None)

    def service_actions(self) -> None:
        """Called by serve_forever at least every poll interval: cut the clients that are too slow to ask."""
        now = time.monotonic()
        with self._lock:
            late = [sock for sock, deadline in self.reading.items() if deadline <= now]
            for sock in late:
                del self.reading[sock]
        for sock in late:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that went away, or was cut: not the service's error
        log.exception("status server: a request from %s failed", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)  # each read and write; the reaper bounds the request

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self.server.request_read(self.connection)
        return ok

    def log_message(self, format: str, *args: Any) -> None:  # the service logs scans, not page views
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        auth = self.server.auth
        if needs_auth(auth, url.path) and not authorized(auth, self.headers.get("Authorization")):
            self._send(401, b"unauthorized\n", "text/plain; charset=utf-8", {"WWW-Authenticate": challenge(auth)})
        elif url.path == "/metrics":
            self._send(200, generate_latest(self.server.metrics.registry), CONTENT_TYPE_LATEST)
        elif url.path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif url.path == "/readyz":
            health = self.server.health
            ready = health.ready()
            body = (b"ready, delivering\n" if health.delivering() else b"ready\n") if ready else b"no recent scan\n"
            self._send(200 if ready else 503, body, "text/plain; charset=utf-8")
        elif url.path == "/":
            lang = parse_qs(url.query).get("lang", [self.server.language])[0]
            lang_: Literal["zh-CN", "en"] = "en" if lang == "en" else "zh-CN"
            db = self.server.state
            rows, last, recent = db.orphans.open_rows(), db.scans.last(), db.scans.recent(50)
            leftovers = [(leftover_from_dict(dict(t.record)), t.first_seen) for t in db.leftovers.open()]
            html = render_page(rows, last, recent, lang_, timezone=self.server.timezone, leftovers=leftovers)
            self._send(200, html.encode("utf-8"), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")


class StatusServer:
    def __init__(
        self,
        listen: tuple[str, int],
        state: StateDB,
        metrics: Metrics,
        health: Health,
        language: Literal["zh-CN", "en"] = "zh-CN",
        *,
        max_connections: int = 32,
        read_timeout: float = 10.0,
        auth: ServeAuth | None = None,
        timezone: str | None = None,
    ) -> None:
        self._server = _Server(listen, max_connections, read_timeout)
        self._server.timezone = timezone
        self._server.state, self._server.metrics, self._server.health = state, metrics, health
        self._server.language = language
        self._server.auth = auth or ServeAuth()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="status-server", daemon=True
        )

    @property
    def connections(self) -> int:
        """Connections being served at this moment."""
        return self._server.connections

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StatusServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serve_forever that never started otherwise
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
