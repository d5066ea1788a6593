"""The calls cleanup makes: tag, price and terminate, add back to a cluster. Each returns what the cloud answered.

Batches follow the API reference: TerminateInstances takes at most 100 instances of one charge type, TagResources
at most 10 resources. Every mutating call goes through `mutate`, which tells a `Journal` before it is sent and as
soon as it answers, so that what was done is on record even if the process is killed right after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..facts import Fact, english, fact
from ..model import Instance
from .errors import CloudError, is_retryable, is_throttled
from .inventory import PAGE, chunks, convert, to_instance, whole_answer
from .pricing import is_price
from .session import Session

MARK_TAG = "tke-orphans:marked-at"
NO_REASON = fact("cleanup.no_reason")


@dataclass(frozen=True)
class Outcome:
    instance_id: str
    ok: bool
    detail: str
    request_id: str = ""
    fact: Fact | None = None  # `detail` as data, where it is more than the cloud's own words
    # The call failed in a way that does not say whether it was carried out (a time-out, a 5xx, a cut answer).
    unsure: bool = False


class Journal(Protocol):
    """Where each mutating call is written before it is sent and as soon as it answers (cleanup's record)."""

    def sent(self, call: str, ids: list[str]) -> None: ...

    def answered(self, outcomes: list[Outcome]) -> None: ...


class NoJournal:
    def sent(self, call: str, ids: list[str]) -> None:
        pass

    def answered(self, outcomes: list[Outcome]) -> None:
        pass


NO_JOURNAL = NoJournal()


def mutate(session: Session, journal: Journal, api: str, region: str, params: dict[str, Any], ids: list[str],
            read: Callable[[dict[str, Any]], list[Outcome]], *, call: str = "", cluster_id: str | None = None,
            version: str | None = None) -> list[Outcome]:  # fmt: skip
    """One mutating call for `ids`: on record before it is sent, and its outcome as soon as it answers. An answer
    that cannot be read raises, and the record stays pending: the next run looks the resources up."""
    service, action = api.split(".")
    journal.sent(call or api, ids)
    try:
        resp = session.call(service, action, region, params, mutating=True, cluster_id=cluster_id, version=version)
    except CloudError as exc:
        out = all_failed(ids, exc)
    else:
        out = read(resp)
    journal.answered(out)
    return out


def instances_by_id(session: Session, region: str, ids: list[str]) -> dict[str, Instance]:
    """These instances as the cloud sees them right now; one missing from a whole answer is gone. An answer short
    of its TotalCount raises CloudError (IncompleteListing): a live instance must never look gone."""
    api = "cvm.DescribeInstances"
    out: dict[str, Instance] = {}
    for chunk in chunks(sorted(set(ids)), PAGE):
        resp = session.call("cvm", "DescribeInstances", region, {"InstanceIds": chunk, "Limit": PAGE})
        for inst in convert(api, whole_answer(api, resp, "InstanceSet", len(chunk)), to_instance):
            out[inst.instance_id] = inst
    return out


def owner_uin(session: Session, configured: str | None, region: str) -> str:
    """The account's uin, which resource names need: configured, or asked of STS (which needs a region)."""
    if configured:
        return configured
    resp = session.call("sts", "GetCallerIdentity", region, {})
    uin = str(resp.get("AccountId") or "")
    if not uin.isdigit():
        raise CloudError("sts.GetCallerIdentity", "InvalidResponse", "no AccountId in the answer")
    return uin


def all_failed(ids: list[str], exc: CloudError) -> list[Outcome]:
    unsure = is_retryable(exc.code) and not is_throttled(exc.code)  # throttled: refused before it was carried out
    said = fact("cleanup.unsure", exc.code, exc.message) if unsure else fact("text", f"{exc.code}: {exc.message}")
    return [Outcome(i, False, english(said), exc.request_id, said, unsure) for i in ids]


def mark(session: Session, region: str, uin: str, ids: list[str], value: str,
         resource: tuple[str, str] = ("cvm", "instance"), journal: Journal = NO_JOURNAL) -> list[Outcome]:  # fmt: skip
    """Tag each resource with the mark; `resource`: the (service, prefix) of its six-segment name."""
    service, prefix = resource
    out: list[Outcome] = []
    for chunk in chunks(ids, 10):
        names = {f"qcs::{service}:{region}:uin/{uin}:{prefix}/{i}": i for i in chunk}
        params = {"ResourceList": list(names), "Tags": [{"TagKey": MARK_TAG, "TagValue": value}]}

        def read(resp: dict[str, Any], names: dict[str, str] = names) -> list[Outcome]:
            failed = {f["Resource"]: f for f in resp.get("FailedResources") or []}
            rid, done = str(resp.get("RequestId", "")), f"tagged {MARK_TAG}={value}"
            return [Outcome(i, n not in failed, f"{failed[n]['Code']}: {failed[n]['Message']}" if n in failed
                            else done, rid) for n, i in names.items()]  # fmt: skip

        out += mutate(session, journal, "tag.TagResources", region, params, chunk, read)
    return out


def refunds(session: Session, region: str, ids: list[str]) -> dict[str, float]:
    """What returning each (prepaid) instance would refund; raises CloudError. Callers pass one charge type. A refund
    that is missing or could not be one (negative, NaN, absurd: `is_price`) is left out: that instance's refund is
    unknown, and it is left alone."""
    out: dict[str, float] = {}
    for chunk in chunks(ids, 100):
        resp = session.call("cvm", "InquiryPriceTerminateInstances", region, {"InstanceIds": chunk})
        for r in resp.get("InstanceRefundsSet") or []:
            if is_price(amount := r.get("Refunds")):
                out[str(r.get("InstanceId"))] = float(amount)
    return out


def _terminate_batches(session: Session, region: str, ids: list[str], done: str, journal: Journal,
                       call: str = "") -> list[Outcome]:  # fmt: skip
    out: list[Outcome] = []
    for chunk in chunks(ids, 100):

        def read(resp: dict[str, Any], chunk: list[str] = chunk) -> list[Outcome]:
            return [Outcome(i, True, done, str(resp.get("RequestId", ""))) for i in chunk]

        out += mutate(session, journal, "cvm.TerminateInstances", region, {"InstanceIds": chunk}, chunk, read,
                       call=call)  # fmt: skip
    return out


RECYCLED = "moved to the recycle bin"
DESTROYED = "destroyed"
# The second TerminateInstances, of instances in the recycle bin, as its record names it.
DESTROY_CALL = "cvm.TerminateInstances (recycle bin)"


def terminate(session: Session, region: str, charge_types: dict[str, str],
              journal: Journal = NO_JOURNAL) -> list[Outcome]:  # fmt: skip
    """Return instances (id -> charge type), in batches of one charge type, as the API requires. A postpaid
    instance is destroyed; a prepaid one moves to the recycle bin (a second call would destroy it)."""
    by_type: dict[str, list[str]] = {}
    for iid, charge in charge_types.items():
        by_type.setdefault(charge, []).append(iid)
    out: list[Outcome] = []
    for charge, ids in sorted(by_type.items()):
        out += _terminate_batches(session, region, ids, RECYCLED if charge == "PREPAID" else DESTROYED, journal)
    return out


def destroy_recycled(session: Session, region: str, ids: list[str], journal: Journal = NO_JOURNAL) -> list[Outcome]:
    """The second TerminateInstances of prepaid instances already in the recycle bin: they are destroyed."""
    return _terminate_batches(session, region, ids, DESTROYED, journal, DESTROY_CALL)


def add_existed(session: Session, region: str, cluster_id: str, node_pool_id: str | None, ids: list[str],
                journal: Journal = NO_JOURNAL) -> list[Outcome]:  # fmt: skip
    out: list[Outcome] = []
    detail = f"added to {cluster_id}" + (f"/{node_pool_id}" if node_pool_id else "")
    for chunk in chunks(ids, 100):
        params: dict[str, object] = {"ClusterId": cluster_id, "InstanceIds": chunk}
        if node_pool_id:
            params["NodePool"] = {"AddToNodePool": True, "NodePoolId": node_pool_id}

        def read(resp: dict[str, Any], chunk: list[str] = chunk) -> list[Outcome]:
            reasons = dict(zip(resp.get("FailedInstanceIds") or [], resp.get("FailedReasons") or [], strict=False))
            succ, rid = set(resp.get("SuccInstanceIds") or []), str(resp.get("RequestId", ""))
            return [Outcome(i, True, detail, rid) if i in succ
                    else Outcome(i, False, reasons[i], rid) if i in reasons  # the cloud's own words
                    else Outcome(i, False, english(NO_REASON), rid, NO_REASON) for i in chunk]  # fmt: skip

        out += mutate(session, journal, "tke.AddExistedInstances", region, params, chunk, read, cluster_id=cluster_id)
    return out
