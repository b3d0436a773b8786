"""Repositories over SQLAlchemy Core: definitions, the read models (task list, cards, breaches,
the trail), the sweep's claim on due rows, the calendar and applicant flags; and the row mapping
the case repository (adapters/sql/case_repository.py) shares with them.

Rows map to the dataclasses field by field (enums by value).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from adapters.sql import pii
from adapters.sql import tables as t
from engine.deadlines import Deadline
from engine.errors import InvalidAction, NotFound
from engine.model import (
    ApplicantFlag,
    AuditEvent,
    Breach,
    BreachKind,
    Card,
    CardKind,
    ClockStop,
    Complaint,
    Extension,
    Measure,
    Rating,
    StepRecord,
    TaskStatus,
    Timer,
    TimerKind,
    TimerStatus,
)
from engine.stats import SignedReport

R = TypeVar("R")

def _row(obj: Any, skip: Sequence[str] = ()) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        out[f.name] = value.value if isinstance(value, enum.Enum) else value
    return out


def _build(cls: type[R], row: Any, enums: dict[str, type[enum.Enum]],
           skip: Sequence[str] = ()) -> R:
    data = dict(row._mapping)
    for name in skip:
        data.pop(name, None)
    for name, enum_cls in enums.items():
        if data.get(name) is not None:
            data[name] = enum_cls(data[name])
    return cls(**data)


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def _insert_unique(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """Insert unless the unique key exists; True if inserted (replay-safe)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(table.insert().values(**values))
            return True
        except IntegrityError:
            return False


class SqlDefinitionRepository(_Repo):
    def add(self, *, power_code: str, process_id: str, content_hash: str, file: str, xml: bytes,
            power: dict[str, Any], spec: dict[str, Any], deployed_at: datetime,
            deployed_by: str) -> Any:
        last = self.conn.execute(
            sa.select(sa.func.max(t.definitions.c.version)).where(
                t.definitions.c.power_code == power_code)).scalar()
        version = (last or 0) + 1
        new_id = self.conn.execute(t.definitions.insert().values(
            power_code=power_code, process_id=process_id, version=version,
            content_hash=content_hash, file=file, xml=xml, power=power, spec=spec,
            deployed_at=deployed_at, deployed_by=deployed_by)).inserted_primary_key[0]
        exists = self.conn.execute(sa.select(t.powers.c.code).where(
            t.powers.c.code == power_code)).first()
        if exists:
            self.conn.execute(t.powers.update().where(t.powers.c.code == power_code).values(
                latest_definition_id=new_id, process_id=process_id))
        else:
            self.conn.execute(t.powers.insert().values(
                code=power_code, process_id=process_id, status="active",
                latest_definition_id=new_id))
        return self.get(new_id)

    def _select(self) -> sa.Select[Any]:
        d = t.definitions.c
        return sa.select(d.id, d.power_code, d.process_id, d.version, d.content_hash, d.power,
                         d.spec, d.deployed_at, d.deployed_by, d.file, t.powers.c.status,
                         t.powers.c.withdrawn_at, t.powers.c.withdrawn_by,
                         t.powers.c.withdrawn_reason, t.powers.c.reinstated_at,
                         t.powers.c.reinstated_by, t.powers.c.reinstated_reason).join(
            t.powers, t.powers.c.code == d.power_code)

    def get(self, definition_id: int) -> Any:
        row = self.conn.execute(self._select().where(t.definitions.c.id == definition_id)).first()
        if row is None:
            raise NotFound(f"no definition {definition_id}")
        return SimpleNamespace(**row._mapping)

    def latest(self, power_code: str) -> Any | None:
        row = self.conn.execute(self._select().where(
            t.definitions.c.id == t.powers.c.latest_definition_id,
            t.powers.c.code == power_code)).first()
        return SimpleNamespace(**row._mapping) if row else None

    def by_hash(self, power_code: str, content_hash: str) -> Any | None:
        row = self.conn.execute(self._select().where(
            t.definitions.c.power_code == power_code,
            t.definitions.c.content_hash == content_hash)).first()
        return SimpleNamespace(**row._mapping) if row else None

    def process_for_code(self, power_code: str) -> str | None:
        return self.conn.execute(sa.select(t.powers.c.process_id).where(
            t.powers.c.code == power_code)).scalar()

    def codes_for_process(self, process_id: str) -> list[str]:
        return list(self.conn.execute(sa.select(t.powers.c.code).where(
            t.powers.c.process_id == process_id)).scalars())

    def current(self) -> list[Any]:
        rows = self.conn.execute(self._select().where(
            t.definitions.c.id == t.powers.c.latest_definition_id).order_by(t.powers.c.code))
        return [SimpleNamespace(**r._mapping) for r in rows]

    def versions(self, power_code: str) -> list[Any]:
        rows = self.conn.execute(self._select().where(
            t.definitions.c.power_code == power_code).order_by(t.definitions.c.version.desc()))
        return [SimpleNamespace(**r._mapping) for r in rows]

    def xml(self, definition_id: int) -> bytes:
        return bytes(self.conn.execute(sa.select(t.definitions.c.xml).where(
            t.definitions.c.id == definition_id)).scalar_one())

    def set_latest(self, power_code: str, definition_id: int) -> None:
        self.conn.execute(t.powers.update().where(t.powers.c.code == power_code).values(
            latest_definition_id=definition_id))

    def set_status(self, power_code: str, status: str, *, at: Any = None, by: str | None = None,
                   reason: str | None = None) -> None:
        """withdrawn, or active again, with when, by whom and why (the last withdrawal stays
        on record when a power is reinstated)."""
        if status == "withdrawn":
            values = {"withdrawn_at": at, "withdrawn_by": by, "withdrawn_reason": reason}
        elif by is not None:
            values = {"reinstated_at": at, "reinstated_by": by, "reinstated_reason": reason}
        else:
            values = {}
        self.conn.execute(t.powers.update().where(t.powers.c.code == power_code).values(
            status=status, **values))


_TIMER_ENUMS: dict[str, type[enum.Enum]] = {"kind": TimerKind, "status": TimerStatus}
_CARD_ENUMS: dict[str, type[enum.Enum]] = {"kind": CardKind}
_BREACH_ENUMS: dict[str, type[enum.Enum]] = {"kind": BreachKind, "measure": Measure}


def _deadline_json(d: Deadline | None) -> list[Any] | None:
    """A deadline's basis as stored beside its instant and day columns: [start, days, provisional]
    (the day and instant are the columns; kept small, it is on every case and step row)."""
    return [d.start.isoformat(), d.days, d.provisional] if d is not None else None


def _deadline_from(basis: Any, at: datetime | None, day: date | None,
                   what: str) -> Deadline | None:
    if at is None or day is None:
        return None
    if isinstance(basis, list):
        return Deadline(day=day, at=at, provisional=bool(basis[2]),
                        start=date.fromisoformat(basis[0]), days=int(basis[1]), basis=what)
    # stored before bases were kept: the day is known, how it was counted is not
    return Deadline(day=day, at=at, provisional=False, start=day, days=-1, basis=what)


def _step_values(step: StepRecord) -> dict[str, Any]:
    values = _row(step, skip=("due",))
    values.update(due_at=step.due_at, due_day=step.due_day, due_basis=_deadline_json(step.due))
    return values


def _step(row: Any) -> StepRecord:
    data = dict(row._mapping)
    due = _deadline_from(data.pop("due_basis", None), data.pop("due_at"), data.pop("due_day"),
                         "环节时限")
    data["status"] = TaskStatus(data["status"])
    return StepRecord(due=due, **data)


class SqlStepRepository(_Repo):
    """The task list (a read model over the steps of every case)."""

    def get(self, task_id: str) -> StepRecord:
        ref = task_id.strip()
        row = self.conn.execute(sa.select(t.steps).where(t.steps.c.id == ref)).first()
        if row is None and len(ref) >= 6:
            rows = self.conn.execute(sa.select(t.steps).where(
                t.steps.c.id.startswith(ref, autoescape=True)).limit(2)).all()
            if len(rows) > 1:
                raise NotFound(f"task {ref} is ambiguous; give more characters of its id")
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"no task {ref} — see the task list")
        return _step(row)

    def for_case(self, case_id: int) -> list[StepRecord]:
        return self.list(case_id=case_id, status=None, limit=10_000)

    def list(self, *, case_id: int | None = None, post: str | None = None,
             user: str | None = None, status: str | None = "ready",
             limit: int = 500, power_code: str | None = None,
             posts_or_claimant: tuple[list[str], str] | None = None,
             by_due: bool = False) -> list[StepRecord]:
        query = sa.select(t.steps).order_by(t.steps.c.ready_at, t.steps.c.id).limit(limit)
        if power_code:
            query = query.where(t.steps.c.power_code == power_code)
        if case_id is not None:
            query = query.where(t.steps.c.case_id == case_id)
        if post:
            query = query.where(t.steps.c.post == post)
        if user:
            query = query.where(sa.or_(t.steps.c.assignee == user, t.steps.c.completed_by == user))
        if status:
            query = query.where(t.steps.c.status == status)
        if posts_or_claimant is not None:  # a person's work: their posts' steps and their claims
            posts, login = posts_or_claimant
            query = query.where(sa.or_(t.steps.c.post.in_(posts), t.steps.c.assignee == login))
        if by_due:  # least time left first; steps with no limit last
            query = query.order_by(None).order_by(t.steps.c.due_at.is_(None), t.steps.c.due_at,
                                                  t.steps.c.ready_at, t.steps.c.id)
        return [_step(r) for r in self.conn.execute(query)]


class SqlTimerRepository(_Repo):
    """Claiming due rows for the sweep, and the rows set aside as failed."""

    def claim_due(self, now: datetime, limit: int) -> list[Timer]:
        query = (sa.select(t.timers).where(t.timers.c.status == "pending",
                                           t.timers.c.due_at <= now)
                 .order_by(t.timers.c.due_at, t.timers.c.id).limit(limit))
        if self.pg:
            query = query.with_for_update(skip_locked=True)
        return [_build(Timer, r, _TIMER_ENUMS) for r in self.conn.execute(query)]

    def set_aside(self, timer: Timer, at: datetime) -> None:
        """Mark one row failed without loading its case (the case itself cannot be loaded)."""
        self.conn.execute(t.timers.update().where(t.timers.c.id == timer.id).values(
            status=TimerStatus.FAILED.value, fired_at=at))

    def failed(self) -> list[Timer]:
        rows = self.conn.execute(sa.select(t.timers).where(t.timers.c.status == "failed")
                                 .order_by(t.timers.c.due_at))
        return [_build(Timer, r, _TIMER_ENUMS) for r in rows]

    def requeue_failed(self) -> int:
        return int(self.conn.execute(t.timers.update().where(t.timers.c.status == "failed")
                                     .values(status="pending", fired_at=None)).rowcount)


def event_from_row(r: Any, key: pii.DataKey | None) -> AuditEvent:
    """A stored event, its personal values and salt opened: the chain hashes them plain."""
    return AuditEvent(r.case_id, r.seq, r.at, r.actor, r.kind, pii.reveal(r.payload, key),
                      r.prev_hash, r.hash, hash_version=r.hash_version,
                      salt=pii.reveal(r.salt, key))


class SqlAuditRepository(_Repo):
    def for_case(self, case_id: int) -> list[AuditEvent]:
        rows = self.conn.execute(sa.select(t.audit_events).where(
            t.audit_events.c.case_id == case_id).order_by(t.audit_events.c.seq))
        key = pii.key_for(self.conn)
        return [event_from_row(r, key) for r in rows]

    def heads(self) -> list[tuple[str, int, str]]:
        """Every case's chain head: (case number, last seq, its hash), by case number."""
        a, c = t.audit_events.c, t.cases.c
        last = (sa.select(a.case_id, sa.func.max(a.seq).label("seq"))
                .group_by(a.case_id).subquery())
        rows = self.conn.execute(
            sa.select(c.number, a.seq, a.hash)
            .join_from(t.audit_events, last,
                       sa.and_(a.case_id == last.c.case_id, a.seq == last.c.seq))
            .join(t.cases, c.id == a.case_id).order_by(c.number))
        return [(r.number, r.seq, r.hash) for r in rows]

    def for_numbers(self, numbers: list[str]) -> dict[str, list[AuditEvent]]:
        """The stored events of these cases, by case number, each in sequence order."""
        a, c = t.audit_events.c, t.cases.c
        rows = self.conn.execute(
            sa.select(c.number, t.audit_events).join_from(t.audit_events, t.cases,
                                                           c.id == a.case_id)
            .where(c.number.in_(numbers)).order_by(a.case_id, a.seq, a.id))
        chains: dict[str, list[AuditEvent]] = {}
        key = pii.key_for(self.conn)
        for r in rows:
            chains.setdefault(r.number, []).append(event_from_row(r, key))
        return chains


class SqlCardRepository(_Repo):
    def get(self, card_id: int) -> Card:
        row = self.conn.execute(sa.select(t.cards).where(t.cards.c.id == card_id)).first()
        if row is None:
            raise NotFound(f"没有第 {card_id} 号牌 (no card #{card_id}; see `sunshine card list`)")
        return _build(Card, row, _CARD_ENUMS, skip=("dedupe",))

    def for_case(self, case_id: int) -> list[Card]:
        rows = self.conn.execute(sa.select(t.cards).where(t.cards.c.case_id == case_id)
                                 .order_by(t.cards.c.id))
        return [_build(Card, r, _CARD_ENUMS, skip=("dedupe",)) for r in rows]

    def list(self, *, kind: str | None = None, limit: int = 500) -> list[Card]:
        query = sa.select(t.cards).order_by(t.cards.c.id.desc()).limit(limit)
        if kind:
            query = query.where(t.cards.c.kind == kind)
        return [_build(Card, r, _CARD_ENUMS, skip=("dedupe",)) for r in self.conn.execute(query)]


class SqlBreachRepository(_Repo):
    def add(self, breach: Breach) -> Breach:
        """A breach with no case (体外审批, a complaint upheld against a person or unit with no
        case in the system); a case's own breaches are saved with the case. Its dedupe key is
        its ``ref`` (complaint:TS…), so the same finding is never written twice."""
        if breach.case_id is not None:
            raise ValueError("a case's breaches are saved with the case (CaseRepository.save)")
        row = _row(breach, skip=("id",))
        row["dedupe"] = f"-:{breach.kind.value}:{breach.ref or breach.occurred_at.isoformat()}"
        breach.id = int(self.conn.execute(t.breaches.insert().values(**row))
                        .inserted_primary_key[0])
        return breach

    def get(self, breach_id: int) -> Breach:
        row = self.conn.execute(sa.select(t.breaches).where(t.breaches.c.id == breach_id)).first()
        if row is None:
            raise NotFound(f"no breach record {breach_id}")
        return _build(Breach, row, _BREACH_ENUMS, skip=("dedupe",))

    def for_case(self, case_id: int) -> list[Breach]:
        rows = self.conn.execute(sa.select(t.breaches).where(t.breaches.c.case_id == case_id)
                                 .order_by(t.breaches.c.id))
        return [_build(Breach, r, _BREACH_ENUMS, skip=("dedupe",)) for r in rows]

    def list(self, *, decided: bool | None = None, limit: int = 500) -> list[Breach]:
        query = sa.select(t.breaches).order_by(t.breaches.c.id).limit(limit)
        if decided is True:
            query = query.where(t.breaches.c.measure.is_not(None))
        elif decided is False:
            query = query.where(t.breaches.c.measure.is_(None))
        return [_build(Breach, r, _BREACH_ENUMS, skip=("dedupe",)) for r in self.conn.execute(query)]

    def decide(self, breach_id: int, *, measure: Measure, reasons: str, by: str,
               at: datetime) -> bool:
        """Record the decision on a breach with no case, only if it has none yet; False if it
        was decided already (a decision is never changed)."""
        b = t.breaches.c
        done = self.conn.execute(t.breaches.update().where(
            b.id == breach_id, b.case_id.is_(None), b.measure.is_(None)).values(
            measure=measure.value, reasons=reasons, decided_by=by, decided_at=at))
        return done.rowcount == 1


class SqlClockStopRepository(_Repo):
    def for_case(self, case_id: int) -> list[ClockStop]:
        rows = self.conn.execute(sa.select(t.clock_stops).where(
            t.clock_stops.c.case_id == case_id).order_by(t.clock_stops.c.id))
        return [_build(ClockStop, r, {}) for r in rows]


class SqlExtensionRepository(_Repo):
    def for_case(self, case_id: int) -> list[Extension]:
        rows = self.conn.execute(sa.select(t.extensions).where(
            t.extensions.c.case_id == case_id).order_by(t.extensions.c.id))
        return [_build(Extension, r, {}) for r in rows]


class SqlCalendarRepository(_Repo):
    def save_year(self, year: int, source: str, holidays: dict[str, str],
                  workdays: dict[str, str], imported_at: datetime) -> None:
        self.conn.execute(t.calendar_years.delete().where(t.calendar_years.c.year == year))
        self.conn.execute(t.calendar_years.insert().values(
            year=year, source=source, holidays=holidays, workdays=workdays,
            imported_at=imported_at))

    def years(self) -> dict[int, dict[str, Any]]:
        rows = self.conn.execute(sa.select(t.calendar_years).order_by(t.calendar_years.c.year))
        return {r.year: dict(r._mapping) for r in rows}


class SqlFlagRepository(_Repo):
    def for_applicant(self, applicant: str) -> list[ApplicantFlag]:
        # stored under a keyed hash of the certificate (adapters/sql/pii.py); plain rows (no
        # key when written) are found too
        names = sorted(set(pii.lookups(applicant, pii.key_for(self.conn))))
        rows = self.conn.execute(sa.select(t.applicant_flags).where(
            t.applicant_flags.c.applicant.in_(names)).order_by(t.applicant_flags.c.id))
        return [dataclasses.replace(_build(ApplicantFlag, r, {}), applicant=applicant)
                for r in rows]


class SqlReportRepository(_Repo):
    def add(self, report: SignedReport) -> SignedReport:
        new_id = self.conn.execute(t.reports.insert().values(
            period_from=report.start, period_to=report.end, figures=report.figures,
            sha256=report.sha256, signed_by=report.signed_by, signed_at=report.signed_at,
            written_at=report.written_at)).inserted_primary_key[0]
        return dataclasses.replace(report, id=int(new_id))

    @staticmethod
    def _report(row: Any) -> SignedReport:
        return SignedReport(start=row.period_from, end=row.period_to, figures=row.figures,
                            sha256=row.sha256, signed_by=row.signed_by, signed_at=row.signed_at,
                            written_at=row.written_at, id=row.id)

    def get(self, report_id: int) -> SignedReport:
        row = self.conn.execute(sa.select(t.reports).where(t.reports.c.id == report_id)).first()
        if row is None:
            raise NotFound(f"没有第 {report_id} 号报告 (no such report) — see `sunshine report list`")
        return self._report(row)

    def list(self, *, limit: int = 100) -> list[SignedReport]:
        rows = self.conn.execute(sa.select(t.reports).order_by(t.reports.c.id.desc()).limit(limit))
        return [self._report(r) for r in rows]


def stored_calendar_years(engine: sa.Engine) -> dict[int, dict[str, Any]]:
    """The imported calendar years, read before any unit of work opens (the composition root)."""
    with engine.connect() as conn:
        return SqlCalendarRepository(conn).years()


class SqlExchangeRepository(_Repo):
    """The provincial exchange: the exports made, and the cases with a status change in a span
    (engine/exchange.py)."""

    def add(self, export: Any) -> Any:
        values = {f.name: getattr(export, f.name) for f in dataclasses.fields(export)
                  if f.name != "id"}
        new_id = self.conn.execute(t.exchange_exports.insert().values(**values)
                                   ).inserted_primary_key[0]
        return dataclasses.replace(export, id=int(new_id))

    def last(self, *, mode: str) -> Any:
        from engine.exchange import ExchangeExport

        x = t.exchange_exports.c
        row = self.conn.execute(sa.select(t.exchange_exports).where(x.mode == mode)
                                .order_by(x.until.desc(), x.id.desc()).limit(1)).first()
        return _build(ExchangeExport, row, {}) if row is not None else None

    def list(self, *, limit: int = 100) -> list[Any]:
        from engine.exchange import ExchangeExport

        x = t.exchange_exports.c
        rows = self.conn.execute(sa.select(t.exchange_exports).order_by(x.id.desc()).limit(limit))
        return [_build(ExchangeExport, r, {}) for r in rows]

    def changed_cases(self, since: datetime | None, until: datetime,
                      kinds: Any) -> list[Any]:
        from engine.exchange import ExchangeCase

        a, c = t.audit_events.c, t.cases.c
        changed = sa.select(a.case_id).where(a.kind.in_(sorted(kinds)), a.at < until)
        if since is not None:
            changed = changed.where(a.at >= since)
        rows = self.conn.execute(
            sa.select(c.id, c.number, c.power_code, c.definition_id, c.applicant)
            .where(c.id.in_(changed.distinct())).order_by(c.number))
        return [ExchangeCase(*r) for r in rows]


# -- 好差评 and 投诉 (engine/services/feedback.py) ---------------------------------------------


class SqlRatingRepository(_Repo):
    """Ratings, one per case (``ratings.case_id`` is unique)."""

    def add(self, rating: Rating) -> Rating:
        try:
            with self.conn.begin_nested():
                new_id = self.conn.execute(t.ratings.insert().values(
                    **_row(rating, skip=("id",)))).inserted_primary_key[0]
        except IntegrityError:
            raise InvalidAction(f"办件 {rating.case_number} 已经评价过，每件只能评价一次 "
                                f"(the case was rated already)", field="case") from None
        rating.id = int(new_id)
        return rating

    def for_case(self, case_id: int) -> Rating | None:
        row = self.conn.execute(sa.select(t.ratings).where(t.ratings.c.case_id == case_id)).first()
        return _build(Rating, row, {}) if row is not None else None

    def save(self, rating: Rating) -> None:
        self.conn.execute(t.ratings.update().where(t.ratings.c.id == rating.id)
                          .values(**_row(rating, skip=("id",))))

    def list(self, *, bad: bool = False, unit: str | None = None,
             limit: int = 1000) -> list[Rating]:
        r = t.ratings.c
        query = sa.select(t.ratings).order_by(r.rated_at.desc(), r.id.desc()).limit(limit)
        if bad:  # a bad rating is the one that opened a review
            query = query.where(r.review_due.is_not(None))
        if unit is not None:
            query = query.where(r.unit == unit)
        return [_build(Rating, row, {}) for row in self.conn.execute(query)]

    def counts(self) -> dict[int, int]:
        r = t.ratings.c
        rows = self.conn.execute(sa.select(r.score, sa.func.count()).group_by(r.score))
        return {int(score): int(n) for score, n in rows}

    def reviews_due(self, before: date) -> list[Rating]:
        r = t.ratings.c
        query = (sa.select(t.ratings)
                 .where(r.review_due < before, r.reply.is_(None), r.carded_at.is_(None))
                 .order_by(r.review_due, r.id))
        return [_build(Rating, row, {}) for row in self.conn.execute(query)]


class SqlComplaintRepository(_Repo):
    """Complaints by number. ``link_breach`` runs after the case's writes: at once on SQLite,
    with the case's planned writes on PostgreSQL (adapters/sql/pg_path.py)."""

    def __init__(self, conn: Connection, plans: list[Any] | None = None) -> None:
        super().__init__(conn)
        self.plans = plans

    def add(self, complaint: Complaint) -> Complaint:
        complaint.id = int(self.conn.execute(t.complaints.insert().values(
            **self._values(complaint))).inserted_primary_key[0])
        return complaint

    def get(self, number: str) -> Complaint:
        row = self.conn.execute(sa.select(t.complaints).where(
            t.complaints.c.number == number)).first()
        if row is None:
            raise NotFound(f"没有投诉 {number}，请核对投诉编号（如 TS2026-00001） (no such complaint)",
                           field="complaint")
        return self._complaint(row)

    def save(self, complaint: Complaint) -> None:
        self.conn.execute(t.complaints.update().where(t.complaints.c.id == complaint.id)
                          .values(**self._values(complaint)))

    def list(self, *, open_only: bool = False, limit: int = 1000) -> list[Complaint]:
        c = t.complaints.c
        query = sa.select(t.complaints).order_by(c.received_at.desc(), c.id.desc()).limit(limit)
        if open_only:
            query = query.where(c.status == "open")
        return [self._complaint(row) for row in self.conn.execute(query)]

    def _values(self, complaint: Complaint) -> dict[str, Any]:
        """The row, the complainant's contact sealed (adapters/sql/pii.py)."""
        values = _row(complaint, skip=("id",))
        values["contact"] = pii.seal_value(complaint.contact, pii.key_for(self.conn))
        return values

    def _complaint(self, row: Any) -> Complaint:
        found = _build(Complaint, row, {})
        found.contact = pii.reveal(found.contact, pii.key_for(self.conn))
        return found

    def link_breach(self, number: str, ref: str) -> None:
        b, c = t.breaches.c, t.complaints.c
        found = sa.select(sa.func.max(b.id)).where(b.ref == ref).scalar_subquery()
        statement = t.complaints.update().where(c.number == number).values(breach_id=found)
        if self.pg and self.plans is not None:
            from adapters.sql import pg_path

            plan = pg_path.WritePlan(case_number=number)
            plan.statements.append((
                "UPDATE complaints SET breach_id = (SELECT max(id) FROM breaches WHERE ref = "
                "%(ref)s) WHERE number = %(number)s", [{"ref": ref, "number": number}]))
            self.plans.append(plan)
            return
        self.conn.execute(statement)
