"""Service tests: the real service loop and HTTP server over loopback, with the emulator and the chat sinks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans.config import config_from_data
from tke_orphans.serve import Service
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, load_world
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-world.yaml"
WECOM = SinkBot("wecom", "wc-serve")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def bulk_data(orphans: int) -> dict[str, Any]:
    """The demo world with `orphans` more workers of the deleted cluster cls-gone0001 (about 8 fill a WeCom part)."""
    data: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["regions"]["ap-guangzhou"]["instances"] += [
        {"InstanceId": f"ins-b{n:07d}", "InstanceName": "tke_cls-gone0001_worker", "CreatedTime": "-5d",
         "PrivateIpAddresses": [f"10.9.{n // 250}.{n % 250}"], "Placement": {"Zone": "ap-guangzhou-3"}}
        for n in range(orphans)
    ]  # fmt: skip
    return data


def config_data(emu_url: str, sinks: ChatSinks | None = None, **extra: Any) -> dict[str, Any]:
    cred = load_world(DEMO).spec.credentials[0]
    data: dict[str, Any] = {
        "tencentcloud": {"secret_id": cred.secret_id, "secret_key": cred.secret_key, "regions": "all",
                         "endpoint_url": emu_url, "retry": {"max_attempts": 2, "base_delay": 0.01}},
        "serve": {"public_url": "https://orphans.example.com/"},
    }  # fmt: skip
    if sinks is not None:
        data["webhook"] = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": sinks.bot_url(WECOM)}}}
    return data | extra


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with Emulator(load_world(DEMO)) as emu, ChatSinks([WECOM]) as sinks, StateDB(tmp_path / "s.db") as db:
        cfg = config_from_data(config_data(emu.url, sinks), "serve-test")
        svc = Service(cfg, db, timedelta(minutes=10), ("127.0.0.1", 0))
        svc.server.start()
        svc.sinks = sinks  # type: ignore[attr-defined]
        svc.emulator = emu  # type: ignore[attr-defined]
        try:
            yield svc
        finally:
            svc.close()


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def serve_process(cfg: Path, state: Path, home: Path, port: int, interval: str = "1s") -> subprocess.Popen[str]:
    """`tke-orphans serve` as a real process (signals, kills), its log on stderr."""
    return subprocess.Popen(
        [sys.executable, "-m", "tke_orphans", "serve", "-c", str(cfg), "--state", str(state),
         "--interval", interval, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "HOME": str(home)},
    )  # fmt: skip
