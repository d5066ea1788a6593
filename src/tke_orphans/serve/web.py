"""The service's HTTP side: /metrics, /healthz, /readyz and the status page at /."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..state import StateDB
from .metrics import Metrics
from .page import render_page


class Health:
    """When a pass last finished; ready means one finished within `window` seconds."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.last_finished: float | None = None

    def ready(self) -> bool:
        return self.last_finished is not None and time.time() - self.last_finished <= self.window


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StateDB
    metrics: Metrics
    health: Health
    language: Literal["zh-CN", "en"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # the service logs scans, not page views
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/metrics":
            self._send(200, generate_latest(self.server.metrics.registry), CONTENT_TYPE_LATEST)
        elif url.path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif url.path == "/readyz":
            ready = self.server.health.ready()
            self._send(200 if ready else 503, b"ready\n" if ready else b"no recent scan\n", "text/plain; charset=utf-8")
        elif url.path == "/":
            lang = parse_qs(url.query).get("lang", [self.server.language])[0]
            lang_: Literal["zh-CN", "en"] = "en" if lang == "en" else "zh-CN"
            db = self.server.state
            html = render_page(db.open_orphan_rows(), db.last_result(), db.recent_scans(50), lang_)
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
    ) -> None:
        self._server = _Server(listen, _Handler)
        self._server.state, self._server.metrics, self._server.health = state, metrics, health
        self._server.language = language
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="status-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StatusServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
