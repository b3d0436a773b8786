"""One broken case never stops the deadlines of the others.

A case whose stored record cannot be loaded, or whose due-row effect fails for any reason (an
engine error, a TypeError, a RecursionError, a SystemExit raised inside), is set aside with its
reason; every other due row still fires in the same sweep, and the sweep reports the failure.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.case import Case
from engine.services import cases
from engine.services.sweep import retry_failed, sweep
from tests.conftest import MovableClock
from tests.staff import CLERK, A, person  # noqa: F401

FOOD = "XK-SPJY-001"


def _accepted(env, applicant: str) -> str:  # noqa: ANN001
    number = cases.start_case(env, FOOD, person(applicant), actor=A(CLERK)).number
    cases.accept(env, number, actor=A("李窗口"))
    return number


def _cards(env, number: str) -> int:  # noqa: ANN001
    return len(cases.find_case(env, number).cards)


def test_a_case_whose_record_cannot_be_loaded_is_set_aside_and_the_others_fire(
        env, clock: MovableClock) -> None:  # noqa: ANN001
    good, broken, other = (_accepted(env, n) for n in ("甲", "乙", "丙"))
    with env.engine.begin() as conn:  # a damaged row, as a bad restore or a hand edit leaves it
        conn.execute(sa.text("UPDATE cases SET deadlines = :bad WHERE number = :n"),
                     {"bad": '{"promised": ["not a date", 10, false]}', "n": broken})
    report = sweep(env, clock.at.replace(month=4))
    assert _cards(env, good) > 0 and _cards(env, other) > 0
    assert report.errors and all(broken.split("-")[-1] not in e or "cannot be loaded" in e
                                 for e in report.errors)
    with env.uow() as uow:
        failed = uow.timers.failed()
    broken_id = next(iter({t.case_id for t in failed}))
    assert {t.case_id for t in failed} == {broken_id}
    # fixed by hand, requeued, and fired
    with env.engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET deadlines = NULL WHERE number = :n"), {"n": broken})
    assert retry_failed(env) == len(failed)
    assert sweep(env, clock.at.replace(month=4)).errors == []
    assert _cards(env, broken) > 0


@pytest.mark.parametrize("error", [TypeError("set is not JSON serializable"),
                                   RecursionError("maximum recursion depth exceeded"),
                                   SystemExit(3)])
def test_an_effect_that_fails_in_any_way_is_set_aside_and_the_others_fire(
        env, clock: MovableClock, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:  # noqa: ANN001
    good, broken = _accepted(env, "甲"), _accepted(env, "乙")
    real_fire = Case.fire

    def fire(self: Case, timer, *, now):  # noqa: ANN001, ANN202
        if self.number == broken:
            raise error
        return real_fire(self, timer, now=now)

    monkeypatch.setattr(Case, "fire", fire)
    report = sweep(env, clock.at.replace(month=4))
    assert _cards(env, good) > 0
    assert report.errors and all(broken in e for e in report.errors)
    record = cases.find_case(env, broken)
    assert record.cards == [] and record.state.value == "accepted"
    from engine.services.supervision import case_record

    history = case_record(env, broken)["history"]
    reasons = [e["payload"]["error"] for e in history if e["kind"] == "timer_failed"]
    assert reasons and type(error).__name__ in reasons[0]
    assert case_record(env, broken)["audit_chain"] == "intact"


def test_a_database_that_goes_away_mid_sweep_sets_nothing_aside(
        env, clock: MovableClock, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    number = _accepted(env, "甲")
    real_fire = Case.fire
    lost = sa.exc.OperationalError("UPDATE cases …", {}, ConnectionError("server closed the connection"))

    def fire(self: Case, timer, *, now):  # noqa: ANN001, ANN202
        raise lost

    monkeypatch.setattr(Case, "fire", fire)
    with pytest.raises(sa.exc.OperationalError):
        sweep(env, clock.at.replace(month=4))
    with env.uow() as uow:
        assert uow.timers.failed() == []  # not the case's fault: nothing set aside
    monkeypatch.setattr(Case, "fire", real_fire)
    assert sweep(env, clock.at.replace(month=4)).errors == []  # the next sweep fires them
    assert _cards(env, number) > 0


def test_an_effect_that_leaves_unstorable_data_is_set_aside_and_the_others_fire(
        env, clock: MovableClock, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The store may find the data unstorable only when it writes (PostgreSQL sends the writes
    with the COMMIT): still this case alone is set aside."""
    good, broken = _accepted(env, "甲"), _accepted(env, "乙")
    real_fire = Case.fire

    def fire(self: Case, timer, *, now):  # noqa: ANN001, ANN202
        fired = real_fire(self, timer, now=now)
        if self.number == broken:
            self.data["note"] = {"a set", "cannot be JSON"}  # as a careless script might
        return fired

    monkeypatch.setattr(Case, "fire", fire)
    report = sweep(env, clock.at.replace(month=4))
    assert _cards(env, good) > 0
    assert report.errors and all(broken in e for e in report.errors)
    assert "TypeError" in report.errors[0]
    assert cases.find_case(env, broken).cards == []


def _deemed_waiting(env, applicant: str) -> str:  # noqa: ANN001
    """An outdoor-advertising case (超时默许) accepted and waiting at its first step."""
    number = cases.start_case(env, "XK-HWGG-001", person(applicant), actor=A(CLERK)).number
    cases.accept(env, number, actor=A("李窗口"))
    return number


def _failed_case_ids(env) -> set[int]:  # noqa: ANN001
    with env.uow() as uow:
        return {t.case_id for t in uow.timers.failed()}


def _case_id(env, number: str) -> int:  # noqa: ANN001
    with env.engine.connect() as conn:  # by SQL: a broken case cannot be loaded
        return conn.execute(sa.text("SELECT id FROM cases WHERE number = :n"),
                            {"n": number}).scalar_one()


def test_a_case_whose_workflow_state_is_corrupt_is_set_aside_and_every_other_deadline_fires(
        env, db_url: str, clock: MovableClock) -> None:  # noqa: ANN001
    """Damaged ``workflow_state`` bytes (a torn restore, a disk error): that case alone is set
    aside, with the reason on its due rows, and every other case's deadlines fire — on SQLite
    and on PostgreSQL, in a fresh worker process's Env (nothing cached from the cases' start)."""
    from tests.conftest import make_env

    numbers = [_accepted(env, n) for n in ("甲", "乙", "丙", "丁")]
    broken = numbers[1]
    with env.engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET workflow_state = :bad WHERE number = :n"),
                     {"bad": b"Z1\x00\xffnot a deflated state", "n": broken})
    worker = make_env(db_url, clock)  # as a worker started after the damage sees it
    report = sweep(worker, clock.at.replace(month=4))
    assert report.fired > 0
    assert [e for e in report.errors if "cannot be loaded" in e]
    assert _failed_case_ids(worker) == {_case_id(worker, broken)}  # the broken one alone
    for number in numbers:
        if number != broken:
            assert _cards(worker, number) > 0, f"{number} was blocked by the broken case"
    with worker.engine.connect() as conn:  # nothing due is left pending: fired or set aside
        left = conn.execute(sa.text("SELECT count(*) FROM timers WHERE status = 'pending' "
                                    "AND due_at <= :at"), {"at": clock.at.replace(month=4)})
        assert left.scalar_one() == 0
    assert sweep(worker, clock.at.replace(month=4)).errors == []  # set aside: not retried


def test_cases_whose_definition_is_missing_are_set_aside_and_the_other_powers_fire(
        env, db_url: str, clock: MovableClock) -> None:  # noqa: ANN001
    """A definition row gone (a partial restore, foreign keys off): every case of it is set
    aside as cannot-be-loaded; the food licence's cases still fire."""
    from tests.conftest import make_env

    food = [_accepted(env, n) for n in ("甲", "乙")]
    adverts = [_deemed_waiting(env, n) for n in ("丙", "丁")]
    gone = cases.find_case(env, adverts[0]).definition_id
    with env.engine.connect() as conn:
        if env.engine.dialect.name == "sqlite":  # foreign keys off (outside a transaction)
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")  # FK triggers off
        conn.exec_driver_sql(f"DELETE FROM definitions WHERE id = {int(gone)}")
        conn.commit()
    worker = make_env(db_url, clock)
    report = sweep(worker, clock.at.replace(month=6))
    assert all(_cards(worker, n) > 0 for n in food)
    assert _failed_case_ids(worker) == {_case_id(worker, n) for n in adverts}
    assert report.errors and all("cannot be loaded" in e for e in report.errors)


def test_a_connection_lost_while_postgresql_commits_sets_nothing_aside(
        pg_url: str, clock: MovableClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL a case's writes go with the COMMIT through the driver itself, whose errors
    come unwrapped: a connection lost there is still the database away, not the case broken."""
    import psycopg

    from adapters.sql import pg_path
    from engine.services.catalogue_admin import deploy
    from tests.conftest import PROCESSES, make_env

    env = make_env(pg_url, clock)
    deploy(env, [str(PROCESSES / "food_business_licence.bpmn")], actor=A("designer"))
    number = _accepted(env, "甲")
    real = pg_path.run_plans

    def lost(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise psycopg.OperationalError("consuming input failed: server closed the connection "
                                       "unexpectedly")

    monkeypatch.setattr(pg_path, "run_plans", lost)
    with pytest.raises(psycopg.OperationalError):
        sweep(env, clock.at.replace(month=4))
    with env.uow() as uow:
        assert uow.timers.failed() == []  # not the case's fault: nothing set aside
    monkeypatch.setattr(pg_path, "run_plans", real)
    assert sweep(env, clock.at.replace(month=4)).errors == []
    assert _cards(env, number) > 0
