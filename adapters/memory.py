"""In-memory fakes of every port, for unit tests of the core without a database.

``MemoryDatabase`` holds committed rows; each ``MemoryUnitOfWork`` works on a snapshot taken
when it is entered and writes its changes back only on ``commit`` (``rollback`` and leaving the
``with`` block discard them), so a fresh unit of work sees nothing uncommitted. Records are
copied in and out as a database would: a service that changes a loaded record without saving
it changes nothing stored. The repositories keep the semantics of adapters/sql/repositories.py:
the optimistic version check on cases (Conflict), replay-safe card and breach inserts keyed the
same way, due timers claimed in due order, step lookup by a unique id prefix, and the SQL
columns' own rules (aware datetimes stored in UTC, JSON columns holding JSON only).

``FakeClock`` is a clock a test moves by hand; ``memory_env`` wires both into an Env.
Nothing here runs at import time.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from types import SimpleNamespace
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from engine.calendar import WorkingCalendar
from engine.case import Case
from engine.documents import Notice, NoticeStatus
from engine.errors import Conflict, InvalidAction, NotFound
from engine.model import (
    ApplicantFlag,
    AuditEvent,
    Breach,
    Card,
    Complaint,
    Rating,
    Rules,
    StepRecord,
    Timer,
    TimerStatus,
)
from engine.read_models import (
    DECIDED_CLOCK,
    OPEN_STATES,
    SUSPENDED_CLOCK,
    BreachFacts,
    CardFacts,
    CaseFacts,
    ComplaintFacts,
    DefinitionCounts,
    RatingFacts,
    StepFacts,
)
from engine.services.context import Env
from engine.stats import SignedReport

R = TypeVar("R")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Columns stored as JSON in adapters/sql/tables.py: what goes in must be JSON, as in the database.
_JSON_FIELDS = frozenset({"data", "payload", "workflow_state", "power", "spec", "holidays",
                          "workdays"})
_TABLES = ("definitions", "powers", "serials", "cases", "steps", "timers", "audit", "cards",
           "breaches", "stops", "extensions", "calendar", "flags", "users", "api_keys",
           "denials", "start_requests", "outbox", "reports", "ratings", "complaints",
           "exchange_exports")


# -- copying rows in and out --------------------------------------------------------------------


def _column(name: str, value: Any) -> Any:
    """A value as its SQL column would hold it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name}: naive datetime stored; the engine works in aware UTC "
                             f"datetimes")
        return value.astimezone(dt.UTC)
    if name in _JSON_FIELDS and value is not None:
        return json.loads(json.dumps(value))  # TypeError on what a JSON column cannot hold
    return copy.deepcopy(value)


def _store(record: R) -> R:
    """A stored copy of a dataclass record (the row)."""
    values = {f.name: _column(f.name, getattr(record, f.name))
              for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    return type(record)(**values)


def _load(row: R) -> R:
    """A fresh copy of a stored row for the caller to change at will."""
    return copy.deepcopy(row)


# -- the database -------------------------------------------------------------------------------


class MemoryDatabase:
    """The committed rows; calling it opens a unit of work (it is ``Env.uow``)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in _TABLES}
        self._ids: dict[str, int] = {}
        self.commits = 0

    def next_id(self, table: str) -> int:
        """Ids come from sequences: a rolled-back insert still uses its id, as in a database."""
        self._ids[table] = self._ids.get(table, 0) + 1
        return self._ids[table]

    def clone(self) -> MemoryDatabase:
        """An independent copy of the committed rows (e.g. processes deployed once per test
        module, then one copy per test). Rows are never changed in place, so a shallow copy
        of each table is enough."""
        other = MemoryDatabase()
        other.tables = {name: dict(rows) for name, rows in self.tables.items()}
        other._ids = dict(self._ids)
        return other

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    # Test helpers: read committed rows directly (as one would with a SQL console).

    def rows(self, table: str) -> list[Any]:
        return [_load(r) for r in self.tables[table].values()]


class _Tx:
    """A unit of work's view: a snapshot of every table plus the keys it wrote."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.tables = {name: dict(rows) for name, rows in db.tables.items()}
        self.dirty: dict[str, set[Any]] = {name: set() for name in _TABLES}
        self.case_versions: dict[int, int] = {}  # case id -> the version this snapshot read

    def put(self, table: str, key: Any, row: Any) -> None:
        self.tables[table][key] = row
        self.dirty[table].add(key)

    def get(self, table: str, key: Any) -> Any:
        return self.tables[table].get(key)

    def values(self, table: str) -> list[Any]:
        return list(self.tables[table].values())


class _Repo:
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx


# -- repositories --------------------------------------------------------------------------------


class MemoryDefinitionRepository(_Repo):
    def add(self, *, power_code: str, process_id: str, content_hash: str, file: str, xml: bytes,
            power: dict[str, Any], spec: dict[str, Any], deployed_at: dt.datetime,
            deployed_by: str) -> Any:
        if any(r["power_code"] == power_code and r["content_hash"] == content_hash
               for r in self.tx.values("definitions")):
            raise Conflict(f"power {power_code}: this content is already deployed")
        version = max((r["version"] for r in self.tx.values("definitions")
                       if r["power_code"] == power_code), default=0) + 1
        new_id = self.tx.db.next_id("definitions")
        self.tx.put("definitions", new_id, {
            "id": new_id, "power_code": power_code, "process_id": process_id,
            "version": version, "content_hash": content_hash, "file": file, "xml": bytes(xml),
            # JSON text, as the column holds it: every read gets its own fresh copy.
            "power": json.dumps(power), "spec": json.dumps(spec),
            "deployed_at": _column("deployed_at", deployed_at), "deployed_by": deployed_by,
        })
        existing = self.tx.get("powers", power_code)
        if existing is not None:
            self.tx.put("powers", power_code, {**existing, "latest_definition_id": new_id,
                                               "process_id": process_id})
        else:
            self.tx.put("powers", power_code, {"code": power_code, "process_id": process_id,
                                               "status": "active",
                                               "latest_definition_id": new_id})
        return self.get(new_id)

    def _view(self, row: dict[str, Any]) -> Any:
        power_row = self.tx.get("powers", row["power_code"])
        return SimpleNamespace(
            id=row["id"], power_code=row["power_code"], process_id=row["process_id"],
            version=row["version"], content_hash=row["content_hash"],
            power=json.loads(row["power"]), spec=json.loads(row["spec"]),
            deployed_at=row["deployed_at"], deployed_by=row["deployed_by"], file=row["file"],
            status=power_row["status"],
            withdrawn_at=power_row.get("withdrawn_at"), withdrawn_by=power_row.get("withdrawn_by"),
            withdrawn_reason=power_row.get("withdrawn_reason"),
            reinstated_by=power_row.get("reinstated_by"),
            reinstated_reason=power_row.get("reinstated_reason"))

    def get(self, definition_id: int) -> Any:
        row = self.tx.get("definitions", definition_id)
        if row is None:
            raise NotFound(f"no definition {definition_id}")
        return self._view(row)

    def latest(self, power_code: str) -> Any | None:
        power_row = self.tx.get("powers", power_code)
        if power_row is None:
            return None
        return self._view(self.tx.get("definitions", power_row["latest_definition_id"]))

    def by_hash(self, power_code: str, content_hash: str) -> Any | None:
        for row in sorted(self.tx.values("definitions"), key=lambda r: r["id"]):
            if row["power_code"] == power_code and row["content_hash"] == content_hash:
                return self._view(row)
        return None

    def process_for_code(self, power_code: str) -> str | None:
        power_row = self.tx.get("powers", power_code)
        return power_row["process_id"] if power_row else None

    def codes_for_process(self, process_id: str) -> list[str]:
        return [p["code"] for p in self.tx.values("powers") if p["process_id"] == process_id]

    def current(self) -> list[Any]:
        return [self._view(self.tx.get("definitions", p["latest_definition_id"]))
                for p in sorted(self.tx.values("powers"), key=lambda p: p["code"])]

    def versions(self, power_code: str) -> list[Any]:
        rows = [r for r in self.tx.values("definitions") if r["power_code"] == power_code]
        return [self._view(r) for r in sorted(rows, key=lambda r: -r["version"])]

    def xml(self, definition_id: int) -> bytes:
        row = self.tx.get("definitions", definition_id)
        if row is None:
            raise NotFound(f"no definition {definition_id}")
        return bytes(row["xml"])

    def set_latest(self, power_code: str, definition_id: int) -> None:
        power_row = self.tx.get("powers", power_code)
        if power_row is not None:
            self.tx.put("powers", power_code, {**power_row,
                                               "latest_definition_id": definition_id})

    def set_status(self, power_code: str, status: str, *, at: Any = None, by: str | None = None,
                   reason: str | None = None) -> None:
        power_row = self.tx.get("powers", power_code)
        if power_row is not None:
            prefix = "withdrawn" if status == "withdrawn" else "reinstated" if by else None
            change = ({f"{prefix}_at": at, f"{prefix}_by": by, f"{prefix}_reason": reason}
                      if prefix else {})
            self.tx.put("powers", power_code, {**power_row, "status": status, **change})


_PARTS = (("steps", "steps"), ("timers", "timers"), ("stops", "stops"),
          ("extensions", "extensions"), ("cards", "cards"), ("breaches", "breaches"))


class MemoryCaseRepository(_Repo):
    """Whole cases, as the SQL repository: the case row plus its parts in their own tables
    (so the read models below see them), saved with the optimistic version check."""

    def add(self, case: Case) -> Case:
        if any(c.number == case.number for c in self.tx.values("cases")):
            raise Conflict(f"case number {case.number} is already taken")
        case.id = self.tx.db.next_id("cases")
        case.version = 1
        self.tx.put("cases", case.id, _store_case(case))
        return case

    def _assemble(self, row: Case) -> Case:
        case = _load(row)
        case.__post_init__()
        for attr, table in _PARTS:
            parts = [_load(r) for r in self.tx.values(table) if r.case_id == case.id]
            if attr == "timers":
                parts = [t for t in parts if t.status.value in ("pending", "paused", "failed")]
            key = (lambda r: (r.ready_at, r.id)) if attr == "steps" else (lambda r: r.id)
            setattr(case, attr, sorted(parts, key=key))
        return case

    def get(self, number: str, *, lock: bool = False) -> Case:
        row = next((c for c in self.tx.values("cases") if c.number == number), None)
        if row is None:
            raise NotFound(f"no case {number} — check the number on the receipt")
        return self._assemble(row)

    def get_by_id(self, case_id: int, *, lock: bool = False) -> Case:
        row = self.tx.get("cases", case_id)
        if row is None:
            raise NotFound("no such case")
        return self._assemble(row)

    def get_by_step(self, task_ref: str) -> tuple[Case, StepRecord]:
        step = MemoryStepRepository(self.tx).get(task_ref)
        case = self.get_by_id(step.case_id)
        return case, case.step(step.id)

    def save(self, case: Case) -> None:
        """The optimistic lock: only the version loaded may be updated, and only if no one else
        committed a newer one meanwhile (first committer wins, as ``UPDATE … WHERE version``)."""
        assert case.id is not None
        mine = self.tx.get("cases", case.id)
        if mine is not None and case.id not in self.tx.dirty["cases"]:
            self.tx.case_versions[case.id] = mine.version  # the version this snapshot read
        committed = self.tx.db.tables["cases"].get(case.id)
        base = self.tx.case_versions.get(case.id)
        stale = committed is not None and base is not None and committed.version != base
        if mine is None or mine.version != case.version or stale:
            raise Conflict(f"case {case.number} was changed by someone else at the same time; "
                           f"nothing was written — reload it and try again")
        case.flush_workflow()
        for event in case.new_events:  # UNIQUE (case_id, seq), as in the database
            if self.tx.get("audit", (case.id, event.seq)) is not None:
                raise Conflict(f"audit event {event.seq} of case {case.number} already exists; "
                               f"someone else changed the case at the same time")
        stored = _store_case(case)  # TypeError here (data a column cannot hold) writes nothing
        case.version += 1
        stored.version = case.version
        self.tx.put("cases", case.id, stored)
        for attr, table in _PARTS:
            for rec in getattr(case, attr):
                rec.case_id = case.id
                if attr == "timers" and rec.status.value in ("fired", "cancelled"):
                    if rec.id is not None:  # a spent due row is deleted, as in the database
                        self.tx.tables["timers"].pop(rec.id, None)
                        self.tx.dirty["timers"].add(rec.id)
                    continue
                if attr == "breaches" and rec.id is None:
                    _unique_breach(self.tx, rec, case.number)
                if attr != "steps" and rec.id is None:
                    rec.id = self.tx.db.next_id(table)
                self.tx.put(table, rec.id, _store(rec))
        for event in case.new_events:
            event = dataclasses.replace(event, case_id=case.id)
            self.tx.put("audit", (case.id, event.seq), _store(event))
        for flag in case.new_flags:
            flag.id = self.tx.db.next_id("flags")
            self.tx.put("flags", flag.id, _store(flag))
        case.saved()

    def list(self, *, state: str | None = None, power_code: str | None = None,
             limit: int = 200) -> list[Case]:
        rows = sorted(self.tx.values("cases"), key=lambda c: c.id or 0, reverse=True)
        if state:
            rows = [c for c in rows if c.state.value == str(getattr(state, "value", state))]
        if power_code:
            rows = [c for c in rows if c.power_code == power_code]
        return [self._assemble(c) for c in rows[:limit]]

    def summaries(self, *, state: str | None = None, power_code: str | None = None,
                  limit: int = 200) -> list[dict[str, Any]]:
        rows = sorted(self.tx.values("cases"), key=lambda c: c.id or 0, reverse=True)
        if state:
            rows = [c for c in rows if c.state.value == str(getattr(state, "value", state))]
        if power_code:
            rows = [c for c in rows if c.power_code == power_code]
        return [{"number": c.number, "power_code": c.power_code, "applicant": c.applicant,
                 "state": c.state, "received_at": c.received_at, "promised_day": c.promised_day,
                 "result": c.result, "deemed": c.deemed} for c in rows[:limit]]

    def numbers(self, ids: set[int]) -> dict[int, str]:
        return {c.id: c.number for c in self.tx.values("cases") if c.id in ids}

    def open_numbers_due_from(self, day: dt.date) -> list[str]:
        found = {c.number for c in self.tx.values("cases") if c.state.is_open and any(
            d is not None and d.day >= day for d in (c.promised, c.statutory))}
        found |= {s.case_number for s in self.tx.values("steps")
                  if s.status.value == "ready" and s.due is not None and s.due.day >= day}
        return sorted(found)

    def next_serial(self, key: str) -> int:
        value = (self.tx.get("serials", key) or 0) + 1
        self.tx.put("serials", key, value)
        return value


def _unique_breach(tx: _Tx, breach: Breach, number: str) -> None:
    """The breaches table's unique key (adapters/sql/case_repository.py ``_breach_dedupe``):
    one per (case, step, kind) and ``ref``; a second is someone else's write (Conflict)."""
    key = (breach.case_id, breach.task_id, breach.kind, breach.ref)
    if any((b.case_id, b.task_id, b.kind, b.ref) == key for b in tx.values("breaches")):
        raise Conflict(f"case {number} was changed by someone else at the same time; nothing "
                       f"was written — reload it and try again")


def _store_case(case: Case) -> Case:
    """The case row alone (its parts live in their own tables)."""
    row = copy.copy(case)
    for attr, _ in _PARTS:
        setattr(row, attr, [])
    row.new_events, row.new_flags = [], []
    for name in ("data", "workflow_state"):
        setattr(row, name, _column(name, getattr(case, name)))
    for name in ("received_at", "accepted_at", "suspended_since", "closed_at"):
        setattr(row, name, _column(name, getattr(case, name)))
    row.__dict__.pop("_runtime", None)
    row.__dict__.pop("_setting", None)
    return row


class MemoryStepRepository(_Repo):
    """The task list (a read model over every case's steps)."""

    def get(self, task_id: str) -> StepRecord:
        ref = task_id.strip()
        row = self.tx.get("steps", ref)
        if row is None and len(ref) >= 6:
            prefix = ref.replace("%", "")
            found = [s for s in self.tx.values("steps") if s.id.startswith(prefix)]
            if len(found) > 1:
                raise NotFound(f"task {ref} is ambiguous; give more characters of its id")
            row = found[0] if found else None
        if row is None:
            raise NotFound(f"no task {ref} — see the task list")
        return _load(row)

    def for_case(self, case_id: int) -> list[StepRecord]:
        return self.list(case_id=case_id, status=None, limit=10_000)

    def list(self, *, case_id: int | None = None, post: str | None = None,
             user: str | None = None, status: str | None = "ready",
             limit: int = 500, power_code: str | None = None,
             posts_or_claimant: tuple[list[str], str] | None = None,
             by_due: bool = False) -> list[StepRecord]:
        rows = sorted(self.tx.values("steps"), key=lambda s: (s.ready_at, s.id))
        if power_code:
            rows = [s for s in rows if s.power_code == power_code]
        if case_id is not None:
            rows = [s for s in rows if s.case_id == case_id]
        if post:
            rows = [s for s in rows if s.post == post]
        if user:
            rows = [s for s in rows if user in (s.assignee, s.completed_by)]
        if status:
            rows = [s for s in rows if s.status.value == str(getattr(status, "value", status))]
        if posts_or_claimant is not None:
            posts, login = posts_or_claimant
            rows = [s for s in rows if s.post in posts or s.assignee == login]
        if by_due:
            far = dt.datetime.max.replace(tzinfo=dt.UTC)
            rows.sort(key=lambda s: (s.due_at is None, s.due_at or far, s.ready_at, s.id))
        return [_load(s) for s in rows[:limit]]


class MemoryTimerRepository(_Repo):
    def claim_due(self, now: dt.datetime, limit: int) -> list[Timer]:
        at = _column("now", now)
        due = [t for t in self.tx.values("timers") if t.status.value == "pending" and t.due_at <= at]
        due.sort(key=lambda t: (t.due_at, t.id))
        return [_load(t) for t in due[:limit]]

    def set_aside(self, timer: Timer, at: dt.datetime) -> None:
        row = self.tx.get("timers", timer.id)
        if row is not None:
            self.tx.put("timers", timer.id, dataclasses.replace(
                row, status=TimerStatus.FAILED, fired_at=_column("at", at)))

    def failed(self) -> list[Timer]:
        rows = [t for t in self.tx.values("timers") if t.status.value == "failed"]
        return [_load(t) for t in sorted(rows, key=lambda t: (t.due_at, t.id))]

    def requeue_failed(self) -> int:
        rows = [t for t in self.tx.values("timers") if t.status.value == "failed"]
        for row in rows:
            self.tx.put("timers", row.id, dataclasses.replace(
                row, status=TimerStatus.PENDING, fired_at=None))
        return len(rows)


class MemoryAuditRepository(_Repo):
    def for_case(self, case_id: int) -> list[AuditEvent]:
        rows = sorted((e for e in self.tx.values("audit") if e.case_id == case_id),
                      key=lambda e: e.seq)
        return [_load(e) for e in rows]

    def heads(self) -> list[tuple[str, int, str]]:
        numbers = {c.id: c.number for c in self.tx.values("cases")}
        last: dict[int, AuditEvent] = {}
        for e in self.tx.values("audit"):
            if e.case_id not in last or e.seq > last[e.case_id].seq:
                last[e.case_id] = e
        return sorted((numbers[cid], e.seq, e.hash) for cid, e in last.items() if cid in numbers)

    def for_numbers(self, numbers: list[str]) -> dict[str, list[AuditEvent]]:
        ids = {c.id: c.number for c in self.tx.values("cases") if c.number in set(numbers)}
        chains: dict[str, list[AuditEvent]] = {}
        for e in sorted(self.tx.values("audit"), key=lambda e: (e.case_id, e.seq)):
            if e.case_id in ids:
                chains.setdefault(ids[e.case_id], []).append(_load(e))
        return chains


class _ByCaseRepo(_Repo):
    """Rows listed per case in id order."""

    table = ""

    def for_case(self, case_id: int) -> list[Any]:
        rows = sorted((r for r in self.tx.values(self.table) if r.case_id == case_id),
                      key=lambda r: r.id)
        return [_load(r) for r in rows]


class MemoryCardRepository(_ByCaseRepo):
    table = "cards"

    def get(self, card_id: int) -> Card:
        row = self.tx.get("cards", card_id)
        if row is None:
            raise NotFound(f"没有第 {card_id} 号牌 (no card #{card_id}; see `sunshine card list`)")
        return _load(row)

    def list(self, *, kind: str | None = None, limit: int = 500) -> list[Card]:
        rows = sorted(self.tx.values("cards"), key=lambda c: c.id, reverse=True)
        if kind:
            rows = [c for c in rows if c.kind.value == kind]
        return [_load(c) for c in rows[:limit]]


class MemoryBreachRepository(_ByCaseRepo):
    table = "breaches"

    def add(self, breach: Breach) -> Breach:
        if breach.case_id is not None:
            raise ValueError("a case's breaches are saved with the case (CaseRepository.save)")
        breach.id = self.tx.db.next_id("breaches")
        self.tx.put("breaches", breach.id, _store(breach))
        return breach

    def decide(self, breach_id: int, *, measure: Any, reasons: str, by: str,
               at: dt.datetime) -> bool:
        row = self.tx.get("breaches", breach_id)
        if row is None or row.case_id is not None or row.measure is not None:
            return False
        self.tx.put("breaches", breach_id, dataclasses.replace(
            row, measure=measure, reasons=reasons, decided_by=by, decided_at=_column("at", at)))
        return True

    def get(self, breach_id: int) -> Breach:
        row = self.tx.get("breaches", breach_id)
        if row is None:
            raise NotFound(f"no breach record {breach_id}")
        return _load(row)

    def list(self, *, decided: bool | None = None, limit: int = 500) -> list[Breach]:
        rows = sorted(self.tx.values("breaches"), key=lambda b: b.id)
        if decided is True:
            rows = [b for b in rows if b.measure is not None]
        elif decided is False:
            rows = [b for b in rows if b.measure is None]
        return [_load(b) for b in rows[:limit]]


class MemoryClockStopRepository(_ByCaseRepo):
    table = "stops"


class MemoryExtensionRepository(_ByCaseRepo):
    table = "extensions"


class MemoryCalendarRepository(_Repo):
    def save_year(self, year: int, source: str, holidays: dict[str, str],
                  workdays: dict[str, str], imported_at: dt.datetime) -> None:
        self.tx.put("calendar", year, {
            "year": year, "source": source, "holidays": _column("holidays", holidays),
            "workdays": _column("workdays", workdays),
            "imported_at": _column("imported_at", imported_at)})

    def years(self) -> dict[int, dict[str, Any]]:
        return {year: copy.deepcopy(row)
                for year, row in sorted(self.tx.tables["calendar"].items())}


class MemoryFlagRepository(_Repo):
    def for_applicant(self, applicant: str) -> list[ApplicantFlag]:
        rows = sorted((f for f in self.tx.values("flags") if f.applicant == applicant),
                      key=lambda f: f.id)
        return [_load(f) for f in rows]


class MemoryReportRepository(_Repo):
    def add(self, report: SignedReport) -> SignedReport:
        stored = dataclasses.replace(report, id=self.tx.db.next_id("reports"),
                                     figures=json.loads(json.dumps(report.figures)))
        self.tx.put("reports", stored.id, stored)
        return stored

    def get(self, report_id: int) -> SignedReport:
        row = self.tx.get("reports", report_id)
        if row is None:
            raise NotFound(f"没有第 {report_id} 号报告 (no such report)")
        return dataclasses.replace(row, figures=json.loads(json.dumps(row.figures)))

    def list(self, *, limit: int = 100) -> list[SignedReport]:
        rows = sorted(self.tx.values("reports"), key=lambda r: -(r.id or 0))[:limit]
        return [self.get(r.id) for r in rows]


class MemoryExchangeRepository(_Repo):
    """adapters/sql/repositories.py's SqlExchangeRepository, over the memory tables."""

    def add(self, export: Any) -> Any:
        stored = dataclasses.replace(export, id=self.tx.db.next_id("exchange_exports"))
        self.tx.put("exchange_exports", stored.id, _store(stored))
        return stored

    def last(self, *, mode: str) -> Any:
        rows = sorted((x for x in self.tx.values("exchange_exports") if x.mode == mode),
                      key=lambda x: (x.until, x.id))
        return _load(rows[-1]) if rows else None

    def list(self, *, limit: int = 100) -> list[Any]:
        rows = sorted(self.tx.values("exchange_exports"), key=lambda x: -x.id)[:limit]
        return [_load(x) for x in rows]

    def changed_cases(self, since: dt.datetime | None, until: dt.datetime,
                      kinds: Any) -> list[Any]:
        from engine.exchange import ExchangeCase

        ids = {e.case_id for e in self.tx.values("audit") if e.kind in kinds and e.at < until
               and (since is None or e.at >= since)}
        rows = sorted((c for c in self.tx.values("cases") if c.id in ids), key=lambda c: c.number)
        return [ExchangeCase(c.id, c.number, c.power_code, c.definition_id, c.applicant)
                for c in rows]


class MemorySupervisionReads(_Repo):
    """adapters/sql/read_models.py's counts, from the case rows (engine/read_models.py)."""

    def open_cases_by_definition(self, now: dt.datetime,
                                 near_until: dt.datetime) -> list[DefinitionCounts]:
        at, until = _column("now", now), _column("near_until", near_until)
        counts: dict[int, list[int]] = {}
        for c in self.tx.values("cases"):
            if c.state.value not in OPEN_STATES:
                continue
            row = counts.setdefault(c.definition_id, [0, 0, 0])
            due, undecided = c.promised_due, c.clock.value != DECIDED_CLOCK
            suspended = c.clock.value == SUSPENDED_CLOCK
            expired_before_stop = not suspended or (
                due is not None and c.suspended_since is not None and due <= c.suspended_since)
            row[0] += bool(undecided and due is not None and due <= at and expired_before_stop)
            row[1] += bool(undecided and not suspended and due is not None and at < due <= until)
            row[2] += 1
        return [DefinitionCounts(k, *v) for k, v in sorted(counts.items())]

    def catalogue_entries(self, definition_ids: Any) -> dict[int, dict[str, Any]]:
        rows = (self.tx.get("definitions", i) for i in definition_ids)
        return {r["id"]: json.loads(r["power"]) for r in rows if r is not None}

    def _cases_by_id(self) -> dict[int, Any]:
        return {c.id: c for c in self.tx.values("cases")}

    def case_facts(self, start: dt.datetime, end: dt.datetime) -> list[CaseFacts]:
        rows = [c for c in self.tx.values("cases")
                if any(at is not None and start <= at < end
                       for at in (c.received_at, c.accepted_at, c.closed_at))]
        return [CaseFacts(c.number, c.power_code, c.definition_id, c.state.value, c.received_at,
                          c.accepted_at, c.promised_day, c.closed_at, c.deemed, c.stopped_days)
                for c in sorted(rows, key=lambda c: c.number)]

    def step_facts(self, start: dt.datetime, end: dt.datetime) -> list[StepFacts]:
        cases = self._cases_by_id()
        rows = [s for s in self.tx.values("steps")
                if s.status.value == "completed" and s.completed_at is not None
                and start <= s.completed_at < end]
        return [StepFacts(s.case_number, cases[s.case_id].power_code, cases[s.case_id].definition_id,
                          s.name, s.post, s.department, s.completed_by, s.completed_at,
                          s.due.at if s.due else None, s.counted)
                for s in sorted(rows, key=lambda s: (s.case_number, s.completed_at, s.id))]

    def card_facts(self, start: dt.datetime, end: dt.datetime) -> list[CardFacts]:
        cases = self._cases_by_id()
        rows = [k for k in self.tx.values("cards") if start <= k.issued_at < end
                and k.decision != "withdrawn"]  # a withdrawn card (撤销) no longer counts
        return [CardFacts(cases[k.case_id].number, cases[k.case_id].power_code,
                          cases[k.case_id].definition_id, k.kind.value, k.against, k.issued_at,
                          k.post, k.person)
                for k in sorted(rows, key=lambda k: (k.issued_at, k.id or 0))]

    def breach_facts(self, start: dt.datetime, end: dt.datetime) -> list[BreachFacts]:
        cases = self._cases_by_id()
        rows = [b for b in self.tx.values("breaches") if start <= b.occurred_at < end]
        powers = {p["code"]: p["latest_definition_id"] for p in self.tx.values("powers")}
        out = []
        for b in sorted(rows, key=lambda b: (b.occurred_at, b.id or 0)):
            case = cases.get(b.case_id)
            out.append(BreachFacts(
                b.case_number, case.power_code if case else b.power_code,
                case.definition_id if case else powers.get(b.power_code), b.kind.value,
                b.occurred_at, b.post, b.person, b.measure.value if b.measure else None, b.ref,
                b.unit))
        return out

    def ordered_cases(self) -> list[str]:
        ids = {e.case_id for e in self.tx.values("audit") if e.kind == "case_ordered"}
        return [c.number for c in sorted(self.tx.values("cases"), key=lambda c: c.id)
                if c.id in ids]


    def bad_rating_facts(self, start: dt.datetime, end: dt.datetime) -> list[RatingFacts]:
        cases = self._cases_by_id()
        rows = [r for r in self.tx.values("ratings")
                if r.review_due is not None and start <= r.rated_at < end]
        return [RatingFacts(r.case_number, r.power_code, cases[r.case_id].definition_id, r.unit,
                            r.score, r.rated_at)
                for r in sorted(rows, key=lambda r: (r.rated_at, r.id or 0))]

    def upheld_complaint_facts(self, start: dt.datetime,
                               end: dt.datetime) -> list[ComplaintFacts]:
        cases = {c.number: c for c in self.tx.values("cases")}
        rows = [k for k in self.tx.values("complaints") if k.status == "upheld"
                and k.decided_at is not None and start <= k.decided_at < end]
        out = []
        for k in sorted(rows, key=lambda k: (k.decided_at, k.id or 0)):
            case = cases.get(k.case_number or "")
            out.append(ComplaintFacts(k.number, k.case_number,
                                      case.power_code if case else None,
                                      case.definition_id if case else None, k.against_unit,
                                      k.against_post, k.against_person, k.decided_at))
        return out


class MemoryUserRepository(_Repo):
    def get(self, login: str) -> Any:
        row = next((u for u in self.tx.values("users") if u.login == login), None)
        if row is None:
            raise NotFound(f"没有用户“{login}” (no such user)")
        return dataclasses.replace(row, roles=list(row.roles), posts=list(row.posts),
                                   leads=list(row.leads))

    def get_by_id(self, user_id: int) -> Any:
        row = self.tx.get("users", user_id)
        if row is None:
            raise NotFound(f"no user #{user_id}")
        return self.get(row.login)

    def exists(self) -> bool:
        return bool(self.tx.values("users"))

    def add(self, user: Any) -> Any:
        if any(u.login == user.login for u in self.tx.values("users")):
            raise Conflict(f"登录名“{user.login}”已被使用 (login taken)", field="login")
        user.id = self.tx.db.next_id("users")
        self.save(user)
        return user

    def save(self, user: Any) -> None:
        self.tx.put("users", user.id, dataclasses.replace(
            user, roles=list(user.roles), posts=list(user.posts), leads=list(user.leads)))

    def list(self, *, include_disabled: bool = True) -> list[Any]:
        rows = sorted(self.tx.values("users"), key=lambda u: (u.unit, u.login))
        return [self.get(u.login) for u in rows if include_disabled or u.active]

    def names(self, logins: set[str]) -> dict[str, str]:
        return {u.login: u.name for u in self.tx.values("users") if u.login in logins}

    def add_key(self, key: Any) -> Any:
        key.id = self.tx.db.next_id("api_keys")
        self.save_key(key)
        return key

    def key(self, prefix: str) -> Any:
        row = next((k for k in self.tx.values("api_keys") if k.prefix == prefix), None)
        if row is None:
            raise NotFound(f"没有 API 密钥 {prefix} (no such API key)")
        return dataclasses.replace(row)

    def keys_of(self, user_id: int) -> list[Any]:
        return [dataclasses.replace(k) for k in sorted(self.tx.values("api_keys"),
                                                       key=lambda k: k.id)
                if k.user_id == user_id]

    def save_key(self, key: Any) -> None:
        self.tx.put("api_keys", key.id, dataclasses.replace(key))

    def add_denial(self, denial: Any) -> None:
        i = self.tx.db.next_id("denials")
        self.tx.put("denials", i, dataclasses.replace(denial, id=i))

    def denials(self, *, login: str | None = None, limit: int = 200) -> list[Any]:
        rows = sorted(self.tx.values("denials"), key=lambda d: -d.id)
        return [d for d in rows if not login or d.login == login][:limit]


class MemoryStartRequestRepository(_Repo):
    def case_for(self, key: str) -> int | None:
        return self.tx.get("start_requests", key)

    def add(self, key: str, case_id: int, at: dt.datetime) -> None:
        if self.tx.get("start_requests", key) is not None:
            raise Conflict(f"start request {key} was already used")
        self.tx.put("start_requests", key, case_id)


class MemoryOutboxRepository(_Repo):
    """adapters/sql/outbox.py's semantics: dedupe keys stored once, due rows claimed in order
    with the lease and the attempt counted."""

    def add(self, notices: Any, now: dt.datetime) -> None:
        at = _column("now", now)
        taken = {n.dedupe for n in self.tx.values("outbox")}
        for n in notices:
            if n.dedupe in taken:
                continue
            taken.add(n.dedupe)
            new_id = self.tx.db.next_id("outbox")
            _column("document", n.document.to_dict())  # a JSON column, as in the database
            self.tx.put("outbox", new_id, dataclasses.replace(
                n, id=new_id, status=NoticeStatus.PENDING, attempts=0, next_attempt_at=at,
                last_error=None, created_at=at, sent_at=None))

    def due(self, now: dt.datetime, limit: int, *, channels: Any = None,
            lease: dt.timedelta = dt.timedelta(minutes=10)) -> list[Notice]:
        at = _column("now", now)
        rows = sorted((n for n in self.tx.values("outbox") if n.status == NoticeStatus.PENDING
                       and n.next_attempt_at <= at
                       and (channels is None or n.channel.value in channels)),
                      key=lambda n: (n.next_attempt_at, n.id))[:limit]
        claimed = [dataclasses.replace(n, attempts=n.attempts + 1, next_attempt_at=at + lease)
                   for n in rows]
        for n in claimed:
            self.tx.put("outbox", n.id, n)
        return claimed

    def _set(self, notice_id: int, **values: Any) -> None:
        row = self.tx.get("outbox", notice_id)
        if row is not None:
            self.tx.put("outbox", notice_id, dataclasses.replace(row, **values))

    def mark_sent(self, notice_id: int, at: dt.datetime) -> None:
        self._set(notice_id, status=NoticeStatus.SENT, sent_at=_column("at", at), last_error=None)

    def mark_failed(self, notice_id: int, at: dt.datetime, error: str,
                    next_attempt_at: dt.datetime, give_up: bool) -> None:
        self._set(notice_id, status=NoticeStatus.FAILED if give_up else NoticeStatus.PENDING,
                  last_error=error, next_attempt_at=_column("next_attempt_at", next_attempt_at))

    def for_case(self, case_id: int) -> list[Notice]:
        return sorted((n for n in self.tx.values("outbox") if n.case_id == case_id),
                      key=lambda n: n.id)

    def list(self, *, case_number: str | None = None, status: str | None = None,
             limit: int = 200) -> list[Notice]:
        rows = sorted(self.tx.values("outbox"), key=lambda n: -n.id)
        return [n for n in rows if (not case_number or n.case_number == case_number)
                and (not status or n.status.value == status)][:limit]


# -- unit of work ---------------------------------------------------------------------------------


class MemoryRatingRepository(_Repo):
    """adapters/sql/repositories.py's ratings: one per case, a bad one has its review day."""

    def add(self, rating: Rating) -> Rating:
        if any(r.case_id == rating.case_id for r in self.tx.values("ratings")):
            raise InvalidAction(f"办件 {rating.case_number} 已经评价过，每件只能评价一次 "
                                f"(the case was rated already)", field="case")
        rating.id = self.tx.db.next_id("ratings")
        self.tx.put("ratings", rating.id, _store(rating))
        return rating

    def for_case(self, case_id: int) -> Rating | None:
        row = next((r for r in self.tx.values("ratings") if r.case_id == case_id), None)
        return _load(row) if row is not None else None

    def save(self, rating: Rating) -> None:
        self.tx.put("ratings", rating.id, _store(rating))

    def list(self, *, bad: bool = False, unit: str | None = None,
             limit: int = 1000) -> list[Rating]:
        rows = sorted(self.tx.values("ratings"), key=lambda r: (r.rated_at, r.id), reverse=True)
        rows = [r for r in rows if (not bad or r.review_due is not None)
                and (unit is None or r.unit == unit)]
        return [_load(r) for r in rows[:limit]]

    def counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for r in self.tx.values("ratings"):
            out[r.score] = out.get(r.score, 0) + 1
        return out

    def reviews_due(self, before: dt.date) -> list[Rating]:
        rows = [r for r in self.tx.values("ratings") if r.review_due is not None
                and r.review_due < before and r.reply is None and r.carded_at is None]
        return [_load(r) for r in sorted(rows, key=lambda r: (r.review_due, r.id))]


class MemoryComplaintRepository(_Repo):
    def add(self, complaint: Complaint) -> Complaint:
        if any(c.number == complaint.number for c in self.tx.values("complaints")):
            raise Conflict(f"complaint number {complaint.number} is already taken")
        complaint.id = self.tx.db.next_id("complaints")
        self.tx.put("complaints", complaint.id, _store(complaint))
        return complaint

    def get(self, number: str) -> Complaint:
        row = next((c for c in self.tx.values("complaints") if c.number == number), None)
        if row is None:
            raise NotFound(f"没有投诉 {number}，请核对投诉编号（如 TS2026-00001） (no such complaint)",
                           field="complaint")
        return _load(row)

    def save(self, complaint: Complaint) -> None:
        self.tx.put("complaints", complaint.id, _store(complaint))

    def list(self, *, open_only: bool = False, limit: int = 1000) -> list[Complaint]:
        rows = sorted(self.tx.values("complaints"), key=lambda c: (c.received_at, c.id),
                      reverse=True)
        return [_load(c) for c in rows if not open_only or c.status == "open"][:limit]

    def link_breach(self, number: str, ref: str) -> None:
        found = [b.id for b in self.tx.values("breaches") if b.ref == ref]
        complaint = self.get(number)
        complaint.breach_id = max(found) if found else None
        self.save(complaint)


class MemoryTrailReads(_Repo):
    def case_page(self, after: int, limit: int) -> list[tuple[int, str]]:
        found = sorted((c.id, c.number) for c in self.tx.values("cases") if c.id > after)
        return found[:limit]


class MemoryRetention(_Repo):
    """adapters/sql/retention.py's semantics."""

    def _over(self, closed_before: dt.datetime, *, held: bool) -> list[Any]:
        rows = sorted((c for c in self.tx.values("cases") if c.erased_at is None
                       and c.closed_at is not None and c.closed_at < closed_before
                       and bool(self.holds(c.id, c.number)) == held),
                      key=lambda c: (c.closed_at, c.id))
        return rows

    def due(self, closed_before: dt.datetime, limit: int) -> list[str]:
        return [c.number for c in self._over(closed_before, held=False)[:limit]]

    def held(self, closed_before: dt.datetime, limit: int) -> list[tuple[int, str]]:
        return [(c.id, c.number) for c in self._over(closed_before, held=True)[:limit]]

    def holds(self, case_id: int, number: str) -> list[str]:
        found = []
        n = sum(1 for c in self.tx.values("complaints")
                if c.case_number == number and c.status == "open")
        if n:
            found.append(f"{n} complaint(s) on it still under investigation")
        n = sum(1 for c in self.tx.values("cards") if c.case_id == case_id
                and c.decision is None and c.appealed_at is not None)
        if n:
            found.append(f"{n} card appeal(s) on it not decided")
        if any(r.case_id == case_id and r.review_due is not None and r.reply is None
               and r.carded_at is None for r in self.tx.values("ratings")):
            found.append("the review of its bad rating is not answered")
        return found

    def store_erased(self, events: Any) -> None:
        for e in events:
            self.tx.put("audit", (e.case_id, e.seq), _store(e))

    def erase_notices(self, case_id: int) -> int:
        from engine.documents import AT_THE_WINDOW
        from engine.personal import NOT_SENT, mask

        n = 0
        for row in self.tx.values("outbox"):
            masked = row.recipient if row.recipient == AT_THE_WINDOW else mask(row.recipient)
            pending = row.status == NoticeStatus.PENDING
            if row.case_id == case_id and (masked != row.recipient or pending):
                self.tx.put("outbox", row.id, dataclasses.replace(
                    row, recipient=masked,
                    status=NoticeStatus.FAILED if pending else row.status,
                    last_error=NOT_SENT if pending else row.last_error))
                n += 1
        return n

    def erase_complaints(self, *, case_number: str | None = None,
                         decided_before: dt.datetime | None = None) -> int:
        from engine.personal import ERASED

        n = 0
        for c in self.tx.values("complaints"):
            if c.contact == ERASED or (case_number is not None and c.case_number != case_number):
                continue
            if decided_before is not None and (c.status == "open" or c.decided_at is None
                                               or c.decided_at >= decided_before):
                continue
            self.tx.put("complaints", c.id, dataclasses.replace(c, contact=ERASED))
            n += 1
        return n


class MemoryUnitOfWork:
    """One transaction over all repositories; ``commit`` once, anything else is discarded."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self._tx: _Tx | None = None

    def __enter__(self) -> MemoryUnitOfWork:
        self._begin()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tx = None  # whatever was not committed is gone

    def _begin(self) -> None:
        tx = self._tx = _Tx(self.db)
        self.definitions = MemoryDefinitionRepository(tx)
        self.cases = MemoryCaseRepository(tx)
        self.steps = MemoryStepRepository(tx)
        self.timers = MemoryTimerRepository(tx)
        self.audit = MemoryAuditRepository(tx)
        self.cards = MemoryCardRepository(tx)
        self.breaches = MemoryBreachRepository(tx)
        self.stops = MemoryClockStopRepository(tx)
        self.extensions = MemoryExtensionRepository(tx)
        self.calendar = MemoryCalendarRepository(tx)
        self.flags = MemoryFlagRepository(tx)
        self.reports = MemoryReportRepository(tx)
        self.exchange = MemoryExchangeRepository(tx)
        self.reads = MemorySupervisionReads(tx)
        self.outbox = MemoryOutboxRepository(tx)
        self.users = MemoryUserRepository(tx)
        self.start_requests = MemoryStartRequestRepository(tx)
        self.ratings = MemoryRatingRepository(tx)
        self.complaints = MemoryComplaintRepository(tx)
        self.trail = MemoryTrailReads(tx)
        self.retention = MemoryRetention(tx)

    def commit(self) -> None:
        tx = self._require()
        committed = self.db.tables["cases"]
        for case_id, base in tx.case_versions.items():
            row = committed.get(case_id)
            if row is not None and row.version != base:
                self.rollback()
                raise Conflict(f"case {row.number} was changed by someone else at the same "
                               f"time; nothing was written — reload it and try again")
        for name, keys in tx.dirty.items():
            for key in keys:
                if key in tx.tables[name]:
                    self.db.tables[name][key] = tx.tables[name][key]
                else:  # deleted in this unit of work
                    self.db.tables[name].pop(key, None)
        self.db.commits += 1
        self._begin()  # go on in a fresh transaction, as a connection does after COMMIT

    def rollback(self) -> None:
        self._require()
        self._begin()

    def is_transient(self, err: BaseException) -> bool:
        return False  # memory never goes away

    def _require(self) -> _Tx:
        if self._tx is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._tx


# -- clock and environment -------------------------------------------------------------------------


class FakeClock:
    """A clock a test moves by hand. Text without a zone is read in Asia/Shanghai (as the CLI's
    ``--now``); ``now()`` is always aware UTC."""

    def __init__(self, at: dt.datetime | str) -> None:
        self.at = self._parse(at)

    @staticmethod
    def _parse(at: dt.datetime | str) -> dt.datetime:
        value = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime | str) -> dt.datetime:
        self.at = self._parse(at)
        return self.at

    def advance(self, delta: dt.timedelta | None = None, **parts: float) -> dt.datetime:
        self.at = self.at + (delta or dt.timedelta(**parts))
        return self.at


_SCHEDULES: dict[str, Any] = {}


def _chinese_calendar_schedules() -> dict[int, Any]:
    """The chinese_calendar package's years, read once per process (they never change)."""
    if "schedules" not in _SCHEDULES:
        from adapters.calendar_files import schedules_from_chinese_calendar

        _SCHEDULES["schedules"] = schedules_from_chinese_calendar()
    return dict(_SCHEDULES["schedules"])


def memory_env(clock: Any, rules: Rules | None = None,
               calendar: WorkingCalendar | None = None) -> Env:
    """An Env on a fresh in-memory database. ``env.uow`` is the MemoryDatabase (call it for a
    unit of work; read ``env.uow.tables`` to look at committed rows)."""
    working = calendar or WorkingCalendar(_chinese_calendar_schedules())
    return Env(uow=MemoryDatabase(), clock=clock, calendar=lambda: working,
               rules=rules or Rules(), wall=clock.now, time_travel=True)


__all__ = [
    "FakeClock", "MemoryDatabase", "MemoryUnitOfWork", "memory_env",
]
