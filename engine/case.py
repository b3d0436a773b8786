"""The case (办件): the aggregate root that owns every part of an application and every rule on it.

A ``Case`` holds its steps (the task list rows), its due rows (timers), clock stops,
extensions, cards, breaches, the applicant flags and the audit events it raises, and its
SpiffWorkflow workflow (loaded lazily from the stored state). Every rule is a method here or in
the rule groups it is built from (engine/case_window.py: acceptance, refusal, one-time notice,
supplement, withdrawal; engine/case_clock.py: the clock, deadlines, stops, extensions, 容缺;
engine/case_supervision.py: cards, breaches, deemed approval and the due-row effects). A use case loads a case through the repository, calls one method, and saves it; the
repository writes only the parts that changed. Nothing here does I/O.

Every public method takes the time it acts at and who acts, and records both in the events.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.audit import next_event
from engine.audit_replay import record as record_supervised
from engine.calendar import WorkingCalendar
from engine.case_clock import ClockRules
from engine.case_retention import RetentionRules
from engine.case_supervision import SupervisionRules
from engine.case_window import WindowRules
from engine.catalogue import Power
from engine.deadlines import compute
from engine.errors import Conflict, InvalidAction, ScriptError
from engine.formdata import check_form_data
from engine.formfields import check_step_data
from engine.model import (
    RESULT_TO_STATE,
    ApplicantFlag,
    AuditEvent,
    Breach,
    Card,
    CaseState,
    ClockState,
    ClockStop,
    Extension,
    Rules,
    StepRecord,
    TaskStatus,
    Timer,
    TimerKind,
)

if TYPE_CHECKING:
    from engine.runtime import Runtime

QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the window


@dataclass(frozen=True)
class Setting:
    """What a case's rules need besides the case itself: the catalogue entry and the spec of the
    power version it runs, the working calendar and the local rules."""

    power: Power
    spec: dict[str, Any]
    calendar: WorkingCalendar
    rules: Rules


@dataclass(eq=False)
class Case(WindowRules, ClockRules, SupervisionRules, RetentionRules):
    """An application (办件) and everything the record must show about it."""

    number: str
    query_code: str
    power_code: str
    definition_id: int
    process_id: str
    applicant: str
    received_at: datetime
    mode: str
    state: CaseState = CaseState.RECEIVED
    clock: ClockState = ClockState.NOT_STARTED
    channel: str = "window"
    accepted_at: datetime | None = None
    deemed_accepted: bool = False  # ALL Art. 32: counted as accepted from receipt
    promised: Any = None  # Deadline | None: the promised limit (承诺时限)
    statutory: Any = None  # Deadline | None: the statutory limit (法定时限)
    suspended_since: datetime | None = None
    stopped_days: int = 0  # working days the case clock has stood still
    extended_days: int = 0
    result: str | None = None
    deemed: bool = False
    deemed_pending: bool = False
    closed_at: datetime | None = None
    # when its personal data was erased, its retention over (engine/services/retention.py)
    erased_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)  # application data and flags
    workflow_state: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # optimistic lock
    id: int | None = None
    # parts of the aggregate
    steps: list[StepRecord] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)  # pending, paused and failed due rows
    stops: list[ClockStop] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    # raised by this unit of work, written by the repository on save
    new_events: list[AuditEvent] = field(default_factory=list)
    new_flags: list[ApplicantFlag] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._setting: Setting | None = None
        self._runtime: Runtime | None = None
        self._workflow_json: str | None = None  # the state as saved next, made by flush_workflow
        self._now: datetime = self.received_at
        self._actor: str = "system"
        self._actor_name: str | None = None  # the acting user's name, recorded beside the login
        self._written_at: datetime | None = None  # the wall clock of this unit of work

    # -- set-up -------------------------------------------------------------------------------

    def attach(self, setting: Setting) -> Case:
        """Give the case what its rules need (the repository's caller does this after loading)."""
        self._setting = setting
        return self

    @property
    def setting(self) -> Setting:
        if self._setting is None:
            raise RuntimeError(f"case {self.number} was used before its setting was attached")
        return self._setting

    @property
    def power(self) -> Power:
        return self.setting.power

    @property
    def calendar(self) -> WorkingCalendar:
        return self.setting.calendar

    @property
    def rules(self) -> Rules:
        return self.setting.rules

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def applicant_key(self) -> str:
        """Who the applicant is for records about them (失信 flags): certificate type and
        number; the name only for cases registered before certificates were required."""
        cert = self.data.get("applicant_id")  # a marker string once erased (engine/personal.py)
        return f"{cert['type']}:{cert['number']}" if isinstance(cert, dict) else self.applicant

    def stamp(self, *, actor_name: str | None, written_at: datetime | None) -> None:
        """What every event of this unit of work also records: the acting user's name (the
        login is the event's actor) and the wall-clock time it was written."""
        self._actor_name, self._written_at = actor_name, written_at

    def _act(self, now: datetime, actor: str) -> None:
        if not actor or not actor.strip():
            raise InvalidAction("who acts is empty: every action names the person who takes it")
        self._now, self._actor = now, actor

    # -- read-only views kept for readers of the old record shape ------------------------------

    @property
    def promised_due(self) -> datetime | None:
        return self.promised.at if self.promised else None

    @property
    def promised_day(self) -> Any:
        return self.promised.day if self.promised else None

    @property
    def statutory_due(self) -> datetime | None:
        return self.statutory.at if self.statutory else None

    @property
    def statutory_day(self) -> Any:
        return self.statutory.day if self.statutory else None

    @property
    def provisional(self) -> bool:
        """Some deadline of the case was counted over a year with no State Council schedule."""
        return any(d is not None and d.provisional for d in self._deadlines())

    def _deadlines(self) -> list[Any]:
        return [self.promised, self.statutory] + [s.due for s in self.open_steps()]

    # -- workflow -----------------------------------------------------------------------------

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from engine.runtime import Runtime  # SpiffWorkflow: loaded when a workflow is needed

            self._runtime = Runtime.load(self.workflow_state, self.setting.spec)
        return self._runtime

    def live_key(self) -> tuple[int, str]:
        """What identifies the stored state exactly: the version and the audit chain's head
        (a restored backup may repeat a version, never a chain head with other content)."""
        head = self.data.get("audit_head") or [0, ""]
        return self.version, str(head[1])

    def loaded_runtime(self) -> Runtime | None:
        return self._runtime

    def adopt_runtime(self, runtime: Runtime) -> None:
        """Use a live workflow whose state is exactly the stored one (the caller checked)."""
        self._runtime = runtime

    def saved(self) -> None:
        """The repository wrote the case: events and flags are stored, spent due rows are gone
        from the aggregate (their history is in the trail)."""
        self.new_events.clear()
        self.new_flags.clear()
        self._workflow_json = None
        self.timers = [t for t in self.timers if t.status.value in ("pending", "paused", "failed")]
        self.steps.sort(key=lambda s: (s.ready_at, s.id))  # the order a load gives

    def flush_workflow(self) -> None:
        """Before saving (every store calls it first): record what changed of what supervisors
        read as one audit event (engine/audit_replay.py; nothing when the service recorded it
        already with the notices it queues), and serialize the workflow into
        ``workflow_state`` if it was loaded.

        A script may leave a value no record can hold (a set, a date object, NaN): that is the
        process's fault, said in the process's terms, and nothing is saved."""
        record_supervised(self)
        if self._runtime is not None:
            state = self._runtime.state()
            try:
                text = json.dumps(state, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as err:
                raise ScriptError(
                    f"case {self.number}: a script or condition of {self.power.name} left a value "
                    f"that cannot be recorded ({err}); nothing was saved — the process's scripts "
                    f"may store only text, numbers, true/false, lists and objects") from None
            self.workflow_state = state
            self._workflow_json = text

    def workflow_json(self) -> str:
        """The workflow state as compact JSON (made once per save when the workflow ran)."""
        text = self._workflow_json
        if text is None:
            text = json.dumps(self.workflow_state, separators=(",", ":"), allow_nan=False)
        return text

    # -- audit ----------------------------------------------------------------------------

    def event(self, what: str, /, **payload: Any) -> None:
        head = self.data.get("audit_head")
        previous = (AuditEvent(self.id or 0, head[0], self._now, "", "", {}, "", head[1])
                    if head else None)
        if self._written_at is not None:
            payload["written_at"] = self._written_at.isoformat(timespec="seconds")
        if self._actor_name and self._actor != "system":
            payload["actor_name"] = self._actor_name
        event = next_event(previous, self.id or 0, self._now, self._actor, what, payload)
        self.new_events.append(event)
        # The chain's head is also kept on the case row, so deleting the latest events (which
        # leaves a shorter but consistent chain) is detected too.
        self.data["audit_head"] = [event.seq, event.hash]

    # -- starting a case ----------------------------------------------------------------------

    @classmethod
    def receive(cls, setting: Setting, *, number: str, definition_id: int, applicant: str,
                data: dict[str, Any], channel: str, received_at: datetime,
                licence_expires_at: datetime | None = None) -> Case:
        """收件: a new case on a power version, checked but not started: the repository gives it
        its identity (``add``) and then ``start`` runs its workflow to the first step."""
        if not applicant.strip():
            raise InvalidAction("the applicant's name is empty", field="applicant")
        check_form_data("application", data, setting.rules)
        power = setting.power
        case = cls(number=number, query_code="".join(secrets.choice(QUERY_ALPHABET)
                                                     for _ in range(8)),
                   power_code=power.code, definition_id=definition_id,
                   process_id=power.process_id, applicant=applicant.strip(),
                   received_at=received_at, mode=power.mode, channel=channel,
                   data={"application": data})
        case.attach(setting)
        if licence_expires_at is not None:
            case.data["licence_expires_at"] = licence_expires_at.isoformat()
            case.check_renewal_in_time(licence_expires_at)
        return case

    def start(self, *, now: datetime, actor: str, version: int) -> None:
        """Run the new case's workflow to its first step; the Art. 32 notice clock starts."""
        self._act(now, actor)
        data = self.data["application"]
        self.event("received", power=self.power.code, power_name=self.power.name,
                   version=version, applicant=self.applicant, channel=self.channel, data=data,
                   renewal_deemable=self.data.get("renewal_deemable"))
        from engine.runtime import Runtime

        self._runtime = Runtime.start(self.setting.spec, data)
        self.sync()
        if self.state.is_open and self.open_step_with_role("acceptance"):
            notice = compute(self.calendar, self.received_at, self.rules.acceptance_notice_days)
            self.add_timer(TimerKind.ACCEPTANCE_DUE, notice.at)

    # -- steps ----------------------------------------------------------------------------

    def open_steps(self) -> list[StepRecord]:
        return sorted((s for s in self.steps if s.status == TaskStatus.READY),
                      key=lambda s: (s.ready_at, s.id))

    def open_step_with_role(self, role: str) -> StepRecord | None:
        return next((s for s in self.open_steps() if s.role == role), None)

    def step(self, step_id: str) -> StepRecord:
        found = next((s for s in self.steps if s.id == step_id), None)
        if found is None:
            raise InvalidAction(f"step {step_id} is not part of case {self.number}")
        return found

    def require_open(self) -> None:
        if not self.state.is_open:
            raise InvalidAction(
                f"case {self.number} is {self.state.label} ({self.state.value}); "
                f"nothing more can be done on it")

    def claim(self, step_id: str, *, now: datetime, user: str) -> StepRecord:
        self._act(now, user)
        row = self.step(step_id)
        if row.status != TaskStatus.READY:
            raise Conflict(f"step {row.name} of case {self.number} is already {row.status.value}")
        if row.assignee and row.assignee != user:
            raise Conflict(f"step {row.name} of case {self.number} is claimed by {row.assignee}")
        row.assignee = user
        self.event("step_claimed", step=row.name, post=row.post, task_id=row.id, user=user)
        return row

    def release(self, step_id: str, *, now: datetime, user: str, reason: str = "") -> StepRecord:
        """Hand a claimed step back to its post (the holder, or someone reassigning it)."""
        self._act(now, user)
        row = self.step(step_id)
        if row.status != TaskStatus.READY or row.assignee is None:
            raise InvalidAction(f"step {row.name} of case {self.number} is not claimed")
        held_by = row.assignee
        row.assignee = None
        self.event("step_released", step=row.name, post=row.post, task_id=row.id,
                   held_by=held_by, by=user, reason=reason)
        return row

    def reassign(self, step_id: str, *, now: datetime, by: str, to: str, to_name: str,
                 reason: str) -> StepRecord:
        """转办: the post's leader gives a waiting step to another holder of the post."""
        self._act(now, by)
        self.require_open()
        row = self.step(step_id)
        if row.status != TaskStatus.READY:
            raise Conflict(f"step {row.name} of case {self.number} is already {row.status.value}")
        held_by = row.assignee
        row.assignee = to
        self.event("step_reassigned", step=row.name, post=row.post, task_id=row.id,
                   held_by=held_by, to=to, to_name=to_name, reason=reason)
        return row

    def complete(self, step_id: str, *, now: datetime, user: str,
                 data: dict[str, Any]) -> None:
        """Complete a step with its form data (a person at the step's post)."""
        self._act(now, user)
        self.require_open()
        row = self.step(step_id)
        if row.status != TaskStatus.READY:
            raise Conflict(
                f"step “{row.name}” of case {self.number} was already {row.status.value} "
                f"by {row.completed_by or 'the system'}; nothing was changed — reload the task list")
        if row.assignee and row.assignee != user:
            raise Conflict(f"step “{row.name}” of case {self.number} is claimed by "
                           f"{row.assignee}; ask them to finish it or to release it",
                           field="assignee")
        check_form_data(f"step “{row.name}”", data, self.rules)
        data = check_step_data(self.setting, row, data)
        if row.role == "acceptance":
            if data.get("acceptance") == "accept":
                self.accept(now=now, actor=user, note=str(data.get("opinion") or ""), data=data)
                return
            if data.get("acceptance") not in ("refuse", "supplement"):
                raise InvalidAction("the acceptance step is done by accepting the case, refusing "
                                    "to accept it, or asking once for supplements")
        if row.role == "decision" and data.get("decision") not in ("approve", "refuse"):
            given = f", not {data['decision']!r}" if "decision" in data else ""
            raise InvalidAction(f"the decision step “{row.name}” needs the field decision = "
                                f"approve (准予) or refuse (不予){given}", field="decision")
        self.complete_step(row, data, person=user)

    def complete_step(self, step: StepRecord, data: dict[str, Any], *, outcome: str = "done",
                      person: str | None = None) -> None:
        """Complete a step in the workflow, then bring rows, timers and state up to date."""
        self.runtime.complete(step.id, data)
        step.status = TaskStatus.COMPLETED
        step.completed_at = self._now
        step.completed_by = person or self._actor
        step.assignee = step.assignee or step.completed_by
        step.outcome = outcome
        step.opinion = str(data.get("opinion")) if data.get("opinion") is not None else None
        step.data = {k: v for k, v in data.items() if k != "opinion"}
        self.cancel_timers(task_id=step.id)
        self.event("step_completed", step=step.name, post=step.post, task_id=step.id,
                   outcome=outcome, data=data)
        if not step.counted:
            self.end_stop(kind="special", result=str(data.get("result") or data.get("opinion")
                                                      or "完成"), task_id=step.id)
        if step.role == "decision" and self.clock == ClockState.RUNNING:
            self.stop_case_clock(str(data.get("decision", "")))
        self.sync()

    def sync(self) -> None:
        """Make step rows match the workflow's ready tasks; settle the case when it ends."""
        ready = {t.id: t for t in self.runtime.ready_tasks()}
        for row in self.open_steps():
            if row.id not in ready:
                row.status = TaskStatus.CANCELLED
                row.outcome = row.outcome or "cancelled"
                row.completed_at = self._now
                self.cancel_timers(task_id=row.id)
        known = {s.id for s in self.steps}
        for task in ready.values():
            if task.id not in known:
                self._new_step(task.id, task.spec_id, task.name, task.lane)
        if self.runtime.completed:
            self._settle()

    def _new_step(self, task_id: str, spec_id: str, name: str, lane: str | None) -> None:
        meta = self.power.step(spec_id)
        row = StepRecord(
            id=task_id, case_id=self.id or 0, case_number=self.number, spec_id=spec_id,
            name=name, post=(meta.post if meta else None) or lane, role=meta.role if meta else None,
            ready_at=self._now, limit_days=meta.time_limit if meta else None,
            counted=meta.counted if meta else True,
            department=meta.department if meta else None, power_code=self.power_code,
        )
        if row.limit_days is not None:
            row.due = compute(self.calendar, self._now, row.limit_days, "环节时限")
        self.steps.append(row)
        self.event("step_ready", step=name, post=row.post, task_id=task_id,
                   due=row.due_day.isoformat() if row.due_day else None,
                   provisional=bool(row.due and row.due.provisional))
        self.schedule_step_timers(row)
        if meta and not meta.counted:
            self.start_stop(kind="special", reason=f"{meta.special or '特别程序'}：{name}",
                            special=meta.special, expected_days=meta.time_limit, task_id=task_id)
        if meta and meta.organ == "higher" and not self.data.get("forwarded_at"):
            self.forward_to_higher_organ()
        if meta and meta.role == "decision" and self.deemed_pending:
            self.fire_deemed(pending=True, deadline_kind=str(self.data.get("deemed_kind", "promised")))

    def _settle(self) -> None:
        end = self.runtime.reached_end()
        result = dict(self.power.end_results).get(end or "", None) or "completed"
        if self.deemed and result == "approved":
            result = "deemed_approved"
        self.result = result
        state = RESULT_TO_STATE.get(result, CaseState.COMPLETED)
        if state == CaseState.APPROVED and self.data.get("gaps"):
            state = CaseState.APPROVED_WITH_GAPS
        self.state = state
        self.clock = ClockState.STOPPED
        self.closed_at = self._now
        self.cancel_timers()
        if result == "revoked":
            self.flag_applicant("false_commitment", "告知承诺不实，许可决定被撤销（告知承诺制）")
        self.event("case_closed", result=result, state=state.value, end_event=end)

    # -- due rows -------------------------------------------------------------------------

    def pending_timers(self, *statuses: str) -> list[Timer]:
        wanted = statuses or ("pending", "paused")
        return [t for t in self.timers if t.status.value in wanted]

    def add_timer(self, kind: TimerKind, due: datetime, task_id: str | None = None) -> Timer:
        from engine.model import TimerStatus

        # While the clock is stopped new rows wait, except fixed dates and the rows of the step
        # that stopped it (a not-counted step is held to its own expected duration).
        stopping_step = task_id is not None and any(
            s.ended_at is None and s.task_id == task_id for s in self.stops)
        paused = (self.clock == ClockState.SUSPENDED and not stopping_step
                  and kind not in (TimerKind.RENEWAL_EXPIRY, TimerKind.MAKEUP_DUE,
                                   TimerKind.STOP_WARNING, TimerKind.STOP_OVERDUE))
        timer = Timer(case_id=self.id or 0, kind=kind, due_at=due, task_id=task_id,
                      status=TimerStatus.PAUSED if paused else TimerStatus.PENDING)
        self.timers.append(timer)
        return timer

    def cancel_timers(self, task_id: str | None = None, kind: TimerKind | None = None,
                      kinds: frozenset[TimerKind] | None = None, case_only: bool = False) -> None:
        from engine.model import TimerStatus

        for timer in self.pending_timers():
            if task_id is not None and timer.task_id != task_id:
                continue
            if case_only and timer.task_id is not None:
                continue
            if kind is not None and timer.kind != kind:
                continue
            if kinds is not None and timer.kind not in kinds:
                continue
            timer.status = TimerStatus.CANCELLED
