"""`cleanup --kind` as a command (bad input, the kind in every output) and the property that a dry run selects
the leftovers a real run acts on, on generated worlds."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.cloud.actions import MARK_TAG
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from .conftest import DAY, demo_data, outcomes, rig_for
from .test_commands_and_properties import worlds
from .test_leftovers import ALL_KINDS, KINDS


def test_the_command_names_the_kind_and_refuses_one_not_scanned(tmp_path: Path) -> None:
    data = demo_data()
    bot = SinkBot("wecom", "wc-leftovers")
    with rig_for(data, tmp_path, **ALL_KINDS) as rig, ChatSinks([bot]) as sinks:
        rig.scan()
        cred = data["credentials"][0]
        tc = {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
              "endpoint_url": rig.emulator.url}  # fmt: skip
        webhook = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": sinks.bot_url(bot)}}}
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump({"tencentcloud": tc, "webhook": webhook, **ALL_KINDS}), encoding="utf-8")
        rig.state.close()
        base = ["cleanup", "-c", str(path), "--state", str(tmp_path / "state.db"), "--min-orphan-age", "0s",
                "--kind", "clb"]  # fmt: skip
        runner = CliRunner()
        table = runner.invoke(app, base, terminal_width=160)
        assert table.exit_code == 0, table.output
        assert "cleanup --kind clb --action mark: DRY-RUN" in table.output and "LOAD BALANCER" in table.output
        assert "lb-gzleft01" in table.output and "lb-gzreuse1" not in table.output
        doc = json.loads(runner.invoke(app, [*base, "-o", "json"]).stdout)
        assert doc["kind"] == "clb"
        assert [(d["kind"], d["instance_id"], d["outcome"]) for d in doc["decisions"]] == [
            ("clb", "lb-gzleft01", "dry-run")
        ]
        rows = list(csv.DictReader(io.StringIO(runner.invoke(app, [*base, "--yes", "-o", "csv"]).stdout)))
        assert [(r["kind"], r["instance_id"], r["outcome"]) for r in rows] == [("clb", "lb-gzleft01", "done")]
        [message] = sinks.accepted()  # what was really done is told, as for VMs, under its own title
        assert "已删除集群遗留资源清理：1 个" in message.text and "孤儿 CVM" not in message.text
        assert "lb-gzleft01" in message.text and "打标记 成功" in message.text
        history = runner.invoke(app, ["history", "--state", str(tmp_path / "state.db"), "-o", "json",
                                      "--instance", "lb-gzleft01"])  # fmt: skip
        assert "action:mark" in [e["kind"] for e in json.loads(history.stdout)]
        # A kind the config does not scan for: one sentence, exit 2, nothing done.
        path.write_text(yaml.safe_dump({"tencentcloud": tc, "detection": {"leftovers": ["eip"]}}), encoding="utf-8")
        off = runner.invoke(app, [*base, "--yes"])
        assert off.exit_code == 2, off.output
        assert "--kind clb: the scan does not look for these leftovers; add clb to detection.leftovers in" in " ".join(
            off.output.split()
        )
        assert "Traceback" not in off.output
        recycled = runner.invoke(app, [*base[:-2], "--kind", "eip", "--action", "terminate", "--destroy-recycled"])
        assert recycled.exit_code == 2 and "--destroy-recycled is for --kind cvm only" in recycled.output


def _tag_list(item: dict[str, Any]) -> tuple[str, list[dict[str, str]], str, str]:
    if "TagSet" in item:
        return "TagSet", item["TagSet"], "Key", "Value"
    if "LoadBalancerId" in item:
        return "Tags", item["Tags"], "TagKey", "TagValue"
    return "Tags", item["Tags"], "Key", "Value"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    world=worlds,
    kind=st.sampled_from(list(KINDS)),
    action=st.sampled_from(["mark", "terminate"]),
    cap=st.integers(1, 30),
    marked=st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=30, max_size=30),
    unmarked=st.booleans(),
)
def test_dry_run_and_real_run_select_the_same_leftovers(
    world: dict[str, Any], kind: str, action: str, cap: int, marked: list[int | None], unmarked: bool,
    tmp_path_factory: Any,
) -> None:  # fmt: skip
    """Generated worlds hold leftovers of deleted clusters next to attached, bound, reused, protected, live and
    user-owned resources; some leftovers carry marks of any age."""
    with rig_for(world, tmp_path_factory.mktemp("prop"), **ALL_KINDS) as rig:
        rig.scan()
        at = rig.t0 + DAY
        table = KINDS[kind][1]
        ours = sorted((x["region"], x["resource_id"]) for x in world["answer_key"]["leftovers"] if x["kind"] == kind)
        for (region, rid), hours in zip(ours, marked, strict=False):
            item = getattr(rig.emulator.store.regions[region], table).get(rid)
            if hours is not None and item is not None:
                field, tags, k, v = _tag_list(item)
                item[field] = [*tags, {k: MARK_TAG, v: (at - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")}]
        opts: dict[str, Any] = {"kind": kind, "action": action, "max": cap, "unmarked": unmarked}
        dry = outcomes(rig.cleanup(**opts))
        real = outcomes(rig.cleanup(**opts, dry_run=False))
        assert {i for i, (o, _) in dry.items() if o == "dry-run"} == {i for i, (o, _) in real.items() if o == "done"}
        assert {i for i, (o, _) in dry.items() if o != "dry-run"} == {i for i, (o, _) in real.items() if o != "done"}
        assert not {i for i, (o, _) in real.items() if o == "failed"}  # every batch the cloud accepts
        done = {i for i, (o, _) in real.items() if o == "done"}
        assert done <= {rid for _, rid in ours}  # never a resource the answer key says is not a leftover
        assert not done & set(world["answer_key"]["not_leftovers"])
