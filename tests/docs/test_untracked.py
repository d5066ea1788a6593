"""`make bench` and the install leave no untracked file: everything they write is where .gitignore covers (or, for
`make bench-full`'s results, the record kept in git). Checked on the paths they write, not by running them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists() or not shutil.which("git"), reason="not a git checkout")


def ignored(path: Path) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False).returncode == 0


def tracked(path: Path) -> bool:
    args = ["git", "ls-files", "--error-unmatch", str(path)]
    return subprocess.run(args, cwd=ROOT, capture_output=True, check=False).returncode == 0


def bench_outputs(target: str) -> list[Path]:
    """The files the Makefile's recipe names for the results (`--json FILE`), from the recipe make would run."""
    make = shutil.which("make")
    assert make is not None
    recipe = subprocess.run([make, "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / p for p in re.findall(r"bench/run\.py .*--json (\S+)", recipe)]


def test_make_bench_writes_only_where_git_ignores() -> None:
    [results] = bench_outputs("bench")
    assert ignored(results), f"{results.relative_to(ROOT)} would be left untracked by make bench"
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from run import CACHE  # the generated worlds
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert ignored(CACHE / "world.json")


def test_make_bench_full_updates_the_kept_record() -> None:
    [results] = bench_outputs("bench-full")
    assert tracked(results) or ignored(results)


INSTALLED = ["testkit/build/lib/x.py", "testkit/src/tke_orphans_testkit.egg-info/PKG-INFO",
             "src/tke_orphans.egg-info/PKG-INFO", ".venv/bin/python", ".venv-tccli/bin/tccli"]  # fmt: skip


@pytest.mark.parametrize("path", INSTALLED)
def test_the_install_writes_only_where_git_ignores(path: str) -> None:
    assert ignored(ROOT / path)
