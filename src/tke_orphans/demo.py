"""The demo: the bundled demo world and a config that points the real scan at the emulator serving it."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from .emulator import World


def demo_world() -> World:
    from .emulator import load_world

    with resources.as_file(resources.files("tke_orphans.emulator") / "worlds" / "demo-world.yaml") as path:
        return load_world(path)


def demo_config(world: World, url: str) -> str:
    cred = world.spec.credentials[0]
    cfg = {
        "tencentcloud": {
            "secret_id": cred.secret_id,
            "secret_key": cred.secret_key,
            "regions": "all",
            "endpoint_url": url,
        },
        "detection": {"grace_period": "1h"},
    }
    return "# Written by `tke-orphans demo`: the real scan, pointed at the local emulator.\n" + yaml.safe_dump(cfg)
