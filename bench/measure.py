"""Run a command and write its CPU time and peak RSS as JSON: `python bench/measure.py OUT.json CMD...`.

The harness holds a whole world in memory; a child forked from it starts with that memory counted in its peak RSS
(the kernel carries the high-water mark across exec). Forked from this small process instead, the command's peak
is its own. Its stdin, stdout and stderr are this process's.

The command's whole process tree is counted (a scan with `tencentcloud.workers` > 1 has a fork server and worker
processes, which the scan itself never waits for): on Linux this process becomes their subreaper, so every
descendant is reaped here and its CPU lands in this process's children's usage (`cpu_s`); `peak_rss_mb` is the
largest single process's peak, and `tree_rss_mb` the peak of the tree's summed RSS, sampled every 50 ms.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the command's own usage only
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            out += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:  # gone meanwhile, or no /proc
        pass
    return out


def _tree_rss(root: int) -> int:
    """Bytes resident in `root` and its descendants now (0 where /proc is missing)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += _children(pid)
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def main() -> int:
    out, cmd = Path(sys.argv[1]), sys.argv[2:]
    _subreaper()
    started = time.monotonic()
    proc = subprocess.Popen(cmd)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    deadline = time.monotonic() + 30  # the orphaned fork server exits once its parent is gone
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                time.sleep(0.05)
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    out.write_text(json.dumps({"exit": code, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                               "peak_rss_mb": usage.ru_maxrss / 1024,
                               "tree_rss_mb": peak[0] / 2**20}), encoding="utf-8")  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())
