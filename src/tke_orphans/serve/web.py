"""The service's HTTP side: /metrics, /healthz, /readyz, the status page at / and, with serve --events and a secret,
POST /events (a signed audit record; its body at most `max_body` bytes, refused 413 before any of it is read).

The stdlib's request handler, with limits, and no ASGI stack (nor a new dependency in the image). One thread
accepts connections and reads each request's head without blocking (a selector): a client that trickles its request
a byte at a time costs a buffer, not a thread, and has `read_timeout` seconds to finish it. At most
`max_connections` clients may be sending their request at once; the next one makes room by cutting the one that has
waited longest (answered 503), so that a crowd of slow clients can never keep a probe out. A complete request for
/healthz or /readyz is answered right there, from memory: probes never wait behind other clients. Any other request
gets a thread of its own, at most `max_connections` at once (more are answered 503 and closed).
"""

from __future__ import annotations

import contextlib
import http
import io
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..config.schema import ServeAuth
from ..events import SIGNATURE, TIMESTAMP
from ..state import StateDB
from .auth import OPEN_PATHS, authorized, challenge, needs_auth
from .metrics import Metrics
from .pages import StatusPages

log = logging.getLogger(__name__)

# The page is static HTML with one <style> element and inline SVG: nothing else may load or run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
TEXT = "text/plain; charset=utf-8"
MAX_HEAD = 16 * 1024  # a request line and headers; GET requests have no body
# POST /events: (timestamp, signature, body) -> (status, short reason); serve/events.py's Reactor.receive.
Receiver = Callable[[str, str, bytes], tuple[int, str]]


def response(status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.0 answer (the connection closes after it)."""
    lines = [f"HTTP/1.0 {status} {http.HTTPStatus(status).phrase}", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}", "Cache-Control: no-store", "Connection: close"]  # fmt: skip
    lines += [f"{name}: {value}" for name, value in {**SECURITY_HEADERS, **(headers or {})}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


BUSY = response(503, b"busy\n", TEXT, {"Retry-After": "1"})


class Health:
    """When a pass last finished; ready means one finished within `window` seconds. `delivering` says whether the
    outbox is being drained: ready all the same (the passes go on beside it), and /readyz says so."""

    def __init__(self, window: float, delivering: Callable[[], bool] = lambda: False) -> None:
        self.window = window
        self.delivering = delivering
        self.last_finished: float | None = None

    def ready(self) -> bool:
        return self.last_finished is not None and time.time() - self.last_finished <= self.window

    def answer(self, path: str) -> bytes:
        """/healthz (alive: this thread answers) or /readyz."""
        if path == "/healthz":
            return response(200, b"ok\n", TEXT)
        if not self.ready():
            return response(503, b"no recent scan\n", TEXT)
        return response(200, b"ready, delivering\n" if self.delivering() else b"ready\n", TEXT)


@dataclass
class _Reading:
    """A client still sending its request head."""

    address: Any
    deadline: float
    head: bytearray = field(default_factory=bytearray)


@dataclass
class _Site:
    """What the handlers serve."""

    state: StateDB
    metrics: Metrics
    pages: StatusPages
    language: Literal["zh-CN", "en"]
    auth: ServeAuth
    events: Receiver | None = None
    max_body: int = 64 * 1024


class _Server:
    def __init__(self, address: tuple[str, int], site: _Site, health: Health, max_connections: int,
                 read_timeout: float) -> None:  # fmt: skip
        self.site, self.health = site, health
        self.max_connections, self.read_timeout = max_connections, read_timeout
        self.socket = socket.create_server(address, backlog=64)
        self.socket.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.socket, selectors.EVENT_READ)
        self.reading: dict[socket.socket, _Reading] = {}  # in arrival order: the first waited longest
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self.answering = 0  # requests in their own thread now
        self._stop = threading.Event()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.reading) + self.answering

    def serve_forever(self) -> None:
        try:
            while not self._stop.is_set():
                for key, _ in self.selector.select(timeout=0.2):
                    try:
                        if key.fileobj is self.socket:
                            self._accept()
                        elif key.fileobj in self.reading:  # not cut meanwhile to make room
                            self._read(key.fileobj)
                    except Exception:  # one bad connection must not stop the probes
                        log.exception("status server: a connection failed")
                self._reap()
        finally:
            for sock in list(self.reading):
                self._drop(sock)
            self.selector.close()
            self.socket.close()

    def shutdown(self) -> None:
        self._stop.set()

    def _accept(self) -> None:
        try:
            sock, address = self.socket.accept()
        except OSError:  # BlockingIOError: another wake-up took it; or the client gave up already
            return
        if len(self.reading) >= self.max_connections:
            self._drop(next(iter(self.reading)), BUSY)  # make room: the one that has waited longest goes
        sock.setblocking(False)
        with self._lock:
            self.reading[sock] = _Reading(address, time.monotonic() + self.read_timeout)
        self.selector.register(sock, selectors.EVENT_READ)

    def _read(self, sock: socket.socket) -> None:
        pending = self.reading[sock]
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        pending.head += data
        if not data or len(pending.head) > MAX_HEAD:
            self._drop(sock)
        elif b"\r\n\r\n" in pending.head or b"\n\n" in pending.head:
            self._release(sock)
            self._dispatch(sock, bytes(pending.head), pending.address)

    def _dispatch(self, sock: socket.socket, head: bytes, address: Any) -> None:
        method, _, rest = head.partition(b" ")
        path = urlsplit(rest.partition(b" ")[0].decode("latin-1")).path
        if method == b"GET" and path in OPEN_PATHS:
            self._close(sock, self.health.answer(path))  # at once, on this thread: probes never wait
        elif not self._slots.acquire(blocking=False):
            self._close(sock, BUSY)
        else:
            with self._lock:
                self.answering += 1
            threading.Thread(target=self._answer, args=(sock, head, address), daemon=True).start()

    def _answer(self, sock: socket.socket, head: bytes, address: Any) -> None:
        try:
            sock.setblocking(True)
            sock.settimeout(self.read_timeout)  # each write: a client that does not read is let go
            _Handler(sock, address, self.site, head)
        except OSError:
            pass  # a client that went away, or was cut: not the service's error
        except Exception:
            log.exception("status server: a request from %s failed", address[0])
        finally:
            self._close(sock)
            with self._lock:
                self.answering -= 1
            self._slots.release()

    def _reap(self) -> None:
        """Cut the clients too slow to send their request (one byte at a time passes no per-read timeout)."""
        now = time.monotonic()
        for sock in [s for s, r in self.reading.items() if r.deadline <= now]:
            self._drop(sock)

    def _release(self, sock: socket.socket) -> None:
        self.selector.unregister(sock)
        with self._lock:
            del self.reading[sock]

    def _drop(self, sock: socket.socket, answer: bytes = b"") -> None:
        self._release(sock)
        self._close(sock, answer)

    @staticmethod
    def _close(sock: socket.socket, answer: bytes = b"") -> None:
        with contextlib.suppress(OSError):
            if answer:
                sock.setblocking(False)  # a short answer fits the socket's buffer; never wait on a client
                sock.send(answer)
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class _Handler(BaseHTTPRequestHandler):
    """One request whose head the server has read already (HTTP/1.0: one request a connection)."""

    def __init__(self, sock: socket.socket, address: Any, site: _Site, head: bytes) -> None:
        self.site, self.head = site, head
        super().__init__(sock, address, None)  # type: ignore[arg-type]

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = io.BytesIO(self.head)

    def log_message(self, format: str, *args: Any) -> None:  # the service logs scans, not page views
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.wfile.write(response(status, body, content_type, headers))

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        site = self.site
        if needs_auth(site.auth, url.path) and not authorized(site.auth, self.headers.get("Authorization")):
            self._send(401, b"unauthorized\n", TEXT, {"WWW-Authenticate": challenge(site.auth)})
        elif url.path == "/metrics":
            self._send(200, generate_latest(site.metrics.registry), CONTENT_TYPE_LATEST)
        elif url.path == "/":
            query = parse_qs(url.query)
            lang: Literal["zh-CN", "en"] = "en" if query.get("lang", [site.language])[0] == "en" else "zh-CN"
            number = query.get("page", ["1"])[0]
            page = int(number) - 1 if number.isdigit() and 1 <= int(number) <= 10_000 else 0
            account = query.get("account", [""])[0]
            self._send(200, site.pages.get(lang, page, account), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", TEXT)

    def do_POST(self) -> None:
        """POST /events. Its own authentication (the signature), not serve.auth's: EventBridge's function holds the
        events secret only."""
        site = self.site
        length = self.headers.get("Content-Length", "")
        if urlsplit(self.path).path != "/events" or site.events is None:
            self._send(404, b"not found\n", TEXT)
        elif not (length.isascii() and length.isdigit()):
            self._send(411, b"Content-Length required\n", TEXT)
        elif len(length) > 9 or int(length) > site.max_body:
            self._send(413, f"larger than {site.max_body} bytes\n".encode(), TEXT)
        else:
            body = self._body(int(length))
            status, reason = (400, "incomplete body") if body is None else site.events(
                self.headers.get(TIMESTAMP, ""), self.headers.get(SIGNATURE, ""), body)  # fmt: skip
            self._send(status, reason.encode() + b"\n", TEXT)

    def _body(self, length: int) -> bytes | None:
        """The body (what came with the head, then the rest) within one read timeout in all, or None."""
        body, timeout = self.rfile.read(length), self.connection.gettimeout()
        deadline = time.monotonic() + (timeout or 10.0)
        try:
            while len(body) < length:
                self.connection.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = self.connection.recv(min(65536, length - len(body)))
                if not chunk:
                    return None
                body += chunk
        except TimeoutError:
            return None
        finally:
            self.connection.settimeout(timeout)
        return body


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
        events: Receiver | None = None,
        max_body: int = 64 * 1024,
    ) -> None:
        pages = StatusPages(state, timezone, on_render=metrics.page_renders.inc)
        site = _Site(state, metrics, pages, language, auth or ServeAuth(), events, max_body)
        self._server = _Server(listen, site, health, max_connections, read_timeout)
        self._thread = threading.Thread(target=self._server.serve_forever, name="status-server", daemon=True)

    @property
    def connections(self) -> int:
        """Connections open at this moment: still sending their request, or being answered."""
        return self._server.connections

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StatusServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        else:
            self._server.socket.close()
