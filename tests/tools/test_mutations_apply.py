"""`make mutate` is not in CI (it takes long), so a refactor could leave a mutation pointing at text that is gone and
the promise check would stop at it. Here, in CI: each mutation's text is in its file exactly once, the change is a
real change, and the tests it names exist."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mutate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tke_orphans_mutate", ROOT / "scripts" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


MUTATE = _mutate_module()


@pytest.mark.parametrize("m", MUTATE.MUTATIONS, ids=lambda m: m.promise[:60])
def test_each_mutation_applies_once_and_names_real_tests(m: Any) -> None:
    text = (MUTATE.SRC / m.file).read_text(encoding="utf-8")
    assert text.count(m.old) == 1, f"{m.file}: update the mutation for {m.promise!r}"
    assert m.old != m.new
    for test in m.tests:
        assert (ROOT / test.split("::")[0]).exists(), test


def test_promises_are_named_once() -> None:
    promises = [m.promise for m in MUTATE.MUTATIONS]
    assert len(promises) == len(set(promises))
