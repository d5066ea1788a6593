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
    Mutation("cleanup re-checks with TKE's DescribeExistedInstances", "cleanup/vms.py",
             "return Look(fresh, clusters, members, lister.existed_owners(ids))",
             "return Look(fresh, clusters, members, {i: '' for i in ids})", ("tests/cleanup",)),
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
    Mutation("only the owed parts are sent again", "delivery.py",
             "notifier.deliver(notice_from_dict(doc, result), entry.owes, accepted)",
             "notifier.deliver(notice_from_dict(doc, result), None, accepted)", ("tests/state",)),
    Mutation("each accepted part is recorded at once", "delivery.py",
             "                if d.ok:\n", "                if False:\n", ("tests/state/test_outbox.py",)),
    Mutation("a stop wakes a pacing wait", "notify/pacing.py",
             "stop.wait if stop is not None else sleep", "sleep", ("tests/state/test_outbox.py::"
             "test_sigterm_during_a_pacing_wait_stops_at_once_and_keeps_the_notice_owed",)),
    Mutation("a newer digest supersedes an undelivered one", "state/outbox.py",
             'if kind == "reminder":', "if False:", ("tests/state/test_outbox.py",)),
    Mutation("a notice refused too long is given up", "delivery.py",
             "if entry.attempts >= limits.max_attempts or age > limits.max_age:", "if False:",
             ("tests/state/test_outbox.py",)),
    Mutation("the state lock holds through a symlink", "state/db.py",
             'lock_path = Path(f"{os.path.realpath(self.path)}.lock")', 'lock_path = Path(f"{self.path}.lock")',
             ("tests/state/test_database.py",)),
    Mutation("a failed transaction is rolled back", "state/db.py",
             'in_transaction:\n                        self.conn.execute("ROLLBACK")\n',
             "in_transaction:\n                        pass\n",
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
             'if needs_auth(site.auth, url.path) and not authorized(site.auth, self.headers.get("Authorization")):',
             "if False:", ("tests/serve/test_exposed.py",)),
    Mutation("serve bounds its connections", "serve/web.py",
             "elif not self._slots.acquire(blocking=False):", "elif not self._slots.acquire():",
             ("tests/serve/test_exposed.py",)),
    Mutation("a price that cannot be had is null, never 0", "cloud/pricing.py",
             'return quoted(None, None, None, failed, "; ")', 'return quoted(0.0, 0.0, None, failed, "; ")',
             ("tests/scan/test_pricing.py",)),
    Mutation("a cached price is asked again after pricing.cache_ttl", "pricing.py",
             "cache.fresh(account, keys, now, ttl)", "cache.fresh(account, keys, now, ttl * 1000)",
             ("tests/scan/test_pricing.py",)),
    Mutation("a leftover's cluster is proven deleted", "detect_leftovers.py",
             'if named is None or named[0] in live:', 'if named is None:',
             ("tests/scan/test_leftovers.py",)),
    Mutation('an attached disk or a bound EIP is no leftover', "detect_leftovers.py",
             'return None if spec.in_use(r) else (cluster_id, (*made, gone, *r.notes), False)',
             'return (cluster_id, (*made, gone, *r.notes), False)',
             ("tests/scan/test_leftovers.py",)),
    Mutation('an ignore tag keeps a leftover out', "detect_leftovers.py",
             'if r.kind not in kinds or ignored(r, ignore_tags):', 'if r.kind not in kinds:',
             ("tests/scan/test_leftovers.py",)),
    Mutation("a serverless or edge cluster is not a deleted one", "scan.py",
             "live = scan.live_clusters | other_live_clusters(session, where[1], unknown)",
             "live = scan.live_clusters", ("tests/scan/test_leftovers.py",)),
    Mutation("a failed listing resolves no leftover", "state/lifecycle.py",
             " or snap is None or kind not in snap.leftover_kinds:", " or snap is None:",
             ("tests/state/test_leftover_lifecycle.py",)),
    Mutation("a leftover is told once, then in a digest", "job.py",
             "state.leftovers.mark_notified(p.leftovers.told(), result.scanned_at)", "pass",
             ("tests/state/test_leftover_lifecycle.py",)),
    Mutation("terminate batches have one charge type", "cloud/actions.py",
             "by_type.setdefault(charge, []).append(iid)", 'by_type.setdefault("any", []).append(iid)',
             ("tests/cleanup",)),
    Mutation("a mark is never reset", "cleanup/plan.py",
             'if opts.action == "mark" and fresh.tag(MARK_TAG):', "if False:", ("tests/cleanup",)),
    Mutation("terminate needs a mark", "cleanup/plan.py",
             "        if opts.unmarked:\n", "        if True:\n", ("tests/cleanup",)),
    Mutation('leftover cleanup re-checks that the cluster is still gone', "cleanup/kind_rules.py",
             '    if named[0] in live:', '    if False:',
             ("tests/cleanup/test_leftovers.py",)),
    Mutation("leftover cleanup leaves a disk attached or an address bound since", "cleanup/kind_rules.py",
             "    if in_use:", "    if False:", ("tests/cleanup/test_leftovers.py",)),
    Mutation('leftover cleanup never deletes a protected load balancer', "kinds/clb.py",
             'return Fresh(record(d), "deletion protection (DeleteProtect) is on" if protected else "")',
             'return Fresh(record(d), "")',
             ("tests/cleanup/test_leftovers.py",)),
    Mutation("leftover cleanup never touches a reused load balancer", "cleanup/kind_rules.py",
             "        if x.reused:", "        if False:", ("tests/cleanup/test_leftovers.py",)),
    # Leftovers told (issue 16): messages, metrics, history.
    Mutation("a user's reused CLB is in no cleanup command", "notify/leftover_text.py",
             'leftover=None if x.reused else (x.kind, x.resource_id)', 'leftover=(x.kind, x.resource_id)',
             ("tests/state/test_leftovers_told.py",)),
    Mutation("a user's reused CLB is in no cost total", "costs.py",
             "s = _sum([x for x in priced if not x.reused], dims,", "s = _sum(priced, dims,",
             ("tests/notify/test_leftover_wording.py", "tests/scan/test_leftover_pricing.py")),
    Mutation("a leftover's cloud text is escaped in messages", "notify/leftover_text.py",
             "_clean(words('; '.join(x.evidence), x.facts, lang))", "words('; '.join(x.evidence), x.facts, lang)",
             ("tests/state/test_leftovers_told.py",)),
    Mutation("a leftover kind whose listing failed has no count, not 0", "serve/metrics.py",
             "if kind in kinds:  # present at 0", "if True:  # present at 0", ("tests/serve/test_leftovers_shown.py",)),
    Mutation('the history never calls a reused CLB a leftover', "state/findings.py",
             "if x.reused:  # a user's CLB", "if False:  # a user's CLB",
             ("tests/state/test_leftovers_told.py",)),
    # The review of issue 16: short answers, serverless clusters at cleanup, the ignore tag.
    Mutation('a short by-id answer fails the leftover listing', "cloud/inventory.py",
             'if len(items) != total or total > asked:', 'if False:',
             ("tests/scan/test_leftovers.py", "tests/state/test_leftover_lifecycle.py")),
    Mutation('a leftover listing whose pages do not add up to TotalCount is a failed one', "cloud/resources.py",
             '    _check_total(listing.api, total, page_total, len({key(r) for r in records}), None)\n', '',
             ("tests/state/test_leftover_lifecycle.py",)),
    Mutation('leftover cleanup asks serverless and edge clusters too', "cleanup/kinds.py",
             'live |= other_live_clusters(session, region, named)', 'pass',
             ("tests/cleanup/test_leftovers.py",)),
    Mutation('leftover cleanup honours the ignore tag', "cleanup/kind_rules.py",
             '    if tag:', '    if False:',
             ("tests/cleanup/test_leftovers.py",)),
    # h-edge
    Mutation("a lone surrogate from the cloud is made valid where the answer is read", "cloud/transport.py",
             "return _valid(json.loads(", "return (json.loads(",
             ("tests/scan/test_invalid_text.py",)),
    Mutation("format characters (zero-width, BOM) are shown as escapes", "sanitize.py",
             "{_CF}{_INVALID}]", "{_INVALID}]", ("tests/scan/test_invalid_text.py",)),
    Mutation("an unforeseen exception in a region scan is redacted like a cloud error", "scan.py",
             '"InternalError", as_text(repr(exc)))', '"InternalError", repr(exc))',
             ("tests/scan/test_guards.py",)),
    Mutation("an unforeseen exception in a listing is redacted like a cloud error", "cloud/inventory.py",
             'as_text(f"{type(exc).__name__}: {exc}")', 'f"{type(exc).__name__}: {exc}"',
             ("tests/scan/test_guards.py",)),
    Mutation("a 2022 native listing that adds up but lacks a machine makes the cluster incomplete",
             "cloud/inventory.py",
             "missing = machines - resolved", "missing = set()", ("tests/scan/test_guards.py",)),
    Mutation("a failed DescribeExistedInstances never lists live nodes as unverified", "detect.py",
             "        if inst.instance_id in inv.members:\n            continue\n", "", ("tests/scan/test_guards.py",)),
    Mutation("a pricing crash leaves the price unknown, never 0", "pricing.py",
             "costs[g] = Cost(currency, None, None, None, english(crashed)",
             'costs[g] = Cost(currency, 0.0, 0.0, "inquiry", english(crashed)',
             ("tests/scan/test_guards.py",)),
    Mutation("a price answer that cannot be a price is unknown", "cloud/pricing.py",
             "    if is_price(value):\n", "    if True:\n", ("tests/scan/test_absurd_prices.py",)),
    Mutation("a month's price beyond the bound is unknown", "cloud/pricing.py",
             '    believable(api, monthly, "the month\'s price")\n', "", ("tests/scan/test_absurd_prices.py",)),
    Mutation("the price cache keeps no bad price", "pricing.py",
             "                if believed(cost):", "                if True:", ("tests/scan/test_absurd_prices.py",)),
    Mutation("JSON output and the generic webhook never hold NaN or Infinity", "render/json.py",
             "allow_nan=False", "allow_nan=True", ("tests/notify/test_delivery.py",)),
    Mutation("wasted with no first-seen time is null in the JSON, never 0", "render/json.py",
             "hours = None if first is None else", "hours = 0.0 if first is None else",
             ("tests/notify/test_delivery.py",)),
    Mutation("wasted with no first-seen time is null in the totals, never 0", "costs.py",
             "hours = None if first is None else max(0.0,", "hours = 0.0 if first is None else max(0.0,",
             ("tests/notify/test_delivery.py",)),
    Mutation("the generic webhook's wasted is known from the state's first-seen times", "notify/generic.py",
             "to_json(notice.result, notice.first_seen)", "to_json(notice.result)", ("tests/notify/test_delivery.py",)),
    # h-record
    Mutation("a cleanup call is on record before it is sent", "cleanup/journal.py",
             "        r.state.actions.intend(r.run_id, r.actor, r.now(), where, call, ids)\n", "",
             ("tests/cleanup/test_record.py",)),
    Mutation("a cleanup call's outcome is on record as soon as it answers", "cloud/actions.py",
             "    journal.answered(out)\n", "", ("tests/cleanup/test_record.py",)),
    Mutation("a cleanup call without a sure answer stays pending for the next run", "cleanup/journal.py",
             'return "done" if o.ok else PENDING if o.unsure else "failed"', 'return "done" if o.ok else "failed"',
             ("tests/cleanup/test_recovery.py",)),
    Mutation("cleanup looks up an interrupted run's calls before it acts", "cleanup/run.py",
             "result = Report(decisions=recover(run, state, at))", "result = Report()",
             ("tests/cleanup/test_record.py",)),
    Mutation("a failed look-up of an interrupted call is never a guess", "cleanup/journal.py",
             "                found = {}\n",
             '                found = {it.instance_id: ("failed", "x") for it in group}\n',
             ("tests/cleanup/test_record.py",)),
    Mutation("a refund inquiry without a prepaid instance leaves it alone", "cleanup/vms.py",
             "return [t for t in go if t.instance.instance_id not in unknown], unpriced", "return go, unpriced",
             ("tests/cleanup/test_short_answers.py",)),
    Mutation("a cleanup re-check of instances short of its TotalCount skips the region", "cloud/actions.py",
             '_answer(api, resp, "InstanceSet", len(chunk))', 'resp.get("InstanceSet") or []',
             ("tests/cleanup/test_short_answers.py",)),
    Mutation('a cleanup re-check of leftovers short of its TotalCount skips the region', "cloud/resources.py",
             'items = whole_answer(listing.api, resp, listing.items, len(chunk))',
             'items = resp.get(listing.items) or []',
             ("tests/cleanup/test_short_answers.py",)),
    # h-cli
    Mutation("a region name the account lacks is a usage error with the closest names", "cli/regions.py",
             "            if name not in known:", "            if False:", ("tests/cli/test_regions.py",)),
    Mutation("a failed region listing is no usage error", "cli/regions.py",
             "        except Exception as exc:", "        except ZeroDivisionError as exc:",
             ("tests/cli/test_regions.py",)),
    Mutation("history breaks no word: a detail that does not fit goes under its row", "render/columns.py",
             "and not _fits(parts[last], lead, widths[last], width):", "and False:",
             ("tests/cli/test_terminal_output.py::test_history_fits_the_width_without_breaking_a_word",)),
    Mutation("the AuthFailure hint names the environment variables the keys came from", "cloud/credentials.py",
             'return credential(sid, key, None, (*ENV_VARS, "")), ENVIRONMENT_SOURCE',
             'return credential(sid, key, None, (*ENV_VARS, "")), config_source("tencentcloud", "the config")',
             ("tests/cli/test_doctor_and_hints.py",)),
    Mutation("the top-level help shows each command's first sentence whole", "cli/__init__.py",
             "    whole_first_sentences(command)\n", "", ("tests/cli/test_help.py",)),
    # h-words
    Mutation("a zh-CN reader sees the core's facts in Chinese", "notify/i18n.py",
             'if lang == "en" or not items:', "if True:", ("tests/notify/test_chinese_only.py",)),
    Mutation("the English of a fact stays the JSON's very words", "facts.py",
             '"tag {0}={1}: a cluster the region no longer has"', '"tag {0}={1}: its cluster is gone"',
             ("tests/notify/test_chinese_only.py", "tests/scan/test_leftovers.py")),
    Mutation("money: whole units from 100 up, cents below", "costs.py",
             "whole = cents >= WHOLE_FROM", "whole = cents >= 1000", ("tests/test_money.py",)),
    Mutation("a total with nothing priced is unknown, never 0", "notify/leftover_text.py",
             "    if total.currency is None:\n", "    if False:\n", ("tests/state/test_costs_shown.py",)),
    Mutation("the dry run's refund carries its currency", "cleanup/vms.py",
             'f" (refund {money(refund, currency)})"', 'f" (refund {refund:.2f})"', ("tests/cleanup/test_stages.py",)),
    # h-serve
    Mutation("nothing is queued or marked as told while no bot is enabled", "job.py",
             "        if notify and channels:\n            job.notices", "        if notify:\n            job.notices",
             ("tests/notify/test_delivery.py::test_nothing_is_queued_or_told_while_no_bot_is_enabled",)),
    Mutation("a bot refusing for good is tried once a run", "notify/chat.py",
             "            if self.refused is not None:", "            if False:",
             ("tests/notify/test_delivery.py::test_a_bot_refusing_for_good_is_tried_once_a_run_and_never_paced",)),
    Mutation("a refused send takes no turn of the bot's pacing", "notify/chat.py",
             "        self.pacer.withdraw(self.key, sent_at)\n", "",
             ("tests/notify/test_delivery.py::test_a_bot_refusing_for_good_is_tried_once_a_run_and_never_paced",)),
    Mutation("probes never wait behind slow clients", "serve/web.py",
             "self._drop(next(iter(self.reading)), BUSY)", "return self._close(sock, BUSY)",
             ("tests/serve/test_exposed.py::test_probes_never_wait_behind_trickling_clients",)),
    Mutation("the status page is rendered once per scan", "serve/pages.py",
             "body = self._pages.get(key)", "body = None",
             ("tests/serve/test_exposed.py::test_the_page_is_rendered_once_per_scan_and_bounded",)),
    Mutation("the status page is bounded", "serve/page.py",
             "for row in orphans[rows]:", "for row in orphans:",
             ("tests/serve/test_exposed.py::test_the_page_is_rendered_once_per_scan_and_bounded",)),
    Mutation("serve delivers beside the passes, not in them", "serve/loop.py",
             "run_job(run, state=self.state, deliver=False)", "run_job(run, state=self.state, deliver=True)",
             ("tests/serve/test_backlog.py::test_a_backlog_drains_beside_the_passes_and_a_sigterm_keeps_the_rest_owed",)),
    Mutation("/readyz says delivering", "serve/web.py",
             'b"ready, delivering\\n" if self.delivering() else b"ready\\n"', 'b"ready\\n"',
             ("tests/serve/test_backlog.py::test_a_backlog_drains_beside_the_passes_and_a_sigterm_keeps_the_rest_owed",)),
    Mutation("one deliverer at a time", "delivery.py", "        if not mine:", "        if False:",
             ("tests/serve/test_backlog.py::test_one_deliverer_at_a_time",)),
    Mutation("a kill re-sends at most the part on the wire", "delivery.py",
             "                if d.ok:\n", "                if False:\n",
             ("tests/serve/test_backlog.py::test_a_kill_while_a_part_is_on_the_wire_sends_that_part_again_and_no_other",)),
    # h-docs
    Mutation("the README's demo table is what the demo prints", "render/table.py",
             'f"Orphaned CVM instances ({len(result.orphans)})"', 'f"Orphaned CVM instances: {len(result.orphans)}"',
             ("tests/docs/test_generated.py",)),
    Mutation("docs/notifications.md shows what the bots receive", "notify/compose.py",
             'if i.expired and i.charge_type == "PREPAID":', 'if i.expired and i.charge_type == "SPOTPAID":',
             ("tests/docs/test_generated.py",)),
    # h-stop
    Mutation("Ctrl-C cancels the scan: nothing of it is recorded", "cli/stop.py",
             "        _now.cancel.set()", "        pass", ("tests/cli/test_ctrl_c.py",)),
    Mutation("a second Ctrl-C ends the scan at once", "cli/stop.py",
             "    if _now.pressed:\n        leave()", "    if False:\n        leave()", ("tests/cli/test_ctrl_c.py",)),
    Mutation("Ctrl-C ends the scan's worker processes too", "cli/stop.py",
             "            child.kill()", "            pass", ("tests/cli/test_ctrl_c.py",)),
    Mutation("the worker processes leave Ctrl-C to the parent", "fanout.py",
             "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n", "", ("tests/cli/test_ctrl_c.py",)),
    Mutation("Ctrl-C leaves no semaphore for the resource tracker to warn about", "cli/stop.py",
             "        multiprocessing.util._run_finalizers(0)", "        pass", ("tests/cli/test_ctrl_c.py",)),
    Mutation("Ctrl-C says whether the scan is already recorded", "job.py",
             "        on_recorded()\n", "        pass\n", ("tests/cli/test_ctrl_c.py",)),
    Mutation("a stop ends a pacing wait at once", "cloud/ratelimit.py",
             "                stop.wait(wait)", "                self._sleep(wait)", ("tests/scan/test_workers.py",)),
    Mutation("the CSV carries the leftovers", "render/csv.py",
             "        *(_leftover(x) for x in doc[\"leftovers\"]),\n", "", ("tests/cli/test_csv_output.py",)),
    Mutation("the CSV marks a reused CLB", "render/csv.py",
             '"reused" if x["reused"] else "leftover"', '"leftover"', ("tests/cli/test_csv_output.py",)),
    Mutation("the CSV leaves an unknown cost empty, never 0", "render/csv.py",
             'c = cost or {}', 'c = {k: 0 if v is None else v for k, v in (cost or {}).items()}',
             ("tests/cli/test_csv_output.py",)),
    # h-state
    Mutation("the state is checked writable before any API call", "state/db.py",
             "                self._check_writable()\n", "",
             ("tests/cli/test_state_file.py::test_a_read_only_state_file_in_a_writable_folder",)),
    Mutation("a damaged stored row is refused before any API call", "state/db.py",
             "                self._check_rows()\n", "", ("tests/cli/test_state_file.py",)),
    Mutation("a --state folder that does not exist is refused", "state/db.py",
             "if not folder.exists() and not create_dir:", "if False:", ("tests/cli/test_state_file.py",)),
    Mutation("durations are bounded", "config/schema.py",
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
    # lead: issue 21 item 3 reaches cleanup's refund
    Mutation("a refund that cannot be one leaves the prepaid instance alone", "cloud/actions.py",
             'if is_price(amount := r.get("Refunds")):', 'if (amount := r.get("Refunds")) or True:',
             ("tests/cleanup/test_short_answers.py",)),
    # h-config
    Mutation("a command from an entry point never replaces one of the product's", "cli/kit.py",
             "sorted(points.keys() - own,", "sorted(points.keys(),", ("tests/test_layering.py",)),
    Mutation("a kit that fails to load says so, not that it is missing", "cli/kit.py",
             "        if name not in points:\n", "        if True:\n", ("tests/test_layering.py",)),
    # issue 22: the two kinds added as one file each (kinds/cfs.py, kinds/security_group.py).
    Mutation("a file system whose name merely contains a cluster id is never a leftover", "kinds/cfs.py",
             "m = CSI_NAME.fullmatch(name)", "m = CSI_NAME.search(name)", ("tests/scan/test_leftovers.py",)),
    Mutation("a file system's mount targets are deleted before it", "kinds/cfs.py",
             'for mount in filter(None, f.get("mounts").split(",")):', "for mount in []:",
             ("tests/cleanup/test_new_kinds.py",)),
    Mutation("a default security group is never a leftover", "kinds/security_group.py",
             ' or r.state == "default":', ":", ("tests/scan/test_leftovers.py",)),
    Mutation("a security group with anything associated is no leftover", "kinds/security_group.py",
             "attached=sum(bound[r.resource_id]) > 0,", "attached=False,", ("tests/scan/test_leftovers.py",)),
    Mutation("a security group another group's rules name is never deleted", "kinds/security_group.py",
             'if referred[sid] else ""', 'if False else ""', ("tests/cleanup/test_new_kinds.py",)),
    Mutation("a worker's calls are counted and stopped as the parent's", "scan.py",
             "run = replace(ctx.payload, listener=ctx.on_call, cancel=ctx.cancel)", "run = ctx.payload",
             ("tests/scan/test_workers.py",)),
    Mutation("--endpoint-url wins over the config's endpoint", "cloud/accounts.py",
             "url=run.endpoint_url or tc.endpoint_url", "url=tc.endpoint_url or run.endpoint_url",
             ("tests/cli/test_scan_command.py",)),
    # h-tag
    Mutation("a CFS file system is marked by its CAM name (qcs::cfs:...:filesystem/)", "kinds/cfs.py",
             'mark_name=("cfs", "filesystem"),', 'mark_name=("cfs", "fs"),', ("tests/cleanup/test_new_kinds.py",)),
    Mutation("a security group is marked by its CAM name (qcs::cvm:...:sg/)", "kinds/security_group.py",
             'mark_name=("cvm", "sg"),', 'mark_name=("vpc", "sg"),', ("tests/cleanup/test_new_kinds.py",)),
    Mutation("a file system clients still mount is never deleted", "kinds/cfs.py",
             '): in use" if clients else ""', '): in use" if False else ""', ("tests/cleanup/test_new_kinds.py",)),
    Mutation("an interrupted run's DeleteMountTarget is settled by the mount targets left", "cleanup/journal.py",
             "settled = kind.settle(it.call, f) if kind.settle and f is not None else None", "settled = None",
             ("tests/cleanup/test_recovery.py",)),
    Mutation("doctor tries the security groups' quota read too", "kinds/security_group.py",
             'probes=(("vpc", "DescribeSecurityGroupLimits"),),', "probes=(),", ("tests/cli/test_scan_command.py",)),
    Mutation("a list price in another currency is never labelled the account's", "pricing.py",
             "if q.currency is not None and q.currency != currency:", "if False:",
             ("tests/scan/test_leftover_pricing.py",)),
    Mutation("a leftover a lagging listing misses is looked up by id before it is gone", "job.py",
             "        keep_open(p.leftovers, there)\n", "", ("tests/state/test_leftover_lifecycle.py",)),
    Mutation("an odd association count is never read as unassociated", "kinds/security_group.py",
             "return (total, groups) if _count(total) and _count(groups) else None",
             "return (total or 0, groups or 0)", ("tests/scan/test_leftovers.py",)),
    Mutation("an interrupted return of a prepaid disk is done once it is in the recycle bin", "kinds/cbs_disk.py",
             "    settle=_settle,\n", "", ("tests/cleanup/test_recovery.py",)),
    Mutation("one kind's failed listing leaves the other kinds checked", "scan.py",
             "failures, kinds = list(found.failures), found.kinds",
             "failures, kinds = list(found.failures), frozenset() if found.failures else found.kinds",
             ("tests/scan/test_leftovers.py",)),
    # h-org
    Mutation("a member listing short of its Total fails the scan", "cloud/organization.py",
             "len(items) != expected:", "len(items) > expected:", ("tests/org",)),
    Mutation("a failed member listing is an error of the scan, never an organization without members",
             "cloud/accounts.py", "return statics, [exc.failure()]", "return statics, []", ("tests/org",)),
    Mutation("a member whose role is refused is that member's failure, with the fix", "cloud/accounts.py",
             "        if error is not None:\n", "        if False:\n", ("tests/org",)),
    Mutation("role credentials are renewed before they expire", "cloud/organization.py",
             "if self._keys is None or self.clock() >= self._keys.renew_at:", "if self._keys is None:",
             ("tests/org",)),
    Mutation("role credentials are reused across passes, never asked per pass", "cloud/organization.py",
             "found = _CACHE.get(key)", "found = None", ("tests/org",)),
    Mutation("a member name that is not plain text never names an account", "cloud/accounts.py",
             "if _PLAIN_NAME.fullmatch(member.name) and member.name not in taken", "if member.name not in taken",
             ("tests/org",)),
    Mutation("a read-only organization scan asks its roles for reads only", "cloud/organization.py",
             'params["Policy"] = self.policy', "pass", ("tests/org",)),
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
