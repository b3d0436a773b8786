"""`sunshine demo`: a living service centre for a newcomer — the demo staff sign in with the
demo password, and cases of the shipped powers stand in many states, worked by the holders of
each post, with the deadlines swept; never in a production installation."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.demo import seed
from engine.errors import ConfigError
from engine.services import identity
from engine.services.supervision import case_record
from engine.services.views import list_cards, list_cases
from tests.conftest import ROOT, MovableClock, make_env
from tests.e2e.helpers import Sunshine

STAFF = ROOT / "demo" / "staff.json"


def _installed(run_cli, url: str) -> None:  # noqa: ANN001
    sun = Sunshine(run_cli, url, now="2026-03-30T08:00")
    sun.ok("db", "upgrade")
    sun.ok("user", "import", STAFF, "--only", "admin,sheji")
    sun.ok("deploy", *sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn")), "--as", "sheji")
    sun.ok("user", "import", STAFF, "--as", "admin")


def test_the_demo_fills_an_empty_installation_with_cases_in_many_states(
        run_cli, sqlite_url: str, clock: MovableClock) -> None:
    _installed(run_cli, sqlite_url)
    clock.set("2026-03-30T17:00")
    env = make_env(sqlite_url, clock)
    report = seed(env, STAFF, cases_wanted=40, password="sunshine-demo")
    assert report.cases == 40 and not [s for s in report.skipped if "已有办件" in s]
    rows = list_cases(env, limit=1000)
    assert len(rows) == 40
    assert len({r.state for r in rows}) >= 4  # received, in correction, accepted, closed …
    assert list_cards(env)  # some steps ran late: the sweep carded them
    assert all(case_record(env, r.number)["audit_chain"] == "intact" for r in rows)
    assert identity.check_password(env, "chuangkou", "sunshine-demo").login == "chuangkou"
    again = seed(env, STAFF, cases_wanted=40, password="sunshine-demo")
    assert again.cases == 0 and len(list_cases(env, limit=1000)) == 40  # never twice
    env.engine.dispose()


def test_the_demo_is_refused_in_a_production_installation(run_cli, sqlite_url: str) -> None:
    from adapters.bootstrap import build_env
    from adapters.config import Settings

    _installed(run_cli, sqlite_url)
    env = build_env(Settings(database_url=sqlite_url, mode="production"), MovableClock(None))
    with pytest.raises(ConfigError, match="SUNSHINE_MODE=demo"):
        seed(env, Path(STAFF), cases_wanted=5, password="x" * 12)
    env.engine.dispose()
