"""World files with disks, load balancers and addresses: a bad one is refused with the file and the path in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

GZ = "ap-guangzhou"
Z3 = {"Zone": "ap-guangzhou-3"}
BASE: dict[str, Any] = {
    "credentials": [{"secret_id": "AKIDworld", "secret_key": "world-key"}],
    "regions": {
        GZ: {
            "instances": [{"InstanceId": "ins-r0000001", "CreatedTime": "-3d", "Placement": Z3}],
            "disks": [
                {"DiskId": "disk-r0000001", "DiskSize": 50, "CreateTime": "-2d", "Placement": Z3},
                {"DiskId": "disk-r0000002", "DiskSize": 50, "CreateTime": "-2d", "DiskState": "ATTACHED",
                 "InstanceId": "ins-r0000001", "Placement": Z3},
            ],
            "load_balancers": [{"LoadBalancerId": "lb-r0000001", "CreateTime": "-1d", "MasterZone": "ap-guangzhou-3"}],
            "addresses": [
                {"AddressId": "eip-r0000001", "AddressIp": "1.2.3.4", "CreatedTime": "-1d"},
                {"AddressId": "eip-r0000002", "AddressIp": "1.2.3.5", "CreatedTime": "-1d", "AddressStatus": "BIND",
                 "InstanceId": "ins-r0000001", "InstanceType": "CVM"},
            ],
        }
    },
}  # fmt: skip


def _in(kind: str, i: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["regions"][GZ][kind][i].update(fields)


def _drop(kind: str, i: int, key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: (d["regions"][GZ][kind][i].pop(key), None)[1]


P = "regions.ap-guangzhou."
BAD: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("duplicate-disk", _in("disks", 1, DiskId="disk-r0000001"), P + "disks[1]", "duplicates disks[0]"),
    ("disk-zone", _in("disks", 0, Placement={"Zone": "ap-shanghai-2"}), P + "disks[0].Placement.Zone", "ap-shanghai"),
    ("attached-to-nothing", _drop("disks", 1, "InstanceId"), P + "disks[1].InstanceId", "ATTACHED"),
    ("unattached-with-instance", _in("disks", 0, InstanceId="ins-r0000001"), P + "disks[0].DiskState", "ATTACHED"),
    ("attached-to-stranger", _in("disks", 1, InstanceId="ins-zzz00001"), P + "disks[1].InstanceId", "ins-zzz00001"),
    ("prepaid-without-deadline", _in("disks", 0, DiskChargeType="PREPAID"), P + "disks[0].DeadlineTime", "prepaid"),
    ("disk-bad-id", _in("disks", 0, DiskId="vol-1"), P + "disks[0].DiskId", "pattern"),
    ("disk-no-size", _drop("disks", 0, "DiskSize"), P + "disks[0].DiskSize", "missing"),
    ("disk-bad-time", _in("disks", 0, CreateTime="yesterday"), P + "disks[0].CreateTime", "yesterday"),
    ("lb-unknown-key", _in("load_balancers", 0, Colour="red"), P + "load_balancers[0].Colour", "unknown key"),
    ("lb-zone", _in("load_balancers", 0, MasterZone="ap-beijing-1"), P + "load_balancers[0].MasterZone", "ap-beijing"),
    ("lb-no-time", _drop("load_balancers", 0, "CreateTime"), P + "load_balancers[0].CreateTime", "missing"),
    ("eip-bound-to-nothing", _in("addresses", 0, AddressStatus="BIND"), P + "addresses[0].InstanceId", "BIND"),
    ("eip-unbound-with-ins", _in("addresses", 1, AddressStatus="UNBIND"), P + "addresses[1].AddressStatus", "ins-"),
    ("eip-on-stranger", _in("addresses", 1, InstanceId="ins-zzz00001"), P + "addresses[1].InstanceId", "ins-zzz00001"),
    ("eip-bad-ip", _in("addresses", 0, AddressIp="here"), P + "addresses[0].AddressIp", "pattern"),
    ("duplicate-eip", _in("addresses", 1, AddressId="eip-r0000001"), P + "addresses[1]", "duplicates"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "path", "detail"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_resources_name_file_and_path(tmp_path, refused, mutate, path, detail):
    err = refused(BASE, mutate)
    assert (err.source, err.path) == (str(tmp_path / "bad-world.yaml"), path)
    assert detail in err.problem, err.problem
