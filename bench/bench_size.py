"""Bytes per open case at rest, for a food-licence case waiting at its review step (审核).

Seeds M real cases through the services (start → 受理 → 现场核查), then reports:

  * the case's stored workflow state: the compressed ``workflow_state`` column (zlib level 6
    of the serializer output without the spec) and the uncompressed JSON it holds;
  * the case row as stored (SQLite: the row's payload from the dbstat table; PostgreSQL:
    pg_column_size of the row);
  * the per-case rows that come with it: steps, timers (due rows) and audit events, counted
    and sized the same way;
  * everything a case costs on disk, indexes included, averaged over the M cases (SQLite:
    dbstat page bytes of the case tables and their indexes; PostgreSQL:
    pg_total_relation_size), minus an empty database with the definition deployed;
  * for comparison, SpiffWorkflow's own full serialization of the same workflow, spec
    included (BpmnWorkflowSerializer.serialize_json), raw and zlib-compressed.

DESIGN's target: at most 4 KB per open case at rest (SpiffWorkflow's own JSON with the spec
is ~17 KB).

    .venv/bin/python bench/bench_size.py [--cases M] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import zlib
from typing import Any

import sqlalchemy as sa
from _common import food_env, machine, pg_available, pg_url, pg_version, run_case_to_review, sqlite_url

from adapters.sql import state_codec
from engine.runtime import Runtime
from engine.serialization import make_serializer

CASE_TABLES = ("cases", "steps", "timers", "audit_events", "serials")
PER_CASE = ("steps", "timers", "audit_events")


def sqlite_sizes(conn: sa.Connection) -> dict[str, tuple[int, int]]:
    """name → (payload bytes, page bytes) of every table and index, from dbstat."""
    rows = conn.exec_driver_sql(
        "SELECT name, sum(payload), sum(pgsize) FROM dbstat GROUP BY name").all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}


def sqlite_indexes(conn: sa.Connection, table: str) -> list[str]:
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)).all()
    return [r[0] for r in rows]


def measure(url: str, cases: int) -> dict[str, Any]:
    env, _ = food_env(url)
    engine = env.engine  # type: ignore[attr-defined]
    pg = engine.dialect.name == "postgresql"

    def on_disk() -> dict[str, int]:
        with engine.connect() as conn:
            if pg:
                return {t: int(conn.exec_driver_sql(
                    f"SELECT pg_total_relation_size('{t}')").scalar_one()) for t in CASE_TABLES}
            sizes = sqlite_sizes(conn)
            return {t: sizes.get(t, (0, 0))[1] + sum(sizes.get(i, (0, 0))[1]
                                                      for i in sqlite_indexes(conn, t))
                    for t in CASE_TABLES}

    empty = on_disk()
    numbers = [run_case_to_review(env, f"申请人{i}") for i in range(cases)]
    if pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    full = on_disk()
    first = numbers[0]
    out: dict[str, Any] = {"cases": cases}
    with engine.connect() as conn:
        blob = bytes(conn.execute(sa.text("SELECT workflow_state FROM cases WHERE id = :i"),
                                  {"i": first.id}).scalar_one())
        state = state_codec.decode(blob)
        out["state_compressed"] = len(blob)
        out["state_json"] = len(json.dumps(state, separators=(",", ":")).encode())
        out["state_tasks"] = len(state.get("tasks", {}))
        out["avg_state_compressed"] = float(conn.exec_driver_sql(
            "SELECT avg(" + ("octet_length" if pg else "length") + "(workflow_state)) FROM cases"
        ).scalar_one())
        spec = conn.execute(sa.text("SELECT spec FROM definitions")).scalar_one()
        spec = spec if isinstance(spec, dict) else json.loads(spec)
        out["spec_json"] = len(json.dumps(spec, separators=(",", ":")).encode())
        counts = {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE case_id = :i"),
                                      {"i": first.id}).scalar_one()) for t in PER_CASE}
        out["rows_per_case"] = counts
        if pg:
            row_bytes = {t: float(conn.exec_driver_sql(
                f"SELECT avg(pg_column_size(x.*)) FROM {t} x").scalar_one())
                for t in ("cases",) + PER_CASE}
        else:
            sizes = sqlite_sizes(conn)
            n = {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
                 for t in ("cases",) + PER_CASE}
            row_bytes = {t: sizes[t][0] / n[t] for t in ("cases",) + PER_CASE}
        out["row_bytes"] = row_bytes
        out["rows_bytes_per_case"] = row_bytes["cases"] + sum(
            row_bytes[t] * counts[t] for t in PER_CASE)
    out["disk_per_case"] = {t: (full[t] - empty[t]) / cases for t in CASE_TABLES}
    out["disk_total_per_case"] = sum(out["disk_per_case"].values())

    # SpiffWorkflow's own serialization of the same workflow, spec included.
    with env.uow() as uow:
        case = uow.cases.get(first.number)
        definition = uow.definitions.get(case.definition_id)
    workflow = Runtime.load(case.workflow_state, definition.spec).workflow
    full_json = make_serializer().serialize_json(workflow).encode()
    out["spiff_full_json"] = len(full_json)
    out["spiff_full_zlib"] = len(zlib.compress(full_json, 6))
    engine.dispose()
    return out


def report(label: str, r: dict[str, Any]) -> None:
    rb, cnt = r["row_bytes"], r["rows_per_case"]
    print(f"\n== {label} — {r['cases']} cases waiting at 审核 ==")
    print(f"workflow_state column (zlib JSON, no spec): {r['state_compressed']:6d} B "
          f"(mean over all cases {r['avg_state_compressed']:.0f} B)")
    print(f"  uncompressed JSON it holds:               {r['state_json']:6d} B "
          f"({r['state_tasks']} Spiff tasks in the state)")
    print(f"case row as stored:                         {rb['cases']:8.0f} B   "
          f"← DESIGN: ≤ 4096 B per open case: {'MET' if rb['cases'] <= 4096 else 'NOT MET'}")
    for t in PER_CASE:
        print(f"  + {cnt[t]:2d} {t:13s} rows × {rb[t]:5.0f} B = {cnt[t] * rb[t]:6.0f} B")
    print(f"case row + its rows (no indexes):           {r['rows_bytes_per_case']:8.0f} B   "
          f"(≤ 4096 B: {'met' if r['rows_bytes_per_case'] <= 4096 else 'not met'})")
    per = r["disk_per_case"]
    print(f"on disk per case, tables + indexes:         {r['disk_total_per_case']:8.0f} B   ("
          + ", ".join(f"{t} {per[t]:.0f}" for t in per if per[t]) + ")")
    print(f"SpiffWorkflow's own JSON with the spec:     {r['spiff_full_json']:6d} B "
          f"(zlib {r['spiff_full_zlib']} B); the spec alone, stored once per version: "
          f"{r['spec_json']} B")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    m = machine()
    print(f"machine: {m['nproc']} cpus, {m['cpu']}; Python {m['python']}, SQLite {m['sqlite']}")
    with sqlite_url() as url:
        report("SQLite", measure(url, args.cases))
    problem = "skipped (--no-pg)" if args.no_pg else pg_available()
    if problem is None:
        with pg_url() as url:
            report(f"PostgreSQL {pg_version()}", measure(url, args.cases))
    else:
        print(f"\nPostgreSQL: not measured — {problem}")


if __name__ == "__main__":
    main()
