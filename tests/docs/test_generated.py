"""The README's demo table and WeCom sample and every message in docs/notifications.md are what the product prints
and sends today: scripts/docs.py makes them anew (the real demo command; the real job and each platform's renderer on
a fixed clock) and this fails while a file differs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_samples_are_what_the_product_makes() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    made = subprocess.run([sys.executable, "scripts/docs.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=280, check=False)  # fmt: skip
    assert made.returncode == 0, f"{made.stdout[-8000:]}{made.stderr[-3000:]}"
