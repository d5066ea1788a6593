"""Config: the original file works unchanged; mistakes get one clear message naming file and key; secrets masked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app

from .conftest import SEED_CONFIG


def test_original_checker_config_loads_unchanged(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(SEED_CONFIG, encoding="utf-8")
    result = runner.invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "region: ap-beijing" in result.output
    assert "key=****" in result.output and "access_token=****" in result.output and "/hook/****" in result.output
    # Every secret of the file is masked: "xxx" appears nowhere.
    assert "xxx" not in result.output


def test_default_config_path_is_the_current_directory(runner: CliRunner) -> None:
    Path("config.yaml").write_text(SEED_CONFIG, encoding="utf-8")
    result = runner.invoke(app, ["check-config"])
    assert result.exit_code == 0
    assert "# config.yaml: valid" in result.output


def test_typo_names_file_key_and_suggestion(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("tencentcloud:\n  region: ap-beijing\ndetection:\n  grace_periodd: 2h\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}: detection.grace_periodd: unknown key; did you mean 'grace_period'?" in result.output
    assert "Traceback" not in result.output


def test_wrong_type_and_bad_duration(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("tencentcloud:\n  concurrency: lots\ndetection:\n  grace_period: soon\n", encoding="utf-8")
    result = runner.invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 2
    assert "tencentcloud.concurrency" in result.output
    assert "detection.grace_period" in result.output and "not a duration" in result.output


def test_env_references(runner: CliRunner, tmp_path: Path, monkeypatch: object) -> None:
    path = tmp_path / "env.yaml"
    path.write_text('tencentcloud:\n  secret_id: "${MY_ID}"\n  secret_key: "${MY_KEY}"\n', encoding="utf-8")
    result = runner.invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 2
    assert "tencentcloud.secret_id: environment variable MY_ID is not set" in result.output
    result = runner.invoke(
        app, ["check-config", "--config", str(path)], env={"MY_ID": "AKIDabcdefgh12345678", "MY_KEY": "s3cr3t-value"}
    )
    assert result.exit_code == 0
    assert "AKID****5678" in result.output and "s3cr3t" not in result.output


def test_missing_config_file_given_explicitly(runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan", "--config", "nowhere.yaml"])
    assert result.exit_code == 2
    assert "nowhere.yaml: no such file" in result.output


def test_missing_credentials_is_one_clear_sentence(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "nocreds.yaml"
    path.write_text("tencentcloud:\n  region: ap-beijing\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--config", str(path)])
    assert result.exit_code == 2
    assert "No Tencent Cloud credentials found" in result.output
    assert "TENCENTCLOUD_SECRET_ID" in result.output
    assert "Traceback" not in result.output and "OSError" not in result.output


def test_half_credentials(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "half.yaml"
    path.write_text("tencentcloud:\n  region: ap-beijing\n  secret_id: AKIDonly\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--config", str(path)])
    assert result.exit_code == 2
    assert "tencentcloud.secret_key is missing" in result.output


def test_no_region(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "noregion.yaml"
    path.write_text("tencentcloud:\n  secret_id: a\n  secret_key: b\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--config", str(path)])
    assert result.exit_code == 2
    assert "no region to scan" in result.output


def test_debug_log_of_the_effective_config_masks_secrets(
    runner: CliRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tke_orphans")
    path = tmp_path / "debug.yaml"
    path.write_text(
        "tencentcloud: {secret_id: AKIDdebug0000000000001234, secret_key: very-secret-key-value, region: ap-beijing}\n"
        "webhook: {platforms: {wecom: {enabled: true, url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=hook-key-777'}}}\n"
        "logging: {level: debug}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 0
    assert "effective configuration (secrets masked)" in caplog.text
    assert "very-secret-key-value" not in caplog.text and "hook-key-777" not in caplog.text
    assert "very-secret-key-value" not in result.output and "hook-key-777" not in result.output


def test_webhook_urls_are_checked_and_masked_everywhere(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "hooks.yaml"
    path.write_text(
        "webhook:\n  generic:\n    - {name: slack, url: 'https://user:p4ssw0rd@hooks.example.com/services/T0/B0/SECRET9'}\n"
        "  platforms:\n    dingtalk: {enabled: true, url: 'https://oapi.dingtalk.com/robot/send?access_token=tok123'}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 0, result.output
    for secret in ("p4ssw0rd", "SECRET9", "tok123"):
        assert secret not in result.output
    assert "https://hooks.example.com/****" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("webhook:\n  platforms:\n    wecom: {enabled: true, url: 'qyapi.weixin.qq.com/send?key=k1'}\n")
    result = runner.invoke(app, ["check-config", "--config", str(bad)])
    assert result.exit_code == 2 and "webhook.platforms.wecom.url" in result.output and "k1" not in result.output
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "webhook:\n  platforms:\n    feishu:\n      bots: [{name: ops, url: 'https://a/'}, {name: ops, url: 'https://b/'}]\n"
    )
    result = runner.invoke(app, ["check-config", "--config", str(dup)])
    assert result.exit_code == 2 and "distinct names" in result.output


def test_every_configured_secret_is_masked_in_log_lines(tmp_path: Path) -> None:
    """Not only cloud keys and chat keys: an Apprise URL or the status page's token quoted by a traceback too."""
    import logging

    from tke_orphans.cli.common import MaskSecrets, load

    path = tmp_path / "c.yaml"
    path.write_text(
        "tencentcloud: {region: ap-guangzhou}\n"
        "webhook: {apprise: {urls: ['tgram://bot123456:tokenABCDEF/chat']}}\n"
        "serve: {auth: {token: page-token-0123456789}}\n",
        encoding="utf-8",
    )
    load(str(path))
    for secret in ("tgram://bot123456:tokenABCDEF/chat", "page-token-0123456789"):
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed with %s", (secret,), None)
        MaskSecrets().filter(record)
        assert secret not in record.getMessage()
