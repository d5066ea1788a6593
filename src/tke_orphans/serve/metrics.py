"""Prometheus metrics: what the last pass found, and counters of API calls, scans and notifications."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ..job import JobResult
from ..kinds import KINDS
from ..notify import Delivery

OUTBOX_CODES = ("gave_up", "busy")


class Metrics:
    def __init__(self, leftover_kinds: Iterable[str] = ()) -> None:
        """`leftover_kinds`: those detection.leftovers turns on, whose listing is reported (checked or not)."""
        self.leftover_kinds = tuple(KINDS[k].metric for k in leftover_kinds)
        r = self.registry = CollectorRegistry()
        self.orphans = Gauge(
            "tke_orphans_orphans", "Orphaned CVM instances now.", ["account", "region", "reason"], registry=r
        )
        self.orphan_age = Gauge(
            "tke_orphans_orphan_age_seconds",
            "How long each orphan has been one (since first seen).",
            ["account", "region", "instance_id", "reason"],
            registry=r,
        )
        self.monthly_cost = Gauge(
            "tke_orphans_orphan_monthly_cost",
            "What the orphans cost a month at list price (priced ones only; pricing.enabled).",
            ["account", "region", "reason", "currency"],
            registry=r,
        )
        self.unverified = Gauge(
            "tke_orphans_unverified", "Candidates that could not be checked.", ["account", "region"], registry=r
        )
        # Leftovers (disks, CLBs, EIPs of deleted clusters) as the orphans are: counts, ages, monthly cost. A region
        # whose listing of a kind failed has no count for it (not a 0 that would read as "all clean"), and says so
        # in tke_orphans_leftovers_checked.
        self.leftovers = Gauge(
            "tke_orphans_leftovers",
            "Resources TKE made for clusters that no longer exist, now (a kind's listing that failed: absent).",
            ["account", "region", "kind"],
            registry=r,
        )
        self.reused_clbs = Gauge(
            "tke_orphans_reused_clbs",
            "Users' own CLBs a deleted cluster reused (never TKE's, never cleaned up).",
            ["account", "region"],
            registry=r,
        )
        self.leftover_age = Gauge(
            "tke_orphans_leftover_age_seconds",
            "How long each leftover has been one (since first seen).",
            ["account", "region", "kind", "resource_id"],
            registry=r,
        )
        self.leftover_cost = Gauge(
            "tke_orphans_leftover_monthly_cost",
            "What the leftovers cost a month at list price (priced ones only; reused CLBs never).",
            ["account", "region", "kind", "currency"],
            registry=r,
        )
        self.leftovers_checked = Gauge(
            "tke_orphans_leftovers_checked",
            "1 when the region's listing of that leftover kind succeeded (0: failed, so no count is shown).",
            ["account", "region", "kind"],
            registry=r,
        )
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
        for status in ("ok", "partial", "error"):
            self.scans.labels(status)  # present from the start, at 0

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
        for gauge in (self.orphans, self.orphan_age, self.unverified, self.region_up, self.monthly_cost):
            gauge.clear()
        self._observe_leftovers(job)
        for r in result.regions:
            self.region_up.labels(r.account, r.region).set(1 if r.status == "ok" else 0)
            self.unverified.labels(r.account, r.region).set(0)
        for o in result.orphans:
            self.orphans.labels(o.account, o.region, o.reason.value).inc()
            first = job.first_seen.get(o.instance.instance_id, result.scanned_at)
            age = (result.scanned_at - first).total_seconds()
            self.orphan_age.labels(o.account, o.region, o.instance.instance_id, o.reason.value).set(age)
            if o.cost is not None and o.cost.monthly is not None:
                self.monthly_cost.labels(o.account, o.region, o.reason.value, o.cost.currency).inc(o.cost.monthly)
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
        for gauge in (self.leftovers, self.reused_clbs, self.leftover_age, self.leftover_cost, self.leftovers_checked):
            gauge.clear()
        checked = {(s.account, s.region): s.leftover_kinds for s in result.snapshots}
        for r in result.regions:
            kinds = checked.get((r.account, r.region), frozenset())
            for kind in self.leftover_kinds:
                self.leftovers_checked.labels(r.account, r.region, kind).set(1 if kind in kinds else 0)
                if kind in kinds:  # present at 0 where the listing found none
                    self.leftovers.labels(r.account, r.region, kind).set(0)
            if any(KINDS[k].reused for k in kinds):
                self.reused_clbs.labels(r.account, r.region).set(0)
        for x in result.leftovers:
            if x.reused:
                self.reused_clbs.labels(x.account, x.region).inc()
                continue
            self.leftovers.labels(x.account, x.region, x.kind).inc()
            first = job.first_seen.get(x.resource_id, result.scanned_at)
            age = (result.scanned_at - first).total_seconds()
            self.leftover_age.labels(x.account, x.region, x.kind, x.resource_id).set(age)
            if x.cost is not None and x.cost.monthly is not None:
                self.leftover_cost.labels(x.account, x.region, x.kind, x.cost.currency).inc(x.cost.monthly)

    def failed(self, duration: float, finished_at: float) -> None:
        """A pass that raised (credentials, a bug): counted as an error, the last findings stay as they were."""
        self.scan_duration.observe(duration)
        self.scans.labels("error").inc()
        self.last_scan.set(finished_at)
