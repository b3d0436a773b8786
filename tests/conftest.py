"""Shared fixtures: databases (SQLite file and a fresh PostgreSQL schema), the Env, the CLI.

PostgreSQL tests use the real server (SUNSHINE_TEST_PG_URL, default
postgresql://postgres@127.0.0.1:5432/test); each test gets its own schema, dropped afterwards.
A server that does not answer FAILS those tests: it is never a silent skip.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.bootstrap import build_env, upgrade_database
from adapters.config import Settings
from engine.services.context import Env, Rules

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FIXTURES = ROOT / "tests" / "fixtures"
# the tests' data key (personal data sealed at rest, adapters/sql/pii.py): a test key, no secret
DATA_KEY = FIXTURES / "data.key"
PG_BASE = os.environ.get("SUNSHINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


class MovableClock:
    """A clock the test moves by hand (time travel)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def set(self, text: str) -> None:
        from adapters.cli.common import parse_now

        self.at = parse_now(text)


@pytest.fixture(autouse=True)
def _no_wall_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that lets the product read the wall clock.

    Every test must pass a fixed ``--now`` or a clock of its own: a test that reads the real date
    passes today and turns red when the calendar moves on (a new year with no holiday schedule,
    a deadline that is suddenly past). The product reads the wall clock only through
    ``SystemClock``; here it records who asked, and the test fails at teardown.
    """
    from adapters import bootstrap

    callers: list[str] = []
    real_now = bootstrap.SystemClock.now

    def now(self: object) -> dt.datetime:
        import traceback

        callers.append("".join(traceback.format_stack(limit=8)[:-1]))
        return real_now(self)  # type: ignore[arg-type]

    monkeypatch.setattr(bootstrap.SystemClock, "now", now)
    yield
    if callers:
        pytest.fail("this test read the wall clock (pass --now ISO or a fixed clock):\n"
                    + callers[0], pytrace=False)


def _pg_schema_url() -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    base = PG_BASE.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as err:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL at {PG_BASE} does not answer: {err}; run .ci/ensure-postgres.sh")
    sep = "&" if "?" in PG_BASE else "?"
    yield f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sunshine.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _pg_schema_url()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sunshine.db'}"
    else:
        yield from _pg_schema_url()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC))  # Mon 09:00 CST


def make_env(url: str, clock: object, rules: Rules | None = None,
             calendar_fallback: bool = False) -> Env:
    settings = Settings(database_url=url, rules=rules or Rules(),
                        calendar_fallback=calendar_fallback, mode="test",
                        data_key=str(DATA_KEY))
    env = build_env(settings, clock)
    upgrade_database(env.engine)  # type: ignore[attr-defined]
    return env


@pytest.fixture
def env(db_url: str, clock: MovableClock) -> Env:
    """An Env on a fresh, migrated database (SQLite and PostgreSQL), every process deployed."""
    from engine.services.catalogue_admin import deploy
    from tests.staff import A

    e = make_env(db_url, clock)
    deploy(e, sorted(str(p) for p in PROCESSES.glob("*.bpmn")), actor=A("designer"))
    return e


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """Run `sunshine ARGS…` in-process; returns CliResult(code, out, err)."""
    from adapters.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as a test installation (SUNSHINE_MODE=test): time travel is allowed. A test
    of production's refusal sets the mode itself."""
    monkeypatch.setenv("SUNSHINE_MODE", "test")
    monkeypatch.setenv("SUNSHINE_DATA_KEY", str(DATA_KEY))


# -- recording what the tests ask of the staff (maintainers only) -----------------------------
# SUNSHINE_RECORD_NEEDS=FILE runs the suite with every permission granted and writes, per
# acting login, each action with its context (post, unit …) to FILE: the raw material of
# tests/fixtures/staff.json when tests change who does what. Never set in CI.
if os.environ.get("SUNSHINE_RECORD_NEEDS"):  # pragma: no cover - a maintainer's tool
    import json as _json

    import engine.identity as _identity
    import engine.services.identity as _svc_identity
    import tests.staff as _staff

    _NEEDS = open(os.environ["SUNSHINE_RECORD_NEEDS"], "a", encoding="utf-8")  # noqa: SIM115
    _ALL = frozenset(_identity.Role)

    def _record_decide(actor, action, **context):  # type: ignore[no-untyped-def]
        plain = {k: (v.login if isinstance(v, _identity.Actor) else
                     list(v) if isinstance(v, (list, tuple, set, frozenset)) else v)
                 for k, v in context.items()}
        _NEEDS.write(_json.dumps({"login": actor.login, "action": action.value, **plain},
                                 ensure_ascii=False) + "\n")
        _NEEDS.flush()
        return _identity.Decision(True, _identity.RULES[action])

    def _any(login):  # type: ignore[no-untyped-def]
        login = getattr(login, "strip", lambda: login)()
        return _identity.Actor(login=login, name=login, unit="", roles=_ALL)

    _identity.decide = _record_decide
    _svc_identity.resolve = lambda env, login: _any(login)
    _staff.A = _any
