"""Client CPU per `DescribeInstances` page of 100 instances, for each way of calling through the official SDK.

The emulator (no rate limits, no latency) answers in its own process, so this process's CPU is the client's: the
SDK's signing and HTTP, plus the parsing each option does. Options run interleaved, round after round, so that a
machine whose speed drifts (shared cores) affects them alike; the median of the rounds is reported.

    python bench/parse_options.py [--world S] [--calls 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.http.request import ProxyConnection
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import CLI
from run import world_file
from worlds import WORLDS

from tke_orphans.cloud.transport import Transport

PARAMS = {"Offset": 0, "Limit": 100}
REGION: list[str] = []


class Once(CommonClient):  # type: ignore[misc]
    """The SDK's error check made to parse with orjson and keep the result: one parse, through a private hook."""

    parsed: Any = None

    def _check_error(self, resp: Any) -> None:
        self.parsed = orjson.loads(resp.content)
        if "Error" in self.parsed["Response"]:
            super()._check_error(resp)


class Lean:
    """The SDK's signer (`Sign.sign_tc3`) and credential object (`get_credential_info`, which refreshes temporary
    ones), one orjson parse and the error check on it; sent over the SDK's own ProxyConnection (`via` "requests")
    or one plain keep-alive http.client connection (no proxies, no TLS setup: the floor of a lean path)."""

    def __init__(self, url: str, cred: Any, service: str, version: str, region: str, via: str) -> None:
        self.host, self.cred, self.service, self.version, self.region = (
            urlsplit(url).netloc,
            cred,
            service,
            version,
            region,
        )
        self.url = url.rstrip("/") + "/"
        self.session = ProxyConnection(self.host, is_http=True) if via == "requests" else None
        self.conn = http.client.HTTPConnection(self.host, timeout=20) if via == "http.client" else None

    def call(self, action: str, params: dict[str, Any]) -> Any:
        body = json.dumps(params).encode()
        timestamp = int(time.time())
        date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
        secret_id, secret_key, token = self.cred.get_credential_info()
        ctype = "application/json"
        canonical = (f"POST\n/\n\ncontent-type:{ctype}\nhost:{self.host}\n\ncontent-type;host\n"
                     f"{hashlib.sha256(body).hexdigest()}")  # fmt: skip
        scope = f"{date}/{self.service}/tc3_request"
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = Sign.sign_tc3(secret_key, date, self.service, to_sign)
        headers = {"Content-Type": ctype, "Host": self.host, "X-TC-Action": action, "X-TC-Timestamp": str(timestamp),
                   "X-TC-Version": self.version, "X-TC-Region": self.region,
                   "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
                                    f"SignedHeaders=content-type;host, Signature={signature}"}  # fmt: skip
        if token:
            headers["X-TC-Token"] = token
        if self.session is not None:
            content = self.session.request("POST", self.url, body, headers).content
        else:
            assert self.conn is not None
            self.conn.request("POST", "/", body=body, headers=headers)
            content = self.conn.getresponse().read()
        response = orjson.loads(content)["Response"]
        if "Error" in response:
            raise RuntimeError(response["Error"]["Code"])
        return response


def options(
    client: CommonClient, once: Once, lean: Transport, leaner: Lean, pooled: Lean
) -> dict[str, Callable[[], Any]]:
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
        "cloud/transport.py (chosen): SDK signer and credential, urllib3 pool, SDK proxies, one orjson parse": lambda: (
            lean.call("cvm", "2017-03-12", "DescribeInstances", REGION[0], PARAMS)
        ),
        "SDK signer and credential, http.client keep-alive, one orjson parse (no proxies)": lambda: leaner.call(
            "DescribeInstances", PARAMS
        ),
        "SDK signer and credential, the SDK's ProxyConnection (requests), one orjson parse": lambda: pooled.call(
            "DescribeInstances", PARAMS
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
        REGION[:] = [region]
        lean = Transport(key, url=url, root_domain=None, timeout=20)
        leaner = Lean(url, key, "cvm", "2017-03-12", region, "http.client")
        pooled = Lean(url, key, "cvm", "2017-03-12", region, "requests")
        ways = options(client, once, lean, leaner, pooled)
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
