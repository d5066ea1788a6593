"""Cloud text is data at every sink: one small pure function per sink.

Instance names, tag values and API error messages are written by whoever holds the account. In the terminal they
must not become rich markup (a `[/x]` crashes the render, `[link=...]` is a live link; so it goes to rich only as
`Text`, never parsed, never inside a markup string) nor terminal control
sequences (clear screen, window titles, OSC 8 links) nor invisible (a zero-width space makes two names look alike);
in a spreadsheet they must not become a formula. Text no program can write (a lone surrogate) is made valid where
cloud answers are read (cloud/transport.py, cloud/errors.py) with `valid`, a part of the same rule. The chat
markdown's own rules live in notify/markup.py (`clean`) and the page's in serve/page.py (`html.escape`); both
start from `visible`.
"""

from __future__ import annotations

import re

from rich.text import Text

# Code points no text may hold: lone surrogates (a JSON `\ud800` escape decodes to one, and then nothing can encode
# it: the state write fails) and the noncharacters. `valid` shows them at the cloud edge, `visible` at every sink.
_INVALID = "\ud800-\udfff\ufdd0-\ufdef" + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(17))
# What a reader would not see: C0, DEL and C1 controls; every format character (Unicode category Cf: zero-width
# spaces and joiners, the byte order mark, bidi marks, embeddings, overrides and isolates, which reorder what is shown,
# "Trojan Source"; tests/test_sanitize.py checks the list against unicodedata); the line and paragraph separators.
_CF = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_BAD = re.compile(f"[{_INVALID}]")
_HIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_CF}{_INVALID}]")
# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def valid(text: str) -> str:
    """Text that can be encoded: every lone surrogate or noncharacter shown as its escape (`\\ud800`). One rule with
    `visible` (a subset of what it shows), applied where cloud answers and error texts enter (cloud/)."""
    return _BAD.sub(_escaped, text)


def visible(text: str, keep: str = "") -> str:
    """Every control, format (Cf) or invalid character shown as its escape (`\\x1b`, `\\u202e`, `\\u200b`, `\\ud800`);
    `keep` lists those to let be."""
    if keep:
        return _HIDDEN.sub(lambda m: m.group() if m.group() in keep else _escaped(m), text)
    return _HIDDEN.sub(_escaped, text)


def plain(text: str) -> Text:
    """Cloud text for rich (a table cell, a line): a Text is never parsed as markup nor emoji codes."""
    return Text(visible(text))


def labelled(label: str, style: str, text: str) -> Text:
    """`label` in `style`, then cloud text as it is: `labelled("error", "yellow", failure.describe())`."""
    return Text.assemble((label, style), " ", visible(text))


def csv_cell(value: object) -> object:
    """A CSV cell: text starting like a formula gets a leading quote; numbers are left as they are."""
    if not isinstance(value, str):
        return value
    text = visible(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
