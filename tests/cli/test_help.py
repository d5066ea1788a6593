"""Help and conventions (issue 12): help that shows its defaults, `-h`/`-V`, names for values, one flag a switch,
shell completion, and `init`. Each runs the installed command as a shell would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tke_orphans import __version__
from tke_orphans.config import load_config

from .test_bad_input import assert_clear_usage_error, cli

BIN = Path(sys.executable).parent
# Every command of the product (the kit's are checked too: they get names for their values from the same code).
COMMANDS = [
    [], ["init"], ["scan"], ["check-config"], ["doctor"], ["notify-test"], ["preview"], ["serve"], ["cleanup"],
    ["history"], ["state"], ["state", "export"], ["completion"], ["demo"], ["sinks"], ["emulator", "serve"],
]  # fmt: skip
# typer's type labels, which tell a user nothing: <bool>, <str>, <list[str]>, <int range>, <float>, <path> ...
TYPE_LABEL = re.compile(r"<(bool|str|int|float|path|list\[|int range|float range)")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "root")
def test_help_names_values_and_keeps_its_defaults(tmp_path: Path, args: list[str]) -> None:
    proc = cli([*args, "--help"], tmp_path, {"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert not TYPE_LABEL.search(text), text
    assert "--no-no-" not in text, text
    assert "╭" not in text  # plain text: the same in a pipe, in `less`, in 80 columns
    assert max(map(len, text.splitlines())) <= 80, text
    # -h is --help, as in gh, kubectl and ruff
    assert cli([*args, "-h"], tmp_path, {"COLUMNS": "80"}).stdout == text


def test_defaults_and_env_are_shown_not_eaten_as_markup(tmp_path: Path) -> None:
    # Compared without white space: help wraps at 80 columns, and may wrap after a hyphen.
    text = "".join(cli(["scan", "--help"], tmp_path).stdout.split())
    for shown in (
        "-c, --config FILE Config file [default: $TKE_ORPHANS_CONFIG, else ./config.yaml].",
        "[env: TKE_ORPHANS_ENDPOINT_URL]",
        "--state FILE State database [default: state.path, ./tke-orphans.db].",
        "--no-notify Do not send chat notifications.",
        "--fail-on-orphans Exit 1",
    ):
        assert "".join(shown.split()) in text, shown


def test_short_version(tmp_path: Path) -> None:
    for flag in ("-V", "--version"):
        proc = cli([flag], tmp_path)
        assert (proc.returncode, proc.stdout) == (0, f"tke-orphans {__version__}\n")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    """The printed script, sourced in a real bash, completes through the real command."""
    script = """
source <(tke-orphans completion bash)
complete_words() {
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _tke_orphans_completion tke-orphans; echo "${COMPREPLY[*]}"
}
complete_words tke-orphans cle
complete_words tke-orphans cleanup --act
complete_words tke-orphans cleanup --action ""
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TKE_ORPHANS")}
    env |= {"PATH": f"{BIN}{os.pathsep}{env['PATH']}", "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == ["cleanup", "--action", "mark terminate readd"], proc.stdout + proc.stderr


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_completion_scripts_for_other_shells(tmp_path: Path, shell: str) -> None:
    proc = cli(["completion", shell], tmp_path)
    assert proc.returncode == 0 and "_TKE_ORPHANS_COMPLETE" in proc.stdout, proc.stderr


def test_init_writes_a_commented_config_that_validates(tmp_path: Path) -> None:
    proc = cli(["init"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert written.count("\n#") + written.count("  #") > 10  # commented
    cfg = load_config(str(tmp_path / "config.yaml"))
    # The original checker's keys, and the common ones.
    assert cfg.tencentcloud.region == "ap-guangzhou" and not cfg.webhook.enabled
    for key in ("secret_id", "wecom", "dingtalk", "feishu", "timezone", "grace_period", "state:", "cleanup:"):
        assert key in written, key
    check = cli(["check-config"], tmp_path)
    assert check.returncode == 0 and check.stdout.startswith("# config.yaml: valid"), check.stderr


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("mine: true\n", encoding="utf-8")
    line = assert_clear_usage_error(cli(["init"], tmp_path), "config.yaml", "already exists")
    assert "--config" in line
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == "mine: true\n"
    assert cli(["init", "-c", "other.yaml"], tmp_path).returncode == 0
    assert (tmp_path / "other.yaml").exists()


@pytest.mark.parametrize("width", [80, 120])
def test_the_command_list_shows_each_first_sentence_whole(tmp_path: Path, width: int) -> None:
    """Issue 20 item 10: click cut each description to one line ("(never over..."); each is whole, wrapped to the
    terminal, and a wider terminal is used (not click's 80-column cap)."""
    import typer

    from tke_orphans.cli import app

    proc = cli(["-h"], tmp_path, {"COLUMNS": str(width)})
    assert proc.returncode == 0, proc.stderr
    assert max(map(len, proc.stdout.splitlines())) <= width, proc.stdout
    listed = " ".join(proc.stdout.split("Commands:", 1)[1].split())  # wrapped lines joined
    assert "..." not in listed and "…" not in listed, proc.stdout
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name, command in commands.items():
        first = " ".join(command.help.split("\n\n")[0].split())
        first = re.split(r"(?<=[.?!])\s", first)[0]
        assert f"{name} {first}" in listed, (name, first, proc.stdout)
    if width == 120:  # a description longer than 80 columns' room is on one line when the terminal has room
        assert any(len(line) > 80 for line in proc.stdout.splitlines()), proc.stdout
