"""Where the working-day calendar's data comes from: the chinese_calendar package and TOML files.

The engine's :class:`~engine.calendar.WorkingCalendar` is pure; this module does the reading and
writing. ``chinese_calendar`` seeds the years it knows (2004–2026 in 1.11.0). For a new year, an
administrator copies the State Council notice (published each November for the next year) into
a small TOML file and imports it with ``sunshine calendar import FILE``::

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    published = 2026-11-04             # optional

    [[holiday]]                       # one entry per holiday (or per run of days)
    name = "元旦"
    days = [2027-01-01, 2027-01-02]   # a list of days, and/or
    from = 2027-02-05                 # an inclusive range
    to = 2027-02-13

    [[workday]]                       # one entry per make-up working weekend day (调休上班)
    name = "春节"                      # the holiday it serves
    date = 2027-01-30

Every entry takes ``name`` plus any of ``date``, ``days`` and ``from``/``to``. Dates may be TOML
dates (2027-01-01) or strings ("2027-01-01"). List every day off of a holiday, weekend days
included. :func:`dump_schedule` writes the same format back, so ``show`` output can be edited and
re-imported.

A year whose notice is not out yet is estimated by :func:`estimated_schedule` from the national
holiday rules (《全国年节及纪念日放假办法》), with the ``holidays`` package computing the lunar
dates; the estimate is marked provisional and the imported notice always replaces it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tomllib
from collections.abc import Iterator, Mapping
from typing import Any

from engine.calendar import YearSchedule
from engine.errors import CalendarError

_TOP_KEYS = {"year", "source", "published", "holiday", "workday"}
_ENTRY_KEYS = {"name", "date", "days", "from", "to"}
_KINDS = ("holiday", "workday")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# ---------------------------------------------------------------------------------------------
# chinese_calendar


def schedules_from_chinese_calendar() -> dict[int, YearSchedule]:
    """One YearSchedule per year the installed ``chinese_calendar`` package has data for."""
    import chinese_calendar
    from chinese_calendar import constants

    source = f"chinese_calendar {_package_version(chinese_calendar)}"
    holidays = _by_year(constants.holidays, constants.Holiday)
    workdays = _by_year(constants.workdays, constants.Holiday)
    first, last = min(constants.holidays).year, max(constants.holidays).year
    return {
        year: YearSchedule(
            year=year,
            holidays=holidays.get(year, {}),
            workdays=workdays.get(year, {}),
            source=source,
        )
        for year in range(first, last + 1)
    }


def _package_version(module: Any) -> str:
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    from importlib import metadata

    for dist in ("chinese-calendar", "chinesecalendar"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "(unknown version)"


def _by_year(table: Mapping[dt.date, Any], enum: Any) -> dict[int, dict[dt.date, str]]:
    out: dict[int, dict[dt.date, str]] = {}
    for day, value in table.items():
        out.setdefault(day.year, {})[day] = _chinese_name(value, enum)
    return out


def _chinese_name(value: Any, enum: Any) -> str:
    """The Chinese name of a chinese_calendar holiday (its tables hold the enum's English value)."""
    member = value
    if not isinstance(value, enum):
        try:
            member = enum(value)
        except ValueError:
            return str(value)
    return str(getattr(member, "chinese", None) or member.value)


# ---------------------------------------------------------------------------------------------
# estimates from the holiday law (the `holidays` package)

ESTIMATE_SOURCE = "estimated from 《全国年节及纪念日放假办法》"


@functools.lru_cache(maxsize=32)  # the worker reloads the calendar on every sweep
def estimated_schedule(year: int) -> YearSchedule:
    """The holidays of ``year`` as the national holiday rules give them, before the notice.

    《全国年节及纪念日放假办法》 (as amended in 2024, 13 days from 2025): 元旦 1 day; 春节 4 days
    (除夕 and the first three days of the lunar year); 清明节, 端午节 and 中秋节 1 day each;
    劳动节 2 days (1–2 May); 国庆节 3 days (1–3 October); and (Art. 6) a holiday that falls on a
    Saturday or Sunday is made up on the next working day (补假). The ``holidays`` package's
    China rules compute exactly this, lunar dates included. What no rule can give are the
    State Council's 调休 (weekdays off traded for working weekends): the estimate has no make-up
    working days, and the package's own tables of past notices are left out. The schedule is
    ``provisional``; import the notice to replace it.
    """
    import holidays

    if year < 2025:
        raise CalendarError(
            f"calendar {year}: only years from 2025 (the 13-day holiday law) can be estimated; "
            f"import the State Council schedule for {year}"
        )
    china = holidays.China(years=year, language="zh_CN")
    days: dict[dt.date, str] = {}
    for day, name in sorted(china.items()):
        names = [n for n in name.split("; ") if "调休" not in n]  # past notices' swaps
        if names and day.year == year:
            days[day] = "、".join(names)
    if not days:
        raise CalendarError(
            f"calendar {year}: the holidays package knows no lunar dates for {year}, so it cannot "
            f"be estimated; import the State Council schedule for {year}"
        )
    return YearSchedule(
        year=year, holidays=days, workdays={},
        source=f"{ESTIMATE_SOURCE} (holidays {holidays.__version__})", provisional=True,
    )


# ---------------------------------------------------------------------------------------------
# TOML files


def load_schedule_file(path: str | os.PathLike[str]) -> YearSchedule:
    """Read and validate a calendar file; raise CalendarError naming the file and the fix."""
    origin = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CalendarError(
            f"{origin}: cannot read the calendar file ({reason}); check the path and permissions"
        ) from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CalendarError(
            f"{origin}: not UTF-8 text (byte {err.start}); save the file as UTF-8"
        ) from err
    return parse_schedule(text, origin)


def parse_schedule(text: str, origin: str = "<calendar>") -> YearSchedule:
    """Parse the text of a calendar file; ``origin`` (usually the file name) starts every error."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CalendarError(
            f"{origin}: not valid TOML: {err}; fix the syntax there "
            f"(dates as 2027-01-01, text in double quotes, entries under [[holiday]])"
        ) from err
    return _Parser(origin).schedule(doc)


def dump_schedule(schedule: YearSchedule) -> str:
    """The schedule as a calendar file that :func:`parse_schedule` reads back unchanged."""
    lines = [
        f"# Working-day calendar (工作日历) for {schedule.year}: public holidays and make-up",
        "# working days (调休上班). Import with `sunshine calendar import FILE`.",
    ]
    if schedule.provisional:
        lines += [
            f"# 估算，待国务院通知 PROVISIONAL: no State Council schedule for {schedule.year} yet.",
            "# The holidays below are estimated from 《全国年节及纪念日放假办法》 (statutory days,",
            "# a weekend holiday made up on the next working day), with no 调休: every date counted",
            "# over this year is provisional. Do not import this as it is: when the notice is out,",
            "# write its days off and make-up working days here, set source to its title, import.",
        ]
    lines += [
        f"year = {schedule.year}",
        f"source = {_toml_str(schedule.source)}",
    ]
    if schedule.published is not None:
        lines.append(f"published = {schedule.published.isoformat()}")
    for name, first, last in _runs(schedule.holidays):
        lines += ["", "[[holiday]]", f"name = {_toml_str(name)}"]
        if first == last:
            lines.append(f"days = [{first.isoformat()}]")
        else:
            lines += [f"from = {first.isoformat()}", f"to = {last.isoformat()}"]
    for day, name in sorted(schedule.workdays.items()):
        lines += ["", "[[workday]]", f"name = {_toml_str(name)}", f"date = {day.isoformat()}"]
    return "\n".join(lines) + "\n"


def _runs(days: Mapping[dt.date, str]) -> Iterator[tuple[str, dt.date, dt.date]]:
    """Maximal runs of consecutive days with the same name, as (name, first, last)."""
    run: list[Any] = []
    for day, name in sorted(days.items()):
        if run and name == run[0] and day == run[2] + dt.timedelta(days=1):
            run[2] = day
            continue
        if run:
            yield run[0], run[1], run[2]
        run = [name, day, day]
    if run:
        yield run[0], run[1], run[2]


def _toml_str(text: str) -> str:
    """A TOML basic string: escape backslash, quote and control characters."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class _Parser:
    """Validates a parsed TOML document; every error is one line naming the file and the fix."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.year = 0
        self.days: dict[str, dict[dt.date, str]] = {kind: {} for kind in _KINDS}

    def fail(self, where: str, message: str) -> CalendarError:
        prefix = f"{self.origin}: {where}" if where else self.origin
        return CalendarError(f"{prefix}: {message}")

    def schedule(self, doc: dict[str, Any]) -> YearSchedule:
        unknown = sorted(set(doc) - _TOP_KEYS)
        if unknown:
            raise self.fail(
                f"key {unknown[0]!r}",
                "unknown key; allowed: year, source, published, [[holiday]], [[workday]]",
            )
        self.year = self._year(doc)
        source = self._source(doc)
        published = self._published(doc)
        for kind in _KINDS:
            for index, entry in enumerate(self._entries(doc, kind), start=1):
                self._entry(kind, index, entry)
        self._check_not_both()
        if not self.days["holiday"] and not self.days["workday"]:
            raise self.fail(
                "",
                f"the schedule for {self.year} lists no days; add [[holiday]] entries "
                f"(and [[workday]] entries for make-up working days) from the State Council notice",
            )
        return YearSchedule(
            year=self.year,
            holidays=self.days["holiday"],
            workdays=self.days["workday"],
            source=source,
            published=published,
        )

    def _year(self, doc: dict[str, Any]) -> int:
        if "year" not in doc:
            raise self.fail("", "missing year; add a line like `year = 2027` at the top")
        year = doc["year"]
        if type(year) is not int or not 1900 <= year <= 2199:
            raise self.fail("year", f"{year!r} is not a year; write it as `year = 2027`")
        return year

    def _source(self, doc: dict[str, Any]) -> str:
        source = doc.get("source")
        if not isinstance(source, str) or not source.strip():
            raise self.fail(
                "source",
                "missing or empty; name the notice, e.g. "
                f'`source = "国务院办公厅关于{self.year}年部分节假日安排的通知"`',
            )
        if source.strip().startswith(ESTIMATE_SOURCE):
            raise self.fail(
                "source",
                "this is the estimate `calendar show` prints for a year without a State Council "
                "schedule, not the notice; copy the notice's days off and make-up working days into "
                f'the file and name it, e.g. `source = "国务院办公厅关于{self.year}年部分节假日安排的通知"`',
            )
        return source.strip()

    def _published(self, doc: dict[str, Any]) -> dt.date | None:
        if "published" not in doc:
            return None
        return self._date("published", doc["published"], check_year=False)

    def _entries(self, doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        entries = doc.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self.fail(kind, f"must be a list of tables; start each entry with [[{kind}]]")
        return entries

    def _entry(self, kind: str, index: int, entry: dict[str, Any]) -> None:
        name = entry.get("name")
        where = f"[[{kind}]] #{index}" + (f' "{name}"' if isinstance(name, str) else "")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r}; use name, date, days, or from and to"
            )
        if not isinstance(name, str) or not name.strip():
            what = "the holiday" if kind == "holiday" else "the holiday this make-up day serves"
            raise self.fail(where, f'missing name; add `name = "春节"` ({what})')
        days = self._entry_days(where, entry)
        if not days:
            raise self.fail(where, "lists no days; add `days = [...]`, `date = ...` or from/to")
        for day in days:
            self._add(kind, where, day, name.strip())

    def _entry_days(self, where: str, entry: dict[str, Any]) -> list[dt.date]:
        days: list[dt.date] = []
        if "date" in entry:
            days.append(self._date(where, entry["date"]))
        if "days" in entry:
            if not isinstance(entry["days"], list):
                raise self.fail(where, "days must be a list, e.g. days = [2027-01-01, 2027-01-02]")
            days += [self._date(where, value) for value in entry["days"]]
        if "from" in entry or "to" in entry:
            days += self._range(where, entry)
        return days

    def _range(self, where: str, entry: dict[str, Any]) -> list[dt.date]:
        if "from" not in entry or "to" not in entry:
            raise self.fail(where, "a range needs both `from = ...` and `to = ...`")
        first, last = self._date(where, entry["from"]), self._date(where, entry["to"])
        if last < first:
            raise self.fail(where, f"from {first} is after to {last}; swap them")
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def _date(self, where: str, value: Any, *, check_year: bool = True) -> dt.date:
        if isinstance(value, dt.datetime):
            raise self.fail(where, f"{value.isoformat()} has a time; write the date only")
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise self.fail(
                    where, f"{value!r} is not a real date; write an existing day as YYYY-MM-DD"
                ) from None
        if not isinstance(value, dt.date):
            raise self.fail(where, f"{value!r} is not a date; write it as YYYY-MM-DD")
        if check_year and value.year != self.year:
            raise self.fail(
                where,
                f"{value.isoformat()} is not in {self.year}; this file is for "
                f"year = {self.year} only (put {value.year} days in the {value.year} file)",
            )
        return value

    def _add(self, kind: str, where: str, day: dt.date, name: str) -> None:
        if kind == "workday" and day.weekday() < 5:
            raise self.fail(
                where,
                f"{day.isoformat()} is a {_WEEKDAY_NAMES[day.weekday()]}; a make-up "
                f"working day (调休上班) must be a Saturday or Sunday - weekdays already count",
            )
        known = self.days[kind].get(day)
        if known is not None and known != name:
            raise self.fail(
                where,
                f'{day.isoformat()} is already listed as {kind} "{known}"; '
                f"list each day under one name only",
            )
        self.days[kind][day] = name

    def _check_not_both(self) -> None:
        both = sorted(set(self.days["holiday"]) & set(self.days["workday"]))
        if both:
            day = both[0]
            raise self.fail(
                f'[[workday]] "{self.days["workday"][day]}"',
                f"{day.isoformat()} is also listed as holiday "
                f'"{self.days["holiday"][day]}"; a day is either off or a make-up working day, '
                f"remove it from one of them",
            )
