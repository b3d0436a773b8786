"""投诉: complaints against a case (or one of its steps), a person or a unit, investigated by a
deadline and decided by a supervisor.

The complaint phone (12345), the web, letters and visits reach the 效能投诉 office; the window or
a supervisor records what came in (``RECORD_COMPLAINT``). It is numbered TS{year}-{serial} and
investigated by ``COMPLAINT_DAYS`` working days after the day it came in: e-supervision rules
screen a complaint within 5 working days (DOMAIN-REFERENCE 8c) and county 效能投诉 offices answer
within 15 working days of accepting it (e.g. Shanghai Xuhui's 效能投诉须知); we count the 15 from
the day it came in, on the working-day calendar. A complaint past its day and still open is
overdue and listed first.

A supervisor decides it (``DECIDE_COMPLAINT``; never one against themselves): upheld (属实) →
a breach 投诉属实 against the named person (or the step's handler), decided at once with one of
the seven measures and the findings, ``ref = "complaint:<number>"`` so that several complaints on
one case and step are each kept; recorded on the case when there is one, else a breach with no
case naming the unit. Not upheld → the reasons are kept as the findings. A decision is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.case import Case
from engine.deadlines import end_of_day
from engine.errors import InvalidAction, NotFound
from engine.identity import Action, Actor
from engine.model import Breach, BreachKind, Complaint, Measure
from engine.ports import UnitOfWork
from engine.services.cases import load, save_case, step_unit
from engine.services.context import Env
from engine.services.identity import require

COMPLAINT_DAYS = 15  # working days to investigate and decide, from the day it came in
CHANNELS: dict[str, str] = {"phone": "电话（12345）", "web": "网上", "letter": "来信",
                            "visit": "来访"}
STATUS: dict[str, str] = {"open": "调查中", "upheld": "属实", "not_upheld": "不属实"}
FACTS_LIMIT = 2000  # what the complainant says happened
FINDINGS_LIMIT = 1500  # the investigation's findings (upheld) or reasons (not upheld)
NAME_LIMIT = 100  # complainant, contact: as the table holds them


def _text(value: str | None, limit: int, what: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidAction(f"{what}不能为空 ({field} is empty)", field=field)
    if len(text) > limit:
        raise InvalidAction(f"{what}最多 {limit} 字，现有 {len(text)} 字，请删减 ({field} too long)",
                            field=field)
    return text


def _day(env: Env, at: datetime | None) -> str:
    return env.calendar().local_date(at).isoformat() if at else "—"


def _ref(number: str) -> str:
    return f"complaint:{number}"


# -- recording -----------------------------------------------------------------------------------

def record_complaint(env: Env, *, complainant: str, contact: str, channel: str, facts: str,
                     actor: Actor, case: str | None = None, step: str | None = None,
                     person: str | None = None, unit: str | None = None,
                     now: datetime | None = None) -> Complaint:
    """Record a complaint against a case (optionally one of its steps, by name), a person (a
    registered login) or a unit — exactly one of the three."""
    at = env.now(now)
    case, step, person, unit = (v.strip() if v else None for v in (case, step, person, unit))
    if sum(1 for v in (case, person, unit) if v) != 1:
        raise InvalidAction("投诉须针对一件办件、一名工作人员或一个单位，三者选一 (name exactly one of "
                            "case, person or unit)", field="against")
    if step and not case:
        raise InvalidAction("环节须与办件一同指明 (a step is named with its case)", field="step")
    who = _text(complainant, NAME_LIMIT, "投诉人", "complainant")
    reach = _text(contact, NAME_LIMIT, "投诉人联系方式", "contact")
    what = _text(facts, FACTS_LIMIT, "投诉事实", "facts")
    if channel not in CHANNELS:
        names = "、".join(f"{k}（{v}）" for k, v in CHANNELS.items())
        raise InvalidAction(f"投诉渠道“{channel}”无效，可选：{names} (unknown channel)",
                            field="channel")
    require(env, actor, Action.RECORD_COMPLAINT, target=case or person or unit or "", now=now)
    cal = env.calendar()
    today = cal.local_date(at)
    with env.uow() as uow:
        # the serial first: on SQLite the unit of work then holds the write lock from the start
        serial = uow.cases.next_serial(f"TS{today.year}")
        number = f"TS{today.year}-{serial:05d}"
        complaint = Complaint(number=number, received_at=at, received_by=actor.login,
                              channel=channel, complainant=who, contact=reach, facts=what,
                              due_day=cal.add_working_days(today, COMPLAINT_DAYS))
        if person:
            _against_person(uow, complaint, person)
        elif unit:
            _against_unit(uow, complaint, unit)
        else:
            loaded = _case(env, uow, case or "")
            _against_case(loaded, complaint, step)
            loaded.stamp(actor_name=actor.name, written_at=env.written_at())
            loaded._act(at, actor.login)  # noqa: SLF001 - the aggregate's acting time
            loaded.event("complaint_recorded", complaint=number, channel=channel,
                         step=complaint.step_name, post=complaint.against_post,
                         person=complaint.against_person)
            save_case(uow, loaded, at)
        uow.complaints.add(complaint)
        uow.commit()
    return complaint


def _case(env: Env, uow: UnitOfWork, number: str) -> Case:
    try:
        return load(env, uow, number)
    except NotFound:
        raise NotFound(f"没有办件 {number}，请核对办件编号（如 2026-食品-000123） (no such case)",
                       field="case") from None


def _against_person(uow: UnitOfWork, complaint: Complaint, login: str) -> None:
    try:
        user = uow.users.get(login)
    except NotFound:
        raise NotFound(f"没有用户“{login}”：被投诉人须是已登记的工作人员（登录名） (no such user)",
                       field="person") from None
    complaint.against_person, complaint.against_unit = user.login, user.unit


def _against_unit(uow: UnitOfWork, complaint: Complaint, unit: str) -> None:
    known = {u.unit for u in uow.users.list()} | {
        str(row.power.get("unit", "")) for row in uow.definitions.current()}
    known.discard("")
    if unit not in known:
        some = "、".join(sorted(known)[:8])
        raise NotFound(f"没有单位“{unit}”：请写单位的全称，如 {some} (no such unit)",
                       field="unit")
    complaint.against_unit = unit


def _against_case(case: Case, complaint: Complaint, step: str | None) -> None:
    complaint.case_number, complaint.against_unit = case.number, case.power.unit
    if not step:
        return
    named = sorted((s for s in case.steps if s.name == step), key=lambda s: s.ready_at)
    if not named:
        names = "、".join(dict.fromkeys(s.name for s in case.steps)) or "—"
        raise InvalidAction(f"办件 {case.number} 没有环节“{step}”；它的环节有：{names} (no such "
                            f"step in this case)", field="step")
    s = named[-1]  # the latest time the case was at that step
    complaint.task_id, complaint.step_name, complaint.against_post = s.id, s.name, s.post
    complaint.against_person = s.completed_by or s.assignee
    complaint.against_unit = step_unit(case, s)


# -- deciding ------------------------------------------------------------------------------------

def decide_complaint(env: Env, number: str, *, upheld: bool, findings: str,
                     measure: str | None = None, actor: Actor,
                     now: datetime | None = None) -> Complaint:
    """属实 with a measure and the findings (a breach against the person), or 不属实 with the
    reasons. Final."""
    at = env.now(now)
    field = "findings" if upheld else "reasons"
    text = _text(findings, FINDINGS_LIMIT, "调查结论（查明的事实）" if upheld else "不属实的理由",
                 field)
    chosen = _measure(measure) if upheld else None
    if not upheld and measure:
        raise InvalidAction("投诉不属实时不作处理措施 (no measure for a complaint not upheld)",
                            field="measure")
    with env.uow() as uow:
        complaint = uow.complaints.get(number.strip())
    require(env, actor, Action.DECIDE_COMPLAINT, target=complaint.number, now=now,
            against=[complaint.against_person])
    _still_open(env, complaint)
    if at < complaint.received_at:
        raise InvalidAction("结论时间早于投诉登记时间 (a decision cannot be dated before the "
                            "complaint came in)")
    with env.uow() as uow:
        complaint = uow.complaints.get(complaint.number)
        _still_open(env, complaint)  # decided meanwhile by another supervisor
        complaint.status = "upheld" if upheld else "not_upheld"
        complaint.findings, complaint.measure = text, chosen.value if chosen else None
        complaint.decided_by, complaint.decided_at = actor.login, at
        breach = _breach(complaint, text, chosen, actor, at) if chosen else None
        if complaint.case_number:
            case = load(env, uow, complaint.case_number)
            case.stamp(actor_name=actor.name, written_at=env.written_at())
            case._act(at, actor.login)  # noqa: SLF001 - the aggregate's acting time
            if breach is not None:
                breach = _on_case(case, complaint, breach, actor, at)
            case.event("complaint_decided", complaint=complaint.number,
                       status=complaint.status, measure=complaint.measure, findings=text,
                       step=complaint.step_name, person=complaint.against_person)
            save_case(uow, case, at)
            uow.complaints.save(complaint)
            if breach is not None:
                uow.complaints.link_breach(complaint.number, _ref(complaint.number))
        else:
            if breach is not None:
                complaint.breach_id = uow.breaches.add(breach).id
            uow.complaints.save(complaint)
        uow.commit()
    if breach is not None:
        complaint.breach_id = breach.id  # known once the case's writes have gone (PostgreSQL)
    return complaint


def _measure(value: str | None) -> Measure:
    names = "、".join(m.value for m in Measure)
    if not value:
        raise InvalidAction(f"投诉属实须选处理措施：{names} (an upheld complaint needs a measure)",
                            field="measure")
    try:
        return Measure(value.strip())
    except ValueError:
        raise InvalidAction(f"处理措施“{value}”不在可选范围内：{names} (unknown measure)",
                            field="measure") from None


def _still_open(env: Env, complaint: Complaint) -> None:
    if complaint.status != "open":
        raise InvalidAction(
            f"投诉 {complaint.number} 已于 {_day(env, complaint.decided_at)} 由 "
            f"{complaint.decided_by} 作出结论（{STATUS.get(complaint.status, complaint.status)}），"
            f"结论不能更改 (the complaint was decided already)", field="complaint")


def _breach(complaint: Complaint, findings: str, measure: Measure, actor: Actor,
            at: datetime) -> Breach:
    """The breach an upheld complaint is, decided at once; for a complaint with no case this
    is the record itself, for one on a case its facts (the case records it, see _on_case)."""
    return Breach(
        case_id=None, case_number=None, kind=BreachKind.COMPLAINT_UPHELD, occurred_at=at,
        facts=f"投诉 {complaint.number}（{CHANNELS[complaint.channel]}）属实：{findings}",
        step_name=complaint.step_name, post=complaint.against_post,
        person=complaint.against_person, measure=measure, reasons=findings,
        decided_by=actor.login, decided_at=at, ref=_ref(complaint.number),
        person_basis="named" if complaint.against_person else "none",
        unit=complaint.against_unit, recorded_by=actor.login)


def _on_case(case: Case, complaint: Complaint, breach: Breach, actor: Actor,
             at: datetime) -> Breach:
    """Record the finding on the case (its step, the person named) and decide it there."""
    found = case.finding(BreachKind.COMPLAINT_UPHELD, breach.facts, now=at,
                         recorded_by=actor.login, step=complaint.task_id,
                         person=complaint.against_person, ref=breach.ref)
    found.measure, found.reasons = breach.measure, breach.reasons
    found.decided_by, found.decided_at = breach.decided_by, breach.decided_at
    case.event("breach_decided", breach=None, kind=found.kind.value, ref=found.ref,
               measure=breach.measure.value if breach.measure else None, reasons=breach.reasons)
    return found


# -- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintRow:
    complaint: Complaint
    due_at: datetime  # the end of its last day
    overdue: bool  # still open past its day

    @property
    def status_label(self) -> str:
        return STATUS.get(self.complaint.status, self.complaint.status)

    @property
    def against(self) -> str:
        c = self.complaint
        parts = [p for p in (c.case_number, c.step_name, c.against_person, c.against_unit) if p]
        return " · ".join(parts)


def _row(env: Env, complaint: Complaint, at: datetime) -> ComplaintRow:
    due_at = end_of_day(env.calendar(), complaint.due_day)
    return ComplaintRow(complaint=complaint, due_at=due_at,
                        overdue=complaint.status == "open" and at >= due_at)


def list_complaints(env: Env, actor: Actor, *, open_only: bool = False,
                    now: datetime | None = None) -> list[ComplaintRow]:
    """For supervisors: overdue investigations first, then open ones by their day, then the
    decided, newest first."""
    at = env.now(now)
    require(env, actor, Action.VIEW_SUPERVISION, target="complaints", now=now)
    with env.uow() as uow:
        rows = [_row(env, c, at) for c in uow.complaints.list(open_only=open_only,
                                                             limit=100_000)]

    def key(row: ComplaintRow) -> tuple[int, str, float]:
        c = row.complaint
        rank = 0 if row.overdue else 1 if c.status == "open" else 2
        return rank, c.due_day.isoformat() if rank < 2 else "", -c.received_at.timestamp()
    return sorted(rows, key=key)


def show_complaint(env: Env, actor: Actor, number: str,
                   now: datetime | None = None) -> ComplaintRow:
    at = env.now(now)
    require(env, actor, Action.VIEW_SUPERVISION, target=number, now=now)
    with env.uow() as uow:
        return _row(env, uow.complaints.get(number.strip()), at)
