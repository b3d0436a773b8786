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

A year whose State Council notice is not out yet (the next year, every October to December) is
counted provisionally: the adapters estimate its schedule from the national holiday rules
(《全国年节及纪念日放假办法》: the 13 statutory days, lunar ones computed, a holiday on a weekend
made up on the next working day, and no 调休 because make-up working days are only known from
the notice) and hand it over as a ``YearSchedule`` with ``provisional=True``. Such a year counts
like any other, but every result that walks over one of its days is marked provisional, to be
recomputed once the State Council schedule is loaded.

A year with no schedule at all, not even an estimate, fails closed with
:class:`~engine.errors.CalendarYearMissing`, unless the calendar is built with
``fallback_weekends_only=True`` (the last resort); then such a year counts Monday to Friday only
and every result that relied on it is marked provisional too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
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

    ``provisional`` is True for a schedule estimated from the holiday law (《全国年节及纪念日放假
    办法》) because the State Council notice for the year is not out yet: its holidays are the
    statutory ones, it has no make-up working days, and every date counted over it is provisional.
    """

    year: int
    holidays: Mapping[dt.date, str]
    workdays: Mapping[dt.date, str]
    source: str
    published: dt.date | None = None
    provisional: bool = False

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
    computation walked over a day of a year with no State Council schedule (an estimated schedule,
    or the weekends-only fallback): the date must be recomputed once the schedule is loaded.
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
        estimate: Callable[[int], YearSchedule | None] | None = None,
        estimate_years: Iterable[int] = (),
    ) -> None:
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise CalendarError(
                    f"calendar: the schedule filed under {year} is for {schedule.year}"
                )
        self._schedules: dict[int, YearSchedule] = dict(schedules)
        # Years counted on an estimate are estimated when first needed (estimating takes time
        # most calls never need); ``estimate`` returns a provisional schedule, or None.
        self._estimate = estimate
        self._to_estimate = {y for y in estimate_years if y not in self._schedules}
        self.fallback_weekends_only = fallback_weekends_only
        self.tz = tz

    def _get(self, year: int) -> YearSchedule | None:
        found = self._schedules.get(year)
        if found is None and year in self._to_estimate and self._estimate is not None:
            self._to_estimate.discard(year)
            estimated = self._estimate(year)
            if estimated is not None:
                self._schedules[year] = found = estimated
        return found

    @property
    def years(self) -> tuple[int, ...]:
        """The years that have a schedule (State Council or estimated), ascending."""
        for year in sorted(self._to_estimate):
            self._get(year)
        return tuple(sorted(self._schedules))

    @property
    def confirmed_years(self) -> tuple[int, ...]:
        """The years that have a State Council schedule (not an estimate), ascending."""
        return tuple(sorted(y for y, s in self._schedules.items() if not s.provisional))

    def schedule(self, year: int) -> YearSchedule | None:
        """The schedule for ``year`` (maybe an estimate), or None when the year is not loaded."""
        return self._get(year)

    def is_provisional(self, d: dt.date) -> bool:
        """True when ``d`` falls in a year with no State Council schedule (answers for it are
        estimates: the year has an estimated schedule, or none at all)."""
        schedule = self._get(_as_date(d).year)
        return schedule is None or schedule.provisional

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
        """``deadline`` moved later by the working days the clock was stopped (Art. 45 etc.).

        A provisional deadline stays provisional, whatever year the shift ends in.
        """
        if stopped_working_days < 0:
            raise ValueError(f"stopped_working_days must be >= 0, got {stopped_working_days}")
        day, provisional = self._add(deadline.day, stopped_working_days)
        return self._deadline_on(day, provisional or deadline.provisional)

    def _deadline_on(self, day: dt.date, provisional: bool) -> Deadline:
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
        return Deadline(at=midnight.astimezone(dt.UTC), day=day, provisional=provisional)

    def _add(self, d: dt.date, n: int) -> tuple[dt.date, bool]:
        """Walk forward from ``d``; return the day reached and whether any day walked over (or
        ``d`` itself, for n = 0) lies in a year without a State Council schedule."""
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
            is_work, estimated = self._is_workday(day)
            provisional = provisional or estimated
            if is_work:
                n -= 1
        return day, provisional

    def _is_workday(self, d: dt.date) -> tuple[bool, bool]:
        """(is it a working day, is the answer provisional).

        Provisional means the year has no State Council schedule: it is counted on an estimated
        schedule, or, failing that, on the weekends-only fallback.
        """
        schedule = self._schedules.get(d.year) or self._get(d.year)
        if schedule is None:
            if not self.fallback_weekends_only:
                raise CalendarYearMissing(d.year)
            return d.weekday() < _SATURDAY, True
        if d in schedule.workdays:
            return True, schedule.provisional
        return d.weekday() < _SATURDAY and d not in schedule.holidays, schedule.provisional


WARN_NEXT_YEAR_FROM_MONTH = 10  # from 1 October the next year's notice is awaited (it comes in November)


def missing_schedule_warning(calendar: WorkingCalendar, today: dt.date) -> str | None:
    """The administrator's warning that a State Council holiday schedule is missing, or None.

    From 1 October of a year, the next year's schedule is awaited: deadlines of cases accepted
    now run into it. The current year's schedule missing is warned about on every day. ``today``
    is the local date (from the clock the caller was given, never the wall clock). The text says
    what the year is counted on meanwhile and what the administrator must do; it names no command
    (the adapter that shows it adds how to import).
    """
    today = _as_date(today)
    years = [today.year]
    if today.month >= WARN_NEXT_YEAR_FROM_MONTH:
        years.append(today.year + 1)
    lines = []
    for year in years:
        schedule = calendar.schedule(year)
        if schedule is not None and not schedule.provisional:
            continue
        if schedule is not None:
            how = ("办理时限暂按《全国年节及纪念日放假办法》估算（法定节假日，不含调休），"
                   "凡涉及该年的时限均标为暂定")
            how_en = ("deadlines are counted provisionally on the statutory holidays "
                      "(no make-up working days) and marked provisional")
        elif calendar.fallback_weekends_only:
            how = "办理时限暂仅按双休日推算（未计节假日），凡涉及该年的时限均标为暂定"
            how_en = "deadlines are counted on weekends only and marked provisional"
        else:
            how = "涉及该年的办理时限无法计算，相关办件将无法受理"
            how_en = "deadlines that reach it cannot be computed and such cases are refused"
        lines.append(
            f"工作日历提醒：{year}年国务院节假日安排尚未导入，{how}。国务院办公厅通知发布后"
            f"（通常在{year - 1}年11月），请管理员立即将该年的放假日期和调休上班日期导入工作日历；"
            f"导入时，在办案件的暂定时限将按正式安排自动重新计算。"
            f" (Calendar warning: the State Council holiday schedule for {year} is not loaded; "
            f"{how_en}. Import it as soon as the notice is published; running cases' provisional "
            f"deadlines are recounted on it when it is imported.)"
        )
    return "\n".join(lines) or None


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
