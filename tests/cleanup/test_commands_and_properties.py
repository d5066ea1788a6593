"""The cleanup command (recorded, notified, history) and the property that a dry run selects what a real run does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.emulator.generate import generate_world
from tke_orphans.sinks import ChatSinks, SinkBot

from .conftest import demo_data, outcomes, rig_for


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


worlds = st.builds(
    generate_world,
    regions=st.integers(1, 2),
    instances=st.integers(50, 300),
    clusters=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds, action=st.sampled_from(["mark", "terminate"]), cap=st.integers(1, 40))
def test_dry_run_and_real_run_select_the_same_instances(
    world: dict[str, Any], action: str, cap: int, tmp_path_factory: Any
) -> None:
    with rig_for(world, tmp_path_factory.mktemp("prop")) as rig:
        rig.scan()
        nodes = {n["InstanceId"] for r in world["regions"].values() for c in r["clusters"] for n in c["nodes"]}
        dry = rig.cleanup(action=action, max=cap)
        real = rig.cleanup(action=action, max=cap, dry_run=False)
        would = {i for i, (o, _) in outcomes(dry).items() if o == "dry-run"}
        done = {i for i, (o, _) in outcomes(real).items() if o == "done"}
        assert would == done
        assert not done & nodes  # a node of any cluster is never acted on
        assert {i for i, (o, _) in outcomes(dry).items() if o != "dry-run"} == {
            i for i, (o, _) in outcomes(real).items() if o != "done"
        }
        assert done <= {o["instance_id"] for o in world["answer_key"]["orphans"]}
