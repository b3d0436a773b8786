"""What one SQL statement costs on the SQLite path, by how it is written (a micro-benchmark
supporting docs/performance.md; it does not use the services).

The repositories (adapters/sql/repositories.py) build a new SQLAlchemy Core statement for
every call, with the row's values inlined: ``t.steps.update().where(t.steps.c.id == x)
.values(**row)``. This compares, on the product's own tables (created by the migrations):

  built per call     the repositories' way
  prebuilt + params  one statement built once with bindparam()s, executed with a dict
  raw driver         the same UPDATE straight through sqlite3 (no SQLAlchemy)

    .venv/bin/python bench/bench_statements.py [--n 2000]
"""

from __future__ import annotations

import argparse
import itertools
import time

import sqlalchemy as sa
from _common import T0, food_env, median, run_case_to_review, sqlite_url

from adapters.sql import tables as t
from adapters.sql.repositories import _row
from engine.model import AuditEvent


def timed(fn, n: int) -> float:  # noqa: ANN001
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(n):
            fn(i)
        runs.append((time.perf_counter() - t0) / n)
    return median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    n = args.n
    with sqlite_url() as url:
        env, _ = food_env(url)
        case = run_case_to_review(env, "张三")
        with env.uow() as uow:
            step = uow.steps.list(case_id=case.id)[0]
        engine = env.engine  # type: ignore[attr-defined]
        results: list[tuple[str, float]] = []
        with engine.connect() as conn:
            row = _row(step)
            results.append(("UPDATE steps (21 columns), built per call", timed(
                lambda i: conn.execute(t.steps.update().where(t.steps.c.id == step.id)
                                       .values(**_row(step))), n)))
            pre = t.steps.update().where(t.steps.c.id == sa.bindparam("key")).values(
                **{k: sa.bindparam(k) for k in row if k != "id"})

            def prebuilt(_i: int) -> None:
                params = _row(step)
                params["key"] = params.pop("id")
                conn.execute(pre, params)

            results.append(("UPDATE steps (21 columns), prebuilt + params", timed(prebuilt, n)))
            raw = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            results.append(("UPDATE steps (2 columns), raw sqlite3", timed(
                lambda i: raw.execute("UPDATE steps SET assignee = ?, status = ? WHERE id = ?",
                                      (None, "ready", step.id)), n)))
            results.append(("SELECT open steps of a case, built per call", timed(
                lambda i: conn.execute(sa.select(t.steps).where(
                    t.steps.c.case_id == case.id, t.steps.c.status == "ready")
                    .order_by(t.steps.c.ready_at, t.steps.c.id).limit(500)).all(), n)))
            sel = sa.select(t.steps).where(
                t.steps.c.case_id == sa.bindparam("c"), t.steps.c.status == "ready").order_by(
                t.steps.c.ready_at, t.steps.c.id).limit(500)
            results.append(("SELECT open steps of a case, prebuilt + params", timed(
                lambda i: conn.execute(sel, {"c": case.id}).all(), n)))
            event = AuditEvent(case.id, 0, T0, "bench", "bench", {"x": 1}, "0" * 64, "0" * 64)
            seq = itertools.count(1000)

            def audit_built(i: int) -> None:
                values = _row(event)
                values["seq"] = next(seq)
                conn.execute(t.audit_events.insert().values(**values))

            results.append(("INSERT audit_events, built per call", timed(audit_built, n)))
            conn.rollback()
            ins = t.audit_events.insert()

            def audit_pre(i: int) -> None:
                values = _row(event)
                values["seq"] = next(seq)
                conn.execute(ins, values)

            results.append(("INSERT audit_events, prebuilt + params", timed(audit_pre, n)))
            conn.rollback()
        engine.dispose()
    print(f"one statement inside an open transaction, median of 3 × {n} (ms):")
    for label, sec in results:
        print(f"  {sec * 1000:7.3f} ms  {label}")


if __name__ == "__main__":
    main()
