"""Repositories over SQLAlchemy Core: records of engine/model.py in, records out.

Rows map to the dataclasses field by field (enums by value); a case's workflow state is stored
zlib-compressed. ``CaseRepository.save`` is the optimistic lock: it updates only the version it
loaded, and raises Conflict when someone else committed first.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from adapters.sql import tables as t
from engine.errors import Conflict, NotFound
from engine.model import (
    ApplicantFlag, AuditEvent, Breach, BreachKind, Card, CardKind, Case, CaseState, ClockState, ClockStop,
    Extension, Measure, StepRecord, TaskStatus, Timer, TimerKind, TimerStatus,
)
from engine.serialization import SERIALIZER_VERSION

R = TypeVar("R")
_ENUMS: dict[str, type[enum.Enum]] = {
    "state": CaseState, "clock": ClockState, "status": TaskStatus,
}


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
                         d.spec, d.deployed_at, d.file, t.powers.c.status).join(
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

    def xml(self, definition_id: int) -> bytes:
        return bytes(self.conn.execute(sa.select(t.definitions.c.xml).where(
            t.definitions.c.id == definition_id)).scalar_one())

    def set_latest(self, power_code: str, definition_id: int) -> None:
        self.conn.execute(t.powers.update().where(t.powers.c.code == power_code).values(
            latest_definition_id=definition_id))

    def set_status(self, power_code: str, status: str) -> None:
        self.conn.execute(t.powers.update().where(t.powers.c.code == power_code).values(
            status=status))


class SqlCaseRepository(_Repo):
    def add(self, case: Case) -> Case:
        values = self._values(case)
        values["version"] = 1
        case.id = self.conn.execute(t.cases.insert().values(**values)).inserted_primary_key[0]
        case.version = 1
        return case

    @staticmethod
    def _values(case: Case) -> dict[str, Any]:
        values = _row(case, skip=("id", "workflow_state"))
        values["workflow_state"] = zlib.compress(
            json.dumps(case.workflow_state, separators=(",", ":")).encode(), 6)
        values["serializer_version"] = SERIALIZER_VERSION
        return values

    def _load(self, where: Any, lock: bool) -> Case:
        query = sa.select(t.cases).where(where)
        if lock and self.pg:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        if row is None:
            raise NotFound("no such case")
        data = dict(row._mapping)
        state = json.loads(zlib.decompress(data.pop("workflow_state")))
        case = _build(Case, SimpleNamespace(_mapping=data), {"state": CaseState, "clock": ClockState},
                      skip=("workflow_state",))
        case.workflow_state = state
        return case

    def get(self, number: str, *, lock: bool = False) -> Case:
        try:
            return self._load(t.cases.c.number == number, lock)
        except NotFound:
            raise NotFound(f"no case {number} — check the number on the receipt") from None

    def get_by_id(self, case_id: int, *, lock: bool = False) -> Case:
        return self._load(t.cases.c.id == case_id, lock)

    def save(self, case: Case) -> None:
        values = self._values(case)
        values["version"] = case.version + 1
        result = self.conn.execute(t.cases.update().where(
            t.cases.c.id == case.id, t.cases.c.version == case.version).values(**values))
        if result.rowcount != 1:
            raise Conflict(f"case {case.number} was changed by someone else at the same time; "
                           f"nothing was written — reload it and try again")
        case.version += 1

    def list(self, *, state: str | None = None, power_code: str | None = None,
             limit: int = 200) -> list[Case]:
        query = sa.select(t.cases.c.number).order_by(t.cases.c.id.desc()).limit(limit)
        if state:
            query = query.where(t.cases.c.state == state)
        if power_code:
            query = query.where(t.cases.c.power_code == power_code)
        return [self.get(n) for n in self.conn.execute(query).scalars()]

    def next_serial(self, key: str) -> int:
        updated = self.conn.execute(t.serials.update().where(t.serials.c.key == key).values(
            value=t.serials.c.value + 1).returning(t.serials.c.value)).scalar()
        if updated is not None:
            return int(updated)
        if self._insert_unique(t.serials, {"key": key, "value": 1}):
            return 1
        return self.next_serial(key)


class SqlStepRepository(_Repo):
    def add(self, step: StepRecord) -> None:
        self.conn.execute(t.steps.insert().values(**_row(step)))

    def save(self, step: StepRecord) -> None:
        self.conn.execute(t.steps.update().where(t.steps.c.id == step.id).values(**_row(step)))

    def get(self, task_id: str) -> StepRecord:
        ref = task_id.strip()
        row = self.conn.execute(sa.select(t.steps).where(t.steps.c.id == ref)).first()
        if row is None and len(ref) >= 6:
            rows = self.conn.execute(sa.select(t.steps).where(
                t.steps.c.id.like(ref.replace("%", "") + "%")).limit(2)).all()
            if len(rows) > 1:
                raise NotFound(f"task {ref} is ambiguous; give more characters of its id")
            row = rows[0] if rows else None
        if row is None:
            raise NotFound(f"no task {ref} — see `sunshine task list`")
        return _build(StepRecord, row, {"status": TaskStatus})

    def for_case(self, case_id: int) -> list[StepRecord]:
        return self.list(case_id=case_id, status=None, limit=10_000)

    def list(self, *, case_id: int | None = None, post: str | None = None,
             user: str | None = None, status: str | None = "ready",
             limit: int = 500, power_code: str | None = None) -> list[StepRecord]:
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
        return [_build(StepRecord, r, {"status": TaskStatus}) for r in self.conn.execute(query)]


class SqlTimerRepository(_Repo):
    _enums = {"kind": TimerKind, "status": TimerStatus}

    def add(self, timer: Timer) -> None:
        timer.id = self.conn.execute(t.timers.insert().values(
            **_row(timer, skip=("id",)))).inserted_primary_key[0]

    def save(self, timer: Timer) -> None:
        self.conn.execute(t.timers.update().where(t.timers.c.id == timer.id).values(
            **_row(timer, skip=("id",))))

    def claim_due(self, now: datetime, limit: int) -> list[Timer]:
        query = (sa.select(t.timers).where(t.timers.c.status == "pending",
                                           t.timers.c.due_at <= now)
                 .order_by(t.timers.c.due_at, t.timers.c.id).limit(limit))
        if self.pg:
            query = query.with_for_update(skip_locked=True)
        return [_build(Timer, r, self._enums) for r in self.conn.execute(query)]

    def failed(self) -> list[Timer]:
        rows = self.conn.execute(sa.select(t.timers).where(t.timers.c.status == "failed")
                                 .order_by(t.timers.c.due_at))
        return [_build(Timer, r, self._enums) for r in rows]

    def for_case(self, case_id: int,
                 statuses: Sequence[str] = ("pending", "paused")) -> list[Timer]:
        query = sa.select(t.timers).where(t.timers.c.case_id == case_id).order_by(t.timers.c.id)
        if statuses:
            query = query.where(t.timers.c.status.in_(list(statuses)))
        return [_build(Timer, r, self._enums) for r in self.conn.execute(query)]


class SqlAuditRepository(_Repo):
    def append(self, event: AuditEvent) -> None:
        self.conn.execute(t.audit_events.insert().values(**_row(event)))

    def last(self, case_id: int) -> AuditEvent | None:
        row = self.conn.execute(sa.select(t.audit_events).where(
            t.audit_events.c.case_id == case_id).order_by(t.audit_events.c.seq.desc()).limit(1)
        ).first()
        return _build(AuditEvent, row, {}, skip=("id",)) if row else None

    def for_case(self, case_id: int) -> list[AuditEvent]:
        rows = self.conn.execute(sa.select(t.audit_events).where(
            t.audit_events.c.case_id == case_id).order_by(t.audit_events.c.seq))
        return [_build(AuditEvent, r, {}, skip=("id",)) for r in rows]


class SqlCardRepository(_Repo):
    _enums = {"kind": CardKind}

    def add(self, card: Card) -> bool:
        values = _row(card, skip=("id",))
        values["dedupe"] = f"{card.case_id}:{card.task_id or '-'}:{card.kind.value}:{card.against}"
        return self._insert_unique(t.cards, values)

    def for_case(self, case_id: int) -> list[Card]:
        rows = self.conn.execute(sa.select(t.cards).where(t.cards.c.case_id == case_id)
                                 .order_by(t.cards.c.id))
        return [_build(Card, r, self._enums, skip=("dedupe",)) for r in rows]

    def list(self, *, kind: str | None = None, limit: int = 500) -> list[Card]:
        query = sa.select(t.cards).order_by(t.cards.c.id.desc()).limit(limit)
        if kind:
            query = query.where(t.cards.c.kind == kind)
        return [_build(Card, r, self._enums, skip=("dedupe",)) for r in self.conn.execute(query)]


class SqlBreachRepository(_Repo):
    _enums = {"kind": BreachKind, "measure": Measure}

    def add(self, breach: Breach) -> bool:
        values = _row(breach, skip=("id",))
        values["dedupe"] = f"{breach.case_id}:{breach.task_id or '-'}:{breach.kind.value}"
        return self._insert_unique(t.breaches, values)

    def get(self, breach_id: int) -> Breach:
        row = self.conn.execute(sa.select(t.breaches).where(t.breaches.c.id == breach_id)).first()
        if row is None:
            raise NotFound(f"no breach record {breach_id}")
        return _build(Breach, row, self._enums, skip=("dedupe",))

    def save(self, breach: Breach) -> None:
        self.conn.execute(t.breaches.update().where(t.breaches.c.id == breach.id).values(
            **_row(breach, skip=("id",))))

    def for_case(self, case_id: int) -> list[Breach]:
        rows = self.conn.execute(sa.select(t.breaches).where(t.breaches.c.case_id == case_id)
                                 .order_by(t.breaches.c.id))
        return [_build(Breach, r, self._enums, skip=("dedupe",)) for r in rows]

    def list(self, *, decided: bool | None = None, limit: int = 500) -> list[Breach]:
        query = sa.select(t.breaches).order_by(t.breaches.c.id).limit(limit)
        if decided is True:
            query = query.where(t.breaches.c.measure.is_not(None))
        elif decided is False:
            query = query.where(t.breaches.c.measure.is_(None))
        return [_build(Breach, r, self._enums, skip=("dedupe",)) for r in self.conn.execute(query)]


class SqlClockStopRepository(_Repo):
    def add(self, stop: ClockStop) -> None:
        stop.id = self.conn.execute(t.clock_stops.insert().values(
            **_row(stop, skip=("id",)))).inserted_primary_key[0]

    def save(self, stop: ClockStop) -> None:
        self.conn.execute(t.clock_stops.update().where(t.clock_stops.c.id == stop.id).values(
            **_row(stop, skip=("id",))))

    def for_case(self, case_id: int) -> list[ClockStop]:
        rows = self.conn.execute(sa.select(t.clock_stops).where(
            t.clock_stops.c.case_id == case_id).order_by(t.clock_stops.c.id))
        return [_build(ClockStop, r, {}) for r in rows]


class SqlExtensionRepository(_Repo):
    def add(self, ext: Extension) -> None:
        ext.id = self.conn.execute(t.extensions.insert().values(
            **_row(ext, skip=("id",)))).inserted_primary_key[0]

    def save(self, ext: Extension) -> None:
        self.conn.execute(t.extensions.update().where(t.extensions.c.id == ext.id).values(
            **_row(ext, skip=("id",))))

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
    def add(self, flag: ApplicantFlag) -> None:
        flag.id = self.conn.execute(t.applicant_flags.insert().values(
            **_row(flag, skip=("id",)))).inserted_primary_key[0]

    def for_applicant(self, applicant: str) -> list[ApplicantFlag]:
        rows = self.conn.execute(sa.select(t.applicant_flags).where(
            t.applicant_flags.c.applicant == applicant).order_by(t.applicant_flags.c.id))
        return [_build(ApplicantFlag, r, {}) for r in rows]
