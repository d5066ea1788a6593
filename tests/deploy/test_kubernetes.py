"""deploy/kubernetes: schemas, and the names, paths and ports the manifests share with each other and the image."""

from __future__ import annotations

import copy
import json
import posixpath
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import typer.main
import yaml
from referencing import Registry, Resource

from tke_orphans.cli import app
from tke_orphans.config import config_from_data

from .conftest import KUBE, Manifests, dockerfile_stages, load_manifests

CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
PORT = 9108
# Kubernetes 1.30's strict schemas of the kinds we deploy, cut from kubernetes-validate's by
# scripts/kubernetes_schemas.py (a 108 MB package for 100 KB of it).
SCHEMAS = Path(__file__).with_name("kubernetes-schemas.json")


@cache
def _schemas() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    return data


def validate(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `doc` is valid; strict: unknown fields are errors too."""
    schemas = _schemas()
    key = f"{doc['apiVersion']} {doc['kind']}"
    assert key in schemas["kinds"], f"no schema for {key}: run scripts/kubernetes_schemas.py"
    definitions = schemas["definitions"]
    registry: Registry[Any] = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
    jsonschema.Draft202012Validator(schemas["kinds"][key], registry=registry).validate(doc)


def _schema_checked() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{file}:{doc['kind']}/{doc['metadata']['name']}", doc)
        for file, docs in load_manifests().files.items()
        for doc in docs
        if (doc["apiVersion"], doc["kind"]) not in CRDS
    ]


@pytest.mark.parametrize(("where", "doc"), _schema_checked(), ids=[w for w, _ in _schema_checked()])
def test_manifest_matches_the_kubernetes_schema(where: str, doc: dict[str, Any]) -> None:
    # Strict: unknown fields (a misspelt key is silently ignored by the API server) are errors too.
    validate(doc)


def test_the_schema_check_rejects_a_misspelt_field(manifests: Manifests) -> None:
    broken = copy.deepcopy(manifests.get("Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"tcpSocket": {"port": PORT}}
    with pytest.raises(jsonschema.ValidationError, match="livenesProbe"):
        validate(broken)


def test_kustomization_lists_exactly_the_manifests(kustomization: dict[str, Any], manifests: Manifests) -> None:
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources)), "a resource is listed twice"
    assert set(resources) == set(manifests.files), "kustomization resources and deploy/kubernetes/*.yaml differ"
    assert all((KUBE / r).is_file() for r in resources)
    assert kustomization["namespace"] == manifests.get("Namespace")["metadata"]["name"]


def test_every_image_is_the_placeholder_the_kustomize_override_replaces(manifests: Manifests) -> None:
    images = {c["image"] for _, pod in _pods(manifests) for c in pod["containers"]}
    assert images == {"tke-orphans:latest"}


def _pods(manifests: Manifests) -> list[tuple[str, dict[str, Any]]]:
    deployment = manifests.get("Deployment")["spec"]["template"]["spec"]
    cronjob = manifests.get("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return [("deployment", deployment), ("cronjob", cronjob)]


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    assert len(pod["containers"]) == 1
    container: dict[str, Any] = pod["containers"][0]
    return container


def _option(args: list[str], name: str) -> str:
    assert args.count(name) == 1, f"{name} must be given once in {args}"
    return args[args.index(name) + 1]


def _mounts(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """mountPath -> the volume mounted there."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    return {m["mountPath"]: volumes[m["name"]] for m in _container(pod)["volumeMounts"]}


@pytest.mark.parametrize("mode", ["deployment", "cronjob"])
def test_pod_references_existing_objects_and_mounts_what_its_command_uses(manifests: Manifests, mode: str) -> None:
    pod = dict(_pods(manifests))[mode]
    container = _container(pod)
    assert pod["serviceAccountName"] in manifests.names("ServiceAccount")
    assert {e["secretRef"]["name"] for e in container["envFrom"]} <= manifests.names("Secret")
    mounts = _mounts(pod)

    state = _option(container["args"], "--state")
    state_volume = mounts[posixpath.dirname(state)]
    assert state_volume["persistentVolumeClaim"]["claimName"] in manifests.names("PersistentVolumeClaim")

    config = _option(container["args"], "--config")
    config_volume = mounts[posixpath.dirname(config)]
    configmap = manifests.get("ConfigMap", config_volume["configMap"]["name"])
    assert posixpath.basename(config) in configmap["data"]
    assert "emptyDir" in mounts["/tmp"], "a read-only root filesystem needs a writable /tmp"


def test_cronjob_and_deployment_never_share_a_state_volume(manifests: Manifests) -> None:
    claims = {
        mode: {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
        for mode, pod in _pods(manifests)
    }
    assert len(claims["deployment"]) == len(claims["cronjob"]) == 1
    assert claims["deployment"].isdisjoint(claims["cronjob"])


@pytest.mark.parametrize("mode", ["deployment", "cronjob"])
def test_pod_runs_as_the_images_non_root_user_with_a_read_only_root(manifests: Manifests, mode: str) -> None:
    pod = dict(_pods(manifests))[mode]
    image_user = next(i.value for i in dockerfile_stages()[-1] if i.keyword == "USER")
    uid, _, gid = image_user.partition(":")
    ctx = pod["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert str(ctx["runAsUser"]) == uid != "0"
    assert str(ctx["fsGroup"]) == gid, "the state volume must be writable by the image's group"
    container_ctx = _container(pod)["securityContext"]
    assert container_ctx["readOnlyRootFilesystem"] is True
    assert container_ctx["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("mode", ["deployment", "cronjob"])
def test_pod_arguments_are_options_of_the_real_command(manifests: Manifests, mode: str) -> None:
    args = _container(dict(_pods(manifests))[mode])["args"]
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    command = commands[args[0]]
    known = {opt for param in command.params for opt in param.opts}
    assert {a for a in args[1:] if a.startswith("-")} <= known


def test_cronjob_scans_every_30_minutes_one_at_a_time(manifests: Manifests) -> None:
    cronjob = manifests.get("CronJob")["spec"]
    assert cronjob["schedule"] == "*/30 * * * *"
    assert cronjob["concurrencyPolicy"] == "Forbid", "two scans would contend for the state lock"
    job = cronjob["jobTemplate"]["spec"]
    assert job["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    assert job["activeDeadlineSeconds"] < 30 * 60, "a hung scan must end before the next is due"
    assert _container(job["template"]["spec"])["args"][0] == "scan"


def test_only_one_mode_notifies_by_default(manifests: Manifests) -> None:
    cron_active = not manifests.get("CronJob")["spec"].get("suspend", False)
    serve_active = manifests.get("Deployment")["spec"].get("replicas", 1) > 0
    assert cron_active != serve_active, "exactly one of the CronJob and the Deployment should be active"


def test_deployment_is_a_single_replica_replaced_not_rolled(manifests: Manifests) -> None:
    spec = manifests.get("Deployment")["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"]["type"] == "Recreate", "a rolling update would run two pods on one state lock"
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    assert _container(spec["template"]["spec"])["args"][0] == "serve"


def _container_port(container: dict[str, Any], port: int | str) -> int:
    """A probe or Service port, by name or number, resolved to the containerPort it reaches."""
    for p in container["ports"]:
        if port in (p["containerPort"], p.get("name")):
            return int(p["containerPort"])
    raise AssertionError(f"port {port!r} is not a port of the container")


def test_probes_and_service_reach_the_port_serve_listens_on(manifests: Manifests) -> None:
    template = manifests.get("Deployment")["spec"]["template"]
    container = _container(template["spec"])
    listen = _option(container["args"], "--listen")
    assert re.fullmatch(rf"0\.0\.0\.0:{PORT}", listen), "listen on all interfaces, or the probes cannot reach it"
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert _container_port(container, get["port"]) == PORT

    service = manifests.get("Service")
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    cron_labels = manifests.get("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert not service["spec"]["selector"].items() <= cron_labels.items(), "the Service would select scan pods"
    (port,) = service["spec"]["ports"]
    assert port["name"] == "http-metrics" and port["port"] == PORT
    assert _container_port(container, port["targetPort"]) == PORT


def test_servicemonitor_scrapes_the_service(manifests: Manifests) -> None:
    monitor = manifests.get("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    service = manifests.get("Service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    # Without it the api_calls `service` label arrives as `exported_service`, and the dashboard's panels are empty.
    assert endpoint["honorLabels"] is True


def _env_refs(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))


def test_example_config_loads_with_the_products_validator(
    manifests: Manifests, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = manifests.get("ConfigMap")["data"]["config.yaml"]
    secret = manifests.get("Secret")["stringData"]
    refs = _env_refs(text)
    assert refs, "webhook URLs should come from the Secret, not the ConfigMap"
    assert refs <= set(secret), "the pods take their environment from the Secret only"
    for name in refs:
        monkeypatch.setenv(name, secret[name])

    cfg = config_from_data(yaml.safe_load(text), "configmap")

    assert cfg.tencentcloud.regions == "all"
    assert cfg.tencentcloud.secret_id is None, "no keys in the ConfigMap"
    assert cfg.webhook.enabled and cfg.webhook.platforms.wecom.enabled
    assert cfg.webhook.platforms.wecom.url.get_secret_value() == secret["WECOM_WEBHOOK_URL"]


def test_secret_holds_only_placeholders_that_are_used(manifests: Manifests) -> None:
    secret = manifests.get("Secret")
    assert secret["type"] == "Opaque"
    values = secret["stringData"]
    assert all("REPLACE_ME" in v for v in values.values()), "never commit a real credential"
    used = _env_refs(manifests.get("ConfigMap")["data"]["config.yaml"]) | {
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
    }
    assert set(values) <= used


def test_serviceaccount_documents_pod_identity(manifests: Manifests) -> None:
    text = (KUBE / "serviceaccount.yaml").read_text(encoding="utf-8")
    assert re.search(r"^\s*#\s*tke\.cloud\.tencent\.com/role-arn: \"qcs::cam::uin/", text, re.MULTILINE)
    assert "Minimal CAM policy" in text
