"""The composition root: settings → database engine, unit of work, clock, calendar → Env."""

from __future__ import annotations

import datetime as dt
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from adapters.calendar_files import schedules_from_chinese_calendar
from adapters.config import Settings
from adapters.sql.uow import SqlUnitOfWork, make_engine
from engine.calendar import WorkingCalendar, YearSchedule
from engine.services.context import Env

MIGRATIONS = Path(__file__).resolve().parent / "sql" / "migrations"


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FixedClock:
    """A clock stopped at one instant (the CLI's --now; tests)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self.at


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(engine: Engine) -> None:
    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot be used as it is (not created, or behind the code), or None."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except sa_exc.OperationalError as err:
        return f"cannot open the database {engine.url.render_as_string()}: {err.orig}"
    if current is None:
        return (f"the database {engine.url.render_as_string()} has no Sunshine schema yet — "
                f"run `sunshine db upgrade` first")
    if current != head:
        return (f"the database schema is at revision {current}, the code needs {head} — "
                f"run `sunshine db upgrade` (back up the database first)")
    return None


def stored_schedules(env_uow: SqlUnitOfWork) -> dict[int, YearSchedule]:
    with env_uow as uow:
        rows = uow.calendar.years()
    return {
        year: YearSchedule(
            year=year,
            holidays={date.fromisoformat(k): v for k, v in row["holidays"].items()},
            workdays={date.fromisoformat(k): v for k, v in row["workdays"].items()},
            source=row["source"],
        )
        for year, row in rows.items()
    }


def build_env(settings: Settings, clock: object | None = None) -> Env:
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    cache: dict[str, WorkingCalendar] = {}

    def load() -> WorkingCalendar:
        schedules = schedules_from_chinese_calendar()
        try:
            schedules.update(stored_schedules(SqlUnitOfWork(engine)))  # the database wins
        except (sa_exc.OperationalError, sa_exc.ProgrammingError):
            pass  # the schema is not created yet (`sunshine db upgrade` comes first)
        return WorkingCalendar(schedules, fallback_weekends_only=settings.calendar_fallback,
                               tz=ZoneInfo(settings.timezone))

    def calendar() -> WorkingCalendar:
        # Loaded before any unit of work is open (SQLite allows one writer: a second
        # transaction inside a running one would wait for the first).
        if "cal" not in cache:
            cache["cal"] = load()
        return cache["cal"]

    calendar()

    env = Env(uow=lambda: SqlUnitOfWork(engine), clock=clock or SystemClock(),  # type: ignore[arg-type]
              calendar=calendar, rules=settings.rules)
    env.engine = engine  # type: ignore[attr-defined]
    env.reset_calendar = lambda: (cache.clear(), calendar())  # type: ignore[attr-defined]
    return env
