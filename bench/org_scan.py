"""The organization benchmark (issue 23): a generated organization served by the emulator (the management account
and every member an account of its own: its credentials, rate limits and world), scanned by `tke-orphans scan` with
`tencentcloud.organization` enabled, as a user would, with 1 worker process and with N, side by side with the
rate-limit bound.

Each run is a separate process measured as a tree (bench/measure.py: the CPU of the scan, its fork server and its
workers; the largest process's peak RSS and the tree's summed peak), against one emulator with the real limits and
50 ms latency, its statistics reset before. Every account is checked against its own answer key (orphans and
leftovers), every member with its role must be scanned in every region, every member without it must be the scan's
failure with the fix (exit 3), and each member's role must be assumed exactly once (the emulator's
`assumed_roles`); each account's calls are compared with its own minimum.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from harness import CACHE, CLI, LEFTOVER_KINDS, measured, start_emulator, stats
from worlds import OrgSpec, accounts_of, org_lower_bound, org_minimum

from tke_orphans.scan import default_workers
from tke_orphans_testkit.emulator.generate import write_world
from tke_orphans_testkit.emulator.generate_org import generate_organization

MANAGER = "default"


def org_file(spec: OrgSpec) -> tuple[Path, dict[str, Any]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (f"org-{spec.members}m-{spec.without_role}n-{spec.regions}r-{spec.instances}i-{spec.clusters}c"
                    f"-s{spec.seed}.json")  # fmt: skip
    if path.exists():
        return path, json.loads(path.read_text(encoding="utf-8"))
    data = generate_organization(members=spec.members, regions=spec.regions, instances=spec.instances,
                                 clusters=spec.clusters, seed=spec.seed, without_role=spec.without_role)  # fmt: skip
    write_world(data, path)
    return path, data


def scan(url: str, data: dict[str, Any], tmp: Path, workers: int, named: bool = False) -> dict[str, Any]:
    """`tke-orphans scan` of the organization on the management account's keys, measured as a process tree; with
    `named`, the regions named (every account has the same ones) instead of `all` (a DescribeRegions per account)."""
    cred = data["credentials"][0]
    regions: list[str] | str = sorted(data["regions"]) if named else "all"
    cfg = tmp / f"config-{workers}.yaml"
    cfg.write_text(json.dumps({
        "tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "uin": cred["uin"],
                         "regions": regions, "endpoint_url": url, "workers": workers,
                         "organization": {"enabled": True}},
        # The listing only (pricing's calls have budgets of their own: the single-account worlds measure them).
        "pricing": {"enabled": False},
        # Who left each finding (CloudAudit) comes after the scan, a courtesy with budgets of its own.
        "detection": {"leftovers": LEFTOVER_KINDS, "origin": {"enabled": False}},
    }), encoding="utf-8")  # fmt: skip
    out = tmp / f"result-{workers}.json"
    with out.open("w") as fh:
        cmd = [*CLI, "scan", "-c", str(cfg), "--state", str(tmp / f"state-{workers}.db"), "-o", "json", "--no-notify"]
        usage = measured(cmd, tmp, stdout=fh, stderr=subprocess.PIPE, env={**os.environ, "HOME": str(tmp)})
    # The wall is the command's own (measure.py's, until the scan exits; not the fork server's exit after it).
    return {**usage, "result": json.loads(out.read_text(encoding="utf-8"))}


def _account_right(result: dict[str, Any], name: str, world: dict[str, Any]) -> bool:
    """The account's orphans and leftovers (the kinds scanned; reused CLBs apart) exactly its answer key's."""
    key = world["answer_key"]
    found = {(o["region"], o["instance_id"]) for o in result["orphans"] if o["account"] == name}
    listed = [x for x in result.get("leftovers", []) if x["account"] == name]
    made = {(x["region"], x["kind"], x["resource_id"], x["cluster_id"]) for x in key.get("leftovers", [])
            if x["kind"] in LEFTOVER_KINDS}  # fmt: skip
    return (
        found == {(o["region"], o["instance_id"]) for o in key["orphans"]}
        and made == {(x["region"], x["kind"], x["resource_id"], x["cluster_id"]) for x in listed if not x["reused"]}
        and {(x["region"], x["resource_id"]) for x in key.get("reused", [])}
        == {(x["region"], x["resource_id"]) for x in listed if x["reused"]}
    )


def check(result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Whether the scan is right: every reachable account scanned in each of its regions and its findings exactly
    its answer key's; every member without the role the scan's failure naming it and the role (nothing of it
    listed); no orphan of any account that its key lacks."""
    accounts = accounts_of(data)
    expected = {(a, o["region"], o["instance_id"]) for a, w in accounts.items() for o in w["answer_key"]["orphans"]}
    found = {(o["account"], o["region"], o["instance_id"]) for o in result["orphans"]}
    scanned = {(r["account"], r["region"]) for r in result["regions"] if r["status"] == "ok"}
    roleless = [m for m in data["organization"]["members"] if "role" not in m]
    refused = [e for e in result["errors"] if e["api"] == "sts.AssumeRole"]
    told = all(
        any(m["uin"] in e["message"] and e["code"] == "ResourceNotFound.RoleNotFound" for e in refused)
        for m in roleless
    )
    wrong = sorted(a for a, w in accounts.items() if not _account_right(result, a, w))
    return {
        "accounts": len(accounts),
        "expected": len(expected),
        "false_orphans": len(found - expected),
        "missed": len(expected - found),
        "wrong_accounts": wrong,
        "all_regions_ok": scanned == {(a, r) for a, w in accounts.items() for r in w["regions"]},
        "roleless_told": told and len(refused) == len(roleless),
        "correct": not wrong
        and found == expected
        and told
        and len(refused) == len(roleless)
        and scanned == {(a, r) for a, w in accounts.items() for r in w["regions"]},
    }


def _calls(after: dict[str, Any], data: dict[str, Any], named: bool) -> dict[str, Any]:
    """The calls the emulator counted, against the minimum: AssumeRole per member, and each account's own."""
    minimum = org_minimum(data, named)
    by_uin = after["accounts"]
    uins = {MANAGER: data["credentials"][0]["uin"]} | {m["name"]: m["uin"] for m in data["organization"]["members"]}
    manager_rows = by_uin.get(uins[MANAGER], {}).get("actions", [])
    org_calls = {f"{r['service']}.{r['action']}" for r in manager_rows} & {
        "organization.DescribeOrganizationMembers", "sts.AssumeRole"}  # fmt: skip
    own = {name: by_uin.get(uins[name], {}).get("totals", {}).get("calls", 0) for name in accounts_of(data)}
    own[MANAGER] -= sum(r["calls"] for r in manager_rows if f"{r['service']}.{r['action']}" in org_calls)
    assumed: dict[str, int] = {}
    for a in after["assumed_roles"]:
        assumed[a["member"]] = assumed.get(a["member"], 0) + 1
    with_role = [m["uin"] for m in data["organization"]["members"] if "role" in m]
    asked = sum(r["calls"] for r in manager_rows if r["action"] == "AssumeRole")
    return {
        "calls": after["totals"]["calls"],
        "calls_minimum": sum(minimum.values()),
        "throttled": after["totals"]["throttled"] - after["totals"]["faults"],
        "assume_role_calls": asked,
        # Exactly once per member: each reachable member's role answered once, and one refusal per roleless member.
        "assume_role_once": assumed == dict.fromkeys(with_role, 1) and asked == len(data["organization"]["members"]),
        "accounts_over_minimum": sorted(a for a, n in own.items() if n != minimum[a]),
    }


def _cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (the emulator's: it shares the machine's cores with the scan); 0 without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_organization(spec: OrgSpec, workers: list[int] | None = None, also_named: bool = False) -> dict[str, Any]:
    """The organization scanned with each number of worker processes (1 and the default, by default), one after
    another against one emulator; each run's figures, its checks, and its ratios to the bound and to 1 worker's.
    `also_named`: each number of workers also with the regions named in the config instead of `all`, right after."""
    path, data = org_file(spec)
    bound = org_lower_bound(data, spec.latency_ms / 1000)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-") as tmp_name:
        tmp = Path(tmp_name)
        emu, url = start_emulator(path, spec, tmp)
        try:
            for n in workers or sorted({1, max(2, default_workers())}):
                for named in (False, True) if also_named else (False,):
                    stats(url, reset=True)
                    emulator_cpu = _cpu_of(emu.pid)
                    run = scan(url, data, tmp, n, named)
                    emulator_cpu = _cpu_of(emu.pid) - emulator_cpu
                    runs.append({
                        "workers": n,
                        "regions_named": named,
                        "exit": run["exit"],
                        "status": run["result"]["status"],
                        "wall_s": round(run["wall_s"], 2),
                        "cpu_s": round(run["cpu_s"], 2),
                        "emulator_cpu_s": round(emulator_cpu, 2),
                        "peak_rss_mb": round(run["peak_rss_mb"], 1),
                        "tree_rss_mb": round(run["tree_rss_mb"], 1),
                        **_calls(stats(url), data, named),
                        **check(run["result"], data),
                    })  # fmt: skip
        finally:
            emu.terminate()
            emu.wait(timeout=30)
    for r in runs:
        one = next(o for o in runs if o["regions_named"] == r["regions_named"])  # the first: 1 worker, by default
        r["wall_to_bound"] = round(r["wall_s"] / bound, 2)
        r["wall_to_one"] = round(r["wall_s"] / one["wall_s"], 2)
        r["cpu_to_one"] = round(r["cpu_s"] / one["cpu_s"], 2)
        r["rss_to_one"] = round(r["tree_rss_mb"] / one["tree_rss_mb"], 2)
        r["cpu_ms_per_call"] = round(1000 * r["cpu_s"] / max(1, r["calls"]), 2)
    return {"world": spec.name, "members": spec.members, "without_role": spec.without_role, "regions": spec.regions,
            "instances": spec.instances * (spec.members + 1), "clusters": spec.clusters * (spec.members + 1),
            "bound_s": round(bound, 2), "runs": runs}  # fmt: skip


def org_ratios(orgs: list[dict[str, Any]]) -> str:
    """Each organization's runs side by side: wall, CPU and memory as ratios to the bound and to 1 worker's."""
    head = ("| organization | workers | wall s | wall / bound | wall / 1 worker's | CPU s (ms per call) | "
            "CPU / 1 worker's | emulator CPU s | peak RSS MB: tree (largest process) | tree / 1 worker's | "
            "calls (minimum) | AssumeRole calls: once per member | throttled | "
            "right: accounts, orphans (false, missed) |")  # fmt: skip
    lines = [head, "|" + "---|" * 14]
    for org in orgs:
        for r in org["runs"]:
            right = "yes" if r["correct"] else f"NO ({', '.join(r['wrong_accounts']) or 'see the JSON'})"
            lines.append(
                f"| {org['world']} ({org['members']} members, {org['without_role']} without the role; "
                f"bound {org['bound_s']} s) | {r['workers']}{', regions named' if r['regions_named'] else ''} | "
                f"{r['wall_s']} | **{r['wall_to_bound']}** | "
                f"**{r['wall_to_one']}** | {r['cpu_s']} ({r['cpu_ms_per_call']}) | **{r['cpu_to_one']}** | "
                f"{r['emulator_cpu_s']} | {r['tree_rss_mb']} ({r['peak_rss_mb']}) | {r['rss_to_one']} | {r['calls']:,} "
                f"({r['calls_minimum']:,}) | {r['assume_role_calls']}: {'yes' if r['assume_role_once'] else 'NO'} | "
                f"{r['throttled']} | {right}: {r['accounts']}, {r['expected']:,} ({r['false_orphans']}, "
                f"{r['missed']}) |"
            )
    return "\n".join(lines)


def memory_trend(orgs: list[dict[str, Any]]) -> str:
    """Peak memory as the members grow, among organizations of as many regions: what each added member adds, and
    the ratio to the fewest members'."""
    rows = sorted(orgs, key=lambda o: (o["regions"], o["members"]))
    lines = ["| regions | members | workers | peak RSS MB: tree (largest process) | MB per member added (from the row "
             "of fewer members) | tree / fewest members' |", "|" + "---|" * 6]  # fmt: skip
    before: dict[tuple[int, int], tuple[int, float]] = {}
    first: dict[tuple[int, int], float] = {}
    for org in rows:
        for r in [r for r in org["runs"] if not r["regions_named"]]:
            key, mb = (org["regions"], r["workers"]), r["tree_rss_mb"]
            members, was = before.get(key, (org["members"], mb))
            added = f"{(mb - was) / (org['members'] - members):.2f}" if org["members"] > members else "-"
            lines.append(f"| {org['regions']} | {org['members']} | {r['workers']} | {mb} ({r['peak_rss_mb']}) | "
                         f"{added} | {mb / first.setdefault(key, mb):.2f} |")  # fmt: skip
            before[key] = (org["members"], mb)
    return "\n".join(lines)
