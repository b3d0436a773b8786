"""Upgrading a database made by the previous release (schema 0007, before users and permissions;
tests/fixtures/db/README.md) keeps every case, and the cases go on being worked by registered
users — on SQLite (the file itself) and on PostgreSQL (the same rows loaded at 0007)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import FIXTURES, _pg_schema_url
from tests.e2e.helpers import STAFF_FILE, Sunshine, one_line_error

MADE_BY_0007 = FIXTURES / "db" / "main-0007.sqlite"
NUMBERS = ["2026-卫生-000001", "2026-食品-000001", "2026-食品-000002", "2026-食品-000003"]


def _load_at_0007(url: str) -> None:
    """The fixture's rows in a PostgreSQL schema migrated to 0007, as that release left them."""
    from alembic import command

    from adapters.bootstrap import alembic_config
    from adapters.sql.uow import make_engine

    target = make_engine(url)
    cfg = alembic_config(url)
    with target.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    source = sa.create_engine(f"sqlite:///{MADE_BY_0007}")
    old = sa.MetaData()
    old.reflect(source)
    new = sa.MetaData()
    new.reflect(target)
    with source.connect() as src, target.begin() as dst:
        for table in old.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            if rows:
                dst.execute(new.tables[table.name].insert(), rows)
        for table in new.sorted_tables:  # the sequences go on after the copied ids
            if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                dst.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")
    source.dispose()
    target.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def old_db(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    if request.param == "sqlite":
        path = tmp_path / "county.db"
        shutil.copy(MADE_BY_0007, path)
        yield f"sqlite:///{path}"
    else:
        for url in _pg_schema_url():
            _load_at_0007(url)
            yield url


def test_the_upgrade_keeps_every_case_and_they_go_on_with_registered_users(
        run_cli, old_db: str) -> None:
    sun = Sunshine(run_cli, old_db, now="2026-03-21T09:00")
    res = sun.fails("case", "list")  # the code needs the new schema first
    assert "sunshine db upgrade" in one_line_error(res)
    sun.ok("db", "upgrade")
    listed = sun.json("case", "list")
    assert sorted(c["number"] for c in listed) == NUMBERS
    before = {n: sun.show(n) for n in NUMBERS}
    for number, record in before.items():
        assert record["audit_chain"] == "intact", number
    # what the old release recorded is kept as it was: free-text actors, its cards and breaches
    first = before["2026-食品-000001"]
    assert [s["person"] for s in first["steps"] if s["name"] == "现场核查"] == ["赵核查"]
    assert {c["kind"] for c in first["cards"]} >= {"yellow", "red"}
    assert len(sun.breaches()) == 4
    assert before["2026-食品-000003"]["state"] == "not_accepted"

    # the county registers its staff; the old powers are the posts' lanes
    sun.ok("user", "add", "admin", "--name", "系统管理员", "--unit", "县政务服务中心",
           "--role", "admin")
    sun.ok("user", "import", STAFF_FILE, "--as", "admin")
    # the open cases go on: one waiting at 现场核查, one at 补正
    sun.complete("2026-食品-000002", "现场核查", "赵核查", "opinion=符合")
    assert [t["name"] for t in sun.tasks("2026-食品-000002")] == ["审核"]
    sun.ok("case", "supplemented", "2026-卫生-000001", "--as", "李窗口")
    sun.accept("2026-卫生-000001", now="2026-03-21T09:05")
    after = sun.show("2026-卫生-000001")
    assert after["state"] == "accepted" and after["audit_chain"] == "intact"
    # and the sweep still holds them to their deadlines
    assert "fired" in sun.sweep("2026-04-30T09:00")
    assert sun.show("2026-食品-000002")["audit_chain"] == "intact"
    # a new case numbers on from the old ones
    assert sun.start("XK-SPJY-001", "钱七") == "2026-食品-000004"
