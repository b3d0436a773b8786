"""The case repository over SQLAlchemy Core: whole cases in and out.

``get`` loads a case with every part; ``save`` first moves the case row's version on (the
optimistic lock: a case changed by someone else since it was loaded raises Conflict and nothing
is written), then writes only the parts that differ from what was loaded (``_diff``), then the
new audit events and applicant flags. An integrity error from the database becomes a Conflict.
On PostgreSQL the same reads and writes travel as one statement and one pipeline
(adapters/sql/pg_path.py).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from adapters.sql import pg_path, pii, state_codec
from adapters.sql import tables as t
from adapters.sql.repositories import (
    _BREACH_ENUMS,
    _CARD_ENUMS,
    _TIMER_ENUMS,
    SqlStepRepository,
    _build,
    _deadline_from,
    _deadline_json,
    _Repo,
    _row,
    _step,
    _step_values,
)
from engine.case import Case
from engine.errors import Conflict, NotFound
from engine.model import (
    ApplicantFlag,
    Breach,
    Card,
    CaseState,
    ClockState,
    ClockStop,
    Extension,
    StepRecord,
    Timer,
)

READ_FIRST = "sunshine_read_first"  # SQLite: the next transaction starts by reading a case
DEFERRED = "sunshine_deferred"  # SQLite: this transaction has only read so far
_CASE_SKIP = ("promised", "statutory", "steps", "timers", "stops", "extensions", "cards",
              "breaches", "new_events", "new_flags", "workflow_state", "id")
_CASE_FIELDS = [f.name for f in dataclasses.fields(Case) if f.name not in _CASE_SKIP]


@functools.cache
def _serializer_version() -> str:
    # engine.serialization loads SpiffWorkflow's serializer: not for verbs that only read
    from engine.serialization import SERIALIZER_VERSION

    return SERIALIZER_VERSION


def _case_values(case: Case, key: pii.DataKey | None) -> dict[str, Any]:
    values = {name: getattr(case, name) for name in _CASE_FIELDS}
    values["data"] = pii.protect(values["data"], key)
    for name in ("state", "clock"):
        values[name] = values[name].value
    values.update(
        promised_due=case.promised_due, promised_day=case.promised_day,
        statutory_due=case.statutory_due, statutory_day=case.statutory_day,
        provisional=case.provisional,
        deadlines={"promised": _deadline_json(case.promised),
                   "statutory": _deadline_json(case.statutory)},
        parts={"stops": len(case.stops), "extensions": len(case.extensions),
               "cards": len(case.cards), "breaches": len(case.breaches)},
        workflow_state=pii.seal_blob(state_codec.encode(case.workflow_json()), key),
        serializer_version=_serializer_version())
    return values


def _where_id(table: sa.Table) -> Any:
    return table.update().where(table.c.id == sa.bindparam("_id"))


def _by_case(table: sa.Table, *order: Any) -> Any:
    return sa.select(table).where(table.c.case_id == sa.bindparam("cid")).order_by(*order)


# Statements built once and executed with bind parameters (building one per call costs more
# than SQLite's own work); the SET clause of an UPDATE comes from the parameters' keys.
_CASE_BY_NUMBER = sa.select(t.cases).where(t.cases.c.number == sa.bindparam("key"))
_CASE_BY_ID = sa.select(t.cases).where(t.cases.c.id == sa.bindparam("key"))
_UPDATE_CASE = t.cases.update().where(t.cases.c.id == sa.bindparam("_id"),
                                      t.cases.c.version == sa.bindparam("_version"))
_STEPS = _by_case(t.steps, t.steps.c.ready_at, t.steps.c.id)
_TIMERS = sa.select(t.timers).where(
    t.timers.c.case_id == sa.bindparam("cid"),
    t.timers.c.status.in_(("pending", "paused", "failed"))).order_by(t.timers.c.id)
_STOPS = _by_case(t.clock_stops, t.clock_stops.c.id)
_EXTENSIONS = _by_case(t.extensions, t.extensions.c.id)
_CARDS = _by_case(t.cards, t.cards.c.id)
_BREACHES = _by_case(t.breaches, t.breaches.c.id)
_INSERT = {name: table.insert() for name, table in (
    ("step", t.steps), ("timer", t.timers), ("stop", t.clock_stops), ("ext", t.extensions),
    ("card", t.cards), ("breach", t.breaches), ("event", t.audit_events),
    ("flag", t.applicant_flags))}
_UPDATE = {"step": t.steps.update().where(t.steps.c.id == sa.bindparam("_id")),
           "timer": _where_id(t.timers), "stop": _where_id(t.clock_stops),
           "ext": _where_id(t.extensions), "card": _where_id(t.cards),
           "breach": _where_id(t.breaches)}
_DELETE_TIMER = t.timers.delete().where(t.timers.c.id == sa.bindparam("_id"))
_NEWEST_TIMER_IDS = (sa.select(t.timers.c.id).where(t.timers.c.case_id == sa.bindparam("cid"))
                     .order_by(t.timers.c.id.desc()).limit(sa.bindparam("n")))
_PART_TABLES = (("timer", "timers", None), ("stop", "stops", None), ("ext", "extensions", None),
                ("card", "cards", "card"), ("breach", "breaches", "breach"))


class SqlCaseRepository(_Repo):
    """Whole cases: ``get`` loads a case with every part, ``save`` writes what changed.

    ``save`` first moves the case row's version on (the optimistic lock: a case changed by
    someone else since it was loaded raises Conflict and nothing is written), then inserts and
    updates the parts that differ from what was loaded, then appends the new audit events and
    applicant flags. An integrity error from the database becomes a Conflict.
    """

    def add(self, case: Case) -> Case:
        values = _case_values(case, pii.key_for(self.conn))
        values["version"] = 1
        case.id = self.conn.execute(t.cases.insert().values(**values)).inserted_primary_key[0]
        case.version = 1
        _snapshot(case)
        return case

    def __init__(self, conn: Connection, plans: list[Any] | None = None) -> None:
        super().__init__(conn)
        self.plans = plans  # PostgreSQL: writes planned by save, sent by the unit of work

    def _load(self, query: Any, key: Any, lock: bool, by: str = "") -> Case:
        if self.pg and by:
            self._flush()
            found = pg_path.load_row(self.conn, by, key, lock=lock)
            if found is None:
                raise NotFound("no such case")
            parts = {name: found.pop(f"_{name}") for name in
                     ("steps", "timers", "clock_stops", "extensions", "cards", "breaches")}
            return self._assemble(found, lambda name, _query: parts[name])
        if lock and self.pg:
            query = query.with_for_update()
        self._read_first(lock)
        row = self.conn.execute(query, {"key": key}).first()
        if row is None:
            raise NotFound("no such case")
        queries = {"steps": _STEPS, "timers": _TIMERS, "clock_stops": _STOPS,
                   "extensions": _EXTENSIONS, "cards": _CARDS, "breaches": _BREACHES}
        return self._assemble(dict(row._mapping), lambda name, cid: list(
            self.conn.execute(queries[name], cid)))

    def _assemble(self, data: dict[str, Any], rows: Any) -> Case:
        key = pii.key_for(self.conn)
        state = state_codec.decode(pii.open_blob(bytes(data.pop("workflow_state")), key))
        data["data"] = pii.reveal(data["data"], key)
        bases = data.pop("deadlines") or {}
        promised = _deadline_from(bases.get("promised"), data.pop("promised_due"),
                                  data.pop("promised_day"), "承诺时限")
        statutory = _deadline_from(bases.get("statutory"), data.pop("statutory_due"),
                                   data.pop("statutory_day"), "法定时限")
        for name in ("provisional", "serializer_version"):
            data.pop(name)
        counts = data.pop("parts") or {}  # a row written before parts were counted: read all

        def has(name: str) -> bool:
            return counts.get(name, 1) > 0

        data["state"], data["clock"] = CaseState(data["state"]), ClockState(data["clock"])
        case = Case(promised=promised, statutory=statutory, workflow_state=state, **data)
        cid = {"cid": case.id}
        case.steps = [_step(r) for r in rows("steps", cid)]
        for step in case.steps:
            step.data = pii.reveal(step.data, key)
        case.timers = [_build(Timer, r, _TIMER_ENUMS) for r in rows("timers", cid)]
        if has("stops"):
            case.stops = [_build(ClockStop, r, {}) for r in rows("clock_stops", cid)]
        if has("extensions"):
            case.extensions = [_build(Extension, r, {}) for r in rows("extensions", cid)]
        if has("cards"):
            case.cards = [_build(Card, r, _CARD_ENUMS, skip=("dedupe",))
                          for r in rows("cards", cid)]
        if has("breaches"):
            case.breaches = [_build(Breach, r, _BREACH_ENUMS, skip=("dedupe",))
                             for r in rows("breaches", cid)]
        _snapshot(case)
        return case

    def get(self, number: str, *, lock: bool = False) -> Case:
        try:
            return self._load(_CASE_BY_NUMBER, number, lock, "number")
        except NotFound:
            raise NotFound(f"no case {number} — check the number on the receipt") from None

    def get_by_id(self, case_id: int, *, lock: bool = False) -> Case:
        return self._load(_CASE_BY_ID, case_id, lock, "id")

    def get_by_step(self, task_ref: str) -> tuple[Case, StepRecord]:
        """The case a step belongs to, and the step, by its id or a unique prefix of it (as the
        task list prints it). On PostgreSQL an exact id is one statement."""
        ref = task_ref.strip()
        case = None
        if self.pg:
            try:
                case = self._load(_CASE_BY_ID, ref, False, "step")
            except NotFound:
                case = None
        if case is None:
            self._read_first(False)
            step = SqlStepRepository(self.conn).get(ref)
            case = self.get_by_id(step.case_id)
            ref = step.id
        return case, case.step(ref)

    def _read_first(self, lock: bool) -> None:
        """SQLite: a unit of work that starts by loading a case holds no lock while the case's
        rules (and the process's scripts) run; ``save`` takes the write lock."""
        if not self.pg and not lock and not self.conn.in_transaction():
            self.conn.info[READ_FIRST] = True

    def _take_write_lock(self) -> None:
        if self.conn.info.pop(DEFERRED, False):
            # End the read, then write under the lock; the version check in the UPDATE sees any
            # change someone made in between (Conflict), so nothing is lost or overwritten.
            self.conn.exec_driver_sql("COMMIT")
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _flush(self) -> None:
        if self.plans:
            plans, self.plans[:] = list(self.plans), []
            pg_path.run_plans(self.conn, plans, commit=False)

    def save(self, case: Case) -> None:
        case.flush_workflow()
        values = _case_values(case, pii.key_for(self.conn))
        values["version"] = case.version + 1
        values["_id"], values["_version"] = case.id, case.version
        if self.pg and self.plans is not None:
            self.plans.append(self._plan(case, values))
            return
        self._take_write_lock()
        try:
            result = self.conn.execute(_UPDATE_CASE, values)
        except sa.exc.StatementError as err:
            if isinstance(err.orig, (TypeError, ValueError)):  # data no column can hold
                raise err.orig from None
            raise
        if result.rowcount != 1:
            raise Conflict(f"case {case.number} was changed by someone else at the same time; "
                           f"nothing was written — reload it and try again")
        try:
            self._write_parts(case)
        except IntegrityError as err:
            raise Conflict(f"case {case.number} was changed by someone else at the same time "
                           f"({err.orig}); nothing was written — reload it and try again") from None
        case.version += 1
        case.saved()
        _snapshot(case)

    def _plan(self, case: Case, values: dict[str, Any]) -> pg_path.WritePlan:
        """The same writes as ``_write_parts``, planned to go with the COMMIT (PostgreSQL)."""
        d = _diff(case, pii.key_for(self.conn))
        plan = pg_path.WritePlan(case_number=case.number)
        plan.check_version(values)
        plan.many(t.steps, d.step_inserts)
        plan.many(t.steps, d.step_updates, update=True)
        plan.delete(t.timers, d.spent_timers)
        for tm in d.new_timers:
            plan.insert_returning(t.timers, _row(tm, skip=("id",)), tm)
        for kind, row, rec in d.inserts:
            plan.insert_returning(_TABLE_OF[kind], row, rec)
        for kind, rows in d.updates.items():
            plan.many(_TABLE_OF[kind], rows, update=True)
        plan.many(t.audit_events, d.events)
        for row, flag in d.flags:
            plan.insert_returning(t.applicant_flags, row, flag)

        def done() -> None:
            case.version += 1
            case.saved()
            _snapshot(case)

        plan.after.append(done)
        return plan

    def _write_parts(self, case: Case) -> None:
        c, cid, d = self.conn, case.id or 0, _diff(case, pii.key_for(self.conn))
        if d.step_inserts:
            c.execute(_INSERT["step"], d.step_inserts)
        if d.step_updates:
            c.execute(_UPDATE["step"], d.step_updates)
        if d.new_timers:
            # Due rows come several at a time: one INSERT for all, then their ids in one read.
            # The case row is locked by this transaction's UPDATE, so no one else adds rows to
            # this case meanwhile: its newest ids are these, in insertion (= id) order.
            c.execute(_INSERT["timer"], [_row(tm, skip=("id",)) for tm in d.new_timers])
            ids = list(c.execute(_NEWEST_TIMER_IDS, {"cid": cid, "n": len(d.new_timers)}).scalars())
            for tm, new_id in zip(d.new_timers, reversed(ids), strict=True):
                tm.id = new_id
        if d.spent_timers:  # a spent due row is deleted: its history is in the audit trail
            c.execute(_DELETE_TIMER, d.spent_timers)
        for kind, row, rec in d.inserts:  # one by one: the new id is needed
            rec.id = c.execute(_INSERT[kind], row).inserted_primary_key[0]
        for kind, rows in d.updates.items():
            c.execute(_UPDATE[kind], rows)
        if d.events:
            c.execute(_INSERT["event"], d.events)
        for row, flag in d.flags:
            flag.id = c.execute(_INSERT["flag"], row).inserted_primary_key[0]

    def list(self, *, state: str | None = None, power_code: str | None = None,
             limit: int = 200) -> list[Case]:
        query = sa.select(t.cases.c.number).order_by(t.cases.c.id.desc()).limit(limit)
        if state:
            query = query.where(t.cases.c.state == state)
        if power_code:
            query = query.where(t.cases.c.power_code == power_code)
        return [self.get(n) for n in self.conn.execute(query).scalars()]

    def summaries(self, *, state: str | None = None, power_code: str | None = None,
                  limit: int = 200) -> list[dict[str, Any]]:
        """The case list's columns, newest first (no case is loaded)."""
        c = t.cases.c
        query = sa.select(c.number, c.power_code, c.applicant, c.state, c.received_at,
                          c.promised_day, c.result, c.deemed).order_by(c.id.desc()).limit(limit)
        if state:
            query = query.where(c.state == state)
        if power_code:
            query = query.where(c.power_code == power_code)
        return [{**row._mapping, "state": CaseState(row.state)} for row in self.conn.execute(query)]

    def numbers(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = self.conn.execute(sa.select(t.cases.c.id, t.cases.c.number).where(
            t.cases.c.id.in_(sorted(ids))))
        return {row.id: row.number for row in rows}

    def open_numbers_due_from(self, day: date) -> list[str]:
        """Open cases with a deadline (the case's or an open step's) on or after ``day``."""
        open_states = [s.value for s in CaseState if s.is_open]
        cases = sa.select(t.cases.c.number).where(
            t.cases.c.state.in_(open_states),
            sa.or_(t.cases.c.promised_day >= day, t.cases.c.statutory_day >= day))
        steps = sa.select(t.steps.c.case_number).where(
            t.steps.c.status == "ready", t.steps.c.due_day >= day)
        return sorted(set(self.conn.execute(cases).scalars())
                      | set(self.conn.execute(steps).scalars()))

    def next_serial(self, key: str) -> int:
        updated = self.conn.execute(t.serials.update().where(t.serials.c.key == key).values(
            value=t.serials.c.value + 1).returning(t.serials.c.value)).scalar()
        if updated is not None:
            return int(updated)
        if self._insert_unique(t.serials, {"key": key, "value": 1}):
            return 1
        return self.next_serial(key)


def _card_dedupe(card: Card) -> str:
    return f"{card.case_id}:{card.task_id or '-'}:{card.kind.value}:{card.against}"


def _breach_dedupe(breach: Breach) -> str:
    """One breach per (case, step, kind), and per ``ref`` when it has one (two upheld complaints
    on one step are two breaches); a breach with no case is keyed by its ref alone."""
    key = f"{breach.case_id or '-'}:{breach.task_id or '-'}:{breach.kind.value}"
    return f"{key}:{breach.ref}" if breach.ref else key


_TABLE_OF = {"timer": t.timers, "stop": t.clock_stops, "ext": t.extensions, "card": t.cards,
             "breach": t.breaches}


@dataclasses.dataclass
class _Diff:
    """What a save must write: the parts that are new or differ from what was loaded."""

    step_inserts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    step_updates: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    new_timers: list[Timer] = dataclasses.field(default_factory=list)
    spent_timers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    inserts: list[tuple[str, dict[str, Any], Any]] = dataclasses.field(default_factory=list)
    updates: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    flags: list[tuple[dict[str, Any], ApplicantFlag]] = dataclasses.field(default_factory=list)


def _diff(case: Case, key: pii.DataKey | None = None) -> _Diff:
    """The writes, with personal data sealed under ``key`` (adapters/sql/pii.py)."""
    cid = case.id or 0
    before = case.__dict__.get("_loaded", {})
    d = _Diff()
    for step in case.steps:
        step.case_id = cid
        old = before.get(("step", step.id))
        if old is None:
            d.step_inserts.append(_sealed_step(step, key))
        elif old != step:
            d.step_updates.append({**_sealed_step(step, key), "_id": step.id})
    for tm in case.timers:
        tm.case_id = cid
        spent = tm.status.value in ("fired", "cancelled")
        if tm.id is None:
            if not spent:  # created and spent in one unit of work: never written
                d.new_timers.append(tm)
        elif spent:
            d.spent_timers.append({"_id": tm.id})
        elif before.get(("timer", tm.id)) != tm:
            d.updates.setdefault("timer", []).append({**_row(tm, skip=("id",)), "_id": tm.id})
    for kind, attr, dedupe in _PART_TABLES[1:]:
        for rec in getattr(case, attr):
            rec.case_id = cid
            if rec.id is not None and before.get((kind, rec.id)) == rec:
                continue
            row = _row(rec, skip=("id",))
            if dedupe == "card":
                row["dedupe"] = _card_dedupe(rec)
            elif dedupe == "breach":
                row["dedupe"] = _breach_dedupe(rec)
            if rec.id is None:
                d.inserts.append((kind, row, rec))
            else:
                d.updates.setdefault(kind, []).append({**row, "_id": rec.id})
    d.events = [{**_row(e), "case_id": cid, "payload": pii.protect(e.payload, key),
                 "salt": pii.seal_value(e.salt, key)} for e in case.new_events]
    d.flags = [({**_row(f, skip=("id",)), "applicant": pii.lookup(f.applicant, key)}, f)
               for f in case.new_flags]
    return d


def _sealed_step(step: Any, key: pii.DataKey | None) -> dict[str, Any]:
    values = _step_values(step)
    values["data"] = pii.protect(values["data"], key)
    return values


def _snapshot(case: Case) -> None:
    """Remember the parts as loaded (or just written), to write only what changes next. Shallow
    copies: the rules replace a part's values (a step's data is assigned anew), never mutate
    them in place."""
    loaded: dict[tuple[str, Any], Any] = {}
    for step in case.steps:
        loaded[("step", step.id)] = copy.copy(step)
    for kind, attr, _ in _PART_TABLES:
        for rec in getattr(case, attr):
            if rec.id is not None:
                loaded[(kind, rec.id)] = copy.copy(rec)
    case.__dict__["_loaded"] = loaded
