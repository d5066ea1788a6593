"""Each team of an organization hears of its own: a route matching an organization node (or a member's uin) takes
that member's findings to its bot, in messages whose title names the account; the others go to the default bot.
The scan's accounts carry each member's uin and node (the JSON, routes, metrics)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.config import config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.model import AccountInfo
from tke_orphans.serve.metrics import Metrics
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.emulator.generate_org import generate_organization
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

WECOM = SinkBot("wecom", "wc-org")
FEISHU = SinkBot("feishu", "fs-org", secret="fs-secret")
FAST = {"max_attempts": 3, "base_delay": 0.005, "max_delay": 0.05}


def ids(texts: list[str]) -> set[str]:
    return set(re.findall(r"ins-[a-z0-9]{8}", " ".join(texts)))


@pytest.mark.parametrize("match", [{"nodes": ["Data"]}, {"accounts": ["200000000002"]}, {"nodes": ["1001"]}])
def test_each_team_hears_of_its_own(tmp_path: Path, match: dict[str, Any]) -> None:
    data = generate_organization(members=3, regions=1, instances=20, clusters=1, seed=5, without_role=0)
    members = {
        m["name"]: {o["instance_id"] for o in m["answer_key"]["orphans"]} for m in data["organization"]["members"]
    }
    cred = data["credentials"][0]
    with Emulator(world_from_data(data)) as emu, ChatSinks([WECOM, FEISHU]) as sinks, StateDB(tmp_path / "s.db") as db:
        platforms = {
            "wecom": {"enabled": True, "url": sinks.bot_url(WECOM)},
            "feishu": {"enabled": True, "url": sinks.bot_url(FEISHU), "secret": FEISHU.secret},
        }
        cfg = config_from_data({
            "tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
                             "endpoint_url": emu.url, "retry": FAST, "organization": {"enabled": True}},
            "webhook": {"enabled": True, "platforms": platforms,
                        "routes": [{"name": "data-team", "match": match, "bots": ["feishu"]}]},
            "detection": {"leftovers": []},
        }, "org-test")  # fmt: skip
        job = run_job(Run(cfg), state=db)
        team = [a.text for a in sinks.accepted(platform="feishu")]
        rest = [a.text for a in sinks.accepted(platform="wecom")]
    assert AccountInfo("team-002", "200000000002", "1001", "Data") in job.result.accounts
    assert ids(team) == members["team-002"] and "（账号 team-002）" in team[0].splitlines()[0]
    assert ids(rest) == {i for name, found in members.items() if name != "team-002" for i in found} | {
        o["instance_id"] for o in data["answer_key"]["orphans"]
    }
    metrics = Metrics()
    metrics.observe(job, 1.0, 0.0)
    labels = {"account": "team-002", "uin": "200000000002", "node": "Data"}
    assert metrics.registry.get_sample_value("tke_orphans_account_info", labels) == 1
