"""The trail replayed against the rows supervisors read, on SQLite and PostgreSQL: someone with
database access deletes a case's events, a breach, a card, a notice, or edits a promised day, a
clock stop or who completed a step — each is reported naming the case, the row and the field;
an untouched database verifies, and `sunshine audit verify --all` exits 12 or 0 accordingly."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from engine.services import cases as svc
from engine.services.audit_check import check
from engine.services.supervision import case_record
from engine.services.sweep import sweep
from tests.staff import CLERK, A, person


def at(text: str) -> dt.datetime:
    from adapters.cli.common import parse_now

    return parse_now(text)


def _accepted(env, name: str = "张三") -> str:  # noqa: ANN001
    number = svc.start_case(env, "XK-SPJY-001", person(name), actor=A(CLERK),
                            now=at("2026-03-02T09:00")).number
    svc.accept(env, number, actor=A("王窗口"), now=at("2026-03-02T09:00"))
    return number


def _carded(env) -> str:  # noqa: ANN001
    """A case whose 现场核查 step ran past its 4 working days: the sweep cards it and records a
    breach; then the clock is stopped by a supervisor."""
    number = _accepted(env)
    assert sweep(env, now=at("2026-03-07T00:00:01")).fired
    svc.suspend(env, number, actor=A("监察员"), reason="等待现场条件", until="2026-03-20",
                now=at("2026-03-09T09:00"))
    return number


def _sql(env, text: str, **params: object) -> None:  # noqa: ANN001
    with env.engine.begin() as conn:
        done = conn.execute(sa.text(text.replace(
            ":case", "(SELECT id FROM cases WHERE number = :number)")), params)
        assert done.rowcount >= 1, text


def _problems(env, number: str) -> list[str]:  # noqa: ANN001
    (found,) = list(check(env, [number]))
    return list(found.problems)


def test_an_untouched_case_matches_its_trail(env) -> None:  # noqa: ANN001
    number = _carded(env)
    (found,) = list(check(env, [number]))
    assert found.status == "matches" and not found.problems
    record = case_record(env, number)
    assert record["audit_chain"] == "intact"
    assert record["audit_replay"]["status"] == "matches"
    assert record["breaches"] and record["cards"] and record["notices"]


def test_deleting_all_of_a_cases_events_is_reported(env) -> None:  # noqa: ANN001
    number = _accepted(env)
    _sql(env, "DELETE FROM audit_events WHERE case_id = :case", number=number)
    assert _problems(env, number) == [
        "the case has no audit events at all: its trail was deleted"]
    assert case_record(env, number)["audit_chain"] != "intact"


def test_deleting_a_breach_row_is_reported_naming_the_breach(env) -> None:  # noqa: ANN001
    number = _carded(env)
    breach = case_record(env, number)["breaches"][0]
    _sql(env, "DELETE FROM breaches WHERE id = :id", id=breach["id"])
    problems = _problems(env, number)
    assert any(p.startswith(f"breach ({breach['kind']}, 现场核查)") and "missing" in p
               for p in problems), problems


def test_editing_the_promised_day_is_reported_naming_the_deadline(env) -> None:  # noqa: ANN001
    number = _accepted(env)
    _sql(env, "UPDATE cases SET promised_day = :day WHERE number = :number",
          day=dt.date(2026, 6, 30), number=number)
    problems = _problems(env, number)
    assert any(p.startswith("deadline promised: day is \"2026-06-30\" but the trail recorded "
                            "\"2026-03-16\"") for p in problems), problems
    assert case_record(env, number)["audit_replay"]["status"] == "altered"


def test_editing_who_completed_a_step_is_reported_naming_the_step(env) -> None:  # noqa: ANN001
    number = _accepted(env)
    _sql(env, "UPDATE steps SET completed_by = '某人' WHERE case_id = :case AND name = '受理'",
          number=number)
    problems = _problems(env, number)
    assert any(p.startswith("step 受理") and "completed_by is \"某人\" but the trail recorded "
               "\"王窗口\"" in p for p in problems), problems


def test_editing_a_steps_form_data_is_reported_naming_the_step_and_the_data(env) -> None:  # noqa: ANN001
    import json

    number = _accepted(env)
    with env.engine.connect() as conn:
        data = conn.execute(sa.text("SELECT data FROM steps WHERE name = '受理' AND case_id = "
                                    "(SELECT id FROM cases WHERE number = :n)"),
                            {"n": number}).scalar()
    data = dict(data if isinstance(data, dict) else json.loads(data))
    data["acceptance"] = "forged"
    _sql(env, "UPDATE steps SET data = :d WHERE case_id = :case AND name = '受理'",
         number=number, d=json.dumps(data, ensure_ascii=False))
    problems = _problems(env, number)
    assert any(p.startswith("step 受理") and "data is" in p and "forged" in p
               for p in problems), problems


def test_deleting_a_card_is_reported(env) -> None:  # noqa: ANN001
    number = _carded(env)
    card = case_record(env, number)["cards"][0]
    _sql(env, "DELETE FROM cards WHERE id = :id", id=card["id"])
    problems = _problems(env, number)
    assert any(p.startswith(f"card ({card['kind']} on {card['against']})") and "deleted" in p
               for p in problems), problems


def test_editing_a_clock_stop_is_reported(env) -> None:  # noqa: ANN001
    number = _carded(env)
    _sql(env, "UPDATE clock_stops SET reason = '无' WHERE case_id = :case", number=number)
    problems = _problems(env, number)
    assert any(p.startswith("clock stop #") and "reason is \"无\" but the trail recorded "
               "\"等待现场条件\"" in p for p in problems), problems


def test_a_notice_removed_from_the_outbox_is_reported(env) -> None:  # noqa: ANN001
    number = _accepted(env)
    _sql(env, "DELETE FROM outbox WHERE case_id = :case AND kind = 'acceptance_notice'",
          number=number)
    problems = _problems(env, number)
    assert any(p.startswith("notice ") and "(acceptance_notice)" in p and "deleted" in p
               for p in problems), problems


def test_a_case_recorded_before_the_replay_is_not_covered_until_its_next_change(env) -> None:  # noqa: ANN001
    number = _accepted(env)
    # as a case saved before this change was: no supervised event, no mark
    _sql(env, "DELETE FROM audit_events WHERE case_id = :case AND seq >= (SELECT MIN(seq) FROM "
              "audit_events WHERE case_id = :case AND kind = 'supervised')", number=number)
    with env.engine.begin() as conn:
        row = conn.execute(sa.text("SELECT id, data FROM cases WHERE number = :n"),
                           {"n": number}).one()
        events = conn.execute(sa.text("SELECT seq, hash FROM audit_events WHERE case_id = :c "
                                      "ORDER BY seq DESC"), {"c": row.id}).first()
    import json

    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    data.pop("supervised_since")
    data["audit_head"] = [events.seq, events.hash]
    with env.engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET data = :d WHERE id = :i"),
                     {"d": json.dumps(data, ensure_ascii=False), "i": row.id})
    (found,) = list(check(env, [number]))
    assert found.status == "not_covered" and found.ok
    assert case_record(env, number)["audit_chain"] == "intact"
    # its next change records a baseline; from then on it is covered
    svc.suspend(env, number, actor=A("监察员"), reason="等待现场条件", until="2026-03-20",
                now=at("2026-03-03T09:00"))
    (found,) = list(check(env, [number]))
    assert found.status == "matches", found.problems
    _sql(env, "UPDATE steps SET completed_by = '某人' WHERE case_id = :case AND name = '受理'",
          number=number)
    assert any("completed_by" in p for p in _problems(env, number))


def test_audit_verify_all_prints_the_problems_and_exits_12(env, db_url, run_cli) -> None:  # noqa: ANN001
    good, bad = _accepted(env, "张三"), _accepted(env, "李四")
    url = db_url
    clean = run_cli("--db", url, "audit", "verify", "--all")
    assert clean.code == 0, clean.out + clean.err
    assert "2 cases" in clean.out
    _sql(env, "UPDATE cases SET promised_day = :day WHERE number = :number",
          day=dt.date(2026, 6, 30), number=bad)
    result = run_cli("--db", url, "audit", "verify", "--all")
    assert result.code == 12, result.out + result.err
    assert bad in result.out and "deadline promised: day" in result.out
    assert good not in result.out
    one = run_cli("--db", url, "audit", "verify", good)
    assert one.code == 0, one.out + one.err
