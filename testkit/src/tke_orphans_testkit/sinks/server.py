"""The HTTP front of the chat sinks: the three bots' real paths on one local port.

Pipeline per request: route (path -> platform and token) -> fault -> known token -> the platform's `check`
(signature, rate, size, format, keywords, in that platform's order) -> accept and record. Every answer is HTTP 200
with JSON, as from the real services, except the injected `http_500` faults.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .base import Provider, Refused
from .dingtalk import DingTalk
from .feishu import Feishu
from .model import Accepted, FaultEffect, Platform, Received, SinkBot, SinkFault
from .ratelimit import Windows
from .wecom import WeCom

JSON = "application/json; charset=utf-8"
HTML_500 = b"<html><head><title>500 Internal Server Error</title></head><body><h1>500</h1></body></html>"
MAX_REQUEST = 4 * 1024 * 1024  # far above every platform's limit, so each limit is the platform's to answer
PROVIDERS: dict[str, Provider] = {p.platform: p for p in (WeCom(), DingTalk(), Feishu())}


def mask(token: str) -> str:
    return token[:4] + "****"


def _json(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Reply:
    status: int
    payload: bytes
    content_type: str = JSON
    delay: float = 0.0  # hold the answer this long first (a `timeout` fault)


class _Faults:
    """Which fault, if any, a request gets: the first listed rule that matches and has firings left."""

    def __init__(self, faults: Iterable[SinkFault]) -> None:
        self.rules = list(faults)
        self.fired = [0] * len(self.rules)

    def pick(self, platform: str, token: str) -> SinkFault | None:
        for i, rule in enumerate(self.rules):
            if rule.platform == platform and rule.token in (None, token) and self.fired[i] < rule.times:
                self.fired[i] += 1
                return rule
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    sinks: ChatSinks

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """As ThreadingMixIn does, but with threads named for the sinks, so they can be told from others."""
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="chat-sinks-handler", daemon=True
        )
        thread.start()

    def close_connections(self) -> None:
        """Wake handlers idling on keep-alive connections, so stop() leaves nothing open."""
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx and requests sessions expect
    # Headers and body go out in two writes: with Nagle on, the body waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client gave up (a timeout fault) or stop() shut the socket
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo read what arrived from `requests()` and the record file instead."""

    def _send(self, status: int, payload: bytes, content_type: str = JSON) -> None:
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def _body(self) -> bytes | None:
        """The request body (Content-Length or chunked); None after answering a malformed request."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_REQUEST:
            self.close_connection = True
            self._send(413 if length > 0 else 400, b'{"error": "bad or oversized Content-Length"}')
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        try:
            raw = self._body()
        except ValueError:
            self.close_connection = True
            self._send(400, b'{"error": "malformed chunked body"}')
            return
        if raw is None:
            return
        sinks = self.server.sinks
        reply = sinks.handle(self.path, self.headers.get("Content-Type", ""), raw)
        if reply.delay and sinks.hold(reply.delay):
            self.close_connection = True  # stopped while holding: drop the connection unanswered
            return
        self._send(reply.status, reply.payload, reply.content_type)

    def _not_allowed(self) -> None:
        self._send(405, b'{"error": "the bots take POST only"}')

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_allowed


class ChatSinks:
    """Local fakes of the WeCom, DingTalk and Feishu group bots on one port, for tests and the demo.

    Start with `start()` or as a context manager; `url` is known as soon as it is built (port 0 picks a free one).
    `clock` drives timestamps and rate windows, so tests move time instead of sleeping.
    """

    def __init__(
        self,
        bots: Iterable[SinkBot],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record_path: Path | str | None = None,
        faults: Iterable[SinkFault] | None = None,
        clock: Callable[[], float] = time.time,
        on_request: Callable[[Received, bytes, bool], None] | None = None,
    ) -> None:
        """`on_request(received, raw body, accepted)` is called for every request routed to a bot, after its
        answer is decided (outside the sinks' lock): `tke-orphans sinks` prints a line for each."""
        self.on_request = on_request
        self.bots: dict[tuple[str, str], SinkBot] = {}
        for bot in bots:
            if (bot.platform, bot.token) in self.bots:
                raise ValueError(f"two {bot.platform} sink bots with the token {mask(bot.token)}")
            self.bots[(bot.platform, bot.token)] = bot
        self.record_path = Path(record_path) if record_path is not None else None
        if self.record_path is not None:
            self.record_path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._faults = _Faults(faults or ())
        self._lock = threading.Lock()
        self._accepted: list[Accepted] = []
        self._requests: list[Received] = []
        self._windows: dict[tuple[str, str], Windows] = {}
        self._stop = threading.Event()
        self._server = _Server((host, port))
        self._server.sinks = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def bot_url(self, bot: SinkBot) -> str:
        """The bot's full webhook URL: the real one with the host swapped. Works for unknown bots too."""
        return self.url + PROVIDERS[bot.platform].url_path(bot.token)

    def start(self) -> ChatSinks:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="chat-sinks", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake held (`timeout`) requests and close every connection."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self._server.close_connections()

    def __enter__(self) -> ChatSinks:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hold(self, seconds: float) -> bool:
        """Sleep for a `timeout` fault; True when stop() cut it short."""
        return self._stop.wait(seconds)

    # ---- what arrived -----------------------------------------------------------------------------------

    def accepted(self, platform: Platform | None = None, token: str | None = None) -> list[Accepted]:
        """Accepted messages, in arrival order."""
        with self._lock:
            return [a for a in self._accepted if platform in (None, a.platform) and token in (None, a.token)]

    def requests(self, platform: Platform | None = None, token: str | None = None) -> list[Received]:
        """Every request routed to a bot (known or not), with the answer given, in arrival order."""
        with self._lock:
            return [r for r in self._requests if platform in (None, r.platform) and token in (None, r.token)]

    def reset(self) -> None:
        """Forget accepted messages, requests, rate windows and DingTalk blocks (faults keep their counts)."""
        with self._lock:
            self._accepted.clear()
            self._requests.clear()
            self._windows.clear()

    # ---- the pipeline -----------------------------------------------------------------------------------

    def handle(self, target: str, content_type: str, raw: bytes) -> Reply:
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)  # decoded exactly once, as by the real gateways
        for provider in PROVIDERS.values():
            token = provider.token_of(split.path, query)
            if token is not None:
                break
        else:
            paths = "/cgi-bin/webhook/send?key=K, /robot/send?access_token=T, /open-apis/bot/v2/hook/T"
            return Reply(404, _json({"error": f"no bot at {split.path}; the paths are {paths}"}))
        now = self.clock()
        with self._lock:
            fault = self._faults.pick(provider.platform, token)
            if fault is not None:
                reply = self._fault(fault, provider, token, raw, now, content_type)
                accepted = False
            else:
                before = len(self._accepted)
                answer, detail = self._check(provider, token, query, raw, now)
                accepted = len(self._accepted) > before
                self._requests.append(
                    Received(provider.platform, token, 200, answer, len(raw), now, None, detail, content_type)
                )
                reply = Reply(200, _json(answer))
            received = self._requests[-1]
        if self.on_request is not None:
            self.on_request(received, raw, accepted)
        return reply

    def _fault(
        self, fault: SinkFault, provider: Provider, token: str, raw: bytes, now: float, content_type: str
    ) -> Reply:
        effect: FaultEffect = fault.effect
        if effect == "http_500":
            reply = Reply(500, HTML_500, "text/html; charset=utf-8")
            answer: dict[str, Any] = {}
        elif effect == "throttle":
            answer = provider.answer(*provider.throttled)
            reply = Reply(200, _json(answer))
        else:  # timeout: the answer comes too late for any sane client, and the message is dropped
            answer = provider.ok()
            reply = Reply(200, _json(answer), delay=fault.seconds)
        received = Received(
            provider.platform, token, reply.status, answer, len(raw), now, effect, f"injected {effect}", content_type
        )
        self._requests.append(received)
        return reply

    def _check(
        self, provider: Provider, token: str, query: dict[str, list[str]], raw: bytes, now: float
    ) -> tuple[dict[str, Any], str]:
        """The answer and a detail for the log; accepts and records the message when it passes. Holds the lock."""
        bot = self.bots.get((provider.platform, token))
        if bot is None:
            return provider.answer(*provider.unknown_token), f"no {provider.platform} bot {mask(token)!r} here"
        windows = self._windows.setdefault((bot.platform, bot.token), Windows(provider.windows))

        def throttle() -> None:
            if now < windows.blocked_until:
                raise Refused(*provider.throttled, f"blocked until {windows.blocked_until:.0f}")
            if windows.full(now):
                if provider.block_seconds:
                    windows.blocked_until = now + provider.block_seconds
                raise Refused(*provider.throttled, f"over {provider.windows} accepted messages")

        try:
            message = provider.check(bot, query, raw, now, throttle)
        except Refused as refused:
            return provider.answer(refused.code, refused.message), refused.detail
        windows.add(now)
        accepted = Accepted(bot.platform, bot.token, message.body, raw, now, message.text, message.msgtype)
        self._accepted.append(accepted)
        self._record(accepted)
        return provider.ok(), ""

    def _record(self, accepted: Accepted) -> None:
        if self.record_path is None:
            return
        line = {"platform": accepted.platform, "token": mask(accepted.token), "at": accepted.at, "body": accepted.body}
        with self.record_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            f.flush()
