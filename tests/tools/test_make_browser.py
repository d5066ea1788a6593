"""`make test`'s browser step on a machine where another job holds apt's locks: the real `make browser` recipe run
with apt-get, id and sleep replaced by shims that record their arguments (nothing is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUSY = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"


def shims(tmp_path: Path, apt_get: str) -> dict[str, str]:
    """A PATH with only the shims and what the recipe needs besides them (no chromium, no fonts: it installs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    for name, body in {"apt-get": apt_get, "id": 'echo 0', "sleep": f'echo "sleep $*" >> {log}',
                       "fc-list": "true"}.items():  # fmt: skip
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    for tool in ("sh", "grep"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    return {"PATH": str(bin_dir), "LOG": str(log), "HOME": str(tmp_path)}


def make_browser(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make is not None
    return subprocess.run([make, "-s", "browser"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_a_busy_package_manager_is_waited_for(tmp_path: Path) -> None:
    # The lists lock is held at the first `apt-get update`, free at the second.
    apt_get = f"""echo "apt-get $*" >> "$LOG"
case "$*" in *update*) [ -e "$LOG.once" ] || {{ : > "$LOG.once"; echo "{BUSY}" >&2; exit 100; }} ;; esac"""
    env = shims(tmp_path, apt_get)
    done = make_browser(env)
    assert done.returncode == 0, done.stderr
    # One line says what is installed and why.
    [line] = done.stdout.splitlines()
    assert "chromium" in line and "fonts-wqy-zenhei" in line and "status page test" in line, line
    calls = Path(env["LOG"]).read_text(encoding="utf-8").splitlines()
    wait = "-o DPkg::Lock::Timeout=600"
    assert calls == [
        f"apt-get {wait} update -qq",
        "sleep 5",
        f"apt-get {wait} update -qq",
        f"apt-get {wait} install -y -qq chromium fonts-wqy-zenhei",
    ]


def test_another_apt_failure_is_not_waited_out(tmp_path: Path) -> None:
    apt_get = 'echo "apt-get $*" >> "$LOG"; echo "E: The repository is not signed." >&2; exit 100'
    env = shims(tmp_path, apt_get)
    done = make_browser(env)
    assert done.returncode != 0 and "not signed" in done.stderr
    assert Path(env["LOG"]).read_text(encoding="utf-8").count("apt-get") == 1
