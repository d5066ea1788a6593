"""The house rules a review could break unseen: who may import what, and what the product's wheel holds.

Inside the product, only cloud/ talks to the SDK (and knows an API's parameters), and the state and the records
know nothing of notify, render, the CLI or serve.

The product (src/tke_orphans) imports the test kit in one place, the CLI module that adds the kit's commands, and
the Tencent SDK only in cloud/. The wheel (built from what the Dockerfile copies) holds no emulator, no chat sinks
and no demo world, and does not depend on the per-service SDK packages.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT / "src" / "tke_orphans"
KIT = "tke_orphans_testkit"
KIT_GATE = PRODUCT / "cli" / "kit.py"  # the one registration point
CLOUD = PRODUCT / "cloud"


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import; relative imports stay inside the package and are skipped. String
    constants naming the kit count too, so that `importlib.import_module("tke_orphans_testkit")` is no way round."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(KIT):
            yield node.lineno, node.value


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_the_product_imports_the_kit_only_where_it_adds_its_commands_and_the_sdk_only_in_cloud() -> None:
    files = sorted(PRODUCT.rglob("*.py"))
    assert KIT_GATE in files and len(files) > 50, "the rule would hold vacuously"
    broken = []
    for path in files:
        for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            where = f"{path.relative_to(ROOT)}:{line}: {module}"
            if _top(module) == KIT and path != KIT_GATE:
                broken.append(f"{where} (only {KIT_GATE.relative_to(ROOT)} may import the test kit)")
            if _top(module) == "tencentcloud" and CLOUD not in path.parents:
                broken.append(f"{where} (only cloud/ may import the Tencent Cloud SDK)")
    assert not broken, "\n".join(broken)


def test_the_gate_does_import_the_kit() -> None:
    # The rule above names one file: it must be the one that does the importing, or it guards nothing.
    modules = {m for _, m in imported_modules(ast.parse(KIT_GATE.read_text(encoding="utf-8")))}
    assert f"{KIT}.cli" in modules


@pytest.fixture(scope="module")
def product_wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel built from exactly what the Dockerfile copies (pyproject.toml, README.md, src/), in a scratch copy:
    a stale build/ directory in the checkout cannot leak into it."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = scratch / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.py[co]")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    out = scratch / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", out,
         source],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob("tke_orphans-*.whl")
    return zipfile.ZipFile(wheel)


def test_the_wheel_holds_no_emulator_sinks_or_demo(product_wheel: zipfile.ZipFile) -> None:
    names = product_wheel.namelist()
    assert "tke_orphans/cli/kit.py" in names and "tke_orphans/cloud/session.py" in names
    parts = {part for name in names for part in Path(name).with_suffix("").parts}
    assert not parts & {"emulator", "sinks", "demo", "worlds", KIT}, sorted(parts & {"emulator", "sinks", "demo"})
    assert not [n for n in names if n.endswith((".yaml", ".yml", ".json"))]


def test_the_wheel_needs_only_the_common_sdk(product_wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in product_wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [
        line.removeprefix("Requires-Dist: ")
        for line in product_wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist: ") and "extra ==" not in line
    ]
    sdk = sorted(r.split(">")[0].split("=")[0].strip() for r in requires if r.startswith("tencentcloud"))
    assert sdk == ["tencentcloud-sdk-python-common"], requires


# The product's CLI in an environment where the kit is not installed: a finder ahead of the others answers for it
# as the import system does for a missing package.
BLOCK_KIT = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tke_orphans_testkit":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInstalled())
from tke_orphans.cli import main
sys.argv[0] = "tke-orphans"
main()
"""


@pytest.mark.parametrize(
    "args", [["demo"], ["emulator", "serve", "--world", "w.yaml"], ["sinks", "--port", "0"], ["demo", "--help"]]
)
def test_without_the_kit_its_commands_say_how_to_install_it(tmp_path: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_KIT, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"`tke-orphans {args[0]}` comes with the test kit" in proc.stderr
    assert "pip install -e ./testkit" in proc.stderr


def test_without_the_kit_the_product_commands_work(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_KIT, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=os.environ | {"COLUMNS": "200"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "scan" in proc.stdout and "Needs the test kit" in proc.stdout


# ---- the layers inside the product ----------------------------------------------------------------------------


def imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports made absolute."""
    package = ["tke_orphans", *path.relative_to(PRODUCT).parent.parts]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.add(module)
            out |= {f"{module}.{a.name}" for a in node.names}
    return out


def offenders(src: Path, where: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if not rel.startswith(where):
            continue
        found += [f"{rel}: {m}" for m in sorted(imports(path)) if m.startswith(forbidden)]
    return found


def test_the_state_and_the_records_know_nothing_of_notify_render_or_the_cli() -> None:
    layers = ("tke_orphans.notify", "tke_orphans.render", "tke_orphans.cli", "tke_orphans.serve")
    assert offenders(PRODUCT, "state/", layers) == []
    assert offenders(PRODUCT, "records.py", (*layers, "tke_orphans.state")) == []
    assert offenders(PRODUCT, "model.py", (*layers, "tke_orphans.state")) == []


def raw_calls(src: Path) -> list[str]:
    """`session.call("cvm", ...)` outside cloud/: code that knows an API's parameters and answer."""
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel.startswith("cloud/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append(f"{rel}:{node.lineno}")
    return found


def test_only_the_cloud_adapter_knows_the_apis_shapes() -> None:
    assert raw_calls(PRODUCT) == []


def test_the_config_is_split_into_its_schema_its_loading_and_its_secrets() -> None:
    # The schema is the shape and its defaults: no file, no environment, no masking. Masking knows the shape but not
    # how a file is read; reading knows both.
    config = PRODUCT / "config"
    assert {p.name for p in config.glob("*.py")} == {"__init__.py", "schema.py", "loading.py", "secrets.py"}
    schema = imports(config / "schema.py")
    assert not {m for m in schema if m.startswith(("tke_orphans.config.", "tke_orphans.safeyaml", "os"))}, schema
    assert not {m for m in imports(config / "secrets.py") if m.startswith("tke_orphans.config.loading")}
