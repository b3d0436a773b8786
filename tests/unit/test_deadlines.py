"""Deadlines over time (电子监察), on the in-memory fakes with a FakeClock: the sweep issues
warnings, yellow and red cards and breaches at the right instants, approves a deemed-approval
power itself once its promised deadline passes, counts an unanswered application as accepted
(ALL Art. 32), stops the clock while it is stopped, and fires nothing twice.

Every limit runs out at 00:00 Asia/Shanghai after its last working day (Civil Code Art. 203),
so sweeps are made one second either side of that instant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.calendar_files import load_schedule_file, schedules_from_chinese_calendar
from adapters.memory import FakeClock, MemoryDatabase, memory_env
from engine.calendar import WorkingCalendar
from engine.errors import CalendarYearMissing
from engine.model import CaseState, ClockState, StepRecord
from engine.services import cases
from engine.services.catalogue_admin import deploy
from engine.services.context import Env, Rules
from engine.services.supervision import case_record
from engine.services.sweep import SweepReport, sweep
from tests.staff import CLERK, A, person  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
FOOD = "XK-SPJY-001"  # statutory 20, promised 10, no deemed approval
ADVERTISING = "XK-HWGG-001"  # statutory 20, promised 10, deemedApproval="true"
INDIVIDUAL = "QR-GTDJ-001"  # 即办件: promised 0, every step 0 days
MONDAY = "2026-03-02T09:00"


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def deployed() -> MemoryDatabase:
    e = memory_env(FakeClock(MONDAY))
    deploy(e, PROCESSES, actor=A("designer"))
    assert isinstance(e.uow, MemoryDatabase)
    return e.uow


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


def make_env(clock: FakeClock, deployed: MemoryDatabase, rules: Rules | None = None,
             calendar: WorkingCalendar | None = None) -> Env:
    e = memory_env(clock, rules, calendar)
    e.uow = deployed.clone()
    return e


@pytest.fixture
def env(clock: FakeClock, deployed: MemoryDatabase) -> Env:
    return make_env(clock, deployed)


def at(clock: FakeClock, when: str) -> None:
    clock.set(when)


def sweep_at(env: Env, clock: FakeClock, when: str) -> SweepReport:
    clock.set(when)
    return sweep(env)


def record(env: Env, number: str) -> dict[str, Any]:
    return case_record(env, number)


def cards(env: Env, number: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [c for c in record(env, number)["cards"] if kind is None or c["kind"] == kind]


def breaches(env: Env, number: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [b for b in record(env, number)["breaches"] if kind is None or b["kind"] == kind]


def open_steps(env: Env, number: str) -> list[StepRecord]:
    with env.uow() as uow:
        return uow.steps.list(case_id=uow.cases.get(number).id, status="ready")


def complete(env: Env, clock: FakeClock, number: str, name: str, user: str, when: str,
             **data: Any) -> Any:
    clock.set(when)
    [step] = [s for s in open_steps(env, number) if s.name == name]
    return cases.complete_task(env, step.id, actor=A(user), data=data)


def accepted(env: Env, code: str = FOOD, applicant: str = "张三") -> Any:
    return cases.accept(env, cases.start_case(env, code, person(applicant), actor=A(CLERK)).number, actor=A("李窗口"))


# -- a step past its own limit ------------------------------------------------------------------


def test_a_step_is_warned_then_carded_yellow_with_a_breach_exactly_when_its_limit_runs_out(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    # 现场核查 (4 working days) is ready Mon 2 March 09:00: due Fri 6 March, i.e. 00:00 on
    # 7 March. The warning comes when 80% is used: floor(3.2) = 3 days, end of Thu 5 March.
    sweep_at(env, clock, "2026-03-05T23:59:59")
    assert cards(env, case.number) == []
    sweep_at(env, clock, "2026-03-06T00:00:01")
    [warning] = cards(env, case.number)
    assert (warning["kind"], warning["against"], warning["post"]) == ("warning", "step", "现场核查岗")

    sweep_at(env, clock, "2026-03-06T23:59:59")
    assert cards(env, case.number, "yellow") == [] and breaches(env, case.number) == []
    sweep_at(env, clock, "2026-03-07T00:00:01")
    [yellow] = cards(env, case.number, "yellow")
    assert (yellow["against"], yellow["post"]) == ("step", "现场核查岗")
    assert dt.datetime.fromisoformat(yellow["issued_at"]) == local("2026-03-07T00:00")
    [breach] = breaches(env, case.number)
    assert (breach["kind"], breach["step_name"], breach["post"]) == (
        "overdue_step", "现场核查", "现场核查岗")
    assert record(env, case.number)["state"] == "accepted"


def test_the_yellow_card_and_breach_name_the_person_who_claimed_the_step(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    [inspection] = open_steps(env, case.number)
    cases.claim(env, inspection.id, actor=A("赵核查"))
    sweep_at(env, clock, "2026-03-07T00:00:01")
    [yellow] = cards(env, case.number, "yellow")
    [breach] = breaches(env, case.number, "overdue_step")
    assert yellow["person"] == "赵核查" and breach["person"] == "赵核查"


def test_a_step_done_in_time_gets_no_card(env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    complete(env, clock, case.number, "现场核查", "赵核查", "2026-03-06T16:00")
    sweep_at(env, clock, "2026-03-07T00:00:01")
    assert [c["post"] for c in cards(env, case.number, "yellow")] == []


# -- a case past its promised deadline ---------------------------------------------------------


def test_a_food_case_past_its_promised_deadline_gets_a_red_card_and_stays_open(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)  # promised Mon 16 March → runs out 00:00 on 17 March
    sweep_at(env, clock, "2026-03-16T23:59:59")
    assert cards(env, case.number, "red") == []
    assert breaches(env, case.number, "overdue_case") == []
    sweep_at(env, clock, "2026-03-17T00:00:01")
    [red] = cards(env, case.number, "red")
    assert (red["against"], red["post"]) == ("promised", "现场核查岗")
    [breach] = breaches(env, case.number, "overdue_case")
    assert breach["step_name"] == "现场核查"
    state = record(env, case.number)
    assert (state["state"], state["deemed"], state["result"]) == ("accepted", False, None)
    assert [s.name for s in open_steps(env, case.number)] == ["现场核查"]


def test_sweeping_again_fires_nothing_new(env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    first = sweep_at(env, clock, "2026-03-17T00:00:01")
    assert first.fired > 0
    before = record(env, case.number)
    again = sweep_at(env, clock, "2026-03-17T00:00:01")
    later = sweep_at(env, clock, "2026-03-18T09:00")
    assert (again.fired, later.fired) == (0, 0)
    after = record(env, case.number)
    assert after["cards"] == before["cards"] and after["breaches"] == before["breaches"]
    assert after["history"] == before["history"]
    assert after["audit_chain"] == "intact"


def test_the_statutory_deadline_passing_records_a_statutory_card(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)  # statutory Mon 30 March → runs out 00:00 on 31 March
    sweep_at(env, clock, "2026-03-30T23:59:59")
    assert cards(env, case.number, "statutory") == []
    sweep_at(env, clock, "2026-03-31T00:00:01")
    [card] = cards(env, case.number, "statutory")
    assert card["against"] == "statutory" and "2026-03-30" in card["note"]


def test_a_red_card_against_the_statutory_deadline_comes_at_the_statutory_deadline(
        clock: FakeClock, deployed: MemoryDatabase) -> None:
    env = make_env(clock, deployed, Rules(red_card_against="statutory"))
    case = accepted(env)
    sweep_at(env, clock, "2026-03-17T00:00:01")  # promised passed: no red card yet
    assert cards(env, case.number, "red") == []
    assert [b["kind"] for b in breaches(env, case.number, "overdue_case")] == ["overdue_case"]
    sweep_at(env, clock, "2026-03-30T23:59:59")
    assert cards(env, case.number, "red") == []
    sweep_at(env, clock, "2026-03-31T00:00:01")
    [red] = cards(env, case.number, "red")
    assert red["against"] == "statutory"


def test_an_on_the_spot_case_still_open_at_the_end_of_the_working_day_gets_a_yellow_card(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env, INDIVIDUAL, "李四小吃")  # 即办件: promised 0 days, every step 0 days
    assert case.promised_day == dt.date(2026, 3, 2)
    [check] = open_steps(env, case.number)
    assert (check.name, check.due_day) == ("登记审核", dt.date(2026, 3, 2))
    sweep_at(env, clock, "2026-03-02T23:59:59")
    assert cards(env, case.number) == []
    sweep_at(env, clock, "2026-03-03T00:00:01")
    [yellow] = cards(env, case.number, "yellow")
    assert (yellow["against"], yellow["post"]) == ("step", check.post)
    assert cards(env, case.number, "red")  # and the case missed its same-day promise


# -- deemed approval (超时默许) -------------------------------------------------------------------


def _advertising_at_decision(env: Env, clock: FakeClock) -> Any:
    case = accepted(env, ADVERTISING, "某广告公司")  # promised Mon 16 March
    complete(env, clock, case.number, "现场勘查", "甲勘查", "2026-03-03T10:00")
    complete(env, clock, case.number, "审查", "乙审查", "2026-03-04T10:00")
    [decide] = open_steps(env, case.number)
    assert decide.name == "审批决定"
    cases.claim(env, decide.id, actor=A("王局长"))
    return case


def test_a_deemed_approval_power_is_approved_by_the_engine_when_the_promised_deadline_passes(
        env: Env, clock: FakeClock) -> None:
    case = _advertising_at_decision(env, clock)
    sweep_at(env, clock, "2026-03-16T23:59:59")
    assert record(env, case.number)["deemed"] is False
    sweep_at(env, clock, "2026-03-17T00:00:01")

    state = record(env, case.number)
    assert state["deemed"] is True and state["deemed_pending"] is False
    decided = [s for s in state["steps"] if s["name"] == "审批决定"]
    assert [(s["status"], s["outcome"]) for s in decided] == [("cancelled", "deemed")]
    [breach] = breaches(env, case.number, "deemed_approval")
    assert (breach["step_name"], breach["post"], breach["person"]) == ("审批决定", "审批岗", "王局长")
    assert [s.name for s in open_steps(env, case.number)] == ["制证（视为准予）"]
    assert "deemed_approved" in [e["kind"] for e in state["history"]]

    done = complete(env, clock, case.number, "制证（视为准予）", "孙制证", "2026-03-18T10:00")
    assert (done.state, done.result, done.deemed) == (CaseState.APPROVED, "deemed_approved", True)
    assert record(env, case.number)["audit_chain"] == "intact"


def test_deemed_approval_waits_for_the_decision_step_and_is_taken_as_soon_as_it_is_reached(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env, ADVERTISING, "某广告公司")
    sweep_at(env, clock, "2026-03-17T00:00:01")  # still at 现场勘查
    state = record(env, case.number)
    assert (state["deemed"], state["deemed_pending"]) == (False, True)
    [breach] = breaches(env, case.number, "deemed_approval")
    assert (breach["step_name"], breach["post"]) == ("现场勘查", "审查岗")
    assert [s.name for s in open_steps(env, case.number)] == ["现场勘查"]

    complete(env, clock, case.number, "现场勘查", "甲勘查", "2026-03-18T10:00")
    assert record(env, case.number)["deemed"] is False  # 审查 is not the decision
    complete(env, clock, case.number, "审查", "乙审查", "2026-03-18T11:00")
    state = record(env, case.number)
    assert (state["deemed"], state["deemed_pending"]) == (True, False)
    assert [(s["name"], s["outcome"]) for s in state["steps"] if s["name"] == "审批决定"] == [
        ("审批决定", "deemed")]
    assert [s.name for s in open_steps(env, case.number)] == ["制证（视为准予）"]
    assert len(breaches(env, case.number, "deemed_approval")) == 1


def test_a_food_case_is_never_deemed_approved(env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    sweep_at(env, clock, "2026-04-30T09:00")
    state = record(env, case.number)
    assert (state["deemed"], state["deemed_pending"], state["state"]) == (False, False,
                                                                          "accepted")


def test_no_deemed_approval_while_the_clock_is_stopped_and_the_deadline_moves_on_resume(
        clock: FakeClock, deployed: MemoryDatabase) -> None:
    env = make_env(clock, deployed)
    clock.set("2026-09-16T09:00")
    case = accepted(env, ADVERTISING, "某广告公司")
    # Accepted Wed 16 Sep 2026. Working days after it: 17, 18 (Thu, Fri); 20 (Sun, 调休上班);
    # 21, 22, 23, 24; 25–27 中秋 off; 28, 29, 30 → the 10th is Wed 30 Sep (promised).
    # Statutory goes on: 1–7 Oct 国庆 off; 8, 9 Oct; 10 Oct (Sat, 调休上班); 12–16; 19, 20 →
    # the 20th is Tue 20 Oct.
    assert (case.promised_day, case.statutory_day) == (dt.date(2026, 9, 30),
                                                       dt.date(2026, 10, 20))
    complete(env, clock, case.number, "现场勘查", "甲勘查", "2026-09-17T10:00")
    complete(env, clock, case.number, "审查", "乙审查", "2026-09-18T10:00")

    clock.set("2026-09-30T10:00")
    stopped = cases.suspend(env, case.number, actor=A("王局长"), reason="申请人补充结构安全检测报告",
                            kind="supplement")
    assert stopped.clock == ClockState.SUSPENDED
    # The promised deadline (00:00 on 1 Oct) passes while the clock stands still: nothing fires.
    report = sweep_at(env, clock, "2026-10-08T12:00")
    assert report.fired == 0
    state = record(env, case.number)
    assert (state["deemed"], state["deemed_pending"]) == (False, False)
    assert cards(env, case.number, "red") == [] and breaches(env, case.number) == []
    assert [s.name for s in open_steps(env, case.number)] == ["审批决定"]

    clock.set("2026-10-09T10:00")
    resumed = cases.resume(env, case.number, actor=A("王局长"), result="报告已补齐")
    # Stopped from Wed 30 Sep to Fri 9 Oct: working days 30 Sep and 8 Oct (1–7 Oct is 国庆)
    # = 2. Promised Wed 30 Sep + 2 working days = Thu 8 Oct, Fri 9 Oct → Fri 9 Oct.
    # Statutory Tue 20 Oct + 2 = Wed 21, Thu 22 → Thu 22 Oct.
    assert resumed.stopped_days == 2
    assert (resumed.promised_day, resumed.statutory_day) == (dt.date(2026, 10, 9),
                                                             dt.date(2026, 10, 22))
    assert resumed.promised_due == local("2026-10-10T00:00")
    assert resumed.clock == ClockState.RUNNING

    sweep_at(env, clock, "2026-10-09T23:59:59")
    assert record(env, case.number)["deemed"] is False
    sweep_at(env, clock, "2026-10-10T00:00:01")
    state = record(env, case.number)
    assert state["deemed"] is True
    [breach] = breaches(env, case.number, "deemed_approval")
    assert breach["post"] == "审批岗"
    [stop] = state["clock_stops"]
    assert stop["working_days"] == 2


# -- ALL Art. 32: an application nobody answered ------------------------------------------------


def test_an_application_neither_accepted_nor_noticed_in_5_working_days_counts_as_accepted(
        env: Env, clock: FakeClock) -> None:
    case = cases.start_case(env, FOOD, person("王五超市"), actor=A(CLERK))  # received Mon 2 March 09:00
    # 5 working days: 3, 4, 5, 6, 9 March → the notice period runs out 00:00 on 10 March.
    sweep_at(env, clock, "2026-03-09T23:59:59")
    assert record(env, case.number)["state"] == "received"
    sweep_at(env, clock, "2026-03-10T00:00:01")
    state = record(env, case.number)
    assert state["state"] == "accepted" and state["deemed_accepted"] is True
    assert state["accepted_at"] == state["received_at"] == local(MONDAY).isoformat()
    assert state["promised_deadline"] == "2026-03-16"  # counted from the day of receipt
    assert state["statutory_deadline"] == "2026-03-30"
    assert [s.name for s in open_steps(env, case.number)] == ["现场核查"]
    assert sweep_at(env, clock, "2026-03-10T00:00:01").fired == 0


def test_an_application_accepted_in_time_is_not_accepted_again_by_article_32(
        env: Env, clock: FakeClock) -> None:
    case = cases.start_case(env, FOOD, person("王五超市"), actor=A(CLERK))
    clock.set("2026-03-04T10:00")
    cases.accept(env, case.number, actor=A("李窗口"))
    sweep_at(env, clock, "2026-03-10T00:00:01")
    state = record(env, case.number)
    assert state["deemed_accepted"] is False
    assert state["accepted_at"] == local("2026-03-04T10:00").isoformat()


def test_an_application_given_its_one_time_notice_in_time_is_not_accepted_by_article_32(
        env: Env, clock: FakeClock) -> None:
    case = cases.start_case(env, FOOD, person("王五超市"), actor=A(CLERK))
    clock.set("2026-03-04T10:00")
    cases.request_supplement(env, case.number, actor=A("李窗口"), items=["健康证明"])
    sweep_at(env, clock, "2026-03-10T00:00:01")
    state = record(env, case.number)
    assert state["state"] == "in_correction" and state["deemed_accepted"] is False


def test_the_article_32_acceptance_is_shown_to_supervisors_with_its_own_card(
        env: Env, clock: FakeClock) -> None:
    case = cases.start_case(env, FOOD, person("王五超市"), actor=A(CLERK))
    sweep_at(env, clock, "2026-03-10T00:00:01")
    # sweep._acceptance_due issues a yellow card citing 第三十二条 against the acceptance step;
    # the acceptance step's own overdue card (1-day limit, 4 March) has the same dedupe key
    # (case, task, yellow, "step"), so the Art. 32 card must still be distinguishable.
    notes = [c["note"] for c in cards(env, case.number, "yellow")]
    assert any("第三十二条" in n for n in notes), notes


# -- the calendar's edge -------------------------------------------------------------------------


def test_a_deadline_crossing_into_a_year_without_a_schedule_is_refused_and_nothing_changes(
        clock: FakeClock, deployed: MemoryDatabase) -> None:
    schedules = schedules_from_chinese_calendar()
    assert 2027 not in schedules
    env = make_env(clock, deployed, calendar=WorkingCalendar(schedules))
    clock.set("2026-12-21T09:00")
    case = cases.start_case(env, FOOD, person("跨年餐饮店"), actor=A(CLERK))
    with pytest.raises(CalendarYearMissing) as err:
        cases.accept(env, case.number, actor=A("李窗口"))
    assert err.value.year == 2027 and "sunshine calendar import" in str(err.value)
    state = record(env, case.number)
    assert (state["state"], state["accepted_at"], state["promised_deadline"]) == (
        "received", None, None)


def test_the_same_deadline_works_once_the_2027_schedule_is_added(
        clock: FakeClock, deployed: MemoryDatabase) -> None:
    schedules = schedules_from_chinese_calendar()
    schedules[2027] = load_schedule_file(ROOT / "tests" / "fixtures" / "calendar" / "2027.toml")
    env = make_env(clock, deployed, calendar=WorkingCalendar(schedules))
    clock.set("2026-12-21T09:00")
    case = cases.start_case(env, FOOD, person("跨年餐饮店"), actor=A(CLERK))
    done = cases.accept(env, case.number, actor=A("李窗口"))
    # From Mon 21 Dec 2026: 22, 23, 24, 25; 28, 29, 30, 31 (8); 1–3 Jan 2027 元旦 off;
    # Mon 4 (9), Tue 5 Jan (10) → promised Tue 5 Jan 2027. Then 6, 7, 8 (13); 11–15 (18);
    # 18, 19 (20) → statutory Tue 19 Jan 2027.
    assert done.promised_day == dt.date(2027, 1, 5)
    assert done.statutory_day == dt.date(2027, 1, 19)
    assert not done.provisional
    sweep_at(env, clock, "2027-01-06T00:00:01")
    assert [c["against"] for c in cards(env, case.number, "red")] == ["promised"]
