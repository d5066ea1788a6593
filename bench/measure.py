"""Run a command and write its CPU time and peak RSS as JSON: `python bench/measure.py OUT.json CMD...`.

The harness holds a whole world in memory; a child forked from it starts with that memory counted in its peak RSS
(the kernel carries the high-water mark across exec). Forked from this small process instead, the command's peak
is its own. Its stdin, stdout and stderr are this process's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    out, cmd = Path(sys.argv[1]), sys.argv[2:]
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    out.write_text(json.dumps({"exit": code, "cpu_s": usage.ru_utime + usage.ru_stime,
                               "peak_rss_mb": usage.ru_maxrss / 1024}), encoding="utf-8")  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())
