"""Deadline rules: warning times, which due rows a case has, and small helpers on Deadline.

The arithmetic itself (working days, end of the Nth working day, shifting by stopped days) is
in engine/calendar.py; the use of it (when a step or a case gets its deadline, how clock stops
move them) is in engine/services/casework.py. This module holds the rules in between.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone

from engine.errors import InvalidAction

from engine.calendar import Deadline, WorkingCalendar
from engine.model import TimerKind

CASE_TIMER_KINDS = frozenset({
    TimerKind.CASE_WARNING, TimerKind.CASE_OVERDUE, TimerKind.STATUTORY_OVERDUE,
    TimerKind.RENEWAL_EXPIRY,
})


def as_deadline(at: datetime, day: date) -> Deadline:
    return Deadline(at=at, day=day, provisional=False)


def warning_at(calendar: WorkingCalendar, start: datetime, limit: int, share: float,
               shift: int = 0) -> datetime | None:
    """When a warning is due: at the end of the working day on which ``share`` of the limit is
    used, but never later than the start of the last working day (so a 1-day step is warned at
    the end of the day it started). None for a 0-day limit (decided the same day)."""
    if limit <= 0:
        return None
    used = min(limit - 1, math.floor(limit * share))
    return calendar.deadline(start, used + shift).at if used + shift >= 0 else None


def end_of_day(calendar: WorkingCalendar, day: date | str) -> datetime:
    """24:00 local of a calendar day, in UTC (e.g. a licence's expiry date)."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise InvalidAction(f"{day!r} is not a date; write it as YYYY-MM-DD") from None
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.tz)
    return midnight.astimezone(timezone.utc)
