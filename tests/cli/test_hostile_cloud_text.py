"""Cloud text written by whoever holds the account can only be read: the real `scan` and `cleanup` commands (a
subprocess, with a colour terminal forced) against the emulator with a hostile instance name and a fault whose error
message is hostile, the chat messages as the local fake bots received them, and the CSV."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tke_orphans_testkit.emulator import Emulator, FaultPlan, World
from tke_orphans_testkit.sinks import ChatSinks

from ..hostile import BOTS, FAULT, FORMULA, assert_inert, hostile_world
from .conftest import write_config


@pytest.fixture
def hostile() -> Iterator[tuple[World, Emulator]]:
    world = hostile_world()
    with Emulator(world, faults=FaultPlan.from_data({"faults": [FAULT]})) as emu:
        yield world, emu


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # FORCE_COLOR: rich writes to a colour terminal, where markup links and styles would become escape sequences.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "TKE_ORPHANS_"))}
    env |= {"HOME": str(tmp_path / "home"), "FORCE_COLOR": "1", "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "tke_orphans", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)  # fmt: skip


def test_scan_shows_hostile_text_and_the_bots_get_it_inert(tmp_path: Path, hostile: tuple[World, Emulator]) -> None:
    world, emu = hostile
    with ChatSinks(BOTS) as sinks:
        platforms = {b.platform: {"enabled": True, "url": sinks.bot_url(b)} for b in BOTS}
        cfg = write_config(tmp_path / "c.yaml", world, emu.url, webhook={"enabled": True, "platforms": platforms},
                           tencentcloud={"retry": {"max_attempts": 1}}, logging={"level": "debug"})  # fmt: skip
        scan = run(tmp_path, "scan", "-c", str(cfg), "--state", str(tmp_path / "s.db"))
        accepted = sinks.accepted()
    assert scan.returncode == 3, scan.stderr  # partial (the fault), not a crash
    assert "Traceback" not in scan.stderr and "MarkupError" not in scan.stderr
    out = scan.stdout + scan.stderr
    assert_inert(out)
    # Shown as written, with the controls as visible escapes.
    assert "[/nope] [link=https://evil.example]click[/link] :fire: \\x1b[2J\\x1b]0;pwned\\x07" in scan.stdout
    assert "\\u202eevil\\x9b31m" in scan.stdout
    assert "boom [/TraceId=abc] [bold]loud[/bold] \\x1b[31mred" in scan.stdout  # the error line
    assert "\\x1b[31mred" in scan.stderr  # the (debug) log line
    assert {a.platform for a in accepted} == {"wecom", "dingtalk", "feishu"}
    for message in accepted:
        assert_inert(message.text)
        assert "\x1b" not in message.text
        assert "<@all>" not in message.text  # the existing chat escaping still holds
    for platform in ("wecom", "dingtalk", "feishu"):  # a message may be split in parts to fit
        text = "\n".join(m.text for m in accepted if m.platform == platform)
        assert "\\x1b" in text and "\\u202eevil" in text


def test_cleanup_dry_run_shows_hostile_text(tmp_path: Path, hostile: tuple[World, Emulator]) -> None:
    world, emu = hostile
    cfg = str(write_config(tmp_path / "c.yaml", world, emu.url, tencentcloud={"retry": {"max_attempts": 1}}))
    state = str(tmp_path / "s.db")
    assert run(tmp_path, "scan", "-c", cfg, "--state", state, "--no-notify").returncode == 3
    emu.faults = FaultPlan([])  # a complete scan: cleanup acts only on regions whose last scan was complete
    assert run(tmp_path, "scan", "-c", cfg, "--state", state).returncode == 0
    emu.faults = FaultPlan.from_data({"faults": [FAULT]})  # the re-check fails: nothing done in that region
    result = run(tmp_path, "cleanup", "-c", cfg, "--state", state, "--min-orphan-age", "0s", "--max", "100")
    assert "Traceback" not in result.stderr, result.stderr
    out = result.stdout + result.stderr
    assert_inert(out)
    assert "skipped" in out and "[/TraceId=abc] [bold]loud[/bold]" in out and "\\x1b[31mred" in out  # wrapped
    emu.faults = FaultPlan([])
    result = run(tmp_path, "cleanup", "-c", cfg, "--state", state, "--min-orphan-age", "0s", "--max", "100")
    assert result.returncode == 0, result.stderr
    assert_inert(result.stdout + result.stderr)
    assert "[/nope] [link=https://evil.example]click[/link]" in result.stdout and "DRY-RUN" in result.stdout


def test_csv_cells_are_never_formulas(tmp_path: Path, hostile: tuple[World, Emulator]) -> None:
    world, emu = hostile
    cfg = str(write_config(tmp_path / "c.yaml", world, emu.url, tencentcloud={"retry": {"max_attempts": 1}}))
    result = run(tmp_path, "scan", "-c", cfg, "--state", str(tmp_path / "s.db"), "-o", "csv")
    rows = {r["instance_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["ins-gzorp001"]["instance_name"] == "'" + FORMULA
    assert rows["ins-gzorp002"]["instance_name"].startswith("tke_cls-gone0001_worker [/nope]")
    assert rows["ins-gzorp002"]["cpu"] == "8"  # numbers stay numbers
    assert_inert(result.stdout)
