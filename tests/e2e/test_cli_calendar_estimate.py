"""A year without a State Council holiday schedule, through the CLI: cases run on with provisional
deadlines estimated from the holiday law, `calendar show` and `calendar status` say so, and the
administrator is warned from 1 October (also by the worker at start).

NEXT is the first year the installed chinese_calendar does not know (2027 with 1.11.0), so the
tests hold when a later release ships it. Every verb gets a fixed --now."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.calendar_files import schedules_from_chinese_calendar
from tests.e2e.helpers import Sunshine
from tests.staff import CLERK, id_number

FOOD = "XK-SPJY-001"  # 10 promised / 20 statutory working days
LAST = max(schedules_from_chinese_calendar())
NEXT = LAST + 1
WARNING = f"{NEXT}年国务院节假日安排尚未导入"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url, now=f"{LAST}-12-21T09:00")
    s.setup()
    return s


def notice_file(tmp_path: Path) -> Path:
    path = tmp_path / f"{NEXT}.toml"
    path.write_text(f'year = {NEXT}\nsource = "国务院办公厅关于{NEXT}年部分节假日安排的通知（测试数据）"\n'
                    f'[[holiday]]\nname = "元旦"\ndays = [{NEXT}-01-01]\n', encoding="utf-8")
    return path


def test_a_case_whose_deadline_runs_into_the_estimated_year_is_accepted_and_marked_provisional(
        sun: Sunshine) -> None:
    number = sun.ok("case", "start", FOOD, "--applicant", "跨年餐饮店", "--id-number", id_number("跨年餐饮店"), "--as", CLERK).out.strip()
    accepted = sun.ok("case", "accept", number, "--as", "李窗口")
    assert f"promised by {NEXT}-" in accepted.out

    record = sun.json("case", "show", number)
    assert record["provisional_deadlines"] is True
    assert record["promised_deadline"].startswith(f"{NEXT}-")
    assert record["statutory_deadline"].startswith(f"{NEXT}-")

    shown = sun.ok("case", "show", number).out
    assert f"{record['promised_deadline']}（暂定）" in shown
    assert f"{record['statutory_deadline']}（暂定）" in shown
    assert "暂定 provisional" in shown


def test_a_case_inside_a_state_council_year_is_not_provisional(sun: Sunshine) -> None:
    now = f"{LAST}-03-02T09:00"
    number = sun.ok("case", "start", FOOD, "--applicant", "本年餐饮店", "--id-number", id_number("本年餐饮店"), "--as", CLERK, now=now).out.strip()
    sun.ok("case", "accept", number, "--as", "李窗口", now=now)
    record = sun.json("case", "show", number, now=now)
    assert record["provisional_deadlines"] is False
    assert "暂定" not in sun.ok("case", "show", number, now=now).out


def test_calendar_show_says_the_year_is_estimated_and_lists_its_holidays(sun: Sunshine) -> None:
    res = sun.ok("calendar", "show", NEXT, now=f"{LAST}-10-01T09:00")
    assert "估算，待国务院通知" in res.out and "估算，待国务院通知" in res.err
    assert f"year = {NEXT}\n" in res.out
    for name in ("元旦", "农历除夕", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"):
        assert f'name = "{name}"' in res.out, name
    assert f"from = {NEXT}-10-01\nto = {NEXT}-10-03\n" in res.out
    assert "[[workday]]" not in res.out  # no 调休 in an estimate
    assert WARNING in res.err and "calendar import" in res.err


def test_a_state_council_year_is_shown_without_the_estimate_mark(sun: Sunshine) -> None:
    res = sun.ok("calendar", "show", LAST, now=f"{LAST}-09-30T09:00")
    assert "估算" not in res.out + res.err
    assert "[[workday]]" in res.out


def test_the_estimate_printed_by_show_cannot_be_imported_as_it_is(
        sun: Sunshine, tmp_path: Path) -> None:
    path = tmp_path / "estimate.toml"
    path.write_text(sun.ok("calendar", "show", NEXT).out, encoding="utf-8")
    res = sun.fails("calendar", "import", path, "--as", "admin")
    assert "not the notice" in res.err


def test_calendar_status_warns_from_1_october_until_the_schedule_is_imported(
        sun: Sunshine, tmp_path: Path) -> None:
    before = sun.ok("calendar", "status", now=f"{LAST}-09-30T09:00")
    assert WARNING not in before.out + before.err
    assert f"{NEXT}  " in before.out and "估算，待国务院通知" in before.out

    october = sun.ok("calendar", "status", now=f"{LAST}-10-01T09:00")
    assert WARNING in october.out and "calendar import FILE" in october.out

    sun.ok("calendar", "import", notice_file(tmp_path), "--as", "admin")
    after = sun.ok("calendar", "status", now=f"{LAST}-10-01T09:00")
    assert WARNING not in after.out + after.err
    assert "国务院通知 confirmed" in after.out
    shown = sun.ok("calendar", "show", NEXT, now=f"{LAST}-10-01T09:00")
    assert "估算" not in shown.out + shown.err


def test_the_worker_warns_at_start_from_1_october(
        sun: Sunshine, monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.scheduler

    started: list[float] = []
    monkeypatch.setattr(adapters.scheduler, "run_worker", lambda env, every, **_: started.append(every))
    october = sun.ok("worker", "--interval", "5", now=f"{LAST}-10-01T09:00")
    assert started == [5.0]
    assert WARNING in october.err and "calendar import" in october.err
    september = sun.ok("worker", "--interval", "5", now=f"{LAST}-09-30T09:00")
    assert WARNING not in september.out + september.err

