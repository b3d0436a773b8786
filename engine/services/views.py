"""Read-only use cases for lists: cases, the task list, cards, a case's power. Each is one query
against the tables (a read model), never a load of every case's aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.case import Case
from engine.catalogue import Power
from engine.deadlines import Deadline
from engine.identity import Actor
from engine.model import Card, CaseState, ClockState, Extension, StepRecord
from engine.services.context import Env


@dataclass(frozen=True)
class CaseSummary:
    """One line of the case list."""

    number: str
    power_code: str
    applicant: str
    state: CaseState
    received_at: datetime
    promised_day: date | None
    result: str | None
    deemed: bool


def list_cases(env: Env, *, state: str | None = None, power_code: str | None = None,
               limit: int = 200) -> list[CaseSummary]:
    """Cases, newest first."""
    with env.uow() as uow:
        return [CaseSummary(**row) for row in uow.cases.summaries(
            state=state, power_code=power_code, limit=limit)]


def list_tasks(env: Env, *, case_number: str | None = None, post: str | None = None,
               user: str | None = None, include_done: bool = False) -> list[StepRecord]:
    """The task list: steps waiting (or all of them), oldest first."""
    with env.uow() as uow:
        case_id = uow.cases.get(case_number).id if case_number else None
        return uow.steps.list(case_id=case_id, post=post, user=user,
                              status=None if include_done else "ready")


def list_cards(env: Env, *, kind: str | None = None) -> list[tuple[Card, str]]:
    """Supervision cards, newest first, each with its case number."""
    with env.uow() as uow:
        rows = uow.cards.list(kind=kind)
        numbers = uow.cases.numbers({c.case_id for c in rows})
    return [(c, numbers[c.case_id]) for c in rows]


def power_of_definition(env: Env, definition_id: int) -> Power:
    with env.uow() as uow:
        return Power.from_dict(uow.definitions.get(definition_id).power)


@dataclass(frozen=True)
class CaseView:
    """A case as a use case returns it: what the front end shows after an action. Frozen: the
    aggregate itself never leaves the application layer."""

    number: str
    query_code: str
    power_code: str
    applicant: str
    state: CaseState
    accepted_at: datetime | None
    deemed_accepted: bool
    promised: Deadline | None
    statutory: Deadline | None
    result: str | None
    deemed: bool
    gaps_due_at: datetime | None = None
    existing: bool = False  # idempotent start: this request had already made the case
    clock: ClockState = ClockState.NOT_STARTED
    closed_at: datetime | None = None
    provisional: bool = False  # a date counted over a year with no State Council schedule
    stopped_days: int = 0
    extended_days: int = 0
    deemed_pending: bool = False
    applicant_key: str = ""  # certificate type and number (the applicant's identity)
    id: int | None = None  # the store's key, for adapters that index by it (never shown)

    @property
    def promised_day(self) -> date | None:
        return self.promised.day if self.promised else None

    @property
    def promised_due(self) -> datetime | None:
        return self.promised.at if self.promised else None

    @property
    def statutory_due(self) -> datetime | None:
        return self.statutory.at if self.statutory else None

    @property
    def statutory_day(self) -> date | None:
        return self.statutory.day if self.statutory else None

    @classmethod
    def of(cls, case: Case, *, existing: bool = False) -> CaseView:
        gaps = case.data.get("gaps") or {}
        due = gaps.get("due_at")
        return cls(number=case.number, query_code=case.query_code, power_code=case.power_code,
                   applicant=case.applicant, state=case.state, accepted_at=case.accepted_at,
                   deemed_accepted=case.deemed_accepted,
                   promised=case.promised, statutory=case.statutory, result=case.result,
                   deemed=case.deemed,
                   gaps_due_at=datetime.fromisoformat(due) if due else None, existing=existing,
                   clock=case.clock, closed_at=case.closed_at, provisional=case.provisional,
                   stopped_days=case.stopped_days, extended_days=case.extended_days,
                   deemed_pending=case.deemed_pending, applicant_key=case.applicant_key,
                   id=case.id)


@dataclass(frozen=True)
class StepView:
    id: str
    case_number: str
    name: str
    post: str | None
    assignee: str | None
    status: str

    @classmethod
    def of(cls, step: StepRecord) -> StepView:
        return cls(step.id, step.case_number, step.name, step.post, step.assignee,
                   step.status.value)


@dataclass(frozen=True)
class ExtensionView:
    days: int
    reason: str
    requested_by: str
    decision: str | None
    decided_by: str | None
    decision_reason: str | None

    @classmethod
    def of(cls, ext: Extension) -> ExtensionView:
        return cls(ext.days, ext.reason, ext.requested_by, ext.decision, ext.decided_by,
                   ext.decision_reason)


@dataclass(frozen=True)
class TaskView:
    """One line of a person's task list (待办)."""

    id: str
    case_number: str
    power_code: str
    name: str
    post: str | None
    assignee: str | None
    ready_at: datetime
    due_day: date | None
    working_days_left: int | None  # today and the last day included; negative: overdue by that many
    mark: str | None  # "red" past its limit, "yellow" on its last day, else None


def work_list(env: Env, actor: Actor, *, limit: int = 500) -> list[TaskView]:
    """The steps waiting for this person: those claimed by them and those of their posts in
    their units, least working time left first — one query, then the unit check per power."""
    from engine.services.cases import step_unit_of

    posts = sorted({p.partition("@")[0] for p in actor.posts})
    cal = env.calendar()
    today = cal.local_date(env.now())
    with env.uow() as uow:
        rows = uow.steps.list(posts_or_claimant=(posts, actor.login), by_due=True, limit=limit)
        units = {code: step_unit_of(uow, code) for code in {s.power_code for s in rows}}
    return [task_line(cal, s, today) for s in rows
            if s.assignee == actor.login or (  # else: another unit's post of the same name,
                not s.assignee and actor.holds(s.post, s.department or units[s.power_code]))]


def task_line(cal: Any, s: StepRecord, today: date) -> TaskView:
    """A waiting step as a task list shows it: working days left (today and the last day
    included; negative when overdue) and its red/yellow mark."""
    left, mark = None, None
    if s.due_day is not None:
        day = timedelta(days=1)
        if s.due_day >= today:
            left = cal.working_days_between(today, s.due_day + day)
            mark = "yellow" if s.due_day == today else None
        else:
            left = -cal.working_days_between(s.due_day + day, today + day)
            mark = "red"
    return TaskView(s.id, s.case_number, s.power_code, s.name, s.post, s.assignee, s.ready_at,
                    s.due_day, left, mark)


@dataclass(frozen=True)
class StepForm:
    """A step with the form fields its BPMN file declares: what a complete-step page shows
    (what is sent is typed and refused by ``complete_task`` alone)."""

    case_number: str
    step_id: str
    name: str
    post: str | None
    assignee: str | None
    status: str
    role: str | None
    ready_at: datetime
    unit: str
    fields: tuple[Any, ...]  # engine.formfields.FormField


def step_form(env: Env, number: str, step_id: str, *, reader: Actor | None = None) -> StepForm:
    from engine.errors import NotFound
    from engine.formfields import step_fields
    from engine.services.cases import check_reader, find_case

    case = find_case(env, number)
    check_reader(env, case, reader, case.power.unit)
    step = next((s for s in case.steps if s.id == step_id), None)
    if step is None:
        raise NotFound(f"办件 {number} 没有这个环节 (no such step)")
    return StepForm(case_number=case.number, step_id=step.id, name=step.name, post=step.post,
                    assignee=step.assignee, status=step.status.value, role=step.role,
                    ready_at=step.ready_at, unit=step.department or case.power.unit,
                    fields=step_fields(case.setting.spec, step.spec_id))


def open_step_forms(env: Env, number: str) -> list[StepForm]:
    """The case's waiting steps, each with its form."""
    from engine.services.cases import find_case

    case = find_case(env, number)
    return [step_form(env, number, s.id) for s in case.open_steps()]
