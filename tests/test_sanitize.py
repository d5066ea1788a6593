"""The per-sink sanitizers and the status page's auth check: small unit tests of pure code."""

from __future__ import annotations

import base64
import unicodedata

import pytest
from rich.console import Console
from rich.table import Table

from tke_orphans.config import ServeAuth
from tke_orphans.sanitize import csv_cell, labelled, plain, valid, visible
from tke_orphans.serve.auth import authorized, needs_auth


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x1b]8;;https://x\x1b\\", "\\x1b]8;;https://x\\x1b\\"),
        ("a\x00b\x7fc\x9bd", "a\\x00b\\x7fc\\x9bd"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("\u2066x\u2069\u200f\u061c", "\\u2066x\\u2069\\u200f\\u061c"),
        ("line\nbreak\r\u2028", "line\\x0abreak\\x0d\\u2028"),
        ("名字 ok-1 [x] <b> @all", "名字 ok-1 [x] <b> @all"),  # others are the sinks' own business
    ],
)
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_every_format_character_and_invalid_code_point_is_shown() -> None:
    """The rule's list against this Python's Unicode database: every Cf (zero-width, BOM, tags, bidi), every lone
    surrogate and noncharacter; nothing else of the letters, marks and symbols."""
    hidden = [c for c in map(chr, range(0x110000)) if unicodedata.category(c) in ("Cf", "Cs")]
    hidden += [chr(p << 16 | low) for p in range(17) for low in (0xFFFE, 0xFFFF)]
    hidden += list(map(chr, range(0xFDD0, 0xFDF0)))
    text = "".join(hidden)
    shown = visible(text)
    assert shown.isascii() and shown.count("\\") == len(hidden)
    assert visible("\u200b\ufeff\u2060\U000e0041") == "\\u200b\\ufeff\\u2060\\U000e0041"
    assert visible("名字 é ñ 😀 \u0301") == "名字 é ñ 😀 \u0301"


def test_valid_shows_only_what_cannot_be_written() -> None:
    assert valid("a\ud800b\udfff\ufffe\U0010ffff\ufdd0") == "a\\ud800b\\udfff\\ufffe\\U0010ffff\\ufdd0"
    assert valid("zero\u200bwidth \x1b 😀") == "zero\u200bwidth \x1b 😀"  # the sinks' business
    assert valid("\ud800").encode("utf-8") == b"\\ud800"


def test_visible_keeps_what_it_is_told() -> None:
    assert visible("a\nb\x1b", keep="\n") == "a\nb\\x1b"


def test_rich_cells_and_markup_are_never_parsed() -> None:
    out = Console(width=200, color_system="truecolor", force_terminal=True, emoji=True, highlight=True)
    table = Table("name")
    table.add_row(plain("w [/nope] [link=https://evil.example]x[/link] :fire: \x1b[2J"))
    with out.capture() as captured:
        out.print(table)
        message = "[/TraceId=abc] [bold]b[/bold] x\\"
        out.print(labelled("error", "red", message))
    text = captured.get()
    assert "[/nope] [link=https://evil.example]x[/link] :fire: \\x1b[2J" in text
    assert "\x1b]8;" not in text and "\x1b[2J" not in text
    assert "\x1b[31merror\x1b[0m [/TraceId=abc] [bold]b[/bold] x\\\n" in text  # our style only


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "\\x09=1"),  # shown, no longer a leading tab
        ("\r=1", "\\x0d=1"),
        ("tke_cls-x_worker", "tke_cls-x_worker"),
        ("a=b", "a=b"),
        (-3, -3),  # numbers are not cloud text
        (8, 8),
    ],
)
def test_csv_cell(value: object, written: object) -> None:
    assert csv_cell(value) == written


TOKEN = ServeAuth.model_validate({"token": "tok-123"})
BASIC = ServeAuth.model_validate({"username": "ops", "password": "pw:with:colons"})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("auth", "header", "ok"),
    [
        (TOKEN, "Bearer tok-123", True),
        (TOKEN, "bearer  tok-123 ", True),
        (TOKEN, "Bearer tok-12", False),
        (TOKEN, "Bearer ", False),
        (TOKEN, "tok-123", False),
        (TOKEN, None, False),
        (BASIC, f"Basic {b64('ops:pw:with:colons')}", True),
        (BASIC, f"Basic {b64('ops:pw')}", False),
        (BASIC, f"Basic {b64('ops')}", False),
        (BASIC, "Basic !!!not-base64", False),
        (BASIC, "Basic " + base64.b64encode(b"ops:\xff").decode(), False),
        (BASIC, "Bearer pw:with:colons", False),
        (ServeAuth(), None, True),
    ],
)
def test_authorized(auth: ServeAuth, header: str | None, ok: bool) -> None:
    assert authorized(auth, header) is ok


def test_needs_auth() -> None:
    assert [needs_auth(TOKEN, p) for p in ("/", "/x", "/metrics", "/healthz", "/readyz")] == [
        True, True, False, False, False,
    ]  # fmt: skip
    guarded = ServeAuth.model_validate({"token": "t", "protect_metrics": True})
    assert needs_auth(guarded, "/metrics") and not needs_auth(guarded, "/healthz")
    assert not needs_auth(ServeAuth(), "/")
