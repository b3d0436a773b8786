"""Supervisor use cases: breaches (违诺) and their measures, cards, and the case record."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from engine.case import Case
from engine.case_answers import card_state
from engine.errors import InvalidAction, NotFound
from engine.identity import Action, Actor, decide
from engine.model import Breach, BreachKind, Measure
from engine.services.audit_check import check_one
from engine.services.cases import allow, check_reader, in_case, readers
from engine.services.context import Env
from engine.services.identity import require
from engine.services.notices import notice_views


def list_breaches(env: Env, *, decided: bool | None = None) -> list[Breach]:
    with env.uow() as uow:
        return uow.breaches.list(decided=decided)


def decide_breach(env: Env, breach_id: int, *, measure: str, reasons: str, actor: Actor,
                  now: datetime | None = None) -> Breach:
    """A supervisor's decision on a breach — never on one against themselves; once taken it
    cannot be changed (it is evidence)."""
    try:
        chosen = Measure(measure)
    except ValueError:
        names = "、".join(m.value for m in Measure)
        raise InvalidAction(f"处理措施“{measure}”不在可选范围内：{names} (unknown measure)",
                            field="measure") from None
    if not reasons.strip():
        raise InvalidAction("处理决定须写明理由 (a decision needs its reasons)", field="reasons")
    with env.uow() as uow:
        try:
            found = uow.breaches.get(breach_id)
        except NotFound:
            raise NotFound(f"没有违诺记录 #{breach_id}，请查看违诺列表 (no such breach)") from None
    number = found.case_number
    if number is None:
        return _decide_caseless(env, found, chosen, reasons.strip(), actor, now)

    def run(case: Case, when: datetime) -> Breach:
        breach = next((b for b in case.breaches if b.id == breach_id), None)
        against = [breach.person] if breach is not None else []
        if breach is not None and breach.post and breach.post in actor.posts:
            against.append(actor.login)  # a breach of a post the supervisor holds is theirs too
        allow(actor, Action.DECIDE_BREACH, case, against=against)
        return case.decide_breach(breach_id, now=when, actor=actor.login, measure=chosen,
                                  reasons=reasons)
    return in_case(env, number, now, run, actor=actor)


def _decide_caseless(env: Env, breach: Breach, measure: Measure, reasons: str, actor: Actor,
                     now: datetime | None) -> Breach:
    """A breach with no case (体外审批): decided on its own row, once."""
    at = env.now(now)
    against = [breach.person]
    if breach.post and actor.holds(breach.post, breach.unit):
        against.append(actor.login)
    require(env, actor, Action.DECIDE_BREACH, target=breach.ref or f"breach {breach.id}",
            now=now, against=against)
    with env.uow() as uow:
        if not uow.breaches.decide(breach.id or 0, measure=measure, reasons=reasons,
                                   by=actor.login, at=at):
            done = uow.breaches.get(breach.id or 0)
            raise InvalidAction(
                f"违诺记录 #{done.id} 已由 {done.decided_by} 作出处理决定"
                f"（{done.measure.value if done.measure else ''}），不能更改 (a decision cannot be "
                f"changed — record a new breach if new facts come to light)")
        uow.commit()
        return uow.breaches.get(breach.id or 0)


def record_off_system(env: Env, *, power_code: str, person: str, applicant: str,
                      decided_on: str | date, facts: str, actor: Actor,
                      now: datetime | None = None) -> Breach:
    """体外审批: a supervisor records a case decided outside the system as a breach with no
    case — the power, the person who decided it (a registered login), the applicant and the
    day as facts. It is listed, decided and counted like any breach."""
    at = env.now(now)
    require(env, actor, Action.RECORD_OFF_SYSTEM, target=power_code.strip(), now=now)
    who, text, name = person.strip(), facts.strip(), applicant.strip()
    if not name:
        raise InvalidAction("申请人不能为空 (the applicant is empty)", field="applicant")
    if not text:
        raise InvalidAction("体外审批的事实不能为空：写明在何处、由谁、如何作出决定 (the facts are empty)",
                            field="facts")
    if isinstance(decided_on, date):
        day = decided_on
    else:
        try:
            day = date.fromisoformat(str(decided_on).strip())
        except ValueError:
            raise InvalidAction(f"决定日期“{decided_on}”不是日期，请写成 YYYY-MM-DD (not a date)",
                                field="decided_on") from None
    today = env.calendar().local_date(at)
    if day > today:
        raise InvalidAction(f"决定日期 {day} 在将来（今天是 {today}） (the day is in the future)",
                            field="decided_on")
    with env.uow() as uow:
        definition = uow.definitions.latest(power_code.strip())
        if definition is None:
            raise NotFound(f"没有事项“{power_code}”，请查看事项目录 (no such power)")
        try:
            uow.users.get(who)
        except NotFound:
            raise NotFound(f"没有用户“{who}”：体外审批须指明作出决定的登记人员的登录名 (no such "
                           f"user)", field="person") from None
        power = definition.power
        ref = f"offsystem:{today.year}-{uow.cases.next_serial(f'offsystem-{today.year}'):04d}"
        breach = Breach(
            case_id=None, case_number=None, kind=BreachKind.OFF_SYSTEM, occurred_at=at,
            facts=f"体外审批：{name} 申请的“{power.get('name', definition.power_code)}”于 {day} "
                  f"在系统外作出决定。{text}",
            person=who, person_basis="named", power_code=definition.power_code,
            unit=str(power.get("unit", "")) or None, recorded_by=actor.login, ref=ref)
        added = uow.breaches.add(breach)
        uow.commit()
        return added




def _iso(v: Any, tz: Any = None) -> Any:
    """JSON-ready: instants in local time with their offset (2026-03-02T09:00:00+08:00), dates
    as YYYY-MM-DD, enums as their code."""
    if isinstance(v, datetime):
        return (v.astimezone(tz) if tz is not None else v).isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "value"):
        return v.value
    return v


def _certificate(case: Any) -> dict[str, str] | None:
    """The applicant's certificate, its number masked (110101********0011): enough to check
    against the card the applicant shows, not to copy."""
    from engine.applicants import mask_number

    cert = case.data.get("applicant_id")  # erased when its retention ended: a marker string
    return ({"type": cert["type"], "number": mask_number(cert["number"])}
            if isinstance(cert, dict) else None)


def _plain(obj: Any, tz: Any = None) -> dict[str, Any]:
    return {k: _iso(v, tz) for k, v in asdict(obj).items()}


def case_record(env: Env, number: str, *, reader: Actor | None = None) -> dict[str, Any]:
    """The whole record of a case in one document (what the case file shows, as JSON), for a
    reader the READ_CASE rule lets read it (``None``: the operator's console)."""
    tz = env.calendar().tz
    iso = lambda v: _iso(v, tz)  # noqa: E731
    plain = lambda o: _plain(o, tz)  # noqa: E731
    with env.uow() as uow:
        case = uow.cases.get(number)
        unit = str(uow.definitions.get(case.definition_id).power.get("unit", ""))
        if reader is None or decide(reader, Action.READ_CASE, **readers(case, unit)).allowed:
            return _record(uow, case, iso, plain)
    check_reader(env, case, reader, unit)  # records the refusal and raises
    raise AssertionError("unreachable: the reader was refused")


def _record(uow: Any, case: Case, iso: Any, plain: Any) -> dict[str, Any]:
    cid = case.id or 0
    steps = sorted(case.steps, key=lambda s: (s.ready_at, s.name))
    events = uow.audit.for_case(cid)
    replay = check_one(uow, case, events)
    people = {p for s in case.steps for p in (s.completed_by, s.assignee) if p}
    names = uow.users.names(people | {e.actor for e in events})
    record = {
        "number": case.number, "query_code": case.query_code, "power": case.power_code,
        "process": case.process_id, "definition_id": case.definition_id,
        "applicant": case.applicant, "channel": case.channel, "mode": case.mode,
        "applicant_certificate": _certificate(case),
        "state": case.state.value, "state_label": case.state.label,
        "platform_code": case.state.platform_code, "clock": case.clock.value,
        "received_at": iso(case.received_at), "accepted_at": iso(case.accepted_at),
        "deemed_accepted": case.deemed_accepted,
        "promised_deadline": iso(case.promised_day), "promised_due_at": iso(case.promised_due),
        "statutory_deadline": iso(case.statutory_day),
        "statutory_due_at": iso(case.statutory_due),
        "provisional_deadlines": case.provisional,
        "promised_provisional": bool(case.promised and case.promised.provisional),
        "statutory_provisional": bool(case.statutory and case.statutory.provisional), "working_days_stopped": case.stopped_days,
        "extended_days": case.extended_days, "result": case.result, "deemed": case.deemed,
        "deemed_pending": case.deemed_pending, "closed_at": iso(case.closed_at),
        "personal_data_erased_at": iso(case.erased_at),
        "application": case.data.get("application", {}),
        "supplement_notices": case.data.get("supplement_notices", []),
        "steps": [
            {"id": s.id, "name": s.name, "post": s.post, "role": s.role,
             "person": s.completed_by or s.assignee,
             "person_name": names.get(s.completed_by or s.assignee or "", s.completed_by or s.assignee),
             "start": iso(s.ready_at),
             "end": iso(s.completed_at), "status": s.status.value, "outcome": s.outcome,
             "opinion": s.opinion, "limit_days": s.limit_days, "due": iso(s.due_day),
             "due_provisional": bool(s.due and s.due.provisional),
             "counted": s.counted, "department": s.department, "data": s.data}
            for s in steps
        ],
        "clock_stops": [plain(s) for s in case.stops],
        "extensions": [plain(e) for e in case.extensions],
        "cards": [{**plain(c), "state": card_state(c)} for c in case.cards],
        "orders": [plain(o) for o in case.orders()],
        "breaches": [plain(b) for b in case.breaches],
        "history": [
            {"seq": e.seq, "at": iso(e.at), "actor": e.actor,
             "actor_name": e.payload.get("actor_name") or names.get(e.actor, e.actor),
             "kind": e.kind,
             "payload": e.payload, "hash": e.hash} for e in events
        ],
        "gaps": case.data.get("gaps"),
        "handed_out": case.data.get("handed_out"),
        "applicant_flags": [plain(f) for f in uow.flags.for_applicant(case.applicant_key)],
        # the chain checked, and replayed against the rows above (engine/audit_replay.py)
        "audit_chain": list(replay.problems) or "intact",
        "audit_replay": {"status": replay.status, "covered_since": replay.covered_since,
                         "problems": list(replay.problems)},
        "notices": [n.to_dict() for n in notice_views(uow.outbox.for_case(cid))],
    }
    return record


def step_statistics(env: Env, power_code: str, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per step of a power: cases waiting there now, how many are overdue, and the average
    working days taken (the live flowchart for supervisors)."""
    at = env.now(now)
    cal = env.calendar()
    with env.uow() as uow:
        rows = uow.steps.list(power_code=power_code, status=None, limit=1_000_000)
    stats: dict[str, dict[str, Any]] = {}
    taken: dict[str, list[int]] = {}
    for s in rows:
        entry = stats.setdefault(s.spec_id, {"waiting": 0, "overdue": 0, "avg_days": None})
        if s.status.value == "ready":
            entry["waiting"] += 1
            if s.due_at is not None and s.due_at <= at:
                entry["overdue"] += 1
        elif s.status.value == "completed" and s.completed_at is not None:
            taken.setdefault(s.spec_id, []).append(cal.working_days_between(
                cal.local_date(s.ready_at), cal.local_date(s.completed_at)))
    for spec_id, days in taken.items():
        stats[spec_id]["avg_days"] = round(sum(days) / len(days), 1)
    return stats


RESULT_LABELS = {
    "approved": "准予", "deemed_approved": "视为准予（超时默许）", "refused": "不予",
    "not_accepted": "不予受理", "terminated": "终止办理", "revoked": "已撤销",
    "completed": "已办结", "withdrawn": "已撤件",
}


def mask_name(name: str) -> str:
    """PIPL: 张三 → 张*, 张小三 → 张*三, companies keep their first and last two characters."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*"
    if len(name) <= 4:
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return name[:2] + "*" * (len(name) - 4) + name[-2:]


def public_lookup(env: Env, number: str, query_code: str) -> dict[str, Any]:
    """What the public sees of its own case: number, power, steps, dates, result — no personal
    data beyond a masked name (个人信息保护法). A wrong number or code gives the same answer."""
    tz = env.calendar().tz
    iso = lambda v: _iso(v, tz)  # noqa: E731
    with env.uow() as uow:
        try:
            case = uow.cases.get(number.strip())
        except NotFound:
            case = None
        if case is None or not query_code or case.query_code != query_code.strip().upper():
            raise NotFound("no case matches this number and query code — check both on the receipt")
        from engine.catalogue import Power

        power = Power.from_dict(uow.definitions.get(case.definition_id).power)
        steps = sorted(case.steps, key=lambda s: s.ready_at)
    return {
        "number": case.number, "power": power.name, "unit": power.unit,
        "applicant": mask_name(case.applicant), "state": case.state.label,
        "received": iso(case.received_at), "accepted": iso(case.accepted_at),
        "promised_deadline": iso(case.promised_day),
        "statutory_deadline": iso(case.statutory_day),
        "clock": case.clock.value, "result": case.result,
        "result_label": RESULT_LABELS.get(case.result or "", case.result), "deemed": case.deemed,
        "steps": [{"name": s.name, "post": s.post, "start": iso(s.ready_at),
                   "end": iso(s.completed_at), "status": s.status.value} for s in steps],
        "complaint_phone": power.complaint_phone,
    }
