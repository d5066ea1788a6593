"""What every message part is made of (a platform's markdown Style, Blocks) and how cloud text is made inert in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..sanitize import visible


@dataclass(frozen=True)
class Style:
    """How one platform's markdown spells things."""

    line: str = "\n"
    block: str = "\n\n"
    heading: Callable[[str], str] = lambda s: f"## {s}"
    bold: Callable[[str], str] = lambda s: f"**{s}**"
    code: Callable[[str], str] = lambda s: f"`{s}`"
    quiet: Callable[[str], str] = lambda s: s
    link: Callable[[str, str], str] = lambda text, url: f"[{text}]({url})"


@dataclass
class Block:
    """Lines kept together in one part: a finding's, a section heading."""

    lines: list[str]
    instance_id: str | None = None  # a VM's, for the part's ids to copy
    # What the part's cleanup commands name: (kind, id), for `cleanup [--kind KIND] --only ID`.
    target: tuple[str, str] | None = None


_NEUTRAL = str.maketrans({"`": "'", "\n": " ", "\r": " ", "<": "‹", ">": "›", "[": "［", "]": "］"})


def clean(s: str) -> str:
    """Anything that comes from the cloud (names, tags, ids, error texts) is set by people: keep it from closing a
    code span, breaking a line, or becoming markup: a tag value like `<at id=all></at>` (Feishu), `<@boss>` (WeCom)
    or `[text](url)` must not mention anyone or link anywhere. `@` gets a zero-width space so that it is no mention.
    Other control characters and bidi overrides are shown as escapes (`\\x1b`, `\\u202e`): they would act in a
    terminal that shows the message, or reorder what the group reads."""
    return visible(s.translate(_NEUTRAL)).replace("@", "@\u200b")
