"""Which listing of the leftovers is cheaper (issue 16): tag-first, or each product's own listing filtered by tag.

Against one emulator (real rate limits, 50 ms latency) holding the world, through the product's own session (SDK,
pacing, retries), in one process, the two strategies take turns round after round:

- tag-first (what the scan does): the account's resources tagged with a cluster id, one GetResources page after
  another (each names the next; TKE's nodes are among them), then each region's disks, CLBs and addresses by id;
- per product: in every region, side by side, DescribeDisks, DescribeLoadBalancers and DescribeAddresses with the
  filter `tag-key: tke-clusterId`, in pages of 100, which carry each resource's state: nothing to confirm.

Both must find the same resources. Printed: calls, wall and CPU seconds of each, per round, and their medians.

    python bench/leftover_listing.py [WORLD] [ROUNDS]      # default XL, 3
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import start_emulator, stats, world_file
from worlds import WORLDS

from tke_orphans.cloud import Endpoint, Pacer, Session
from tke_orphans.cloud.credentials import credential
from tke_orphans.cloud.leftovers import confirm, tagged_ids
from tke_orphans.model import LeftoverKind

KINDS = tuple(LeftoverKind)
PAGE = 100
# kind -> (service, action, answer list, id field)
BY_TAG = {
    LeftoverKind.CBS_DISK: ("cbs", "DescribeDisks", "DiskSet", "DiskId"),
    LeftoverKind.CLB: ("clb", "DescribeLoadBalancers", "LoadBalancerSet", "LoadBalancerId"),
    LeftoverKind.EIP: ("vpc", "DescribeAddresses", "AddressSet", "AddressId"),
}


def tag_first(session: Session, regions: list[str]) -> set[str]:
    tagged = tagged_ids(session, KINDS)
    with ThreadPoolExecutor(len(regions)) as pool:
        found = pool.map(lambda r: confirm(session, r, tagged.get(r, {})), regions)
        return {x.resource_id for region in found for x in region}


def per_product(session: Session, regions: list[str]) -> set[str]:
    def listing(job: tuple[str, LeftoverKind]) -> set[str]:
        region, kind = job
        service, action, key, id_field = BY_TAG[kind]
        ids: set[str] = set()
        offset = 0
        while True:
            params = {"Filters": [{"Name": "tag-key", "Values": ["tke-clusterId"]}], "Offset": offset, "Limit": PAGE}
            resp = session.call(service, action, region, params)
            ids |= {d[id_field] for d in resp[key]}
            offset += PAGE
            if offset >= resp["TotalCount"]:
                return ids

    with ThreadPoolExecutor(len(regions) * len(KINDS)) as pool:
        return set().union(*pool.map(listing, [(r, k) for r in regions for k in KINDS]))


def measure(url: str, fn: Callable[[], set[str]]) -> tuple[dict[str, Any], set[str]]:
    stats(url, reset=True)
    cpu, wall = time.process_time(), time.perf_counter()
    found = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = stats(url)
    by_action: dict[str, int] = {}
    for a in after["actions"]:
        key = f"{a['service']}.{a['action']}"
        by_action[key] = by_action.get(key, 0) + a["calls"]
    return {"calls": after["totals"]["calls"], "throttled": after["totals"]["throttled"], "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "by_action": dict(sorted(by_action.items()))}, found  # fmt: skip


def main() -> int:
    spec = WORLDS[sys.argv[1] if len(sys.argv) > 1 else "XL"]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    path, data = world_file(spec)
    regions = sorted(data["regions"])
    cred = data["credentials"][0]
    with tempfile.TemporaryDirectory(prefix="bench-leftovers-") as tmp:
        emu, url = start_emulator(path, spec, Path(tmp))
        try:
            session = Session("bench", credential(cred["secret_id"], cred["secret_key"], None, ("id", "key", "token")),
                              endpoint=Endpoint(url=url), pacer=Pacer())  # fmt: skip
            runs: dict[str, list[dict[str, Any]]] = {"tag-first": [], "per product": []}
            found: dict[str, set[str]] = {}
            for _ in range(rounds):
                for name, fn in (("tag-first", tag_first), ("per product", per_product)):
                    session.restart_deadline()
                    run, found[name] = measure(url, lambda fn=fn: fn(session, regions))  # type: ignore[misc]
                    runs[name].append(run)
        finally:
            emu.terminate()
            emu.wait(timeout=30)
    same = found["tag-first"] == found["per product"]
    print(f"{spec.name}: {len(regions)} regions, {len(found['tag-first']):,} cluster-tagged disks, CLBs and "
          f"addresses; the same by both: {'yes' if same else 'NO'}; {rounds} rounds, taking turns\n")  # fmt: skip
    print("| listing | calls | by action | wall s (median; each round) | CPU s (median) | throttled |")
    print("|---|---|---|---|---|---|")
    for name, rs in runs.items():
        walls = [r["wall_s"] for r in rs]
        actions = ", ".join(f"{k} {v}" for k, v in rs[0]["by_action"].items())
        print(f"| {name} | {rs[0]['calls']} | {actions} | {statistics.median(walls)} ({', '.join(map(str, walls))}) | "
              f"{statistics.median(r['cpu_s'] for r in rs)} | {sum(r['throttled'] for r in rs)} |")  # fmt: skip
    print(json.dumps(runs), file=sys.stderr)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
