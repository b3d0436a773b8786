"""Working-day arithmetic of engine.calendar, on the real 2025–2026 schedules and on small
hand-made ones. Expected dates are the worked examples of DOMAIN-REFERENCE.md §1.1."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from adapters.calendar_files import schedules_from_chinese_calendar
from engine.calendar import Deadline, WorkingCalendar, YearSchedule, missing_schedule_warning
from engine.errors import CalendarError, CalendarYearMissing

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
D = dt.date.fromisoformat


def local(text: str) -> dt.datetime:
    """A Shanghai wall-clock time, e.g. local("2025-09-26 10:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def real() -> dict[int, YearSchedule]:
    """The 2025 and 2026 State Council schedules as shipped in chinese_calendar."""
    schedules = schedules_from_chinese_calendar()
    return {2025: schedules[2025], 2026: schedules[2026]}


@pytest.fixture()
def cal(real: dict[int, YearSchedule]) -> WorkingCalendar:
    return WorkingCalendar(real)


@pytest.fixture()
def fallback_cal(real: dict[int, YearSchedule]) -> WorkingCalendar:
    return WorkingCalendar(real, fallback_weekends_only=True)


# --- worked examples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2025-09-26", 20, "2025-10-30"),  # accepted Fri, across National Day 2025
        ("2026-02-13", 20, "2026-03-19"),  # accepted Fri, across Spring Festival 2026
        ("2026-02-13", 13, "2026-03-10"),  # same case, promised 13 WD
        ("2025-09-30", 5, "2025-10-14"),  # materials received: 5-WD correction notice
        ("2026-03-02", 20, "2026-03-30"),  # accepted Mon, Qingming not yet reached
    ],
)
def test_the_worked_examples_of_the_domain_reference_give_the_documented_due_dates(
    cal: WorkingCalendar, start: str, n: int, due: str
) -> None:
    assert cal.add_working_days(D(start), n) == D(due)
    assert cal.deadline(local(f"{start} 10:00"), n).day == D(due)


def test_a_ten_working_day_expert_review_moves_the_30_march_2026_deadline_to_14_april(
    cal: WorkingCalendar,
) -> None:
    due = cal.deadline(local("2026-03-02 09:30"), 20)
    shifted = cal.shift(due, 10)
    assert due.day == D("2026-03-30")
    assert shifted.day == D("2026-04-14")
    assert shifted.at == dt.datetime(2026, 4, 14, 16, 0, tzinfo=UTC)
    assert shifted.provisional is False


def test_the_stop_of_9_to_20_march_2026_counts_as_ten_working_days(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(D("2026-03-09"), D("2026-03-21")) == 10


# --- which days are working days ----------------------------------------------------------------


@pytest.mark.parametrize("day", [f"2025-10-0{i}" for i in range(1, 9)])
def test_no_day_of_the_2025_national_day_week_is_a_working_day(
    cal: WorkingCalendar, day: str
) -> None:
    assert cal.is_workday(D(day)) is False


@pytest.mark.parametrize(
    "day", ["2025-09-28", "2025-10-11", "2026-01-04", "2026-02-14", "2026-02-28"]
)
def test_a_make_up_weekend_day_is_a_working_day(cal: WorkingCalendar, day: str) -> None:
    assert D(day).weekday() >= 5
    assert cal.is_workday(D(day)) is True


@pytest.mark.parametrize("day", [f"2026-02-{i}" for i in range(15, 24)])
def test_every_day_of_spring_festival_2026_is_off(cal: WorkingCalendar, day: str) -> None:
    assert cal.is_workday(D(day)) is False


def test_work_resumes_on_24_february_2026_after_spring_festival(cal: WorkingCalendar) -> None:
    assert cal.is_workday(D("2026-02-24")) is True
    assert cal.add_working_days(D("2026-02-13"), 1) == D("2026-02-14")
    assert cal.add_working_days(D("2026-02-14"), 1) == D("2026-02-24")


def test_an_ordinary_weekend_is_off_and_an_ordinary_weekday_is_on(cal: WorkingCalendar) -> None:
    assert cal.is_workday(D("2025-10-12")) is False  # Sunday
    assert cal.is_workday(D("2026-03-07")) is False  # Saturday
    assert cal.is_workday(D("2026-03-04")) is True  # Wednesday


def test_a_datetime_is_refused_where_a_date_is_expected(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError, match="local_date"):
        cal.is_workday(local("2025-10-01 10:00"))


# --- counting rules -----------------------------------------------------------------------------


def test_zero_working_days_on_a_holiday_means_the_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2025-10-01"), 0) == D("2025-10-09")


def test_zero_working_days_on_a_working_day_means_that_same_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2025-10-11"), 0) == D("2025-10-11")
    assert cal.add_working_days(D("2025-09-30"), 0) == D("2025-09-30")


def test_the_start_day_is_not_counted(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2026-03-02"), 1) == D("2026-03-03")


def test_from_a_day_off_the_first_working_day_after_it_is_working_day_one(
    cal: WorkingCalendar,
) -> None:
    # Received on Sun 12 Oct 2025: counting starts on Mon 13 Oct (Civil Code Art. 201).
    assert cal.add_working_days(D("2025-10-12"), 1) == D("2025-10-13")
    assert cal.add_working_days(D("2025-10-01"), 1) == D("2025-10-09")


def test_a_negative_number_of_working_days_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-03-02"), -1)


def test_working_days_between_counts_the_start_but_not_the_end(cal: WorkingCalendar) -> None:
    # 29 Sep – 12 Oct 2025: 29, 30 Sep, 9, 10, 11 (Sat, make-up) Oct.
    assert cal.working_days_between(D("2025-09-29"), D("2025-10-13")) == 5
    assert cal.working_days_between(D("2026-03-02"), D("2026-03-03")) == 1
    assert cal.working_days_between(D("2026-03-03"), D("2026-03-31")) == 20


def test_working_days_between_is_zero_when_the_end_is_not_after_the_start(
    cal: WorkingCalendar,
) -> None:
    assert cal.working_days_between(D("2026-03-04"), D("2026-03-04")) == 0
    assert cal.working_days_between(D("2026-03-10"), D("2026-03-02")) == 0


# --- deadlines as instants ----------------------------------------------------------------------


def test_a_deadline_ends_at_midnight_shanghai_which_is_16_utc_of_the_last_day(
    cal: WorkingCalendar,
) -> None:
    due = cal.deadline(local("2025-09-26 15:00"), 20)
    assert due == Deadline(
        at=dt.datetime(2025, 10, 30, 16, 0, tzinfo=UTC), day=D("2025-10-30"), provisional=False
    )
    assert due.at.utcoffset() == dt.timedelta(0)
    assert due.at == dt.datetime(2025, 10, 31, 0, 0, tzinfo=SHANGHAI)


def test_the_start_date_is_taken_in_shanghai_time_not_utc(cal: WorkingCalendar) -> None:
    # 17:00 UTC on 25 Sep is 01:00 on 26 Sep in Shanghai.
    start = dt.datetime(2025, 9, 25, 17, 0, tzinfo=UTC)
    assert cal.local_date(start) == D("2025-09-26")
    assert cal.deadline(start, 20).day == D("2025-10-30")


def test_a_calendar_in_another_time_zone_ends_the_day_at_its_own_midnight(
    real: dict[int, YearSchedule],
) -> None:
    due = WorkingCalendar(real, tz=UTC).deadline(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), 20)
    assert due.at == dt.datetime(2026, 3, 31, 0, 0, tzinfo=UTC)


def test_a_deadline_from_a_naive_datetime_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="time zone"):
        cal.deadline(dt.datetime(2026, 3, 2, 9, 0), 20)


def test_shifting_by_zero_working_days_keeps_the_deadline(cal: WorkingCalendar) -> None:
    due = cal.deadline(local("2026-03-02 09:30"), 20)
    assert cal.shift(due, 0) == due


# --- years without a schedule -------------------------------------------------------------------


def test_a_deadline_running_into_2027_fails_when_2027_is_not_loaded(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarYearMissing) as caught:
        cal.deadline(local("2026-12-20 10:00"), 20)
    assert caught.value.year == 2027
    assert isinstance(caught.value, CalendarError)
    assert "2027" in str(caught.value)


def test_a_missing_year_only_matters_once_the_walk_reaches_it(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2026-12-20"), 5) == D("2026-12-25")
    assert cal.add_working_days(D("2026-12-20"), 9) == D("2026-12-31")
    with pytest.raises(CalendarYearMissing):
        cal.add_working_days(D("2026-12-20"), 10)


def test_asking_about_a_day_of_an_unloaded_year_fails(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarYearMissing) as caught:
        cal.is_workday(D("2024-05-06"))
    assert caught.value.year == 2024


def test_the_weekends_only_fallback_gives_a_provisional_deadline(
    fallback_cal: WorkingCalendar,
) -> None:
    due = fallback_cal.deadline(local("2026-12-20 10:00"), 20)
    # Weekends only: Fri 1 Jan 2027 counts, so the 20th working day is Fri 15 Jan.
    assert due.day == D("2027-01-15")
    assert due.provisional is True
    assert fallback_cal.is_provisional(D("2027-01-04")) is True
    assert fallback_cal.is_workday(D("2027-01-01")) is True
    assert fallback_cal.is_workday(D("2027-01-02")) is False


def test_the_fallback_does_not_mark_deadlines_inside_known_years(
    fallback_cal: WorkingCalendar,
) -> None:
    due = fallback_cal.deadline(local("2026-12-01 10:00"), 10)
    assert due.day == D("2026-12-15")
    assert due.provisional is False
    assert fallback_cal.is_provisional(D("2026-12-15")) is False


def test_shifting_into_a_fallback_year_makes_the_deadline_provisional(
    fallback_cal: WorkingCalendar,
) -> None:
    due = fallback_cal.deadline(local("2026-12-01 10:00"), 10)
    shifted = fallback_cal.shift(due, 20)
    assert shifted.provisional is True
    assert fallback_cal.shift(shifted, 0).provisional is True


def test_a_provisional_deadline_stays_provisional_when_shifted(
    fallback_cal: WorkingCalendar,
) -> None:
    due = Deadline(
        at=dt.datetime(2026, 3, 2, 16, tzinfo=UTC), day=D("2026-03-02"), provisional=True
    )
    assert fallback_cal.shift(due, 1).provisional is True


# --- building calendars and schedules -----------------------------------------------------------


def tiny(year: int) -> YearSchedule:
    return YearSchedule(
        year=year,
        holidays={dt.date(year, 1, 1): "元旦"},
        workdays={},
        source="test",
    )


def test_the_years_property_lists_the_loaded_years_in_order() -> None:
    assert WorkingCalendar({2031: tiny(2031), 2029: tiny(2029)}).years == (2029, 2031)


def test_a_schedule_filed_under_the_wrong_year_is_refused() -> None:
    with pytest.raises(CalendarError, match="2030"):
        WorkingCalendar({2029: tiny(2030)})


def test_a_schedule_cannot_list_a_day_as_holiday_and_make_up_day() -> None:
    with pytest.raises(CalendarError, match="2030-02-02"):
        YearSchedule(2030, {D("2030-02-02"): "春节"}, {D("2030-02-02"): "春节"}, "test")


def test_a_schedule_cannot_hold_a_day_of_another_year() -> None:
    with pytest.raises(CalendarError, match="not in 2030"):
        YearSchedule(2030, {D("2031-01-01"): "元旦"}, {}, "test")


def test_a_schedule_is_read_only_and_independent_of_the_dict_it_was_built_from() -> None:
    holidays = {D("2030-01-01"): "元旦"}
    schedule = YearSchedule(2030, holidays, {}, "test")
    holidays[D("2030-01-02")] = "元旦"
    assert list(schedule.holidays) == [D("2030-01-01")]
    with pytest.raises(TypeError):
        schedule.holidays[D("2030-01-03")] = "元旦"  # type: ignore[index]


def test_a_hand_made_schedule_drives_the_calendar() -> None:
    # 2030-01-05 is a Saturday made a working day; Wed 2030-01-02 is a holiday.
    schedule = YearSchedule(
        2030, {D("2030-01-01"): "元旦", D("2030-01-02"): "元旦"}, {D("2030-01-05"): "元旦"}, "t"
    )
    cal = WorkingCalendar({2030: schedule})
    assert cal.add_working_days(D("2030-01-01"), 1) == D("2030-01-03")
    assert cal.add_working_days(D("2030-01-01"), 3) == D("2030-01-05")
    assert cal.add_working_days(D("2030-01-01"), 4) == D("2030-01-07")


# --- years estimated from the holiday law (provisional schedules) -------------------------------


def estimate_2027() -> YearSchedule:
    """A hand-made stand-in for the 2027 estimate: the statutory days of 《全国年节及纪念日放假办法》
    (Art. 6 补假 included), no make-up working days, marked provisional."""
    days = ["01-01", "02-05", "02-06", "02-07", "02-08", "02-09", "02-10", "04-05", "05-01",
            "05-02", "05-03", "05-04", "06-09", "09-15", "10-01", "10-02", "10-03", "10-04", "10-05"]
    return YearSchedule(2027, {D(f"2027-{d}"): "节日" for d in days}, {}, "estimate",
                        provisional=True)


@pytest.fixture()
def estimated_cal(real: dict[int, YearSchedule]) -> WorkingCalendar:
    return WorkingCalendar({**real, 2027: estimate_2027()})


def test_a_schedule_is_not_provisional_unless_it_says_so() -> None:
    assert tiny(2030).provisional is False
    assert estimate_2027().provisional is True


def test_a_deadline_across_an_estimated_year_counts_its_holidays_and_is_provisional(
    estimated_cal: WorkingCalendar,
) -> None:
    due = estimated_cal.deadline(local("2026-12-20 10:00"), 20)
    # 21–31 Dec 2026: 9 working days; Fri 1 Jan 2027 元旦 off; 4–8 (14), 11–15 (19), Mon 18 (20).
    assert due.day == D("2027-01-18")
    assert due.provisional is True


def test_a_deadline_inside_a_state_council_year_is_not_provisional(
    estimated_cal: WorkingCalendar,
) -> None:
    due = estimated_cal.deadline(local("2026-12-01 10:00"), 10)
    assert (due.day, due.provisional) == (D("2026-12-15"), False)
    assert estimated_cal.is_provisional(D("2026-12-31")) is False


def test_every_day_of_an_estimated_year_is_provisional(estimated_cal: WorkingCalendar) -> None:
    assert estimated_cal.is_provisional(D("2027-01-04")) is True
    assert estimated_cal.is_provisional(D("2027-12-31")) is True
    assert estimated_cal.is_workday(D("2027-02-09")) is False  # 春节 补假
    assert estimated_cal.is_workday(D("2027-02-11")) is True


def test_zero_working_days_on_an_estimated_holiday_is_provisional(
    estimated_cal: WorkingCalendar,
) -> None:
    due = estimated_cal.deadline(local("2027-10-01 10:00"), 0)
    assert (due.day, due.provisional) == (D("2027-10-06"), True)
    # even a working day of an estimated year is provisional: the notice may make it a day off
    assert estimated_cal.deadline(local("2027-03-01 10:00"), 0).provisional is True


def test_shift_never_loses_the_provisional_mark(estimated_cal: WorkingCalendar) -> None:
    due = estimated_cal.deadline(local("2026-12-20 10:00"), 20)
    assert estimated_cal.shift(due, 0).provisional is True
    assert estimated_cal.shift(due, 5).provisional is True
    # a deadline shifted from 2026 into the estimated year becomes provisional
    inside = estimated_cal.deadline(local("2026-12-01 10:00"), 10)
    assert estimated_cal.shift(inside, 20).provisional is True
    # a provisional deadline shifted within a State Council year stays provisional
    marked = Deadline(at=dt.datetime(2026, 3, 2, 16, tzinfo=UTC), day=D("2026-03-02"),
                      provisional=True)
    assert estimated_cal.shift(marked, 1).provisional is True


def test_confirmed_years_leave_out_the_estimates(estimated_cal: WorkingCalendar) -> None:
    assert estimated_cal.years == (2025, 2026, 2027)
    assert estimated_cal.confirmed_years == (2025, 2026)
    assert estimated_cal.schedule(2027) is not None


def test_the_weekends_only_fallback_is_the_last_resort_after_the_estimate(
    real: dict[int, YearSchedule],
) -> None:
    cal = WorkingCalendar({**real, 2027: estimate_2027()}, fallback_weekends_only=True)
    assert cal.is_workday(D("2027-01-01")) is False  # the estimate wins over weekends-only
    assert cal.is_workday(D("2028-01-03")) is True  # no estimate for 2028: weekends only
    assert cal.is_provisional(D("2028-01-03")) is True
    without = WorkingCalendar({**real, 2027: estimate_2027()})
    with pytest.raises(CalendarYearMissing):
        without.is_workday(D("2028-01-03"))


# --- the administrator's warning ----------------------------------------------------------------


def test_from_1_october_the_missing_next_year_is_warned_about(
    estimated_cal: WorkingCalendar,
) -> None:
    text = missing_schedule_warning(estimated_cal, D("2026-10-01"))
    assert text is not None
    assert "2027年国务院节假日安排尚未导入" in text and "暂定" in text and "估算" in text
    assert "--" not in text and "sunshine" not in text  # the core names no command or flag
    assert missing_schedule_warning(estimated_cal, D("2026-12-31")) is not None


def test_no_warning_before_1_october(estimated_cal: WorkingCalendar) -> None:
    assert missing_schedule_warning(estimated_cal, D("2026-09-30")) is None
    assert missing_schedule_warning(estimated_cal, D("2026-01-02")) is None


def test_no_warning_once_the_next_year_is_imported(real: dict[int, YearSchedule]) -> None:
    imported = YearSchedule(2027, {D("2027-01-01"): "元旦"}, {}, "国务院办公厅通知")
    cal = WorkingCalendar({**real, 2027: imported})
    assert missing_schedule_warning(cal, D("2026-10-01")) is None
    assert missing_schedule_warning(cal, D("2026-12-31")) is None


def test_a_current_year_without_the_notice_is_warned_about_all_year(
    estimated_cal: WorkingCalendar,
) -> None:
    text = missing_schedule_warning(estimated_cal, D("2027-03-01"))
    assert text is not None and "2027年" in text


def test_the_warning_says_what_the_missing_year_is_counted_on(
    real: dict[int, YearSchedule],
) -> None:
    refused = missing_schedule_warning(WorkingCalendar(real), D("2026-10-01"))
    assert refused is not None and "无法计算" in refused
    weekends = missing_schedule_warning(
        WorkingCalendar(real, fallback_weekends_only=True), D("2026-10-01"))
    assert weekends is not None and "双休日" in weekends
