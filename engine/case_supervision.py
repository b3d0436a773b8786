"""The case's supervision rules: what each due row does when it fires (a table of effects per
kind), cards (预警 / 黄牌 / 红牌), breaches (违诺) and their decisions, deemed approval (超时默许),
缺席默认, Art. 32 deemed acceptance, deemed renewal, and applicant flags.

These are methods of the ``Case`` aggregate (engine/case.py), grouped here by idea. A due row is
fired at its own due time (the record says when the deadline passed, not when a worker got to
it), never earlier than the case existed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.case_answers import AnswerRules
from engine.case_period import end_period, period_timer
from engine.errors import InvalidAction, NotFound
from engine.model import (
    ApplicantFlag,
    Breach,
    BreachKind,
    Card,
    CardKind,
    CaseState,
    ClockState,
    Measure,
    StepRecord,
    TaskStatus,
    Timer,
    TimerKind,
    TimerStatus,
)

if TYPE_CHECKING:
    from engine.case import Case

SYSTEM = "system"


class SupervisionRules(AnswerRules):
    """Mixin of ``Case``: due-row effects, cards, breaches, deemed approval (and, from
    engine/case_answers.py, replies, appeals, decisions on cards, orders and findings)."""

    # -- firing a due row -------------------------------------------------------------------

    def fire(self: Case, timer: Timer, *, now: datetime) -> bool:
        """Fire one due row (claimed by the sweep); True if it had an effect. The row is marked
        fired either way: a row that no longer applies (the step is done, the case closed) is
        spent, not retried."""
        self._act(max(timer.due_at, self.received_at), SYSTEM)
        own = next((t for t in self.timers if t.id == timer.id), None)
        if own is None:
            raise NotFound(f"due row {timer.id} is not a pending row of case {self.number}")
        effect = _EFFECTS[own.kind]
        fired = self.state.is_open and effect(self, own)
        own.status, own.fired_at = TimerStatus.FIRED, now
        return bool(fired)

    def set_aside(self: Case, timer: Timer, *, now: datetime, reason: str) -> None:
        """A due row whose effect failed: kept as failed, with the reason in the trail, until an
        operator fixes the cause and requeues it. Nothing else of the case changes."""
        self._act(now, SYSTEM)
        own = next((t for t in self.timers if t.id == timer.id), None)
        if own is not None:
            own.status, own.fired_at = TimerStatus.FAILED, now
        self.event("timer_failed", timer=timer.kind.value, due=timer.due_at.isoformat(),
                   error=reason)

    def _holder(self: Case) -> StepRecord | None:
        """The step holding the case now (for a case-level breach): the earliest open one."""
        steps = self.open_steps()
        return steps[0] if steps else None

    def _step_of(self: Case, timer: Timer) -> StepRecord | None:
        if timer.task_id is None:
            return None
        row = next((s for s in self.steps if s.id == timer.task_id), None)
        return row if row is not None and row.status == TaskStatus.READY else None

    def _on_step_warning(self: Case, timer: Timer) -> bool:
        step = self._step_of(timer)
        if step is None or (self.clock == ClockState.SUSPENDED and step.counted):
            return False
        if period_timer(self, step):
            return False  # a period (公示期) running its course: nothing to warn anyone of
        return self.card(CardKind.WARNING, "step", step, f"环节“{step.name}”时限将到（{step.due_day}）")

    def _on_step_overdue(self: Case, timer: Timer) -> bool:
        step = self._step_of(timer)
        if step is None or (self.clock == ClockState.SUSPENDED and step.counted):
            return False
        if period_timer(self, step):
            return end_period(self, step)  # engine/case_period.py: no card, no breach
        meta = self.power.step(step.spec_id)
        if meta is not None and meta.absent_consent:
            return self._absent_consent(step)
        added = self.card(CardKind.YELLOW, "step", step,
                          f"环节“{step.name}”超过时限（{step.limit_days} 个工作日，应于 {step.due_day} 前办结）")
        if added:
            self.breach(BreachKind.OVERDUE_STEP,
                        f"环节“{step.name}”（{step.post}）超过 {step.limit_days} 个工作日时限，"
                        f"应于 {step.due_day} 前办结", step)
        if any(t.deadline == "step" and t.attached_to == step.spec_id for t in self.power.timers):
            self.fire_deemed(deadline_kind="step")  # the file's own step-deadline path
        return added

    def _on_case_warning(self: Case, timer: Timer) -> bool:
        if self.clock == ClockState.SUSPENDED:
            return False
        return self.card(CardKind.WARNING, "promised", self._holder(),
                         f"办件将于 {self.promised_day} 到达承诺时限")

    def _on_case_overdue(self: Case, timer: Timer) -> bool:
        if self.clock == ClockState.SUSPENDED:
            return False
        power, holder = self.power, self._holder()
        if self.rules.red_card_against == "promised":
            fired = self.card(CardKind.RED, "promised", holder,
                              f"办件超过承诺时限（{power.promised_limit} 个工作日，应于 {self.promised_day} 前办结）")
        else:
            fired = self.card(CardKind.YELLOW, "promised", holder,
                              f"办件超过承诺时限（应于 {self.promised_day} 前办结）")
        if power.deemed_approval and self.accepted_at is not None:
            self.breach(BreachKind.DEEMED_APPROVAL,
                        f"超过承诺时限（{self.promised_day}）未作决定，依本事项超时默许规则视为准予；"
                        f"当时办理环节：{holder.name if holder else '无'}", holder)
            if not self.fire_deemed():
                self.deemed_pending = True
                self.event("deemed_approval_pending",
                           reason="the decision step is not reached yet; it is approved as "
                                  "deemed as soon as it is")
            return True
        self.breach(BreachKind.OVERDUE_CASE,
                    f"办件超过承诺时限（{power.promised_limit} 个工作日，应于 {self.promised_day} 前办结）"
                    f"；当时办理环节：{holder.name if holder else '无'}", holder)
        return fired

    def _on_statutory_overdue(self: Case, timer: Timer) -> bool:
        if self.clock == ClockState.SUSPENDED:
            return False
        holder = self._holder()
        added = self.card(CardKind.STATUTORY, "statutory", holder,
                          f"办件超过法定时限（{self.statutory_day}）")
        if self.rules.red_card_against == "statutory":
            self.card(CardKind.RED, "statutory", holder, f"办件超过法定时限（{self.statutory_day}）")
        if any(t.deadline == "statutory" for t in self.power.timers):
            self.fire_deemed(deadline_kind="statutory")
        return added

    def _on_acceptance_due(self: Case, timer: Timer) -> bool:
        """ALL Art. 32: no one-time notice within 5 working days → accepted from the day of receipt."""
        if self.state != CaseState.RECEIVED or self.accepted_at is not None:
            return False
        if self.data.get("supplement_notices"):
            return False
        step = self.open_step_with_role("acceptance")
        if step is None:
            return False
        self.card(CardKind.YELLOW, "acceptance", step,
                  "收件后 5 个工作日内未受理也未一次性告知补正，依《行政许可法》第三十二条自收到材料之日起即为受理")
        self.accept(now=self.now, actor=SYSTEM, note="依法视为受理（行政许可法第三十二条）",
                    deemed_from_receipt=True)
        return True

    def _on_makeup_due(self: Case, timer: Timer) -> bool:
        """容缺: materials not made up in time → terminate, notify, flag the applicant."""
        gaps = self.data.get("gaps")
        if not gaps or gaps.get("made_up_at"):
            return False
        self.runtime.cancel()
        for row in self.open_steps():
            row.status, row.outcome, row.completed_at = TaskStatus.CANCELLED, "terminated", self.now
        for other in self.pending_timers():
            if other is not timer:
                other.status = TimerStatus.CANCELLED
        self.state, self.result = CaseState.TERMINATED, "terminated"
        self.clock, self.closed_at = ClockState.STOPPED, self.now
        self.event("terminated", reason="容缺材料逾期未补齐", items=gaps["items"])
        self.event("applicant_notified", notice="终止办理告知书",
                   text=f"容缺材料 {'、'.join(gaps['items'])} 未在承诺期限内补齐，终止办理")
        self.flag_applicant("gaps_not_made_up", "容缺受理承诺的材料逾期未补齐")
        return True

    def _on_renewal_expiry(self: Case, timer: Timer) -> bool:
        """ALL Art. 50: a renewal not decided before the licence expires is deemed renewed."""
        if not self.data.get("renewal_deemable", True):
            return False  # applied for less than 30 days before expiry: not deemed renewed
        holder = self._holder()
        self.breach(BreachKind.DEEMED_RENEWAL,
                    "有效期届满前未作出是否准予延续的决定，依《行政许可法》第五十条视为准予延续", holder)
        if not self.fire_deemed(deadline_kind="renewal"):
            self.deemed_pending = True
            self.data["deemed_kind"] = "renewal"
            self.event("deemed_renewal_pending", reason="the decision step is not reached yet")
        return True

    def _open_stop(self: Case) -> tuple[int, Any] | None:
        for number, stop in enumerate(self.stops, 1):
            if stop.ended_at is None:
                return number, stop
        return None

    def _on_stop_warning(self: Case, timer: Timer) -> bool:
        found = self._open_stop()
        if found is None:
            return False
        number, stop = found
        return self.card(CardKind.WARNING, f"stop{number}", self._holder(),
                         f"中止计时（{stop.special or stop.reason}）预计 {stop.expected_days} 个工作日，即将到期")

    def _on_stop_overdue(self: Case, timer: Timer) -> bool:
        """The clock has stood still longer than the applicant was told: a yellow card against
        the post holding the case (the stop's own time is not counted, its overrun is seen)."""
        found = self._open_stop()
        if found is None:
            return False
        number, stop = found
        return self.card(CardKind.YELLOW, f"stop{number}", self._holder(),
                         f"中止计时（{stop.special or stop.reason}）超过预计的 {stop.expected_days} 个工作日，"
                         f"仍未恢复计时")

    def _absent_consent(self: Case, step: StepRecord) -> bool:
        """联办件 缺席默认: a department silent past its step deadline counts as consenting."""
        self.breach(BreachKind.ABSENT_CONSENT,
                    f"联办部门环节“{step.name}”（{step.department or step.post}）逾期未答复，视为同意（缺席默认）",
                    step)
        self.complete_step(step, {"consent": True, "absent_consent": True,
                                  "opinion": "逾期未答复，视为同意（缺席默认）"},
                           outcome="absent_consent", person=SYSTEM)
        return True

    # -- deemed approval ------------------------------------------------------------------

    def fire_deemed(self: Case, *, pending: bool = False, deadline_kind: str = "promised") -> bool:
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
                self.cancel_timers(task_id=held.id)
                self.deemed = True
                self.deemed_pending = False
                if self.clock == ClockState.RUNNING:
                    self.stop_case_clock("deemed")
                self.event("deemed_approved" if deadline_kind != "renewal" else "deemed_renewed",
                           step=held.name, post=held.post, person=held.assignee,
                           timer=timer.id, was_pending=pending)
                self.sync()
                return True
        return False

    # -- cards, breaches, flags -------------------------------------------------------------

    def card(self: Case, kind: CardKind, against: str, step: StepRecord | None,
             note: str) -> bool:
        """Issue a card once per (step, kind, against); False if it was issued before."""
        task_id = step.id if step else None
        if any(c.kind == kind and c.against == against and c.task_id == task_id
               for c in self.cards):
            return False
        self.cards.append(Card(case_id=self.id or 0, kind=kind, against=against,
                               issued_at=self.now, task_id=task_id,
                               post=step.post if step else None,
                               person=step.assignee if step else None, note=note))
        self.event("card_issued", card=kind.value, against=against, note=note,
                   step=step.name if step else None, post=step.post if step else None)
        return True

    def breach(self: Case, kind: BreachKind, facts: str, step: StepRecord | None = None,
               person: str | None = None) -> bool:
        """Record a breach the engine found, once per (step, kind); False if it was recorded
        before. It names the step's claimant; with none, the service layer names the post's
        holder or leader before the case is saved (engine/services/responsibility.py)."""
        return self._add_breach(kind, facts, step, person) is not None

    def decide_breach(self: Case, breach_id: int, *, now: datetime, actor: str,
                      measure: Measure, reasons: str) -> Breach:
        """A supervisor's decision on a breach; once taken it cannot be changed (it is evidence)."""
        self._act(now, actor)
        if not reasons.strip():
            raise InvalidAction("a decision needs its reasons", field="reasons")
        breach = next((b for b in self.breaches if b.id == breach_id), None)
        if breach is None:
            raise NotFound(f"no breach record {breach_id} on case {self.number}")
        if breach.measure is not None:
            raise InvalidAction(
                f"breach {breach_id} was decided on {breach.decided_at:%Y-%m-%d} by "
                f"{breach.decided_by} ({breach.measure.value}); a decision cannot be changed — "
                f"record a new breach if new facts come to light")
        breach.measure, breach.reasons, breach.decided_by, breach.decided_at = (
            measure, reasons, actor, now)
        self.event("breach_decided", breach=breach_id, kind=breach.kind.value,
                   measure=measure.value, reasons=reasons)
        return breach

    def flag_applicant(self: Case, kind: str, reason: str) -> None:
        """Record against the applicant (失信: false commitment, 容缺 not made up)."""
        self.new_flags.append(ApplicantFlag(applicant=self.applicant_key, kind=kind,
                                            case_number=self.number, at=self.now, reason=reason))
        self.event("applicant_flagged", applicant=self.applicant, flag=kind, reason=reason)


_EFFECTS: dict[TimerKind, Callable[[Case, Timer], bool]] = {
    TimerKind.STEP_WARNING: SupervisionRules._on_step_warning,
    TimerKind.STEP_OVERDUE: SupervisionRules._on_step_overdue,
    TimerKind.CASE_WARNING: SupervisionRules._on_case_warning,
    TimerKind.CASE_OVERDUE: SupervisionRules._on_case_overdue,
    TimerKind.STATUTORY_OVERDUE: SupervisionRules._on_statutory_overdue,
    TimerKind.ACCEPTANCE_DUE: SupervisionRules._on_acceptance_due,
    TimerKind.MAKEUP_DUE: SupervisionRules._on_makeup_due,
    TimerKind.RENEWAL_EXPIRY: SupervisionRules._on_renewal_expiry,
    TimerKind.STOP_WARNING: SupervisionRules._on_stop_warning,
    TimerKind.STOP_OVERDUE: SupervisionRules._on_stop_overdue,
    TimerKind.ORDER_DUE: AnswerRules._on_order_due,
}
