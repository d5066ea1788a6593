"""What every command shares: options, loading the config, opening the state, and the one error boundary.

A command returns its exit code (None for 0) and raises a domain error when it cannot go on; `command` turns each
domain error into one sentence on stderr and its exit code. Anything else is a bug, and keeps its traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec

import typer
from rich.console import Console

from .. import routing
from ..cleanup import CleanupError
from ..cloud.errors import CredentialsError, redact_known, remember_secrets
from ..config.loading import ConfigError, load_config
from ..config.schema import Config, parse_duration
from ..config.secrets import mask_url, masked_dict, secret_values
from ..notify import AppriseMissing, bot_specs
from ..sanitize import visible
from ..state import StateDB, StateError
from . import stop

# Exit codes: 0 complete; 1 orphans found (with --fail-on-orphans); 2 configuration or usage;
# 3 incomplete (a listing failed, or a notification could not be delivered); 130 stopped by Ctrl-C (stop.py).
EXIT_ORPHANS, EXIT_USAGE, EXIT_INCOMPLETE = 1, 2, 3


class Output(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config", "-c", metavar="FILE", help="Config file [default: $TKE_ORPHANS_CONFIG, else ./config.yaml]."
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        metavar="URL", help="Send every API call to this base URL (emulator, proxy) [env: TKE_ORPHANS_ENDPOINT_URL]."
    ),
]
StateOpt = Annotated[
    str | None, typer.Option("--state", metavar="FILE", help="State database [default: state.path, ./tke-orphans.db].")
]
InitStateOpt = Annotated[
    bool,
    typer.Option(
        "--init-state", help="Create the state's folder if it does not exist (else refused: a typo would start anew)."
    ),
]


class UsageError(Exception):
    """A flag or an input file the command cannot use; the message names it and says what to do."""


class Interrupted(Exception):
    """Ctrl-C stopped the command, which has said what it kept: exit 130, nothing more to say."""


# The domain errors and their exit codes (a subclass maps as its base does).
EXIT_CODES: dict[type[Exception], int] = {
    UsageError: EXIT_USAGE,
    ConfigError: EXIT_USAGE,
    StateError: EXIT_USAGE,
    CredentialsError: EXIT_USAGE,
    CleanupError: EXIT_USAGE,
    AppriseMissing: EXIT_USAGE,
}
P = ParamSpec("P")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {visible(message, keep=chr(10))}", err=True)  # messages may quote cloud text
    raise typer.Exit(code)


def command(fn: Callable[P, int | None]) -> Callable[P, None]:
    """The error boundary of a command (typer reads the options from `fn`'s signature, through functools.wraps)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            with stop.handled():
                code = fn(*args, **kwargs)
        except Interrupted:
            raise typer.Exit(stop.EXIT_INTERRUPTED) from None
        except tuple(EXIT_CODES) as exc:
            fail(str(exc), next(c for t, c in EXIT_CODES.items() if isinstance(exc, t)))
        if code:
            raise typer.Exit(code)

    return run


def duration(flag: str, value: str) -> timedelta:
    try:
        return parse_duration(value)
    except (ValueError, ConfigError) as exc:
        raise UsageError(f"{flag}: {exc}") from None


def load(path: str | None, read_only: bool = False) -> Config:
    """`read_only` for commands that only read the state: an unset ${VAR} for a credential is no error there, and
    what only scans use is not warned about."""
    cfg = load_config(path, secrets=not read_only)
    remember_secrets(*secret_values(cfg))  # whatever quotes one of them (a traceback, an error) gets it masked
    logging.basicConfig(level=cfg.logging.level.upper(), format="%(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskSecrets())
    log = logging.getLogger("tke_orphans")
    log.debug("effective configuration (secrets masked): %s", masked_dict(cfg))
    problem = routing.check(cfg.webhook.routes, [b.full_name for b in bot_specs(cfg)])
    if problem:
        raise ConfigError(f"{cfg.source}: {problem}")
    if not read_only and "enabled" not in cfg.webhook.model_fields_set and (bots := bot_specs(cfg)):
        # The original checker's files switch notifications on with webhook.enabled: left out, it is off.
        log.warning(
            "%s: webhook.enabled is not set, so scans notify none of the %d configured bot(s) (%s): "
            "set webhook.enabled: true, or false to silence this",
            cfg.source, len(bots), ", ".join(b.full_name for b in bots),
        )  # fmt: skip
    return cfg


class MaskSecrets(logging.Filter):
    """Last line of defence: no log line leaves with a webhook or cloud credential, or a terminal control sequence
    (from cloud text: names, API error messages) in it, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = visible(redact_known(mask_url(message)), keep="\n")
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # tracebacks too: exception messages may quote a URL
            record.exc_text = redact_known(mask_url(logging.Formatter().formatException(record.exc_info)))
        return True


def open_state(cfg: Config, flag: str | None, *, lock: bool = True, create: bool = True, init: bool = False) -> StateDB:
    """`create=False` for commands that only read: a missing state is an error, not a new empty file. Those that
    write are checked now (writable, not locked by another program, rows readable), before any API call. `init`
    (--init-state, state.create) creates a missing folder."""
    path = flag or cfg.state.path
    if not create and not Path(path).exists():
        raise UsageError(f"no state database at {path} yet: run `tke-orphans scan` first (or pass --state)")
    return StateDB(path, lock=lock, writes=create, create_dir=init or cfg.state.create, retention=cfg.state.retention)


def endpoint(flag: str | None) -> str | None:
    url = flag or os.environ.get("TKE_ORPHANS_ENDPOINT_URL") or None
    if url is not None and not re.match(r"^https?://[^/\s]+/?$", url):
        raise UsageError(f"--endpoint-url {url!r}: expected a base URL such as http://127.0.0.1:9000")
    return url


def console(stderr: bool = False) -> Console:
    # No emoji codes either: a name with ":fire:" in it is shown as written.
    out = Console(highlight=False, emoji=False, stderr=stderr)
    if not out.is_terminal:
        # A pipe or a CI log: the width COLUMNS gives (as in a terminal), else no limit: lines are never cut or wrapped.
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else UNLIMITED
        out = Console(highlight=False, emoji=False, stderr=stderr, width=width)
    return out


UNLIMITED = 100_000  # a console width no line reaches
