"""Bad input, as a user's shell runs the command: exit 2, one line on stderr naming the file, key or flag and what
to do, never a traceback, never a secret, and nothing already stored changed (issue 10, item 5)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tke_orphans.cloud.errors import CloudError, redact, remember_secrets
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, World

from .conftest import DEMO, write_config

SECRET = "SECRETVALUE0123456789abcdef"  # must never appear in any output
GOOD = "tencentcloud:\n  region: ap-guangzhou\n  secret_id: AKIDabcdefgh12345678\n  secret_key: k3y-value-abcdefgh\n"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port: no test reaches a cloud


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a clean environment: no credentials, config, proxy or HOME of the machine."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "TKE_ORPHANS_", "TKE_"))}
    base = {k: v for k, v in base.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    base |= {"HOME": str(cwd / "home"), "COLUMNS": "200"} | (env or {})
    # The timeout only guards against a hang (the alias bomb hung for minutes); nothing asserts how long it took.
    return subprocess.run(
        [sys.executable, "-m", "tke_orphans", *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=60
    )


def assert_clear_usage_error(proc: subprocess.CompletedProcess[str], *names: str) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out and SECRET not in out, out
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


@dataclass
class Case:
    """Files to write in the working directory, the command, and what its one error line must name."""

    files: dict[str, str | bytes]
    args: list[str]
    names: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def _bomb() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _big() -> str:
    ids = "".join(f"      - ins-{i:012d}\n" for i in range(60_000))  # ~1.3 MB of valid YAML
    return GOOD + "detection:\n  ignore:\n    instance_ids:\n" + ids


def _hook(url: str) -> str:
    return GOOD + f'webhook:\n  enabled: true\n  platforms:\n    wecom:\n      enabled: true\n      url: "{url}"\n'


def _world(created: str) -> str:
    return DEMO.read_text(encoding="utf-8").replace("CreatedTime: -200d", f"CreatedTime: {created}", 1)


SCAN = ["scan", "-c", "c.yaml", "--no-notify", "--endpoint-url", UNREACHABLE, "--state", "s.db"]
CONFIG_CASES = {
    "non-utf8": Case({"c.yaml": GOOD.encode() + b'  uin: "\xff\xfe"\n'}, SCAN, ("c.yaml", "UTF-8")),
    "nested-yaml": Case({"c.yaml": "a: " + "[" * 20_000 + "]" * 20_000 + "\n"}, SCAN, ("c.yaml", "nested")),
    "alias-bomb": Case({"c.yaml": _bomb()}, SCAN, ("c.yaml", "aliases")),
    "over-1-mib": Case({"c.yaml": _big()}, ["check-config", "-c", "c.yaml"], ("c.yaml", "1 MiB")),
    "syntax-error-line-with-secret": Case(
        {"c.yaml": f'tencentcloud:\n  secret_key: "{SECRET}" x\n'}, SCAN, ("c.yaml", "line 2")
    ),
    "webhook-port-99999": Case(
        {"c.yaml": _hook(f"http://127.0.0.1:99999/cgi-bin/webhook/send?key={SECRET}")},
        ["notify-test", "-c", "c.yaml", "--state", "s.db"],
        ("c.yaml", "webhook.platforms.wecom.url", "port"),
    ),
    "webhook-nul-byte": Case(
        {"c.yaml": _hook(f"http://127.0.0.1:9/cgi-bin/webhook/send?key={SECRET}\\0")},
        ["notify-test", "-c", "c.yaml", "--state", "s.db"],
        ("c.yaml", "webhook.platforms.wecom.url", "control character"),
    ),
    "token-with-inner-space": Case(
        {"c.yaml": GOOD + f'  token: "{SECRET} {SECRET}\\n"\n'}, SCAN, ("c.yaml", "tencentcloud.token", "space")
    ),
    "env-secret-id-with-inner-newline": Case(
        {"c.yaml": "tencentcloud:\n  region: ap-guangzhou\n"},
        SCAN,
        ("TENCENTCLOUD_SECRET_ID", "line break"),
        env={"TENCENTCLOUD_SECRET_ID": f"AKID\n{SECRET}", "TENCENTCLOUD_SECRET_KEY": SECRET},
    ),
    "profile-not-ini": Case(
        {"c.yaml": "tencentcloud:\n  region: ap-guangzhou\n", "home/.tencentcloud/credentials": "oops\n[default\n"},
        SCAN,
        ("home/.tencentcloud/credentials", "[default]"),
    ),
    "profile-key-with-inner-space": Case(
        {
            "c.yaml": "tencentcloud:\n  region: ap-guangzhou\n",
            "home/.tencentcloud/credentials": f"[default]\nsecret_id = AKIDabcdefgh\nsecret_key = {SECRET} x\n",
        },
        SCAN,
        ("home/.tencentcloud/credentials", "secret_key", "space"),
    ),
    "preview-input-not-a-result": Case(
        {"c.yaml": GOOD, "r.json": "[]"},
        ["preview", "--platform", "wecom", "-c", "c.yaml", "--input", "r.json"],
        ("r.json", "scan result"),
    ),
    "emulator-world-random-bytes": Case(
        {"w.yaml": b"\xff" + bytes(range(256)) * 8}, ["emulator", "serve", "--world", "w.yaml"], ("w.yaml", "UTF-8")
    ),
    "emulator-world-time-out-of-range": Case(
        {"w.yaml": _world("-99999999d")},
        ["emulator", "serve", "--world", "w.yaml"],
        ("w.yaml", "CreatedTime", "out of range"),
    ),
    "demo-keep-is-a-file": Case({"f": "x"}, ["demo", "--keep", "f"], ("--keep f",)),
}
# Durations are bounded (ten years): beyond, the clock arithmetic overflowed with a traceback (issue 21, item 7).
HUGE = "99999999999999999999d"
DURATION_CASES = {
    "cleanup-min-orphan-age": (
        ["cleanup", "-c", "c.yaml", "--state", "s.db", "--min-orphan-age", HUGE],
        "--min-orphan-age",
    ),
    "cleanup-min-mark-age": (["cleanup", "-c", "c.yaml", "--state", "s.db", "--min-mark-age", HUGE], "--min-mark-age"),
    "serve-interval": (["serve", "-c", "c.yaml", "--state", "s.db", "--interval", "99999999999d"], "--interval"),
    "history-since": (["history", "-c", "c.yaml", "--state", "s.db", "--since", "99999999999d"], "--since"),
}
for _id, (_args, _flag) in DURATION_CASES.items():
    CONFIG_CASES[f"duration-{_id}"] = Case({"c.yaml": GOOD}, _args, (_flag, "out of range"))
for _section, _key in (("serve", "interval"), ("cleanup", "min_orphan_age"), ("state", "retention")):
    CONFIG_CASES[f"config-{_section}.{_key}"] = Case(
        {"c.yaml": GOOD + f"{_section}:\n  {_key}: {HUGE}\n"}, SCAN, ("c.yaml", f"{_section}.{_key}", "out of range")
    )
BAD_REGIONS = {"upper-case": "AP_GUANGZHOU", "empty": "", "path": "../x", "newline": "ap-guangzhou\nap-x"}
for _id, _region in BAD_REGIONS.items():
    CONFIG_CASES[f"config-region-{_id}"] = Case(
        {"c.yaml": GOOD.replace("ap-guangzhou", json.dumps(_region))}, SCAN, ("c.yaml", "tencentcloud.region")
    )
    CONFIG_CASES[f"flag-region-{_id}"] = Case({"c.yaml": GOOD}, [*SCAN, "--region", _region], ("--region",))


@pytest.mark.parametrize("case", CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_bad_input_is_one_sentence_and_exit_2(tmp_path: Path, case: Case) -> None:
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    assert_clear_usage_error(cli(case.args, tmp_path, case.env), *case.names)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: a connection to it is refused, and nobody else can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_cvm_role_without_metadata_service_names_it(tmp_path: Path, closed_port: int) -> None:
    # The SDK fetches http://metadata.tencentyun.com with urllib, which honours http_proxy: through a closed
    # local port every metadata request is refused at once, and no test can reach a real metadata address.
    (tmp_path / "c.yaml").write_text("tencentcloud:\n  region: ap-guangzhou\n  credential_source: cvm_role\n")
    proc = cli(SCAN, tmp_path, {"http_proxy": f"http://127.0.0.1:{closed_port}"})
    assert_clear_usage_error(proc, "tencentcloud.credential_source", "metadata service")


# ---- the state: a path we cannot use, a database that is not ours, a stored scan that was tampered with ------


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers (name) VALUES ('ada')")
    conn.commit()
    conn.close()
    return path


COMMANDS = {
    "scan": ["scan", "-c", "c.yaml", "--no-notify", "--endpoint-url", UNREACHABLE],
    "history": ["history", "-c", "c.yaml"],
    "export": ["state", "export", "-c", "c.yaml"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_foreign_sqlite_database_is_refused_and_left_byte_for_byte(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "c.yaml").write_text(GOOD)
    data = tmp_path / "data"
    data.mkdir()
    _foreign(data / "app.db")
    before = _snapshot(data)
    assert_clear_usage_error(cli([*command, "--state", "data/app.db"], tmp_path), "data/app.db", "another program")
    assert _snapshot(data) == before  # no WAL switch, no tables, no journal or lock file beside it


def test_our_states_are_still_ours(tmp_path: Path) -> None:
    """A new file gets our application_id; a state from before it existed (schema_migrations, id 0) is adopted."""
    with StateDB(tmp_path / "new.db"):
        pass
    legacy = sqlite3.connect(tmp_path / "old.db")
    legacy.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    legacy.commit()
    legacy.close()
    (tmp_path / "empty.db").write_bytes(b"")
    for name in ("new.db", "old.db", "empty.db"):
        with StateDB(tmp_path / name) as db:
            assert db.query("PRAGMA application_id")[0][0] == 0x544B454F
            assert "0001_initial" in db.migrations()


def _as_unprivileged(args: list[str]) -> list[str]:
    """Root ignores permission bits: run the command without the capabilities that let it, so that a
    read-only directory is read-only to it too (setpriv is util-linux; a non-root user needs nothing)."""
    if os.geteuid() != 0:
        return args
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--", *args]


@pytest.mark.parametrize("existing", [True, False], ids=["existing-state", "new-state"])
def test_read_only_state_directory(tmp_path: Path, existing: bool) -> None:
    (tmp_path / "c.yaml").write_text(GOOD)
    data = tmp_path / "data"
    data.mkdir()
    if existing:
        with StateDB(data / "s.db") as db:
            db.events.add("kept", "stored before")
    before = _snapshot(data)
    data.chmod(0o555)
    try:
        cmd = [sys.executable, "-m", "tke_orphans", *COMMANDS["scan"], "--state", "data/s.db"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")} | {"HOME": str(tmp_path)}
        proc = subprocess.run(_as_unprivileged(cmd), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    finally:
        data.chmod(0o755)
    assert_clear_usage_error(proc, "data/s.db", "read-only")
    after = _snapshot(data)
    for files in (before, after):
        files.pop("s.db.lock", None)  # the lock file names its holder: taking the lock rewrites it
    assert after == before


@pytest.mark.parametrize("state", ["data", "file/s.db"], ids=["a-directory", "under-a-regular-file"])
def test_state_path_that_cannot_be_a_database(tmp_path: Path, state: str) -> None:
    (tmp_path / "c.yaml").write_text(GOOD)
    (tmp_path / "data").mkdir()
    (tmp_path / "file").write_text("mine")
    for command in COMMANDS.values():
        assert_clear_usage_error(cli([*command, "--state", state], tmp_path), state)
    assert (tmp_path / "file").read_text() == "mine" and not any((tmp_path / "data").iterdir())


TAMPERED: dict[str, Callable[[str], str]] = {
    "not-json": lambda doc: doc[:40],
    "a-list": lambda doc: "[]",
    "wrong-type": lambda doc: doc.replace('"tags": {', '"tags": 5, "x": {', 1),
}
READERS = {
    "cleanup": ["cleanup", "-c", "c.yaml", "--state", "s.db"],
    "preview": ["preview", "--platform", "wecom", "-c", "c.yaml", "--state", "s.db"],
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_stored_scan(
    tmp_path: Path, world: World, emulator: Emulator, tamper: Callable[[str], str], reader: list[str]
) -> None:
    write_config(tmp_path / "c.yaml", world, emulator.url)
    proc = cli(["scan", "-c", "c.yaml", "--no-notify", "--state", "s.db", "-o", "json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(tmp_path / "s.db") as conn:
        [(doc,)] = conn.execute("SELECT result_json FROM scan_results")
        assert '"tags": {' in doc
        conn.execute("UPDATE scan_results SET result_json = ?", (tamper(doc),))
    conn.close()
    before = _snapshot(tmp_path)
    assert_clear_usage_error(cli(reader, tmp_path), "s.db", "scan 1")
    assert _snapshot(tmp_path)["s.db"] == before["s.db"]


# ---- credentials: whitespace around them is dropped, and none ever reaches an error text -------------------


def test_credentials_with_a_trailing_newline_work(tmp_path: Path, world: World, emulator: Emulator) -> None:
    """As Kubernetes secrets made from files give them: the stripped values are what is signed with."""
    cred = world.spec.credentials[0]
    (tmp_path / "c.yaml").write_text(f"tencentcloud:\n  regions: all\n  endpoint_url: {emulator.url}\n")
    env = {"TENCENTCLOUD_SECRET_ID": f"{cred.secret_id}\n", "TENCENTCLOUD_SECRET_KEY": f" {cred.secret_key}\n"}
    proc = cli(["scan", "-c", "c.yaml", "--no-notify", "--state", "s.db", "-o", "json"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "ok"


def test_redact_masks_every_configured_secret_in_cloud_error_text() -> None:
    assert redact("a key1234567 and key1234567890", ["key1234567", "key1234567890"]) == "a **** and ****"
    remember_secrets("tok-9f8e7d6c5b4a", "short", None)
    err = CloudError("cvm.DescribeInstances", "ClientNetworkError", "Invalid header value b'tok-9f8e7d6c5b4a\\n'")
    assert "tok-9f8e7d6c5b4a" not in str(err) and "tok-9f8e7d6c5b4a" not in err.failure().message
    assert "short" in CloudError("a.B", "C", "short answer").message  # too short to be a credential
