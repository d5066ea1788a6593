"""`completion SHELL`: print the shell's completion script, as `gh completion`, `kubectl completion` and
`ruff generate-shell-completion` do. Printing, not installing: the user decides where it goes (clig.dev: do not edit
a user's shell files behind their back), and it works the same in a Dockerfile or a dotfiles repository."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

# typer's scripts and handlers (tests/cli/test_help.py completes through bash, so a change in typer shows there).
from typer._completion_classes import completion_init
from typer._completion_shared import get_completion_script

COMPLETE_VAR = "_TKE_ORPHANS_COMPLETE"


def enable() -> None:
    """Register the shells' handlers: a completion request (this variable set) is answered before any command runs,
    and typer registers them only for apps with its own --install-completion."""
    completion_init()


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


def completion(shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="The shell to complete in.")]) -> None:
    """Print the shell completion script. bash: `source <(tke-orphans completion bash)` in ~/.bashrc;
    zsh: `tke-orphans completion zsh > "${fpath[1]}/_tke-orphans"`; fish: `tke-orphans completion fish >
    ~/.config/fish/completions/tke-orphans.fish`."""
    typer.echo(get_completion_script(prog_name="tke-orphans", complete_var=COMPLETE_VAR, shell=shell.value))
