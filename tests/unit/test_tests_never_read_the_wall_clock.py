"""The suite must not depend on the day it runs: no test reads the wall clock.

Besides the autouse fixture in tests/conftest.py (which fails a test whose product code asked
``SystemClock`` for the time), this looks at the tests' own source: a test that asks Python for
the current date or time passes today and turns red when the calendar moves on.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
WALL_CLOCK = re.compile(r"\b(datetime\.(now|today|utcnow)|date\.today|time\.time)\(")


def test_no_test_file_reads_the_wall_clock() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WALL_CLOCK.search(line):
                offenders.append(f"{path.relative_to(TESTS)}:{number}: {line.strip()}")
    assert not offenders, "tests read the wall clock; pass a fixed time instead:\n" + "\n".join(offenders)


def test_the_product_clock_guard_catches_a_cli_verb_run_without_now(run_cli, sqlite_url) -> None:  # noqa: ANN001
    """The guard itself must work: a verb that takes the time from the system is noticed."""
    from adapters import bootstrap

    assert run_cli("--db", sqlite_url, "db", "upgrade").code == 0
    called = []
    real = bootstrap.SystemClock.now  # the guard's recording wrapper

    def spy(self):  # noqa: ANN001, ANN202
        called.append(True)
        return dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)

    bootstrap.SystemClock.now = spy  # the autouse guard's monkeypatch restores the original
    try:
        run_cli("--db", sqlite_url, "user", "add", "admin", "--name", "管理员", "--unit", "县政务服务中心",
                "--role", "admin")
    finally:
        bootstrap.SystemClock.now = real
    assert called, "user add without --now should have asked the system clock (and the guard would fail it)"
