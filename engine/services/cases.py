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

from engine.case import Case, Setting
from engine.catalogue import Power
from engine.deadlines import end_of_day
from engine.errors import InvalidAction, NotFound, PowerNotAvailable
from engine.model import StepRecord
from engine.ports import UnitOfWork
from engine.services.context import Env

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
    """Give a loaded case its setting, and its live workflow when it is exactly the stored one."""
    case.attach(setting(env, uow, case.definition_id))
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


def in_case(env: Env, number: str, now: datetime | None, fn: Callable[[Case, datetime], T],
            *, lock: bool = False) -> T:
    """Load one case, run ``fn`` on it, save it and commit once."""
    at = env.now(now)
    with env.uow() as uow:
        case = load(env, uow, number, lock=lock)
        result = fn(case, at)
        uow.cases.save(case)
        uow.commit()
    keep_live(env, case)
    return result


def start_case(env: Env, power_code: str, applicant: str, data: dict[str, Any] | None = None,
               *, actor: str = "window", channel: str = "window",
               received_on: str | None = None, now: datetime | None = None) -> Case:
    """Receive an application (收件): a new case on the power's latest active version.

    The date of receipt follows the channel (OGI Art. 31): in person, the moment it is
    handed in; registered mail, the day the office signed for it; ordinary mail and online,
    the day receipt was confirmed — given as ``received_on`` (YYYY-MM-DD).
    """
    if not applicant.strip():
        raise InvalidAction("the applicant's name is empty — give the applicant's name",
                            field="applicant")
    at = env.now(now)
    data = dict(data or {})
    if channel in ("mail", "registered_mail") and not received_on:
        raise InvalidAction("for a mailed application give the day the office signed for it or "
                            "confirmed it (YYYY-MM-DD, OGI Art. 31)")
    if channel != "window" and received_on:
        received = _start_of_day(env, received_on)
        if received > at:
            raise InvalidAction(f"the day of receipt {received_on} is in the future")
        at_received = received
    elif channel == "window" and received_on:
        raise InvalidAction("a day of receipt is for mail and online applications; at the window "
                            "the application is received when it is handed in")
    else:
        at_received = at
    with env.uow() as uow:
        definition = uow.definitions.latest(power_code)
        if definition is None:
            raise PowerNotAvailable(
                f"power {power_code} is not in the catalogue (not deployed) and may not be "
                f"exercised — check the code in the list of powers")
        if definition.status != "active":
            raise PowerNotAvailable(
                f"power {power_code} has been withdrawn from the catalogue and cannot start a case")
        where = setting(env, uow, definition.id)
        power = where.power
        if power.kind == "power" and power.renewal and "licence_expires" not in data:
            raise InvalidAction(
                f"{power.name} is a renewal: give the current licence's expiry date as the field "
                f"licence_expires = YYYY-MM-DD (ALL Art. 50)", field="licence_expires")
        expires = (end_of_day(where.calendar, str(data["licence_expires"]))
                   if "licence_expires" in data else None)
        year = where.calendar.local_date(at).year
        serial = uow.cases.next_serial(f"{year}-{power.short_name}")
        case = Case.receive(where, number=f"{year}-{power.short_name}-{serial:06d}",
                            definition_id=definition.id, applicant=applicant, data=data,
                            channel=channel, received_at=at_received,
                            licence_expires_at=expires)
        uow.cases.add(case)
        case.start(now=at, actor=actor, version=definition.version)
        uow.cases.save(case)
        uow.commit()
    keep_live(env, case)
    return case


def _start_of_day(env: Env, day: str) -> datetime:
    from datetime import date, time

    try:
        d = date.fromisoformat(day)
    except ValueError:
        raise InvalidAction(f"{day!r} is not a date; write it as YYYY-MM-DD") from None
    return datetime.combine(d, time(0), tzinfo=env.calendar().tz).astimezone(UTC)


def accept(env: Env, number: str, *, actor: str, note: str = "",
           data: dict[str, Any] | None = None, now: datetime | None = None) -> Case:
    """受理, with any form data the window records (e.g. commitment=true under 告知承诺制)."""
    def run(case: Case, at: datetime) -> Case:
        case.accept(now=at, actor=actor, note=note, data=data)
        return case
    return in_case(env, number, now, run)


def refuse_acceptance(env: Env, number: str, *, actor: str, reason: str,
                      now: datetime | None = None) -> Case:
    """不予受理, with reasons (ALL Art. 32)."""
    if not reason.strip():
        raise InvalidAction("a refusal to accept needs its reasons", field="reason")

    def run(case: Case, at: datetime) -> Case:
        case.refuse_acceptance(now=at, actor=actor, reason=reason)
        return case
    return in_case(env, number, now, run)


def request_supplement(env: Env, number: str, *, actor: str, items: list[str],
                       why_not_in_first_notice: str = "", now: datetime | None = None) -> Case:
    """一次性告知: ask once, listing every missing item (ALL Art. 32)."""
    def run(case: Case, at: datetime) -> Case:
        case.request_supplement(now=at, actor=actor, items=items,
                                why_not_in_first_notice=why_not_in_first_notice)
        return case
    return in_case(env, number, now, run)


def supplement_received(env: Env, number: str, *, actor: str, note: str = "",
                        now: datetime | None = None) -> Case:
    """补正结束: the applicant brought the missing materials."""
    def run(case: Case, at: datetime) -> Case:
        case.supplement_received(now=at, actor=actor, note=note)
        return case
    return in_case(env, number, now, run)


def in_step_case(env: Env, task_ref: str, now: datetime | None,
                 fn: Callable[[Case, StepRecord, datetime], T]) -> T:
    """Find a step by its id (or a unique prefix), load its case, run ``fn``, save, commit."""
    at = env.now(now)
    with env.uow() as uow:
        case, step = uow.cases.get_by_step(task_ref)
        prepare(env, uow, case)
        result = fn(case, step, at)
        uow.cases.save(case)
        uow.commit()
    keep_live(env, case)
    return result


def claim(env: Env, task_ref: str, *, user: str, now: datetime | None = None) -> StepRecord:
    return in_step_case(env, task_ref, now,
                        lambda case, step, at: case.claim(step.id, now=at, user=user))


def release(env: Env, task_ref: str, *, user: str, reason: str = "",
            now: datetime | None = None) -> StepRecord:
    """Hand a claimed step back to its post (the holder, or a supervisor reassigning it)."""
    return in_step_case(env, task_ref, now, lambda case, step, at: case.release(
        step.id, now=at, user=user, reason=reason))


def complete_task(env: Env, task_ref: str, *, user: str, data: dict[str, Any] | None = None,
                  now: datetime | None = None) -> Case:
    """Complete a step with its form data. Exactly one of two people completing it wins."""
    def run(case: Case, step: StepRecord, at: datetime) -> Case:
        case.complete(step.id, now=at, user=user, data=dict(data or {}))
        return case
    return in_step_case(env, task_ref, now, run)


def withdraw(env: Env, number: str, *, actor: str, reason: str = "",
             now: datetime | None = None) -> Case:
    """撤件: the applicant withdraws the application."""
    def run(case: Case, at: datetime) -> Case:
        case.withdraw(now=at, actor=actor, reason=reason)
        return case
    return in_case(env, number, now, run)


def suspend(env: Env, number: str, *, actor: str, reason: str, kind: str = "manual",
            special: str | None = None, basis: str = "", expected_days: int | None = None,
            now: datetime | None = None) -> Case:
    """Stop the clock (补正 during review, special procedure, …) with who and why."""
    if not reason.strip():
        raise InvalidAction("stopping the clock needs a reason", field="reason")

    def run(case: Case, at: datetime) -> Case:
        case.stop_clock(now=at, actor=actor, reason=reason, kind=kind, special=special,
                        basis=basis, expected_days=expected_days)
        return case
    return in_case(env, number, now, run)


def resume(env: Env, number: str, *, actor: str, result: str | None = None,
           now: datetime | None = None) -> Case:
    def run(case: Case, at: datetime) -> Case:
        case.restart_clock(now=at, actor=actor, result=result)
        return case
    return in_case(env, number, now, run)


def find_case(env: Env, number_or_code: str) -> Case:
    with env.uow() as uow:
        try:
            return load(env, uow, number_or_code)
        except NotFound:
            raise NotFound(f"no case {number_or_code} — check the number on the receipt "
                           f"(e.g. 2026-食品-000123)") from None
