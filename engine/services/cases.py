"""Case use cases at the window and in the task list: start, accept, refuse to accept, ask once
for supplements, claim and complete steps, withdraw, stop and restart the clock.

Each function is one transaction: load the case (the aggregate, engine/case.py), call one
method on it, save it (the workflow state, its parts and its audit events commit together or
not at all).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from engine.applicants import Applicant
from engine.audit_replay import record, remember
from engine.case import Case, Setting
from engine.catalogue import Power
from engine.deadlines import end_of_day
from engine.errors import Forbidden, InvalidAction, NotFound, PowerNotAvailable
from engine.identity import Action, Actor, authorize
from engine.model import StepRecord
from engine.ports import UnitOfWork
from engine.services.context import Env
from engine.services.identity import record_denial, require
from engine.services.views import CaseView, StepView

T = TypeVar("T")


def setting(env: Env, uow: UnitOfWork, definition_id: int) -> Setting:
    """What a case of this definition version needs; versions never change once deployed, so
    the catalogue entry and spec are read once per process."""
    cached = env.definitions.get(definition_id)
    if cached is None:
        from engine.serialization import spec_objects  # SpiffWorkflow: only when a case is worked

        row = uow.definitions.get(definition_id)
        cached = (Power.from_dict(row.power), spec_objects(row.spec))
        env.definitions[definition_id] = cached
    return Setting(power=cached[0], spec=cached[1], calendar=env.calendar(), rules=env.rules)


def load(env: Env, uow: UnitOfWork, number: str | None = None, *, case_id: int | None = None,
         lock: bool = False) -> Case:
    case = (uow.cases.get(number, lock=lock) if number is not None
            else uow.cases.get_by_id(case_id or 0, lock=lock))
    return prepare(env, uow, case)


def prepare(env: Env, uow: UnitOfWork, case: Case) -> Case:
    """Give a loaded case its setting, and its live workflow when it is exactly the stored one;
    remember what supervisors read of it as loaded (the next save records what changed)."""
    case.attach(setting(env, uow, case.definition_id))
    remember(case)
    # The live workflow this process last committed for the case, if it is still the stored one:
    # taken out (never shared between two units of work) and used only on an exact match.
    live = env.live.pop(case.id, None)
    if live is not None and live[0] == case.live_key():
        case.adopt_runtime(live[1])
    return case


def keep_live(env: Env, case: Case) -> None:
    """After a commit: keep the case's workflow for the next unit of work in this process."""
    runtime = case.loaded_runtime()
    if runtime is not None and case.id is not None:
        if len(env.live) >= LIVE_CACHE_SIZE:
            env.live.pop(next(iter(env.live)))
        env.live[case.id] = (case.live_key(), runtime)


LIVE_CACHE_SIZE = 2_000


def _guarded(env: Env, actor: Actor, at: datetime, fn: Callable[[], T]) -> T:
    """Run a use case's body; a refusal by the permission table is recorded, then raised."""
    try:
        return fn()
    except Forbidden as err:
        record_denial(env, err, at)
        raise


def _stamp(env: Env, case: Case, actor: Actor, at: datetime) -> None:
    """Every event records the acting user's name and the wall-clock time; a person never acts
    on a case before it was received (time travel backwards is refused)."""
    if not actor.system and at < case.received_at:
        raise InvalidAction(f"办理时间 {at.isoformat()} 早于收件时间 {case.received_at.isoformat()}："
                            f"不能补记或倒签 (an action cannot be dated before the case was received)")
    case.stamp(actor_name=None if actor.system else actor.name, written_at=env.written_at())


def in_case(env: Env, number: str, now: datetime | None, fn: Callable[[Case, datetime], T],
            *, actor: Actor, lock: bool = False) -> T:
    """Load one case, run ``fn`` on it (it checks the permission table first), save it and
    commit once, with the notices the change causes."""
    at = env.now(now)

    def run() -> T:
        with env.uow() as uow:
            case = load(env, uow, number, lock=lock)
            _stamp(env, case, actor, at)
            result = fn(case, at)
            save_case(uow, case, at)
            uow.commit()
        keep_live(env, case)
        return result
    return _guarded(env, actor, at, run)


def save_case(uow: UnitOfWork, case: Case, at: datetime) -> None:
    """Save the case and queue the notices its new events cause, in one transaction."""
    from engine.documents import notices_for
    from engine.services.notices import queue
    from engine.services.responsibility import name_people

    name_people(uow, case)  # a breach on a step nobody claimed: the post's holder or leader
    notices = notices_for(case)  # from the events this unit of work raised (saved next)
    record(case, notices)  # the change to what supervisors read, as one audit event
    uow.cases.save(case)
    queue(uow, case, notices, at)


def allow(actor: Actor, action: Action, case: Case, **context: Any) -> None:
    authorize(actor, action, target=case.number, **context)


def handlers(case: Case) -> list[tuple[str | None, str, str | None]]:
    """The case's open steps as the permission table weighs who handles them:
    (post, unit, claimant)."""
    return [(s.post, step_unit(case, s), s.assignee) for s in case.open_steps()]


def readers(case: Case, unit: str) -> dict[str, Any]:
    """The case as the READ_CASE rule weighs who may read its file: the units that handle it
    (``unit``: its power's) and the people who acted on it."""
    return {"units": sorted({unit} | {s.department for s in case.steps if s.department}),
            "people": sorted({p for s in case.steps for p in (s.completed_by, s.assignee) if p})}


def check_reader(env: Env, case: Case, reader: Actor | None, unit: str) -> None:
    """Refuse (and record) a reader who may not read this case's file. ``None`` is the
    operator's console (the CLI), which holds the database itself. Call it outside a unit of
    work: a refusal is written in a transaction of its own."""
    if reader is not None:
        require(env, reader, Action.READ_CASE, target=case.number, **readers(case, unit))


def step_unit(case: Case, step: StepRecord) -> str:
    return step.department or case.power.unit


def step_unit_of(uow: UnitOfWork, power_code: str) -> str:
    """The unit of a power's steps that name no department of their own."""
    row = uow.definitions.latest(power_code)
    return str(row.power.get("unit", "")) if row is not None else ""


def start_case(env: Env, power_code: str, applicant: Applicant,
               data: dict[str, Any] | None = None, *, actor: Actor, channel: str = "window",
               received_on: str | None = None, request_key: str | None = None,
               now: datetime | None = None) -> CaseView:
    """Receive an application (收件): a new case on the power's latest active version.

    The date of receipt follows the channel (OGI Art. 31): in person, the moment it is
    handed in; registered mail, the day the office signed for it; ordinary mail and online,
    the day receipt was confirmed — given as ``received_on`` (YYYY-MM-DD).

    ``request_key`` makes the start idempotent: a retry with the same key (after a lost answer
    or a crash) returns the case the first attempt made instead of a second case.
    """
    at = env.now(now)
    require(env, actor, Action.REGISTER, target=power_code, now=now)
    who = applicant.checked()
    key = (request_key or "").strip() or None
    if key is not None and (len(key) > 64 or not key.isprintable()):
        raise InvalidAction("请求编号最多 64 个可打印字符 (request key too long)", field="request_key")
    if key is not None:
        existing = _started_by(env, key)
        if existing is not None:
            same = existing.power_code == power_code and existing.applicant_key == who.key
            if not same:
                raise InvalidAction(f"请求编号“{key}”已用于另一申请（{existing.number}）：同一请求编号只能"
                                    f"用于重试同一申请 (the request key was used for another "
                                    f"application)", field="request_key")
            return existing
    data = dict(data or {})
    if channel in ("mail", "registered_mail") and not received_on:
        raise InvalidAction("邮寄的申请须写明本机关签收或确认收到的日期（YYYY-MM-DD，政府信息公开条例第三十一条） "
                            "(for a mailed application give the day the office signed for it)",
                            field="received_on")
    if channel != "window" and received_on:
        received = _start_of_day(env, received_on)
        if received > at:
            raise InvalidAction(f"收到日期 {received_on} 在将来 (the day of receipt is in the future)",
                                field="received_on")
        at_received = received
    elif channel == "window" and received_on:
        raise InvalidAction("窗口申请以递交时间为收件时间，不另填收到日期；收到日期用于邮寄和网上申请 "
                            "(a day of receipt is for mail and online applications)")
    else:
        at_received = at
    with env.uow() as uow:
        definition = uow.definitions.latest(power_code)
        if definition is None:
            raise PowerNotAvailable(
                f"事项 {power_code} 不在权力清单中（未部署），不得行使——请核对事项编码，或由流程设计人员部署 "
                f"(power {power_code} is not in the catalogue: check the code, or deploy it)", field="power")
        if definition.status != "active":
            raise PowerNotAvailable(
                f"事项 {power_code} 已撤回，不能受理新的申请 (power {power_code} has been withdrawn "
                f"from the catalogue)", field="power")
        where = setting(env, uow, definition.id)
        power = where.power
        if power.kind == "power" and power.renewal and "licence_expires" not in data:
            raise InvalidAction(
                f"{power.name}是延续申请：须填写现有许可证的有效期届满日期 licence_expires（YYYY-MM-DD，"
                f"行政许可法第五十条） (a renewal needs the current licence's expiry date)",
                field="licence_expires")
        expires = (end_of_day(where.calendar, str(data["licence_expires"]))
                   if "licence_expires" in data else None)
        year = where.calendar.local_date(at).year
        serial = uow.cases.next_serial(f"{year}-{power.short_name}")
        case = Case.receive(where, number=f"{year}-{power.short_name}-{serial:06d}",
                            definition_id=definition.id, applicant=who.name, data=data,
                            channel=channel, received_at=at_received,
                            licence_expires_at=expires)
        case.data["applicant_id"] = {"type": who.id_type, "number": who.id_number}
        if who.contact():
            case.data["contact"] = who.contact()
        uow.cases.add(case)
        case.stamp(actor_name=actor.name, written_at=env.written_at())
        case.start(now=at, actor=actor.login, version=definition.version)
        save_case(uow, case, at)
        if key is not None:
            uow.start_requests.add(key, case.id or 0, at)
        uow.commit()
    keep_live(env, case)
    return CaseView.of(case)


def _started_by(env: Env, key: str) -> CaseView | None:
    with env.uow() as uow:
        case_id = uow.start_requests.case_for(key)
        if case_id is None:
            return None
        return CaseView.of(uow.cases.get_by_id(case_id), existing=True)


def _start_of_day(env: Env, day: str) -> datetime:
    from datetime import date, time

    try:
        d = date.fromisoformat(day)
    except ValueError:
        raise InvalidAction(f"“{day}”不是日期，请写成 YYYY-MM-DD (not a date)",
                            field="received_on") from None
    return datetime.combine(d, time(0), tzinfo=env.calendar().tz).astimezone(UTC)


def accept(env: Env, number: str, *, actor: Actor, note: str = "",
           data: dict[str, Any] | None = None, missing: list[str] | tuple[str, ...] = (),
           now: datetime | None = None) -> CaseView:
    """受理, with any form data the window records (e.g. commitment=true under 告知承诺制).
    ``missing``: materials the clerk's checklist marks as not received or to be corrected —
    then it is not 受理 as it stands, but 一次性告知 (or 容缺受理 for non-key materials)."""
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.ACCEPT, case)
        if missing:
            raise InvalidAction(f"材料未收齐：{'、'.join(missing)}。请一次性告知补正；只缺可容缺的材料时，"
                                f"可在申请人签署承诺书后容缺受理 (materials are missing)",
                                field="materials")
        case.accept(now=at, actor=actor.login, note=note, data=data)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def refuse_acceptance(env: Env, number: str, *, actor: Actor, reason: str,
                      now: datetime | None = None) -> CaseView:
    """不予受理, with reasons (ALL Art. 32)."""
    if not reason.strip():
        raise InvalidAction("不予受理须写明理由（写入不予受理通知书） (a refusal to accept needs its "
                            "reasons)", field="reason")

    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.REFUSE_ACCEPTANCE, case)
        case.refuse_acceptance(now=at, actor=actor.login, reason=reason)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def request_supplement(env: Env, number: str, *, actor: Actor, items: list[str],
                       why_not_in_first_notice: str = "",
                       now: datetime | None = None) -> CaseView:
    """一次性告知: ask once, listing every missing item (ALL Art. 32)."""
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.REQUEST_SUPPLEMENT, case)
        case.request_supplement(now=at, actor=actor.login, items=items,
                                why_not_in_first_notice=why_not_in_first_notice)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def supplement_received(env: Env, number: str, *, actor: Actor, note: str = "",
                        now: datetime | None = None) -> CaseView:
    """补正结束: the applicant brought the missing materials."""
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.SUPPLEMENT_RECEIVED, case)
        case.supplement_received(now=at, actor=actor.login, note=note)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def in_step_case(env: Env, task_ref: str, now: datetime | None,
                 fn: Callable[[Case, StepRecord, datetime], T], *, actor: Actor) -> T:
    """Find a step by its id (or a unique prefix), load its case, run ``fn``, save, commit."""
    at = env.now(now)

    def run() -> T:
        with env.uow() as uow:
            case, step = uow.cases.get_by_step(task_ref)
            prepare(env, uow, case)
            _stamp(env, case, actor, at)
            if at < step.ready_at:
                raise InvalidAction(f"办理时间 {at.isoformat()} 早于环节“{step.name}”到达的时间 "
                                    f"{step.ready_at.isoformat()}：不能倒签 (an action cannot be "
                                    f"dated before the step existed)")
            result = fn(case, step, at)
            save_case(uow, case, at)
            uow.commit()
        keep_live(env, case)
        return result
    return _guarded(env, actor, at, run)


def _step_check(actor: Actor, action: Action, case: Case, step: StepRecord) -> None:
    if step.role == "acceptance":  # the window's step: 受理 is the window's
        allow(actor, Action.ACCEPT, case)
        return
    allow(actor, action, case, post=step.post, unit=step_unit(case, step))


def claim(env: Env, task_ref: str, *, actor: Actor, now: datetime | None = None) -> StepView:
    def run(case: Case, step: StepRecord, at: datetime) -> StepView:
        _step_check(actor, Action.CLAIM, case, step)
        return StepView.of(case.claim(step.id, now=at, user=actor.login))
    return in_step_case(env, task_ref, now, run, actor=actor)


def release(env: Env, task_ref: str, *, actor: Actor, reason: str = "",
            now: datetime | None = None) -> StepView:
    """Hand a claimed step back to its post: the claimant, or the post's leader (转办)."""
    def run(case: Case, step: StepRecord, at: datetime) -> StepView:
        if step.assignee is None:  # nothing to hand back: say so, whoever asks
            return StepView.of(case.release(step.id, now=at, user=actor.login, reason=reason))
        allow(actor, Action.RELEASE, case, assignee=step.assignee, post=step.post,
              unit=step_unit(case, step))
        return StepView.of(case.release(step.id, now=at, user=actor.login, reason=reason))
    return in_step_case(env, task_ref, now, run, actor=actor)


def reassign(env: Env, task_ref: str, to: Actor, *, actor: Actor, reason: str,
             now: datetime | None = None) -> StepView:
    """转办: the post's leader hands a step to another holder of the post (absence, workload)."""
    if not reason.strip():
        raise InvalidAction("转办须写明原因（如请假、出差） (give the reason)", field="reason")

    def run(case: Case, step: StepRecord, at: datetime) -> StepView:
        allow(actor, Action.REASSIGN, case, post=step.post, unit=step_unit(case, step), to=to)
        return StepView.of(case.reassign(step.id, now=at, by=actor.login, to=to.login,
                                         to_name=to.name, reason=reason))
    return in_step_case(env, task_ref, now, run, actor=actor)


def complete_task(env: Env, task_ref: str, *, actor: Actor, data: dict[str, Any] | None = None,
                  now: datetime | None = None) -> CaseView:
    """Complete a step with its form data. Exactly one of two people completing it wins."""
    def run(case: Case, step: StepRecord, at: datetime) -> CaseView:
        _step_check(actor, Action.COMPLETE, case, step)
        case.complete(step.id, now=at, user=actor.login, data=dict(data or {}))
        return CaseView.of(case)
    return in_step_case(env, task_ref, now, run, actor=actor)


def hand_out(env: Env, number: str, *, actor: Actor, method: str, received_by: str,
             note: str = "", now: datetime | None = None) -> CaseView:
    """送达: the window hands the result to the applicant (or sends it), with a pick-up record."""
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.HAND_OUT, case)
        case.hand_out(now=at, actor=actor.login, method=method, received_by=received_by,
                      note=note)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def withdraw(env: Env, number: str, *, actor: Actor, reason: str = "",
             now: datetime | None = None) -> CaseView:
    """撤件: the applicant withdraws the application (recorded at the window)."""
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.WITHDRAW_CASE, case)
        case.withdraw(now=at, actor=actor.login, reason=reason)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def suspend(env: Env, number: str, *, actor: Actor, reason: str, kind: str = "manual",
            until: str | None = None, now: datetime | None = None) -> CaseView:
    """Stop the clock with who, why and until when.

    ``supplement``: the applicant supplements materials during review, asked by the step's
    handler. ``manual``: any other stop — only a supervisor approves it, with an expected end
    date; it is then watched like any deadline (warning, then a yellow card when it overruns).
    """
    if not reason.strip():
        raise InvalidAction("停止计时须写明理由 (stopping the clock needs a reason)", field="reason")
    if kind not in ("manual", "supplement"):
        raise InvalidAction(f"停止计时的类型“{kind}”无效：manual（其他，须监察批准）或 supplement"
                            f"（审查中补正） (unknown kind)", field="kind")
    cal = env.calendar()
    at = env.now(now)
    expected_days = None
    if until:
        end = _start_of_day(env, until)
        days = cal.working_days_between(cal.local_date(at), cal.local_date(end))
        if days < 1:
            raise InvalidAction(f"预计结束日期 {until} 须晚于今天至少一个工作日 (the expected end "
                                f"must be a later working day)", field="until")
        expected_days = days

    def run(case: Case, at: datetime) -> CaseView:
        if kind == "manual":
            allow(actor, Action.STOP_CLOCK, case)
            if expected_days is None:
                raise InvalidAction("其他停止计时须写明预计结束日期（到期未恢复将预警并亮黄牌） (give the "
                                    "expected end date)", field="until")
        else:
            allow(actor, Action.STOP_FOR_SUPPLEMENT, case, steps=handlers(case))
        case.stop_clock(now=at, actor=actor.login, reason=reason, kind=kind,
                        expected_days=expected_days,
                        basis="监察人员批准" if kind == "manual" else "")
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def resume(env: Env, number: str, *, actor: Actor, result: str | None = None,
           now: datetime | None = None) -> CaseView:
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.RESUME_CLOCK, case, steps=handlers(case))
        case.restart_clock(now=at, actor=actor.login, result=result)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def case_view(env: Env, number: str) -> CaseView:
    with env.uow() as uow:
        try:
            return CaseView.of(uow.cases.get(number))
        except NotFound:
            raise NotFound(f"没有办件 {number}，请核对回执上的办件编号（如 2026-食品-000123） "
                           f"(no such case)") from None


def find_case(env: Env, number_or_code: str) -> Case:
    """The loaded aggregate, for tests and maintenance scripts that inspect its parts; front
    ends use ``case_view`` and the read models instead."""
    with env.uow() as uow:
        try:
            return load(env, uow, number_or_code)
        except NotFound:
            raise NotFound(f"没有办件 {number_or_code}，请核对回执上的办件编号 (no such case)") from None
