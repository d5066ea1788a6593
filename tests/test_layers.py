"""The layers, as imports: only cloud/ talks to the SDK; the state and the records know nothing of notify or render."""

from __future__ import annotations

import ast
from pathlib import Path

import tke_orphans

SRC = Path(tke_orphans.__file__).parent
TEST_DOUBLES = ("emulator/", "sinks/", "demo.py")  # test doubles, not the product (they move to the test kit)


def imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports made absolute."""
    package = ["tke_orphans", *path.relative_to(SRC).parent.parts]
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
        if not rel.startswith(where) or rel.startswith(TEST_DOUBLES):
            continue
        found += [f"{rel}: {m}" for m in sorted(imports(path)) if m.startswith(forbidden)]
    return found


def test_only_the_cloud_adapter_imports_the_sdk() -> None:
    assert [o for o in offenders(SRC, "", ("tencentcloud",)) if not o.startswith("cloud/")] == []


def test_the_state_and_the_records_know_nothing_of_notify_render_or_the_cli() -> None:
    layers = ("tke_orphans.notify", "tke_orphans.render", "tke_orphans.cli", "tke_orphans.serve")
    assert offenders(SRC, "state/", layers) == []
    assert offenders(SRC, "records.py", (*layers, "tke_orphans.state")) == []
    assert offenders(SRC, "model.py", (*layers, "tke_orphans.state")) == []


def raw_calls(src: Path) -> list[str]:
    """`session.call("cvm", ...)` outside cloud/: code that knows an API's parameters and answer."""
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel.startswith(("cloud/", *TEST_DOUBLES)):
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
    assert raw_calls(SRC) == []
