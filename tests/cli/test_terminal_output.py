"""What a person reads in a terminal: the orphan table fits 80 and 120 columns (COLUMNS, as a piped run or a fixed
terminal gives it), a failed scan says so first and once, each command offers only its real formats, cleanup's
durations and refusal read right, the sinks say what arrived, and the demo cleans up and explains a quiet rerun."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.emulator import Emulator, World

from .conftest import write_config

ORPHANS = {"ins-gzorp001": "as-tke-np-web00001", "ins-gzorp002": "tke_cls-gone0001_worker",
           "ins-gzorp003": "as-tke-np-old00001", "ins-shorp001": "tke_cls-prodsh01_worker"}  # fmt: skip


def run(tmp_path: Path, *args: str, columns: int | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command, piped (as in a script or CI), with the terminal width COLUMNS says, if any."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "TKE_ORPHANS_", "COLUMNS"))}
    base |= {"HOME": str(tmp_path / "home"), **env} | ({"COLUMNS": str(columns)} if columns else {})
    return subprocess.run([sys.executable, "-m", "tke_orphans", *args], capture_output=True, text=True, env=base,
                          timeout=120, check=False)  # fmt: skip


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, f"{cell_len(line)} > {width}: {line!r}"
        assert line == line.rstrip(), f"trailing padding: {line!r}"


@pytest.mark.parametrize("width", [80, 120])
def test_the_orphan_table_fits_the_width(tmp_path: Path, world: World, emulator: Emulator, width: int) -> None:
    leftovers = {"leftovers": ["cbs_disk", "clb", "eip"]}
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url, detection=leftovers))
    scan = run(tmp_path, "scan", "-c", cfg, "--no-notify", "--state", str(tmp_path / "s.db"), columns=width)
    assert scan.returncode == 0, scan.stderr
    assert_fits(scan.stdout, width)
    lines = scan.stdout.splitlines()
    # One line per orphan, never wrapped; the region heads its rows. At 120 every name is whole; at 80 (with the
    # monthly cost) a long name may be cut, visibly, and only the name.
    for iid, name in ORPHANS.items():
        [row] = [line for line in lines if iid in line]
        cut = next(w for w in row.split("  ") if w.startswith(name[:10]))
        assert cut == name if width == 120 else (cut == name or (cut.endswith("…") and name.startswith(cut[:-1])))
        assert "¥" in row  # the monthly cost fits too
    assert lines.index("ap-guangzhou") < lines.index("ap-shanghai")
    # The second section: what deleted clusters left, then the user's CLB a deleted cluster reused, apart.
    left = lines.index("Left behind by deleted clusters (3)")
    reused = next(i for i, line in enumerate(lines) if line.startswith("Reused by a deleted cluster"))
    assert lines[left + 1].split()[:3] == ["REGION", "KIND", "RESOURCE"]
    for rid in ("disk-gzleft01", "lb-gzleft01", "eip-gzleft01"):
        [at] = [i for i, line in enumerate(lines) if rid in line]
        assert left < at < reused and "cls-gone0001" in lines[at]
    [at] = [i for i, line in enumerate(lines) if "lb-gzreuse1" in line]
    assert at > reused


def test_wide_and_piped_without_columns(tmp_path: Path, world: World, emulator: Emulator) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url))
    state = str(tmp_path / "s.db")
    short = run(tmp_path, "scan", "-c", cfg, "--no-notify", "--state", state, columns=80).stdout
    assert "POSTPAID_BY_HOUR" not in short and "10.0.1.13" not in short  # the default view is the dense one
    wide = run(tmp_path, "scan", "-c", cfg, "--no-notify", "--state", state, "--wide").stdout
    assert_fits(wide, 10_000)  # no trailing padding, and nothing cut without a width
    [row] = [line for line in wide.splitlines() if "ins-gzorp002" in line]
    # The world's expiry is relative to its start ("+40d"): the expectation comes from the same clock, not a date.
    [inst] = [i for i in world.spec.regions["ap-guangzhou"].instances if i.InstanceId == "ins-gzorp002"]
    assert inst.ExpiredTime is not None
    until = f"PREPAID until {inst.ExpiredTime:%Y-%m-%d}"
    for cell in ("ap-guangzhou-6", "tke_cls-gone0001_worker", "10.0.3.5", "159.75.1.2", "S5.2XLARGE16",
                 until, "cls-gone0001"):  # fmt: skip
        assert cell in row


def test_a_failed_scan_says_so_first_and_once(tmp_path: Path, world: World, emulator: Emulator) -> None:
    cfg = write_config(tmp_path / "c.yaml", world, emulator.url,
                       tencentcloud={"secret_key": "wrong", "regions": ["ap-guangzhou", "ap-shanghai"]})  # fmt: skip
    scan = run(tmp_path, "scan", "-c", str(cfg), "--no-notify", "--state", str(tmp_path / "s.db"), columns=120)
    assert scan.returncode == 3
    assert scan.stdout.startswith("Scan failed: ")
    assert "No orphaned CVM instances found" not in scan.stdout
    said = scan.stdout + scan.stderr
    assert said.count("The provided credentials could not be validated") == 1, said
    assert "in ap-guangzhou, ap-shanghai" in scan.stdout and "secret_key" in scan.stdout  # where, and what to do
    assert_fits(scan.stdout, 120)
    # A machine format keeps stdout to the data: the failure goes to stderr, still once.
    as_json = run(tmp_path, "scan", "-c", str(cfg), "--no-notify", "-o", "json", "--state", str(tmp_path / "s.db"))
    assert json.loads(as_json.stdout)["status"] == "error"
    assert as_json.stderr.startswith("Scan failed: ")
    assert as_json.stderr.count("The provided credentials could not be validated") == 1


def test_each_command_offers_only_its_formats(
    runner: CliRunner, tmp_path: Path, world: World, emulator: Emulator
) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url))
    assert runner.invoke(app, ["scan", "-c", cfg, "-o", "json"]).exit_code == 0  # no bot: records, sends nothing
    history = runner.invoke(app, ["history", "-c", cfg, "-o", "csv"])
    assert history.exit_code == 0, history.output
    rows = history.stdout.splitlines()
    assert rows[0] == "at,account,region,instance_id,event,detail"
    # Orphans and the disks, load balancers and addresses of deleted clusters, each once.
    leftovers = ["disk-gzleft01", "lb-gzleft01", "lb-gzreuse1", "eip-gzleft01"]
    assert sorted(r.split(",")[3] for r in rows[1:]) == sorted([*ORPHANS, *leftovers])
    cleanup = runner.invoke(app, ["cleanup", "-c", cfg, "-o", "csv"])
    assert cleanup.exit_code == 0, cleanup.output
    rows = cleanup.stdout.splitlines()
    assert rows[0] == "account,region,instance_id,name,action,outcome,detail,request_id,refund,kind"
    assert sorted(r.split(",")[2] for r in rows[1:]) == sorted(ORPHANS)
    for command in (["history", "-c", cfg], ["cleanup", "-c", cfg]):
        refused = runner.invoke(app, [*command, "-o", "markdown"])
        assert refused.exit_code == 2 and "'markdown' is not one of" in refused.output


def test_cleanup_durations_and_the_refusal_said_once(
    runner: CliRunner, tmp_path: Path, world: World, emulator: Emulator
) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url))
    assert runner.invoke(app, ["scan", "-c", cfg, "-o", "json"]).exit_code == 0  # no bot: records, sends nothing
    young = runner.invoke(app, ["cleanup", "-c", cfg], env={"COLUMNS": "120"})
    assert young.exit_code == 0, young.output
    assert "0.0h" not in young.output
    assert re.search(r"orphan for \d+s, less than --min-orphan-age 1d", young.output), young.output
    assert_fits(young.output, 120)
    capped = runner.invoke(app, ["cleanup", "-c", cfg, "--min-orphan-age", "0s", "--max", "1"], env={"COLUMNS": "80"})
    assert capped.exit_code == 3
    assert capped.output.count("raise --max") == 1, capped.output
    lines = capped.output.splitlines()
    assert lines[1].startswith("refused: 4 instances qualify, more than --max 1")  # said first, before the rows
    assert sum("not acted on" in line for line in lines) == 4  # each row points at it
    assert_fits(capped.output, 80)


def test_sinks_print_a_line_per_message(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tke_orphans", "sinks", "-v"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout or ():
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()  # get(timeout=...) bounds each wait: a silent sinks fails
    try:
        lines.get(timeout=60)  # the base URL
        wecom = lines.get(timeout=60).split()[1]
        for _ in range(2):
            lines.get(timeout=60)  # dingtalk, feishu
        body = json.dumps({"msgtype": "text", "text": {"content": "hello from the test"}}).encode()
        for url in (wecom, wecom.replace("key=", "key=unknown")):
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()
        accepted = lines.get(timeout=60)
        assert re.fullmatch(rf"\d\d:\d\d:\d\d wecom demo\*\*\*\* accepted, {len(body)} bytes", accepted), accepted
        shown = [lines.get(timeout=60) for _ in range(6)]  # -v: the body, indented
        assert '      "msgtype": "text",' in shown and '        "content": "hello from the test"' in shown
        rejected = lines.get(timeout=60)
        assert re.fullmatch(
            rf"\d\d:\d\d:\d\d wecom unkn\*\*\*\* rejected \(code 93000: .+\), {len(body)} bytes", rejected
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_demo_cleans_up_and_says_why_a_rerun_is_quiet(runner: CliRunner, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    demo = run(tmp_path, "demo", columns=80, TMPDIR=str(tmp))
    assert demo.returncode == 0, demo.stderr
    assert "The chat sinks accepted 4 message(s)" in demo.stdout
    assert_fits(demo.stdout, 80)
    assert list(tmp.iterdir()) == []  # its temporary folder is gone
    kept = tmp_path / "kept"
    first = runner.invoke(app, ["demo", "--keep", str(kept)])
    assert first.exit_code == 0 and "accepted 4 message(s)" in first.stdout
    again = runner.invoke(app, ["demo", "--keep", str(kept)])
    assert again.exit_code == 0 and "accepted" not in again.stdout
    assert "No message sent: nothing new to tell" in again.stdout and "pass another --keep DIR" in again.stdout
    assert (kept / "config.yaml").exists()  # kept


@pytest.mark.parametrize("width", [80, 120])
def test_history_fits_the_width_without_breaking_a_word(
    tmp_path: Path, world: World, emulator: Emulator, width: int
) -> None:
    """Issue 20 item 1: at 80 columns the detail was broken inside words (`removed_fr`/`om_cluster`). A real
    history: orphans, leftovers, a user's CLB, a failed delivery (a long detail), and each way one is resolved."""
    hook = {
        "enabled": True,
        "max_attempts": 1,
        "timeout": 5,
        "platforms": {"wecom": {"enabled": True, "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=x"}},
    }
    detection = {"leftovers": ["cbs_disk", "clb", "eip"]}
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url, detection=detection, webhook=hook))
    state = ["-c", cfg, "--state", str(tmp_path / "s.db")]
    assert run(tmp_path, "scan", *state).returncode == 3  # the bot is unreachable: told as a failed delivery
    gz = emulator.store.regions["ap-guangzhou"]
    del gz.disks["disk-gzleft01"]  # resolved:gone
    lb = gz.load_balancers["lb-gzleft01"]  # resolved:not_leftover: its cluster tag now names a live cluster
    lb["Tags"] = [{**t, "TagValue": "cls-prodgz01"} if t["TagKey"] == "tke-clusterId" else t for t in lb["Tags"]]
    emulator.store.remove_instance("ap-guangzhou", "ins-gzorp001")  # resolved:terminated
    run(tmp_path, "scan", *state)
    events = json.loads(run(tmp_path, "history", *state, "-o", "json").stdout)
    kinds = {e["kind"] for e in events}
    assert {"orphaned", "left_over", "reused", "delivery_failed", "resolved:gone", "resolved:not_leftover",
            "resolved:terminated"} <= kinds, kinds  # fmt: skip
    assert max(len(e["detail"]) for e in events) > 60  # a detail that must wrap (or go under its row)
    table = run(tmp_path, "history", *state, columns=width)
    assert table.returncode == 0, table.stderr
    assert_fits(table.stdout, width)
    lines = [line.split() for line in table.stdout.splitlines()]
    words = {w for line in lines for w in line}
    for e in events:
        # The row names the id and the event, whole, on one line; every word of the detail is there whole.
        assert any(e["kind"] in line and (e["instance_id"] or "-") in line for line in lines), e
        assert set(e["detail"].split()) <= words, (e["detail"], table.stdout)
