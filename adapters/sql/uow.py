"""The SQL unit of work and the database engine (SQLite WAL or PostgreSQL).

SQLite durability: WAL with ``synchronous=NORMAL`` — a commit survives a killed process (the
WAL is written before commit returns) but the last commits may be lost on a power cut; set
``SUNSHINE_SQLITE_SYNCHRONOUS=FULL`` for fsync on every commit (slower; docs/operations.md).
``PRAGMA synchronous`` is per connection, so it is set in the ``connect`` event. Write
transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the lock
instead of failing at commit time.
"""

from __future__ import annotations

import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from adapters.sql import pg_path
from adapters.sql import repositories as r
from adapters.sql.case_repository import DEFERRED, READ_FIRST, SqlCaseRepository
from adapters.sql.outbox import SqlOutboxRepository
from adapters.sql.read_models import SqlSupervisionReads
from adapters.sql.retention import SqlRetention
from adapters.sql.trail_reads import SqlTrailReads
from adapters.sql.users import SqlStartRequestRepository, SqlUserRepository
from adapters.sql.web_sessions import SqlWebSessionRepository
from engine.errors import Conflict


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL", echo: bool = False) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # A unit of work that starts by loading a case reads in a plain (deferred)
            # transaction, runs the case's rules holding no lock, and takes the write lock only
            # to save (adapters/sql/case_repository.py); any other begins with the write lock.
            if conn.info.pop(READ_FIRST, False):
                conn.exec_driver_sql("BEGIN")
                conn.info[DEFERRED] = True
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip on every unit of work. A connection that died while
    # pooled fails its first statement; SQLAlchemy then drops the pool's stale connections, the
    # unit of work fails whole (nothing half-written) and the sweep leaves its row pending.
    return sa.create_engine(url, echo=echo, pool_pre_ping=False)


def _translate(err: Exception, plans: list[Any]) -> Exception:
    """A write pipeline's errors in the engine's terms: the version check's division by zero and
    a duplicate key are someone else's change (Conflict); data no column can hold stays what it
    is (TypeError, ValueError)."""
    import psycopg

    number = plans[0].case_number if plans else "?"
    if isinstance(err, (psycopg.errors.DivisionByZero, psycopg.errors.UniqueViolation)):
        return Conflict(f"case {number} was changed by someone else at the same time; nothing "
                        f"was written — reload it and try again")
    return err


class SqlUnitOfWork:
    """One transaction over all repositories; ``commit`` once, anything else rolls back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()  # the transaction begins with the first statement
        c = self.conn
        self.definitions = r.SqlDefinitionRepository(c)
        self._plans: list[Any] = []  # PostgreSQL: planned writes, sent with the COMMIT
        self.cases = SqlCaseRepository(c, self._plans)
        self.steps = r.SqlStepRepository(c)
        self.timers = r.SqlTimerRepository(c)
        self.audit = r.SqlAuditRepository(c)
        self.cards = r.SqlCardRepository(c)
        self.breaches = r.SqlBreachRepository(c)
        self.stops = r.SqlClockStopRepository(c)
        self.extensions = r.SqlExtensionRepository(c)
        self.calendar = r.SqlCalendarRepository(c)
        self.flags = r.SqlFlagRepository(c)
        self.reports = r.SqlReportRepository(c)
        self.exchange = r.SqlExchangeRepository(c)
        self.reads = SqlSupervisionReads(c)
        self.outbox = SqlOutboxRepository(c, self._plans)
        self.users = SqlUserRepository(c)
        self.start_requests = SqlStartRequestRepository(c)
        self.web_sessions = SqlWebSessionRepository(c)
        self.ratings = r.SqlRatingRepository(c)
        self.complaints = r.SqlComplaintRepository(c, self._plans)
        self.trail = SqlTrailReads(c)
        self.retention = SqlRetention(c)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            for flag in (READ_FIRST, DEFERRED):  # the DBAPI connection goes back to the pool
                self.conn.info.pop(flag, None)
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        if self._plans:
            plans, self._plans[:] = list(self._plans), []
            assert self.conn is not None
            try:
                pg_path.run_plans(self.conn, plans, commit=True)
            except Exception as err:
                raise _translate(err, plans) from None
        assert self.conn is not None
        self.conn.info.pop(DEFERRED, None)
        self.conn.commit()  # after the pipeline's COMMIT the driver has nothing left to send

    def rollback(self) -> None:
        assert self.conn is not None
        self.conn.info.pop(DEFERRED, None)
        self.conn.rollback()

    def is_transient(self, err: BaseException) -> bool:
        """A lost or refused connection, a database shutting down or locked past the timeout:
        the work can be retried later; it says nothing about the case being worked on."""
        if isinstance(err, sa.exc.DBAPIError) and err.connection_invalidated:
            return True
        if isinstance(err, (sa.exc.OperationalError, sa.exc.InterfaceError)):
            return True
        # PostgreSQL's writes go with the COMMIT through the driver itself (pg_path), whose
        # errors SQLAlchemy does not wrap: a connection lost there is the same outage
        psycopg = sys.modules.get("psycopg")
        return psycopg is not None and isinstance(err, (psycopg.OperationalError,
                                                        psycopg.InterfaceError))
