"""Write tests/deploy/kubernetes-schemas.json: the strict Kubernetes JSON schemas of the kinds deploy/kubernetes uses.

The deploy tests validate the manifests against these with jsonschema. They are the schemas kubernetes-validate
ships (its `v<version>-local-strict` set, generated from the Kubernetes OpenAPI), cut to the kinds we deploy and
the definitions those reach, descriptions dropped: 60 KB in the repository instead of a 108 MB test dependency.
Run it after adding a kind to deploy/kubernetes or moving to another Kubernetes version:

    python -m venv /tmp/kv && /tmp/kv/bin/pip install kubernetes-validate pyyaml
    /tmp/kv/bin/python scripts/kubernetes_schemas.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
KUBE = ROOT / "deploy" / "kubernetes"
OUT = ROOT / "tests" / "deploy" / "kubernetes-schemas.json"
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}  # not a core kind: no schema to check it against


def schema_dir(version: str) -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise SystemExit("install kubernetes-validate first (see this script's docstring)")
    found = sorted(Path(spec.origin).parent.glob(f"kubernetes-json-schema/v{version}.*-local-strict"))
    if not found:
        raise SystemExit(f"kubernetes-validate has no strict schemas for Kubernetes {version}")
    return found[-1]


def kinds() -> set[tuple[str, str]]:
    docs = [d for p in sorted(KUBE.glob("*.yaml")) if p.name != "kustomization.yaml"
            for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]  # fmt: skip
    return {(d["apiVersion"], d["kind"]) for d in docs} - CRDS


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubernetes", default="1.30", help="Kubernetes minor version (default: 1.30)")
    version = parser.parse_args().kubernetes
    source = schema_dir(version)
    everything = json.loads((source / "_definitions.json").read_text(encoding="utf-8"))
    schemas, pending = {}, []
    for api_version, kind in sorted(kinds()):
        group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # apps/v1 -> apps-v1, v1 -> v1
        schema = json.loads((source / f"{kind.lower()}-{group}.json").read_text(encoding="utf-8"))
        schemas[f"{api_version} {kind}"] = without_descriptions(schema)
        pending += refs(schema)
    used: dict[str, Any] = {}
    while pending:
        name = pending.pop().split("#/$defs/", 1)[1]
        if name not in used:
            used[name] = everything["$defs"][name]
            pending += refs(used[name])
    definitions = {k: v for k, v in everything.items() if k != "$defs"} | {"$defs": dict(sorted(used.items()))}
    doc = {
        "source": f"kubernetes-validate, {source.name}",
        "kinds": schemas,
        "definitions": without_descriptions(definitions),
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(schemas)} kinds, {len(used)} definitions from {source.name}")


if __name__ == "__main__":
    main()
