"""webhook.routes: each team's bots are told of their own findings only, once each (new, then resolved), across
runs and after a failed delivery; what no route takes goes to the bots no route names. The real job against the
emulator and the chat sinks; bad routes are refused with the key named."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from tke_orphans.config import config_from_data
from tke_orphans.render.json import to_json
from tke_orphans_testkit.sinks import SinkFault

from .conftest import FAST, FEISHU, WECOM, rig_for

GZ = [{"name": "team-gz", "match": {"regions": ["ap-guangzhou"]}, "bots": ["feishu"]}]
GZ_ORPHANS = {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003"}


def orphans_in(texts: list[str]) -> set[str]:
    return set(re.findall(r"ins-[a-z]{2}orp\d{3}", " ".join(texts)))


def test_each_route_is_told_its_own_findings_once(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path, routes=GZ) as rig:
        job = rig.run()
        assert sorted(n.route or "" for n in job.notices) == ["default", "team-gz"]
        assert orphans_in(rig.texts("feishu")) == GZ_ORPHANS
        assert orphans_in(rig.texts("wecom")) == {"ins-shorp001"}
        told = (len(rig.texts("feishu")), len(rig.texts("wecom")))
        rig.run(advance=timedelta(minutes=10))
        assert (len(rig.texts("feishu")), len(rig.texts("wecom"))) == told  # nothing new: nothing told again
        rig.emulator.store.remove_instance("ap-guangzhou", "ins-gzorp002")
        [resolved] = rig.run(advance=timedelta(minutes=10)).notices
        assert resolved.route == "team-gz" and len(rig.texts("wecom")) == told[1]
        assert "已解决" in rig.texts("feishu")[-1] and orphans_in(rig.texts("feishu")[-1:]) == {"ins-gzorp002"}


def test_a_route_left_owed_is_told_its_own_after_the_outage(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """The team's bot is down during the run: the outbox keeps its route, and the next delivery sends that bot
    its own notice only, while the default bot, already told, gets nothing again."""
    down = [SinkFault("feishu", effect="http_500", times=2)]  # both attempts of the first run (max_attempts 2)
    with rig_for(demo_data, tmp_path, sink_faults=down, routes=GZ) as rig:
        first = rig.run()
        assert not rig.texts("feishu") and orphans_in(rig.texts("wecom")) == {"ins-shorp001"}
        assert any(not d.ok for d in first.deliveries)
        rig.run(advance=timedelta(minutes=10))
        assert orphans_in(rig.texts("feishu")) == GZ_ORPHANS
        assert orphans_in(rig.texts("wecom")) == {"ins-shorp001"} and len(rig.texts("wecom")) == 1


def test_a_route_by_account_names_the_account_in_its_title(demo_data: dict[str, Any], tmp_path: Path) -> None:
    cred = demo_data["credentials"][0]
    with rig_for(demo_data, tmp_path) as rig:
        platforms = {
            "wecom": {"enabled": True, "url": rig.sinks.bot_url(WECOM)},
            "feishu": {"enabled": True, "url": rig.sinks.bot_url(FEISHU), "secret": FEISHU.secret},
        }
        data = {
            "tencentcloud": {"endpoint_url": rig.emulator.url, "retry": FAST},
            "accounts": [{"name": name, "secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "uin": uin,
                          "regions": ["ap-shanghai"]}
                         for name, uin in (("team-a", "100000000101"), ("team-b", "100000000102"))],
            "webhook": {"enabled": True, "platforms": platforms,
                        "routes": [{"name": "b", "match": {"accounts": ["100000000102"]}, "bots": ["feishu"]}]},
            "detection": {"leftovers": []},
        }  # fmt: skip
        rig.config = config_from_data(data, "test-config")
        rig.run()
        [b_text] = rig.texts("feishu")
        [a_text] = rig.texts("wecom")
    assert "1 个孤儿 CVM 实例（账号 team-b）" in b_text.splitlines()[0]
    assert "team-b" in b_text and "team-a" not in b_text
    assert "team-a" in a_text and "team-b" not in a_text


def _config_file(tmp_path: Path, routes: list[dict[str, Any]]) -> Path:
    cfg = {
        "webhook": {"enabled": True, "routes": routes, "platforms": {
            "wecom": {"enabled": True, "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k1"},
            "feishu": {"enabled": True, "url": "http://127.0.0.1:9/open-apis/bot/v2/hook/t1"},
        }},
    }  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def _preview(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tke_orphans", "preview", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)  # fmt: skip


def test_bad_routes_are_refused_with_the_key_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")
    cases = {
        "webhook.routes[0].bots: wecom:ops is no enabled bot": [
            {"name": "ops", "match": {"regions": ["ap-guangzhou"]}, "bots": ["wecom:ops"]}],
        "every bot belongs to a route": [
            {"name": "a", "match": {"regions": ["ap-guangzhou"]}, "bots": ["wecom", "feishu"]}],
        "`default` is the route of what no route takes": [
            {"name": "default", "match": {"regions": ["ap-guangzhou"]}, "bots": ["wecom"]}],
        "matches everything": [{"name": "all", "match": {}, "bots": ["wecom"]}],
    }  # fmt: skip
    for said, routes in cases.items():
        done = _preview(tmp_path, "--platform", "wecom", "--config", str(_config_file(tmp_path, routes)),
                        "--input", str(empty))  # fmt: skip
        assert done.returncode == 2 and said in done.stderr, (said, done.stderr)
        assert "Traceback" not in done.stderr


def test_preview_shows_what_a_route_is_told(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path) as rig:
        result = rig.run().result
    saved = tmp_path / "scan.json"
    saved.write_text(json.dumps(to_json(result), ensure_ascii=False), encoding="utf-8")
    config = _config_file(tmp_path, GZ)
    shown = {}
    for route in ("team-gz", "default"):
        done = _preview(tmp_path, "--platform", "feishu" if route == "team-gz" else "wecom", "--config", str(config),
                        "--input", str(saved), "--route", route)  # fmt: skip
        assert done.returncode == 0, done.stderr
        shown[route] = orphans_in([done.stdout])
    assert shown == {"team-gz": GZ_ORPHANS, "default": {"ins-shorp001"}}
    done = _preview(tmp_path, "--platform", "wecom", "--config", str(config), "--input", str(saved), "--route", "x")
    assert done.returncode == 2 and "no such route" in done.stderr and "team-gz, default" in done.stderr


def test_a_failed_listing_is_told_to_each_route_that_could_have_findings_there(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    """Guangzhou cannot be listed: its team and the default bots hear of it; Shanghai's trouble is not Guangzhou's."""
    gz_down = [{"action": "DescribeInstances", "region": "ap-guangzhou", "code": "InternalError", "times": 1000}]
    with rig_for(demo_data, tmp_path, faults=gz_down, routes=GZ) as rig:
        rig.run()
        [team] = rig.texts("feishu")
        [default] = rig.texts("wecom")
    assert "无法检查 default/ap-guangzhou" in team and "ins-shorp001" not in team
    assert "无法检查 default/ap-guangzhou" in default and "ins-shorp001" in default


def test_the_readme_routes_sample_is_a_valid_config() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "routes:" in b)
    cfg = config_from_data(yaml.safe_load(block), "README.md")
    assert [(r.name, r.bots) for r in cfg.webhook.routes] == [
        ("payments", ["wecom:payments"]),
        ("guangzhou-ops", ["dingtalk", "generic:siem"]),
    ]


def test_a_route_by_cluster_is_told_the_resolution_too(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """A resolved orphan is routed by what it was told with (its cluster), so its team hears it is resolved."""
    gone = [{"name": "team-gone", "match": {"clusters": ["cls-gone0001"]}, "bots": ["feishu"]}]
    with rig_for(demo_data, tmp_path, routes=gone) as rig:
        rig.run()
        assert orphans_in(rig.texts("feishu")) == {"ins-gzorp002"}
        told = len(rig.texts("wecom"))
        rig.emulator.store.remove_instance("ap-guangzhou", "ins-gzorp002")
        [resolved] = rig.run(advance=timedelta(minutes=10)).notices
        assert resolved.route == "team-gone" and len(rig.texts("wecom")) == told
        assert "已解决" in rig.texts("feishu")[-1] and orphans_in(rig.texts("feishu")[-1:]) == {"ins-gzorp002"}
