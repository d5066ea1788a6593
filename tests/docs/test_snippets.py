"""Every snippet in the README and docs/ works as written: Python blocks run (the emulator's, against the demo world),
JSON and YAML blocks parse, the README's JSON sample has the contract's keys, each `tke-orphans` command line names a
real command and real options, and every relative link (and every repository .md path named in the text) leads to a
file that exists."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.demo import demo_config, demo_world
from tke_orphans_testkit.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy" / "README.md",
        ROOT / "deploy" / "events" / "README.md", ROOT / "testkit" / "README.md"]  # fmt: skip
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MD_PATH = re.compile(r"(?<![\w./-])((?:docs|deploy|testkit|examples|bench|scripts)/[\w./-]*\.md)\b")


def blocks(lang: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for doc in DOCS:
        for m in BLOCK.finditer(doc.read_text(encoding="utf-8")):
            if m.group(1) in lang.split("|"):
                found.append((f"{doc.relative_to(ROOT)} block {len(found)} ({m.group(1)})", m.group(2)))
    return found


@pytest.mark.parametrize(("where", "code"), blocks("python"))
def test_python_blocks_run(where: str, code: str) -> None:
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"{where}:\n{run.stderr}"


@pytest.mark.parametrize(("where", "code"), blocks("json|yaml"))
def test_data_blocks_parse(where: str, code: str) -> None:
    assert (json.loads if where.endswith("(json)") else yaml.safe_load)(code) is not None


def command_lines() -> list[tuple[str, list[str]]]:
    """Each `tke-orphans ...` line of a shell block, continuations joined, comments and `&` dropped."""
    lines = []
    for where, code in blocks("sh|bash|shell"):
        for line in code.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["tke-orphans"]:
                lines.append((where, [w for w in words[1:] if w != "&"]))
    return lines


@pytest.mark.parametrize(("where", "words"), command_lines())
def test_command_lines_name_real_commands_and_options(where: str, words: list[str]) -> None:
    path = [w for w in words if not w.startswith("-")][:2]  # a command, and a subcommand if it has any
    for depth in (2, 1):
        shown = CliRunner().invoke(app, [*path[:depth], "--help"], env={"COLUMNS": "200"})
        if shown.exit_code == 0:
            break
    assert shown.exit_code == 0, f"{where}: tke-orphans {' '.join(words)}: no such command"
    for option in (w.split("=")[0] for w in words if w.startswith("-") and not w.startswith("[")):
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", shown.stdout), f"{where}: {option} of {words}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:|#", target):
            continue
        assert (doc.parent / target.split("#")[0]).exists(), f"{doc.relative_to(ROOT)}: link to {target}"
    for path in MD_PATH.findall(text):
        assert (ROOT / path).exists(), f"{doc.relative_to(ROOT)}: names {path}"


MAPS = {"tags", "rate_adapted", "by_region", "by_reason", "by_account", "by_kind"}  # keyed by data, not by contract


def unknown_keys(sample: object, real: object, path: str = "") -> list[str]:
    """The sample's keys the real output lacks, walking both (a list by its first item; "…" keys are placeholders)."""
    if isinstance(sample, list) and isinstance(real, list) and sample and real:
        return unknown_keys(sample[0], real[0], f"{path}[0]")
    if not isinstance(sample, dict) or not isinstance(real, dict):
        return []
    found = [f"{path}.{k}" for k in sample if not k.startswith("…") and k not in real]
    for key in set(sample) & set(real) - MAPS:
        found += unknown_keys(sample[key], real[key], f"{path}.{key}")
    return found


def test_the_readme_json_sample_has_the_contracts_keys(tmp_path: Path) -> None:
    [sample] = [json.loads(code) for _, code in blocks("json") if '"schema_version"' in code]
    world = demo_world()
    with Emulator(world) as emu:
        (tmp_path / "c.yaml").write_text(demo_config(world, emu.url), encoding="utf-8")
        args = ["scan", "-c", str(tmp_path / "c.yaml"), "--state", str(tmp_path / "s.db"), "-o", "json"]
        scanned = CliRunner().invoke(app, args)
    real = json.loads(scanned.stdout)
    assert set(sample) == set(real)  # every top-level key shown
    assert unknown_keys(sample, real) == []
