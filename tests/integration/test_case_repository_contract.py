"""The case repository's contract, run against every store: the in-memory fake, SQLite and
PostgreSQL. One set of tests, so the fake cannot drift from the databases.

A case is loaded whole and saved whole; only one of two concurrent savers wins and the loser
writes nothing (a Conflict, never a database's own error); what a case raises once (a card, a
breach) is kept once; due rows are claimed in due order; a save that cannot be stored writes
nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import FakeClock, memory_env
from engine.errors import Conflict, NotFound
from engine.model import BreachKind, CardKind, TimerKind, TimerStatus
from engine.services import cases
from engine.services.catalogue_admin import deploy
from engine.services.context import Env
from tests.conftest import PROCESSES, _pg_schema_url, make_env
from tests.staff import CLERK, A, person  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")
FOOD = "XK-SPJY-001"


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    clock = FakeClock("2026-03-02T09:00")
    if request.param == "memory":
        env = memory_env(clock)
        deploy(env, [str(PROCESSES / "food_business_licence.bpmn")], actor=A("designer"))
        yield env
    elif request.param == "sqlite":
        env = make_env(f"sqlite:///{tmp_path / 'contract.db'}", clock)
        deploy(env, [str(PROCESSES / "food_business_licence.bpmn")], actor=A("designer"))
        yield env
    else:
        for url in _pg_schema_url():
            env = make_env(url, clock)
            deploy(env, [str(PROCESSES / "food_business_licence.bpmn")], actor=A("designer"))
            yield env
            env.engine.dispose()  # type: ignore[attr-defined]


def _accepted(env: Env, applicant: str = "张三餐饮店") -> str:
    number = cases.start_case(env, FOOD, person(applicant), actor=A(CLERK)).number
    cases.accept(env, number, actor=A("李窗口"))
    return number


def _parts(case: object) -> dict[str, object]:
    keep = ("number", "state", "clock", "promised", "statutory", "steps", "timers", "stops",
            "extensions", "cards", "breaches", "data", "version")
    return {k: getattr(case, k) for k in keep}


def test_a_saved_case_loads_back_whole(store: Env) -> None:
    number = _accepted(store)
    cases.suspend(store, number, actor=A("监察员"), reason="等待现场条件", until="2026-03-10",
                  now=local("2026-03-03T09:00"))
    cases.resume(store, number, actor=A("监察员"), now=local("2026-03-05T09:00"))
    with store.uow() as uow:
        first = cases.load(store, uow, number)
        first.card(CardKind.WARNING, "promised", None, "测试预警")
        uow.cases.save(first)
        uow.commit()
    with store.uow() as uow:
        again = cases.load(store, uow, number)
    assert _parts(again) == _parts(first)
    assert again.promised is not None and again.promised.days == 12  # 10 + 2 stopped days
    assert [s.name for s in again.open_steps()] == ["现场核查"]
    assert {t.kind for t in again.timers} >= {TimerKind.CASE_OVERDUE, TimerKind.STEP_OVERDUE}
    assert len(again.stops) == 1 and again.stops[0].working_days == 2


def test_of_two_savers_the_first_wins_and_the_second_writes_nothing(store: Env) -> None:
    number = _accepted(store)
    with store.uow() as uow:
        stale = cases.load(store, uow, number)  # loaded, then someone else saves first
    with store.uow() as uow:
        first = cases.load(store, uow, number)
        first.card(CardKind.WARNING, "promised", None, "先保存的预警")
        uow.cases.save(first)
        uow.commit()
    stale.card(CardKind.YELLOW, "promised", None, "后保存的黄牌")
    with store.uow() as uow, pytest.raises(Conflict):
        uow.cases.save(stale)
        uow.commit()
    loaded = cases.find_case(store, number)
    assert [c.note for c in loaded.cards] == ["先保存的预警"]
    from engine.services.supervision import case_record

    assert case_record(store, number)["audit_chain"] == "intact"


def test_a_card_or_breach_raised_twice_is_kept_once(store: Env) -> None:
    number = _accepted(store)
    for _ in range(2):
        with store.uow() as uow:
            case = cases.load(store, uow, number)
            case.card(CardKind.RED, "promised", None, "红牌")
            case.breach(BreachKind.OVERDUE_CASE, "超时")
            uow.cases.save(case)
            uow.commit()
    loaded = cases.find_case(store, number)
    assert len(loaded.cards) == 1 and len(loaded.breaches) == 1
    with store.uow() as uow:
        assert len(uow.cards.list()) == 1 and len(uow.breaches.list()) == 1


def test_due_rows_are_claimed_in_due_order_and_only_when_due(store: Env) -> None:
    a = _accepted(store, "甲")
    b = _accepted(store, "乙")
    cases.suspend(store, b, actor=A("监察员"), reason="暂停", until="2026-03-31",
                  now=local("2026-03-03T09:00"))
    with store.uow() as uow:
        due = uow.timers.claim_due(local("2026-03-20T00:00"), 100)
    assert [t.due_at for t in due] == sorted(t.due_at for t in due)
    assert all(t.status == TimerStatus.PENDING for t in due)
    assert all(t.due_at <= local("2026-03-20T00:00") for t in due)
    by_case = {t.case_id for t in due}
    assert cases.find_case(store, a).id in by_case
    assert cases.find_case(store, b).id not in by_case  # its rows are paused


def test_a_step_is_found_by_a_unique_prefix_of_its_id_and_not_by_a_short_one(store: Env) -> None:
    number = _accepted(store)
    [step] = cases.find_case(store, number).open_steps()
    with store.uow() as uow:
        assert uow.steps.get(step.id[:6]).id == step.id
        assert uow.steps.get(f"  {step.id}  ").id == step.id
        with pytest.raises(NotFound):
            uow.steps.get(step.id[:5])


def test_a_save_that_cannot_be_stored_writes_nothing(store: Env) -> None:
    number = _accepted(store)
    before = cases.find_case(store, number)
    with store.uow() as uow:
        case = cases.load(store, uow, number)
        case.card(CardKind.WARNING, "promised", None, "不会保存")
        case.data["bad"] = {1, 2}  # a set: no JSON column can hold it
        with pytest.raises(TypeError):
            uow.cases.save(case)
            uow.commit()
    after = cases.find_case(store, number)
    assert after.version == before.version and after.cards == [] and "bad" not in after.data


def test_failed_rows_are_set_aside_and_requeued(store: Env) -> None:
    _accepted(store)
    with store.uow() as uow:
        [row] = [t for t in uow.timers.claim_due(local("2026-04-01T00:00"), 100)
                 if t.kind == TimerKind.CASE_OVERDUE]
        uow.timers.set_aside(row, local("2026-04-01T00:00"))
        uow.commit()
    with store.uow() as uow:
        assert [t.id for t in uow.timers.failed()] == [row.id]
        assert uow.timers.requeue_failed() == 1
        uow.commit()
    with store.uow() as uow:
        assert uow.timers.failed() == []


def test_open_cases_reaching_a_day_are_found_for_recounting(store: Env) -> None:
    number = _accepted(store)
    closed = cases.start_case(store, FOOD, person("已撤"), actor=A(CLERK)).number
    cases.withdraw(store, closed, actor=A("李窗口"), reason="申请人撤回")
    with store.uow() as uow:
        assert uow.cases.open_numbers_due_from(dt.date(2026, 3, 16)) == [number]
        assert uow.cases.open_numbers_due_from(dt.date(2026, 4, 1)) == []


def test_a_case_keeps_its_deadline_bases(store: Env) -> None:
    number = _accepted(store)
    case = cases.find_case(store, number)
    assert dataclasses.asdict(case.promised)["start"] == dt.date(2026, 3, 2)
    assert (case.promised.days, case.statutory.days) == (10, 20)
    assert case.open_steps()[0].due.days == 4 and case.open_steps()[0].due.basis == "环节时限"


def test_spent_due_rows_are_deleted_and_pending_ones_kept(store: Env) -> None:
    number = cases.start_case(store, FOOD, person("张三"), actor=A(CLERK)).number
    with store.uow() as uow:
        [notice] = [t for t in uow.timers.claim_due(local("2026-03-10T00:00"), 100)
                    if t.kind == TimerKind.ACCEPTANCE_DUE]
    cases.accept(store, number, actor=A("李窗口"))  # the Art. 32 notice row is spent
    with store.uow() as uow:
        due = uow.timers.claim_due(local("2026-12-31T00:00"), 100)
    assert notice.id not in {t.id for t in due}
    assert {t.kind for t in due} >= {TimerKind.CASE_OVERDUE, TimerKind.STATUTORY_OVERDUE}
    assert {t.id for t in cases.find_case(store, number).timers} == {t.id for t in due}
