"""The CLI imports only what a verb needs (a verb must answer in ≤ 0.3 s; bench/bench_cli.py).

`--help` loads no database, engine or publishing library; a verb on the database loads
neither Alembic (only `db upgrade` migrates) nor ReportLab (only cards draw PDFs). Each check
runs `adapters.cli.main` in a fresh interpreter and reads its ``sys.modules`` afterwards.
The schema check that replaced Alembic's on every verb is tested here too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.staff import CLERK, A, person  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-03-02T09:00"
FOOD = "XK-SPJY-001"

# Not one of these for `--help` (each costs a CLI call tens of milliseconds to import).
HEAVY = ("sqlalchemy", "alembic", "reportlab", "graphviz", "SpiffWorkflow", "lxml", "psycopg",
         "apscheduler")
# Not one of these for a verb that only reads or writes the (SQLite) database.
NOT_FOR_DB_VERBS = ("alembic", "reportlab", "graphviz", "psycopg")

# Runs every argv of a JSON list through main() in one interpreter; after each, records which
# watched top-level packages are loaded; the last line printed is the JSON report.
PROBE = """
import json, sys
from adapters.cli import main
from adapters.cli.common import cli
import click

watched, runs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
if runs == "every-verb-help":
    runs = []
    def walk(group, path):
        for name, cmd in sorted(group.commands.items()):
            runs.append(path + [name, "--help"])
            if isinstance(cmd, click.Group):
                walk(cmd, path + [name])
    walk(cli, [])
report = []
for argv in runs:
    code = main(argv)
    loaded = sorted(m for m in watched if m in sys.modules)
    report.append({"argv": argv, "code": code, "loaded": loaded})
print()
print(json.dumps(report))
"""


def probe(runs: list[list[str]] | str, watched: tuple[str, ...], cwd: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SUNSHINE_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(watched)), json.dumps(runs)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def first_heavy(report: list[dict]) -> list[str]:
    """'VERB… loaded X' for the first run that loaded each package (to name the culprit)."""
    seen: set[str] = set()
    out = []
    for run in report:
        for mod in run["loaded"]:
            if mod not in seen:
                seen.add(mod)
                out.append(f"`sunshine {' '.join(run['argv'])}` imported {mod}")
    return out


@pytest.mark.parametrize("argv", [["--help"], ["case", "--help"], ["publish", "--help"],
                                  ["powers", "list", "--help"]], ids=" ".join)
def test_help_imports_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    [run] = probe([argv], HEAVY, tmp_path)
    assert run["code"] == 0
    assert run["loaded"] == [], first_heavy([run])


def test_every_verb_help_imports_no_heavy_library(tmp_path: Path) -> None:
    report = probe("every-verb-help", HEAVY, tmp_path)
    verbs = {" ".join(r["argv"][:-1]) for r in report}
    assert {"db upgrade", "powers list", "case show", "case special start", "publish card",
            "flowchart", "worker", "breach decide"} <= verbs
    assert all(r["code"] == 0 for r in report), [r for r in report if r["code"]]
    assert report[-1]["loaded"] == [], first_heavy(report)
    assert not list(tmp_path.iterdir()), "a --help created a file (a database?)"


@pytest.fixture
def migrated(sqlite_url: str, clock: object) -> tuple[str, str]:
    """A migrated SQLite file with every shipped process deployed and one case; (url, number)."""
    from adapters.bootstrap import build_env, upgrade_database
    from adapters.config import Settings
    from engine.services import cases as svc
    from engine.services.catalogue_admin import deploy

    env = build_env(Settings(database_url=sqlite_url), clock)
    upgrade_database(env.engine)  # type: ignore[attr-defined]
    deploy(env, sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn")), actor=A("designer"))
    number = svc.start_case(env, FOOD, person("张三"), actor=A(CLERK)).number
    from engine.services.identity import add_user

    add_user(env, by=None, login="admin", name="管理员", unit="县政务服务中心", roles=["admin"])
    add_user(env, by=A("admin"), login="gongkai", name="公开员", unit="县政务服务中心",
             roles=["publisher"])
    env.engine.dispose()  # type: ignore[attr-defined]
    return sqlite_url, number


def test_database_verbs_import_neither_alembic_nor_reportlab(migrated: tuple[str, str],
                                                             tmp_path: Path) -> None:
    url, number = migrated
    on_db = ["--db", url, "--now", NOW]
    runs = [on_db + ["powers", "list"], on_db + ["case", "show", number],
            on_db + ["case", "list"], on_db + ["publish", "filing", "-o", str(tmp_path / "f.csv"),
                                               "--as", "gongkai"]]
    report = probe(runs, NOT_FOR_DB_VERBS + ("sqlalchemy",), tmp_path)
    assert [r["code"] for r in report] == [0, 0, 0, 0]
    assert "sqlalchemy" in report[0]["loaded"]  # the probe sees imports: it did reach the database
    for run in report:
        run["loaded"].remove("sqlalchemy")
    assert report[-1]["loaded"] == [], first_heavy(report)
    assert (tmp_path / "f.csv").exists()


# --- the schema check without Alembic --------------------------------------------------------------


def test_head_revision_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from adapters.bootstrap import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_schema_problem_reads_the_version_table(db_url: str) -> None:
    from adapters.bootstrap import head_revision, schema_problem, upgrade_database
    from adapters.sql.uow import make_engine

    engine = make_engine(db_url)
    try:
        assert "has no Sunshine schema yet — run `sunshine db upgrade` first" in schema_problem(engine)
        upgrade_database(engine)
        assert schema_problem(engine) is None
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        problem = schema_problem(engine)
        assert problem is not None
        assert f"at revision 0001, the code needs {head_revision()}" in problem
    finally:
        engine.dispose()


def test_schema_problem_names_a_database_that_cannot_open(tmp_path: Path) -> None:
    from adapters.bootstrap import schema_problem
    from adapters.sql.uow import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    assert "cannot open the database" in (schema_problem(engine) or "")


def test_cli_art45_basis_is_the_engines() -> None:
    from adapters.cli.cases import ART45_BASIS
    from engine.services.handling import ART45_BASIS as ENGINE_ART45_BASIS

    assert ART45_BASIS == ENGINE_ART45_BASIS
