"""What every benchmark run shares: the emulator as a separate process with the real limits, its statistics, a
command measured as a process tree (measure.py), and the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
CLI = [sys.executable, "-m", "tke_orphans"]
LEFTOVER_KINDS = ["cbs_disk", "clb", "eip"]  # the default kinds (cfs and security_group are opt-in)


class Served(Protocol):
    """What the emulator is started with: a world spec's latency and injected throttling."""

    @property
    def latency_ms(self) -> int: ...

    @property
    def throttle(self) -> float: ...


def start_emulator(path: Path, spec: Served, tmp: Path) -> tuple[subprocess.Popen[str], str]:
    args = [*CLI, "emulator", "serve", "--world", str(path), "--rate-limits", "real", "--latency-ms",
            str(spec.latency_ms)]  # fmt: skip
    if spec.throttle:
        faults = tmp / "faults.json"
        rule = {"probability": spec.throttle, "code": "RequestLimitExceeded", "message": "injected"}
        faults.write_text(json.dumps({"seed": 7, "faults": [rule]}), encoding="utf-8")
        args += ["--faults", str(faults)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        raise RuntimeError(f"the emulator did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, url


def stats(url: str, reset: bool = False) -> dict[str, Any]:
    req = urllib.request.Request(url + "/__stats", method="DELETE" if reset else "GET")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def measured(cmd: list[str], tmp: Path, **popen: Any) -> dict[str, Any]:
    """Run `cmd` through bench/measure.py: its exit, CPU seconds and its own peak RSS (not this process's)."""
    report = tmp / "measured.json"
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "measure.py"), str(report), *cmd], **popen)
    proc.communicate()
    return dict(json.loads(report.read_text(encoding="utf-8")))


def machine() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"
