"""The docs' samples, made by the product itself: `make docs` writes them; tests/docs/test_generated.py fails when a
file differs from what this makes.

A sample sits between `<!-- make docs: NAME -->` and `<!-- /make docs -->` in README.md or docs/*.md; the prose around
it is written by hand. The samples come from:
- the demo's table: the real `tke-orphans demo`, run as a user runs it, at 100 columns;
- the chat messages: the real job (scan, state, lifecycle) on the demo world against the emulator and the chat sinks,
  on a fixed clock, each notice rendered by each platform's own channel code, as `tke-orphans preview` does.

    python scripts/docs.py           # say which files are stale (exit 1), with the difference
    python scripts/docs.py --write   # rewrite them (make docs)
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from tke_orphans.config import config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.notify import MemoryLedger, Notice, bot_specs, make_channel
from tke_orphans.notify.pacing import BotPacer
from tke_orphans.state import StateDB
from tke_orphans_testkit.demo import resolve_demo_leftovers
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.sinks import DEFAULT_BOTS, ChatSinks

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-world.yaml"
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SAMPLE = re.compile(r"(<!-- make docs: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /make docs -->)", re.S)
# The first scan: 21:04 in Beijing, the messages' default time zone.
T0 = datetime(2026, 11, 28, 13, 4, tzinfo=UTC)
MENTIONS = {"wecom": {"user_ids": ["zhangsan"]}, "dingtalk": {"mobiles": ["13800000000"]}}
LEFTOVERS = {"leftovers": ["cbs_disk", "clb", "eip"]}


def fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text}\n```\n"


def demo_table() -> str:
    """What `make demo` prints of the scan: from the table's title to the scan's summary line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "TKE_ORPHANS_"))}
    run = subprocess.run([sys.executable, "-m", "tke_orphans", "demo"], env=env | {"COLUMNS": "100"},
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    lines = run.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Orphaned CVM instances"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Scan "))
    return fence("\n".join(lines[start : end + 1]))


def demo_data(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    gz = data["regions"]["ap-guangzhou"]
    # The instance still launching would become an orphan (rightly) once the clock moves on by hours.
    gz["instances"] = [i for i in gz["instances"] if i["InstanceId"] != "ins-gznew001"]
    # The samples are made on a fixed clock; CloudAudit answers within 90 days of the real one, so who left each
    # orphan (the demo world's audit log) would depend on the day the samples are made: left out here.
    data.pop("audit", None)
    if change is not None:
        change(data)
    return data


class Story:
    """The real job, pass after pass, on one state and a clock that moves only when told; the world may change
    between passes (a new emulator on the same state, as after the cloud changed)."""

    def __init__(self, state: StateDB, sinks: ChatSinks) -> None:
        self.state, self.sinks, self.now = state, sinks, T0

    def run(self, data: dict[str, Any], detection: dict[str, Any], after: timedelta = timedelta(0)) -> list[Notice]:
        self.now += after
        at = self.now
        with Emulator(world_from_data(data, now=T0)) as emu:
            cred = data["credentials"][0]
            platforms = {b.platform: {"enabled": True, "url": self.sinks.bot_url(b), "secret": b.secret or ""}
                         for b in DEFAULT_BOTS}  # fmt: skip
            cfg = config_from_data({
                "tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
                                 "endpoint_url": emu.url},
                "detection": {"grace_period": "1h", **detection},
                "webhook": {"enabled": True, "timeout": 5, "platforms": platforms},
            }, "docs")  # fmt: skip
            job = run_job(Run(cfg), state=self.state, now=lambda: at)
        assert not job.failed_deliveries, job.failed_deliveries
        return job.notices


@contextmanager
def story() -> Iterator[Story]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        ChatSinks(list(DEFAULT_BOTS)) as sinks,
        StateDB(Path(tmp) / "state.db") as db,
    ):
        yield Story(db, sinks)


def bodies(notice: Notice, platform: str, *, mentions: bool = True, language: str = "zh-CN") -> list[dict[str, Any]]:
    """The exact bodies a platform's bot receives for a notice, before signing (as `tke-orphans preview`)."""
    bot = {"enabled": True, "url": "https://bot.example/x", "mentions": MENTIONS.get(platform, {}) if mentions else {}}
    [spec] = bot_specs(config_from_data({"webhook": {"language": language, "platforms": {platform: bot}}}, "docs"))
    with httpx.Client() as client:
        return list(make_channel(spec, client, BotPacer(MemoryLedger())).messages(notice))


def shown(notice: Notice, *, mentions: bool = True, language: str = "zh-CN") -> str:
    """The markdown a WeCom group reads (each part, when the content had to be split)."""
    made = bodies(notice, "wecom", mentions=mentions, language=language)
    return "\n\n".join(b["markdown"]["content"] for b in made if b["msgtype"] == "markdown")


def as_json(items: list[dict[str, Any]]) -> str:
    return "\n\n".join(json.dumps(b, ensure_ascii=False, indent=2) for b in items)


def one(notices: list[Notice], kind: str) -> Notice:
    [notice] = [n for n in notices if n.kind == kind]
    return notice


def cut(content: str) -> str:
    """The README's short sample: the header, the first instance, the next one's head line, the end."""
    paras = content.split("\n\n")
    blocks = [i for i, p in enumerate(paras) if re.match(r"\*\*\d+\. ", p)]
    first, last = blocks[0], blocks[-1]
    return "\n\n".join([*paras[: first + 1], paras[first + 1].split("\n")[0] + "\n...", *paras[last + 1 :]])


def samples() -> dict[str, str]:
    def gone(name: str) -> Callable[[dict[str, Any]], None]:
        def change(data: dict[str, Any]) -> None:
            gz = data["regions"]["ap-guangzhou"]
            gz["instances"] = [i for i in gz["instances"] if i["InstanceId"] != name]
            gz["disks"] = [d for d in gz["disks"] if d.get("InstanceId") != name]  # its disks went with it

        return change

    # The orphans alone: new, one terminated two hours later, the digest of the rest a day later.
    with story() as s:
        new = one(s.run(demo_data(), {"leftovers": []}), "new")
        resolved = one(s.run(demo_data(gone("ins-gzorp002")), {"leftovers": []}, timedelta(hours=2)), "resolved")
        reminder = one(s.run(demo_data(gone("ins-gzorp002")), {"leftovers": []}, timedelta(hours=23)), "reminder")
    # The leftovers, looked for after the orphans were told: new; a day later the disk deleted, the address bound
    # again, the load balancer's cluster tag naming a live cluster.
    with story() as s:
        s.run(demo_data(), {"leftovers": []})
        left_new = one(s.run(demo_data(), LEFTOVERS, timedelta(minutes=10)), "new")
        left_resolved = one(s.run(resolve_demo_leftovers(demo_data()), LEFTOVERS, timedelta(hours=29)), "resolved")
    return {
        "demo-table": demo_table(),
        "readme-wecom": fence(cut(shown(new, mentions=False))),
        "wecom-new": fence(as_json(bodies(new, "wecom")), "json"),
        "wecom-new-shown": fence(shown(new)),
        "dingtalk-new": fence(as_json(bodies(new, "dingtalk")), "json"),
        "feishu-new": fence(as_json(bodies(new, "feishu")), "json"),
        "english-new": fence(shown(new, mentions=False, language="en")),
        "reminder": fence(shown(reminder, mentions=False)),
        "feishu-resolved": fence(as_json(bodies(resolved, "feishu")), "json"),
        "leftovers-new": fence(shown(left_new, mentions=False)),
        "leftovers-resolved": fence(shown(left_resolved, mentions=False)),
    }


def rendered(made: dict[str, str]) -> dict[Path, tuple[str, str]]:
    """Each file with a sample: its text now, and with every sample made anew. Every sample made has its place."""
    out, placed = {}, set()
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        placed |= {m.group("name") for m in SAMPLE.finditer(text)}
        if SAMPLE.search(text):
            out[path] = (text, SAMPLE.sub(lambda m: m.group(1) + made[m.group("name")] + m.group(4), text))
    if placed != set(made):
        raise SystemExit(
            f"samples without a place: {sorted(set(made) - placed)}; unknown: {sorted(placed - set(made))}"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the stale files")
    args = parser.parse_args()
    stale = 0
    for path, (now, new) in rendered(samples()).items():
        if now == new:
            continue
        stale += 1
        name = str(path.relative_to(ROOT))
        if args.write:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {name}")
        else:
            sys.stdout.writelines(
                difflib.unified_diff(now.splitlines(True), new.splitlines(True), name, f"{name} (made)")
            )
    if stale and not args.write:
        print(f"\n{stale} file(s) differ from what the product prints now: run `make docs` and commit them.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
