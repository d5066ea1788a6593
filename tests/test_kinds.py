"""The registry of kinds (kinds/): every kind declares every piece, and every part of the product that treats kinds
reads them from it, so that a new kind is its own file and one line in the registry."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.config.schema import Detection
from tke_orphans.facts import all_english
from tke_orphans.kinds import KINDS, VM, KindSpec, default_kinds, kind_of_id, names, noun
from tke_orphans.notify.i18n import KINDS as NOUNS
from tke_orphans.notify.i18n import zh
from tke_orphans.serve.metrics import Metrics

ROOT = Path(__file__).resolve().parents[1]
BLANKS = re.compile(r"\{\d\}")


@pytest.mark.parametrize("spec", list(KINDS.values()), ids=list(KINDS))
def test_every_kind_declares_every_piece(spec: KindSpec) -> None:
    # Every piece without a default (those with one are the steps only some kinds need) is there.
    required = [f.name for f in dataclasses.fields(KindSpec)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]  # fmt: skip
    assert len(required) >= 15, required  # noun, listing, rule, price, look, give-back, CAM...: not vacuous
    for name in required:
        assert getattr(spec, name) not in (None, "", ()), f"{spec.name} lacks {name}"
    assert spec.noun.zh and spec.noun.en and spec.noun.many and spec.noun.heading.isupper()
    assert re.fullmatch(r"[a-z]+-", spec.id_prefix)
    assert spec.metric == spec.name and re.fullmatch(r"[a-z_]+", spec.name)
    # The CAM actions name the listing, and cleanup's call is among the write actions.
    assert f"{spec.listing.service}:{spec.listing.action}" in spec.cam_read
    assert spec.cam_write and all(re.fullmatch(r"[a-z]+:[A-Z][A-Za-z]+", a) for a in spec.cam_read + spec.cam_write)
    # Its own facts are worded in both languages, with the same blanks.
    for key, (en, said) in spec.words.items():
        assert sorted(BLANKS.findall(en)) == sorted(BLANKS.findall(said)), key
        assert all_english()[key] == en and zh(key) == said


def test_every_part_that_names_kinds_reads_the_registry() -> None:
    assert names() == (VM.name, *KINDS)
    assert set(NOUNS) == set(KINDS) and all(NOUNS[k]["zh-CN"] == noun(k).zh for k in KINDS)
    assert Detection(leftovers=list(KINDS)).policy().leftovers == tuple(KINDS)
    assert Detection().policy().leftovers == default_kinds()
    assert Metrics(list(KINDS)).leftover_kinds == tuple(KINDS)
    help_text = CliRunner().invoke(app, ["cleanup", "--help"], env={"COLUMNS": "200"}).output
    assert all(k in help_text for k in names())


def test_each_kind_s_id_prefix_is_its_own() -> None:
    prefixes = [VM.id_prefix, *(s.id_prefix for s in KINDS.values())]
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)], prefixes
    assert [kind_of_id(p + "x1") for p in prefixes] == list(names())


def test_an_unknown_kind_is_refused_with_the_kinds_named() -> None:
    with pytest.raises(ValueError, match="unknown kind 'nfs': the kinds are cbs_disk, clb, eip, cfs, security_group"):
        Detection(leftovers=["nfs"])


def test_the_new_kinds_are_off_by_default() -> None:
    """cfs and security_group need read actions an existing CAM policy lacks: on by default, every such user's scan
    would turn partial (exit 3) on upgrade. They are asked for by name in detection.leftovers."""
    assert default_kinds() == ("cbs_disk", "clb", "eip")


def test_the_readme_cam_policy_is_the_registry_s() -> None:
    """The README's minimal policy holds the VMs' read actions and those of the kinds looked for by default; its
    opt-in line names the others' (the actions come from the registry, so the doc cannot go stale)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    policy = readme.split("### Minimal CAM policy", 1)[1].split("```", 2)[1]
    listed = set(re.findall(r'"([a-z]+:[A-Za-z]+)"', policy))
    wanted = {*VM.cam_read, *(a for k in default_kinds() for a in KINDS[k].cam_read)}
    wanted |= {
        "region:DescribeRegions",
        "cvm:DescribeRegions",
        "tke:DescribeEKSClusters",
        "tke:DescribeTKEEdgeClusters",
    }
    assert listed == wanted
    opt_in = readme.split("### Minimal CAM policy", 1)[1].split("```", 3)[2]
    for k in set(KINDS) - set(default_kinds()):
        assert all(f"`{a}`" in opt_in for a in KINDS[k].cam_read), k
