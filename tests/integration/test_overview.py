"""The supervisors' overview (engine.services.overview.overdue_by_unit, `sunshine supervise
overdue`) on SQLite and PostgreSQL, and on the in-memory fake: open cases overdue and near their
promised deadline, per unit and per power.

Cases of five powers of three units are received and accepted at fixed times in March 2026;
some are overdue, some near, some decided (clock stopped, certificate still to issue), some
closed, withdrawn, refused or still in the window, and two have their clock suspended.
Promised deadlines (10 working days from acceptance, 2026 schedule, no holidays in March):
accepted 03-02 → 03-16, 03-03 → 03-17, 03-05 → 03-19, 03-06 → 03-20, 03-10 → 03-24.
The overview is read on Tue 2026-03-17 10:00; 3 working days ahead end with Fri 03-20.
Every figure is checked against the case records themselves (find_case), counted by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from engine.errors import InvalidAction
from engine.model import ClockState
from engine.services import cases as svc
from engine.services import handling
from engine.services.context import Env
from engine.services.overview import near_horizon, overdue_by_unit
from tests.staff import CLERK, A, person  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
FOOD, RENEWAL, DRAINAGE, ROAD, HYGIENE = (
    "XK-SPJY-001", "XK-SPJY-002", "XK-PSXK-001", "XK-DLWJ-001", "XK-GGWS-001")
MARKET, HOUSING, HEALTH = "县市场监督管理局", "县住房和城乡建设局", "县卫生健康委员会"
UNIT = {FOOD: MARKET, RENEWAL: MARKET, DRAINAGE: HOUSING, ROAD: HOUSING, HYGIENE: HEALTH}
NOW = "2026-03-17T10:00"


def at(text: str) -> dt.datetime:
    from adapters.cli.common import parse_now

    return parse_now(text)


def complete(env: Env, number: str, name: str, when: str, **data: object) -> None:
    with env.uow() as uow:
        case = uow.cases.get(number)
        step = next(s for s in uow.steps.list(case_id=case.id) if s.name == name)
    svc.complete_task(env, step.id, actor=A("经办人"), data=data, now=at(when))


def received(env: Env, code: str, when: str, **data: object) -> str:
    return svc.start_case(env, code, person("申请人"), data=dict(data), now=at(when), actor=A(CLERK)).number


def accepted(env: Env, code: str, when: str, **data: object) -> str:
    number = received(env, code, when, **data)
    svc.accept(env, number, actor=A("王窗口"), now=at(when))
    return number


def seed(env: Env) -> list[str]:
    """The cases of the module docstring; returns every case number."""
    n: list[str] = []
    n.append(accepted(env, FOOD, "2026-03-02T09:00"))  # due 03-16: overdue
    n.append(accepted(env, FOOD, "2026-03-05T09:00"))  # due 03-19: near
    n.append(accepted(env, FOOD, "2026-03-10T09:00"))  # due 03-24: open only
    decided = accepted(env, FOOD, "2026-03-02T09:30")  # decided on time, certificate to issue
    complete(env, decided, "现场核查", "2026-03-03T10:00", opinion="符合")
    complete(env, decided, "审核", "2026-03-04T10:00", opinion="同意")
    complete(env, decided, "审批决定", "2026-03-05T10:00", decision="approve", opinion="准予")
    n.append(decided)  # open, clock stopped: neither overdue nor near on 03-17
    withdrawn = accepted(env, FOOD, "2026-03-02T10:00")
    svc.withdraw(env, withdrawn, actor=A("申请人"), reason="不办了", now=at("2026-03-03T09:00"))
    n.append(withdrawn)  # closed
    closed = accepted(env, FOOD, "2026-03-02T10:30")
    complete(env, closed, "现场核查", "2026-03-03T10:00", opinion="符合")
    complete(env, closed, "审核", "2026-03-04T10:00", opinion="同意")
    complete(env, closed, "审批决定", "2026-03-05T10:00", decision="approve", opinion="准予")
    complete(env, closed, "制证发证", "2026-03-06T10:00", opinion="已发证")
    n.append(closed)  # approved, closed
    special = accepted(env, FOOD, "2026-03-02T11:00")
    handling.start_special(env, special, actor=A("李承办"), kind="专家评审", reason="技术复杂",
                           expected_days=10, now=at("2026-03-09T09:00"))
    n.append(special)  # in_special, stopped 03-09 with time left: frozen, neither overdue nor near
    n.append(accepted(env, RENEWAL, "2026-03-03T09:00", licence_expires="2026-12-31"))  # near
    n.append(received(env, FOOD, "2026-03-16T09:00"))  # at the window: open, no deadline yet
    n.append(accepted(env, DRAINAGE, "2026-03-02T09:00"))  # overdue
    n.append(accepted(env, DRAINAGE, "2026-03-02T14:00"))  # overdue
    testing = accepted(env, DRAINAGE, "2026-03-10T09:00")  # water testing stops the clock
    complete(env, testing, "现场核查", "2026-03-11T10:00", needs_testing=True)
    n.append(testing)  # in_special, suspended, stored due 03-24: open only
    n.append(accepted(env, ROAD, "2026-03-06T09:00"))  # due 03-20: near
    refused = received(env, HYGIENE, "2026-03-02T09:00")
    svc.refuse_acceptance(env, refused, actor=A("王窗口"), reason="不属于本机关职权范围",
                          now=at("2026-03-02T09:30"))
    n.append(refused)  # not accepted: closed
    n.append(accepted(env, HYGIENE, "2026-03-10T09:00"))  # open only
    return n


EXPECTED = [  # (unit, overdue, near, open, [(code, overdue, near, open)])
    (HOUSING, 2, 1, 4, [(DRAINAGE, 2, 0, 3), (ROAD, 0, 1, 1)]),
    (MARKET, 1, 2, 7, [(FOOD, 1, 1, 6), (RENEWAL, 0, 1, 1)]),
    (HEALTH, 0, 0, 1, [(HYGIENE, 0, 0, 1)]),
]


def flat(units: list) -> list:  # noqa: ANN001
    return [(u.unit, u.overdue, u.near_deadline, u.open,
             [(p.code, p.overdue, p.near_deadline, p.open) for p in u.powers]) for u in units]


def by_hand(env: Env, numbers: list[str], now: dt.datetime, near_until: dt.datetime) -> list:
    """The same figures from the case records: every case loaded whole and counted here."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for number in numbers:
        case = svc.find_case(env, number)
        if not case.state.is_open:
            continue
        c = counts.setdefault((UNIT[case.power_code], case.power_code), Counter())
        c["open"] += 1
        due = case.promised.at if case.promised else None
        if due is None or case.clock == ClockState.STOPPED:
            continue
        if case.clock == ClockState.SUSPENDED:  # frozen: overdue only if it ran out before
            assert case.suspended_since is not None
            c["overdue"] += due <= now and due <= case.suspended_since
            continue
        c["overdue"] += due <= now
        c["near"] += now < due <= near_until
    units: dict[str, list] = {}
    for (unit, code), c in counts.items():
        units.setdefault(unit, []).append((code, c["overdue"], c["near"], c["open"]))
    rows = [(unit, sum(p[1] for p in ps), sum(p[2] for p in ps), sum(p[3] for p in ps),
             sorted(ps, key=lambda p: (-p[1], -p[2], -p[3], p[0]))) for unit, ps in units.items()]
    return sorted(rows, key=lambda r: (-r[1], -r[2], -r[3], r[0]))


def check_overview(env: Env) -> list[str]:
    numbers = seed(env)
    now = at(NOW)
    near_until = near_horizon(env, now)
    assert near_until == at("2026-03-21T00:00")  # the end of Fri 20 March
    got = flat(overdue_by_unit(env, now=now))
    assert got == EXPECTED
    assert got == by_hand(env, numbers, now, near_until)
    env.definitions.clear()  # a supervisor's process that has not loaded a case: entries read
    assert flat(overdue_by_unit(env, now=now)) == EXPECTED
    # the two suspended cases still had time when their clocks stopped: neither is overdue
    states = {svc.find_case(env, n).state.value for n in (numbers[6], numbers[11])}
    assert states == {"in_special"}
    return numbers


def test_overdue_and_near_deadline_per_unit_match_the_case_records(env: Env) -> None:
    numbers = check_overview(env)
    # near = within 0 working days: only what runs out at the end of today (the renewal)
    now = at(NOW)
    assert [(u.unit, u.overdue, u.near_deadline) for u in overdue_by_unit(env, now=now, near_days=0)] \
        == [(HOUSING, 2, 0), (MARKET, 1, 1), (HEALTH, 0, 0)]
    assert flat(overdue_by_unit(env, now=now, near_days=0)) \
        == by_hand(env, numbers, now, near_horizon(env, now, 0))
    # a deadline is overdue from the instant it runs out (24:00 of its last day), not before
    end_of_16th = at("2026-03-17T00:00")
    before = {u.unit: u.overdue for u in overdue_by_unit(env, now=end_of_16th - dt.timedelta(seconds=1))}
    on_time = {u.unit: u.overdue for u in overdue_by_unit(env, now=end_of_16th)}
    assert (before[MARKET], before[HOUSING]) == (0, 0)
    assert (on_time[MARKET], on_time[HOUSING]) == (1, 2)
    # a week later everything still open and undecided with a running clock is overdue
    later = at("2026-03-25T10:00")
    assert flat(overdue_by_unit(env, now=later)) == by_hand(
        env, numbers, later, near_horizon(env, later))


def test_no_open_case_no_unit_and_a_negative_horizon_is_refused(env: Env) -> None:
    assert overdue_by_unit(env, now=at(NOW)) == []
    with pytest.raises(InvalidAction, match="near_days"):
        overdue_by_unit(env, now=at(NOW), near_days=-1)


def test_the_in_memory_fake_counts_the_same() -> None:
    from adapters.memory import FakeClock, memory_env
    from engine.services.catalogue_admin import deploy

    env = memory_env(FakeClock("2026-03-02T09:00"))
    deploy(env, sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn")), actor=A("designer"))
    check_overview(env)


def test_the_overview_uses_the_open_case_index(env: Env) -> None:
    """The count reads the partial index on open cases, not the case table row by row."""
    from adapters.sql.read_models import OPEN_CASES_BY_DEFINITION

    engine = env.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        sql = str(OPEN_CASES_BY_DEFINITION.compile(conn))
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: make the choice visible
            rows = conn.exec_driver_sql("EXPLAIN " + sql, {"now": at(NOW), "near_until": at(NOW)})
        else:
            # SQLite refuses INDEXED BY ("no query solution") when the index's WHERE is not
            # implied by the query's: this checks the partial index can serve the query at all
            # (which index SQLite picks on a table this small depends on its statistics).
            sql = sql.replace("FROM cases", "FROM cases INDEXED BY ix_cases_open_due")
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql,
                                        ("2026-03-17 02:00:00.000000",) * sql.count("?"))
        plan = "\n".join(str(r) for r in rows)
    assert "ix_cases_open_due" in plan, plan


# -- the CLI ------------------------------------------------------------------------------------


def test_cli_supervise_overdue_prints_units_then_powers_and_json(env: Env, db_url: str,
                                                                 run_cli) -> None:  # noqa: ANN001
    seed(env)
    env.engine.dispose()  # type: ignore[attr-defined]
    res = run_cli("--db", db_url, "--now", NOW, "supervise", "overdue")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].split()[:4] == ["单位", "unit", "超期", "overdue"]
    rows = [line.split() for line in lines[1:]]
    assert rows[0] == [HOUSING, "2", "1", "4"]
    assert rows[3] == [MARKET, "1", "2", "7"]
    assert (rows[4][0], rows[4][-3:]) == (FOOD, ["1", "1", "6"])
    assert (rows[5][0], rows[5][-3:]) == (RENEWAL, ["0", "1", "1"])
    assert rows[6] == [HEALTH, "0", "0", "1"]
    assert "near = due by the end of 2026-03-20" in lines[-1]

    res = run_cli("supervise", "overdue", "--json", "--near-days", "0", "--db", db_url, "--now", NOW)
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert [(u["unit"], u["overdue"], u["near_deadline"], u["open"]) for u in data] == [
        (HOUSING, 2, 0, 4), (MARKET, 1, 1, 7), (HEALTH, 0, 0, 1)]
    assert [(p["code"], p["overdue"], p["near_deadline"], p["open"]) for p in data[1]["powers"]] \
        == [(FOOD, 1, 0, 6), (RENEWAL, 0, 1, 1)]

    res = run_cli("--db", db_url, "--now", NOW, "supervise", "overdue", "--near-days", "-1")
    assert res.code != 0


def test_a_clock_stopped_after_the_deadline_ran_out_stays_overdue_and_one_stopped_in_time_does_not(
        env: Env) -> None:
    late = accepted(env, FOOD, "2026-03-02T09:00")  # promised 03-16
    svc.suspend(env, late, actor=A("监察员"), reason="等待检测", until="2026-04-30",
                now=at("2026-03-18T09:00"))
    in_time = accepted(env, FOOD, "2026-03-02T10:00")
    svc.suspend(env, in_time, actor=A("监察员"), reason="等待检测", until="2026-04-30",
                now=at("2026-03-13T09:00"))
    now = at("2026-03-19T10:00")
    [unit] = overdue_by_unit(env, now=now)
    assert (unit.overdue, unit.near_deadline, unit.open) == (1, 0, 2)
    assert flat([unit]) == by_hand(env, [late, in_time], now, near_horizon(env, now))
