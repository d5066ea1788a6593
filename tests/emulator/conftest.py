"""Shared fixtures: start the emulator in-process and talk to it through the official SDK clients."""

from __future__ import annotations

import copy
import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from tencentcloud.cbs.v20170312.cbs_client import CbsClient
from tencentcloud.cfs.v20190719.cfs_client import CfsClient
from tencentcloud.clb.v20180317.clb_client import ClbClient
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tke.v20180525.tke_client import TkeClient
from tencentcloud.vpc.v20170312.vpc_client import VpcClient

from tke_orphans_testkit.emulator import Emulator, World, WorldError, load_world, world_from_data

DEMO_WORLD = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"
SECRET_ID = "AKIDtest00000000000000000000000000000"
SECRET_KEY = "test-secret-key-000000000000000000"


@dataclass
class Api:
    """A running emulator and SDK clients for it, signed with one of the world's credentials."""

    em: Emulator
    secret_id: str
    secret_key: str
    timeout: int = 10

    def profile(self, timeout: int | None = None) -> ClientProfile:
        http = HttpProfile(endpoint=self.em.endpoint, protocol="http", reqTimeout=timeout or self.timeout)
        return ClientProfile(httpProfile=http)

    def credential(self, secret_id: str | None = None, secret_key: str | None = None) -> Credential:
        return Credential(secret_id or self.secret_id, secret_key or self.secret_key)

    def cvm(self, region: str = "ap-guangzhou", **kw: Any) -> CvmClient:
        return CvmClient(self.credential(), region, self.profile(**kw))

    def tke(self, region: str = "ap-guangzhou", **kw: Any) -> TkeClient:
        return TkeClient(self.credential(), region, self.profile(**kw))

    def cbs(self, region: str = "ap-guangzhou") -> CbsClient:
        return CbsClient(self.credential(), region, self.profile())

    def clb(self, region: str = "ap-guangzhou") -> ClbClient:
        return ClbClient(self.credential(), region, self.profile())

    def vpc(self, region: str = "ap-guangzhou") -> VpcClient:
        return VpcClient(self.credential(), region, self.profile())

    def cfs(self, region: str = "ap-guangzhou") -> CfsClient:
        return CfsClient(self.credential(), region, self.profile())

    def common(self, service: str, version: str, region: str = "", **kw: Any) -> CommonClient:
        return CommonClient(service, version, self.credential(), region, self.profile(**kw))

    def call(self, service: str, version: str, action: str, params: dict[str, Any], region: str = "") -> Any:
        """One call through CommonClient; returns the `Response` object."""
        return self.common(service, version, region).call_json(action, params)["Response"]

    @staticmethod
    def sdk(client: Any, models: Any, action: str, params: dict[str, Any]) -> Any:
        """One call with the SDK's own request and response models; the answer as the SDK's model gives it back."""
        req = getattr(models, f"{action}Request")()
        req.from_json_string(json.dumps(params))
        return json.loads(getattr(client, action)(req).to_json_string())

    @staticmethod
    def error_code(call: Callable[[], Any]) -> str:
        """The error code the SDK raises for `call` (which must fail)."""
        with pytest.raises(TencentCloudSDKException) as info:
            call()
        return str(info.value.get_code())

    def stats(self) -> Any:
        with urllib.request.urlopen(self.em.url + "/__stats", timeout=5) as resp:
            return json.loads(resp.read())

    def reset_stats(self) -> Any:
        req = urllib.request.Request(self.em.url + "/__stats", method="DELETE")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def stat(self, service: str, action: str, region: str) -> Any:
        """The /__stats row of one (service, action, region), or None when it was never called."""
        for row in self.stats()["actions"]:
            if (row["service"], row["action"], row["region"]) == (service, action, region):
                return row
        return None


def with_credentials(data: dict[str, Any]) -> dict[str, Any]:
    if "credentials" in data:
        return data
    return {"credentials": [{"secret_id": SECRET_ID, "secret_key": SECRET_KEY}], **data}


@pytest.fixture(scope="session")
def _stoppers() -> Iterator[list[threading.Thread]]:
    """Emulators are stopped in the background (stop() can take half a second); all are joined at the end."""
    threads: list[threading.Thread] = []
    yield threads
    for t in threads:
        t.join(timeout=10)


def _starter(stack: ExitStack, stoppers: list[threading.Thread]) -> Callable[..., Api]:
    def stop_later(em: Emulator) -> None:
        t = threading.Thread(target=em.stop, name="stop-emulator", daemon=True)
        t.start()
        stoppers.append(t)

    def start(world: World | dict[str, Any], **kwargs: Any) -> Api:
        w = world if isinstance(world, World) else world_from_data(with_credentials(world))
        em = Emulator(w, **kwargs).start()
        stack.callback(stop_later, em)
        cred = w.spec.credentials[0]
        return Api(em, cred.secret_id, cred.secret_key)

    return start


@pytest.fixture
def serve(_stoppers: list[threading.Thread]) -> Iterator[Callable[..., Api]]:
    """`serve(world_or_data, **Emulator kwargs)` starts an emulator for this test and returns an Api for it.

    A dict without `credentials` gets the test credentials SECRET_ID / SECRET_KEY.
    """
    with ExitStack() as stack:
        yield _starter(stack, _stoppers)


@pytest.fixture(scope="module")
def serve_module(_stoppers: list[threading.Thread]) -> Iterator[Callable[..., Api]]:
    """As `serve`, for an emulator shared by the tests of one module (read-only tests only)."""
    with ExitStack() as stack:
        yield _starter(stack, _stoppers)


@pytest.fixture(scope="session")
def demo_world() -> World:
    return load_world(DEMO_WORLD)


@pytest.fixture(scope="session")
def demo(demo_world: World) -> Iterator[Api]:
    """One emulator on examples/demo-world.yaml for read-only tests (its statistics are shared: do not count)."""
    with Emulator(demo_world) as em:
        cred = demo_world.spec.credentials[0]
        yield Api(em, cred.secret_id, cred.secret_key)


Refused = Callable[[dict[str, Any], Callable[[dict[str, Any]], object]], WorldError]


@pytest.fixture
def refused(tmp_path: Path) -> Refused:
    """The error a world file is refused with: a base world (itself valid) changed by a function, loaded from
    tmp_path/bad-world.yaml."""

    def load(base: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> WorldError:
        data = copy.deepcopy(base)
        world_from_data(copy.deepcopy(data))  # the base world itself is valid
        change(data)
        file = tmp_path / "bad-world.yaml"
        file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(WorldError) as info:
            load_world(file)
        return info.value

    return load
