"""Sending what the outbox owes, as the job, cleanup and serve's deliverer do: each notice to the channels and parts
that still owe it, each accepted part recorded at once, so that what one run could not send the next one sends."""

from __future__ import annotations

import logging

from .cloud.errors import as_text
from .config.schema import Config
from .context import Cancel
from .model import ScanResult
from .notify import Delivery, Notifier
from .notify.i18n import duration
from .records import notice_from_dict
from .state import StateDB
from .state.db import utcnow

log = logging.getLogger(__name__)


def deliver_outbox(
    state: StateDB,
    cfg: Config,
    current: ScanResult | None,
    scan_id: int | None,
    stop: Cancel | None = None,
) -> list[Delivery]:
    """Send every notice still owed, to the channels and parts that still owe it, recording each part as it is
    accepted. A notice refused too long (`webhook.outbox`) is given up, told once here and kept in the history.
    One deliverer at a time: while another process delivers, this one leaves what is owed to it (and says so)."""
    with state.outbox.lease() as mine:
        if not mine:
            log.warning("another tke-orphans process is delivering the outbox: what is owed waits for it")
            why = "another process is delivering the outbox; what is owed waits for the next delivery"
            return [Delivery("outbox", "outbox", "-", False, 0, "busy", why)]
        return _deliver_owed(state, cfg, {} if scan_id is None or current is None else {scan_id: current}, stop)


def _deliver_owed(
    state: StateDB, cfg: Config, results: dict[int, ScanResult | None], stop: Cancel | None
) -> list[Delivery]:
    """`results`: the scans notices were made from, by id, read from the state once each."""
    out: list[Delivery] = []
    limits = cfg.webhook.outbox
    with Notifier(cfg, state.sends, stop=stop) as notifier:
        for entry in state.outbox.pending():
            if stop is not None and stop.is_set():
                break  # what was not sent stays owed
            age = utcnow() - entry.created_at
            if entry.attempts >= limits.max_attempts or age > limits.max_age:
                last = entry.last_error or "-"
                why = f"given up after {entry.attempts} attempt(s) over {duration(age, 'en')}: {last}"
                state.outbox.give_up(entry.outbox_id, why)
                log.warning("%s notice #%d %s", entry.notice["kind"], entry.outbox_id, why)
                out.append(Delivery("outbox", "outbox", f"#{entry.outbox_id}", False, entry.attempts, "gave_up", why))
                continue
            doc = entry.notice
            scan_id = doc.get("scan_id")
            if scan_id is not None and scan_id not in results:
                results[scan_id] = state.scans.result(scan_id)
            result = None if scan_id is None else results[scan_id]

            def accepted(d: Delivery, outbox_id: int = entry.outbox_id) -> None:
                if d.ok:
                    state.outbox.record_part(outbox_id, d.channel, int(d.part.split("/")[0]))

            deliveries = notifier.deliver(notice_from_dict(doc, result), entry.owes, accepted)
            if stop is not None and stop.is_set():
                break  # a stop is not the bot's fault: no attempt is counted
            state.outbox.settle(entry.outbox_id, as_text("; ".join(d.describe() for d in deliveries if not d.ok)))
            for d in deliveries:
                kind = "notified" if d.ok else "delivery_failed"
                state.events.add(kind, f"{doc['kind']} {d.describe()}")
            out += deliveries
    return out
