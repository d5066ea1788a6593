"""No test depends on today's date: the tests that render times, ages and expiry dates (the terminal table, the
messages in both languages, the JSON contract, the docs' samples) pass again with the clock moved, a year ahead and
to a moment when UTC and Beijing disagree on the day (UTC's leap day, Beijing's 1 March). The clock moves in the
child pytest and in every Python process its tests start: the CLI run as a subprocess, the scan's worker processes
(whose signatures the in-process emulator would refuse if their clocks differed from its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(__file__).resolve().parent / "any_date"  # its sitecustomize.py moves the clock by TEST_CLOCK_SHIFT_SECONDS
RENDERING = [
    "tests/cli/test_terminal_output.py",
    "tests/cli/test_scan_command.py::test_json_contract",
    "tests/cli/test_scan_command.py::test_table_csv_markdown",
    "tests/notify/test_messages.py",
    "tests/notify/test_wording.py",
    "tests/notify/test_leftover_wording.py",
    "tests/state/test_leftovers_told.py",
    "tests/docs/test_generated.py",
    # Dates written into the tests as data (an absolute expiry served as it is, a migration from 2030): they must not
    # turn into expectations that hold only until that day.
    "tests/emulator/test_world.py",
    "tests/state/test_database.py",
]
# Beijing is already on 1 March while UTC is on the leap day: a date taken in the wrong zone shows.
LEAP_DAY_EVENING = datetime(2028, 2, 29, 18, 0, tzinfo=UTC)
# After every date the tests write as data (the latest: 2030-01-02): none may be an expectation in disguise.
PAST_THE_WRITTEN_DATES = datetime(2031, 1, 3, 9, 0, tzinfo=UTC)
QUIET = "ignore::pytest.PytestAssertRewriteWarning"  # time_machine, a pytest plugin, is imported before pytest starts

pytestmark = pytest.mark.skipif("TEST_CLOCK_SHIFT_SECONDS" in os.environ, reason="already on a moved clock")


def moved(shift: timedelta) -> dict[str, str]:
    path = os.pathsep.join([str(SITE), *filter(None, [os.environ.get("PYTHONPATH")])])
    return os.environ | {"TEST_CLOCK_SHIFT_SECONDS": str(shift.total_seconds()), "PYTHONPATH": path}


def test_the_moved_clock_reaches_the_processes_a_test_starts() -> None:
    """A shift that silently did nothing would make the test below one that cannot fail."""
    grandchild = "import time; print(time.strftime('%Y-%m-%d', time.gmtime()))"
    child = f"import datetime, subprocess, sys; print(datetime.datetime.now(datetime.UTC).date(), flush=True); " \
            f"subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"  # fmt: skip
    before = datetime.now(UTC)
    out = subprocess.run([sys.executable, "-c", child], env=moved(timedelta(days=365)), capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()  # fmt: skip
    after = datetime.now(UTC)
    expected = {str((before + timedelta(days=365)).date()), str((after + timedelta(days=365)).date())}
    assert len(out) == 2 and set(out) <= expected, out
    assert str(date.today()) not in out


MOMENTS = {"the leap day's evening": LEAP_DAY_EVENING, "past the written dates": PAST_THE_WRITTEN_DATES}


@pytest.mark.parametrize("moment", ["a year ahead", *MOMENTS])
def test_the_rendering_tests_pass_on_another_day(moment: str) -> None:
    shift = timedelta(days=365) if moment == "a year ahead" else MOMENTS[moment] - datetime.now(UTC)
    child = subprocess.run(
        [sys.executable, "-m", "pytest", *RENDERING, "-q", "-p", "no:cacheprovider", "-W", QUIET],
        cwd=ROOT, env=moved(shift), capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert child.returncode == 0, f"on {moment}:\n{child.stdout[-6000:]}{child.stderr[-2000:]}"
    assert " passed" in child.stdout.splitlines()[-1]
