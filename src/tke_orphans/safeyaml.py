"""Reading a YAML file that someone else wrote: bounded in size, nesting and alias expansion, errors without content.

PyYAML's SafeLoader builds only plain types, but a 30-line file of nested aliases ("billion laughs") expands to
billions of values for whoever walks the result, deep nesting overflows Python's stack, and its syntax errors quote
the offending line, which in a config may hold a literal secret.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_BYTES = 1024 * 1024  # 1 MiB: a config of 100 accounts and 1,000 ignored ids is under 100 KiB
MAX_DEPTH = 64
MAX_ALIAS_VALUES = 10_000  # values that aliases may add, counted as if expanded


class UnsafeYAML(ValueError):
    """The file is not one we read: the message says why, without quoting the file."""


class _BoundedLoader(yaml.SafeLoader):
    """Counts, while composing, the depth and the values each alias would expand to, and stops early."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._alias_values = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            self._alias_values += self._sizes.get(id(node), 1)
            if self._alias_values > MAX_ALIAS_VALUES:
                raise UnsafeYAML(f"its aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values")
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise UnsafeYAML(f"it is nested more than {MAX_DEPTH} levels deep")
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None:
            self._sizes[id(node)] = _size(node, self._sizes)
        return node


def _size(node: Node, sizes: dict[int, int]) -> int:
    """Values in a node once aliases are expanded; children were sized when they were composed."""
    if isinstance(node, SequenceNode):
        return 1 + sum(sizes.get(id(child), 1) for child in node.value)
    if isinstance(node, MappingNode):
        return 1 + sum(sizes.get(id(k), 1) + sizes.get(id(v), 1) for k, v in node.value)
    return 1


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The file as UTF-8 text; UnsafeYAML when it is not a regular file, larger than `limit` or not UTF-8. OSError
    passes through."""
    # Opened without blocking, then checked: a FIFO would wait forever for a writer, a device never end.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeYAML("not a regular file (a FIFO, device or directory): pass a YAML file")
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise UnsafeYAML(f"larger than {limit / 2**20:g} MiB, the most such a file may be: make it smaller")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise UnsafeYAML(f"not UTF-8 text ({byte}): save it as UTF-8") from None


def load(text: str) -> Any:
    """Parse one YAML document; UnsafeYAML for a syntax error (position only) or a file beyond the bounds."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise UnsafeYAML(_describe(exc)) from None
    except yaml.YAMLError as exc:  # unmarked errors carry no file content
        raise UnsafeYAML(f"not valid YAML: {exc}") from None
    except RecursionError:  # a backstop: MAX_DEPTH stops nesting long before the stack does
        raise UnsafeYAML(f"it is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def _describe(exc: yaml.MarkedYAMLError) -> str:
    """Line, column and the parser's words; never the snippet of the line, which may hold a secret."""
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    words = "; ".join(w for w in (exc.context, exc.problem) if w)
    return f"not valid YAML{where}: {words} (the line is not shown: it may hold a secret)"
