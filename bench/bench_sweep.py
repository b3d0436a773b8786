"""Cost of one timer sweep against the number of OPEN cases, with a fixed number due.

For each backend (SQLite file, PostgreSQL schema) three databases are built, with N = 1 000,
5 000 and 20 000 open food-licence cases. In each, exactly DUE = 100 are real cases seeded
through the services (start → 受理 → 现场核查, waiting at 审核) whose 审核 step-warning row
is due at the sweep time SWEEP_AT; nothing else is due then. The rest are fillers (see
``clone_fillers``). The benchmark times ``engine.services.sweep.sweep(env, SWEEP_AT)``
(100 rows fired, one transaction each) on each database in turn, puts the 100 cases back as
they were after each sweep, and repeats the round; it also times a sweep with nothing due,
and at the largest N sweeps limited to 25 and 50 rows, to show the cost follows what is due.
It prints the plan of the claim query (SqlTimerRepository.claim_due) as the repository
sends it: it should be a range scan of ix_timers_status_due. Finally it times one claim when
many rows are due at the same instant (deadlines end at the end of a working day, so they
share due_at values), which is where the claim's cost can grow with what is due faster than
linearly.

    .venv/bin/python bench/bench_sweep.py [--sizes 1000,5000,20000] [--runs 5] [--no-pg]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from contextlib import ExitStack
from typing import Any

import sqlalchemy as sa
from _common import (
    food_env,
    machine,
    median,
    pg_available,
    pg_url,
    pg_version,
    run_case_to_review,
    sqlite_url,
)

from adapters.sql import tables as t
from engine.services.sweep import sweep

DUE = 100
# The cases are received and accepted at T0 (Mon 2026-03-02 09:00 Shanghai) and finish 现场核查
# at once, so 审核 (2 working days) warns at 2026-03-03 16:00 UTC and is overdue at
# 2026-03-04 16:00 UTC; the case-level rows fall due from 2026-03-12. At SWEEP_AT only the
# step-warning row of each of the DUE real cases is due.
SWEEP_AT = dt.datetime(2026, 3, 4, 0, 0, tzinfo=dt.UTC)
NOTHING_DUE_AT = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
SNAPSHOT = ("cases", "timers", "audit_events")


def clone_fillers(engine: sa.Engine, template_id: int, count: int, *,
                  analyze_after: bool = True) -> None:
    """Add ``count`` open cases by copying a seeded case's rows with INSERT … SELECT.

    BENCHMARK SHORTCUT, not how cases are made: seeding 20 000 cases through the services
    would take most of the time budget, and the point here is what a sweep costs with many
    open cases in the tables, not how they got there. Each filler is a copy of a real case
    waiting at 审核 (its cases row, its 3 step rows, its 10 timer rows, its 7 audit events),
    with a new case id and number, new step ids, and every timer moved one year later so the
    filler is open with pending rows that are NOT due at the sweep time. The fillers' workflow
    state still names the template's task ids; the sweep never loads a filler, so it does
    not matter here, but these rows are not valid cases to work on.
    """
    pg = engine.dialect.name == "postgresql"
    seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :k) "
    if pg:
        new_step_id = "lpad(to_hex(:base + seq.n), 8, '0') || substr({col}, 9)"
        later = "{col} + interval '365 days'"
    else:
        new_step_id = "printf('%08x', :base + seq.n) || substr({col}, 9)"
        later = "strftime('%Y-%m-%d %H:%M:%f', {col}, '+365 days') || '000'"
    with engine.begin() as conn:
        base = int(conn.exec_driver_sql("SELECT max(id) FROM cases").scalar_one())
        params = {"k": count, "base": base, "tpl": template_id}

        def copy(table: sa.Table, exprs: dict[str, str], *, skip_id: bool) -> None:
            cols = [c.name for c in table.columns if not (skip_id and c.name == "id")]
            select = ", ".join(exprs.get(c, f"x.{c}") for c in cols)
            key = "id" if table is t.cases else "case_id"
            conn.execute(sa.text(
                f"{seq}INSERT INTO {table.name} ({', '.join(cols)}) SELECT {select} "
                f"FROM {table.name} x, seq WHERE x.{key} = :tpl"), params)

        copy(t.cases, {"id": ":base + seq.n", "number": "x.number || '-F' || (:base + seq.n)",
                       "applicant": "'filler ' || (:base + seq.n)"}, skip_id=False)
        copy(t.steps, {"id": new_step_id.format(col="x.id"), "case_id": ":base + seq.n",
                       "case_number": "x.case_number || '-F' || (:base + seq.n)"}, skip_id=False)
        copy(t.timers, {"case_id": ":base + seq.n",
                        "task_id": "CASE WHEN x.task_id IS NULL THEN NULL ELSE "
                                   + new_step_id.format(col="x.task_id") + " END",
                        "due_at": later.format(col="x.due_at")}, skip_id=True)
        copy(t.audit_events, {"case_id": ":base + seq.n"}, skip_id=True)
        if pg:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
    if analyze_after:  # `python -m bench` copies a million in chunks and analyzes once at the end
        analyze(engine)


def analyze(engine: sa.Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        raw = engine.raw_connection()  # outside a transaction (the engine BEGINs on use)
        try:  # the bulk copy left a large WAL: fold it into the database, as at rest
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


class Snapshot:
    """Keeps the due cases' rows so that each timed sweep starts from the same state."""

    def __init__(self, engine: sa.Engine, case_ids: list[int]) -> None:
        self.engine = engine
        self.ids = ", ".join(str(i) for i in case_ids)
        with engine.begin() as conn:
            for name in SNAPSHOT:
                key = "id" if name == "cases" else "case_id"
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS snap_{name}")
                conn.exec_driver_sql(
                    f"CREATE TABLE snap_{name} AS SELECT * FROM {name} WHERE {key} IN ({self.ids})")

    def restore(self) -> None:
        cols = [c.name for c in t.cases.columns if c.name != "id"]
        with self.engine.begin() as conn:
            for name in ("cards", "breaches", "audit_events", "timers"):
                conn.exec_driver_sql(f"DELETE FROM {name} WHERE case_id IN ({self.ids})")
            for name in ("audit_events", "timers"):
                conn.exec_driver_sql(f"INSERT INTO {name} SELECT * FROM snap_{name}")
            conn.exec_driver_sql(
                "UPDATE cases SET " + ", ".join(f"{c} = s.{c}" for c in cols)
                + " FROM snap_cases s WHERE cases.id = s.id")


def count_due(engine: sa.Engine, at: dt.datetime) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.timers).where(
            t.timers.c.status == "pending", t.timers.c.due_at <= at)).scalar_one())


def count(engine: sa.Engine, what: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(what).scalar_one())


def timed_sweep(env: Any, at: dt.datetime, limit: int | None = None) -> tuple[float, int]:
    t0 = time.perf_counter()
    rep = sweep(env, at, limit=limit)
    elapsed = time.perf_counter() - t0
    if rep.errors or rep.skipped:
        raise SystemExit(f"sweep reported errors/skips: {rep}")
    return elapsed, rep.fired


def claim_plan(env: Any) -> str:
    """The plan of the claim query exactly as the repository sends it."""
    engine = env.engine
    captured: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, stmt: str, params: Any, *_a: Any) -> None:
        if "FROM timers" in stmt and "ORDER BY timers.due_at" in stmt:
            captured.append((stmt, params))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        with env.uow() as uow:
            uow.timers.claim_due(SWEEP_AT, 1)
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    stmt, params = captured[0]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + stmt, params)
            lines = [r[0] for r in cur.fetchall()]
            raw.rollback()  # EXPLAIN ANALYZE took the row locks: let them go
        else:
            cur.execute("EXPLAIN QUERY PLAN " + stmt, params)
            lines = [r[-1] for r in cur.fetchall()]
    finally:
        raw.close()
    one_line = " ".join(stmt.split())
    return "  query: " + one_line + "\n  plan:\n" + "\n".join("    " + ln for ln in lines)


class Database:
    """One database of N open cases, DUE of them real and due at SWEEP_AT."""

    def __init__(self, url: str, n: int) -> None:
        self.env, _ = food_env(url)
        self.engine = self.env.engine  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        real = [run_case_to_review(self.env, f"申请人{i}") for i in range(DUE)]
        self.seed_real = time.perf_counter() - t0
        t0 = time.perf_counter()
        clone_fillers(self.engine, real[0].id, n - DUE)
        self.seed_fillers = time.perf_counter() - t0
        self.snap = Snapshot(self.engine, [c.id for c in real])
        self.due = count_due(self.engine, SWEEP_AT)
        self.open_cases = count(self.engine, "SELECT count(*) FROM cases WHERE closed_at IS NULL")
        self.timer_rows = count(self.engine, "SELECT count(*) FROM timers")
        if self.due != DUE:
            raise SystemExit(f"{self.due} rows due at {SWEEP_AT}, expected {DUE}")

    def sweep(self, limit: int | None = None) -> float:
        elapsed, fired = timed_sweep(self.env, SWEEP_AT, limit)
        if fired != (limit or DUE):
            raise SystemExit(f"fired {fired}, expected {limit or DUE}")
        self.snap.restore()
        return elapsed


def ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.0f}" for v in values)


def bench_backend(label: str, make_url: Any, sizes: list[int], runs: int) -> None:
    print(f"\n== {label} ==")
    with ExitStack() as stack:
        dbs = [Database(stack.enter_context(make_url()), n) for n in sizes]
        for db in dbs:
            print(f"N={db.open_cases}: {DUE} real cases seeded through the services in "
                  f"{db.seed_real:.1f} s, {db.open_cases - DUE} fillers copied in "
                  f"{db.seed_fillers:.1f} s")
        # Rounds: every database is swept once per round, so all sizes see the same
        # background load.
        times: list[list[float]] = [[] for _ in dbs]
        empty: list[list[float]] = [[] for _ in dbs]
        for _ in range(runs):
            for i, db in enumerate(dbs):
                times[i].append(db.sweep())
                empty[i].append(timed_sweep(db.env, NOTHING_DUE_AT)[0])
        print(f"{'open cases':>10} {'timer rows':>10} {'due':>4} {'sweep median':>13} "
              f"{'min':>7} {'per fired row':>14} {'nothing due':>12}   runs (ms)")
        for i, db in enumerate(dbs):
            m = median(times[i])
            print(f"{db.open_cases:>10} {db.timer_rows:>10} {db.due:>4} {m * 1000:>10.0f} ms "
                  f"{min(times[i]) * 1000:>4.0f} ms {m / DUE * 1000:>11.1f} ms "
                  f"{median(empty[i]) * 1000:>9.2f} ms   {ms(times[i])}")
        big = dbs[-1]
        print(f"at N={big.open_cases}, the same sweep limited to k of the {DUE} due rows "
              f"(median of {runs}):")
        limited: dict[int, list[float]] = {k: [] for k in (25, 50, 100)}
        for _ in range(runs):
            for k in limited:
                limited[k].append(big.sweep(limit=k))
        for k, values in limited.items():
            m = median(values)
            print(f"  k={k:3d}: {m * 1000:7.0f} ms ({m / k * 1000:.1f} ms per fired row)   "
                  f"{ms(values)}")
        print(f"claim query plan at N={big.open_cases}:")
        print(claim_plan(big.env))
        for db in dbs:
            db.engine.dispose()


def tie_probe(label: str, make_url: Any) -> None:
    """One claim (SqlTimerRepository.claim_due, as a sweep issues it per row) when many rows
    are due at the same instant. Deadlines end at the end of a working day, so due rows share
    due_at values in practice. Synthetic rows are inserted directly into timers for one case;
    nothing is fired (each claim is rolled back)."""
    print(f"\n{label}: one claim with D rows due at the same instant (+100 000 pending rows "
          f"not due), median of 20:")
    with make_url() as url:
        env, _ = food_env(url)
        engine = env.engine  # type: ignore[attr-defined]
        case = run_case_to_review(env, "tie")
        pg = engine.dialect.name == "postgresql"
        for d in (100, 1_000, 10_000, 50_000):
            with engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM timers WHERE kind = 'bench'")
                seq = ("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g "
                       "WHERE n < :k) ")
                when = ("timestamptz '2026-03-03 16:00+00'" if pg
                        else "'2026-03-03 16:00:00.000000'")
                later = ("timestamptz '2027-03-03 16:00+00' + g.n * interval '1 minute'" if pg
                         else "strftime('%Y-%m-%d %H:%M:%f', '2027-03-03 16:00', "
                              "'+' || g.n || ' minutes') || '000'")
                for k, due in ((d, when), (100_000, later)):
                    conn.execute(sa.text(
                        f"{seq}INSERT INTO timers (case_id, task_id, kind, due_at, status) "
                        f"SELECT :c, NULL, 'bench', {due}, 'pending' FROM g"),
                        {"k": k, "c": case.id})
            analyze(engine)
            times = []
            for _ in range(20):
                with env.uow() as uow:
                    t0 = time.perf_counter()
                    got = uow.timers.claim_due(SWEEP_AT, 1)
                    times.append(time.perf_counter() - t0)
                    assert len(got) == 1
            print(f"  D={d:6d}: {median(times) * 1000:7.2f} ms per claim "
                  f"(a sweep of all D rows makes D such claims)")
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,5000,20000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    m = machine()
    print(f"machine: {m['nproc']} cpus, {m['cpu']}; Python {m['python']}, SQLite {m['sqlite']}")
    print(f"{DUE} due rows (one per real case) at {SWEEP_AT.isoformat()}; medians of "
          f"{args.runs} sweeps; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bench_backend("SQLite (WAL, synchronous=NORMAL)", sqlite_url, sizes, args.runs)
    problem = "skipped (--no-pg)" if args.no_pg else pg_available()
    if problem is None:
        bench_backend(f"PostgreSQL {pg_version().split()[0]}", pg_url, sizes, args.runs)
    tie_probe("SQLite", sqlite_url)
    if problem is None:
        tie_probe("PostgreSQL", pg_url)
    else:
        print(f"\nPostgreSQL: not measured — {problem}")


if __name__ == "__main__":
    main()
