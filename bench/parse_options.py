"""Client CPU per `DescribeInstances` page of 100 instances, for each way of calling through the official SDK.

The emulator (no rate limits, no latency) answers in its own process, so this process's CPU is the client's: the
SDK's signing and HTTP, plus the parsing each option does. Options run interleaved, round after round, so that a
machine whose speed drifts (shared cores) affects them alike; the median of the rounds is reported.

    python bench/parse_options.py [--world S] [--calls 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CLI, world_file
from worlds import WORLDS

PARAMS = {"Offset": 0, "Limit": 100}


class Once(CommonClient):  # type: ignore[misc]
    """The SDK's error check made to parse with orjson and keep the result: one parse, through a private hook."""

    parsed: Any = None

    def _check_error(self, resp: Any) -> None:
        self.parsed = orjson.loads(resp.content)
        if "Error" in self.parsed["Response"]:
            super()._check_error(resp)


def options(client: CommonClient, once: Once) -> dict[str, Callable[[], Any]]:
    return {
        "call() and no parse of ours (the floor: SDK signing, HTTP, its check)": lambda: (
            {"InstanceSet": [0] * 100} if client.call("DescribeInstances", PARAMS) else None
        ),
        "call_json (the SDK parses twice, json)": lambda: client.call_json("DescribeInstances", PARAMS)["Response"],
        "call() + json.loads (SDK's check, then ours)": lambda: json.loads(client.call("DescribeInstances", PARAMS))[
            "Response"
        ],
        "call() + orjson.loads": lambda: orjson.loads(client.call("DescribeInstances", PARAMS))["Response"],
        "subclass: the SDK's check parses once with orjson (private hook)": lambda: (
            once.call("DescribeInstances", PARAMS) and once.parsed["Response"]
        ),
    }


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world", default="S")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path, data = world_file(WORLDS[args.world])
    emu = subprocess.Popen([*CLI, "emulator", "serve", "--world", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert emu.stdout is not None
        url = emu.stdout.readline().strip()
        cred = data["credentials"][0]
        parts = urlsplit(url)
        http = HttpProfile(endpoint=parts.netloc, protocol=parts.scheme, keepAlive=True)
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
        region = sorted(data["regions"])[0]
        key = credential.Credential(cred["secret_id"], cred["secret_key"])
        client = CommonClient("cvm", "2017-03-12", key, region, profile)
        once = Once("cvm", "2017-03-12", key, region, profile)
        size = len(client.call("DescribeInstances", PARAMS))
        ways = options(client, once)
        per_call: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, way in ways.items():
                assert len(way()["InstanceSet"]) == 100
                started = cpu()
                for _ in range(args.calls):
                    way()
                per_call[name].append(1000 * (cpu() - started) / args.calls)
        first = statistics.median(next(v for k, v in per_call.items() if k.startswith("call_json")))
        print(f"Body: {size / 1024:.0f} KiB (100 instances). Client CPU per call, median of {args.rounds} rounds:\n")
        print("| option | ms per call | ratio to call_json |\n|---|---|---|")
        for name, samples in per_call.items():
            median = statistics.median(samples)
            print(f"| {name} | {median:.2f} | {median / first:.2f} |")
    finally:
        emu.terminate()
        emu.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
