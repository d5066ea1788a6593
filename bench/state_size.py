"""The state's size over a simulated month of `serve` (issue 21, item 5; docs/state.md).

What runs for real: the job (`tke_orphans.job.run_job`: the alert lifecycle, recording the scan, retention, the
outbox, delivery over HTTP to a local generic webhook that answers 200), and the state (SQLite, in a temporary
folder) with its clock moved pass by pass: every time the state writes is the simulated one.

What is simulated: the scan itself (4,320 emulator scans would take hours, and only what is written matters). One
real scan of the demo world, against the emulator through the official SDK, gives the orphans; they are copied to
`--orphans` with distinct ids, and every pass returns that result with the pass's time. The estate does not change
during the month: every pass sees the same orphans, a digest of them is delivered once a day (`remind_every` 24h),
the rest of the passes tell nothing. `serve --cleanup` is not simulated.

    .venv/bin/python bench/state_size.py [--days 30] [--orphans 1500] [--every-minutes 10]
    PYTHONPATH=/path/to/another/checkout/src .venv/bin/python bench/state_size.py   # the same for that version

Prints one JSON line per simulated day reached (--report-days): the sizes, the bytes each table holds, the wall
time.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.server
import itertools
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import tke_orphans
from tke_orphans import job
from tke_orphans.config import Config, config_from_data
from tke_orphans.context import Run
from tke_orphans.model import ScanResult
from tke_orphans.scan import run_scan
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, load_world

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-world.yaml"


class _Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def webhook() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def config(emulator_url: str, hook_url: str, credentials: Any) -> Config:
    return config_from_data(
        {
            "tencentcloud": {"secret_id": credentials.secret_id, "secret_key": credentials.secret_key,
                             "regions": "all", "endpoint_url": emulator_url, "workers": 1},
            "webhook": {"enabled": True, "generic": [{"name": "sim", "url": hook_url}]},
            "detection": {"leftovers": []},
        },
        "bench/state_size.py",
    )  # fmt: skip


def estate(orphans: int, hook_url: str) -> tuple[ScanResult, Config]:
    """One real scan of the demo world, its orphans copied to `orphans` with distinct ids."""
    world = load_world(DEMO)
    with Emulator(world) as emu:
        cfg = config(emu.url, hook_url, world.spec.credentials[0])
        result = run_scan(Run(cfg), now=lambda: world.now)
    copies = [
        dataclasses.replace(o, instance=dataclasses.replace(o.instance, instance_id=f"ins-sim{i:07d}"))
        for i, o in zip(range(orphans), itertools.cycle(result.orphans), strict=False)
    ]
    snapshots = tuple(
        dataclasses.replace(s, listed=s.listed | {c.instance.instance_id for c in copies if c.region == s.region})
        for s in result.snapshots
    )
    return dataclasses.replace(result, orphans=tuple(copies), snapshots=snapshots), cfg


def set_state_clock(now: datetime) -> None:
    """Every module that stamps what the state writes, in this version and in those before the clock was one."""
    names = ["store", "scans", "events", "outbox", "db", "ledger", "actions"]
    for mod in [job, *(sys.modules.get(f"tke_orphans.state.{n}") for n in names)]:
        if mod is not None and hasattr(mod, "utcnow"):
            mod.__dict__["utcnow"] = lambda: now


def _same(at: datetime) -> datetime:
    return at


def sizes(db: StateDB) -> dict[str, Any]:
    """On disk as the passes left it (the database, its WAL and the WAL's index), then the database alone after a
    checkpoint has moved the WAL into it; and what the tables hold (their text and blob bytes)."""
    files = [db.path, *(db.path.with_name(db.path.name + s) for s in ("-wal", "-shm"))]
    disk = sum(f.stat().st_size for f in files if f.exists())
    db.query("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = [r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    held = {}
    for t in tables:
        columns = [r[1] for r in db.query(f"PRAGMA table_info({t})")]
        total = " + ".join(f"coalesce(length(CAST({c} AS BLOB)), 0)" for c in columns)
        held[t] = int(db.query(f"SELECT coalesce(sum({total}), 0), count(*) FROM {t}")[0][0])
    return {"disk_bytes": disk, "db_bytes": db.path.stat().st_size, "tables": held}


def simulate(days: int, orphans: int, every: timedelta, report_days: set[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with webhook() as hook, tempfile.TemporaryDirectory(prefix="state-size-") as tmp:
        base, cfg = estate(orphans, hook)
        start = base.scanned_at

        def replay(cfg: Config, *, now: Callable[[], datetime], **_: Any) -> ScanResult:
            return dataclasses.replace(base, scanned_at=now())

        job.__dict__["run_scan"] = replay  # what every pass "scans"
        passes = int(timedelta(days=days) / every)
        per_day = int(timedelta(days=1) / every)
        began = time.monotonic()
        with StateDB(Path(tmp) / "state.db") as db:
            for n in range(1, passes + 1):
                at = start + n * every
                set_state_clock(at)
                job.run_job(Run(cfg), state=db, now=partial(_same, at))
                if n % per_day == 0 and n // per_day in report_days:
                    out.append({"day": n // per_day, "passes": n, **sizes(db),
                                "wall_s": round(time.monotonic() - began, 1)})  # fmt: skip
                    print(json.dumps(out[-1]), flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--orphans", type=int, default=1500)
    parser.add_argument("--every-minutes", type=int, default=10)
    parser.add_argument("--report-days", default="1,2,7,14,30", help="days at which to print the size")
    args = parser.parse_args()
    print(f"# tke-orphans from {Path(tke_orphans.__file__).parent}", flush=True)
    report = {int(d) for d in args.report_days.split(",")}
    simulate(args.days, args.orphans, timedelta(minutes=args.every_minutes), report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
