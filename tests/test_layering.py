"""The house rules a review could break unseen: who may import what, and what the product's wheel holds.

Inside the product, only cloud/ talks to the SDK and knows an API's parameters (and each kind's own file in kinds/,
its product's), and the state and the records know nothing of notify, render, the CLI or serve.

The product (src/tke_orphans) never imports the test kit (the CLI finds the kit's commands through the
`tke_orphans.commands` entry points), and imports the Tencent SDK only in cloud/. The wheel (built from what the
Dockerfile copies) holds no emulator, no chat sinks and no demo world, and does not depend on the per-service SDK
packages.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tke_orphans.cli.kit import GROUP, KIT_COMMANDS, add_kit_commands

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT / "src" / "tke_orphans"
KIT = "tke_orphans_testkit"
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


def test_the_product_never_imports_the_kit_and_the_sdk_only_in_cloud() -> None:
    files = sorted(PRODUCT.rglob("*.py"))
    assert PRODUCT / "cli" / "kit.py" in files and len(files) > 50, "the rule would hold vacuously"
    broken = []
    for path in files:
        for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            where = f"{path.relative_to(ROOT)}:{line}: {module}"
            if _top(module) == KIT:
                broken.append(f"{where} (the product finds the kit's commands through its entry points)")
            if _top(module) == "tencentcloud" and CLOUD not in path.parents:
                broken.append(f"{where} (only cloud/ may import the Tencent Cloud SDK)")
    assert not broken, "\n".join(broken)


def test_the_kit_declares_its_commands_as_entry_points() -> None:
    # The kit's pyproject, not only the installed metadata (which a stale install could still hold).
    declared = tomllib.loads((ROOT / "testkit" / "pyproject.toml").read_text())["project"]["entry-points"]
    assert set(declared[GROUP]) == set(KIT_COMMANDS)
    assert {ep.name for ep in entry_points(group=GROUP)} == set(KIT_COMMANDS), "reinstall: make .venv/.installed-stamp"


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


@pytest.fixture(scope="module")
def without_the_kit(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A command line running the product's CLI where the kit is not installed: a copy (of links) of this
    environment's site-packages without the kit's distribution and its path entry, so that neither its modules nor
    its entry points are there."""
    (site_packages,) = {Path(p) for p in sys.path if p.endswith("site-packages") and Path(p, "typer").is_dir()}
    site = tmp_path_factory.mktemp("site")
    for entry in site_packages.iterdir():
        if "tke_orphans_testkit" not in entry.name:
            (site / entry.name).symlink_to(entry)
    script = f"import site, sys; site.addsitedir({str(site)!r}); sys.argv[0] = 'tke-orphans'; {RUN_CLI}"
    return [sys.executable, "-S", "-c", script]


RUN_CLI = "from tke_orphans.cli import main; main()"

# The kit installed (its distribution and entry points are there) but broken: its modules fail to import.
BROKEN_KIT = (
    """
import sys

class Broken:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tke_orphans_testkit":
            raise ImportError(f"cannot import name 'x' from {name!r}", name=name)

sys.meta_path.insert(0, Broken())
sys.argv[0] = "tke-orphans"
"""
    + RUN_CLI
)

KIT_ARGS = [["demo"], ["emulator", "serve", "--world", "w.yaml"], ["sinks", "--port", "0"], ["demo", "--help"]]


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("args", KIT_ARGS)
def test_without_the_kit_its_commands_say_how_to_install_it(
    tmp_path: Path, without_the_kit: list[str], args: list[str]
) -> None:
    proc = subprocess.run([*without_the_kit, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    err = one_error_line(proc)
    assert f"`tke-orphans {args[0]}` comes with the test kit, which is not installed" in err
    assert "pip install -e ./testkit" in err


def test_without_the_kit_the_product_commands_work(tmp_path: Path, without_the_kit: list[str]) -> None:
    proc = subprocess.run(
        [*without_the_kit, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=os.environ | {"COLUMNS": "200"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "scan" in proc.stdout and "Needs the test kit" in proc.stdout


@pytest.mark.parametrize("args", KIT_ARGS)
def test_a_broken_kit_says_it_is_broken_not_missing(tmp_path: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", BROKEN_KIT, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    err = one_error_line(proc)
    assert f"`tke-orphans {args[0]}` cannot load (tke_orphans_testkit.cli:" in err
    assert "ImportError: cannot import name 'x'" in err and "not installed" not in err
    helped = subprocess.run(
        [sys.executable, "-c", BROKEN_KIT, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=os.environ | {"COLUMNS": "200"},
    )  # fmt: skip
    assert helped.returncode == 0 and "scan" in helped.stdout and "Installed but broken" in helped.stdout


def test_the_kit_s_commands_come_from_its_entry_points_and_never_replace_the_product_s() -> None:
    def app_with(*points: EntryPoint) -> typer.Typer:
        app = typer.Typer()
        app.command("scan")(lambda: typer.echo("the product's scan"))
        add_kit_commands(app, points)
        return app

    run = CliRunner().invoke
    kit = [EntryPoint(name, f"tke_orphans_testkit.cli:{attr}", GROUP) for name, attr in
           (("demo", "demo"), ("emulator", "emulator_app"), ("sinks", "sinks"))]  # fmt: skip
    app = app_with(*kit, EntryPoint("scan", "tke_orphans_testkit.cli:emulator_app", GROUP))
    assert run(app, ["scan"]).output == "the product's scan\n"
    assert "--world" in run(app, ["emulator", "serve", "--help"]).output
    assert "--record" in run(app, ["sinks", "--help"]).output
    # None found: every kit command is a stub; one of them missing: that one only.
    stubs = run(app_with(*kit[1:]), ["demo"])
    assert stubs.exit_code == 2 and "comes with the test kit" in stubs.output
    assert "--world" in run(app_with(*kit[1:]), ["emulator", "serve", "--help"]).output
    gone = run(app_with(EntryPoint("demo", "no_such_module_anywhere:demo", GROUP)), ["demo"])
    assert gone.exit_code == 2 and "cannot load (no_such_module_anywhere:demo: ModuleNotFoundError" in gone.output


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
    """`session.call("cvm", ...)` outside cloud/ and a kind's own file (kinds/<kind>.py, its product's shapes): code
    that knows an API's parameters and answer."""
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel.startswith("cloud/") or (rel.startswith("kinds/") and rel not in ("kinds/__init__.py", "kinds/spec.py")):
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


def test_no_sideways_imports() -> None:
    # Cleanup sends what the outbox owes through delivery.py, not through the scan's job; sessions are opened by
    # cloud/accounts.py, not by the scan's orchestration; a plan (a pure decision) words its reasons without render/.
    assert offenders(PRODUCT, "cleanup/", ("tke_orphans.job", "tke_orphans.scan")) == []
    importers = {
        path.relative_to(PRODUCT).as_posix()
        for path in PRODUCT.rglob("*.py")
        if any(m.startswith("tke_orphans.scan") for m in imports(path))
    }
    assert importers == {"job.py"}, importers
    for plan in ("cleanup/plan.py", "cleanup/kind_rules.py", "detect.py", "detect_leftovers.py"):
        assert offenders(PRODUCT, plan, ("tke_orphans.render", "tke_orphans.notify", "tke_orphans.cli")) == []


CONTEXT = {"cfg", "endpoint_url", "listener", "cancel"}


def test_one_context_not_four_parameters() -> None:
    """A function that takes the config takes none of the endpoint, the call listener or the cancel beside it:
    those travel together, as one `context.Run`."""
    found = []
    for path in sorted(PRODUCT.rglob("*.py")):
        rel = path.relative_to(PRODUCT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
                if "cfg" in names and names & CONTEXT - {"cfg"}:
                    found.append(f"{rel}:{node.lineno}: {node.name}({', '.join(sorted(names & CONTEXT))})")
    assert found == [], found
