"""A Chinese team reads Chinese (issue 20, item 2): every sentence of a zh-CN message and of the Chinese status page is
Chinese; ids, tag keys and values, instance types, API names and the cloud's own words stay as they are.

The demo world, scanned for real with everything on (prices, leftovers, the legacy rules) and with failures that
reach the reader (a cluster's node listing and TKE's confirmation failing, a type that cannot be priced), told
through the fake bots as it happens: the new message, a digest, the resolved message, a cleanup summary. Then the
words left once the allow-list below has taken out what is meant to stay as it is must all be Chinese.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans.cleanup import Options, run_operation
from tke_orphans.cloud.actions import all_failed
from tke_orphans.cloud.errors import CloudError
from tke_orphans.context import Run
from tke_orphans.notify import i18n
from tke_orphans.records import leftover_from_dict
from tke_orphans.render.json import to_json
from tke_orphans.serve.page import render_page

from ..state.conftest import DEMO, Rig, rig_for

GZ, SH = "ap-guangzhou", "ap-shanghai"
# The cloud's own words in the failures this world is given: shown as the cloud wrote them, in any language.
CLOUD_WORDS = ("An internal error has occurred.", "The instance type is sold out.", "No permission to do this.",
               "InternalError", "ResourceInsufficient", "UnauthorizedOperation")  # fmt: skip
FAULTS: list[dict[str, Any]] = [
    {"action": "DescribeClusterInstances", "region": SH, "code": "InternalError", "message": CLOUD_WORDS[0]},
    {"action": "DescribeExistedInstances", "region": SH, "code": "InternalError", "message": CLOUD_WORDS[0]},
    {"action": "InquiryPriceRunInstances", "params": {"InstanceType": "S5.MEDIUM4"}, "code": "ResourceInsufficient",
     "message": CLOUD_WORDS[1]},
    {"action": "DescribeZoneInstanceConfigInfos", "region": GZ, "code": "InternalError", "message": CLOUD_WORDS[0]},
    {"action": "InquiryPriceCreateLoadBalancer", "code": "InternalError", "message": CLOUD_WORDS[0]},
    {"service": "sts", "action": "GetCallerIdentity", "code": "UnauthorizedOperation", "message": CLOUD_WORDS[2]},
]  # fmt: skip
# ASCII words that are no English sentence: units and product names a Chinese text writes in Latin letters, and
# the status page's link to its English version.
ALLOWED = {"IP", "GB", "Mbps", "UTC", "CVM", "CLB", "TKE", "ID", "LCU", "UIN", "tke", "orphans", "English"}


def english_words(text: str) -> list[str]:
    """The ASCII words left once markup, code spans (<code> on the page), quoted data (“…”: what a legacy rule
    matched), the cloud's words and every token that names something (it has a digit or one of - _ . : = / @ in it:
    ids, tag keys and values, types, API names, commands, times) are taken out, and UPPER-CASE ones (the cloud's
    states and charge types)."""
    text = re.sub(r"<style>.*?</style>|<code>.*?</code>|<[^>]+>|`[^`]*`|“[^”]*”", " ", text, flags=re.S)
    for words in CLOUD_WORDS:
        text = text.replace(words, " ")
    tokens = re.split(r"[\s()\[\]{},;\"'*#|!?]+", re.sub(r"[^\x00-\x7f]", " ", text))
    return [
        tok for tok in tokens
        if re.search(r"[A-Za-z]", tok) and not re.search(r"[\d\-_.:=/@~¥$&+]", tok)
        and not tok.isupper() and tok not in ALLOWED
    ]  # fmt: skip


def test_the_allow_list_lets_english_through() -> None:
    # The check itself: an English sentence around ids is caught; ids, tags, APIs and the cloud's words are not.
    assert english_words("证据: tag tke-clusterId=cls-gone0001: a cluster the region no longer has") == [
        "tag", "a", "cluster", "the", "region", "no", "longer", "has",
    ]  # fmt: skip
    failed = "tke.DescribeClusterInstances（cls-x）调用失败：InternalError: An internal error has occurred."
    assert english_words(failed) == []
    assert english_words("`tke-orphans cleanup --only ins-1` · UNATTACHED · S5.MEDIUM4 · 10 GB · ¥35.04") == []


def test_every_fact_has_its_chinese_with_the_same_blanks() -> None:
    # A fact the core can say and Chinese cannot would fall back to English (or fail) in a Chinese message.
    from tke_orphans.facts import all_english
    from tke_orphans.notify.i18n import FACTS_ZH, KIND_WORDS_ZH

    ENGLISH = all_english()
    FACTS_ZH = {**FACTS_ZH, **KIND_WORDS_ZH}
    assert FACTS_ZH.keys() == ENGLISH.keys()
    blanks = re.compile(r"\{\d\}")
    assert {k: sorted(blanks.findall(v)) for k, v in FACTS_ZH.items()} == {
        k: sorted(blanks.findall(v)) for k, v in ENGLISH.items()
    }


@pytest.fixture
def told(tmp_path: Path) -> Iterator[tuple[Rig, list[str], str]]:
    """(the rig, every message the WeCom bot accepted, the Chinese status page after the second scan)."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    gz = data["regions"][GZ]
    gz["instances"] = [i for i in gz["instances"] if i["InstanceId"] != "ins-gznew001"]  # launching: not today
    detection = {"leftovers": ["cbs_disk", "clb", "eip"], "legacy_heuristics": True}
    with rig_for(data, tmp_path, faults=FAULTS, detection=detection) as rig:
        rig.run()  # new
        rig.run(advance=timedelta(hours=25))  # a digest
        db = rig.state
        leftovers = [(leftover_from_dict(dict(t.record)), t.first_seen) for t in db.leftovers.open()]
        page = render_page(db.orphans.open_rows(), db.scans.last(), db.scans.recent(5), "zh-CN", now=rig.now,
                           leftovers=leftovers)  # fmt: skip
        # Resolved: one terminated, one given the ignore tag, an address bound again.
        rig.emulator.store.remove_instance(GZ, "ins-gzorp001")
        store = rig.emulator.store
        tags = [*store.regions[GZ].by_id["ins-gzredis1"]["Tags"], {"Key": "tke-orphans:ignore", "Value": "true"}]
        store.set_instance(GZ, "ins-gzredis1", Tags=tags)
        store.regions[GZ].addresses["eip-gzleft01"]["AddressStatus"] = "BIND"
        rig.run(advance=timedelta(hours=1))
        # A cleanup whose names cannot be made (sts refused): its summary tells what failed.
        run_operation(Run(rig.config), rig.state, Options(action="mark", dry_run=False), who="ops@bastion-1",
                      now=lambda: rig.now)  # fmt: skip
        yield rig, rig.texts("wecom"), page


def test_every_sentence_a_chinese_team_reads_is_chinese(told: tuple[Rig, list[str], str]) -> None:
    _, texts, page = told
    messages = by_kind(texts)
    assert list(messages) == ["new", "reminder", "resolved", "cleanup"]  # each message of the story
    for kind, text in messages.items():
        assert english_words(text) == [], f"English in the {kind} message:\n{text}"
    assert english_words(page) == [], "English on the Chinese status page"


KINDS = {"new": "🚨 发现", "reminder": "⏰ 仍有", "resolved": "✅", "cleanup": "🧹"}


def by_kind(texts: list[str]) -> dict[str, str]:
    """The messages by kind, their parts (a message longer than WeCom takes is split) joined."""
    out: dict[str, str] = {}
    for text in texts:
        kind = next(k for k, mark in KINDS.items() if mark in text)
        out[kind] = out.get(kind, "") + text
    return out


def test_the_three_examples_of_the_issue(told: tuple[Rig, list[str], str]) -> None:
    _, texts, page = told
    new, resolved, cleanup = (by_kind(texts)[k] for k in ("new", "resolved", "cleanup"))
    # A leftover's evidence (it was "tag tke-clusterId=cls-gone0001: a cluster the region no longer has").
    assert "证据: 标签 tke-cbs-provisioner-createBy-flag=yes；标签 tke-clusterId=cls-gone0001：该地域已无此集群" in new
    # The price source on the Chinese status page (it was "renew: S5.2XLARGE16, system disk 50 GB, …").
    assert "续费价: S5.2XLARGE16；系统盘 50 GB；1 块数据盘共 200 GB；续费一个月；带宽 5 Mbps" in page
    # A cleanup outcome inside a Chinese summary: what failed around the cloud's words.
    sts = "sts.GetCallerIdentity 调用失败：UnauthorizedOperation: No permission to do this."
    assert f"打标记 失败 (无法生成资源六段式名称：{sts})" in cleanup
    # And around them: an unpriced instance says why, a failed listing what it could not check, the ignored how.
    assert "费用: 无法询价 (cvm.InquiryPriceRunInstances: ResourceInsufficient: The instance type is sold out.；" in new
    assert "tke.DescribeClusterInstances（cls-prodsh01）调用失败：InternalError" in new
    assert "已忽略（标签 tke-orphans:ignore=true）" in resolved


def test_english_stays_as_it_was(told: tuple[Rig, list[str], str]) -> None:
    rig, _, _ = told
    db = rig.state
    leftovers = [(leftover_from_dict(dict(t.record)), t.first_seen) for t in db.leftovers.open()]
    page = render_page(db.orphans.open_rows(), db.scans.last(), db.scans.recent(5), "en", now=rig.now,
                       leftovers=leftovers)  # fmt: skip
    assert "renew: S5.2XLARGE16, system disk 50 GB, 1 data disk(s) 200 GB, one month&#x27;s renewal, bandwidth" in page
    assert "tag tke-createdBy-flag=yes<br>tag tke-clusterId=cls-gone0001: a cluster the region no longer has" in page
    # The JSON contract shows the sentences, not the facts kept behind them.
    last = db.scans.last()
    assert last is not None
    doc = json.dumps(to_json(last), ensure_ascii=False)
    assert '"fact' not in doc and '"why_facts"' not in doc
    assert '"evidence": ["tag tke-cbs-provisioner-createBy-flag=yes", "tag tke-clusterId=cls-gone0001: a cluster' in doc


def test_a_cleanup_call_of_unknown_outcome_reads_in_chinese() -> None:
    """A time-out or 5xx on a mutating call: the cloud's words stay, the sentence around them is Chinese."""
    [out] = all_failed(["ins-x"], CloudError("cvm.TerminateInstances", "ClientNetworkError", "timed out"))
    assert (
        out.unsure
        and out.detail == "ClientNetworkError: timed out (the outcome is unknown: it may have been carried out)"
    )
    assert i18n.words(out.detail, out.fact, "zh-CN") == "ClientNetworkError: timed out（结果未知：可能已执行）"
    [refused] = all_failed(["ins-x"], CloudError("cvm.TerminateInstances", "InvalidInstance.NotSupported", "no"))
    assert not refused.unsure
    assert i18n.words(refused.detail, refused.fact, "zh-CN") == "InvalidInstance.NotSupported: no"
