"""Calendar use cases: import a year's State Council schedule, and recount every running
deadline that depends on it.

A deadline counted while its year had no schedule (provisionally, from the holiday law) or on a
schedule later corrected is recounted when the schedule is imported: each open case whose
deadlines reach that year is loaded, recounted and saved in its own transaction, with an audit
event on every case whose dates moved. One case that cannot be recounted is reported and the
others still are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from engine.calendar import YearSchedule
from engine.errors import Conflict
from engine.identity import Action, Actor
from engine.services.cases import load, save_case
from engine.services.context import Env
from engine.services.identity import require


@dataclass
class ImportReport:
    year: int
    checked: int = 0
    moved: list[str] = field(default_factory=list)  # case numbers whose dates moved
    failed: list[str] = field(default_factory=list)  # "number: reason"


def import_year(env: Env, schedule: YearSchedule, *, actor: Actor,
                now: datetime | None = None) -> ImportReport:
    """An administrator imports a year's State Council schedule; open cases are recounted."""
    require(env, actor, Action.IMPORT_CALENDAR, target=str(schedule.year), now=now)
    at = env.now(now)
    with env.uow() as uow:
        uow.calendar.save_year(
            schedule.year, schedule.source,
            {d.isoformat(): n for d, n in schedule.holidays.items()},
            {d.isoformat(): n for d, n in schedule.workdays.items()}, at)
        uow.commit()
    if env.reset_calendar is not None:
        env.reset_calendar()
    return recount_year(env, schedule.year, actor=actor, now=at,
                        why=f"{schedule.year} 年放假安排已导入（{schedule.source}）")


def recount_year(env: Env, year: int, *, actor: Actor, now: datetime, why: str) -> ImportReport:
    """Recount the deadlines of every open case that reaches ``year``."""
    report = ImportReport(year)
    with env.uow() as uow:
        numbers = uow.cases.open_numbers_due_from(date(year, 1, 1))
    for number in numbers:
        report.checked += 1
        try:
            with env.uow() as uow:
                case = load(env, uow, number)
                case.stamp(actor_name=actor.name, written_at=env.written_at())
                if case.recompute_deadlines(now=max(now, case.received_at), actor=actor.login,
                                            why=why):
                    report.moved.append(number)
                save_case(uow, case, now)
                uow.commit()
        except Conflict as err:
            report.failed.append(f"{number}: {err}")
        except Exception as err:  # noqa: BLE001 - one case must not stop the recount of others
            report.failed.append(f"{number}: {err.__class__.__name__}: {err}")
    return report
