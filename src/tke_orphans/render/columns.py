"""Aligned columns as kubectl and gh print them: no borders, two spaces between columns, no trailing spaces, one
line per row. Fitted to a width by cutting the flexible columns with "…" (as gh cuts titles) and wrapping the last
column when it is marked `wrap`; never by cutting an id. A `wrap` cell that would have to break a word (an id, an
event name) where it stands goes under its row instead, indented, as a paragraph of its own.

Widths are terminal cells (rich's `cell_len`), so Chinese names line up. Cells must already be `visible` text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, chop_cells, set_cell_size

GAP = "  "
BELOW = GAP * 2  # the indent of a last cell moved under its row


@dataclass(frozen=True)
class Column:
    header: str
    flex: bool = False  # may be cut with "…" to fit the width
    wrap: bool = False  # the last column only: continues on the next lines instead of being cut
    min_width: int = 8  # a flex or wrap column is never made narrower than this (nor than its header)


# A row is its cells, or a heading: a line of its own above the rows of a group (the region, in the scan table).
Row = Sequence[str] | str


def _fit(columns: Sequence[Column], natural: list[int], width: int | None) -> list[int]:
    widths = list(natural)
    if width is None:
        return widths
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    # Take from the widest shrinkable column first, one cell at a time: the cut is shared, not all from one column.
    while excess > 0:
        floors = [
            max(c.min_width, cell_len(c.header)) if c.flex or c.wrap else widths[j] for j, c in enumerate(columns)
        ]
        room = [(widths[j] - floors[j], j) for j in range(len(columns)) if widths[j] > floors[j]]
        if not room:
            break  # cannot fit: lines run long rather than cut ids
        _, j = max(room)
        widths[j] -= 1
        excess -= 1
    return widths


def _wrap(text: str, width: int) -> list[str]:
    """Word wrap by cells; a word longer than the width is split."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        for piece in chop_cells(word, width) if cell_len(word) > width else [word]:
            if line and cell_len(line) + 1 + cell_len(piece) > width:
                lines.append(line)
                line = piece
            else:
                line = f"{line} {piece}" if line else piece
    return [*lines, line]


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"


def _fits(text: str, lead: str, room: int, width: int) -> bool:
    """Whether a wrapped last cell can stand beside its row: the row leaves it `room` and no word is cut."""
    return cell_len(lead) + len(GAP) + room <= width and all(cell_len(w) <= room for w in text.split(" "))


def layout(columns: Sequence[Column], rows: Sequence[Row], width: int | None = None) -> list[str]:
    """The header and the rows as lines, each at most `width` cells when that is possible (None: no limit)."""
    cells = [r for r in rows if not isinstance(r, str)]
    natural = [max([cell_len(c.header)] + [cell_len(r[j]) for r in cells]) for j, c in enumerate(columns)]
    widths = _fit(columns, natural, width)
    last = len(columns) - 1

    def lines_of(row: Sequence[str]) -> list[str]:
        parts = [_cut(v, widths[j]) if j < last or not columns[j].wrap else v for j, v in enumerate(row)]
        lead = GAP.join(set_cell_size(p, widths[j]) for j, p in enumerate(parts[:last]))
        if columns[last].wrap and width is not None and last and not _fits(parts[last], lead, widths[last], width):
            return [lead.rstrip()] + [(BELOW + t).rstrip() for t in _wrap(parts[last], width - len(BELOW))]
        tail = _wrap(parts[last], widths[last]) if columns[last].wrap else [parts[last]]
        indent = " " * (cell_len(lead) + len(GAP)) if last else ""
        first = (lead + GAP if last else "") + tail[0]
        return [first.rstrip()] + [(indent + t).rstrip() for t in tail[1:]]

    out = lines_of([c.header for c in columns])
    for r in rows:
        out += [r] if isinstance(r, str) else lines_of(r)
    return out
