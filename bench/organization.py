"""One organization-sized pass after another, as `scan` runs them (run_job with a state), in one process: its wall,
the CPU of this process and of its worker processes, and the time spent in the state (issue 15).

    python bench/organization.py SPEC.json WORKERS STATE.db OUT.json

SPEC.json: the emulator's URL, the credentials, the accounts (name -> regions) and the expected orphans. The state
functions are wrapped with timers here, in the benchmark; the product is run as it is.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tke_orphans.job
import tke_orphans.state.lifecycle
import tke_orphans.state.nodes
from tke_orphans.config import config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.state import StateDB

PASSES = ("first (empty state)", "repeat")


def timed(
    timers: dict[str, float], name: str, fn: Callable[..., Any], clock: Callable[[], float] = time.perf_counter
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            timers[name] = timers.get(name, 0.0) + clock() - started

    return wrapper


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class WorkerCpu(logging.Handler):
    """The scan's debug record of its worker processes' CPU (they are the fork server's children, not ours)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seconds = sorted(getattr(record, "worker_cpu", {}).values())


def main() -> int:
    spec_path, workers, state_path, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    accounts = [{"name": name, "secret_id": spec["secret_id"], "secret_key": spec["secret_key"], "regions": regions}
                for name, regions in spec["accounts"].items()]  # fmt: skip
    cfg = config_from_data({"tencentcloud": {"endpoint_url": spec["url"], "workers": workers}, "accounts": accounts,
                            "pricing": {"enabled": False},
                            "detection": {"leftovers": [], "origin": {"enabled": False}}},
                           source=str(spec_path))  # fmt: skip
    expected = {tuple(o) for o in spec["orphans"]}
    timers: dict[str, float] = {}
    # The node history's writes are inside orphans.apply: counted apart, and taken out of the lifecycle's time.
    tke_orphans.state.nodes.record = timed(timers, "node_history_write", tke_orphans.state.nodes.record)
    vars(tke_orphans.job)["plan"] = timed(timers, "lifecycle_plan", tke_orphans.state.lifecycle.plan)
    workers_cpu = WorkerCpu()
    fanout_log = logging.getLogger("tke_orphans.fanout")
    fanout_log.setLevel(logging.DEBUG)
    fanout_log.addHandler(workers_cpu)
    passes = []
    with StateDB(state_path) as state:
        # With one process the reads run in the region threads, side by side with the scan: their CPU, not their
        # wall time (which counts the waits for the GIL), is what they cost.
        state.nodes.history = timed(  # type: ignore[method-assign]
            timers, "node_history_read", state.nodes.history, time.thread_time
        )
        state.orphans.apply = timed(timers, "orphans_apply", state.orphans.apply)  # type: ignore[method-assign]
        state.scans.record = timed(timers, "record_scan", state.scans.record)  # type: ignore[method-assign]
        for name in PASSES:
            timers.clear()
            workers_cpu.seconds = []
            own, started = cpu(), time.perf_counter()
            job = run_job(Run(cfg), state=state, notify=True)
            wall = time.perf_counter() - started
            t = {
                k: timers.get(k, 0.0)
                for k in ("record_scan", "node_history_write", "node_history_read", "lifecycle_plan", "orphans_apply")
            }
            writes = {
                "record_scan": t["record_scan"],
                "node_history": t["node_history_write"] + t["node_history_read"],
                "lifecycle": t["lifecycle_plan"] + t["orphans_apply"] - t["node_history_write"],
            }  # fmt: skip
            found = {(o.region, o.instance.instance_id) for o in job.result.orphans}
            passes.append({
                "pass": name,
                "wall_s": round(wall, 2),
                "cpu_parent_s": round(cpu() - own, 2),
                "cpu_workers_s": [round(s, 2) for s in workers_cpu.seconds],
                "state_s": {k: round(v, 3) for k, v in writes.items()},
                "state_share": round(sum(writes.values()) / wall, 3),
                "status": job.result.status,
                "correct": found == expected,
            })  # fmt: skip
    out.write_text(json.dumps({"workers": workers, "passes": passes}), encoding="utf-8")
    return 0 if all(p["correct"] for p in passes) else 1


if __name__ == "__main__":
    sys.exit(main())
