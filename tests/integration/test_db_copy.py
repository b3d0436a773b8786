"""`sunshine db copy --to URL`: an SQLite installation moves to PostgreSQL with every case, event
and chain intact, verified before it commits; a target that holds data, an unreachable one, or
a copy that does not verify leaves the target as it was."""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlalchemy as sa

from adapters.sql.copy import tables_in_order
from adapters.sql.uow import make_engine
from tests.conftest import FIXTURES
from tests.e2e.helpers import Sunshine

FOOD = "XK-SPJY-001"
RENEWAL = "XK-SPJY-002"
ADVERT = "XK-HWGG-001"
LATER = "2026-09-01T09:00"  # far past every deadline: warnings, red cards, breaches
AFTER = "2026-09-02T09:00"


@pytest.fixture
def installation(run_cli, sqlite_url: str) -> Sunshine:
    """An SQLite installation built through the CLI: every process deployed, cases in several
    states, steps done, a clock stop, an extension, a calendar year, cards and breaches."""
    sun = Sunshine(run_cli, sqlite_url)
    sun.setup()
    food = [sun.start(FOOD, name) for name in ("张三", "李四", "王五", "赵六")]
    for number in food[:3]:
        sun.accept(number)
    sun.complete(food[0], "现场核查", "赵核查", "opinion=合格")
    sun.ok("case", "suspend", food[1], "--as", "监察员", "--reason", "申请人整改经营场所",
           "--until", "2026-03-10", now="2026-03-03T09:00")
    sun.ok("case", "resume", food[1], "--as", "监察员", now="2026-03-06T09:00")
    sun.ok("case", "extend", food[2], "--as", "赵核查", "--days", "5", "--reason", "需专家论证",
           now="2026-03-04T09:00")
    renewal = sun.start(RENEWAL, "钱七", "licence_expires=2026-06-30")
    sun.accept(renewal)
    sun.start(ADVERT, "某广告公司")
    sun.ok("calendar", "import", FIXTURES / "calendar" / "2027.toml", "--as", "admin", now="2026-03-05T09:00")
    assert "fired" in sun.sweep(LATER)
    breaches = sun.json("breach", "list")
    assert breaches, "the sweep made no breach: the installation should have some"
    sun.ok("breach", "decide", breaches[0]["id"], "--measure", "诫勉教育", "--reasons", "超期",
           "--as", "纪检组", now=LATER)
    assert sun.json("cards", "list"), "the sweep issued no card"
    return sun


def _rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            return {tb.name: conn.execute(sa.select(sa.func.count()).select_from(tb)).scalar()
                    for tb in tables_in_order() if tb.name in names}
    finally:
        engine.dispose()


def _snapshot(sun: Sunshine) -> dict[str, object]:
    """Everything the CLI shows of an installation, as JSON."""
    cases = sun.json("case", "list", "--limit", "10000")
    return {
        "cases": cases,
        "records": {c["number"]: sun.show(c["number"]) for c in cases},
        "tasks": sun.json("task", "list"),
        "breaches": sun.json("breach", "list"),
        "cards": sun.json("cards", "list"),
        "powers": sun.json("powers", "list"),
        "calendar": sun.ok("calendar", "show", "2027").out,
    }


def test_copy_moves_every_case_event_and_chain_to_postgresql(installation: Sunshine, run_cli,
                                                            pg_url: str) -> None:
    installation.now = AFTER
    before = _snapshot(installation)
    source_rows = _rows(installation.db)

    res = installation.run("db", "copy", "--to", pg_url)
    assert res.code == 0, res.err
    for table, n in source_rows.items():
        assert re.search(rf"^\s+{table}\s+{n:,} rows$", res.out, re.MULTILINE), (table, res.out)
    cases, events = len(before["records"]), source_rows["audit_events"]
    assert f"verified: {cases} cases, {events} events, every chain intact" in res.out
    assert re.search(r"committed in \d+\.\d s", res.out)
    assert _rows(pg_url) == source_rows
    empty = [name for name in ("cases", "audit_events", "steps", "cards", "breaches",
                               "clock_stops", "extensions", "calendar_years", "definitions")
             if not source_rows[name]]
    assert not empty, f"the installation should fill these tables: {empty}"

    pg = Sunshine(run_cli, pg_url, now=AFTER)
    after = _snapshot(pg)
    assert after["cases"] == before["cases"]
    for number, record in after["records"].items():
        assert record["audit_chain"] == "intact", number
        assert record == before["records"][number], number
    assert after == before
    assert _snapshot(installation) == before  # the source is untouched

    # New rows on PostgreSQL get fresh ids and numbers: no key clash with the copied ones.
    number = pg.start(FOOD, "新申请人")
    food = [n for n, r in before["records"].items() if r["power"] == FOOD]
    assert number not in before["records"] and number > max(food)  # the serial went on
    pg.accept(number)
    pg.complete(number, "现场核查", "赵核查", "opinion=合格")
    assert "fired" in pg.sweep("2026-12-01T09:00")
    record = pg.show(number)
    assert record["audit_chain"] == "intact" and record["state"] == "accepted"
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            ids = conn.execute(sa.text("SELECT id FROM cases ORDER BY id")).scalars().all()
            assert ids[-1] == max(ids[:-1]) + 1 and len(set(ids)) == len(ids)
    finally:
        engine.dispose()


def test_a_target_that_holds_data_is_refused_and_left_unchanged(installation: Sunshine, run_cli,
                                                               pg_url: str) -> None:
    assert installation.run("db", "copy", "--to", pg_url).code == 0
    pg = Sunshine(run_cli, pg_url)
    number = pg.start(FOOD, "只在新库")  # the target moved on after the copy
    before, rows = _snapshot(pg), _rows(pg_url)

    res = installation.run("db", "copy", "--to", pg_url)
    assert res.code == 2, (res.out, res.err)
    assert "already holds data" in res.err and f"{len(before['cases'])} case(s)" in res.err
    assert "createdb" in res.err and "never merges" in res.err
    assert _rows(pg_url) == rows
    assert _snapshot(pg) == before and number in before["records"]


def test_an_unreachable_target_fails_with_a_clear_message(installation: Sunshine) -> None:
    res = installation.run("db", "copy", "--to", "postgresql://sunshine:secret@127.0.0.1:1/sunshine")
    assert res.code == 2, (res.out, res.err)
    [line] = [ln for ln in res.err.splitlines() if ln.strip()]
    assert "cannot connect to the target postgresql+psycopg://sunshine:***@127.0.0.1:1/sunshine" in line
    assert "secret" not in line and "createdb" in line


def test_a_target_that_is_not_postgresql_is_refused(installation: Sunshine, tmp_path) -> None:
    res = installation.run("db", "copy", "--to", f"sqlite:///{tmp_path / 'other.db'}")
    assert res.code == 2 and "is not a PostgreSQL URL" in res.err
    assert not (tmp_path / "other.db").exists()


def test_a_missing_source_is_refused(run_cli, tmp_path, pg_url: str) -> None:
    missing = f"sqlite:///{tmp_path / 'nothere.db'}"
    res = run_cli("--db", missing, "--now", AFTER, "db", "copy", "--to", pg_url)
    assert res.code == 2 and "there is no SQLite database at" in res.err
    assert _rows(pg_url) == {}


def test_a_broken_chain_in_the_source_is_not_carried_over(installation: Sunshine,
                                                           pg_url: str) -> None:
    number = installation.json("case", "list")[-1]["number"]
    with sqlite3.connect(installation.db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE audit_events SET actor = '某人' WHERE seq = 1 AND case_id = "
                     "(SELECT id FROM cases WHERE number = ?)", (number,))
    conn.close()

    res = installation.run("db", "copy", "--to", pg_url)
    assert res.code == 10, (res.out, res.err)
    assert f"case {number}: event 1" in res.err and "source has the same problem" in res.err
    assert "nothing was written to the target (rolled back)" in res.err
    assert _rows(pg_url) == {}  # not even the schema: it was created in the same transaction


def test_a_difference_in_the_copy_rolls_everything_back(installation: Sunshine, pg_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.sql import copy

    real = copy._reset_sequences

    def and_change_a_row(tgt):  # noqa: ANN001, ANN202 - a fault between the copy and the check
        real(tgt)
        tgt.exec_driver_sql("UPDATE steps SET opinion = 'changed' WHERE id = "
                            "(SELECT min(id) FROM steps)")

    monkeypatch.setattr(copy, "_reset_sequences", and_change_a_row)
    res = installation.run("db", "copy", "--to", pg_url)
    assert res.code == 10, (res.out, res.err)
    assert "verification failed" in res.err and "table steps: checksum" in res.err
    assert "column(s) opinion" in res.err
    assert _rows(pg_url) == {}


def test_a_row_the_target_rejects_names_its_table(installation: Sunshine, pg_url: str) -> None:
    # SQLite does not enforce VARCHAR lengths, PostgreSQL does.
    with sqlite3.connect(installation.db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE cases SET channel = ? WHERE id = (SELECT max(id) FROM cases)",
                     ("x" * 30,))
    conn.close()
    res = installation.run("db", "copy", "--to", pg_url)
    assert res.code == 10, (res.out, res.err)
    assert "copying table cases failed" in res.err and "value too long" in res.err
    assert _rows(pg_url) == {}


def test_case_list_json_is_the_same_after_the_copy(installation: Sunshine, run_cli,
                                                   pg_url: str) -> None:
    assert installation.run("db", "copy", "--to", pg_url).code == 0
    pg = Sunshine(run_cli, pg_url)
    for args in (["case", "list"], ["case", "list", "--state", "accepted"],
                 ["case", "list", "--power", FOOD]):
        assert pg.json(*args) == installation.json(*args), args


def test_the_same_database_or_a_bad_url_is_refused(run_cli, pg_url: str) -> None:
    same = run_cli("--db", pg_url, "--now", AFTER, "db", "copy", "--to", pg_url)
    assert same.code == 2 and "the source and the target are the same database" in same.err
    bad = run_cli("--db", pg_url, "--now", AFTER, "db", "copy", "--to", "not a url")
    assert bad.code == 2 and "is not a database URL" in bad.err
