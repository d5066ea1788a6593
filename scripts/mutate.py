"""The promise check: each README promise broken by a one-line change of the code, and the tests that must go red.

`make mutate` applies one mutation at a time, runs the tests named for it, restores the file, and reports which
mutations survived (the tests stayed green: a promise without a test). With `--write` it also writes the score to
docs/mutation.md. Hand-picked mutations of the promises, not a blind mutation run: mutmut or cosmic-ray over the
whole tree take hours here and mostly mutate log lines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "tke_orphans"


@dataclass(frozen=True)
class Mutation:
    promise: str
    file: str  # under src/tke_orphans
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS = [
    Mutation("an incomplete region resolves nothing", "state/lifecycle.py",
             "if snap is None or not snap.complete:", "if snap is None:", ("tests/state/test_lifecycle.py",)),
    Mutation("an unverified orphan is not resolved", "state/lifecycle.py",
             "if key in current or key in unverified:", "if key in current:", ("tests/state",)),
    Mutation("cleanup re-checks with TKE's DescribeExistedInstances", "cleanup/run.py",
             "existed = lister.existed_owners(ids)", "existed = {i: '' for i in ids}", ("tests/cleanup",)),
    Mutation("cleanup leaves what TKE says is in a cluster", "cleanup/plan.py",
             "    if existed_in:\n", "    if False:\n", ("tests/cleanup",)),
    Mutation("mutating calls are retried only when throttled", "cloud/session.py",
             "retry = not mutating and is_retryable(code)", "retry = is_retryable(code)",
             ("tests/cleanup/test_failures.py",)),
    Mutation("throttling has its own budget (a deadline)", "cloud/session.py",
             "retry = self._clock() + delay < self.deadline", "retry = throttles < self._retry.max_attempts",
             ("tests/scan/test_throttling.py",)),
    Mutation("a stopped pass stops its worker processes", "fanout.py",
             "stop.set()  # each worker's calls stop at once", "pass  # each worker's calls stop at once",
             ("tests/scan/test_workers.py",)),
    Mutation("the pacer slows down when throttled", "cloud/ratelimit.py",
             "share = max(FLOOR, self._share.get(key, 1.0) / 2)", "share = 1.0", ("tests/scan/test_throttling.py",)),
    Mutation("an SDK error's bytes become text (a 5xx does not crash the scan)", "cloud/errors.py",
             'code, message = as_text(code, 100) or "ClientError", as_text(message)', "pass",
             ("tests/state/test_every_fault.py",)),
    Mutation("a region listing missing an item is an error", "cloud/inventory.py",
             '    _check_total("region.DescribeRegions", total, total, len({d.get("Region") for d in items}), None)\n',
             "", ("tests/state/test_every_fault.py",)),
    Mutation("scan errors are told once, not every run", "job.py",
             "new_issues = issue_keys(result) - told", "new_issues = issue_keys(result)",
             ("tests/state/test_lifecycle.py",)),
    Mutation("only the owed parts are sent again", "job.py",
             "notifier.deliver(notice_from_dict(doc, result), entry.owes, accepted)",
             "notifier.deliver(notice_from_dict(doc, result), None, accepted)", ("tests/state",)),
    Mutation("each accepted part is recorded at once", "job.py",
             "                if d.ok:\n", "                if False:\n", ("tests/state/test_outbox.py",)),
    Mutation("a stop wakes a pacing wait", "notify/pacing.py",
             "stop.wait if stop is not None else sleep", "sleep", ("tests/state/test_outbox.py::"
             "test_sigterm_during_a_pacing_wait_stops_at_once_and_keeps_the_notice_owed",)),
    Mutation("a newer digest supersedes an undelivered one", "state/outbox.py",
             'if kind == "reminder":', "if False:", ("tests/state/test_outbox.py",)),
    Mutation("a notice refused too long is given up", "job.py",
             "if entry.attempts >= limits.max_attempts or age > limits.max_age:", "if False:",
             ("tests/state/test_outbox.py",)),
    Mutation("the state lock holds through a symlink", "state/db.py",
             'lock_path = Path(f"{os.path.realpath(self.path)}.lock")', 'lock_path = Path(f"{self.path}.lock")',
             ("tests/state/test_database.py",)),
    Mutation("a failed transaction is rolled back", "state/db.py",
             '                    self.conn.execute("ROLLBACK")\n', "                    pass\n",
             ("tests/state/test_database.py",)),
    Mutation("mentions count in part 1's size", "notify/compose.py",
             'extra = first_extra if len(groups) == 1 else ""', 'extra = ""', ("tests/notify/test_messages.py",)),
    Mutation("a generic webhook's 4xx is not retried", "notify/generic.py",
             "if resp.status_code < 500 and resp.status_code != 429:", "if False:",
             ("tests/notify/test_delivery.py",)),
    Mutation("control characters are shown, not obeyed", "sanitize.py",
             "    return _HIDDEN.sub(_escaped, text)\n", "    return text\n",
             ("tests/cli/test_hostile_cloud_text.py",)),
    Mutation("a CSV cell cannot be a formula", "sanitize.py",
             """return "'" + text if text.startswith(_FORMULA_START) else text""", "return text",
             ("tests/cli/test_hostile_cloud_text.py",)),
    Mutation("the status page's auth is checked", "serve/web.py",
             'if needs_auth(auth, url.path) and not authorized(auth, self.headers.get("Authorization")):',
             "if False:", ("tests/serve/test_exposed.py",)),
    Mutation("serve bounds its connections", "serve/web.py",
             "if not self._slots.acquire(blocking=False):", "if not self._slots.acquire():",
             ("tests/serve/test_exposed.py",)),
    Mutation("a price that cannot be had is null, never 0", "cloud/pricing.py",
             'return Quote(None, None, None, "; ".join(failed))', 'return Quote(0.0, 0.0, None, "; ".join(failed))',
             ("tests/scan/test_pricing.py",)),
    Mutation("a cached price is asked again after pricing.cache_ttl", "pricing.py",
             "cache.fresh(account, keys, now, ttl)", "cache.fresh(account, keys, now, ttl * 1000)",
             ("tests/scan/test_pricing.py",)),
    Mutation("a leftover's cluster is proven deleted", "detect_leftovers.py",
             "if r.kind not in kinds or not cluster_id or cluster_id in live or _ignored(r, ignore_tags):",
             "if r.kind not in kinds or not cluster_id or _ignored(r, ignore_tags):",
             ("tests/scan/test_leftovers.py",)),
    Mutation("an attached disk or a bound EIP is no leftover", "detect_leftovers.py",
             "elif made and not r.attached:", "elif made:", ("tests/scan/test_leftovers.py",)),
    Mutation("an ignore tag keeps a leftover out", "detect_leftovers.py",
             " or cluster_id in live or _ignored(r, ignore_tags):", " or cluster_id in live:",
             ("tests/scan/test_leftovers.py",)),
    Mutation("a serverless or edge cluster is not a deleted one", "scan.py",
             "live = scan.live_clusters | other_live_clusters(session, where[1], unknown)",
             "live = scan.live_clusters", ("tests/scan/test_leftovers.py",)),
    Mutation("a failed listing resolves no leftover", "state/lifecycle.py",
             " or snap is None or kind not in snap.leftover_kinds:", " or snap is None:",
             ("tests/state/test_leftover_lifecycle.py",)),
    Mutation("a leftover is told once, then in a digest", "job.py",
             "state.leftovers.mark_notified([*p.new_leftovers, *p.remind_leftovers], result.scanned_at)", "pass",
             ("tests/state/test_leftover_lifecycle.py",)),
    Mutation("terminate batches have one charge type", "cloud/actions.py",
             "by_type.setdefault(charge, []).append(iid)", 'by_type.setdefault("any", []).append(iid)',
             ("tests/cleanup",)),
    Mutation("a mark is never reset", "cleanup/plan.py",
             'if opts.action == "mark" and fresh.tag(MARK_TAG):', "if False:", ("tests/cleanup",)),
    Mutation("terminate needs a mark", "cleanup/plan.py",
             "        if opts.unmarked:\n", "        if True:\n", ("tests/cleanup",)),
    Mutation("leftover cleanup re-checks that the cluster is still gone", "cleanup/leftover_plan.py",
             "    if cluster in live:", "    if False:", ("tests/cleanup/test_leftovers.py",)),
    Mutation("leftover cleanup leaves a disk attached or an address bound since", "cleanup/leftover_plan.py",
             "    if in_use:", "    if False:", ("tests/cleanup/test_leftovers.py",)),
    Mutation("leftover cleanup never deletes a protected load balancer", "cleanup/leftover_plan.py",
             "    if fresh.protected:", "    if False:", ("tests/cleanup/test_leftovers.py",)),
    Mutation("leftover cleanup never touches a reused load balancer", "cleanup/leftover_plan.py",
             "        if x.reused:", "        if False:", ("tests/cleanup/test_leftovers.py",)),
    # Leftovers told (issue 16): messages, metrics, history.
    Mutation("a user's reused CLB is in no cleanup command", "notify/leftover_text.py",
             "leftover=None if x.reused else (x.kind.value, x.resource_id)", "leftover=(x.kind.value, x.resource_id)",
             ("tests/state/test_leftovers_told.py",)),
    Mutation("a user's reused CLB is in no cost total", "costs.py",
             "s = _sum([x for x in priced if not x.reused], dims,", "s = _sum(priced, dims,",
             ("tests/notify/test_leftover_wording.py", "tests/scan/test_leftover_pricing.py")),
    Mutation("a leftover's cloud text is escaped in messages", "notify/leftover_text.py",
             "_clean('; '.join(x.evidence))", "'; '.join(x.evidence)", ("tests/state/test_leftovers_told.py",)),
    Mutation("a leftover kind whose listing failed has no count, not 0", "serve/metrics.py",
             "if kind in kinds:  # present at 0", "if True:  # present at 0", ("tests/serve/test_leftovers_shown.py",)),
    Mutation("the history never calls a reused CLB a leftover", "state/leftovers.py",
             "if x.reused:  # a user's CLB", "if False:  # a user's CLB", ("tests/state/test_leftovers_told.py",)),
    # The review of issue 16: short answers, serverless clusters at cleanup, the ignore tag.
    Mutation("a short by-id answer fails the leftover listing", "cloud/leftovers.py",
             "if len(items) != total or total > asked:", "if False:",
             ("tests/scan/test_leftovers.py", "tests/state/test_leftover_lifecycle.py")),
    Mutation("a leftover the tag listing misses is looked up by id before it is gone", "job.py",
             "        drop_still_listed(p, listed)\n", "", ("tests/state/test_leftover_lifecycle.py",)),
    Mutation("leftover cleanup asks serverless and edge clusters too", "cleanup/leftover_run.py",
             "live |= other_live_clusters(session, region, tagged)", "pass", ("tests/cleanup/test_leftovers.py",)),
    Mutation("leftover cleanup honours the ignore tag", "cleanup/leftover_plan.py",
             "    if why_ignored:", "    if False:", ("tests/cleanup/test_leftovers.py",)),
    # h-state
    Mutation("the state is checked writable before any API call", "state/db.py",
             "                self._check_writable()\n", "",
             ("tests/cli/test_state_file.py::test_a_read_only_state_file_in_a_writable_folder",)),
    Mutation("a damaged stored row is refused before any API call", "state/db.py",
             "                self._check_rows()\n", "", ("tests/cli/test_state_file.py",)),
    Mutation("a --state folder that does not exist is refused", "state/db.py",
             "if not folder.exists() and not create_dir:", "if False:", ("tests/cli/test_state_file.py",)),
    Mutation("durations are bounded", "config.py",
             "if not 0 <= seconds <= MAX_DURATION.total_seconds():", "if seconds < 0:",
             ("tests/cli/test_bad_input.py",)),
    Mutation("earlier scans keep only their summary", "state/scans.py",
             "dropped = retention.compact(conn, scan_id)", "dropped = 0", ("tests/state/test_retention.py",)),
    Mutation("old scans, events and notices are forgotten", "state/scans.py",
             "if retention.prune(conn, result.scanned_at, self.db.retention, result.snapshots) + dropped:",
             "if dropped:", ("tests/state/test_retention.py",)),
    Mutation("cleanup's real calls are kept whatever their age", "state/retention.py",
             "(dry_run = 1 OR outcome IN", "(1 = 1 OR outcome IN", ("tests/state/test_retention.py",)),
    Mutation("a node's history is kept while its instance exists", "state/retention.py",
             "for (iid,) in old if iid not in snap.listed]", "for (iid,) in old]", ("tests/state/test_retention.py",)),
    Mutation("the history of cleanup's real calls is kept whatever their age", "state/retention.py",
             "AND NOT (kind LIKE 'action:%'", "AND NOT (kind LIKE 'nothing'", ("tests/state/test_retention.py",)),
]  # fmt: skip


def run(m: Mutation, timeout: float) -> tuple[bool, float]:
    """Apply, test, restore. True when the tests went red (the mutation was caught)."""
    path = SRC / m.file
    original = path.read_text(encoding="utf-8")
    if original.count(m.old) != 1:
        raise SystemExit(f"{m.file}: the mutation's text for {m.promise!r} is not there exactly once: update it")
    started = time.monotonic()
    try:
        path.write_text(original.replace(m.old, m.new), encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *m.tests]
        try:
            proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            caught = proc.returncode != 0
        except subprocess.TimeoutExpired:
            caught = True  # a hang is red too
    finally:
        path.write_text(original, encoding="utf-8")
    return caught, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write the score to docs/mutation.md")
    parser.add_argument("--only", help="run the mutations whose promise contains this text")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or args.only in m.promise]
    rows = []
    for m in chosen:
        caught, took = run(m, args.timeout)
        rows.append((m, caught))
        print(f"{'caught  ' if caught else 'SURVIVED'} {took:6.1f}s  {m.promise}  ({m.file})", flush=True)
    score = sum(caught for _, caught in rows)
    print(f"{score}/{len(rows)} mutations caught")
    if args.write:
        lines = [
            "# The promise check",
            "",
            "`make mutate` (scripts/mutate.py) breaks each promise of the README with a one-line change of the code",
            "and runs the tests that guard it; a mutation the tests do not catch is a promise without a test.",
            "",
            f"Last run: **{score} of {len(rows)} caught**.",
            "",
            "| promise | where | caught |",
            "|---|---|---|",
            *(f"| {m.promise} | `{m.file}` | {'yes' if caught else '**no**'} |" for m, caught in rows),
            "",
        ]
        (ROOT / "docs" / "mutation.md").write_text("\n".join(lines), encoding="utf-8")
    return 0 if score == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
