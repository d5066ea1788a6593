"""Sentences as data: what the pure core says about an orphan, a leftover, a price or a failure, kept as a `Fact`
(which sentence, about what), so that each language words it whole (notify/i18n.py: `say`).

The English wording lives here because it is the records' own: the JSON contract's `detail`, `why` and `evidence`
strings are `english(...)` of the facts and must never change. Arguments are what no language translates: ids, tag
keys and values, instance types, API names and the cloud's own words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True, slots=True)
class Fact:
    """`key` names the sentence (a key of `ENGLISH`, and of i18n's other languages), `args` fill it in."""

    key: str
    args: tuple[str, ...] = ()


ENGLISH: dict[str, str] = {
    # Text as it is: an instance type, the cloud's own words, a record's English from before facts were kept.
    "text": "{0}",
    # A call that failed: its API, the cloud's code and message (ApiFailure).
    "api.failed": "{0} failed: {1}: {2}",
    "api.failed_for": "{0} for {1} failed: {2}: {3}",
    "api.error": "{0}: {1}: {2}",
    # Why a candidate is unverified, besides the failed calls.
    "unverified.not_confirmed": "membership was not confirmed by {0}",
    "unverified.no_clusters": "the clusters of this region were not listed",
    # The original checker's substring rules (detection.legacy_heuristics).
    "legacy.name": 'name contains "{0}"',
    "legacy.tag": 'tag {0}={1} contains "{2}"',
    # Why a candidate is excluded, and why an orphan was resolved as ignored.
    "excluded.id": "listed in detection.ignore.instance_ids",
    "excluded.tag": "tag {0}={1}",
    "excluded.name": "name matches /{0}/",
    "excluded.state": "state {0}",
    "excluded.young": "created {0} min ago",
    "resolved.no_evidence": "no longer carries TKE evidence",
    # A leftover's evidence: TKE's own tag, and the cluster tag naming a cluster that is gone.
    "leftover.tag": "tag {0}={1}",
    "leftover.cluster_gone": "tag {0}={1}: a cluster the region no longer has",
    # What a price includes, or why there is none.
    "price.system_disk": "system disk {0} GB",
    "price.data_disks": "{0} data disk(s) {1} GB",
    "price.bandwidth": "bandwidth {0} Mbps",
    "price.bandwidth_package": "bandwidth billed by its package (not included)",
    "price.traffic": "traffic {0}/GB not included",
    "price.spot": "spot price now",
    "price.renewal": "one month's renewal",
    "price.type_only": "type only ({0}; the full quote failed: {1})",
    "price.host_billed": "{0} instances are billed with their host or cluster",
    "price.crashed": "pricing failed: {0}",
    "price.other_currency": "the list price is in {0}, not {1} (pricing.currency)",
    "price.prepaid_month": "one month prepaid",
    # Cleanup: what failed around the cloud's own words.
    "cleanup.no_names": "cannot name the resources: {0} failed: {1}: {2}",
    "cleanup.destroy_failed": "moved to the recycle bin, but the second call to destroy it failed: {0}",
    "cleanup.destroy_failed_refund": (
        "moved to the recycle bin (refund {0}), but the second call to destroy it failed: {1}"
    ),
    "cleanup.unexpected": "unexpected answer ({0}): the outcome is unknown; its record stays pending and the next run"
    " looks it up",
    "cleanup.no_reason": "not added (no reason given)",
    "cleanup.unsure": "{0}: {1} (the outcome is unknown: it may have been carried out)",
}


@cache
def _kinds_words() -> dict[str, str]:
    """The English of each kind's own facts (kinds/*.py declare them); imported late: the kinds use facts."""
    from .kinds import words

    return {key: en for key, (en, _) in words().items()}


def all_english() -> dict[str, str]:
    """Every fact's English: the core's and the kinds'."""
    return {**ENGLISH, **_kinds_words()}


def wording(key: str) -> str | None:
    """A fact's English sentence, None for a key nobody words."""
    return ENGLISH.get(key) or _kinds_words().get(key)


def fact(key: str, *args: object) -> Fact:
    if wording(key) is None:
        raise KeyError(f"no wording for fact {key!r}")
    return Fact(key, tuple(str(a) for a in args))


def english(facts: Fact | Iterable[Fact], sep: str = ", ") -> str:
    """The facts in English, as the records and the JSON contract carry them."""
    items = (facts,) if isinstance(facts, Fact) else tuple(facts)
    return sep.join(str(wording(f.key)).format(*f.args) for f in items)


def fact_to_dict(f: Fact) -> dict[str, Any]:
    return {"key": f.key, "args": list(f.args)}


def fact_from_dict(d: dict[str, Any]) -> Fact:
    """Unknown keys (a record of a later version) read as their English would have: not at all, so as text."""
    key, args = str(d["key"]), tuple(str(a) for a in d.get("args", ()))
    return Fact(key, args) if wording(key) is not None else Fact("text", (" ".join(args),))
