"""The case's clock rules: deadlines and their due rows, clock stops, extensions (延期), special
procedures (特别程序), accept with gaps (容缺受理), forwarding to a higher organ (上报件), deemed
renewal's time window, and recomputing deadlines when the calendar changes.

These are methods of the ``Case`` aggregate (engine/case.py), grouped here by idea.

- Extension (ALL Art. 42): asked with reasons before the statutory deadline; the head of the
  organ decides; at most 10 working days (15 for 联办件). An approved extension also moves the
  promised deadline by the same days, so it never triggers a red card or deemed approval.
  Asked after the deadline: refused and recorded as a breach.
- Special procedure (ALL Art. 45; OGI Arts. 32–33): started with its type, legal basis and
  expected duration (told to the applicant in writing); its time is not counted.
- 容缺受理: only non-key materials may be missing; the applicant signs a commitment; the
  make-up deadline is no later than the promised deadline; not made up in time → the case is
  terminated with a notice and the applicant flagged; a flagged applicant cannot be accepted
  with gaps again.
- Deemed renewal (ALL Art. 50): only an application made at least 30 days before the licence
  expires can be deemed renewed; an expired licence cannot be renewed at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.catalogue import SPECIAL_KINDS
from engine.deadlines import Deadline, compute, extend, recompute, stopped_days, warning_at
from engine.errors import InvalidAction, NotFound
from engine.model import (
    ApplicantFlag,
    BreachKind,
    CaseState,
    ClockState,
    ClockStop,
    Extension,
    StepRecord,
    TimerKind,
    TimerStatus,
)

if TYPE_CHECKING:
    from engine.case import Case

ART45_BASIS = "《中华人民共和国行政许可法》第四十五条"
STOP_TIMER_KINDS = frozenset({TimerKind.STOP_WARNING, TimerKind.STOP_OVERDUE})
CASE_TIMER_KINDS = frozenset({
    TimerKind.CASE_WARNING, TimerKind.CASE_OVERDUE, TimerKind.STATUTORY_OVERDUE,
    TimerKind.RENEWAL_EXPIRY,
})


class ClockRules:
    """Mixin of ``Case``: everything about time limits."""

    # -- the case clock and its due rows ----------------------------------------------------

    def stop_case_clock(self: Case, decision: str) -> None:
        """The decision is made: the case clock stops (the certificate step keeps its own limit,
        ALL Art. 44), so a licence issued on time is never carded for a later follow-up."""
        self.clock = ClockState.STOPPED
        self.cancel_timers(kinds=CASE_TIMER_KINDS, case_only=True)
        self.event("decided", decision=decision,
                   promised_due=self.promised.day.isoformat() if self.promised else None,
                   on_time=bool(self.promised and self.now < self.promised.at))

    def forward_to_higher_organ(self: Case) -> None:
        """上报件 (ALL Art. 43): the higher organ's limit runs from its receipt."""
        self.data["forwarded_at"] = self.now.isoformat()
        if self.power.statutory_limit is not None:
            self.statutory = compute(self.calendar, self.now, self.power.statutory_limit,
                                     "法定时限")
        self.event("forwarded_to_higher_organ",
                   statutory_due=self.statutory.day.isoformat() if self.statutory else None)
        self.schedule_case_timers()

    def schedule_step_timers(self: Case, row: StepRecord) -> None:
        if row.limit_days is None or row.due is None:
            return
        if row.role in ("supplement", "makeup"):
            return  # the applicant's time, not an official's: no card against the window
        warn = warning_at(self.calendar, row.due, row.limit_days, self.rules.warning_share)
        if warn is not None:
            self.add_timer(TimerKind.STEP_WARNING, warn, row.id)
        self.add_timer(TimerKind.STEP_OVERDUE, row.due.at, row.id)

    def schedule_case_timers(self: Case) -> None:
        """(Re)create the case-level due rows from the case's current deadlines."""
        self.cancel_timers(kinds=CASE_TIMER_KINDS, case_only=True)
        if self.promised is not None and self.accepted_at is not None:
            warn = warning_at(self.calendar, self.promised, self.power.promised_limit or 0,
                              self.rules.warning_share)
            if warn is not None and warn < self.promised.at:
                self.add_timer(TimerKind.CASE_WARNING, warn)
            self.add_timer(TimerKind.CASE_OVERDUE, self.promised.at)
        if self.statutory is not None:
            self.add_timer(TimerKind.STATUTORY_OVERDUE, self.statutory.at)
        expiry = self.data.get("licence_expires_at")
        if self.power.renewal and expiry and self.data.get("renewal_deemable", True):
            self.add_timer(TimerKind.RENEWAL_EXPIRY, datetime.fromisoformat(expiry))

    def reschedule_all(self: Case) -> None:
        """After the deadlines moved: new due rows for the case and every open step; any other
        row the stop had paused runs again."""
        self.schedule_case_timers()
        for row in self.open_steps():
            self.cancel_timers(task_id=row.id)
            self.schedule_step_timers(row)
        if self.clock == ClockState.RUNNING:
            for timer in self.pending_timers("paused"):
                timer.status = TimerStatus.PENDING

    # -- clock stops ------------------------------------------------------------------------

    def start_stop(self: Case, *, kind: str, reason: str, basis: str = "",
                   special: str | None = None, expected_days: int | None = None,
                   task_id: str | None = None) -> ClockStop:
        if any(s.ended_at is None for s in self.stops):
            raise InvalidAction(f"case {self.number}: the clock is already stopped; "
                                f"restart it first")
        stop = ClockStop(case_id=self.id or 0, kind=kind, reason=reason, basis=basis,
                         special=special, expected_days=expected_days, started_at=self.now,
                         started_by=self._actor, task_id=task_id)
        self.stops.append(stop)
        if self.clock == ClockState.RUNNING:
            self.clock = ClockState.SUSPENDED
            self.suspended_since = self.now
            for timer in self.pending_timers("pending"):
                if timer.kind in (TimerKind.RENEWAL_EXPIRY, TimerKind.MAKEUP_DUE) or (
                        task_id and timer.task_id == task_id):
                    continue  # the stopping step keeps its own expected duration
                timer.status = TimerStatus.PAUSED
        if kind == "special":
            self.state = CaseState.IN_SPECIAL
        elif kind == "supplement":
            self.state = CaseState.IN_CORRECTION
        expected = None
        if expected_days is not None and task_id is None:
            # A stopped clock must never silence supervision: a stop with an expected duration
            # is watched like any deadline (a not-counted step already is, by its own limit).
            expected = compute(self.calendar, self.now, expected_days, "中止计时预计期限")
            warn = warning_at(self.calendar, expected, expected_days, self.rules.warning_share)
            if warn is not None:
                self.add_timer(TimerKind.STOP_WARNING, warn)
            self.add_timer(TimerKind.STOP_OVERDUE, expected.at)
        self.event("clock_stopped", kind=kind, reason=reason, basis=basis, special=special,
                   expected_days=expected_days,
                   expected_end=expected.day.isoformat() if expected else None)
        return stop

    def end_stop(self: Case, *, kind: str | None = None, result: str | None = None,
                 task_id: str | None = None) -> ClockStop | None:
        open_stops = [s for s in self.stops if s.ended_at is None]
        stop = next((s for s in open_stops if (kind is None or s.kind == kind)
                     and (task_id is None or s.task_id in (None, task_id))), None)
        if stop is None:
            return None
        self.cancel_timers(kinds=STOP_TIMER_KINDS)
        moved: dict[str, int] = {}
        if self.clock == ClockState.SUSPENDED:
            moved = self._shift_for_stop(stop, except_task=stop.task_id)
        case_days = max([moved.get("promised", 0), moved.get("statutory", 0)])
        stop.ended_at, stop.ended_by, stop.result, stop.working_days = (
            self.now, self._actor, result, case_days)
        if self.clock == ClockState.SUSPENDED:
            self.clock = ClockState.RUNNING
            self.suspended_since = None
            self.stopped_days += case_days
            self.reschedule_all()
        if self.state in (CaseState.IN_SPECIAL, CaseState.IN_CORRECTION):
            self.state = CaseState.ACCEPTED if self.accepted_at else CaseState.RECEIVED
        self.event("clock_resumed", kind=stop.kind, reason=stop.reason, result=result,
                   working_days_stopped=case_days, moved=moved,
                   promised_due=self.promised.day.isoformat() if self.promised else None,
                   statutory_due=self.statutory.day.isoformat() if self.statutory else None)
        return stop

    def _shift_for_stop(self: Case, stop: ClockStop, except_task: str | None) -> dict[str, int]:
        """Move every running deadline by the working days the stop took of it."""
        moved: dict[str, int] = {}
        cal = self.calendar
        for attr in ("promised", "statutory"):
            deadline: Deadline | None = getattr(self, attr)
            if deadline is not None:
                days = stopped_days(cal, deadline, stop.started_at, self.now)
                setattr(self, attr, extend(cal, deadline, days))
                moved[attr] = days
        for row in self.open_steps():
            if row.id != except_task and row.due is not None:
                days = stopped_days(cal, row.due, stop.started_at, self.now)
                row.due = extend(cal, row.due, days)
                if days:
                    moved[f"step:{row.name}"] = days
        return moved

    def stop_clock(self: Case, *, now: datetime, actor: str, reason: str, kind: str = "manual",
                   special: str | None = None, basis: str = "",
                   expected_days: int | None = None) -> ClockStop:
        """Stop the clock (补正 during review, special procedure, …) with who and why."""
        self._act(now, actor)
        if not reason.strip():
            raise InvalidAction("stopping the clock needs a reason", field="reason")
        self.require_open()
        if self.clock != ClockState.RUNNING:
            why = ("the decision is made, so the case clock has already stopped"
                   if self.clock == ClockState.STOPPED else
                   "it is not accepted yet" if self.clock == ClockState.NOT_STARTED
                   else "it is already stopped")
            raise InvalidAction(f"case {self.number}: the clock cannot be stopped: {why}")
        return self.start_stop(kind=kind, reason=reason, basis=basis, special=special,
                               expected_days=expected_days)

    def restart_clock(self: Case, *, now: datetime, actor: str,
                      result: str | None = None) -> ClockStop:
        self._act(now, actor)
        self.require_open()
        stop = self.end_stop(result=result)
        if stop is None:
            raise InvalidAction(f"case {self.number}: the clock is not stopped")
        return stop

    # -- extension (延期) ----------------------------------------------------------------------

    def request_extension(self: Case, *, now: datetime, actor: str, reason: str,
                          days: int) -> Extension:
        self._act(now, actor)
        if not reason.strip():
            raise InvalidAction("an extension needs its reasons (they go to the applicant)",
                                field="reason")
        self.require_open()
        if self.clock == ClockState.STOPPED:
            raise InvalidAction(f"case {self.number}: the decision is made and the case clock "
                                f"has stopped; there is nothing to extend")
        if self.accepted_at is None or self.statutory is None:
            raise InvalidAction(f"case {self.number} has no statutory deadline to extend "
                                f"(not accepted yet, or the law sets no limit)")
        most = (self.rules.joint_extension_days if self.mode == "联办件"
                else self.rules.extension_days)
        if not 1 <= days <= most:
            raise InvalidAction(f"an extension is 1 to {most} working days for a {self.mode} "
                                f"(ALL Art. 42); {days} asked")
        if any(e.decision in (None, "approved") for e in self.extensions):
            raise InvalidAction(f"case {self.number} already has an extension requested or "
                                f"granted; the law allows one")
        ext = Extension(case_id=self.id or 0, requested_by=actor, requested_at=self.now,
                        reason=reason, days=days)
        self.extensions.append(ext)
        if self.now >= self.statutory.at:
            ext.decision, ext.decided_by, ext.decided_at = "refused", "system", self.now
            ext.decision_reason = (f"申请时已超过法定办结时限（{self.statutory.day}），"
                                   f"延期申请应在期限届满前提出")
            self.event("extension_requested", days=days, reason=reason, late=True)
            self.event("extension_refused", reason=ext.decision_reason)
            holder = self.open_steps()
            self.breach(BreachKind.LATE_EXTENSION,
                        f"法定时限 {self.statutory.day} 届满后才申请延期 {days} 个工作日：{reason}",
                        holder[0] if holder else None)
            return ext
        self.event("extension_requested", days=days, reason=reason)
        return ext

    def decide_extension(self: Case, *, now: datetime, actor: str, approve: bool,
                         reason: str) -> Extension:
        """The head of the organ (本行政机关负责人) approves or refuses; the applicant is told why."""
        self._act(now, actor)
        if not reason.strip():
            raise InvalidAction("the decision needs its reasons", field="reason")
        self.require_open()
        pending = [e for e in self.extensions if e.decision is None]
        if not pending:
            raise NotFound(f"case {self.number} has no extension request awaiting a decision")
        ext = pending[0]
        ext.decision = "approved" if approve else "refused"
        ext.decided_by, ext.decided_at, ext.decision_reason = actor, self.now, reason
        if approve:
            self.extended_days += ext.days
            for attr in ("statutory", "promised"):
                deadline = getattr(self, attr)
                if deadline is not None:
                    setattr(self, attr, extend(self.calendar, deadline, ext.days))
            self.schedule_case_timers()
        self.event("extension_decided", decision=ext.decision, by=actor, reason=reason,
                   statutory_due=self.statutory.day.isoformat() if self.statutory else None,
                   promised_due=self.promised.day.isoformat() if self.promised else None)
        self.event("applicant_notified", notice="延期决定告知书" if approve else "不予延期告知书",
                   text=f"{'准予' if approve else '不予'}延长办理期限 {ext.days} 个工作日；"
                        f"理由：{ext.reason}；决定：{reason}")
        return ext

    # -- special procedures (特别程序) ----------------------------------------------------------

    def start_special(self: Case, *, now: datetime, actor: str, kind: str, reason: str,
                      expected_days: int, basis: str = ART45_BASIS) -> ClockStop:
        self._act(now, actor)
        if kind not in SPECIAL_KINDS:
            raise InvalidAction(f"special procedure {kind!r} is not one of: "
                                f"{'、'.join(SPECIAL_KINDS)}")
        if expected_days < 1:
            raise InvalidAction("a special procedure's expected duration is at least 1 working "
                                "day (the applicant is told it in writing)", field="expected_days")
        if not reason.strip():
            raise InvalidAction("a special procedure needs its reason", field="reason")
        self.require_open()
        if self.clock != ClockState.RUNNING:
            raise InvalidAction(f"case {self.number}: the clock is {self.clock.value}; a special "
                                f"procedure starts on an accepted case whose clock runs")
        stop = self.start_stop(kind="special", reason=reason, basis=basis, special=kind,
                               expected_days=expected_days)
        self.event("applicant_notified", notice="特别程序告知书",
                   text=f"本案需进行{kind}，预计需要 {expected_days} 个工作日，所需时间不计入办理期限（{basis}）")
        return stop

    def end_special(self: Case, *, now: datetime, actor: str, result: str) -> ClockStop:
        self._act(now, actor)
        if not result.strip():
            raise InvalidAction("record the special procedure's result", field="result")
        self.require_open()
        stop = self.end_stop(kind="special", result=result)
        if stop is None:
            raise InvalidAction(f"case {self.number} has no special procedure under way")
        return stop

    # -- accept with gaps (容缺受理) -------------------------------------------------------------

    def accept_with_gaps(self: Case, *, now: datetime, actor: str, missing: list[str],
                         commitment_signed: bool, flags: list[ApplicantFlag],
                         makeup_days: int | None = None) -> None:
        self._act(now, actor)
        missing = [m.strip() for m in missing if m.strip()]
        if not missing:
            raise InvalidAction("name the materials that will follow, once each", field="missing")
        if not commitment_signed:
            raise InvalidAction("容缺受理 needs the applicant's signed commitment",
                                field="commitment_signed")
        self.require_open()
        power = self.power
        materials = {m.name: m for m in power.materials}
        unknown = [m for m in missing if m not in materials]
        if unknown:
            raise InvalidAction(f"{'、'.join(unknown)} is not a material of {power.name}; "
                                f"materials: {'、'.join(materials)}")
        key = [m for m in missing if materials[m].key]
        if key:
            raise InvalidAction(f"{'、'.join(key)} is a key material (关键材料) and cannot be "
                                f"missing under 容缺受理; ask for it with a supplement notice")
        if flags:
            f = flags[-1]
            raise InvalidAction(
                f"applicant {self.applicant} cannot be accepted with gaps: flagged on "
                f"{self.calendar.local_date(f.at)} ({f.kind}, case {f.case_number}); accept only "
                f"with complete materials")
        self.accept(now=now, actor=actor, note="容缺受理：" + "、".join(missing))
        assert self.promised is not None and self.accepted_at is not None
        due = self.promised.at
        if makeup_days is not None:
            asked = compute(self.calendar, self.accepted_at, makeup_days, "容缺补齐期限")
            due = min(asked.at, self.promised.at)
        self.data["gaps"] = {"items": missing, "due_at": due.isoformat(),
                             "commitment_signed": True, "made_up_at": None}
        self.add_timer(TimerKind.MAKEUP_DUE, due)
        self.event("accepted_with_gaps", missing=missing, makeup_due=due.isoformat())
        self.event("applicant_notified", notice="容缺受理告知书",
                   text=f"容缺材料：{'、'.join(missing)}；请于 "
                        f"{self.calendar.local_date(due - timedelta(seconds=1))} "
                        f"前补齐，逾期未补齐的终止办理")

    def gaps_made_up(self: Case, *, now: datetime, actor: str) -> None:
        self._act(now, actor)
        self.require_open()
        gaps = self.data.get("gaps")
        if not gaps or gaps.get("made_up_at"):
            raise InvalidAction(f"case {self.number} has no missing materials to make up")
        gaps["made_up_at"] = self.now.isoformat()
        self.cancel_timers(kind=TimerKind.MAKEUP_DUE)
        self.event("gaps_made_up", items=gaps["items"])

    # -- deemed renewal's window (ALL Art. 50) -----------------------------------------------

    def check_renewal_in_time(self: Case, expires_at: datetime) -> None:
        """A renewal applied for at least 30 days before expiry can be deemed renewed; one
        applied for later is handled but cannot be; an expired licence cannot be renewed."""
        if expires_at <= self.received_at:
            raise InvalidAction(
                f"the licence expired on {self.calendar.local_date(expires_at - timedelta(seconds=1))}"
                f", before this application; an expired licence cannot be renewed (ALL Art. 50) — "
                f"apply for a new licence instead", field="licence_expires")
        latest = expires_at - timedelta(days=self.rules.renewal_notice_days)
        self.data["renewal_deemable"] = self.received_at <= latest

    # -- the calendar changed -----------------------------------------------------------------

    def recompute_deadlines(self: Case, *, now: datetime, actor: str, why: str) -> bool:
        """Count every running deadline again on the calendar as it is now; True if any moved.

        Used when a year's State Council schedule is imported or corrected: a date counted
        provisionally (or on an old schedule) becomes the real one, with an event per case."""
        self._act(now, actor)
        if not self.state.is_open:
            return False
        changes: dict[str, Any] = {}
        for attr in ("promised", "statutory"):
            old = getattr(self, attr)
            if old is None:
                continue
            new = recompute(self.calendar, old)
            if new != old:
                setattr(self, attr, new)
                changes[attr] = [old.day.isoformat(), new.day.isoformat()]
        moved_steps = []
        for row in self.open_steps():
            if row.due is not None:
                new = recompute(self.calendar, row.due)
                if new != row.due:
                    changes[f"step:{row.name}"] = [row.due.day.isoformat(), new.day.isoformat()]
                    row.due = new
                    moved_steps.append(row)
        if not changes:
            return False
        # The due rows follow the dates; after the decision the case's own rows stay cancelled
        # (its clock has stopped) and only the open steps' rows move.
        if self.clock != ClockState.STOPPED and ("promised" in changes or "statutory" in changes):
            self.schedule_case_timers()
        for row in moved_steps:
            self.cancel_timers(task_id=row.id)
            self.schedule_step_timers(row)
        self.event("deadlines_recomputed", why=why, changes=changes,
                   provisional=self.provisional)
        return True

