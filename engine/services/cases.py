"""Case use cases at the window and in the task list: start, accept, refuse to accept, ask once
for supplements, claim and complete steps, withdraw, stop and restart the clock.

Each function is one transaction: the workflow state, the step rows, the due rows and the
audit events commit together or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from engine.catalogue import Power
from engine.deadlines import end_of_day
from engine.errors import Conflict, InvalidAction, NotFound, PowerNotAvailable
from engine.model import BreachKind, Case, CaseState, ClockState, StepRecord, TaskStatus, TimerKind, Timer
from engine.services.casework import CaseWork
from engine.services.context import Env

T = TypeVar("T")
QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the window


def in_case(env: Env, number: str, actor: str, now: datetime | None,
            fn: Callable[[CaseWork], T], *, lock: bool = False) -> T:
    """Run ``fn`` on one case in one transaction and commit once."""
    at = env.now(now)
    with env.uow() as uow:
        work = CaseWork.load(env, uow, number, at, actor, lock=lock)
        result = fn(work)
        work.save()
        uow.commit()
    return result


def _require_open(work: CaseWork) -> None:
    if not work.case.state.is_open:
        raise InvalidAction(
            f"case {work.case.number} is {work.case.state.label} ({work.case.state.value}); "
            f"nothing more can be done on it")


def start_case(env: Env, power_code: str, applicant: str, data: dict[str, Any] | None = None,
               *, actor: str = "window", channel: str = "window",
               received_on: str | None = None, now: datetime | None = None) -> Case:
    """Receive an application (收件): a new case on the power's latest active version.

    The date of receipt follows the channel (OGI Art. 31): in person, the moment it is
    handed in; registered mail, the day the office signed for it; ordinary mail and online,
    the day receipt was confirmed — given as ``received_on`` (YYYY-MM-DD).
    """
    if not applicant.strip():
        raise InvalidAction("the applicant's name is empty — pass --applicant NAME")
    at = env.now(now)
    data = dict(data or {})
    if channel in ("mail", "registered_mail") and not received_on:
        raise InvalidAction("for a mailed application give the day the office signed for it or "
                            "confirmed it: --received-on YYYY-MM-DD (OGI Art. 31)")
    if channel != "window" and received_on:
        received = _start_of_day(env, received_on)
        if received > at:
            raise InvalidAction(f"--received-on {received_on} is in the future")
        at_received = received
    elif channel == "window" and received_on:
        raise InvalidAction("--received-on is for mail and online applications; at the window "
                            "the application is received when it is handed in")
    else:
        at_received = at
    with env.uow() as uow:
        definition = uow.definitions.latest(power_code)
        if definition is None:
            raise PowerNotAvailable(
                f"power {power_code} is not in the catalogue (not deployed) and may not be "
                f"exercised — check the code with `sunshine powers list`")
        if definition.status != "active":
            raise PowerNotAvailable(
                f"power {power_code} has been withdrawn from the catalogue and cannot start a case")
        power = Power.from_dict(definition.power)
        if power.kind == "power" and power.renewal and "licence_expires" not in data:
            raise InvalidAction(
                f"{power.name} is a renewal: pass the current licence's expiry date with "
                f"--data licence_expires=YYYY-MM-DD (ALL Art. 50)")
        year = env.calendar().local_date(at).year
        serial = uow.cases.next_serial(f"{year}-{power.short_name}")
        case = Case(
            number=f"{year}-{power.short_name}-{serial:06d}",
            query_code="".join(secrets.choice(QUERY_ALPHABET) for _ in range(8)),
            power_code=power.code, definition_id=definition.id, process_id=power.process_id,
            applicant=applicant.strip(), received_at=at_received, mode=power.mode,
            channel=channel,
            data={"application": data},
        )
        if "licence_expires" in data:
            case.data["licence_expires_at"] = end_of_day(
                env.calendar(), str(data["licence_expires"])).isoformat()
        uow.cases.add(case)
        work = CaseWork(env, uow, case, at, actor)
        work.event("received", power=power.code, power_name=power.name,
                   version=definition.version, applicant=case.applicant, channel=channel,
                   data=data)
        work.start_runtime(data)
        work.sync()
        if case.state.is_open and work.open_step_with_role("acceptance"):
            notice = env.calendar().deadline(at_received, env.rules.acceptance_notice_days)
            uow.timers.add(Timer(case_id=case.id or 0, kind=TimerKind.ACCEPTANCE_DUE,
                                 due_at=notice.at))
        work.save()
        uow.commit()
        return case


def _start_of_day(env: Env, day: str) -> datetime:
    from datetime import date, time, timezone

    try:
        d = date.fromisoformat(day)
    except ValueError:
        raise InvalidAction(f"{day!r} is not a date; write it as YYYY-MM-DD") from None
    return datetime.combine(d, time(0), tzinfo=env.calendar().tz).astimezone(timezone.utc)


def _acceptance_step(work: CaseWork) -> StepRecord:
    step = work.open_step_with_role("acceptance")
    if step is None:
        raise InvalidAction(
            f"case {work.case.number} is not waiting for acceptance "
            f"(it is {work.case.state.label}); see `sunshine case show {work.case.number}`")
    return step


def _cancel_acceptance_notice_timer(work: CaseWork) -> None:
    assert work.case.id is not None
    for timer in work.uow.timers.for_case(work.case.id):
        if timer.kind == TimerKind.ACCEPTANCE_DUE:
            from engine.model import TimerStatus

            timer.status = TimerStatus.CANCELLED
            work.uow.timers.save(timer)


def accept_work(work: CaseWork, *, note: str = "", deemed_from_receipt: bool = False,
                data: dict[str, Any] | None = None) -> None:
    """受理: the clock starts; the case gets its promised and statutory deadlines."""
    _require_open(work)
    step = _acceptance_step(work)
    case, power, cal = work.case, work.power, work.calendar
    case.accepted_at = case.received_at if deemed_from_receipt else work.now
    case.deemed_accepted = deemed_from_receipt
    case.clock = ClockState.RUNNING
    case.state = CaseState.ACCEPTED
    promised = cal.deadline(case.accepted_at, power.promised_limit or 0)
    case.promised_due, case.promised_day = promised.at, promised.day
    case.provisional = case.provisional or promised.provisional
    if power.statutory_limit is not None:
        statutory = cal.deadline(case.accepted_at, power.statutory_limit)
        case.statutory_due, case.statutory_day = statutory.at, statutory.day
        case.provisional = case.provisional or statutory.provisional
    _cancel_acceptance_notice_timer(work)
    work.event("accepted", note=note, deemed_from_receipt=deemed_from_receipt,
               accepted_at=case.accepted_at.isoformat(),
               promised_due=case.promised_day.isoformat(),
               statutory_due=case.statutory_day.isoformat() if case.statutory_day else None,
               provisional=case.provisional)
    work.schedule_case_timers()
    form = dict(data or {})
    form.update({"acceptance": "accept", "opinion": note or form.get("opinion") or "受理",
                 "promised_deadline": case.promised_due.isoformat()})
    work.complete_step(step, form)


def accept(env: Env, number: str, *, actor: str, note: str = "",
           data: dict[str, Any] | None = None, now: datetime | None = None) -> Case:
    """受理, with any form data the window records (e.g. commitment=true under 告知承诺制)."""
    return in_case(env, number, actor, now,
                   lambda w: (accept_work(w, note=note, data=data), w.case)[1])


def refuse_acceptance(env: Env, number: str, *, actor: str, reason: str,
                      now: datetime | None = None) -> Case:
    """不予受理, with reasons (ALL Art. 32)."""
    if not reason.strip():
        raise InvalidAction("a refusal to accept needs its reasons — pass --reason TEXT")

    def run(work: CaseWork) -> Case:
        _require_open(work)
        step = _acceptance_step(work)
        _cancel_acceptance_notice_timer(work)
        work.event("not_accepted", reason=reason)
        work.complete_step(step, {"acceptance": "refuse", "opinion": reason})
        return work.case

    return in_case(env, number, actor, now, run)


def request_supplement(env: Env, number: str, *, actor: str, items: list[str],
                       why_not_in_first_notice: str = "", now: datetime | None = None) -> Case:
    """一次性告知: ask once, listing every missing item (ALL Art. 32)."""
    items = [i.strip() for i in items if i.strip()]
    if not items:
        raise InvalidAction("a supplement notice must list the missing materials — pass "
                            "--item TEXT once per item, all of them at once (一次性告知)")

    def run(work: CaseWork) -> Case:
        _require_open(work)
        step = _acceptance_step(work)
        notices = work.case.data.setdefault("supplement_notices", [])
        if notices and not why_not_in_first_notice.strip():
            raise InvalidAction(
                f"case {number} already had its one-time notice (一次性告知) on "
                f"{notices[0]['at'][:10]}; a second request is refused unless you record why the "
                f"first notice could not have known of it (--why TEXT), which is recorded as a "
                f"breach of 一次性告知")
        notices.append({"at": work.now.isoformat(), "items": items, "by": actor,
                        "why_not_in_first": why_not_in_first_notice or None})
        _cancel_acceptance_notice_timer(work)
        work.event("supplement_requested", items=items, notice_no=len(notices),
                   why_not_in_first_notice=why_not_in_first_notice or None)
        if len(notices) > 1:
            work.breach(BreachKind.SECOND_NOTICE,
                        f"第{len(notices)}次补正告知（违反一次性告知）：{'、'.join(items)}；"
                        f"理由：{why_not_in_first_notice}", step, person=actor)
        work.complete_step(step, {"acceptance": "supplement", "missing": items,
                                  "opinion": "一次性告知补正：" + "、".join(items)})
        work.case.state = CaseState.IN_CORRECTION
        return work.case

    return in_case(env, number, actor, now, run)


def supplement_received(env: Env, number: str, *, actor: str, note: str = "",
                        now: datetime | None = None) -> Case:
    """补正结束: the applicant brought the missing materials; back to the acceptance check."""

    def run(work: CaseWork) -> Case:
        step = work.open_step_with_role("supplement")
        if step is None and work.case.clock == ClockState.SUSPENDED and any(
                s.kind == "supplement" and s.ended_at is None
                for s in work.uow.stops.for_case(work.case.id or 0)):
            # 补正 during review: the materials arrived, the clock runs again
            work.end_stop(kind="supplement", result=note or "材料已补齐")
            return work.case
        if step is None:
            raise InvalidAction(f"case {number} is not waiting for supplementary materials")
        work.event("supplement_received", note=note)
        work.complete_step(step, {"supplemented": True, "opinion": note or "材料已补齐"})
        if work.case.state == CaseState.IN_CORRECTION:
            work.case.state = CaseState.RECEIVED if work.case.accepted_at is None else CaseState.ACCEPTED
        return work.case

    return in_case(env, number, actor, now, run)


def _find_step(env: Env, task_ref: str) -> StepRecord:
    with env.uow() as uow:
        return uow.steps.get(task_ref)


def claim(env: Env, task_ref: str, *, user: str, now: datetime | None = None) -> StepRecord:
    step = _find_step(env, task_ref)

    def run(work: CaseWork) -> StepRecord:
        row = work.uow.steps.get(step.id)
        if row.status != TaskStatus.READY:
            raise Conflict(f"step {row.name} of case {row.case_number} is already {row.status.value}")
        if row.assignee and row.assignee != user:
            raise Conflict(f"step {row.name} of case {row.case_number} is claimed by {row.assignee}")
        row.assignee = user
        work.uow.steps.save(row)
        work.event("step_claimed", step=row.name, post=row.post, task_id=row.id, user=user)
        return row

    return in_case(env, step.case_number, user, now, run)


def release(env: Env, task_ref: str, *, user: str, reason: str = "",
            now: datetime | None = None) -> StepRecord:
    """Hand a claimed step back to its post (the holder, or a supervisor reassigning it)."""
    step = _find_step(env, task_ref)

    def run(work: CaseWork) -> StepRecord:
        row = work.uow.steps.get(step.id)
        if row.status != TaskStatus.READY or row.assignee is None:
            raise InvalidAction(f"step {row.name} of case {row.case_number} is not claimed")
        held_by = row.assignee
        row.assignee = None
        work.uow.steps.save(row)
        work.event("step_released", step=row.name, post=row.post, task_id=row.id,
                   held_by=held_by, by=user, reason=reason)
        return row

    return in_case(env, step.case_number, user, now, run)


def complete_task(env: Env, task_ref: str, *, user: str, data: dict[str, Any] | None = None,
                  now: datetime | None = None) -> Case:
    """Complete a step with its form data. Exactly one of two people completing it wins."""
    step = _find_step(env, task_ref)
    data = dict(data or {})

    def run(work: CaseWork) -> Case:
        _require_open(work)
        row = work.uow.steps.get(step.id)
        if row.status != TaskStatus.READY:
            raise Conflict(
                f"step “{row.name}” of case {row.case_number} was already {row.status.value} "
                f"by {row.completed_by or 'the system'}; nothing was changed — reload the task list")
        if row.assignee and row.assignee != user:
            raise Conflict(f"step “{row.name}” of case {row.case_number} is claimed by "
                           f"{row.assignee}; ask them, or release it: `sunshine task release {row.id[:8]} --as …`")
        if row.role == "acceptance":
            if data.get("acceptance") == "accept":
                accept_work(work, note=str(data.get("opinion") or ""), data=data)
                return work.case
            if data.get("acceptance") not in ("refuse", "supplement"):
                raise InvalidAction("the acceptance step is done with `sunshine case accept`, "
                                    "`case refuse` or `case supplement`")
        if row.role == "decision" and data.get("decision") not in ("approve", "refuse"):
            given = f", not {data['decision']!r}" if "decision" in data else ""
            raise InvalidAction(f"the decision step “{row.name}” needs --data decision=approve "
                                f"(准予) or --data decision=refuse (不予){given}")
        work.complete_step(row, data, person=user)
        return work.case

    return in_case(env, step.case_number, user, now, run)


def withdraw(env: Env, number: str, *, actor: str, reason: str = "",
             now: datetime | None = None) -> Case:
    """撤件: the applicant withdraws the application."""

    def run(work: CaseWork) -> Case:
        _require_open(work)
        work.runtime.cancel()
        for row in work.open_steps():
            row.status, row.outcome, row.completed_at = TaskStatus.CANCELLED, "withdrawn", work.now
            work.uow.steps.save(row)
        for stop in [s for s in work.uow.stops.for_case(work.case.id or 0) if s.ended_at is None]:
            stop.ended_at, stop.ended_by, stop.result = work.now, actor, "撤件"
            work.uow.stops.save(stop)
        work._cancel_timers()
        work.case.state = CaseState.WITHDRAWN
        work.case.result = "withdrawn"
        work.case.clock = ClockState.STOPPED
        work.case.closed_at = work.now
        work.event("withdrawn", reason=reason)
        return work.case

    return in_case(env, number, actor, now, run)


def suspend(env: Env, number: str, *, actor: str, reason: str, kind: str = "manual",
            special: str | None = None, basis: str = "", expected_days: int | None = None,
            now: datetime | None = None) -> Case:
    """Stop the clock (补正 during review, special procedure, …) with who and why."""
    if not reason.strip():
        raise InvalidAction("stopping the clock needs a reason — pass --reason TEXT")

    def run(work: CaseWork) -> Case:
        _require_open(work)
        if work.case.clock != ClockState.RUNNING:
            why = ("the decision is made, so the case clock has already stopped"
                   if work.case.clock == ClockState.STOPPED else
                   "it is not accepted yet" if work.case.clock == ClockState.NOT_STARTED
                   else "it is already stopped")
            raise InvalidAction(f"case {number}: the clock cannot be stopped: {why}")
        work.start_stop(kind=kind, reason=reason, basis=basis, special=special,
                        expected_days=expected_days)
        return work.case

    return in_case(env, number, actor, now, run)


def resume(env: Env, number: str, *, actor: str, result: str | None = None,
           now: datetime | None = None) -> Case:
    def run(work: CaseWork) -> Case:
        _require_open(work)
        if work.end_stop(result=result) is None:
            raise InvalidAction(f"case {number}: the clock is not stopped")
        return work.case

    return in_case(env, number, actor, now, run)


def find_case(env: Env, number_or_code: str) -> Case:
    with env.uow() as uow:
        try:
            return uow.cases.get(number_or_code)
        except NotFound:
            raise NotFound(f"no case {number_or_code} — check the number on the receipt "
                           f"(e.g. 2026-食品-000123)") from None
