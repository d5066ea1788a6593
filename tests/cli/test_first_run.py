"""The first run, as a new user's shell does it (issue 12, "Help and conventions"): what happens without a config
file, with a bot that cannot be reached, with bots that are never switched on, with no secrets for commands that
only read, and what doctor says of a step it did not try."""

from __future__ import annotations

from pathlib import Path

from tke_orphans_testkit.emulator import Emulator, World

from .test_bad_input import assert_clear_usage_error, cli

HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"


def test_without_a_config_file_say_where_we_looked(tmp_path: Path) -> None:
    check = cli(["check-config"], tmp_path)
    assert check.returncode == 0
    assert check.stdout.startswith("# no config file: the built-in defaults"), check.stdout
    assert "valid" not in check.stdout.splitlines()[0]
    for said in ("config.yaml", "not found", str(tmp_path), "TKE_ORPHANS_CONFIG", "tke-orphans init"):
        assert said in check.stderr, check.stderr
    line = assert_clear_usage_error(cli(["scan"], tmp_path), "config.yaml", "not found", str(tmp_path))
    assert "tke-orphans init" in line and "no region to scan" in line


def test_a_scan_that_cannot_start_leaves_no_database(tmp_path: Path) -> None:
    assert_clear_usage_error(cli(["scan"], tmp_path), "no region")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_enabled_bot_without_url_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("webhook:\n  platforms:\n    wecom: {enabled: true}\n", encoding="utf-8")
    line = assert_clear_usage_error(cli(["check-config"], tmp_path), "config.yaml", "webhook.platforms.wecom", "url")
    assert "Value error" not in line


def test_bots_without_webhook_enabled_are_warned_about(tmp_path: Path) -> None:
    bots = f"  platforms:\n    wecom:\n      enabled: true\n      url: {HOOK}\n"
    (tmp_path / "config.yaml").write_text("webhook:\n" + bots, encoding="utf-8")
    proc = cli(["check-config"], tmp_path)
    assert proc.returncode == 0
    assert "webhook.enabled is not set" in proc.stderr and "wecom" in proc.stderr, proc.stderr
    assert "key=abc" not in proc.stderr + proc.stdout
    # Said once it is set either way: false is a choice.
    (tmp_path / "config.yaml").write_text("webhook:\n  enabled: false\n" + bots, encoding="utf-8")
    assert cli(["check-config"], tmp_path).stderr == ""


def test_read_only_commands_need_no_secrets(tmp_path: Path, emulator: Emulator, world: World) -> None:
    cred = world.spec.credentials[0]
    (tmp_path / "config.yaml").write_text(
        f'tencentcloud:\n  regions: all\n  endpoint_url: {emulator.url}\n  secret_id: "${{TC_ID}}"\n'
        f'  secret_key: "${{TC_KEY}}"\nwebhook:\n  enabled: true\n  platforms:\n    wecom:\n      enabled: true\n'
        f'      url: "${{WECOM_URL}}"\n',
        encoding="utf-8",
    )
    secrets = {"TC_ID": cred.secret_id, "TC_KEY": cred.secret_key, "WECOM_URL": "http://127.0.0.1:9/send?key=x"}
    assert cli(["scan", "--no-notify", "-o", "json"], tmp_path, secrets).returncode == 0
    for args in (["history"], ["state", "export"], ["preview", "--platform", "wecom"]):
        proc = cli(args, tmp_path)
        assert proc.returncode == 0 and proc.stdout and not proc.stderr, (args, proc.stderr)
    # A command that uses them still says what is missing.
    assert_clear_usage_error(cli(["scan"], tmp_path), "tencentcloud.secret_id", "TC_ID")


def test_doctor_does_not_call_a_step_it_did_not_try_ok(tmp_path: Path, emulator: Emulator, world: World) -> None:
    cred = world.spec.credentials[0]
    (tmp_path / "config.yaml").write_text(
        f"tencentcloud:\n  region: ap-guangzhou\n  endpoint_url: {emulator.url}\n  secret_id: {cred.secret_id}\n"
        "  secret_key: wrong-key\n",
        encoding="utf-8",
    )
    proc = cli(["doctor"], tmp_path)
    assert proc.returncode == 3
    [row] = [line for line in proc.stdout.splitlines() if "tke cluster APIs" in line]
    assert "OK" not in row and "not tried" in row and "SKIPPED" in row, proc.stdout
