"""Shared set-up for the benchmarks in bench/ (not tests: nothing here asserts anything).

Databases are made the way tests/conftest.py makes them: a SQLite file in a temporary
directory, or a fresh schema on the PostgreSQL at SUNSHINE_TEST_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test), dropped afterwards. Every benchmark drives the
product through its own services (engine/services/…) on an Env built by adapters.bootstrap.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.staff import CLERK, A, person  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from adapters.bootstrap import build_env, upgrade_database  # noqa: E402
from adapters.config import Settings  # noqa: E402
from engine.services import cases as svc  # noqa: E402
from engine.services.catalogue_admin import deploy  # noqa: E402
from engine.services.context import Env, Rules  # noqa: E402

PROCESSES = ROOT / "processes"
FOOD_FILE = PROCESSES / "food_business_licence.bpmn"
FOOD = "XK-SPJY-001"
FOOD_PROCESS = "food_business_licence"
PG_BASE = os.environ.get("SUNSHINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # Mon 09:00 in Shanghai

# The approval path after 受理 (acceptance is done with svc.accept): name → form data.
AFTER_ACCEPTANCE = [
    ("现场核查", {"opinion": "现场核查符合要求"}),
    ("审核", {"opinion": "同意"}),
    ("审批决定", {"decision": "approve", "opinion": "准予许可"}),
    ("制证发证", {"opinion": "已发证"}),
]


class MovableClock:
    """Same as tests/conftest.py's MovableClock (kept here so bench/ does not import pytest)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at


def make_env(url: str, clock: object, *, sqlite_synchronous: str = "NORMAL") -> Env:
    """tests/conftest.py's make_env, with the SQLite durability level as a parameter."""
    settings = Settings(database_url=url, rules=Rules(), sqlite_synchronous=sqlite_synchronous,
                        mode="test")  # the benchmark travels in time
    env = build_env(settings, clock)
    upgrade_database(env.engine)  # type: ignore[attr-defined]
    return env


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A SQLite file in a fresh temporary directory (on the same disk as /tmp)."""
    d = tempfile.mkdtemp(prefix="sunshine-bench-")
    try:
        yield f"sqlite:///{d}/sunshine.db"
    finally:
        shutil.rmtree(d, ignore_errors=True)


@contextmanager
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, like tests/conftest.py's _pg_schema_url."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    base = PG_BASE.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_BASE else "?"
    try:
        yield f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def pg_available() -> str | None:
    """None if the PostgreSQL answers, else why not."""
    try:
        eng = sa.create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://", 1))
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        eng.dispose()
        return None
    except Exception as err:  # noqa: BLE001 - report any reason
        return str(err).splitlines()[0]


def food_env(url: str, *, sqlite_synchronous: str = "NORMAL",
             at: dt.datetime = T0) -> tuple[Env, MovableClock]:
    clock = MovableClock(at)
    env = make_env(url, clock, sqlite_synchronous=sqlite_synchronous)
    deploy(env, [str(FOOD_FILE)], actor=A("designer"))
    return env, clock


def open_steps(env: Env, case_id: int) -> list[Any]:
    """The case's ready steps, as a task list would read them (one read transaction)."""
    with env.uow() as uow:
        return uow.steps.list(case_id=case_id)


def run_case_to_review(env: Env, applicant: str) -> Any:
    """start → 受理 → 现场核查 done: the case waits at 审核 (the review step)."""
    case = svc.start_case(env, FOOD, person(applicant), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("李窗口"))
    step = open_steps(env, case.id)[0]
    svc.complete_task(env, step.id, actor=A("核查员"), data=AFTER_ACCEPTANCE[0][1])
    return case


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "sqlalchemy": sa.__version__}


def pg_version() -> str:
    eng = sa.create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.connect() as conn:
        v = conn.exec_driver_sql("SHOW server_version").scalar_one()
    eng.dispose()
    return str(v)
