"""The composition root: settings → database engine, unit of work, clock, calendar → Env."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from adapters.calendar_files import estimated_schedule, schedules_from_chinese_calendar
from adapters.config import Settings
from adapters.sql import pii
from adapters.sql.uow import SqlUnitOfWork, make_engine
from engine.calendar import WorkingCalendar, YearSchedule
from engine.errors import CalendarError
from engine.services.context import Env

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only by `sunshine db upgrade` (upgrade_database): it costs a CLI verb
# about 0.2 s, and the schema check of every other verb reads the version table itself.
MIGRATIONS = Path(__file__).resolve().parent / "sql" / "migrations"


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class WallClock:
    """The real time, only to stamp when a record was written (``Env.written_at``): evidence
    beside the acting time, which time travel may set. Nothing is decided on it."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock stopped at one instant (the CLI's --now; tests)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.at


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def head_revision() -> str:
    """The revision id of the newest migration, read from the files in sql/migrations/versions
    (their ``revision = "…"`` and ``down_revision = "…"`` lines) without importing Alembic:
    the one revision that no other migration names as its ``down_revision``.
    tests/unit/test_cli_imports.py checks that it is Alembic's own head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            ids = re.findall(r"[\"']([^\"']+)[\"']", value)
            (revisions if key == "revision" else parents).update(ids)
    heads = revisions - parents
    if len(heads) != 1:  # a branched history (never made so far): ask Alembic
        from alembic.script import ScriptDirectory

        return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())
    return heads.pop()


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at (Alembic's ``alembic_version`` table), None if the
    table is not there; several rows (a branched history) read as one comma-separated id."""
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    return ",".join(sorted(rows)) or None


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot be used as it is (not created, or behind the code), or None."""
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = current_revision(conn)
    except sa_exc.OperationalError as err:
        return f"cannot open the database {engine.url.render_as_string()}: {err.orig}"
    if current is None:
        return (f"the database {engine.url.render_as_string()} has no Sunshine schema yet — "
                f"run `sunshine db upgrade` first")
    if current != head:
        return (f"the database schema is at revision {current}, the code needs {head} — "
                f"run `sunshine db upgrade` (back up the database first)")
    return None


def stored_schedules(engine: Engine) -> dict[int, YearSchedule]:
    from adapters.sql.repositories import stored_calendar_years

    return {
        year: YearSchedule(
            year=year,
            holidays={date.fromisoformat(k): v for k, v in row["holidays"].items()},
            workdays={date.fromisoformat(k): v for k, v in row["workdays"].items()},
            source=row["source"],
        )
        for year, row in stored_calendar_years(engine).items()
    }


def _estimate(year: int) -> YearSchedule | None:
    try:
        return estimated_schedule(year)
    except (ImportError, CalendarError):
        return None  # no estimate: CalendarYearMissing, or the weekends-only fallback


def build_env(settings: Settings, clock: object | None = None) -> Env:
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    pii.attach(engine, pii.from_settings(settings))  # personal data sealed at rest
    cache: dict[str, WorkingCalendar] = {}

    def load() -> WorkingCalendar:
        schedules = schedules_from_chinese_calendar()
        try:
            schedules.update(stored_schedules(engine))  # the database wins
        except (sa_exc.OperationalError, sa_exc.ProgrammingError):
            pass  # the schema is not created yet (`sunshine db upgrade` comes first)
        # A year with no State Council schedule yet (the next one, every October to December) is
        # counted provisionally on an estimate from the holiday law, made when first needed; the
        # database and the real schedules always win. The weekends-only fallback stays the last
        # resort beyond these.
        later = range(min(schedules), max(schedules) + 3) if schedules else range(0)
        return WorkingCalendar(schedules, fallback_weekends_only=settings.calendar_fallback,
                               tz=ZoneInfo(settings.timezone), estimate=_estimate,
                               estimate_years=later)

    def calendar() -> WorkingCalendar:
        # Loaded before any unit of work is open (SQLite allows one writer: a second
        # transaction inside a running one would wait for the first).
        if "cal" not in cache:
            cache["cal"] = load()
        return cache["cal"]

    calendar()

    return Env(uow=lambda: SqlUnitOfWork(engine), clock=clock or SystemClock(),  # type: ignore[arg-type]
               calendar=calendar, rules=settings.rules, wall=WallClock().now,
               time_travel=settings.mode in ("test", "demo"), engine=engine,
               reset_calendar=lambda: (cache.clear(), calendar()))
