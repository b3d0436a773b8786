"""The promised deadline against an independent count, over many random cases from 2004 to 2026.

The oracle knows nothing of Sunshine's calendar or deadline code: it asks the `chinese_calendar`
package day by day whether a date is a working day, and counts the limit the way the law reads:
the acceptance day is not counted (Civil Code Art. 201); the working days a clock stop covers
(from the day it began up to, not including, the day the clock ran again) are not counted, but
only if the limit had not already run out when the stop began (an expired limit has no time left
to stop). Each case is accepted, stopped and restarted zero to three times through the Case
aggregate, and its promised day must equal the oracle's.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from adapters.calendar_files import schedules_from_chinese_calendar
from engine.calendar import WorkingCalendar
from engine.case import Case, Setting
from engine.definitions import load_definitions
from engine.model import Rules

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
CASES = 300


def _workday(day: dt.date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def oracle(accepted: dt.date, limit: int, stops: list[tuple[dt.datetime, dt.datetime]]) -> dt.date:
    """The last day of ``limit`` counted working days after ``accepted``, skipping stopped ones."""
    skipped: set[dt.date] = set()

    def due() -> dt.date:
        day, counted = accepted, 0
        if limit == 0:
            while not _workday(day):
                day += dt.timedelta(days=1)
            return day
        while counted < limit:
            day += dt.timedelta(days=1)
            if _workday(day) and day not in skipped:
                counted += 1
        return day

    for began, ended in stops:
        end_of_due = dt.datetime.combine(due() + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
        if began >= end_of_due:
            continue  # already expired: nothing to stop
        day = began.astimezone(SHANGHAI).date()
        while day < ended.astimezone(SHANGHAI).date():
            if day > accepted:
                skipped.add(day)
            day += dt.timedelta(days=1)
    return due()


@pytest.fixture(scope="module")
def setting() -> Setting:
    data = (ROOT / "processes" / "food_business_licence.bpmn").read_bytes()
    [d] = load_definitions(data, "food_business_licence.bpmn")
    calendar = WorkingCalendar({y: s for y, s in schedules_from_chinese_calendar().items()
                                if y <= 2026})
    return Setting(power=d.power, spec=d.spec, calendar=calendar, rules=Rules())


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI).astimezone(dt.UTC)


def test_the_promised_deadline_equals_an_independent_count_with_and_without_stops(
        setting: Setting) -> None:
    rng = random.Random(20261129)
    limit = setting.power.promised_limit or 0
    checked = 0
    for n in range(CASES):
        accepted = dt.date(2004, 1, 5) + dt.timedelta(days=rng.randrange(0, 365 * 22 + 300))
        case = Case.receive(setting, number=f"T-{n}", definition_id=1, applicant="甲", data={},
                            channel="window", received_at=_at(accepted, 9))
        case.id = n + 1
        case.start(now=_at(accepted, 9), actor="窗口", version=1)
        case.accept(now=_at(accepted, 10), actor="窗口")
        stops = []
        day = accepted
        for _ in range(rng.randrange(0, 4)):
            day += dt.timedelta(days=rng.randrange(0, 12))
            began = _at(day, rng.choice((9, 15)))
            day += dt.timedelta(days=rng.randrange(0, 8))
            ended = max(_at(day, rng.choice((9, 16))), began)
            case.stop_clock(now=began, actor="科长", reason="等待")
            case.restart_clock(now=ended, actor="科长")
            stops.append((began, ended))
        expected = oracle(accepted, limit, stops)
        assert case.promised.day == expected, (
            f"accepted {accepted}, stops {[(b.isoformat(), e.isoformat()) for b, e in stops]}: "
            f"promised {case.promised.day}, independent count {expected}")
        checked += 1
    assert checked == CASES
