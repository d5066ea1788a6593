"""A price answer that cannot be a price (-5, 1e300, NaN, Infinity: the last two as the bare literals json writes and
reads) is not believed: the real `scan` command against the emulator's price inquiries, for orphans and leftovers.
The price is unknown with the reason, the totals leave it out, the JSON output stays strict JSON, and the state's
price cache keeps none of them."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.model import Cost
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.emulator.server import encode

from ..cli.conftest import write_config
from ..cli.test_hostile_cloud_text import run
from .test_leftover_pricing import GZ, disk
from .test_pricing import orphan

# DEAR: a believable hourly figure whose month (x 730) is beyond the bound of 1,000,000.
BAD = {"NEG": -5.0, "HUGE": 1e300, "NOTNUM": math.nan, "ENDLESS": math.inf, "DEAR": 2000.0}
# A disk type per bad rate (a leftover disk's price is its type's rate x its size), and one sane.
DISK_TYPES = {"NEG": "CLOUD_SSD", "HUGE": "CLOUD_HSSD", "NOTNUM": "CLOUD_PREMIUM", "ENDLESS": "CLOUD_BSSD",
              "DEAR": "CLOUD_TSSD"}  # fmt: skip


def absurd_world() -> dict[str, Any]:
    types = [{"InstanceType": f"S5.{k}", "InstanceChargeType": "POSTPAID_BY_HOUR", "Price": v} for k, v in BAD.items()]
    types.append({"InstanceType": "S5.MEDIUM4", "InstanceChargeType": "POSTPAID_BY_HOUR", "Price": 0.32})
    instances = [orphan(f"ins-{k.lower()}0001", InstanceType=f"S5.{k}") for k in BAD]
    instances.append(orphan("ins-sane0001", InstanceType="S5.MEDIUM4"))
    disks = [disk(f"disk-{k.lower()}01", DiskType=t) for k, t in DISK_TYPES.items()]
    disks.append(disk("disk-sane01", DiskType="CLOUD_TSSD", DiskChargeType="PREPAID", DeadlineTime="+20d"))
    return {
        "credentials": [{"secret_id": "AKIDabsurd", "secret_key": "absurd-price-key"}],
        "regions": {GZ: {"instances": instances, "disks": disks}},
        "prices": {
            "types": types,
            "disk_hourly": {t: BAD[k] for k, t in DISK_TYPES.items()},
            "disk_monthly": {"CLOUD_TSSD": 0.73},
        },
    }


def refuse(token: str) -> None:
    raise ValueError(f"{token} is not JSON")


def test_the_emulator_answers_nan_and_infinity_as_the_attack_did() -> None:
    body = encode({"Price": {"UnitPrice": math.nan, "Other": -math.inf}}, "r")
    assert body == b'{"Response":{"Price":{"UnitPrice": NaN, "Other": -Infinity},"RequestId":"r"}}'


def test_absurd_prices_are_unknown_with_the_reason_and_json_stays_strict(tmp_path: Path) -> None:
    w = world_from_data(absurd_world())
    state = tmp_path / "s.db"
    with Emulator(w) as emu:
        cfg = str(write_config(tmp_path / "c.yaml", w, emu.url, detection={"leftovers": ["cbs_disk"]}))
        as_json = run(tmp_path, "scan", "-c", cfg, "--state", str(state), "-o", "json")
        table = run(tmp_path, "scan", "-c", cfg, "--state", str(state), "--wide")
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout, parse_constant=refuse)  # strict: no NaN, Infinity or -Infinity
    costs = {o["instance_id"]: o["cost"] for o in doc["orphans"]}
    costs |= {x["resource_id"]: x["cost"] for x in doc["leftovers"]}
    assert set(costs) == {f"ins-{k.lower()}0001" for k in BAD} | {f"disk-{k.lower()}01" for k in BAD} | {
        "ins-sane0001",
        "disk-sane01",
    }
    for k, value in BAD.items():
        for rid in (f"ins-{k.lower()}0001", f"disk-{k.lower()}01"):
            cost = costs[rid]
            assert cost["monthly"] is None and cost["hourly"] is None and cost["source"] is None, rid
            figure = value * (100 if rid.startswith("disk") else 1) * (730 if k == "DEAR" else 1)  # as answered
            assert f"is {figure!r}: not a price" in cost["detail"], cost["detail"]
    assert costs["ins-sane0001"]["monthly"] == pytest.approx(0.32 * 730)
    assert costs["disk-sane01"]["monthly"] == pytest.approx(0.1 * 730)
    summary = doc["summary"]["cost"]
    assert summary["monthly"] == pytest.approx(0.32 * 730)
    assert {u["instance_id"] for u in summary["unpriced"]} == {f"ins-{k.lower()}0001" for k in BAD}
    assert summary["leftovers"]["monthly"] == pytest.approx(0.1 * 730)
    assert len(summary["leftovers"]["unpriced"]) == len(BAD)
    # The table: no negative, 300-digit or nan figure; the cost line counts only the sane price.
    assert table.returncode == 0, table.stderr
    out = table.stdout.lower()
    assert "nan" not in out and "inf" not in out and "¥-" not in out and "0" * 30 not in out
    assert "¥234" in out  # 0.32 x 730, whole yuan from 100 up (costs.money)
    # The price cache keeps the sane prices only (the second scan asked the bad ones again).
    with StateDB(state) as db:
        rows = db.conn.execute("SELECT key, cost_json FROM price_cache").fetchall()
    assert len(rows) == 2 and all(json.loads(r[1], parse_constant=refuse)["monthly"] < 1000 for r in rows)


def test_a_bad_price_kept_in_the_cache_is_asked_again(tmp_path: Path) -> None:
    """An older version may have cached one: it is not believed from the cache either."""
    data = absurd_world()
    data["regions"][GZ]["instances"] = [orphan("ins-sane0001", InstanceType="S5.MEDIUM4")]
    data["regions"][GZ]["disks"] = []
    w = world_from_data(data)
    state = tmp_path / "s.db"
    with Emulator(w) as emu:
        cfg = str(write_config(tmp_path / "c.yaml", w, emu.url))
        assert run(tmp_path, "scan", "-c", cfg, "--state", str(state), "--no-notify").returncode == 0
        with StateDB(state) as db:
            (key,) = db.conn.execute("SELECT key FROM price_cache").fetchone()
            db.prices.store("default", {key: Cost("CNY", -5.0, -3650.0, "inquiry", "cached")}, datetime.now(UTC))
        result = run(tmp_path, "scan", "-c", cfg, "--state", str(state), "--no-notify", "-o", "json")
    (o,) = json.loads(result.stdout, parse_constant=refuse)["orphans"]
    assert o["cost"]["monthly"] == pytest.approx(0.32 * 730) and o["cost"]["detail"] != "cached"
