"""The cleanup command (recorded, notified, history) and the property that a dry run selects what a real run does."""

from __future__ import annotations

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
from tke_orphans_testkit.emulator.generate import generate_world
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from .conftest import DAY, demo_data, outcomes, rig_for


def test_cleanup_command_records_notifies_and_shows_in_history(tmp_path: Path) -> None:
    data = demo_data()
    bot = SinkBot("wecom", "wc-cleanup")
    with rig_for(data, tmp_path) as rig, ChatSinks([bot]) as sinks:
        rig.scan()
        cred = data["credentials"][0]
        tc = {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
              "endpoint_url": rig.emulator.url}  # fmt: skip
        wecom = {"enabled": True, "url": sinks.bot_url(bot)}
        cfg = {"tencentcloud": tc, "webhook": {"enabled": True, "platforms": {"wecom": wecom}}}
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        rig.state.close()
        base = ["cleanup", "-c", str(path), "--state", str(tmp_path / "state.db"), "--min-orphan-age", "0s",
                "--action", "terminate"]  # fmt: skip
        runner = CliRunner()
        staged = runner.invoke(app, [*base, "-o", "json"])
        assert staged.exit_code == 0, staged.output
        assert {d["detail"].split(" (")[0] for d in json.loads(staged.stdout)["decisions"]} == {"not marked"}
        base.insert(-2, "--unmarked")
        dry = runner.invoke(app, base)
        assert dry.exit_code == 0, dry.output
        assert "DRY-RUN: nothing is changed" in dry.output and dry.output.count("DRY-RUN") == 5
        assert sinks.accepted() == []  # a dry run tells nobody
        real = runner.invoke(app, [*base, "--yes", "--only", "ins-gzorp001", "-o", "json"])
        assert real.exit_code == 0, real.output
        doc = json.loads(real.stdout)
        assert [(d["instance_id"], d["outcome"]) for d in doc["decisions"]] == [("ins-gzorp001", "done")]
        assert doc["notifications"][0]["ok"] is True
        [message] = sinks.accepted()
        assert "孤儿 CVM 清理" in message.text and "ins-gzorp001" in message.text and "销毁 成功" in message.text
        history = runner.invoke(app, ["history", "--state", str(tmp_path / "state.db"), "-o", "json",
                                      "--instance", "ins-gzorp001"])  # fmt: skip
        kinds = [e["kind"] for e in json.loads(history.stdout)]
        assert kinds == ["orphaned", "action:terminate"]
        refused = runner.invoke(app, [*base, "--yes", "--max", "1"])
        assert refused.exit_code == 3 and "more than --max 1" in refused.output
        readd = runner.invoke(app, [*base[:-2], "--action", "readd", "--yes"])
        assert readd.exit_code == 2 and "--action readd needs --cluster" in readd.output
        # The cleanup: section gives the defaults the flags override.
        path.write_text(yaml.safe_dump({**cfg, "cleanup": {"max": 1, "min_mark_age": "0s"}}), encoding="utf-8")
        capped = runner.invoke(app, [*base, "--yes"])
        assert capped.exit_code == 3 and "more than --max 1" in capped.output
        # serve runs cleanup --action mark only: terminating stays a person's decision.
        serve = runner.invoke(app, ["serve", "-c", str(path), "--cleanup", "terminate"])
        assert serve.exit_code == 2


worlds = st.builds(
    generate_world,
    regions=st.integers(1, 2),
    instances=st.integers(50, 300),
    clusters=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)


# A mark on an orphan, relative to the cleanup's time: none, hours ago, or a value that is not a time.
marks = st.one_of(st.none(), st.integers(0, 100).map(lambda h: timedelta(hours=h)), st.just("soon"))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    world=worlds,
    action=st.sampled_from(["mark", "terminate"]),
    cap=st.integers(1, 40),
    marked=st.lists(marks, min_size=40, max_size=40),
    unmarked=st.booleans(),
    min_mark_age=st.sampled_from([timedelta(0), timedelta(hours=72)]),
)
def test_dry_run_and_real_run_select_the_same_instances(
    world: dict[str, Any],
    action: str,
    cap: int,
    marked: list[timedelta | str | None],
    unmarked: bool,
    min_mark_age: timedelta,
    tmp_path_factory: Any,
) -> None:
    """Generated worlds mix postpaid and prepaid orphans in a region; some orphans carry marks of any age."""
    with rig_for(world, tmp_path_factory.mktemp("prop")) as rig:
        rig.scan()
        at = rig.t0 + DAY
        orphans = sorted((o.region, o.instance.instance_id) for o in rig.state.scans.last().orphans)  # type: ignore[union-attr]
        for (region, iid), mark in zip(orphans, marked, strict=False):
            if mark is not None:
                value = mark if isinstance(mark, str) else (at - mark).strftime("%Y-%m-%dT%H:%M:%SZ")
                tags = [*rig.instance(region, iid)["Tags"], {"Key": MARK_TAG, "Value": value}]
                rig.emulator.store.set_instance(region, iid, Tags=tags)
        opts: dict[str, Any] = {"action": action, "max": cap, "unmarked": unmarked, "min_mark_age": min_mark_age}
        nodes = {n["InstanceId"] for r in world["regions"].values() for c in r["clusters"] for n in c["nodes"]}
        dry = rig.cleanup(**opts)
        real = rig.cleanup(**opts, dry_run=False)
        would = {i for i, (o, _) in outcomes(dry).items() if o == "dry-run"}
        done = {i for i, (o, _) in outcomes(real).items() if o == "done"}
        assert would == done
        assert not {i for i, (o, _) in outcomes(real).items() if o == "failed"}  # every batch the cloud accepts
        assert not done & nodes  # a node of any cluster is never acted on
        assert {i for i, (o, _) in outcomes(dry).items() if o != "dry-run"} == {
            i for i, (o, _) in outcomes(real).items() if o != "done"
        }
        assert done <= {o["instance_id"] for o in world["answer_key"]["orphans"]}
        given_marks = dict(zip([i for _, i in orphans], marked, strict=False))
        for iid in done:
            mark = given_marks.get(iid)
            if action == "mark":
                assert mark is None  # a mark is never replaced
            elif mark is None:
                assert unmarked  # never-marked ones only with --unmarked
            else:
                assert isinstance(mark, timedelta) and mark >= min_mark_age
