"""What a kind of resource is to tke-orphans, declared once: `KindSpec`. Every part of the product that treats kinds
(the scan's listing, the decision, pricing, cleanup, the CLI, config, doctor, metrics, the words) reads it from the
registry (kinds/__init__.py) instead of keeping its own table, so that a new kind is one file.

A kind's file holds the API shapes of its product (listing, by-id look, price inquiry, the call that gives it back)
and the pure rule of what makes one a leftover; the pipeline around them is the same for every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..cloud.actions import NO_JOURNAL, Journal, Outcome, mutate
from ..cloud.inventory import chunks
from ..cloud.pricing import Quote
from ..cloud.resources import Listing, by_id, list_all
from ..cloud.session import Session
from ..facts import Fact, fact
from ..model import CLUSTER_TAG, Billing, CloudResource

Item = dict[str, Any]  # one item of an API's answer, as the product's API shapes it


@dataclass(frozen=True)
class Noun:
    """What a kind is called in each language (`zh`, `en`: a message's heading), `many` the English plural in
    sentences, `heading` the id column's heading of a terminal table."""

    zh: str
    en: str
    many: str
    heading: str


@dataclass(frozen=True)
class Fresh:
    """A resource as its product shows it right now, before cleanup acts: `refusal` says why the cloud (or we) must
    not give it back (deletion protection, a default group...), `extra` what only the give-back call needs."""

    resource: CloudResource
    refusal: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str:
        return next((v for k, v in self.extra if k == key), "")


Verdict = tuple[Fact, ...] | None  # the evidence that makes a resource TKE's, or None when it is not


@dataclass(frozen=True)
class KindSpec:
    """One kind of leftover of a deleted cluster (a disk, a load balancer, an address, a file system, a group).

    - `cluster_of` names the cluster a resource was made for (its cluster tag, its name), with the evidence, or None;
    - `made_by_tke` is the pure rule: the evidence that TKE made it for that cluster, or None;
    - `reused`: a resource of the cluster not made by TKE is still reported (apart, never cleaned up): a user's CLB;
    - `in_use` says why one is in use now (attached, bound, associated), or None: then it is not a leftover;
    - `augment` adds what the listing does not say (associations), for the candidates only; raises CloudError;
    - `price_key`/`price`: what its price depends on, and the inquiry; `fresh`/`recheck`: the look before acting;
    - `give_back`: the mutating call (batched), `would` its dry-run words; `mark_name`: the six-segment name's
      (service, prefix) that tagging it needs;
    - `cluster_said`/`made_said`: the two markers in words, for why cleanup leaves one alone;
    - `cam_read`/`cam_write`: the CAM actions the scan and the cleanup need; `advice`: what to make sure of before
      deleting one (a message's "what to do"); `words`: the kind's own facts, in
      English and Chinese (`key: (en, zh)`).
    """

    name: str
    noun: Noun
    id_prefix: str
    listing: Listing
    record: Callable[[Item], CloudResource]
    cluster_of: Callable[[CloudResource], tuple[str, Fact] | None]
    made_by_tke: Callable[[CloudResource, str], Verdict]
    in_use: Callable[[CloudResource], str | None]
    price_key: Callable[[Billing], Sequence[object]]
    price: Callable[[Session, str, Billing], Quote]
    fresh: Callable[[Item], Fresh]
    give_back: Callable[[Session, str, Sequence[Fresh], Journal], list[Outcome]]
    would: Callable[[Fresh], str]
    mark_name: tuple[str, str]
    cluster_said: str  # what names its cluster, in a sentence: "its tag tke-clusterId", "its name"
    made_said: str  # what makes it TKE's, in a sentence: "tagged tke-createdBy-flag=yes"
    cam_read: tuple[str, ...]
    cam_write: tuple[str, ...]
    advice: tuple[str, str]  # (en, zh): what to make sure of before deleting one, in the message's advice line
    reused: bool = False
    # (session, region, the resources that name a cluster, how many the whole listing held) -> those, completed.
    augment: Callable[[Session, str, list[CloudResource], int], list[CloudResource]] | None = None
    recheck: Callable[[Session, str, dict[str, Fresh]], dict[str, Fresh]] | None = None
    # How a pending call other than the give-back (an interrupted run's) is settled from a fresh look, as
    # (outcome, detail); None: as the give-back is (gone: done).
    settle: Callable[[str, Fresh], tuple[str, str] | None] | None = None
    # The reads the scan makes besides the listing that take no parameter (service, action): doctor tries them too.
    probes: tuple[tuple[str, str], ...] = ()
    words: dict[str, tuple[str, str]] = field(default_factory=dict)
    default: bool = True  # looked for unless detection.leftovers says otherwise

    @property
    def apis(self) -> frozenset[str]:
        """Every API it reads, as failures name them (service.Action): its listing's among them."""
        return frozenset(a.replace(":", ".", 1) for a in self.cam_read)

    @property
    def metric(self) -> str:
        """Its `kind` label in the metrics, the JSON and the state: the name, which never changes."""
        return self.name

    def list(self, session: Session, region: str) -> list[CloudResource]:
        """The region's resources of this kind that name a cluster, with what `augment` adds. Raises CloudError."""
        listed = list_all(session, region, self.listing, self.record, _rid)
        named = [r for r in listed if self.cluster_of(r) is not None]
        return self.augment(session, region, named, len(listed)) if self.augment and named else named

    def look(self, session: Session, region: str, ids: Collection[str]) -> dict[str, Fresh]:
        """These resources as their product shows them right now, by id (one missing from a whole answer is gone),
        with what `recheck` adds. Raises CloudError, also for an answer short of its TotalCount."""
        found = by_id(session, region, self.listing, ids, self.fresh, lambda f: f.resource.resource_id)
        fresh = {f.resource.resource_id: f for f in found}
        return self.recheck(session, region, fresh) if self.recheck and fresh else fresh


def _rid(r: CloudResource) -> str:
    return r.resource_id


# ---- small parts the kinds' files share ------------------------------------------------------------------------


# The listing narrowed on the server to what carries a cluster id (the kinds TKE tags).
BY_CLUSTER_TAG = (("tag-key", (CLUSTER_TAG,)),)


def tag_of(items: Any, key: str = "Key", value: str = "Value") -> tuple[tuple[str, str], ...]:
    return tuple((t[key], t.get(value) or "") for t in items or ())


def text(d: Any, key: str) -> str:
    value = d.get(key) if isinstance(d, dict) else None
    return value if isinstance(value, str) else ""


def count(d: Any, key: str) -> int:
    value = d.get(key) if isinstance(d, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def batched(action: str, id_param: str, per_call: int, done: Callable[[Fresh, Item], str], *,
            single: bool = False) -> Callable[[Session, str, Sequence[Fresh], Journal], list[Outcome]]:  # fmt: skip
    """A give-back that sends the ids in batches of `per_call` (`single`: one id a call, as a scalar), each call on
    record before it is sent (the journal). Every batch is all or nothing in the cloud, so a failure is every
    member's; mutating: never retried after a 5xx or a time-out."""
    service, name = action.split(".")

    def give_back(session: Session, region: str, items: Sequence[Fresh], journal: Journal = NO_JOURNAL
                  ) -> list[Outcome]:  # fmt: skip
        by_id = {f.resource.resource_id: f for f in items}
        out: list[Outcome] = []
        for chunk in chunks(list(by_id), 1 if single else per_call):

            def read(resp: Item, chunk: list[str] = chunk) -> list[Outcome]:
                rid = str(resp.get("RequestId", ""))
                return [Outcome(i, True, done(by_id[i], resp), rid) for i in chunk]

            params = {id_param: chunk[0] if single else chunk}
            out += mutate(session, journal, f"{service}.{name}", region, params, chunk, read)
        return out

    return give_back


def tagged(key: str, want: str | None) -> Callable[[CloudResource, str], Verdict]:
    """TKE's rule for what it tags: the resource carries `key` (with the value `want`, if one is wanted)."""

    def made_by_tke(r: CloudResource, cluster_id: str) -> Verdict:
        flag = r.tag(key)
        if flag is None or (want is not None and flag != want):
            return None
        return (fact("leftover.tag", key, flag),)

    return made_by_tke


def cluster_tag(r: CloudResource) -> tuple[str, Fact] | None:
    """The cluster TKE tagged a disk, load balancer or address with (tke-clusterId)."""
    cluster_id = r.tag(CLUSTER_TAG)
    return (cluster_id, fact("leftover.cluster_gone", CLUSTER_TAG, cluster_id)) if cluster_id else None
