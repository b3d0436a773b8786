"""Time rules around a case: extensions (延期), special procedures (特别程序), accept with gaps
(容缺受理) and its make-up deadline.

- Extension (ALL Art. 42): asked with reasons before the statutory deadline; the head of the
  organ decides; at most 10 working days (15 for 联办件); the applicant gets a written notice.
  An approved extension also moves the promised deadline by the same days: an approved
  extension is a lawful reason, so it must not trigger a red card or deemed approval.
  Asked after the deadline: refused and recorded as a breach.
- Special procedure (ALL Art. 45; OGI Arts. 32–33): started with its type, legal basis and
  expected duration (told to the applicant in writing); its time is not counted.
- 容缺受理: only non-key materials may be missing; the applicant signs a commitment; the
  make-up deadline is no later than the promised deadline; not made up in time → the case is
  terminated with a notice and the applicant flagged; a flagged applicant cannot be accepted
  with gaps again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.catalogue import SPECIAL_KINDS
from engine.errors import InvalidAction, NotFound
from engine.model import (
    BreachKind, CaseState, ClockState, Extension, TaskStatus, Timer, TimerKind, TimerStatus,
)
from engine.services.cases import accept_work, in_case
from engine.services.casework import CaseWork
from engine.services.context import Env

ART45_BASIS = "《中华人民共和国行政许可法》第四十五条"


def _open(work: CaseWork) -> None:
    if not work.case.state.is_open:
        raise InvalidAction(f"case {work.case.number} is {work.case.state.label}; it is closed")


# -- extension (延期) -------------------------------------------------------------------------

def request_extension(env: Env, number: str, *, actor: str, reason: str, days: int,
                      now: datetime | None = None) -> Extension:
    if not reason.strip():
        raise InvalidAction("an extension needs its reasons (they go to the applicant) — "
                            "pass --reason TEXT")

    def run(work: CaseWork) -> Extension:
        _open(work)
        case = work.case
        if case.clock == ClockState.STOPPED:
            raise InvalidAction(f"case {number}: the decision is made and the case clock has "
                                f"stopped; there is nothing to extend")
        if case.accepted_at is None or case.statutory_due is None:
            raise InvalidAction(f"case {number} has no statutory deadline to extend "
                                f"(not accepted yet, or the law sets no limit)")
        most = (env.rules.joint_extension_days if case.mode == "联办件"
                else env.rules.extension_days)
        if not 1 <= days <= most:
            raise InvalidAction(f"an extension is 1 to {most} working days for a {case.mode} "
                                f"(ALL Art. 42); {days} asked")
        if any(e.decision in (None, "approved") for e in work.uow.extensions.for_case(case.id or 0)):
            raise InvalidAction(f"case {number} already has an extension requested or granted; "
                                f"the law allows one")
        ext = Extension(case_id=case.id or 0, requested_by=actor, requested_at=work.now,
                        reason=reason, days=days)
        if work.now >= case.statutory_due:
            ext.decision, ext.decided_by, ext.decided_at = "refused", "system", work.now
            ext.decision_reason = (f"申请时已超过法定办结时限（{case.statutory_day}），延期申请应在期限届满前提出")
            work.uow.extensions.add(ext)
            work.event("extension_requested", days=days, reason=reason, late=True)
            work.event("extension_refused", reason=ext.decision_reason)
            holder = sorted(work.open_steps(), key=lambda s: s.ready_at)
            work.breach(BreachKind.LATE_EXTENSION,
                        f"法定时限 {case.statutory_day} 届满后才申请延期 {days} 个工作日：{reason}",
                        holder[0] if holder else None)
            return ext
        work.uow.extensions.add(ext)
        work.event("extension_requested", extension=ext.id, days=days, reason=reason)
        return ext

    return in_case(env, number, actor, now, run)


def decide_extension(env: Env, number: str, *, approve: bool, by: str, reason: str,
                     now: datetime | None = None) -> Extension:
    """The head of the organ (本行政机关负责人) approves or refuses; the applicant is told why."""
    if not reason.strip():
        raise InvalidAction("the decision needs its reasons — pass --reason TEXT")

    def run(work: CaseWork) -> Extension:
        _open(work)
        pending = [e for e in work.uow.extensions.for_case(work.case.id or 0) if e.decision is None]
        if not pending:
            raise NotFound(f"case {number} has no extension request awaiting a decision")
        ext = pending[0]
        ext.decision = "approved" if approve else "refused"
        ext.decided_by, ext.decided_at, ext.decision_reason = by, work.now, reason
        work.uow.extensions.save(ext)
        case = work.case
        if approve:
            case.extended_days += ext.days
            for attr in ("statutory", "promised"):
                due, day = getattr(case, f"{attr}_due"), getattr(case, f"{attr}_day")
                if due is not None and day is not None:
                    from engine.deadlines import as_deadline

                    moved = work.calendar.shift(as_deadline(due, day), ext.days)
                    setattr(case, f"{attr}_due", moved.at)
                    setattr(case, f"{attr}_day", moved.day)
            work.schedule_case_timers()
        work.event("extension_decided", extension=ext.id, decision=ext.decision, by=by,
                   reason=reason,
                   statutory_due=case.statutory_day.isoformat() if case.statutory_day else None,
                   promised_due=case.promised_day.isoformat() if case.promised_day else None)
        work.event("applicant_notified", notice="延期决定告知书" if approve else "不予延期告知书",
                   text=f"{'准予' if approve else '不予'}延长办理期限 {ext.days} 个工作日；理由：{ext.reason}"
                        f"；决定：{reason}")
        return ext

    return in_case(env, number, by, now, run)


# -- special procedures (特别程序) ------------------------------------------------------------

def start_special(env: Env, number: str, *, actor: str, kind: str, reason: str,
                  expected_days: int, basis: str = ART45_BASIS,
                  now: datetime | None = None) -> CaseWork:
    if kind not in SPECIAL_KINDS:
        raise InvalidAction(f"special procedure {kind!r} is not one of: {'、'.join(SPECIAL_KINDS)}")
    if expected_days < 1:
        raise InvalidAction("--expected-days must be at least 1 (the applicant is told in writing)")
    if not reason.strip():
        raise InvalidAction("a special procedure needs its reason — pass --reason TEXT")

    def run(work: CaseWork) -> CaseWork:
        _open(work)
        if work.case.clock != ClockState.RUNNING:
            raise InvalidAction(f"case {number}: the clock is {work.case.clock.value}; a special "
                                f"procedure starts on an accepted case whose clock runs")
        work.start_stop(kind="special", reason=reason, basis=basis, special=kind,
                        expected_days=expected_days)
        work.event("applicant_notified", notice="特别程序告知书",
                   text=f"本案需进行{kind}，预计需要 {expected_days} 个工作日，所需时间不计入办理期限（{basis}）")
        return work

    return in_case(env, number, actor, now, run)


def end_special(env: Env, number: str, *, actor: str, result: str,
                now: datetime | None = None) -> CaseWork:
    if not result.strip():
        raise InvalidAction("record the special procedure's result — pass --result TEXT")

    def run(work: CaseWork) -> CaseWork:
        _open(work)
        if work.end_stop(kind="special", result=result) is None:
            raise InvalidAction(f"case {number} has no special procedure under way")
        return work

    return in_case(env, number, actor, now, run)


# -- accept with gaps (容缺受理) -------------------------------------------------------------

def accept_with_gaps(env: Env, number: str, *, actor: str, missing: list[str],
                     commitment_signed: bool, makeup_days: int | None = None,
                     now: datetime | None = None) -> CaseWork:
    missing = [m.strip() for m in missing if m.strip()]
    if not missing:
        raise InvalidAction("name the materials that will follow (--missing NAME, once each)")
    if not commitment_signed:
        raise InvalidAction("容缺受理 needs the applicant's signed commitment — pass "
                            "--commitment-signed once it is signed")

    def run(work: CaseWork) -> CaseWork:
        _open(work)
        power = work.power
        materials = {m.name: m for m in power.materials}
        unknown = [m for m in missing if m not in materials]
        if unknown:
            raise InvalidAction(f"{'、'.join(unknown)} is not a material of {power.name}; "
                                f"materials: {'、'.join(materials)}")
        key = [m for m in missing if materials[m].key]
        if key:
            raise InvalidAction(f"{'、'.join(key)} is a key material (关键材料) and cannot be "
                                f"missing under 容缺受理; ask for it with `case supplement`")
        flags = work.uow.flags.for_applicant(work.case.applicant)
        if flags:
            f = flags[-1]
            raise InvalidAction(
                f"applicant {work.case.applicant} cannot be accepted with gaps: flagged on "
                f"{work.calendar.local_date(f.at)} ({f.kind}, case {f.case_number}); accept only with complete "
                f"materials")
        accept_work(work, note="容缺受理：" + "、".join(missing))
        case = work.case
        assert case.promised_due is not None and case.accepted_at is not None
        due = case.promised_due
        if makeup_days is not None:
            asked = work.calendar.deadline(case.accepted_at, makeup_days)
            due = min(asked.at, case.promised_due)
        case.data["gaps"] = {"items": missing, "due_at": due.isoformat(),
                             "commitment_signed": True, "made_up_at": None}
        work.uow.timers.add(Timer(case_id=case.id or 0, kind=TimerKind.MAKEUP_DUE, due_at=due))
        work.event("accepted_with_gaps", missing=missing, makeup_due=due.isoformat())
        work.event("applicant_notified", notice="容缺受理告知书",
                   text=f"容缺材料：{'、'.join(missing)}；请于 {work.calendar.local_date(due - timedelta(seconds=1))} "
                        f"前补齐，逾期未补齐的终止办理")
        return work

    return in_case(env, number, actor, now, run)


def gaps_made_up(env: Env, number: str, *, actor: str, now: datetime | None = None) -> CaseWork:
    def run(work: CaseWork) -> CaseWork:
        _open(work)
        gaps = work.case.data.get("gaps")
        if not gaps or gaps.get("made_up_at"):
            raise InvalidAction(f"case {number} has no missing materials to make up")
        gaps["made_up_at"] = work.now.isoformat()
        for timer in work.uow.timers.for_case(work.case.id or 0):
            if timer.kind == TimerKind.MAKEUP_DUE:
                timer.status = TimerStatus.CANCELLED
                work.uow.timers.save(timer)
        work.event("gaps_made_up", items=gaps["items"])
        return work

    return in_case(env, number, actor, now, run)


def makeup_overdue(work: CaseWork) -> bool:
    """The sweep's part: materials not made up in time → terminate, notify, flag the applicant."""
    gaps = work.case.data.get("gaps")
    if not gaps or gaps.get("made_up_at"):
        return False
    work.runtime.cancel()
    for row in work.open_steps():
        row.status, row.outcome, row.completed_at = TaskStatus.CANCELLED, "terminated", work.now
        work.uow.steps.save(row)
    for timer in work.uow.timers.for_case(work.case.id or 0, ("pending", "paused")):
        timer.status = TimerStatus.CANCELLED
        work.uow.timers.save(timer)
    case = work.case
    case.state, case.result = CaseState.TERMINATED, "terminated"
    case.clock, case.closed_at = ClockState.STOPPED, work.now
    work.event("terminated", reason="容缺材料逾期未补齐", items=gaps["items"])
    work.event("applicant_notified", notice="终止办理告知书",
               text=f"容缺材料 {'、'.join(gaps['items'])} 未在承诺期限内补齐，终止办理")
    work.flag_applicant("gaps_not_made_up", "容缺受理承诺的材料逾期未补齐")
    return True
