"""Dockerfile and .dockerignore: a non-root image of the package, its state on the volume the manifests mount."""

from __future__ import annotations

import posixpath
import tomllib
from typing import Any

import yaml

from .conftest import KUBE, ROOT, Instruction, dockerfile_stages


def _final() -> list[Instruction]:
    return dockerfile_stages()[-1]


def _one(keyword: str, stage: list[Instruction] | None = None) -> Instruction:
    found = [i for i in (stage or _final()) if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {len(found)}"
    return found[0]


def _env(stage: list[Instruction]) -> dict[str, str]:
    env = {}
    for inst in stage:
        if inst.keyword == "ENV":
            for pair in inst.value.split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_runs_as_a_fixed_non_root_user() -> None:
    user = _one("USER").value
    uid, _, gid = user.partition(":")
    # Numeric, or Kubernetes cannot verify runAsNonRoot.
    assert uid.isdigit() and int(uid) != 0, user
    assert gid.isdigit() and int(gid) != 0, user


def test_entrypoint_is_the_console_script_and_cmd_keeps_state_on_the_volume() -> None:
    assert _one("ENTRYPOINT").exec_form() == ["tke-orphans"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert "tke-orphans" in scripts
    cmd = _one("CMD").exec_form()
    assert cmd[0] == "serve"
    state = cmd[cmd.index("--state") + 1]
    (volume,) = _one("VOLUME").exec_form()
    assert posixpath.dirname(state) == volume
    # The same path in the image and in the manifests: moving between docker and Kubernetes keeps the state.
    deployment = yaml.safe_load((KUBE / "deployment.yaml").read_text(encoding="utf-8"))
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--state") + 1] == state


def test_cmd_listens_on_every_interface() -> None:
    # serve.listen defaults to loopback for hand runs; inside a container that would be unreachable.
    cmd = _one("CMD").exec_form()
    assert cmd[cmd.index("--listen") + 1] == "0.0.0.0:9108"


def test_config_path_and_port_match_the_manifests() -> None:
    env = _env(_final())
    deployment: dict[str, Any] = yaml.safe_load((KUBE / "deployment.yaml").read_text(encoding="utf-8"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert env["TKE_ORPHANS_CONFIG"] == args[args.index("--config") + 1]
    assert _one("EXPOSE").value == str(container["ports"][0]["containerPort"])


def test_installs_the_package_from_the_repository_source() -> None:
    runs = [i.value for stage in dockerfile_stages() for i in stage if i.keyword == "RUN"]
    assert any("pip install --no-cache-dir ." in r for r in runs)
    bases = [stage[0].value for stage in dockerfile_stages()]
    assert all("-slim" in b for b in bases), bases


def test_dockerignore_lets_in_exactly_what_the_build_copies() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "*", "an allow-list keeps .venv, .git, caches, state and local configs out"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied: set[str] = set()
    for stage in dockerfile_stages():
        for inst in stage:
            if inst.keyword == "COPY" and not inst.value.startswith("--from"):
                copied.update(s.rstrip("/").removeprefix("./") for s in inst.value.split()[:-1])
    assert copied == allowed
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["readme"]
    assert {"pyproject.toml", readme, "src"} <= copied, "pip install . needs these"
    assert not allowed & {".venv", ".git", "tests"}
