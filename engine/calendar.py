"""The working-day calendar (工作日历) that every statutory and promised time limit runs on.

A working day is Monday to Friday, minus the public holidays of the year, plus the weekend days
the State Council designates as make-up working days (调休上班). Each year's holidays and make-up
days come from that year's State Council notice, published in November of the year before, and
are handed to :class:`WorkingCalendar` as one :class:`YearSchedule` per year. Loading them (from
the ``chinese_calendar`` package, a TOML file or the database) is the adapters' job; this module
is pure: no I/O, no clock, no third-party packages.

Where the rules come from:

* 《行政许可法》 Art. 82 — time limits "以工作日计算，不含法定节假日" (working days, excluding
  statutory holidays).
* 《民法典》 Art. 201 — "开始的当日不计入，自下一日开始计算": the start day is not counted.
* 《民法典》 Art. 203 — a period whose last day is a holiday ends on the day after the holiday,
  and the last day ends at 24:00. Counting only working days already gives the first rule; the
  second is why :meth:`WorkingCalendar.deadline` returns 00:00 of the next day.

A year without a schedule fails closed with :class:`~engine.errors.CalendarYearMissing`, unless
the calendar is built with ``fallback_weekends_only=True``; then such a year counts Monday to
Friday only and every result that relied on it is marked provisional, to be recomputed once the
State Council schedule is loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

from engine.errors import CalendarError, CalendarYearMissing

SHANGHAI = ZoneInfo("Asia/Shanghai")
_SATURDAY = 5


@dataclass(frozen=True)
class YearSchedule:
    """One year's State Council holiday arrangement.

    ``holidays`` maps every day off of the arrangement (weekend days inside a holiday too) to
    the holiday's Chinese name, e.g. "国庆节". ``workdays`` maps each make-up working weekend day
    (调休上班日) to the holiday it serves. ``source`` says where the data came from, e.g.
    "chinese_calendar 1.11.0" or the notice's number and file name; ``published`` is the notice's
    date when known. Both mappings are copied and made read-only.
    """

    year: int
    holidays: Mapping[dt.date, str]
    workdays: Mapping[dt.date, str]
    source: str
    published: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("holidays", "workdays"):
            days = dict(getattr(self, name))
            _check_days_in_year(self.year, name, days)
            object.__setattr__(self, name, MappingProxyType(dict(sorted(days.items()))))
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise CalendarError(
                f"calendar {self.year}: {both[0].isoformat()} is both a holiday and a make-up "
                f"working day; keep it in only one of the two lists"
            )


def _check_days_in_year(year: int, what: str, days: Mapping[dt.date, str]) -> None:
    for day in days:
        if type(day) is not dt.date:
            raise CalendarError(f"calendar {year}: {what} key {day!r} is not a date")
        if day.year != year:
            raise CalendarError(
                f"calendar {year}: {what} lists {day.isoformat()}, which is not in {year}; "
                f"put it in the {day.year} schedule"
            )


@dataclass(frozen=True)
class Deadline:
    """The end of a time limit.

    ``at`` is the instant the limit runs out (timezone-aware, UTC): 00:00 local time of the day
    after ``day``, i.e. the end of ``day`` (Civil Code Art. 203: the last day ends at 24:00).
    ``day`` is the local calendar date of the last working day. ``provisional`` is True when the
    computation used the weekends-only fallback for a year with no State Council schedule.
    """

    at: dt.datetime
    day: dt.date
    provisional: bool = False


class WorkingCalendar:
    """Working-day arithmetic over a set of :class:`YearSchedule` objects."""

    def __init__(
        self,
        schedules: Mapping[int, YearSchedule],
        *,
        fallback_weekends_only: bool = False,
        tz: dt.tzinfo = SHANGHAI,
    ) -> None:
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise CalendarError(
                    f"calendar: the schedule filed under {year} is for {schedule.year}"
                )
        self._schedules: Mapping[int, YearSchedule] = MappingProxyType(dict(schedules))
        self.fallback_weekends_only = fallback_weekends_only
        self.tz = tz

    @property
    def years(self) -> tuple[int, ...]:
        """The years that have a State Council schedule, ascending."""
        return tuple(sorted(self._schedules))

    def schedule(self, year: int) -> YearSchedule | None:
        """The schedule for ``year``, or None when the year is not loaded."""
        return self._schedules.get(year)

    def is_provisional(self, d: dt.date) -> bool:
        """True when ``d`` falls in a year with no schedule (answers for it are estimates)."""
        return _as_date(d).year not in self._schedules

    def is_workday(self, d: dt.date) -> bool:
        """Whether ``d`` is a working day (工作日).

        Raises CalendarYearMissing for a year with no schedule unless the weekends-only
        fallback is on; use :meth:`is_provisional` to tell whether the answer is an estimate.
        """
        return self._is_workday(_as_date(d))[0]

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The n-th working day after ``d``; for n = 0, ``d`` itself or the next working day.

        The start day is never counted (Civil Code Art. 201). A year with no schedule raises
        CalendarYearMissing only when the walk actually reaches it.
        """
        return self._add(_as_date(d), n)[0]

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days ``d`` there are with ``start <= d < end`` (0 if end <= start)."""
        start, end = _as_date(start), _as_date(end)
        return sum(1 for day in _days(start, end) if self._is_workday(day)[0])

    def local_date(self, at: dt.datetime) -> dt.date:
        """The calendar date of the instant ``at`` in the calendar's time zone."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"{at.isoformat()} has no time zone; pass a timezone-aware datetime")
        return at.astimezone(self.tz).date()

    def deadline(self, start: dt.datetime, n: int) -> Deadline:
        """The end of the n-th working day after the local date of ``start``."""
        day, provisional = self._add(self.local_date(start), n)
        return self._deadline_on(day, provisional)

    def shift(self, deadline: Deadline, stopped_working_days: int) -> Deadline:
        """``deadline`` moved later by the working days the clock was stopped (Art. 45 etc.)."""
        if stopped_working_days < 0:
            raise ValueError(f"stopped_working_days must be >= 0, got {stopped_working_days}")
        day, provisional = self._add(deadline.day, stopped_working_days)
        return self._deadline_on(day, provisional or deadline.provisional)

    def _deadline_on(self, day: dt.date, provisional: bool) -> Deadline:
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
        return Deadline(at=midnight.astimezone(dt.UTC), day=day, provisional=provisional)

    def _add(self, d: dt.date, n: int) -> tuple[dt.date, bool]:
        """Walk forward from ``d``; return the day reached and whether a fallback year was used."""
        if n < 0:
            raise ValueError(f"the number of working days must be >= 0, got {n}")
        day, provisional = d, False
        if n == 0:
            is_work, provisional = self._is_workday(day)
            if is_work:
                return day, provisional
            n = 1
        while n:
            day += dt.timedelta(days=1)
            is_work, used_fallback = self._is_workday(day)
            provisional = provisional or used_fallback
            if is_work:
                n -= 1
        return day, provisional

    def _is_workday(self, d: dt.date) -> tuple[bool, bool]:
        """(is it a working day, did the answer use the weekends-only fallback)."""
        schedule = self._schedules.get(d.year)
        if schedule is None:
            if not self.fallback_weekends_only:
                raise CalendarYearMissing(d.year)
            return d.weekday() < _SATURDAY, True
        if d in schedule.workdays:
            return True, False
        return d.weekday() < _SATURDAY and d not in schedule.holidays, False


def _as_date(d: dt.date) -> dt.date:
    # A datetime never equals a date, so it would silently miss every holiday lookup.
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"expected a date, got {d!r}; use local_date() for a datetime")
    return d


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day < end:
        yield day
        day += dt.timedelta(days=1)
