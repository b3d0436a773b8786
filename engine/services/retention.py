"""个人信息保存期限: a closed case's personal data is erased when its retention period is over.

The period is ``Rules.personal_data_years`` whole years after the case closed (办结, 不予受理,
撤件, 退件 …), five unless the operator sets ``SUNSHINE_PERSONAL_DATA_YEARS``: the longest time
after a decision in which a court still hears a suit against it (行政诉讼法 Art. 46), after
which the record's purpose no longer needs the applicant's ID number or phone (个人信息保护法
Art. 19, Art. 47: kept no longer than necessary, then deleted). A case with a matter on it still
open — a complaint under investigation, a card appeal not decided, a bad rating's review not
answered — is kept until the matter ends, and the run says why.

What is erased, and what is kept, is engine/case_retention.py; how the audit trail still
verifies afterwards is engine/audit.py and engine/personal.py. Each case is erased in its own
transaction: one that fails is named with its reason and the others go on. The worker runs this
once a day (adapters/scheduler.py); ``sunshine data retention`` shows what is due and, with
``--apply``, erases it as the administrator who runs it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from engine.errors import SunshineError
from engine.identity import Action, Actor
from engine.services.cases import load, save_case
from engine.services.context import Env
from engine.services.identity import require

BATCH = 200  # cases per run (a daily run with more due carries on the next day)
SYSTEM = "system"  # the worker's daily run
BASIS = "个人信息保护法第十九条、第四十七条；保存期限为办结后 {years} 年（行政诉讼法第四十六条）"


@dataclass(frozen=True)
class Erased:
    number: str
    closed_at: dt.datetime
    values: int  # personal values erased in the case's data, steps and workflow
    events: int  # audit events whose personal values were erased


@dataclass(frozen=True)
class Kept:
    number: str
    reasons: tuple[str, ...]


@dataclass
class RetentionRun:
    years: int
    closed_before: dt.datetime  # cases closed before this are due
    applied: bool
    due: list[str] = field(default_factory=list)
    erased: list[Erased] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    complaints: int = 0  # complainants' contacts erased (complaints decided before the day)


def closed_before(env: Env, now: dt.datetime) -> dt.datetime:
    """The start of the local day ``years`` years before today: cases closed before it are due."""
    cal = env.calendar()
    today = cal.local_date(now)
    years = env.rules.personal_data_years
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return dt.datetime.combine(day, dt.time(0), tzinfo=cal.tz)


def run_retention(env: Env, actor: Actor | None, *, apply: bool,
                  now: dt.datetime | None = None, limit: int = BATCH) -> RetentionRun:
    """Find the cases whose retention is over and, with ``apply``, erase their personal data.
    ``actor`` None is the worker's daily run; a person must hold ``ERASE_PERSONAL_DATA``."""
    at = env.now(now)
    if actor is not None:
        require(env, actor, Action.ERASE_PERSONAL_DATA, target="personal data", now=now)
    years = env.rules.personal_data_years
    cutoff = closed_before(env, at)
    run = RetentionRun(years=years, closed_before=cutoff, applied=apply)
    with env.uow() as uow:
        run.due = uow.retention.due(cutoff, limit)  # those with no matter open on them
        run.kept = [Kept(number, tuple(uow.retention.holds(case_id, number)))
                    for case_id, number in uow.retention.held(cutoff, limit)]
    if not apply:
        return run
    for number in run.due:
        try:
            _one(env, run, number, actor, at)
        except SunshineError as err:
            run.failed.append((number, str(err)))
        except Exception as err:  # noqa: BLE001 - one broken case never stops the others
            if env.uow().is_transient(err):
                raise
            run.failed.append((number, f"{type(err).__name__}: {err}"))
    with env.uow() as uow:
        run.complaints = uow.retention.erase_complaints(decided_before=cutoff)
        uow.commit()
    return run


def _one(env: Env, run: RetentionRun, number: str, actor: Actor | None,
         at: dt.datetime) -> None:
    with env.uow() as uow:
        case = load(env, uow, number, lock=True)
        reasons = uow.retention.holds(case.id or 0, number)  # opened since the list was made
        if reasons:
            run.kept.append(Kept(number, tuple(reasons)))
            return
        if actor is not None:
            case.stamp(actor_name=actor.name, written_at=env.written_at())
        events = uow.audit.for_case(case.id or 0)
        changed = case.erase_personal_data(
            now=at, actor=actor.login if actor else SYSTEM, events=events,
            years=run.years, basis=BASIS.format(years=run.years))
        values = case.new_events[-1].payload["values"]
        save_case(uow, case, at)  # first: it takes SQLite's write lock and checks the version
        uow.retention.store_erased(changed)
        uow.retention.erase_notices(case.id or 0)
        uow.retention.erase_complaints(case_number=number)
        uow.commit()
    assert case.closed_at is not None
    run.erased.append(Erased(number, case.closed_at, sum(values.values()), len(changed)))
