"""Calendar data from chinese_calendar and from hand-written TOML files (adapters.calendar_files).
The 2027 file under tests/fixtures/calendar is made-up TEST DATA, not the official schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from adapters.calendar_files import (
    _chinese_name,
    dump_schedule,
    estimated_schedule,
    load_schedule_file,
    parse_schedule,
    schedules_from_chinese_calendar,
)
from engine.calendar import WorkingCalendar, YearSchedule
from engine.errors import CalendarError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "calendar"
TEST_2027 = FIXTURES / "2027.toml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def seeded() -> dict[int, YearSchedule]:
    return schedules_from_chinese_calendar()


@pytest.fixture(scope="module")
def with_2027(seeded: dict[int, YearSchedule]) -> WorkingCalendar:
    return WorkingCalendar({2026: seeded[2026], 2027: load_schedule_file(TEST_2027)})


# --- chinese_calendar ---------------------------------------------------------------------------


def test_every_year_chinese_calendar_knows_becomes_a_schedule(
    seeded: dict[int, YearSchedule],
) -> None:
    years = {d.year for d in chinese_calendar.holidays}
    assert sorted(seeded) == list(range(min(years), max(years) + 1))
    assert {2004, 2025, 2026} <= set(seeded)
    assert all(schedule.year == year for year, schedule in seeded.items())


def test_the_source_names_the_package_and_its_version(seeded: dict[int, YearSchedule]) -> None:
    assert seeded[2026].source == f"chinese_calendar {chinese_calendar.__version__}"
    assert chinese_calendar.__version__ in seeded[2026].source


def test_holidays_carry_their_chinese_names(seeded: dict[int, YearSchedule]) -> None:
    assert seeded[2025].holidays[D("2025-10-01")] == "国庆节"
    assert seeded[2025].holidays[D("2025-10-06")] == "中秋"
    assert seeded[2026].holidays[D("2026-02-17")] == "春节"
    assert seeded[2026].workdays[D("2026-02-14")] == "春节"
    assert seeded[2026].workdays[D("2026-01-04")] == "元旦"


def test_an_unknown_holiday_value_keeps_its_english_name() -> None:
    assert _chinese_name("Some New Holiday", chinese_calendar.Holiday) == "Some New Holiday"
    assert _chinese_name(chinese_calendar.Holiday.labour_day, chinese_calendar.Holiday) == "劳动节"


def test_the_seeded_calendar_agrees_with_chinese_calendar_on_every_day(
    seeded: dict[int, YearSchedule],
) -> None:
    cal = WorkingCalendar(seeded)
    day, last = min(chinese_calendar.holidays), max(chinese_calendar.holidays)
    day, last = dt.date(day.year, 1, 1), dt.date(last.year, 12, 31)
    disagreements = []
    while day <= last:
        if cal.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += dt.timedelta(days=1)
    assert disagreements == []


@pytest.mark.parametrize("n", [0, 1, 5, 20])
def test_from_a_working_day_adding_working_days_agrees_with_chinese_calendar_find_workday(
    seeded: dict[int, YearSchedule], n: int
) -> None:
    cal = WorkingCalendar(seeded)
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(0, 2 * 365 + 200, 2)]
    starts = [d for d in days if cal.is_workday(d)]
    wrong = [d for d in starts if cal.add_working_days(d, n) != chinese_calendar.find_workday(n, d)]
    assert len(starts) > 250
    assert wrong == []


def test_from_a_day_off_the_engine_counts_one_day_earlier_than_chinese_calendar_find_workday(
    seeded: dict[int, YearSchedule],
) -> None:
    # find_workday first moves a holiday start to the next working day and counts from there;
    # Civil Code Art. 201 counts from the day after the start, so the first working day after
    # Wed 1 Oct 2025 (National Day) is Thu 9 Oct, not Fri 10 Oct.
    cal = WorkingCalendar(seeded)
    assert cal.add_working_days(D("2025-10-01"), 1) == D("2025-10-09")
    assert chinese_calendar.find_workday(1, D("2025-10-01")) == D("2025-10-10")


# --- the 2027 test file -------------------------------------------------------------------------


def test_the_2027_test_file_loads_with_all_its_days() -> None:
    schedule = load_schedule_file(TEST_2027)
    assert schedule.year == 2027
    assert "TEST DATA" in schedule.source
    assert schedule.published == D("2026-11-04")
    assert len(schedule.holidays) == 3 + 9 + 3 + 5 + 1 + 1 + 7
    assert schedule.holidays[D("2027-01-02")] == "元旦"  # from a list of strings
    assert schedule.holidays[D("2027-02-10")] == "春节"  # from a from/to range
    assert schedule.holidays[D("2027-05-05")] == "劳动节"  # from a range given as strings
    assert dict(schedule.workdays) == {
        D("2027-01-30"): "春节",
        D("2027-02-20"): "春节",
        D("2027-05-08"): "劳动节",
        D("2027-09-26"): "国庆节",
        D("2027-10-09"): "国庆节",
    }


def test_with_2027_loaded_a_deadline_from_20_december_2026_is_18_january_2027(
    with_2027: WorkingCalendar,
) -> None:
    # Dec 21–25, 28–31 (9 WD); 1–3 Jan is 元旦; Jan 4–8, 11–15 (19); Mon 18 Jan is the 20th.
    due = with_2027.deadline(dt.datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI), 20)
    assert due.day == D("2027-01-18")
    assert due.provisional is False
    assert due.at == dt.datetime(2027, 1, 18, 16, 0, tzinfo=dt.UTC)


def test_the_2027_make_up_saturday_counts_before_spring_festival(
    with_2027: WorkingCalendar,
) -> None:
    # Sat 30 Jan (make-up), 1–4 Feb, then 5–13 Feb off, then 15–19 Feb: the 10th is Fri 19 Feb.
    assert with_2027.add_working_days(D("2027-01-29"), 10) == D("2027-02-19")
    assert with_2027.is_workday(D("2027-02-20")) is True
    assert with_2027.is_workday(D("2027-02-12")) is False


# --- writing files back -------------------------------------------------------------------------


def test_the_2027_test_file_round_trips_through_dump_and_load(tmp_path: Path) -> None:
    schedule = load_schedule_file(TEST_2027)
    path = tmp_path / "2027-copy.toml"
    path.write_text(dump_schedule(schedule), encoding="utf-8")
    assert load_schedule_file(path) == schedule


def test_every_chinese_calendar_year_round_trips(seeded: dict[int, YearSchedule]) -> None:
    changed = [y for y, s in seeded.items() if parse_schedule(dump_schedule(s), f"{y}") != s]
    assert changed == []


def test_dump_writes_runs_of_days_as_ranges_and_make_up_days_one_by_one() -> None:
    text = dump_schedule(load_schedule_file(TEST_2027))
    assert 'name = "春节"\nfrom = 2027-02-05\nto = 2027-02-13\n' in text
    assert 'name = "端午"\ndays = [2027-06-09]\n' in text
    assert '[[workday]]\nname = "国庆节"\ndate = 2027-09-26\n' in text
    assert "year = 2027\n" in text and "published = 2026-11-04\n" in text


def test_dump_escapes_quotes_backslashes_and_control_characters_in_text() -> None:
    schedule = YearSchedule(
        2030, {D("2030-01-01"): '元"旦\\'}, {}, 'notice "A"\\B\tC', published=None
    )
    text = dump_schedule(schedule)
    assert "published" not in text
    assert parse_schedule(text) == schedule


# --- broken files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_syntax.toml", "line 5"),
        ("bad_missing_year.toml", "missing year"),
        ("bad_other_year.toml", "2028-01-01 is not in 2027"),
        ("bad_not_a_date.toml", "'2027-02-30' is not a real date"),
        ("bad_weekday_workday.toml", '[[workday]] #1 "春节": 2027-02-15 is a Monday'),
        ("bad_holiday_and_workday.toml", "2027-02-13 is also listed as holiday"),
        ("bad_empty.toml", "lists no days"),
        ("bad_misspelt_table.toml", "key 'holidays': unknown key"),
    ],
)
def test_a_broken_file_gives_a_one_line_calendar_error_naming_the_file_and_the_problem(
    name: str, expected: str
) -> None:
    with pytest.raises(CalendarError) as caught:
        load_schedule_file(FIXTURES / name)
    message = str(caught.value)
    assert message.startswith(str(FIXTURES / name) + ":")
    assert expected in message
    assert "\n" not in message


def test_a_file_that_does_not_exist_gives_a_calendar_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "2028.toml"
    with pytest.raises(CalendarError, match="cannot read") as caught:
        load_schedule_file(missing)
    assert str(missing) in str(caught.value)


def test_a_directory_instead_of_a_file_gives_a_calendar_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        load_schedule_file(tmp_path)


def test_a_file_saved_in_gbk_is_refused_with_a_hint_to_save_it_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes('year = 2027\nsource = "国务院"\n'.encode("gbk"))
    with pytest.raises(CalendarError, match="save the file as UTF-8"):
        load_schedule_file(path)


def test_a_file_with_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(TEST_2027.read_bytes().decode("utf-8").encode("utf-8-sig"))
    assert load_schedule_file(path) == load_schedule_file(TEST_2027)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('year = 2027\n[[holiday]]\nname = "元旦"\ndays = [2027-01-01]\n', "source"),
        ('year = "2027"\nsource = "s"\n', "is not a year"),
        ('year = 2027\nsource = "s"\n[[holiday]]\ndays = [2027-01-01]\n', "missing name"),
        ('year = 2027\nsource = "s"\n[[holiday]]\nname = "元旦"\n', "lists no days"),
        ('year = 2027\nsource = "s"\n[[holiday]]\nname = "x"\nfrom = 2027-01-01\n', "both"),
        (
            'year = 2027\nsource = "s"\n[[holiday]]\nname = "x"\n'
            "from = 2027-01-03\nto = 2027-01-01\n",
            "swap",
        ),
        (
            'year = 2027\nsource = "s"\n[[holiday]]\nname = "x"\ndate = 2027-01-01T09:00:00\n',
            "has a time",
        ),
        (
            'year = 2027\nsource = "s"\n[[holiday]]\nname = "x"\ndays = [2027-01-01]\nnote = 1\n',
            "unknown key 'note'",
        ),
        ('year = 2027\nsource = "s"\n[holiday]\nname = "x"\ndays = [2027-01-01]\n', "[[holiday]]"),
        (
            'year = 2027\nsource = "s"\n[[holiday]]\nname = "元旦"\ndays = [2027-01-01]\n'
            '[[holiday]]\nname = "春节"\ndays = [2027-01-01]\n',
            'already listed as holiday "元旦"',
        ),
    ],
)
def test_other_mistakes_in_a_calendar_file_are_explained(text: str, expected: str) -> None:
    with pytest.raises(CalendarError) as caught:
        parse_schedule(text, "typed.toml")
    assert str(caught.value).startswith("typed.toml:")
    assert expected in str(caught.value)


def test_the_same_day_listed_twice_under_the_same_name_is_accepted() -> None:
    text = 'year = 2027\nsource = "s"\n[[holiday]]\nname = "元旦"\ndays = [2027-01-01]\n'
    text += '[[holiday]]\nname = "元旦"\nfrom = 2027-01-01\nto = 2027-01-02\n'
    assert list(parse_schedule(text).holidays) == [D("2027-01-01"), D("2027-01-02")]


# --- estimates from the holiday law (the `holidays` package) ------------------------------------


def test_the_2027_estimate_holds_the_statutory_holidays_with_lunar_dates() -> None:
    estimate = estimated_schedule(2027)
    assert estimate.year == 2027 and estimate.provisional is True
    statutory = {
        "2027-01-01": "元旦",
        "2027-02-05": "农历除夕",  # lunar New Year's Eve, from the package's lunar calendar
        "2027-02-06": "春节", "2027-02-07": "春节", "2027-02-08": "春节",
        "2027-04-05": "清明节",
        "2027-05-01": "劳动节", "2027-05-02": "劳动节",
        "2027-06-09": "端午节",
        "2027-09-15": "中秋节",
        "2027-10-01": "国庆节", "2027-10-02": "国庆节", "2027-10-03": "国庆节",
    }
    for day, name in statutory.items():
        assert estimate.holidays[D(day)] == name, day


def test_the_2027_estimate_makes_up_weekend_holidays_and_has_no_tiaoxiu() -> None:
    estimate = estimated_schedule(2027)
    assert estimate.workdays == {}  # 调休 make-up working days are only known from the notice
    made_up = {d.isoformat() for d, n in estimate.holidays.items() if "补假" in n}
    # Art. 6: Sat/Sun holidays are made up on the next working days
    assert made_up == {"2027-02-09", "2027-02-10", "2027-05-03", "2027-05-04",
                       "2027-10-04", "2027-10-05"}
    weekdays_off = [d for d in estimate.holidays if d.weekday() < 5]
    assert len(weekdays_off) == 13  # the 13 statutory days of the law, as weekdays off
    assert set(estimate.holidays) <= {d for d in estimate.holidays if d.year == 2027}


def test_the_estimate_names_its_source_and_the_package_version() -> None:
    import holidays

    source = estimated_schedule(2027).source
    assert "全国年节及纪念日放假办法" in source and holidays.__version__ in source


def test_an_estimate_leaves_out_the_swaps_of_past_notices_the_package_knows() -> None:
    estimate = estimated_schedule(2026)
    assert not any("调休" in n for n in estimate.holidays.values())
    assert D("2026-02-20") not in estimate.holidays  # a 2026 day off traded for Sat 14 Feb
    assert estimate.holidays[D("2026-02-16")] == "农历除夕"


def test_a_year_before_the_13_day_law_is_not_estimated() -> None:
    with pytest.raises(CalendarError, match="2024"):
        estimated_schedule(2024)


def test_an_estimate_counts_a_deadline_across_2027_provisionally(
    seeded: dict[int, YearSchedule],
) -> None:
    cal = WorkingCalendar({2026: seeded[2026], 2027: estimated_schedule(2027)})
    due = cal.deadline(dt.datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI), 20)
    assert (due.day, due.provisional) == (D("2027-01-18"), True)
    inside = cal.deadline(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), 20)
    assert (inside.day, inside.provisional) == (D("2026-03-30"), False)
    # Spring Festival 2027 estimated: Thu 4 Feb, then 5–10 Feb off, Thu 11 Feb
    assert cal.add_working_days(D("2027-02-04"), 1) == D("2027-02-11")


def test_the_estimate_is_shown_as_provisional_and_cannot_be_imported_as_it_is() -> None:
    text = dump_schedule(estimated_schedule(2027))
    assert "估算，待国务院通知" in text
    assert 'name = "农历除夕"\ndays = [2027-02-05]\n' in text
    with pytest.raises(CalendarError, match="not the notice"):
        parse_schedule(text, "2027.toml")


def test_the_environment_estimates_the_years_after_the_last_schedule(
    sqlite_url: str, clock: object,
) -> None:
    from tests.conftest import make_env

    env = make_env(sqlite_url, clock)
    cal = env.calendar()
    last = max(seeded_years := schedules_from_chinese_calendar())
    for year in (last + 1, last + 2):
        assert cal.schedule(year) is not None and cal.schedule(year).provisional
    assert cal.schedule(last + 3) is None  # beyond: no estimate (fallback or refusal)
    assert not cal.schedule(last).provisional
    assert cal.confirmed_years == tuple(sorted(seeded_years))


def test_an_imported_year_replaces_the_estimate(sqlite_url: str, clock: object) -> None:
    from tests.conftest import make_env

    env = make_env(sqlite_url, clock)
    schedule = load_schedule_file(TEST_2027)
    with env.uow() as uow:
        uow.calendar.save_year(
            2027, schedule.source,
            {d.isoformat(): n for d, n in schedule.holidays.items()},
            {d.isoformat(): n for d, n in schedule.workdays.items()},
            env.now())
        uow.commit()
    env.reset_calendar()  # type: ignore[attr-defined]
    cal = env.calendar()
    assert cal.schedule(2027).provisional is False
    assert cal.schedule(2027).workdays  # the notice's make-up working days
    assert cal.schedule(2028).provisional and cal.schedule(2029).provisional
