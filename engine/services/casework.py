"""Working on one case inside one transaction: load, change, sync step rows, audit, save.

``CaseWork`` is what every case use case goes through. It loads the case and (lazily) its
workflow, records audit events, keeps the step rows (the task list) and the due rows (timers) in
step with the workflow after every change, and saves with an optimistic version check so that
two people completing the same step cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import deadlines
from engine.audit import next_event
from engine.catalogue import Power
from engine.errors import InvalidAction
from engine.model import (
    RESULT_TO_STATE, ApplicantFlag, Breach, BreachKind, Case, CaseState, ClockState, ClockStop, StepRecord,
    TaskStatus, Timer, TimerKind, TimerStatus,
)
from engine.ports import UnitOfWork
from engine.runtime import Runtime
from engine.services.context import Env


class CaseWork:
    """One case, loaded in one unit of work, changed by one use case."""

    def __init__(self, env: Env, uow: UnitOfWork, case: Case, now: datetime, actor: str) -> None:
        self.env = env
        self.uow = uow
        self.case = case
        self.now = now
        self.actor = actor
        self._runtime: Runtime | None = None
        self._definition = uow.definitions.get(case.definition_id)
        self.power = Power.from_dict(self._definition.power)
        self.calendar = env.calendar()

    @classmethod
    def load(cls, env: Env, uow: UnitOfWork, number: str, now: datetime, actor: str,
             *, lock: bool = False) -> CaseWork:
        return cls(env, uow, uow.cases.get(number, lock=lock), now, actor)

    # -- workflow -------------------------------------------------------------------------

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.load(self.case.workflow_state, self._definition.spec)
        return self._runtime

    def start_runtime(self, data: dict[str, Any]) -> None:
        self._runtime = Runtime.start(self._definition.spec, data)

    # -- audit ----------------------------------------------------------------------------

    def event(self, what: str, /, **payload: Any) -> None:
        assert self.case.id is not None
        previous = self.uow.audit.last(self.case.id)
        event = next_event(previous, self.case.id, self.now, self.actor, what, payload)
        self.uow.audit.append(event)
        # The chain's head is also kept on the case row, so deleting the latest events (which
        # leaves a shorter but consistent chain) is detected too.
        self.case.data["audit_head"] = [event.seq, event.hash]

    # -- steps ----------------------------------------------------------------------------

    def open_steps(self) -> list[StepRecord]:
        assert self.case.id is not None
        return self.uow.steps.list(case_id=self.case.id, status=TaskStatus.READY.value)

    def open_step_with_role(self, role: str) -> StepRecord | None:
        return next((s for s in self.open_steps() if s.role == role), None)

    def complete_step(self, step: StepRecord, data: dict[str, Any], *, outcome: str = "done",
                      person: str | None = None) -> None:
        """Complete a step in the workflow, then bring rows, timers and state up to date."""
        self.runtime.complete(step.id, data)
        step.status = TaskStatus.COMPLETED
        step.completed_at = self.now
        step.completed_by = person or self.actor
        step.assignee = step.assignee or step.completed_by
        step.outcome = outcome
        step.opinion = str(data.get("opinion")) if data.get("opinion") is not None else None
        step.data = {k: v for k, v in data.items() if k != "opinion"}
        self.uow.steps.save(step)
        self._cancel_timers(task_id=step.id)
        self.event("step_completed", step=step.name, post=step.post, task_id=step.id,
                   outcome=outcome, data=data)
        if not step.counted:
            self.end_stop(kind="special", result=str(data.get("result") or data.get("opinion")
                                                      or "完成"), task_id=step.id)
        if step.role == "decision" and self.case.clock == ClockState.RUNNING:
            self.stop_case_clock(str(data.get("decision", "")))
        self.sync()

    def stop_case_clock(self, decision: str) -> None:
        """The decision is made: the case clock stops (the certificate step keeps its own limit,
        ALL Art. 44), so a licence issued on time is never carded for a later follow-up."""
        assert self.case.id is not None
        self.case.clock = ClockState.STOPPED
        for timer in self.uow.timers.for_case(self.case.id):
            if timer.task_id is None and timer.kind in deadlines.CASE_TIMER_KINDS:
                timer.status = TimerStatus.CANCELLED
                self.uow.timers.save(timer)
        self.event("decided", decision=decision,
                   promised_due=self.case.promised_day.isoformat() if self.case.promised_day else None,
                   on_time=bool(self.case.promised_due and self.now < self.case.promised_due))

    def sync(self) -> None:
        """Make step rows match the workflow's ready tasks; settle the case when it ends."""
        ready = {t.id: t for t in self.runtime.ready_tasks()}
        for row in self.open_steps():
            if row.id not in ready:
                row.status = TaskStatus.CANCELLED
                row.outcome = row.outcome or "cancelled"
                row.completed_at = self.now
                self.uow.steps.save(row)
                self._cancel_timers(task_id=row.id)
        known = {s.id for s in self.open_steps()}
        for task in ready.values():
            if task.id not in known:
                self._new_step(task.id, task.spec_id, task.name, task.lane)
        if self.runtime.completed:
            self._settle()
        self.case.workflow_state = self.runtime.state()

    def _new_step(self, task_id: str, spec_id: str, name: str, lane: str | None) -> None:
        meta = self.power.step(spec_id)
        assert self.case.id is not None
        row = StepRecord(
            id=task_id, case_id=self.case.id, case_number=self.case.number, spec_id=spec_id,
            name=name, post=(meta.post if meta else None) or lane, role=meta.role if meta else None,
            ready_at=self.now, limit_days=meta.time_limit if meta else None,
            counted=meta.counted if meta else True,
            department=meta.department if meta else None, power_code=self.case.power_code,
        )
        if row.limit_days is not None:
            due = self.calendar.deadline(self.now, row.limit_days)
            row.due_at, row.due_day = due.at, due.day
            self.case.provisional = self.case.provisional or due.provisional
        self.uow.steps.add(row)
        self.event("step_ready", step=name, post=row.post, task_id=task_id,
                   due=row.due_day.isoformat() if row.due_day else None)
        self.schedule_step_timers(row)
        if meta and not meta.counted:
            self.start_stop(kind="special", reason=f"{meta.special or '特别程序'}：{name}",
                            special=meta.special, expected_days=meta.time_limit, task_id=task_id)
        if meta and meta.organ == "higher" and not self.case.data.get("forwarded_at"):
            self.forward_to_higher_organ()
        if meta and meta.role == "decision" and self.case.deemed_pending:
            self.fire_deemed(pending=True,
                             deadline_kind=str(self.case.data.get("deemed_kind", "promised")))

    def forward_to_higher_organ(self) -> None:
        """上报件 (ALL Art. 43): the higher organ's limit runs from its receipt."""
        self.case.data["forwarded_at"] = self.now.isoformat()
        if self.power.statutory_limit is not None:
            due = self.calendar.deadline(self.now, self.power.statutory_limit)
            self.case.statutory_due, self.case.statutory_day = due.at, due.day
        self.event("forwarded_to_higher_organ",
                   statutory_due=self.case.statutory_day.isoformat()
                   if self.case.statutory_day else None)
        self.schedule_case_timers()

    def _settle(self) -> None:
        end = self.runtime.reached_end()
        result = dict(self.power.end_results).get(end or "", None) or "completed"
        if self.case.deemed and result == "approved":
            result = "deemed_approved"
        self.case.result = result
        state = RESULT_TO_STATE.get(result, CaseState.COMPLETED)
        if state == CaseState.APPROVED and self.case.data.get("gaps"):
            state = CaseState.APPROVED_WITH_GAPS
        self.case.state = state
        self.case.clock = ClockState.STOPPED
        self.case.closed_at = self.now
        self._cancel_timers()
        if result == "revoked":
            self.flag_applicant("false_commitment",
                                "告知承诺不实，许可决定被撤销（告知承诺制）")
        self.event("case_closed", result=result, state=state.value, end_event=end)

    # -- timers ---------------------------------------------------------------------------

    def _cancel_timers(self, task_id: str | None = None) -> None:
        assert self.case.id is not None
        for timer in self.uow.timers.for_case(self.case.id):
            if task_id is None or timer.task_id == task_id:
                timer.status = TimerStatus.CANCELLED
                self.uow.timers.save(timer)

    def _add_timer(self, kind: TimerKind, due: datetime, task_id: str | None = None) -> None:
        assert self.case.id is not None
        paused = self.case.clock == ClockState.SUSPENDED and kind not in (
            TimerKind.RENEWAL_EXPIRY, TimerKind.MAKEUP_DUE)
        self.uow.timers.add(Timer(case_id=self.case.id, kind=kind, due_at=due, task_id=task_id,
                                  status=TimerStatus.PAUSED if paused else TimerStatus.PENDING))

    def schedule_step_timers(self, row: StepRecord) -> None:
        if row.limit_days is None or row.due_at is None:
            return
        if row.role in ("supplement", "makeup"):
            return  # the applicant's time, not an official's: no card against the window
        original = self.calendar.add_working_days(self.calendar.local_date(row.ready_at),
                                                  row.limit_days)
        moved = (self.calendar.working_days_between(original, row.due_day)
                 if row.due_day is not None and row.due_day > original else 0)
        warn = deadlines.warning_at(self.calendar, row.ready_at, row.limit_days,
                                    self.env.rules.warning_share, shift=moved)
        if warn is not None:
            self._add_timer(TimerKind.STEP_WARNING, warn, row.id)
        self._add_timer(TimerKind.STEP_OVERDUE, row.due_at, row.id)

    def schedule_case_timers(self) -> None:
        """(Re)create the case-level due rows from the case's current deadlines."""
        assert self.case.id is not None
        for timer in self.uow.timers.for_case(self.case.id):
            if timer.task_id is None and timer.kind in deadlines.CASE_TIMER_KINDS:
                timer.status = TimerStatus.CANCELLED
                self.uow.timers.save(timer)
        c = self.case
        if c.promised_due is not None and c.accepted_at is not None:
            limit = self.power.promised_limit or 0
            warn = deadlines.warning_at(self.calendar, c.accepted_at, limit,
                                        self.env.rules.warning_share,
                                        shift=c.stopped_days + c.extended_days)
            if warn is not None and warn < c.promised_due:
                self._add_timer(TimerKind.CASE_WARNING, warn)
            self._add_timer(TimerKind.CASE_OVERDUE, c.promised_due)
        if c.statutory_due is not None:
            self._add_timer(TimerKind.STATUTORY_OVERDUE, c.statutory_due)
        expiry = c.data.get("licence_expires_at")
        if self.power.renewal and expiry:
            self._add_timer(TimerKind.RENEWAL_EXPIRY, datetime.fromisoformat(expiry))

    def reschedule_all(self) -> None:
        """After the deadlines moved: new due rows for the case and every open step; any other
        row the stop had paused runs again."""
        self.schedule_case_timers()
        for row in self.open_steps():
            self._cancel_timers(task_id=row.id)
            self.schedule_step_timers(row)
        if self.case.clock == ClockState.RUNNING:
            assert self.case.id is not None
            for timer in self.uow.timers.for_case(self.case.id, ("paused",)):
                timer.status = TimerStatus.PENDING
                self.uow.timers.save(timer)

    # -- clock stops ----------------------------------------------------------------------

    def start_stop(self, *, kind: str, reason: str, basis: str = "", special: str | None = None,
                   expected_days: int | None = None, task_id: str | None = None) -> ClockStop:
        assert self.case.id is not None
        if any(s.ended_at is None for s in self.uow.stops.for_case(self.case.id)):
            raise InvalidAction(f"case {self.case.number}: the clock is already stopped; "
                                f"resume it first")
        stop = ClockStop(case_id=self.case.id, kind=kind, reason=reason, basis=basis,
                         special=special, expected_days=expected_days, started_at=self.now,
                         started_by=self.actor, task_id=task_id)
        self.uow.stops.add(stop)
        if self.case.clock == ClockState.RUNNING:
            self.case.clock = ClockState.SUSPENDED
            self.case.suspended_since = self.now
            for timer in self.uow.timers.for_case(self.case.id, ("pending",)):
                if timer.kind in (TimerKind.RENEWAL_EXPIRY, TimerKind.MAKEUP_DUE) or (
                        task_id and timer.task_id == task_id):
                    continue  # the stopping step keeps its own expected duration
                timer.status = TimerStatus.PAUSED
                self.uow.timers.save(timer)
        if kind == "special":
            self.case.state = CaseState.IN_SPECIAL
        elif kind == "supplement":
            self.case.state = CaseState.IN_CORRECTION
        self.event("clock_stopped", kind=kind, reason=reason, basis=basis, special=special,
                   expected_days=expected_days)
        return stop

    def end_stop(self, *, kind: str | None = None, result: str | None = None,
                 task_id: str | None = None) -> ClockStop | None:
        assert self.case.id is not None
        open_stops = [s for s in self.uow.stops.for_case(self.case.id) if s.ended_at is None]
        stop = next((s for s in open_stops if (kind is None or s.kind == kind)
                     and (task_id is None or s.task_id in (None, task_id))), None)
        if stop is None:
            return None
        stopped = 0
        if self.case.clock == ClockState.SUSPENDED:
            stopped = self.calendar.working_days_between(
                self.calendar.local_date(stop.started_at), self.calendar.local_date(self.now))
        stop.ended_at, stop.ended_by, stop.result, stop.working_days = (
            self.now, self.actor, result, stopped)
        self.uow.stops.save(stop)
        if self.case.clock == ClockState.SUSPENDED:
            self.case.clock = ClockState.RUNNING
            self.case.suspended_since = None
            self.case.stopped_days += stopped
            self._shift_deadlines(stopped, except_task=stop.task_id)
        if self.case.state in (CaseState.IN_SPECIAL, CaseState.IN_CORRECTION):
            self.case.state = CaseState.ACCEPTED if self.case.accepted_at else CaseState.RECEIVED
        self.event("clock_resumed", kind=stop.kind, reason=stop.reason, result=result,
                   working_days_stopped=stopped,
                   promised_due=self.case.promised_day.isoformat() if self.case.promised_day else None,
                   statutory_due=self.case.statutory_day.isoformat() if self.case.statutory_day else None)
        return stop

    def _shift_deadlines(self, days: int, except_task: str | None = None) -> None:
        c = self.case
        if days:
            for attr in ("promised", "statutory"):
                due_at, day = getattr(c, f"{attr}_due"), getattr(c, f"{attr}_day")
                if due_at is not None and day is not None:
                    moved = self.calendar.shift(deadlines.as_deadline(due_at, day), days)
                    setattr(c, f"{attr}_due", moved.at)
                    setattr(c, f"{attr}_day", moved.day)
            for row in self.open_steps():
                if row.id != except_task and row.due_at is not None and row.due_day is not None:
                    moved = self.calendar.shift(deadlines.as_deadline(row.due_at, row.due_day), days)
                    row.due_at, row.due_day = moved.at, moved.day
                    self.uow.steps.save(row)
        self.reschedule_all()

    # -- deemed approval ------------------------------------------------------------------

    def fire_deemed(self, *, pending: bool = False, deadline_kind: str = "promised") -> bool:
        """Take the deemed-approval path of the decision step; False if it is not reachable yet."""
        timers = [t for t in self.power.timers if t.deadline == deadline_kind]
        open_by_spec = {s.spec_id: s for s in self.open_steps()}
        for timer in timers:
            held = open_by_spec.get(timer.attached_to)
            if held is None:
                continue
            if self.runtime.fire_timer(timer.id):
                held.status = TaskStatus.CANCELLED
                held.outcome = "deemed"
                held.completed_at = self.now
                self.uow.steps.save(held)
                self._cancel_timers(task_id=held.id)
                self.case.deemed = True
                self.case.deemed_pending = False
                if self.case.clock == ClockState.RUNNING:
                    self.stop_case_clock("deemed")
                self.event("deemed_approved" if deadline_kind != "renewal" else "deemed_renewed",
                           step=held.name, post=held.post, person=held.assignee,
                           timer=timer.id, was_pending=pending)
                self.sync()
                return True
        return False

    def breach(self, kind: BreachKind, facts: str, step: StepRecord | None = None,
               person: str | None = None) -> None:
        assert self.case.id is not None
        added = self.uow.breaches.add(Breach(
            case_id=self.case.id, case_number=self.case.number, kind=kind, occurred_at=self.now,
            facts=facts, task_id=step.id if step else None, step_name=step.name if step else None,
            post=step.post if step else None,
            person=person or (step.assignee if step else None),
        ))
        if added:
            self.event("breach_recorded", kind=kind.value, facts=facts,
                       step=step.name if step else None, post=step.post if step else None,
                       person=person or (step.assignee if step else None))

    def flag_applicant(self, kind: str, reason: str) -> None:
        """Record against the applicant (失信: false commitment, 容缺 not made up)."""
        self.uow.flags.add(ApplicantFlag(applicant=self.case.applicant, kind=kind,
                                         case_number=self.case.number, at=self.now,
                                         reason=reason))
        self.event("applicant_flagged", applicant=self.case.applicant, flag=kind, reason=reason)

    # -- save -----------------------------------------------------------------------------

    def save(self) -> None:
        if self._runtime is not None:
            self.case.workflow_state = self._runtime.state()
        self.uow.cases.save(self.case)
