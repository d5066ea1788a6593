"""cvm InquiryPriceRunInstances through the official SDK: the disks it takes, as its docstring says (at most 20
cloud and 1 local data disk; only the documented disk types)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tke_orphans_testkit.emulator import World

Api = Any
RUN = ("cvm", "2017-03-12", "InquiryPriceRunInstances")
GZ = "ap-guangzhou"


@pytest.fixture
def api(serve: Callable[..., Api], demo_world: World) -> Api:
    return serve(demo_world)


def quote(api: Api, **disks: Any) -> Any:
    params = {"Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": "img-demo0001", "InstanceType": "S5.MEDIUM4",
              **disks}  # fmt: skip
    return api.call(*RUN, params, GZ)


def code(api: Api, **disks: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        quote(api, **disks)
    return str(info.value.get_code())


def cloud(n: int) -> list[dict[str, Any]]:
    return [{"DiskType": "CLOUD_PREMIUM", "DiskSize": 50}] * n


def test_at_most_twenty_cloud_and_one_local_data_disk(api: Api) -> None:
    assert quote(api, DataDisks=[*cloud(20), {"DiskType": "LOCAL_BASIC", "DiskSize": 50}])["Price"]
    assert code(api, DataDisks=cloud(21)) == "InvalidParameterValue.LimitExceeded"
    two_local = [{"DiskType": "LOCAL_SSD", "DiskSize": 50}] * 2
    assert code(api, DataDisks=two_local) == "InvalidParameterValue.LimitExceeded"


@pytest.mark.parametrize("field", ["SystemDisk", "DataDisks"])
def test_an_unknown_disk_type_is_refused_not_free(api: Api, field: str) -> None:
    disk = {"DiskType": "CLOUD_GOLD", "DiskSize": 50}
    assert code(api, **{field: disk if field == "SystemDisk" else [disk]}) == "InvalidParameterValue"
