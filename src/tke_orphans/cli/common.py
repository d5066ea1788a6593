"""What every command shares: options, loading the config, opening the state, failing with a named exit code."""

from __future__ import annotations

import logging
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from ..cloud.errors import redact_known
from ..config import Config, ConfigError, load_config, mask_url, masked_dict
from ..sanitize import visible
from ..state import StateDB, StateError

# Exit codes: 0 complete; 1 orphans found (with --fail-on-orphans); 2 configuration or usage;
# 3 incomplete (a listing failed, or a notification could not be delivered).
EXIT_ORPHANS, EXIT_USAGE, EXIT_INCOMPLETE = 1, 2, 3


class Output(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


ConfigOpt = Annotated[
    str | None, typer.Option("--config", "-c", help="Config file [default: $TKE_ORPHANS_CONFIG, else ./config.yaml].")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(help="Send every API call to this base URL (emulator, proxy) [env: TKE_ORPHANS_ENDPOINT_URL]."),
]
StateOpt = Annotated[
    str | None, typer.Option("--state", help="State database [default: state.path, ./tke-orphans.db].")
]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {visible(message, keep=chr(10))}", err=True)  # messages may quote cloud text
    raise typer.Exit(code)


def load(path: str | None) -> Config:
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        fail(str(exc))
    logging.basicConfig(level=cfg.logging.level.upper(), format="%(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskSecrets())
    logging.getLogger("tke_orphans").debug("effective configuration (secrets masked): %s", masked_dict(cfg))
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


def open_state(cfg: Config, flag: str | None, *, lock: bool = True, create: bool = True) -> StateDB:
    """`create=False` for commands that only read: a missing state is an error, not a new empty file."""
    path = flag or cfg.state.path
    if not create and not Path(path).exists():
        fail(f"no state database at {path} yet: run `tke-orphans scan` first (or pass --state)")
    try:
        return StateDB(path, lock=lock)
    except StateError as exc:
        fail(str(exc))


def endpoint(flag: str | None) -> str | None:
    url = flag or os.environ.get("TKE_ORPHANS_ENDPOINT_URL") or None
    if url is not None and not re.match(r"^https?://[^/\s]+/?$", url):
        fail(f"--endpoint-url {url!r}: expected a base URL such as http://127.0.0.1:9000")
    return url


def console(stderr: bool = False) -> Console:
    # No emoji codes either: a name with ":fire:" in it is shown as written.
    out = Console(highlight=False, emoji=False, stderr=stderr)
    if not out.is_terminal:
        # A pipe or a CI log: not squeezed to 80 columns.
        out = Console(highlight=False, emoji=False, stderr=stderr, width=200)
    return out
