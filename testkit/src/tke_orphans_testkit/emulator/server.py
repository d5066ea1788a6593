"""The HTTP front of the emulator: one POST endpoint for every service, as the API 3.0 gateway.

Pipeline per request: signature -> account (who signed: the world's account or, with temporary credentials, a
member of its organization) -> route (service from the credential scope, X-TC-Action, X-TC-Version)
-> rate limit -> fault -> latency -> handler. Every answer the SDK can parse is HTTP 200 with a
Content-Type of exactly `application/json` (the SDK ignores `Response.Error` under any other type).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from .accounts import Account, Accounts
from .api import GLOBAL_ACTIONS, ROUTES, Ctx, Handler, Raw
from .audit import AUDITED
from .errors import ApiError
from .faults import FaultPlan, FaultRule
from .ratelimit import RateLimiter
from .signing import verify
from .stats import Stats
from .world import World

JSON = "application/json"
# The fields that count an answer's items (the `omit` fault lowers them with the list).
COUNTS = ("TotalCount", "NumberOfMountTargets", "Total")


def _utf8(text: str) -> bytes:
    """A lone surrogate (a world may hold one: the cloud lets names have them) goes out as the JSON escape the cloud
    sends, `\\ud800`: it can only be inside a JSON string, where `backslashreplace` writes exactly that."""
    return text.encode("utf-8", "backslashreplace")


def encode(answer: dict[str, Any], request_id: str) -> bytes:
    """`{"Response": {...}}`, splicing pre-encoded item lists in as they are."""
    parts = []
    for key, value in answer.items():
        body = "[" + ",".join(value.items) + "]" if isinstance(value, Raw) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{json.dumps(key)}:{body}")
    parts.append(f'"RequestId":"{request_id}"')
    return _utf8('{"Response":{' + ",".join(parts) + "}}")


def _set_field(node: Any, field: str, value: Any) -> Any:
    """`node` with every `field` in it, at any depth, set to `value` (pre-encoded item lists decoded first)."""
    if isinstance(node, Raw):
        node = [json.loads(item) for item in node.items]
    if isinstance(node, dict):
        return {k: value if k == field else _set_field(v, field, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_set_field(v, field, value) for v in node]
    return node


def error_body(code: str, message: str, request_id: str) -> bytes:
    return _utf8(
        json.dumps(
            {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}, ensure_ascii=False
        )
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
    # Headers and body go out in two writes: with Nagle on, the body waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emulator.verbose:
            super().log_message(format, *args)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose (fault) or by the client
            super().finish()

    def _send(self, status: int, body: bytes, content_type: str = JSON) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/__stats":
            emulator = self.server.emulator
            stats = emulator.stats.snapshot() | {"assumed_roles": emulator.accounts.assumed_roles()}
            self._send(200, json.dumps(stats).encode())
        else:
            self._send(404, b'{"error": "POST API 3.0 requests to /; GET /__stats for statistics"}')

    def do_DELETE(self) -> None:
        if self.path == "/__stats":
            self.server.emulator.stats.reset()
            self.server.emulator.accounts.reset()
            self._send(200, b'{"reset": true}')
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, content_type = self.server.emulator.handle(headers, body, self)
        if status:
            try:
                self._send(status, payload, content_type)
            except (BrokenPipeError, ConnectionResetError):  # the client went away (killed) while it was handled
                self.close_connection = True

    def reset_connection(self) -> None:
        """Abort with a TCP RST: SO_LINGER 0 then close."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class Emulator:
    """A local Tencent Cloud API for one world. Start with `start()` (or as a context manager); `url` is its base."""

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        rate_limits: Literal["real", "off"] = "off",
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.time,
        verbose: bool = False,
        audit_delay: float | None = None,
    ) -> None:
        self.clock = clock
        self.accounts = Accounts(world, clock)
        for account in self.accounts.by_uin.values():
            if audit_delay is not None:  # else the world's audit.delay_seconds
                account.store.audit.delay = audit_delay
        self.store = self.accounts.manager.store  # the world's own account (its organization's management account)
        self.tokens = self.accounts.tokens
        self.latency = latency_ms / 1000
        # The documented limits ("real"); an account's own `rate_limits` apply either way.
        self.real_limits = rate_limits == "real"
        own = any(a.rate_limits for a in self.accounts.by_uin.values())
        self.limiter = RateLimiter() if self.real_limits or own else None
        self.faults = faults or FaultPlan([])
        self.verbose = verbose
        self.stats = Stats()
        self._stop = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.emulator = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def endpoint(self) -> str:
        """What `HttpProfile(endpoint=...)` takes: host:port without a scheme."""
        return self.url.removeprefix("http://")

    def start(self) -> Emulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="tke-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        self._stop.set()  # wakes hangs and latency sleeps
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the request pipeline ---------------------------------------------------------------------------

    def handle(self, headers: dict[str, str], body: bytes, conn: _Handler) -> tuple[int, bytes, str]:
        """Answer one API request. Returns (status, body, content type); status 0 means nothing is sent."""
        request_id = str(uuid.uuid4())
        action = headers.get("x-tc-action", "")
        region = headers.get("x-tc-region", "")
        try:
            signed = verify(headers, body, self.accounts.secret_keys, self.clock())
            account, principal = self.accounts.caller(signed.secret_id, headers.get("x-tc-token"))
        except ApiError as exc:
            scope = headers.get("authorization", "").split("/")
            service = scope[2] if len(scope) > 3 else "?"
            with self.stats.call(service, action or "?", region) as c:
                self.stats.mark(c, error=True)
            return 200, error_body(exc.code, exc.message, request_id), JSON

        with self.stats.call(signed.service, action or "?", region, account.uin) as counter:
            try:
                handler_params = self._params(body)
                handler = self._route(signed.service, headers.get("x-tc-version", ""), action)
                if not self._allow(signed.service, action, region, account, principal):
                    self.stats.mark(counter, throttled=True, error=True)
                    raise ApiError("RequestLimitExceeded", f"Your request frequency of `{action}` exceeds the limit.")
                ctx = Ctx(account.store, region or None, account.uin, self.accounts, self.clock)
                if signed.service == "tke" and action in AUDITED:
                    handler = self._audited(handler, account, signed.secret_id, action, request_id, headers)
                rule = self.faults.pick(signed.service, action, region, handler_params)
                if rule is not None and rule.effect == "delay":  # latency on this call only; then the real answer
                    self._wait(rule.delay_seconds)
                    rule = None
                if rule is not None:
                    self.stats.mark(counter, fault=True, error=True, throttled=rule.code.startswith("RequestLimit"))
                    return self._fault(rule, conn, request_id, handler, ctx, handler_params)
                self._wait(self.latency)
                if (signed.service, action) not in GLOBAL_ACTIONS:
                    _ = ctx.region  # validates X-TC-Region first, as the gateway does
                answer = handler(ctx, handler_params)
                return 200, encode(answer, request_id), JSON
            except ApiError as exc:
                if not exc.code.startswith("RequestLimitExceeded"):
                    self.stats.mark(counter, error=True)
                self._wait(self.latency)
                return 200, error_body(exc.code, exc.message, request_id), JSON

    def _audited(
        self, handler: Handler, account: Account, secret_id: str, action: str, request_id: str, headers: dict[str, str]
    ) -> Handler:
        """`handler`, writing an audit event in the account's log when it succeeds (whatever a fault then does to
        the answer: the call was made)."""

        def run(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
            answer = handler(ctx, params)
            name, uin = self.accounts.identity(secret_id)
            account.store.audit.add(
                at=self.clock(), name=action, region=ctx.region_name or "", request_id=request_id, username=name,
                uin=uin, account=account.uin, secret_id=secret_id, params=params, response=answer,
                user_agent=headers.get("x-tc-requestclient", ""),
            )  # fmt: skip
            return answer

        return run

    def _allow(self, service: str, action: str, region: str, account: Account, principal: str) -> bool:
        """Within the principal's quota (limits are per sub-account: two members never share one): the account's
        own limit for the call, else (with real limits) the documented one."""
        own = account.rate_limits.get(f"{service}.{action}")
        if self.limiter is None or not (own or self.real_limits):
            return True
        return self.limiter.allow(service, action, region, principal, own)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    @staticmethod
    def _params(body: bytes) -> dict[str, Any]:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise ApiError("InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise ApiError("InvalidParameter", "The request body must be a JSON object.")
        return params

    @staticmethod
    def _route(service: str, version: str, action: str) -> Any:
        if not action:
            raise ApiError("MissingParameter", "The request is missing a required parameter `Action`.")
        versions = {v for (s, v) in ROUTES if s == service}
        if not versions:
            raise ApiError("InvalidAction", f"The service `{service}` is not served here.")
        if version not in versions:
            raise ApiError("NoSuchVersion", f"The requested version `{version}` of service `{service}` does not exist.")
        handler = ROUTES[(service, version)].get(action)
        if handler is None:
            raise ApiError("InvalidAction", f"The requested action `{action}` does not exist.")
        return handler

    def _fault(
        self,
        rule: FaultRule,
        conn: _Handler,
        request_id: str,
        handler: Any,
        ctx: Ctx,
        params: dict[str, Any],
    ) -> tuple[int, bytes, str]:
        if rule.effect == "error":
            self._wait(self.latency)
            return 200, error_body(rule.code, rule.message, request_id), JSON
        if rule.effect == "http_500":
            return 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html"
        if rule.effect == "hang":
            self._wait(rule.hang_seconds)
            conn.close_connection = True
            return 0, b"", JSON
        if rule.effect == "reset":
            conn.reset_connection()
            return 0, b"", JSON
        try:
            answer = handler(ctx, params)
        except ApiError as exc:
            return 200, error_body(exc.code, exc.message, request_id), JSON
        if rule.effect == "value":
            assert rule.field is not None
            answer = _set_field(answer, rule.field, rule.value)
            self._wait(self.latency)
            return 200, encode(answer, request_id), JSON
        if rule.effect in ("short", "omit"):
            # A valid answer missing its last item. short: TotalCount unchanged, what paging sees when the list
            # moves; omit: TotalCount one less, an answer that adds up and still lacks it (only another listing
            # can tell).
            for key, value in answer.items():
                items = value.items if isinstance(value, Raw) else value if isinstance(value, list) else None
                if items:
                    answer[key] = Raw(items[:-1]) if isinstance(value, Raw) else items[:-1]
                    for count in COUNTS if rule.effect == "omit" else ():
                        if isinstance(answer.get(count), int):
                            answer[count] -= 1
                    break
            self._wait(self.latency)
            return 200, encode(answer, request_id), JSON
        # truncate: a real answer, cut in the middle, with a Content-Length that matches the cut body
        full = encode(answer, request_id)
        return 200, full[: max(1, len(full) // 2)], JSON
