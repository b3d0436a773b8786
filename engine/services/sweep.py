"""The timer sweep: fire every due row exactly once.

Every worker calls ``sweep`` on an interval (adapters/scheduler.py). Each due row is claimed
and fired in its own transaction: the repository claims it with a row lock that other workers
skip (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers), the effect (card,
breach, deemed approval, …) and the row's ``fired`` status commit together, so a worker killed
mid-sweep leaves the row pending for the next sweep, and no row fires twice. Cards and breaches
also carry unique keys, so even a replay cannot duplicate them. The cost of a sweep grows with
the number of due rows (an indexed range scan), not with the number of open cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.errors import Conflict, SunshineError
from engine.model import (
    BreachKind, Card, CardKind, CaseState, ClockState, StepRecord, TaskStatus, Timer, TimerKind,
    TimerStatus,
)
from engine.services.casework import CaseWork
from engine.services.context import Env

SYSTEM = "system"


@dataclass
class SweepReport:
    fired: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)


def sweep(env: Env, now: datetime | None = None, *, limit: int | None = None) -> SweepReport:
    """Fire what is due at ``now``; one transaction per due row."""
    at = env.now(now)
    report = SweepReport()
    budget = limit if limit is not None else env.rules.sweep_batch
    while budget > 0:
        budget -= 1
        try:
            outcome = _fire_one(env, at)
        except Conflict:
            report.skipped += 1  # a user changed the case at the same moment: next sweep retries
            continue
        except TimerFailed as failed:
            report.errors.append(f"case {failed.number} {failed.timer.kind.value}: "
                                 f"{failed.err}")
            continue
        if outcome is None:
            break
        kind, fired = outcome
        if fired:
            report.fired += 1
            report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
        else:
            report.skipped += 1
    return report


def _fire_one(env: Env, at: datetime) -> tuple[str, bool] | None:
    with env.uow() as uow:
        claimed = uow.timers.claim_due(at, 1)
        if not claimed:
            return None
        timer = claimed[0]
        case = uow.cases.get_by_id(timer.case_id, lock=True)
        work = CaseWork(env, uow, case, timer.due_at, SYSTEM)
        try:
            fired = _apply(work, timer, at)
        except SunshineError as err:
            # Nothing of the failed firing is kept; the row is set aside as failed, with the
            # reason in the case's trail, until an operator fixes the cause and requeues it.
            uow.rollback()
            number = _record_failure(env, timer, at, err)
            raise TimerFailed(timer, err, number) from None
        timer.status = TimerStatus.FIRED
        timer.fired_at = at
        uow.timers.save(timer)
        work.save()
        uow.commit()
        return timer.kind.value, fired


class TimerFailed(Exception):
    def __init__(self, timer: Timer, err: SunshineError, number: str) -> None:
        self.timer, self.err, self.number = timer, err, number


def _record_failure(env: Env, timer: Timer, at: datetime, err: SunshineError) -> str:
    with env.uow() as uow:
        case = uow.cases.get_by_id(timer.case_id, lock=True)
        work = CaseWork(env, uow, case, at, SYSTEM)
        timer.status = TimerStatus.FAILED
        timer.fired_at = at
        uow.timers.save(timer)
        work.event("timer_failed", timer=timer.kind.value, due=timer.due_at.isoformat(),
                   error=str(err))
        work.save()
        uow.commit()
        return case.number


def retry_failed(env: Env) -> int:
    """Requeue failed due rows (after the cause, e.g. a missing calendar year, is fixed)."""
    with env.uow() as uow:
        rows = uow.timers.failed()
        for timer in rows:
            timer.status = TimerStatus.PENDING
            timer.fired_at = None
            uow.timers.save(timer)
        uow.commit()
    return len(rows)


def _step(work: CaseWork, timer: Timer) -> StepRecord | None:
    if timer.task_id is None:
        return None
    row = work.uow.steps.get(timer.task_id)
    return row if row.status == TaskStatus.READY else None


def _card(work: CaseWork, kind: CardKind, against: str, step: StepRecord | None,
          note: str) -> bool:
    assert work.case.id is not None
    added = work.uow.cards.add(Card(
        case_id=work.case.id, kind=kind, against=against, issued_at=work.now,
        task_id=step.id if step else None, post=step.post if step else None,
        person=step.assignee if step else None, note=note))
    if added:
        work.event("card_issued", card=kind.value, against=against, note=note,
                   step=step.name if step else None, post=step.post if step else None)
    return added


def _holder(work: CaseWork) -> StepRecord | None:
    """The step holding the case now (for a case-level breach): the earliest open one."""
    steps = sorted(work.open_steps(), key=lambda s: s.ready_at)
    return steps[0] if steps else None


def _apply(work: CaseWork, timer: Timer, at: datetime) -> bool:
    case = work.case
    if not case.state.is_open:
        return False
    kind = timer.kind
    if kind == TimerKind.ACCEPTANCE_DUE:
        return _acceptance_due(work)
    if kind == TimerKind.RENEWAL_EXPIRY:
        return _renewal_expiry(work)
    if kind == TimerKind.MAKEUP_DUE:
        from engine.services.handling import makeup_overdue

        return makeup_overdue(work)
    if kind in (TimerKind.STEP_WARNING, TimerKind.STEP_OVERDUE):
        step = _step(work, timer)
        if step is None:
            return False
        if case.clock == ClockState.SUSPENDED and step.counted:
            return False  # paused rows are not claimed; this only guards against a race
        if kind == TimerKind.STEP_WARNING:
            return _card(work, CardKind.WARNING, "step", step,
                         f"环节“{step.name}”时限将到（{step.due_day}）")
        meta = work.power.step(step.spec_id)
        if meta is not None and meta.absent_consent:
            return _absent_consent(work, step)
        added = _card(work, CardKind.YELLOW, "step", step,
                      f"环节“{step.name}”超过时限（{step.limit_days} 个工作日，应于 {step.due_day} 前办结）")
        if added:
            work.breach(BreachKind.OVERDUE_STEP,
                        f"环节“{step.name}”（{step.post}）超过 {step.limit_days} 个工作日时限，"
                        f"应于 {step.due_day} 前办结", step)
        if any(t.deadline == "step" and t.attached_to == step.spec_id for t in work.power.timers):
            work.fire_deemed(deadline_kind="step")  # the file's own step-deadline path
        return added
    if case.clock == ClockState.SUSPENDED:
        return False  # paused rows are not claimed; this only guards against a race
    if kind == TimerKind.CASE_WARNING:
        return _card(work, CardKind.WARNING, "promised", _holder(work),
                     f"办件将于 {case.promised_day} 到达承诺时限")
    if kind == TimerKind.CASE_OVERDUE:
        return _case_overdue(work)
    if kind == TimerKind.STATUTORY_OVERDUE:
        added = _card(work, CardKind.STATUTORY, "statutory", _holder(work),
                      f"办件超过法定时限（{case.statutory_day}）")
        if work.env.rules.red_card_against == "statutory":
            _card(work, CardKind.RED, "statutory", _holder(work),
                  f"办件超过法定时限（{case.statutory_day}）")
        if any(t.deadline == "statutory" for t in work.power.timers):
            work.fire_deemed(deadline_kind="statutory")
        return added
    return False


def _case_overdue(work: CaseWork) -> bool:
    case, power = work.case, work.power
    holder = _holder(work)
    fired = False
    if work.env.rules.red_card_against == "promised":
        fired = _card(work, CardKind.RED, "promised", holder,
                      f"办件超过承诺时限（{power.promised_limit} 个工作日，应于 {case.promised_day} 前办结）")
    else:
        fired = _card(work, CardKind.YELLOW, "promised", holder,
                      f"办件超过承诺时限（应于 {case.promised_day} 前办结）")
    if power.deemed_approval and case.accepted_at is not None:
        work.breach(BreachKind.DEEMED_APPROVAL,
                    f"超过承诺时限（{case.promised_day}）未作决定，依本事项超时默许规则视为准予；"
                    f"当时办理环节：{holder.name if holder else '无'}", holder)
        if not work.fire_deemed():
            case.deemed_pending = True
            work.event("deemed_approval_pending",
                       reason="the decision step is not reached yet; it is approved as deemed "
                              "as soon as it is")
        return True
    work.breach(BreachKind.OVERDUE_CASE,
                f"办件超过承诺时限（{power.promised_limit} 个工作日，应于 {case.promised_day} 前办结）"
                f"；当时办理环节：{holder.name if holder else '无'}", holder)
    return fired


def _absent_consent(work: CaseWork, step: StepRecord) -> bool:
    """联办件 缺席默认: a department silent past its step deadline counts as consenting."""
    work.breach(BreachKind.ABSENT_CONSENT,
                f"联办部门环节“{step.name}”（{step.department or step.post}）逾期未答复，视为同意（缺席默认）",
                step)
    work.complete_step(step, {"consent": True, "absent_consent": True,
                              "opinion": "逾期未答复，视为同意（缺席默认）"},
                       outcome="absent_consent", person=SYSTEM)
    return True


def _acceptance_due(work: CaseWork) -> bool:
    """ALL Art. 32: no one-time notice within 5 working days → accepted from the day of receipt."""
    from engine.services.cases import accept_work

    case = work.case
    if case.state != CaseState.RECEIVED or case.accepted_at is not None:
        return False
    if case.data.get("supplement_notices"):
        return False
    step = work.open_step_with_role("acceptance")
    if step is None:
        return False
    _card(work, CardKind.YELLOW, "acceptance", step,
          "收件后 5 个工作日内未受理也未一次性告知补正，依《行政许可法》第三十二条自收到材料之日起即为受理")
    accept_work(work, note="依法视为受理（行政许可法第三十二条）", deemed_from_receipt=True)
    return True


def _renewal_expiry(work: CaseWork) -> bool:
    """ALL Art. 50: a renewal not decided before the licence expires is deemed renewed."""
    holder = _holder(work)
    work.breach(BreachKind.DEEMED_RENEWAL,
                "有效期届满前未作出是否准予延续的决定，依《行政许可法》第五十条视为准予延续", holder)
    if not work.fire_deemed(deadline_kind="renewal"):
        work.case.deemed_pending = True
        work.case.data["deemed_kind"] = "renewal"
        work.event("deemed_renewal_pending", reason="the decision step is not reached yet")
    return True
