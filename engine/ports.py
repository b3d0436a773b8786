"""Ports: the interfaces the core needs from the outside world; adapters implement them.

The case repository loads and saves whole cases (the aggregate); the other repositories are
read models (task list, cards, breaches, trail) and the sweep's claim on due rows. The unit of
work groups them in one transaction (``commit`` once per use case, ``rollback`` on any error);
the clock tells the time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from engine.case import Case
from engine.documents import Document, Notice
from engine.exchange import ExchangeCase, ExchangeExport
from engine.identity import ApiKey, Denial, User
from engine.model import (
    ApplicantFlag,
    AuditEvent,
    Breach,
    Card,
    ClockStop,
    Complaint,
    Extension,
    Measure,
    Rating,
    StepRecord,
    Timer,
)
from engine.read_models import SupervisionReads
from engine.stats import SignedReport


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class DefinitionRow(Protocol):
    id: int
    power_code: str
    process_id: str
    version: int
    content_hash: str
    power: dict[str, Any]
    spec: dict[str, Any]
    status: str  # active, withdrawn
    deployed_at: datetime
    deployed_by: str
    file: str


class DefinitionRepository(Protocol):
    def add(self, *, power_code: str, process_id: str, content_hash: str, file: str,
            xml: bytes, power: dict[str, Any], spec: dict[str, Any], deployed_at: datetime,
            deployed_by: str) -> DefinitionRow: ...
    def get(self, definition_id: int) -> DefinitionRow: ...
    def latest(self, power_code: str) -> DefinitionRow | None: ...
    def by_hash(self, power_code: str, content_hash: str) -> DefinitionRow | None: ...
    def codes_for_process(self, process_id: str) -> list[str]: ...
    def process_for_code(self, power_code: str) -> str | None: ...
    def current(self) -> list[DefinitionRow]: ...
    def versions(self, power_code: str) -> list[DefinitionRow]:
        """Every deployed version of a power, the newest first."""
        ...
    def xml(self, definition_id: int) -> bytes: ...
    def set_latest(self, power_code: str, definition_id: int) -> None: ...
    def set_status(self, power_code: str, status: str, *, at: datetime | None = None,
                   by: str | None = None, reason: str | None = None) -> None: ...


class CaseRepository(Protocol):
    """Whole cases (the aggregate, engine/case.py): ``get`` loads a case with every part;
    ``save`` writes what changed with an optimistic version check (Conflict when someone else
    saved first, nothing written); ``add`` gives a new case its identity."""

    def add(self, case: Case) -> Case: ...
    def get(self, number: str, *, lock: bool = False) -> Case: ...
    def get_by_id(self, case_id: int, *, lock: bool = False) -> Case: ...
    def get_by_step(self, task_ref: str) -> tuple[Case, StepRecord]: ...
    def save(self, case: Case) -> None: ...
    def list(self, *, state: str | None = None, power_code: str | None = None,
             limit: int = 200) -> list[Case]: ...
    def open_numbers_due_from(self, day: date) -> list[str]: ...
    def next_serial(self, key: str) -> int: ...


class StepRepository(Protocol):
    """The task list: a read model over every case's steps."""

    def get(self, task_id: str) -> StepRecord: ...
    def for_case(self, case_id: int) -> list[StepRecord]: ...
    def list(self, *, case_id: int | None = None, post: str | None = None,
             user: str | None = None, status: str | None = "ready",
             limit: int = 500, power_code: str | None = None,
             posts_or_claimant: tuple[list[str], str] | None = None,
             by_due: bool = False) -> list[StepRecord]: ...


class TimerRepository(Protocol):
    """Due rows, as the sweep sees them: claim what is due, set aside what fails."""

    def claim_due(self, now: datetime, limit: int) -> list[Timer]: ...
    def set_aside(self, timer: Timer, at: datetime) -> None: ...
    def failed(self) -> list[Timer]: ...
    def requeue_failed(self) -> int: ...


class AuditRepository(Protocol):
    def for_case(self, case_id: int) -> list[AuditEvent]: ...
    def heads(self) -> list[tuple[str, int, str]]:
        """Every case's chain head: (case number, last seq, its hash), by case number."""
        ...
    def for_numbers(self, numbers: list[str]) -> dict[str, list[AuditEvent]]:
        """The stored events of these cases, by case number, each in sequence order."""
        ...


class CardRepository(Protocol):
    def get(self, card_id: int) -> Card: ...
    def for_case(self, case_id: int) -> list[Card]: ...
    def list(self, *, kind: str | None = None, limit: int = 500) -> list[Card]: ...


class BreachRepository(Protocol):
    def add(self, breach: Breach) -> Breach:
        """A breach with no case (``case_id`` None); a case's breaches are saved with it."""
        ...
    def get(self, breach_id: int) -> Breach: ...
    def decide(self, breach_id: int, *, measure: Measure, reasons: str, by: str,
               at: datetime) -> bool:
        """The decision on a breach with no case (a case's own is saved with the case), written
        only if it has none yet: False when it was decided already."""
        ...
    def for_case(self, case_id: int) -> list[Breach]: ...
    def list(self, *, decided: bool | None = None, limit: int = 500) -> list[Breach]: ...


class ClockStopRepository(Protocol):
    def for_case(self, case_id: int) -> list[ClockStop]: ...


class ExtensionRepository(Protocol):
    def for_case(self, case_id: int) -> list[Extension]: ...


class CalendarRepository(Protocol):
    def save_year(self, year: int, source: str, holidays: dict[str, str],
                  workdays: dict[str, str], imported_at: datetime) -> None: ...
    def years(self) -> dict[int, dict[str, Any]]: ...


class ReportRepository(Protocol):
    """Signed supervision reports (engine.stats.SignedReport): added, never changed."""

    def add(self, report: SignedReport) -> SignedReport: ...
    def get(self, report_id: int) -> SignedReport: ...
    def list(self, *, limit: int = 100) -> list[SignedReport]: ...


class FlagRepository(Protocol):
    def for_applicant(self, applicant: str) -> list[ApplicantFlag]: ...


class ExchangeRepository(Protocol):
    """The provincial exchange (engine/exchange.py): the exports made (added, never changed)
    and the cases whose history has one of ``kinds`` in ``since <= at < until``."""

    def add(self, export: ExchangeExport) -> ExchangeExport: ...
    def last(self, *, mode: str) -> ExchangeExport | None: ...
    def list(self, *, limit: int = 100) -> list[ExchangeExport]: ...
    def changed_cases(self, since: datetime | None, until: datetime,
                      kinds: Collection[str]) -> list[ExchangeCase]: ...


class UserRepository(Protocol):
    """The user registry (identity port): users, their API keys, refused attempts."""

    def get(self, login: str) -> User: ...
    def get_by_id(self, user_id: int) -> User: ...
    def exists(self) -> bool: ...
    def add(self, user: User) -> User: ...
    def save(self, user: User) -> None: ...
    def list(self, *, include_disabled: bool = True) -> list[User]: ...
    def names(self, logins: set[str]) -> dict[str, str]: ...
    def add_key(self, key: ApiKey) -> ApiKey: ...
    def key(self, prefix: str) -> ApiKey: ...
    def keys_of(self, user_id: int) -> list[ApiKey]: ...
    def save_key(self, key: ApiKey) -> None: ...
    def add_denial(self, denial: Denial) -> None: ...
    def denials(self, *, login: str | None = None, limit: int = 200) -> list[Denial]: ...


class StartRequestRepository(Protocol):
    def case_for(self, key: str) -> int | None: ...
    def add(self, key: str, case_id: int, at: datetime) -> None: ...


class OutboxRepository(Protocol):
    """Notices to applicants (engine/documents.py), written in the same transaction as the
    change that caused them and delivered later (engine/services/notices.py).

    ``add`` skips a notice whose ``dedupe`` key is stored already. ``due`` claims what is due
    (pending, ``next_attempt_at`` passed, on the given channels) so that no other worker takes
    it: the rows are locked (``FOR UPDATE SKIP LOCKED``; SQLite: the write lock), each attempt
    is counted and its ``next_attempt_at`` moved on by ``lease``; the caller commits at once
    and sends outside the transaction, then marks each row sent or failed in its own."""

    def add(self, notices: Sequence[Notice], now: datetime) -> None: ...
    def due(self, now: datetime, limit: int, *, channels: Sequence[str] | None = None,
            lease: timedelta = timedelta(minutes=10)) -> list[Notice]: ...
    def mark_sent(self, notice_id: int, at: datetime) -> None: ...
    def mark_failed(self, notice_id: int, at: datetime, error: str, next_attempt_at: datetime,
                    give_up: bool) -> None: ...
    def for_case(self, case_id: int) -> list[Notice]: ...
    def list(self, *, case_number: str | None = None, status: str | None = None,
             limit: int = 200) -> list[Notice]: ...


class Sender(Protocol):
    """One delivery channel (print queue, e-mail, SMS): deliver one document to one recipient,
    or raise (the notice is retried later); never partly. ``key`` is the notice's identity
    (its dedupe key): a delivery that succeeded but whose success was never recorded (the
    worker killed in between) is tried again with the same key, and a channel that can drop
    the repeat by it must (docs/operations.md, 通知送达)."""

    def send(self, document: Document, recipient: str, *, key: str = "") -> None: ...


class RatingRepository(Protocol):
    """好差评 (engine.model.Rating), one per case (the case id is unique): ``add`` raises
    InvalidAction when the case was rated already; a bad rating's review (reply, card) is
    written with ``save``. A bad rating is one with a ``review_due`` day. ``list`` is newest
    first."""

    def add(self, rating: Rating) -> Rating: ...
    def for_case(self, case_id: int) -> Rating | None: ...
    def save(self, rating: Rating) -> None: ...
    def list(self, *, bad: bool = False, unit: str | None = None,
             limit: int = 1000) -> list[Rating]: ...
    def counts(self) -> dict[int, int]:
        """How many ratings of each score (1–5) there are."""
        ...
    def reviews_due(self, before: date) -> list[Rating]:
        """Bad ratings neither replied to nor carded whose review was due before ``before``."""
        ...


class ComplaintRepository(Protocol):
    """投诉 (engine.model.Complaint), by number. ``link_breach`` sets a complaint's breach to
    the breach recorded with ``ref`` in the same unit of work (on PostgreSQL the breach's id is
    known only when the case's planned writes are sent, so the link goes with them)."""

    def add(self, complaint: Complaint) -> Complaint: ...
    def get(self, number: str) -> Complaint: ...
    def save(self, complaint: Complaint) -> None: ...
    def list(self, *, open_only: bool = False, limit: int = 1000) -> list[Complaint]: ...
    def link_breach(self, number: str, ref: str) -> None: ...


class TrailReads(Protocol):
    """Reads for replaying the audit trail (engine/audit_replay.py)."""

    def case_page(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(id, number) of up to ``limit`` cases with an id above ``after``, by id."""
        ...


class Retention(Protocol):
    """What the retention of personal data reads and writes besides the case
    (engine/services/retention.py)."""

    def due(self, closed_before: datetime, limit: int) -> list[str]:
        """Numbers of closed cases not erased yet, closed before ``closed_before``, with no
        matter open on them, oldest first."""
        ...

    def held(self, closed_before: datetime, limit: int) -> list[tuple[int, str]]:
        """(id, number) of the cases that would be due but for a matter still open on them."""
        ...

    def holds(self, case_id: int, number: str) -> list[str]:
        """Why a case's personal data is kept past its period (matters on it still open)."""
        ...

    def store_erased(self, events: Sequence[AuditEvent]) -> None: ...
    def erase_notices(self, case_id: int) -> int: ...
    def erase_complaints(self, *, case_number: str | None = None,
                         decided_before: datetime | None = None) -> int: ...


class UnitOfWork(Protocol):
    definitions: DefinitionRepository
    cases: CaseRepository
    steps: StepRepository
    timers: TimerRepository
    audit: AuditRepository
    cards: CardRepository
    breaches: BreachRepository
    stops: ClockStopRepository
    extensions: ExtensionRepository
    calendar: CalendarRepository
    flags: FlagRepository
    reports: ReportRepository
    reads: SupervisionReads
    outbox: OutboxRepository
    users: UserRepository
    start_requests: StartRequestRepository
    ratings: RatingRepository
    complaints: ComplaintRepository
    exchange: ExchangeRepository
    trail: TrailReads
    retention: Retention

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def is_transient(self, err: BaseException) -> bool:
        """Whether ``err`` is the store being unavailable (retry later), not a broken case."""
