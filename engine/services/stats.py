"""Supervision statistics for a period (`sunshine stats`, the supervision page's 统计): the
facts read in one unit of work, counted by engine/stats.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from engine.deadlines import end_of_day
from engine.errors import InvalidAction
from engine.identity import Action, Actor
from engine.services.context import Env
from engine.services.identity import require
from engine.stats import GROUPINGS, Facts, Row, Table, compute

LONGEST = 3 * 366  # days in one period: three years


def parse_period(start: str | date, end: str | date) -> tuple[date, date]:
    """The period's first and last local dates (YYYY-MM-DD), checked."""
    days = []
    for name, value in (("from", start), ("to", end)):
        if isinstance(value, date):
            days.append(value)
            continue
        try:
            days.append(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise InvalidAction(f"{name}：“{value}”不是日期，请写成 YYYY-MM-DD "
                                f"(not a date; write YYYY-MM-DD)", field=name) from None
    first, last = days
    if last < first:
        raise InvalidAction(f"统计期间的结束日 {last} 早于开始日 {first} (the period ends before "
                            f"it starts)", field="to")
    if (last - first).days >= LONGEST:
        raise InvalidAction(f"统计期间最长三年 (a period is at most three years): {first} – {last}",
                            field="to")
    return first, last


def statistics(env: Env, actor: Actor, start: str | date, end: str | date,
               by: str = "unit", *, now: datetime | None = None) -> Table:
    """The period's figures by unit, power, post or person, for a supervisor."""
    if by not in GROUPINGS:
        raise InvalidAction(f"by：只能按 {'、'.join(GROUPINGS)} 统计 (group by one of "
                            f"{', '.join(GROUPINGS)})", field="by")
    first, last = parse_period(start, end)
    require(env, actor, Action.VIEW_SUPERVISION, target=f"stats {first}..{last}",
            now=now)
    calendar = env.calendar()
    facts = _facts(env, first, last)
    return compute(facts, first, last, by, calendar.local_date, calendar.working_days_between)


def monthly(env: Env, actor: Actor, last_day: str | date, months: int = 12, *,
            now: datetime | None = None) -> list[tuple[str, Row]]:
    """The whole county's figures month by month, the last month being ``last_day``'s (up to
    that day): the on-time trend."""
    _, last = parse_period(last_day, last_day)
    months = max(1, min(months, 36))
    first = last.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    require(env, actor, Action.VIEW_SUPERVISION, target=f"stats {first}..{last} monthly",
            now=now)
    calendar = env.calendar()
    facts = _facts(env, first, last)
    out = []
    start = first
    while start <= last:
        end = min(last, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))
        table = compute(facts, start, end, "unit", calendar.local_date,
                        calendar.working_days_between)
        out.append((f"{start.year}-{start.month:02d}", table.total))
        start = end + timedelta(days=1)
    return out


def _facts(env: Env, first: date, last: date) -> Facts:
    """Everything the figures of ``first`` … ``last`` count, read in one unit of work."""
    calendar = env.calendar()
    since, until = end_of_day(calendar, first - timedelta(days=1)), end_of_day(calendar, last)
    with env.uow() as uow:
        reads = uow.reads
        cases = reads.case_facts(since, until)
        steps = reads.step_facts(since, until)
        cards = reads.card_facts(since, until)
        breaches = reads.breach_facts(since, until)
        ratings = reads.bad_rating_facts(since, until)
        complaints = reads.upheld_complaint_facts(since, until)
        definitions = ({c.definition_id for c in cases} | {s.definition_id for s in steps}
                       | {k.definition_id for k in cards} | {b.definition_id for b in breaches}
                       | {r.definition_id for r in ratings}
                       | {k.definition_id for k in complaints if k.definition_id is not None})
        powers = reads.catalogue_entries(definitions)
        people = ({s.completed_by for s in steps} | {k.person for k in cards}
                  | {b.person for b in breaches} | {k.person for k in complaints})
        names = uow.users.names({p for p in people if p})
    return Facts(cases=cases, steps=steps, cards=cards, breaches=breaches, powers=powers,
                 names=names, ratings=ratings, complaints=complaints)
