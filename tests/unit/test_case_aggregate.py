"""The Case aggregate on its own: no unit of work, no fake, no database — the rules that decide the
dates a supervisor reads, checked in microseconds.

Each date class here was found wrong in the old CaseWork (issue 12, measured against an independent
working-day count):
a stop after a deadline passed moved it; a stop on the acceptance day added a day; a shift lost
the provisional mark; running cases kept the old dates when a year's schedule arrived; a late
renewal was deemed renewed and a breach could be dated before its case existed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.calendar_files import estimated_schedule, load_schedule_file, schedules_from_chinese_calendar
from engine.calendar import WorkingCalendar
from engine.case import Case, Setting
from engine.deadlines import compute, extend
from engine.definitions import load_definitions
from engine.errors import InvalidAction
from engine.model import BreachKind, CaseState, Rules, TimerKind

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
_DEFS: dict[str, object] = {}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


def calendar(*, with_2027: bool = False) -> WorkingCalendar:
    schedules = {y: s for y, s in schedules_from_chinese_calendar().items() if y <= 2026}
    schedules[2027] = (load_schedule_file(str(ROOT / "tests/fixtures/calendar/2027.toml"))
                       if with_2027 else estimated_schedule(2027))
    return WorkingCalendar(schedules)


def setting(file: str, cal: WorkingCalendar | None = None) -> Setting:
    if file not in _DEFS:
        data = (ROOT / "processes" / file).read_bytes()
        [d] = load_definitions(data, file)
        _DEFS[file] = d
    d = _DEFS[file]
    return Setting(power=d.power, spec=d.spec, calendar=cal or calendar(),  # type: ignore[attr-defined]
                   rules=Rules())


def received(file: str = "food_business_licence.bpmn", when: str = "2026-03-02T09:00",
             cal: WorkingCalendar | None = None, **data: object) -> Case:
    case = Case.receive(setting(file, cal), number="2026-测试-000001", definition_id=1,
                        applicant="张三", data=dict(data), channel="window",
                        received_at=at(when),
                        licence_expires_at=(at(str(data["licence_expires"]) + "T00:00")
                                            + dt.timedelta(days=1))
                        if "licence_expires" in data else None)
    case.id = 1
    case.start(now=at(when), actor="李窗口", version=1)
    return case


def accepted(when: str = "2026-03-02T09:00", **kw: object) -> Case:
    case = received(when=when, **kw)  # type: ignore[arg-type]
    case.accept(now=at(when), actor="李窗口")
    return case


# -- clock stops ------------------------------------------------------------------------------


def test_a_stop_that_begins_after_the_promised_deadline_passed_does_not_move_it() -> None:
    case = accepted()  # 10 working days: promised 03-16; statutory 20: 03-30
    assert (case.promised.day, case.statutory.day) == (dt.date(2026, 3, 16), dt.date(2026, 3, 30))
    case.stop_clock(now=at("2026-03-17T09:00"), actor="科长", reason="等待检测")
    case.restart_clock(now=at("2026-03-19T09:00"), actor="科长")
    assert case.promised.day == dt.date(2026, 3, 16)  # expired: no time left to stop
    assert case.statutory.day == dt.date(2026, 4, 1)  # still running: 03-17 and 03-18 stopped
    # no second overdue row for the promised deadline: it stays due at its old instant
    [overdue] = [t for t in case.pending_timers() if t.kind == TimerKind.CASE_OVERDUE]
    assert overdue.due_at == at("2026-03-17T00:00")


def test_a_stop_on_the_acceptance_day_stops_nothing_of_that_day() -> None:
    case = accepted()
    case.stop_clock(now=at("2026-03-02T10:00"), actor="科长", reason="补正")
    case.restart_clock(now=at("2026-03-03T09:00"), actor="科长")
    assert case.promised.day == dt.date(2026, 3, 16)  # Civil Code Art. 201: 03-02 not counted
    assert case.stops[0].working_days == 0


def test_a_stop_from_the_acceptance_day_to_wednesday_stops_only_tuesday() -> None:
    case = accepted()
    case.stop_clock(now=at("2026-03-02T10:00"), actor="科长", reason="补正")
    case.restart_clock(now=at("2026-03-04T09:00"), actor="科长")
    assert case.promised.day == dt.date(2026, 3, 17)
    assert case.stopped_days == 1


def test_a_stop_within_the_running_time_moves_every_running_deadline_by_the_same_days() -> None:
    case = accepted()
    step = case.open_steps()[0]  # 现场核查, 4 working days from 03-02: 03-06
    assert step.due.day == dt.date(2026, 3, 6)
    case.stop_clock(now=at("2026-03-04T09:00"), actor="科长", reason="等待")
    case.restart_clock(now=at("2026-03-09T09:00"), actor="科长")  # Wed, Thu, Fri stopped
    assert case.promised.day == dt.date(2026, 3, 19)
    assert case.open_steps()[0].due.day == dt.date(2026, 3, 11)


# -- provisional dates -----------------------------------------------------------------------


def test_a_shift_never_loses_the_provisional_mark() -> None:
    cal = calendar()
    late = compute(cal, at("2026-12-20T09:00"), 20)
    assert late.provisional and late.day.year == 2027
    assert extend(cal, late, 3).provisional
    early = compute(cal, at("2026-12-01T09:00"), 5)
    assert not early.provisional
    assert extend(cal, early, 30).provisional  # shifted into the estimated year


def test_a_case_counted_on_an_estimate_is_recounted_on_the_real_schedule() -> None:
    case = accepted(when="2027-01-25T09:00")
    assert case.provisional and case.promised.day == dt.date(2027, 2, 12)
    case.attach(setting("food_business_licence.bpmn", calendar(with_2027=True)))
    assert case.recompute_deadlines(now=at("2027-01-26T09:00"), actor="admin", why="导入")
    assert not case.provisional and case.promised.day == dt.date(2027, 2, 15)
    [event] = [e for e in case.new_events if e.kind == "deadlines_recomputed"]
    assert event.payload["changes"]["promised"] == ["2027-02-12", "2027-02-15"]
    [overdue] = [t for t in case.pending_timers() if t.kind == TimerKind.CASE_OVERDUE]
    assert overdue.due_at == at("2027-02-16T00:00")  # the due row moved with the date
    assert not case.recompute_deadlines(now=at("2027-01-26T09:00"), actor="admin", why="再导入")


# -- deemed renewal (ALL Art. 50) -----------------------------------------------------------


def test_an_expired_licence_cannot_be_renewed() -> None:
    with pytest.raises(InvalidAction, match="expired"):
        received("food_business_licence_renewal.bpmn", licence_expires="2026-02-27")


def test_a_renewal_applied_for_late_runs_but_is_never_deemed_renewed() -> None:
    case = received("food_business_licence_renewal.bpmn", licence_expires="2026-03-20")
    case.accept(now=at("2026-03-02T09:00"), actor="李窗口")
    assert case.data["renewal_deemable"] is False
    assert TimerKind.RENEWAL_EXPIRY not in {t.kind for t in case.pending_timers()}


def test_a_deemed_renewal_breach_is_dated_when_the_decision_was_due() -> None:
    case = received("food_business_licence_renewal.bpmn", licence_expires="2026-04-30")
    case.accept(now=at("2026-03-02T09:00"), actor="李窗口")
    [expiry] = [t for t in case.pending_timers() if t.kind == TimerKind.RENEWAL_EXPIRY]
    expiry.id = 99
    case.fire(expiry, now=at("2026-06-01T09:00"))  # a worker that was down for a month
    [breach] = [b for b in case.breaches if b.kind == BreachKind.DEEMED_RENEWAL]
    assert breach.occurred_at == at("2026-05-01T00:00")


# -- form data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "words"), [
    ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}, "nested"),
    (float("nan"), "not a number"),
    ({1, 2}, "set"),
    ("x" * 70_000, "bytes"),
])
def test_form_data_that_cannot_be_recorded_is_refused_naming_the_step_and_field(
        value: object, words: str) -> None:
    case = accepted()
    step = case.open_steps()[0]
    events = len(case.new_events)
    with pytest.raises(InvalidAction, match=words) as err:
        case.complete(step.id, now=at("2026-03-03T09:00"), user="核查员",
                      data={"opinion": "同意", "记录": value})
    assert "现场核查" in str(err.value)
    assert words == "bytes" or "记录" in str(err.value)
    assert case.open_steps()[0].id == step.id and len(case.new_events) == events
    assert case.state == CaseState.ACCEPTED


def test_a_recount_during_a_not_counted_step_keeps_that_step_held_to_its_own_duration() -> None:
    cal = calendar()
    case = received("drainage_permit.bpmn", when="2027-01-20T09:00", cal=cal)
    case.accept(now=at("2027-01-20T10:00"), actor="李窗口")
    inspection = case.open_steps()[0]
    case.complete(inspection.id, now=at("2027-01-21T10:00"), user="核查员",
                  data={"opinion": "需检测", "needs_testing": True})
    [testing] = [s for s in case.open_steps() if not s.counted]
    assert case.clock.value == "suspended"
    own = {t.kind: t.status.value for t in case.pending_timers() if t.task_id == testing.id}
    assert set(own.values()) == {"pending"}  # held to its expected duration while it stops the clock
    case.attach(setting("drainage_permit.bpmn", calendar(with_2027=True)))
    before = testing.due.day
    assert case.recompute_deadlines(now=at("2027-01-22T09:00"), actor="admin", why="导入")
    assert testing.due.day != before  # the real 春节 is longer than the estimate: it moved
    own = {t.kind: t.status.value for t in case.pending_timers() if t.task_id == testing.id}
    assert set(own.values()) == {"pending"}
    others = {t.status.value for t in case.pending_timers() if t.task_id != testing.id}
    assert others == {"paused"}  # the case's own rows still wait for the clock


# -- a stopped clock never silences supervision ------------------------------------------------


def _fire_due(case: Case, until: str) -> list[str]:
    """Fire every pending row due by ``until`` (what the sweep would), in due order."""
    fired = []
    for timer in case.timers:  # ids, as the repository would give them
        if timer.id is None:
            timer.id = 1000 + max([t.id or 0 for t in case.timers] + [0])
    for timer in sorted(case.pending_timers("pending"), key=lambda t: t.due_at):
        if timer.due_at <= at(until) and case.fire(timer, now=at(until)):
            fired.append(timer.kind.value)
    return fired


def test_a_special_procedure_that_overruns_its_expected_days_gets_a_warning_then_a_yellow_card(
        ) -> None:
    case = accepted()
    case.start_special(now=at("2026-03-04T09:00"), actor="科长", kind="专家评审",
                       reason="技术复杂", expected_days=5)  # expected to end 03-11
    assert _fire_due(case, "2026-03-10T12:00") == []
    assert _fire_due(case, "2026-03-11T09:00") == ["stop_warning"]
    assert _fire_due(case, "2026-03-12T09:00") == ["stop_overdue"]
    [warning, yellow] = [c for c in case.cards if c.against == "stop1"]
    assert (warning.kind.value, yellow.kind.value) == ("warning", "yellow")
    assert "专家评审" in yellow.note and yellow.post == "现场核查岗"
    assert case.clock.value == "suspended"  # the card does not restart the clock


def test_a_stop_that_ends_in_time_raises_nothing_and_a_second_stop_is_watched_on_its_own() -> None:
    case = accepted()
    case.start_special(now=at("2026-03-04T09:00"), actor="科长", kind="检测", reason="水质",
                       expected_days=5)
    case.end_special(now=at("2026-03-06T09:00"), actor="科长", result="合格")
    assert not [t for t in case.pending_timers() if t.kind.value.startswith("stop_")]
    case.start_special(now=at("2026-03-09T09:00"), actor="科长", kind="鉴定", reason="复核",
                       expected_days=2)
    _fire_due(case, "2026-03-20T09:00")
    assert [(c.against, c.kind.value) for c in case.cards if c.against.startswith("stop")] == [
        ("stop2", "warning"), ("stop2", "yellow")]


@pytest.mark.parametrize("actor", ["", "   "])
def test_an_action_by_nobody_is_refused_and_changes_nothing(actor: str) -> None:
    case = received()
    events = len(case.new_events)
    with pytest.raises(InvalidAction, match="who acts is empty"):
        case.accept(now=at("2026-03-02T10:00"), actor=actor)
    assert case.state == CaseState.RECEIVED and len(case.new_events) == events
