"""Property-based: every record survives its encoding (records.py) and JSON, every field of it, and the state
gives back the scan it stored."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tke_orphans import records
from tke_orphans.facts import Fact, all_english
from tke_orphans.kinds import KINDS
from tke_orphans.model import (
    ActionLine,
    ApiFailure,
    Cost,
    Disk,
    Evidence,
    EvidenceKind,
    Excluded,
    ExcludedWhy,
    Instance,
    Internet,
    Leftover,
    Notice,
    Orphan,
    Reason,
    RegionResult,
    Resolved,
    ScanResult,
    Unverified,
    Vm,
)
from tke_orphans.state import StateDB

text = st.text(max_size=20)
maybe_text = st.none() | text
# UTC, to the second: what the cloud gives and what the encoding keeps.
times = st.datetimes(datetime(1970, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)).map(
    lambda t: t.replace(microsecond=0)
)
pairs = st.dictionaries(text, text, max_size=4).map(lambda d: tuple(d.items()))

instances = st.builds(
    Instance,
    instance_id=text,
    name=text,
    state=text,
    instance_type=text,
    cpu=st.integers(0, 10_000),
    memory_gb=st.integers(0, 100_000),
    charge_type=text,
    created=times,
    expired=st.none() | times,
    zone=text,
    vpc_id=text,
    private_ips=st.lists(text, max_size=3).map(tuple),
    public_ips=st.lists(text, max_size=3).map(tuple),
    tags=pairs,
    disable_api_termination=st.booleans(),
    image_id=text,
    system_disk=st.none() | st.builds(Disk, text, st.integers(0, 32_000), text, st.none() | st.booleans()),
    data_disks=st.lists(st.builds(Disk, text, st.integers(0, 32_000), text, st.none() | st.booleans()), max_size=3).map(
        tuple
    ),
    internet=st.none() | st.builds(Internet, text, st.integers(0, 10_000), text),
    renew_flag=text,
)
money = st.none() | st.floats(0, 1e9, allow_nan=False)
# The sentences as data behind the English (facts.py): kept by the records, for the messages' other languages.
facts = st.builds(Fact, st.sampled_from(sorted(all_english())), st.lists(text, max_size=4).map(tuple))
some_facts = st.lists(facts, max_size=3).map(tuple)
costs = st.none() | st.builds(
    Cost, text, money, money, st.none() | st.sampled_from(["inquiry", "type_only", "renew"]), text, some_facts
)
evidence = st.lists(st.builds(Evidence, st.sampled_from(EvidenceKind), text, text, st.none() | facts), max_size=3).map(
    tuple
)
orphans = st.builds(Orphan, text, text, instances, st.sampled_from(Reason), evidence, maybe_text, maybe_text, costs)
unverified = st.builds(Unverified, text, text, instances, evidence, text, maybe_text, maybe_text, some_facts)
failures = st.builds(ApiFailure, text, text, text, maybe_text)
regions = st.builds(
    RegionResult,
    text,
    text,
    st.sampled_from(["ok", "partial", "error"]),
    st.integers(0, 10**6),
    st.integers(0, 10**4),
    st.integers(0, 10**6),
    st.lists(failures, max_size=2).map(tuple),
    st.dictionaries(text, st.floats(0, 1), max_size=3).map(lambda d: tuple(d.items())),
)
excluded = st.builds(Excluded, text, text, text, st.sampled_from(ExcludedWhy), text, st.none() | facts)
leftovers = st.builds(
    Leftover,
    text,
    text,
    st.sampled_from(sorted(KINDS)),
    text,
    text,
    text,
    st.lists(text, max_size=3).map(tuple),
    text,
    st.none() | times,
    st.booleans(),
    st.booleans(),
    facts=some_facts,
)
scans = st.builds(
    ScanResult,
    scanned_at=times,
    status=st.sampled_from(["ok", "partial", "error"]),
    regions=st.lists(regions, max_size=3).map(tuple),
    orphans=st.lists(orphans, max_size=3).map(tuple),
    unverified=st.lists(unverified, max_size=2).map(tuple),
    excluded=st.lists(excluded, max_size=2).map(tuple),
    errors=st.lists(failures, max_size=2).map(tuple),
    leftovers=st.lists(leftovers, max_size=3).map(tuple),
)
resolved = st.builds(
    Resolved,
    st.builds(Vm, text, text, instances, maybe_text) | leftovers,
    st.sampled_from(["terminated", "rejoined", "ignored", "gone", "in_use", "not_leftover"]),
    text,
    st.none() | times,
    st.none() | facts,
)
notices = st.builds(
    Notice,
    kind=st.sampled_from(["new", "reminder", "resolved", "test", "cleanup"]),
    scanned_at=times,
    findings=st.lists(orphans | leftovers, max_size=3).map(tuple),
    resolved=st.lists(resolved, max_size=3).map(tuple),
    unverified=st.lists(unverified, max_size=2).map(tuple),
    errors=st.lists(st.tuples(text, failures), max_size=2).map(tuple),
    first_seen=st.dictionaries(text, times, max_size=3),
    status_url=maybe_text,
    actions=st.lists(
        st.builds(ActionLine, text, text, text, text, text, text, text, fact=st.none() | facts), max_size=2
    ).map(tuple),
)


def through_json(doc: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(doc, ensure_ascii=False))
    return loaded


@given(orphans)
def test_an_orphan_round_trips(o: Orphan) -> None:
    assert records.orphan_from_dict(through_json(records.candidate_to_dict(o))) == o


@given(unverified)
def test_an_unverified_candidate_round_trips(u: Unverified) -> None:
    assert records.unverified_from_dict(through_json(records.candidate_to_dict(u))) == u


@given(leftovers)
def test_a_leftover_round_trips(x: Leftover) -> None:
    assert records.leftover_from_dict(through_json(records.leftover_to_dict(x))) == x


@given(scans)
def test_a_scan_round_trips(result: ScanResult) -> None:
    assert records.scan_from_dict(through_json(records.scan_to_dict(result))) == result


@given(notices, st.none() | st.integers(1, 10**6))
def test_a_notice_round_trips(notice: Notice, scan_id: int | None) -> None:
    doc = through_json(records.notice_to_dict(notice, scan_id))
    assert doc["scan_id"] == scan_id
    assert records.notice_from_dict(doc) == notice


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scans)
def test_the_state_gives_back_the_scan_it_stored(result: ScanResult) -> None:
    """Every field, vpc_id, termination protection and the price-relevant ones too (the JSON output does not show
    them), and each orphan's cost."""
    with tempfile.TemporaryDirectory() as tmp, StateDB(Path(tmp) / "s.db") as db:
        scan_id = db.scans.record(result)
        assert db.scans.result(scan_id) == result
        assert db.scans.last() == result
