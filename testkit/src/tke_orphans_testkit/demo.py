"""The demo: the bundled demo world, a config pointing the real job at the emulator and chat sinks, and a look
at what each platform received."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

from tke_orphans.sanitize import visible

if TYPE_CHECKING:
    from .emulator import World
    from .sinks import ChatSinks


def demo_world() -> World:
    from .emulator import load_world

    with resources.as_file(resources.files("tke_orphans_testkit.emulator") / "worlds" / "demo-world.yaml") as path:
        return load_world(path)


def resolve_demo_leftovers(data: dict[str, Any]) -> dict[str, Any]:
    """The demo world's data (as loaded from its YAML) with each leftover resolved its own way: the disk deleted, the
    address bound again, the load balancer's cluster tag naming a live cluster. A copy: `data` is left as it is."""
    data = copy.deepcopy(data)
    gz = data["regions"]["ap-guangzhou"]
    gz["disks"] = [d for d in gz["disks"] if d["DiskId"] != "disk-gzleft01"]
    eip = next(a for a in gz["addresses"] if a["AddressId"] == "eip-gzleft01")
    eip.update(AddressStatus="BIND", NetworkInterfaceId="eni-gz000009", PrivateAddressIp="10.0.5.9", InstanceType="ENI")
    lb = next(x for x in gz["load_balancers"] if x["LoadBalancerId"] == "lb-gzleft01")
    lb["Tags"] = [t if t["Key"] != "tke-clusterId" else {**t, "Value": "cls-prodgz01"} for t in lb["Tags"]]
    return data


# The demo world is a small organization: each team's findings go to its own bot, the rest to WeCom.
DEMO_ROUTES = [
    {"name": "payments", "match": {"nodes": ["Payments"]}, "bots": ["dingtalk"]},
    {"name": "data", "match": {"accounts": ["data"]}, "bots": ["feishu"]},
]


def demo_config(world: World, url: str, sinks: ChatSinks | None = None) -> str:
    cred = world.spec.credentials[0]
    cfg: dict[str, Any] = {
        "tencentcloud": {
            "secret_id": cred.secret_id,
            "secret_key": cred.secret_key,
            "regions": "all",
            "endpoint_url": url,
            "organization": {"enabled": True},
        },
        "detection": {"grace_period": "1h", "leftovers": ["cbs_disk", "clb", "eip"]},
    }
    if sinks is not None:
        platforms: dict[str, Any] = {}
        from .sinks import DEFAULT_BOTS

        for bot in DEFAULT_BOTS:
            platforms[bot.platform] = {"enabled": True, "url": sinks.bot_url(bot), "secret": bot.secret or ""}
        cfg["webhook"] = {"enabled": True, "timeout": 5, "platforms": platforms, "routes": DEMO_ROUTES}
    return (
        "# Written by `tke-orphans demo`: the real job, pointed at the local emulator and chat sinks.\n"
        + yaml.safe_dump(cfg, allow_unicode=True)
    )


def run_product(args: list[str]) -> int:
    """Run a `tke-orphans` command in this process (the chat sinks and emulator serve from its threads) and
    return its exit code."""
    from tke_orphans.cli import app

    try:
        app(args, prog_name="tke-orphans")
    except SystemExit as exc:  # typer's standalone mode always ends with sys.exit
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def show_messages(path: Path, console: Console, kept: bool = True) -> None:
    """What each platform received, from the sinks' record: a line each, cut to the console's width."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    where = f", recorded in {path}" if kept else ""
    console.print(f"\nThe chat sinks accepted {len(lines)} message(s){where}:", soft_wrap=not kept)
    for entry in lines:
        preview = json.dumps(entry["body"], ensure_ascii=False)
        line = visible(f"  {entry['platform']:<9}{len(preview.encode()):>5} bytes  {preview}")
        if cell_len(line) > console.width:
            line = set_cell_size(line, console.width - 1) + "…"
        console.print(Text(line), soft_wrap=True)


def nothing_new(state: Path, earlier: bool) -> str:
    """Why no message was sent: a kept folder's state already told the bots about these orphans."""
    if earlier:
        return (
            f"\nNo message sent: nothing new to tell. An earlier demo in {state.parent} reported these orphans "
            f"already, and its state ({state.name}) remembers it. To see the messages again, delete {state} or "
            "pass another --keep DIR."
        )
    return "\nNo message sent."
