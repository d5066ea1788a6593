"""Cloud text is data at every sink: one small pure function per sink.

Instance names, tag values and API error messages are written by whoever holds the account. In the terminal they
must not become rich markup (a `[/x]` crashes the render, `[link=...]` is a live link; so it goes to rich only as
`Text`, never parsed, never inside a markup string) nor terminal control
sequences (clear screen, window titles, OSC 8 links); in a spreadsheet they must not become a formula. The chat
markdown's own rules live in notify/markup.py (`clean`) and the page's in serve/page.py (`html.escape`); both
start from `visible`.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0, DEL and C1 controls; bidi marks, embeddings, overrides and isolates (they reorder what is shown, "Trojan
# Source"); the Unicode line and paragraph separators.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep: str = "") -> str:
    """Every control or bidi character shown as its escape (`\\x1b`, `\\u202e`); `keep` lists those to let be."""
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
