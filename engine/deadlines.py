"""Deadline rules, in one place: how every case, step and stop deadline is computed, warned,
shifted by a clock stop, and recomputed when the calendar changes.

A :class:`Deadline` carries its *basis*: the day the limit counts from (never counted itself,
Civil Code Art. 201) and the working days it runs, clock stops and extensions included. So a
deadline can always be recomputed from scratch when a year's State Council schedule arrives or
is corrected, and the provisional mark (a year counted from an estimate) is a property of the
computation, never lost by a shift.

Clock stops (ALL Art. 45, 补正, approved suspensions) move a deadline by the working days
they stopped *of that deadline's own running time*:

* a deadline that had already expired when the stop began does not move: an expired limit
  has no time left to stop;
* the day the limit counts from is never part of it, so a stop on that day stops nothing of
  that day (Art. 201);
* the day the clock starts again counts as running time (the stop's working days are those
  from the day it began up to, not including, the day it ended).

The working-day arithmetic itself is engine/calendar.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from engine.calendar import WorkingCalendar
from engine.errors import InvalidAction


@dataclass(frozen=True)
class Deadline:
    """The end of a time limit (期限届满), and how it was reached.

    ``at``: the instant it runs out (UTC), 24:00 local of ``day`` (Civil Code Art. 203).
    ``day``: the local date of the last working day. ``provisional``: some day counted lies in a
    year with no State Council schedule (estimated; recomputed when the schedule is imported).
    ``start``: the local date the limit counts from (not counted). ``days``: the working days
    from ``start``, stops and extensions included. ``basis``: what the limit is, in words
    (承诺时限, 法定时限, 环节时限, 容缺补齐期限 …).
    """

    day: date
    at: datetime
    provisional: bool
    start: date
    days: int
    basis: str = ""


def compute(calendar: WorkingCalendar, start: datetime | date, days: int,
            basis: str = "") -> Deadline:
    """The end of the ``days``-th working day after the local date of ``start``."""
    start_day = start if not isinstance(start, datetime) else calendar.local_date(start)
    noon = datetime.combine(start_day, time(12), tzinfo=calendar.tz)
    found = calendar.deadline(noon, days)
    return Deadline(day=found.day, at=found.at, provisional=found.provisional, start=start_day,
                    days=days, basis=basis)


def recompute(calendar: WorkingCalendar, deadline: Deadline) -> Deadline:
    """The same limit counted again on the calendar as it is now (a year imported or corrected).
    A deadline stored before bases were kept (``days`` < 0) cannot be recounted: it stays."""
    if deadline.days < 0:
        return deadline
    return compute(calendar, deadline.start, deadline.days, deadline.basis)


def extend(calendar: WorkingCalendar, deadline: Deadline, days: int) -> Deadline:
    """``deadline`` later by ``days`` working days (an approved extension or a clock stop)."""
    if days < 0:
        raise ValueError(f"a deadline moves later only, got {days}")
    if days == 0:
        return deadline
    if deadline.days < 0:  # stored before bases were kept: move the day itself
        found = calendar.shift(calendar.deadline(
            datetime.combine(deadline.day, time(12), tzinfo=calendar.tz), 0), days)
        return replace(deadline, day=found.day, at=found.at,
                       provisional=found.provisional or deadline.provisional)
    moved = compute(calendar, deadline.start, deadline.days + days, deadline.basis)
    # A deadline once provisional stays so until it is recomputed on the real schedule.
    return replace(moved, provisional=moved.provisional or deadline.provisional)


def stopped_days(calendar: WorkingCalendar, deadline: Deadline, stopped_at: datetime,
                 resumed_at: datetime) -> int:
    """Working days of ``deadline``'s running time that a clock stop took (see module doc)."""
    if stopped_at >= deadline.at:
        return 0  # expired before the stop began: nothing left to stop
    first = calendar.local_date(stopped_at)
    if deadline.days >= 0:
        first = max(first, deadline.start + timedelta(days=1))
    return calendar.working_days_between(first, calendar.local_date(resumed_at))


def warning_at(calendar: WorkingCalendar, deadline: Deadline, limit: int,
               share: float) -> datetime | None:
    """When a warning is due: at the end of the working day on which ``share`` of the limit is
    used (counting the days the deadline was moved by, too), but never later than the start of
    the last working day (a 1-day step is warned at the end of the day it started). None for a
    0-day limit (decided the same day)."""
    if limit <= 0:
        return None
    used = min(limit - 1, math.floor(limit * share))
    moved = max(0, deadline.days - limit)
    return compute(calendar, deadline.start, used + moved).at if used + moved >= 0 else None


def end_of_day(calendar: WorkingCalendar, day: date | str) -> datetime:
    """24:00 local of a calendar day, in UTC (e.g. a licence's expiry date)."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise InvalidAction(f"{day!r} is not a date; write it as YYYY-MM-DD") from None
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.tz)
    return midnight.astimezone(UTC)
