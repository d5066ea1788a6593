"""Prometheus metrics: what the last pass found, and counters of API calls, scans and notifications."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ..job import JobResult
from ..kinds import KINDS
from ..model import Finding
from ..notify import Delivery

OUTBOX_CODES = ("gave_up", "busy")


class Findings:
    """Count, age and monthly cost of one shape of findings, labelled by `label` (an orphan's reason, a leftover's
    kind) and, for the age, by its id: the three gauges orphans and leftovers each have, under their published
    names and label orders (`age_labels`)."""

    def __init__(self, r: CollectorRegistry, count: tuple[str, str], age: tuple[str, str], cost: tuple[str, str],
                 label: str, id_label: str, age_labels: list[str], label_of: Callable[[Finding], str]
                 ) -> None:  # fmt: skip
        self.label, self.id_label, self.label_of = label, id_label, label_of
        self.count = Gauge(*count, ["account", "region", label], registry=r)
        self.age = Gauge(*age, age_labels, registry=r)
        self.cost = Gauge(*cost, ["account", "region", label, "currency"], registry=r)

    def clear(self) -> None:
        for gauge in (self.count, self.age, self.cost):
            gauge.clear()

    def add(self, f: Finding, job: JobResult) -> None:
        label = self.label_of(f)
        self.count.labels(f.account, f.region, label).inc()
        first = job.first_seen.get(f.resource_id, job.result.scanned_at)
        age = (job.result.scanned_at - first).total_seconds()
        self.age.labels(account=f.account, region=f.region, **{self.id_label: f.resource_id, self.label: label}).set(
            age
        )
        if f.cost is not None and f.cost.monthly is not None:
            self.cost.labels(f.account, f.region, label, f.cost.currency).inc(f.cost.monthly)


class Metrics:
    def __init__(self, leftover_kinds: Iterable[str] = ()) -> None:
        """`leftover_kinds`: those detection.leftovers turns on, whose listing is reported (checked or not)."""
        self.leftover_kinds = tuple(KINDS[k].metric for k in leftover_kinds)
        r = self.registry = CollectorRegistry()
        # Orphans by reason, leftovers by kind: the same three gauges each, under the names dashboards and alert
        # rules already use.
        self.orphan_gauges = Findings(
            r,
            ("tke_orphans_orphans", "Orphaned CVM instances now."),
            ("tke_orphans_orphan_age_seconds", "How long each orphan has been one (since first seen)."),
            ("tke_orphans_orphan_monthly_cost",
             "What the orphans cost a month at list price (priced ones only; pricing.enabled)."),
            "reason", "instance_id", ["account", "region", "instance_id", "reason"], lambda f: f.why,
        )  # fmt: skip
        self.unverified = Gauge(
            "tke_orphans_unverified", "Candidates that could not be checked.", ["account", "region"], registry=r
        )
        # Leftovers (disks, CLBs, EIPs of deleted clusters) as the orphans are: counts, ages, monthly cost. A region
        # whose listing of a kind failed has no count for it (not a 0 that would read as "all clean"), and says so
        # in tke_orphans_leftovers_checked.
        self.leftover_gauges = Findings(
            r,
            ("tke_orphans_leftovers",
             "Resources TKE made for clusters that no longer exist, now (a kind's listing that failed: absent)."),
            ("tke_orphans_leftover_age_seconds", "How long each leftover has been one (since first seen)."),
            ("tke_orphans_leftover_monthly_cost",
             "What the leftovers cost a month at list price (priced ones only; reused CLBs never)."),
            "kind", "resource_id", ["account", "region", "kind", "resource_id"], lambda f: f.kind,
        )  # fmt: skip
        self.reused_clbs = Gauge(
            "tke_orphans_reused_clbs",
            "Users' own CLBs a deleted cluster reused (never TKE's, never cleaned up).",
            ["account", "region"],
            registry=r,
        )
        self.leftovers_checked = Gauge(
            "tke_orphans_leftovers_checked",
            "1 when the region's listing of that leftover kind succeeded (0: failed, so no count is shown).",
            ["account", "region", "kind"],
            registry=r,
        )
        # Join on `account` to see an organization member's uin and node beside its findings.
        self.account_info = Gauge(
            "tke_orphans_account_info", "1 for each account the last scan worked in: its uin and organization node.",
            ["account", "uin", "node"], registry=r,
        )  # fmt: skip
        self.region_up = Gauge(
            "tke_orphans_region_up", "1 when the region was scanned completely.", ["account", "region"], registry=r
        )
        self.scan_duration = Histogram(
            "tke_orphans_scan_duration_seconds",
            "Duration of a scan pass.",
            buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600),
            registry=r,
        )
        self.scans = Counter("tke_orphans_scans", "Scan passes by status.", ["status"], registry=r)
        self.last_success = Gauge(
            "tke_orphans_last_scan_success_timestamp_seconds", "When the last complete scan finished.", registry=r
        )
        self.last_scan = Gauge("tke_orphans_last_scan_timestamp_seconds", "When the last scan finished.", registry=r)
        self.api_calls = Counter(
            "tke_orphans_api_calls", "Tencent Cloud API calls.", ["service", "action", "outcome"], registry=r
        )
        self.notifications = Counter(
            "tke_orphans_notifications", "Notification deliveries.", ["platform", "outcome"], registry=r
        )
        self.page_renders = Counter(
            "tke_orphans_status_page_renders", "Status pages rendered (once per scan, language and page).", registry=r
        )
        # serve --events: the TKE deleting calls heard of, the audit log's polls, the scans they brought forward.
        self.events = Counter("tke_orphans_events", "TKE deleting calls heard of, by source (poll, post).",
                              ["source"], registry=r)  # fmt: skip
        self.event_polls = Counter("tke_orphans_event_polls", "Polls of the audit log, by outcome.", ["outcome"],
                                   registry=r)  # fmt: skip
        self.event_scans = Counter("tke_orphans_event_scans", "Scans of one account and region events asked for.",
                                   ["status"], registry=r)  # fmt: skip
        for status in ("ok", "partial", "error"):
            self.scans.labels(status)  # present from the start, at 0
            self.event_scans.labels(status)
        for outcome in ("ok", "error"):
            self.event_polls.labels(outcome)
        for source in ("poll", "post"):
            self.events.labels(source)

    def on_call(self, api: str, region: str, outcome: str) -> None:
        service, _, action = api.partition(".")
        self.api_calls.labels(service, action, outcome).inc()

    def observe(self, job: JobResult, duration: float, finished_at: float) -> None:
        result = job.result
        self.scan_duration.observe(duration)
        self.scans.labels(result.status).inc()
        self.last_scan.set(finished_at)
        if result.status == "ok":
            self.last_success.set(finished_at)
        self.orphan_gauges.clear()
        for gauge in (self.unverified, self.region_up, self.account_info):
            gauge.clear()
        for a in result.accounts:
            self.account_info.labels(a.name, a.uin, a.node_name or a.node_id).set(1)
        self._observe_leftovers(job)
        for r in result.regions:
            self.region_up.labels(r.account, r.region).set(1 if r.status == "ok" else 0)
            self.unverified.labels(r.account, r.region).set(0)
        for o in result.orphans:
            self.orphan_gauges.add(o, job)
        for u in result.unverified:
            self.unverified.labels(u.account, u.region).inc()
        self.delivered(job.deliveries)

    def delivered(self, deliveries: Iterable[Delivery]) -> None:
        for d in deliveries:
            # A notice given up (webhook.outbox) is counted apart: platform "outbox", outcome "gave_up"; so is a
            # delivery left to another process (outcome "busy"): neither is a bot's failure.
            outcome = "ok" if d.ok else d.code if d.code in OUTBOX_CODES else "failed"
            self.notifications.labels(d.platform, outcome).inc()

    def _observe_leftovers(self, job: JobResult) -> None:
        result = job.result
        self.leftover_gauges.clear()
        for gauge in (self.reused_clbs, self.leftovers_checked):
            gauge.clear()
        checked = {(s.account, s.region): s.leftover_kinds for s in result.snapshots}
        for r in result.regions:
            kinds = checked.get((r.account, r.region), frozenset())
            for kind in self.leftover_kinds:
                self.leftovers_checked.labels(r.account, r.region, kind).set(1 if kind in kinds else 0)
                if kind in kinds:  # present at 0 where the listing found none
                    self.leftover_gauges.count.labels(r.account, r.region, kind).set(0)
            if any(KINDS[k].reused for k in kinds):
                self.reused_clbs.labels(r.account, r.region).set(0)
        for x in result.leftovers:
            if x.reused:
                self.reused_clbs.labels(x.account, x.region).inc()
                continue
            self.leftover_gauges.add(x, job)

    def failed(self, duration: float, finished_at: float) -> None:
        """A pass that raised (credentials, a bug): counted as an error, the last findings stay as they were."""
        self.scan_duration.observe(duration)
        self.scans.labels("error").inc()
        self.last_scan.set(finished_at)
