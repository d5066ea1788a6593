"""The benchmark: scan generated worlds as a user would, against the emulator with the real rate limits.

For each world: generate it (with its answer key), start `tke-orphans emulator serve --rate-limits real
--latency-ms 50`, run `tke-orphans scan --output json` as a separate process, and record wall time, CPU time,
peak RSS, API calls per action and throttled calls (from the emulator's statistics), and whether the orphans equal
the answer key. Then the same scan with `pricing.enabled: false` (a fresh state), to show the calls and the time
pricing adds (`--no-pricing` skips that second run). Then the original checker's call pattern on the same emulator,
for comparison. Organizations (`org-*`: bench/org_scan.py) are scanned through their members' roles with 1 worker
and with N, beside their per-member bound; with more than one, the peak memory as the members grow.

    python bench/run.py --worlds S,M,org-5x2    # make bench
    python bench/run.py --worlds all            # make bench-full
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import original_scan
from harness import CACHE as CACHE  # noqa: PLC0414 (re-exported: tests/docs reads the cache folder here)
from harness import CLI, LEFTOVER_KINDS, ROOT, machine, measured, start_emulator, stats
from org_scan import bench_organization, memory_trend, org_ratios
from worlds import (
    ORG,
    ORG_ACCOUNTS,
    ORGS,
    OTHER_CLUSTERS,
    WORLDS,
    WorldSpec,
    leftover_calls,
    lower_bound,
    minimum_calls,
)

from tke_orphans_testkit.emulator.generate import generate_world, write_world


def world_file(spec: WorldSpec) -> tuple[Path, dict[str, Any]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    # -p: worlds with a price table, -r: with disks, load balancers and addresses (older cached files have none)
    path = CACHE / f"{spec.regions}r-{spec.instances}i-{spec.clusters}c-s{spec.seed}-p-r.json"
    if path.exists():
        return path, json.loads(path.read_text(encoding="utf-8"))
    data = generate_world(regions=spec.regions, instances=spec.instances, clusters=spec.clusters, seed=spec.seed)
    write_world(data, path)
    return path, data


def run_scan(url: str, data: dict[str, Any], tmp: Path, *, pricing: bool = True) -> dict[str, Any]:
    cred = data["credentials"][0]
    name = "priced" if pricing else "unpriced"
    cfg = tmp / f"config-{name}.yaml"
    cfg.write_text(
        json.dumps({"tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"],
                                     "regions": "all", "endpoint_url": url,
                                     # One process, as the ideal client: worker processes are compared apart
                                     # (--org), and their CPU is not this process's to measure.
                                     "workers": 1},
                    "pricing": {"enabled": pricing},
                    # Every kind of leftover: their calls are in the minimum, the bound and the ideal client. Who
                    # left each finding (CloudAudit) comes after the scan, a courtesy with budgets of its own.
                    "detection": {"leftovers": LEFTOVER_KINDS, "origin": {"enabled": False}}}),
        encoding="utf-8",
    )  # fmt: skip
    out = tmp / f"result-{name}.json"
    started = time.monotonic()
    with out.open("w") as fh:
        usage = measured(
            [*CLI, "scan", "-c", str(cfg), "--state", str(tmp / f"state-{name}.db"), "-o", "json", "--no-notify"],
            tmp, stdout=fh, stderr=subprocess.PIPE, env={**os.environ, "HOME": str(tmp)},
        )  # fmt: skip
    wall = time.monotonic() - started
    result = json.loads(out.read_text(encoding="utf-8"))
    return {**usage, "wall_s": wall, "result": result}


def run_ideal(url: str, data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The ideal client (bench/ideal.py) as a separate process, measured as the scan is."""
    cred = data["credentials"][0]
    orphans: dict[str, list[str]] = {}
    for o in data["answer_key"]["orphans"]:
        orphans.setdefault(o["region"], []).append(o["instance_id"])
    todo = tmp / "ideal-orphans.json"
    todo.write_text(json.dumps(orphans), encoding="utf-8")
    answer = tmp / "ideal.json"
    started = time.monotonic()
    with answer.open("w") as fh:
        cmd = [sys.executable, str(ROOT / "bench" / "ideal.py"), url, cred["secret_id"], cred["secret_key"], str(todo),
               "--leftovers"]  # fmt: skip
        usage = measured(cmd, tmp, stdout=fh)
    wall = time.monotonic() - started
    if usage["exit"] != 0:
        raise RuntimeError("the ideal client failed")
    return {**usage, "wall_s": wall, **json.loads(answer.read_text(encoding="utf-8"))}


def leftovers_right(result: dict[str, Any], data: dict[str, Any]) -> bool:
    """TKE's leftovers of the kinds scanned and the reused CLBs, each exactly the answer key's."""
    key = data["answer_key"]
    made = {(x["region"], x["kind"], x["resource_id"], x["cluster_id"]) for x in key.get("leftovers", [])
            if x["kind"] in LEFTOVER_KINDS}  # fmt: skip
    reused = {(x["region"], x["resource_id"]) for x in key.get("reused", [])}
    listed = result.get("leftovers", [])
    return made == {
        (x["region"], x["kind"], x["resource_id"], x["cluster_id"]) for x in listed if not x["reused"]
    } and (reused == {(x["region"], x["resource_id"]) for x in listed if x["reused"]})


def compare(found: set[tuple[str, str]], data: dict[str, Any]) -> dict[str, int]:
    expected = {(o["region"], o["instance_id"]) for o in data["answer_key"]["orphans"]}
    return {"expected": len(expected), "false_orphans": len(found - expected), "missed": len(expected - found)}


def _lowest_shares(regions: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in regions:
        for api, share in r.get("rate_adapted", {}).items():
            out[api] = min(share, out.get(api, 1.0))
    return dict(sorted(out.items()))


PRICE_ACTIONS = ("InquiryPriceRunInstances", "InquiryPriceRenewInstances", "DescribeZoneInstanceConfigInfos")
# The leftovers' prices: not in the listing's calls, nor in the VMs' pricing minimum (counted apart).
LEFTOVER_PRICE_ACTIONS = ("InquiryPriceCreateDisks", "InquiryPriceCreateLoadBalancer", "InquiryPriceAllocateAddresses")


def price_minimum(data: dict[str, Any]) -> int:
    """One quote per distinct configuration of the orphans, and a second call where it must fall back (sold out)."""
    sold_out = {(t.get("Zone", "*"), t["InstanceType"], t["InstanceChargeType"])
                for t in data.get("prices", {}).get("types", []) if t.get("Status") == "SOLD_OUT"}  # fmt: skip
    orphans = {(o["region"], o["instance_id"]) for o in data["answer_key"]["orphans"]}
    configs: set[str] = set()
    calls = 0
    for region, r in data["regions"].items():
        for d in r["instances"]:
            if (region, d["InstanceId"]) not in orphans:
                continue
            zone, itype, charge = d["Placement"]["Zone"], d.get("InstanceType", "S5.MEDIUM4"), d.get(
                "InstanceChargeType", "POSTPAID_BY_HOUR")  # fmt: skip
            key = json.dumps([zone, itype, charge, d.get("DataDisks"), d.get("InternetAccessible")], sort_keys=True)
            if key not in configs:
                configs.add(key)
                calls += 2 if (zone, itype, charge) in sold_out and charge != "PREPAID" else 1
    return calls


def _pricing(
    after: dict[str, Any], priced: dict[str, Any], unpriced: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """What pricing added: its calls, and the wall time with and without it; its bound is the price calls of the
    busiest region at the documented 10 calls/s."""
    per_region: dict[str, int] = {}
    for a in after["actions"]:
        if a["action"] in PRICE_ACTIONS:
            per_region[a["region"]] = per_region.get(a["region"], 0) + a["calls"]
    cost = priced["result"]["summary"].get("cost") or {}
    return {
        "price_calls": sum(per_region.values()),
        "leftover_price_calls": sum(a["calls"] for a in after["actions"] if a["action"] in LEFTOVER_PRICE_ACTIONS),
        "price_calls_minimum": price_minimum(data),
        "pricing_bound_s": round(max(per_region.values(), default=0) / 10, 2),
        "wall_s_without_pricing": round(unpriced["wall_s"], 2),
        "pricing_added_s": round(priced["wall_s"] - unpriced["wall_s"], 2),
        "pricing_ratio": round(priced["wall_s"] / unpriced["wall_s"], 3),
        "same_orphans_without_pricing": [o["instance_id"] for o in priced["result"]["orphans"]]
        == [o["instance_id"] for o in unpriced["result"]["orphans"]],
        "unpriced": len(cost.get("unpriced", [])),
        "monthly_cost": cost.get("monthly"),
    }


def _ideal(
    url: str, data: dict[str, Any], tmp: Path, scan: dict[str, Any], seen: dict[str, Any], bound: float
) -> dict[str, Any]:
    """The scan without pricing (the same calls as the ideal client: the listing) and, right after it against the
    same emulator, the ideal client; with the ratios of the one to the other and to the bound."""

    def measured(run: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        calls = after["totals"]["calls"]
        return {
            "wall_s": round(run["wall_s"], 2),
            "cpu_s": round(run["cpu_s"], 2),
            "cpu_ms_per_call": round(1000 * run["cpu_s"] / max(1, calls), 2),
            "peak_rss_mb": round(run["peak_rss_mb"], 1),
            "calls": calls,
            "throttled": after["totals"]["throttled"] - after["totals"]["faults"],
        }

    stats(url, reset=True)
    ideal = run_ideal(url, data, tmp)
    product, client = measured(scan, seen), measured(ideal, stats(url))
    return {
        "listing": product,
        "ideal": client,
        "wall_to_ideal": round(product["wall_s"] / client["wall_s"], 2),
        "cpu_to_ideal": round(product["cpu_s"] / client["cpu_s"], 2),
        "wall_to_bound": round(product["wall_s"] / bound, 2),
        "ideal_to_bound": round(client["wall_s"] / bound, 2),
    }


def bench_world(spec: WorldSpec, baseline: bool, pricing: bool = True, ideal: bool = True) -> dict[str, Any]:
    path, data = world_file(spec)
    with tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-") as tmp_name:
        tmp = Path(tmp_name)
        emu, url = start_emulator(path, spec, tmp)
        try:
            stats(url, reset=True)
            scan = run_scan(url, data, tmp)
            after = stats(url)
            row: dict[str, Any] = {
                "world": spec.name,
                "regions": spec.regions,
                "instances": spec.instances,
                "clusters": spec.clusters,
                "latency_ms": spec.latency_ms,
                "throttle": spec.throttle,
            }
            calls: dict[str, int] = {}
            listing = sum(a["calls"] for a in after["actions"]
                          if a["action"] not in PRICE_ACTIONS + LEFTOVER_PRICE_ACTIONS)  # fmt: skip
            for a in after["actions"]:
                key = f"{a['service']}.{a['action']}"
                calls[key] = calls.get(key, 0) + a["calls"]
            minimum: dict[str, int] = {}
            for per_region in minimum_calls(data).values():
                for (s, a), n in per_region.items():
                    minimum[f"{s}.{a}"] = minimum.get(f"{s}.{a}", 0) + n
            minimum["region.DescribeRegions"] = 1
            leftover_minimum: dict[str, int] = {}
            for per_region in leftover_calls(data).values():
                for (s, a), n in per_region.items():
                    leftover_minimum[f"{s}.{a}"] = leftover_minimum.get(f"{s}.{a}", 0) + n
            for k, n in leftover_minimum.items():
                minimum[k] = minimum.get(k, 0) + n
            real_throttled = after["totals"]["throttled"] - after["totals"]["faults"]
            found = {(o["region"], o["instance_id"]) for o in scan["result"]["orphans"]}
            bound = lower_bound(data, spec.latency_ms / 1000, leftovers=True)
            row |= {
                "exit": scan["exit"],
                "status": scan["result"]["status"],
                "wall_s": round(scan["wall_s"], 2),
                "cpu_s": round(scan["cpu_s"], 2),
                "cpu_share": round(scan["cpu_s"] / scan["wall_s"], 3),
                "peak_rss_mb": round(scan["peak_rss_mb"], 1),
                "bound_s": round(bound, 2),
                "ratio": round(scan["wall_s"] / bound, 2),
                # The listing's calls (pricing's are counted apart, below).
                "calls": listing,
                "calls_minimum": sum(minimum.values()),
                "calls_by_action": calls,
                "minimum_by_action": minimum,
                "injected_throttles": after["totals"]["faults"],
                "throttled": real_throttled,
                "throttled_share": round(real_throttled / max(1, after["totals"]["calls"]), 4),
                # How far the adaptive pacer slowed each API down (lowest share of its rate, over all regions).
                "rate_adapted": _lowest_shares(scan["result"]["regions"]),
                # The leftovers' calls: each region's listings by tag, then its cluster checks (in `calls` too).
                "leftover_calls": sum(calls.get(k, 0) for k in leftover_minimum),
                "leftover_calls_minimum": sum(leftover_minimum.values()),
                "leftovers": len(scan["result"].get("leftovers", [])),
                "correct": found == {(o["region"], o["instance_id"]) for o in data["answer_key"]["orphans"]}
                and leftovers_right(scan["result"], data),
                **compare(found, data),
            }
            if ideal or pricing:
                stats(url, reset=True)
                unpriced = run_scan(url, data, tmp, pricing=False)
                listing = stats(url)
                if pricing:
                    row |= _pricing(after, scan, unpriced, data)
                if ideal:
                    row |= _ideal(url, data, tmp, unpriced, listing, bound)
            if baseline:
                stats(url, reset=True)
                region = sorted(data["regions"])[0]
                cred = data["credentials"][0]
                started = time.monotonic()
                reported = original_scan(url.removeprefix("http://"), cred["secret_id"], cred["secret_key"], region)
                row["baseline"] = {
                    "wall_s": round(time.monotonic() - started, 2),
                    "regions_scanned": 1,
                    "calls": stats(url)["totals"]["calls"],
                    **compare({(region, i) for i in reported}, data),
                }
            return row
        finally:
            emu.terminate()
            emu.wait(timeout=30)


def bench_org(workers: list[int], spec: WorldSpec = ORG, accounts: int = ORG_ACCOUNTS) -> dict[str, Any]:
    """The organization-sized estate, scanned by `bench/organization.py` with each number of worker processes, one after
    another against one emulator: wall, the CPU of the parent and of the workers, the state's share of each pass."""
    path, data = world_file(spec)
    regions = sorted(data["regions"])
    per = -(-len(regions) // accounts)
    cred = data["credentials"][0]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-org-") as tmp_name:
        tmp = Path(tmp_name)
        emu, url = start_emulator(path, spec, tmp)
        try:
            plan = tmp / "org.json"
            plan.write_text(json.dumps({
                "url": url, "secret_id": cred["secret_id"], "secret_key": cred["secret_key"],
                "accounts": {f"account-{i + 1}": regions[i * per:(i + 1) * per] for i in range(accounts)},
                "orphans": [[o["region"], o["instance_id"]] for o in data["answer_key"]["orphans"]],
            }), encoding="utf-8")  # fmt: skip
            for n in workers:
                stats(url, reset=True)
                out = tmp / f"org-{n}.json"
                proc = subprocess.run([sys.executable, str(ROOT / "bench" / "organization.py"), str(plan), str(n),
                                       str(tmp / f"state-{n}.db"), str(out)], check=False)  # fmt: skip
                after = stats(url)
                run = json.loads(out.read_text(encoding="utf-8"))
                run |= {"exit": proc.returncode, "calls": after["totals"]["calls"],
                        "throttled": after["totals"]["throttled"] - after["totals"]["faults"]}  # fmt: skip
                runs.append(run)
        finally:
            emu.terminate()
            emu.wait(timeout=30)
    return {"world": spec.name, "regions": spec.regions, "accounts": accounts, "instances": spec.instances,
            "clusters": spec.clusters, "bound_s": round(lower_bound(data, spec.latency_ms / 1000), 2),
            "calls_minimum": sum(n for r in minimum_calls(data).values() for n in r.values()),
            "runs": runs}  # fmt: skip


def org_table(org: dict[str, Any]) -> str:
    """Workers side by side: each pass's wall and CPU (this process / its workers), ratios to one worker's."""
    head = ("| workers | pass | wall s | wall / 1 worker's | wall / bound | CPU s: parent / each worker | "
            "CPU / 1 worker's | calls (minimum) | throttled | state s: record_scan / node history / lifecycle | "
            "state / wall | orphans right |")  # fmt: skip
    lines = [head, "|" + "---|" * 12]
    first = {p["pass"]: p for p in org["runs"][0]["passes"]}
    for run in org["runs"]:
        for p in run["passes"]:
            one = first[p["pass"]]
            total = p["cpu_parent_s"] + sum(p["cpu_workers_s"])
            total_one = one["cpu_parent_s"] + sum(one["cpu_workers_s"])
            workers = " + ".join(str(c) for c in p["cpu_workers_s"]) or "-"
            s = p["state_s"]
            lines.append(
                f"| {run['workers']} | {p['pass']} | {p['wall_s']} | **{round(p['wall_s'] / one['wall_s'], 2)}** | "
                f"{round(p['wall_s'] / org['bound_s'], 2)} | {p['cpu_parent_s']} / {workers} | "
                f"{round(total / total_one, 2)} | {run['calls'] // len(run['passes']):,} ({org['calls_minimum']:,}) | "
                f"{run['throttled']} | {s['record_scan']} / {s['node_history']} / {s['lifecycle']} | "
                f"**{p['state_share']:.1%}** | {'yes' if p['correct'] else 'NO'} |"
            )
    return "\n".join(lines)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| world | regions / instances / clusters | wall s | bound s | ratio | CPU s (share) | peak RSS MB | "
            "calls (minimum) | throttled | orphans right | original checker: wall s, false, missed |")  # fmt: skip
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        b = r.get("baseline")
        base = f"{b['wall_s']} (1 region), {b['false_orphans']} false, {b['missed']} missed" if b else "-"
        throttled = f"{r['throttled']} ({r['throttled_share']:.1%})"
        if r["injected_throttles"]:
            throttled += f" + {r['injected_throttles']} injected"
        lines.append(
            f"| {r['world']} | {r['regions']} / {r['instances']:,} / {r['clusters']:,} | {r['wall_s']} | "
            f"{r['bound_s']} | {r['ratio']} | {r['cpu_s']} ({r['cpu_share']:.0%}) | {r['peak_rss_mb']} | "
            f"{r['calls']:,} ({r['calls_minimum']:,}) | {throttled} | "
            f"{'yes' if r['correct'] else 'NO'} ({r['expected']:,}) | {base} |"
        )
    return "\n".join(lines)


def ratios(rows: list[dict[str, Any]]) -> str:
    """The side-by-side table: the scan without pricing, the ideal client and the rate-limit bound, in one run."""
    head = ("| world | wall: scan / ideal / bound s | scan / ideal | scan / bound | ideal / bound | "
            "CPU: scan / ideal s | scan / ideal | CPU ms per call: scan / ideal | calls: scan / ideal (minimum) | "
            "throttled: scan / ideal | peak RSS MB: scan / ideal |")  # fmt: skip
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        p, i = r.get("listing"), r.get("ideal")
        if not (p and i):
            continue
        lines.append(
            f"| {r['world']} | {p['wall_s']} / {i['wall_s']} / {r['bound_s']} | **{r['wall_to_ideal']}** | "
            f"{r['wall_to_bound']} | {r['ideal_to_bound']} | {p['cpu_s']} / {i['cpu_s']} | **{r['cpu_to_ideal']}** | "
            f"{p['cpu_ms_per_call']} / {i['cpu_ms_per_call']} | {p['calls']:,} / {i['calls']:,} "
            f"({r['calls_minimum']:,}) | {p['throttled']} / {i['throttled']} | "
            f"{p['peak_rss_mb']} / {i['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def leftover_table(rows: list[dict[str, Any]]) -> str:
    """What listing the leftovers (every kind) adds to each scan: its calls, beside the VM listing's."""
    lines = ["| world | leftover calls: listings + cluster checks (minimum) | all calls (minimum) | leftovers found | "
             "right |", "|" + "---|" * 5]  # fmt: skip
    for r in rows:
        by = r["calls_by_action"]
        checks = sum(by.get(f"{s}.{a}", 0) for s, a in OTHER_CLUSTERS)
        lines.append(f"| {r['world']} | {r['leftover_calls']:,}: {r['leftover_calls'] - checks:,} + {checks:,} "
                     f"({r['leftover_calls_minimum']:,}) | {r['calls']:,} ({r['calls_minimum']:,}) | "
                     f"{r['leftovers']:,} | {'yes' if r['correct'] else 'NO'} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--worlds", default="S,M", help="comma-separated names, or 'all': " + ", ".join([*WORLDS, *ORGS])
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the original checker's run")
    parser.add_argument("--json", type=Path, help="write the rows here as JSON")
    parser.add_argument("--no-pricing", action="store_true", help="skip the second scan without pricing")
    parser.add_argument("--no-ideal", action="store_true", help="skip the ideal client's run")
    parser.add_argument("--org", default="", help="the organization-sized estate with these numbers of worker "
                        "processes, side by side: '1,2'")  # fmt: skip
    parser.add_argument("--org-regions-named", action="store_true", help="organizations: each number of workers "
                        "also with the regions named instead of 'all' (no DescribeRegions per account)")  # fmt: skip
    args = parser.parse_args()
    names = [] if args.worlds == "none" else [*WORLDS, *ORGS] if args.worlds == "all" else args.worlds.split(",")
    unknown = [n for n in names if n not in WORLDS and n not in ORGS]
    if unknown:
        parser.error(f"no world named {', '.join(unknown)}: choose from {', '.join([*WORLDS, *ORGS])}")
    rows = []
    for name in [n for n in names if n in WORLDS]:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        rows.append(
            bench_world(
                WORLDS[name], baseline=not args.no_baseline, pricing=not args.no_pricing, ideal=not args.no_ideal
            )
        )
        print(f"[bench] {name}: {json.dumps({k: v for k, v in rows[-1].items() if 'by_action' not in k})}",
              file=sys.stderr, flush=True)  # fmt: skip
    print(f"Machine: {machine()}\n")
    if any("ideal" in r for r in rows):
        print(ratios(rows) + "\n")
    if rows:
        print(table(rows) + "\n\n" + leftover_table(rows))
    priced = [r for r in rows if "price_calls" in r]
    if priced:
        print(
            "\n| world | price calls (minimum) | pricing bound s | wall s with / without pricing | ratio | unpriced |"
        )
        print("|" + "---|" * 6)
        for r in priced:
            print(f"| {r['world']} | {r['price_calls']:,} ({r['price_calls_minimum']:,}) | {r['pricing_bound_s']} | "
                  f"{r['wall_s']} / "
                  f"{r['wall_s_without_pricing']} | {r['pricing_ratio']} | {r['unpriced']} |")  # fmt: skip
    orgs = []
    for name in [n for n in names if n in ORGS]:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        orgs.append(bench_organization(ORGS[name], also_named=args.org_regions_named))
        print(f"[bench] {name}: {json.dumps(orgs[-1])}", file=sys.stderr, flush=True)
    if orgs:
        print(
            "\nOrganizations (issue 23): each account its own credentials, limits and world; regions: all, the default "
            "kinds of leftover, pricing off.\n"
        )
        print(org_ratios(orgs))
        if len(orgs) > 1:
            print("\n" + memory_trend(orgs))
    org = bench_org([int(n) for n in args.org.split(",")]) if args.org else None
    if org:
        print(f"\n{org['world']}: {org['regions']} regions as {org['accounts']} accounts, {org['instances']:,} "
              f"instances, {org['clusters']:,} clusters; bound {org['bound_s']} s\n")  # fmt: skip
        print(org_table(org))
    if args.json:
        doc = {"machine": machine(), "rows": rows, "organizations": orgs, **({"org": org} if org else {})}
        args.json.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    correct = all(r["correct"] and r["assume_role_once"] for o in orgs for r in o["runs"])
    correct = (
        correct
        and all(r["correct"] for r in rows)
        and all(p["correct"] for r in (org or {}).get("runs", []) for p in r["passes"])
    )
    return 0 if correct else 1


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    sys.exit(main())
