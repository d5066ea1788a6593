"""`serve --events` as a real process: the flag turns the poller on (its start-up line says so) and it stops on
SIGTERM; a serve.events key out of range is one sentence naming the file and the key, exit 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.emulator import Emulator, load_world

from .conftest import DEMO, config_data, free_port, write_yaml


def test_serve_events_starts_the_poller_and_stops_on_sigterm(tmp_path: Path) -> None:
    with Emulator(load_world(DEMO)) as emu:
        cfg = write_yaml(tmp_path / "c.yaml", config_data(emu.url))
        proc = subprocess.Popen(
            [sys.executable, "-m", "tke_orphans", "serve", "--events", "-c", str(cfg), "--state",
             str(tmp_path / "s.db"), "--init-state", "--listen", f"127.0.0.1:{free_port()}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "HOME": str(tmp_path)},
        )  # fmt: skip
        seen = []
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                seen.append(line)
                if "pass 1:" in line:
                    break
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 0, "".join(seen) + err
    assert "a scan every 10m, and soon after TKE's deleting calls" in "".join(seen)


def test_a_poll_interval_under_ten_seconds_is_refused(tmp_path: Path) -> None:
    data = config_data("http://127.0.0.1:9")
    data["serve"]["events"] = {"enabled": True, "poll_interval": "5s"}
    cfg = write_yaml(tmp_path / "c.yaml", data)
    result = CliRunner().invoke(app, ["serve", "-c", str(cfg), "--state", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert "serve.events.poll_interval" in result.output and "at least 10s" in result.output, result.output
    assert "Traceback" not in result.output
