"""Hostile cloud text, shared by the tests of every sink (terminal, chat, CSV, page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tke_orphans_testkit.emulator import World, world_from_data
from tke_orphans_testkit.sinks import SinkBot

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-world.yaml"

# Rich markup (a closing tag that crashes the render, a link, an emoji code), terminal control sequences (clear
# screen, OSC 0 window title, OSC 8 hyperlink, bell, C1 CSI), a bidi override, HTML and a chat mention, in the name
# of a real orphan (the TKE name rule matches its prefix) and in an API error message.
NAME = (
    "tke_cls-gone0001_worker [/nope] [link=https://evil.example]click[/link] :fire: \x1b[2J\x1b]0;pwned\x07"
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \u202eevil\x9b31m <@all> <script>alert(1)</script>"
)
MESSAGE = "boom [/TraceId=abc] [bold]loud[/bold] \x1b[31mred\x1b[0m \u2066isolate\u2069 \x1b]0;title\x07"
# A name that a spreadsheet would run as a formula; the instance is an orphan by its auto scaling group tag.
FORMULA = '=HYPERLINK("https://evil.example","x")'
# What must never reach a terminal, a chat message or the page (ESC itself is checked by sequence: our own colours
# are escape sequences too).
RAW = ["\x07", "\x9b", "\u202e", "\u2066", "\u2069"]
BOTS = [SinkBot("wecom", "wc-hostile"), SinkBot("dingtalk", "dt-hostile"), SinkBot("feishu", "fs-hostile")]


def hostile_world() -> World:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    names = {"ins-gzorp002": NAME, "ins-gzorp001": FORMULA}
    for inst in data["regions"]["ap-guangzhou"]["instances"]:
        inst["InstanceName"] = names.get(inst["InstanceId"], inst["InstanceName"])
    return world_from_data(data, source="hostile")


FAULT: dict[str, Any] = {"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-opsgz002"},
                         "code": "InternalError", "message": MESSAGE}  # fmt: skip


def assert_inert(text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached the output"
    # Our own colours are escape sequences too; nothing else is: no clear screen, title, hyperlink, cloud colour.
    for seq in ("\x1b[2J", "\x1b]", "\x1b[31mred", "\x1b\\"):
        assert seq not in text, f"{seq!r} reached the output"
