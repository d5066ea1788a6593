"""`serve`: the long-running mode, for a Deployment on TKE or any host."""

from __future__ import annotations

import logging
import signal
from enum import StrEnum
from typing import Annotated

import typer

from .common import (
    ConfigOpt,
    EndpointOpt,
    InitStateOpt,
    StateOpt,
    UsageError,
    command,
    duration,
    endpoint,
    load,
    open_state,
)
from .regions import check_region_names


class ServeCleanup(StrEnum):
    mark = "mark"


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {value!r}: expected HOST:PORT, such as 0.0.0.0:9108")
    return host.strip("[]") or "0.0.0.0", int(port)


@command
def serve(
    config: ConfigOpt = None,
    interval: Annotated[
        str | None, typer.Option(metavar="DURATION", help="Time between scans [default: serve.interval, 10m].")
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            help="Address for /metrics, probes and the status page [default: serve.listen, 127.0.0.1:9108; "
            "0.0.0.0:9108 for every interface].",
        ),
    ] = None,
    state: StateOpt = None,
    init_state: InitStateOpt = False,
    endpoint_url: EndpointOpt = None,
    cleanup: Annotated[
        ServeCleanup | None,
        typer.Option(
            "--cleanup",
            help="After each pass, also run cleanup with this action, as a real run with the cleanup: section's "
            "ages and cap. Only mark: terminating stays a person's decision. [default: off]",
        ),
    ] = None,
    events: Annotated[
        bool,
        typer.Option(
            "--events",
            help="Also scan an account and region soon after TKE removed nodes or clusters there: poll its CloudAudit "
            "log (and take POST /events with serve.events.secret). [default: serve.events.enabled]",
        ),
    ] = False,
) -> None:
    """Scan on an interval (the first at start), serve metrics, /healthz, /readyz and a status page."""
    from ..cleanup import serve_hook
    from ..context import Run
    from ..serve import Service

    cfg = load(config)
    # A long-running process: each log line says when (local time with its offset, as ISO 8601).
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    every = duration("--interval", interval) if interval else cfg.serve.interval
    if every.total_seconds() < 1:
        raise UsageError("--interval must be at least 1s")
    address = _listen(listen or cfg.serve.listen)
    with open_state(cfg, state, lock=False, init=init_state) as db:  # locked pass by pass (Service.run_pass)
        run = Run(cfg, endpoint(endpoint_url))
        check_region_names(run, ())  # at start-up: a typo is not an outage of every pass
        try:
            hook = serve_hook(run, db, cleanup.value) if cleanup else None
            service = Service(cfg, db, every, address, run.endpoint_url, after_pass=hook, events=events)
        except OSError as exc:
            raise UsageError(f"cannot listen on {address[0]}:{address[1]}: {exc.strerror}") from None

        def _stop(signum: int, frame: object) -> None:
            service.stopped_by = signal.Signals(signum).name
            service.stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        service.run()
