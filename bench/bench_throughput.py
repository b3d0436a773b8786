"""Throughput of one approval path: bare SpiffWorkflow in memory vs Sunshine persisted.

The path is processes/food_business_licence.bpmn on its approval branch: 受理 (acceptance) →
现场核查 → 审核 → 审批决定 (decision=approve) → 制证发证, i.e. five user tasks, four of them
after acceptance. Measured as cases per second:

  bare        SpiffWorkflow only, in memory: the spec is parsed once (SunshineParser), each
              case is a new BpmnWorkflow with Sunshine's restricted script engine, its READY
              manual tasks are completed with the same form data, nothing is stored.
  sqlite      Sunshine's services (svc.start_case, svc.accept, svc.complete_task ×4) on a
              SQLite file in WAL mode, one durable commit per service call (6 per case),
              synchronous=NORMAL (the default) and synchronous=FULL.
  postgres    the same on the local PostgreSQL, in a fresh schema.

For the persisted runs two figures are given: "services" counts only the time spent inside
the service calls; "with task list" adds the read the caller does to learn the next step's id
(uow.steps.list(case_id=…), one read transaction per step), which a real client also does.
Each figure is the median of several runs; the ratio persisted/bare uses the medians.

    .venv/bin/python bench/bench_throughput.py            # all backends
    .venv/bin/python bench/bench_throughput.py --profile  # plus a cProfile of the SQLite path
    options: --runs N  --bare-cases N  --db-cases N  --no-pg
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from contextlib import ExitStack
from typing import Any

from _common import (
    AFTER_ACCEPTANCE,
    FOOD,
    FOOD_FILE,
    FOOD_PROCESS,
    food_env,
    machine,
    median,
    open_steps,
    pg_available,
    pg_url,
    pg_version,
    sqlite_url,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import SunshineParser
from engine.model import CaseState
from engine.scripting import restricted_script_engine
from engine.services import cases as svc
from tests.staff import CLERK, A, person  # noqa: F401

ACCEPT_FORM = {"acceptance": "accept", "opinion": "受理",
               "promised_deadline": "2026-03-16T16:00:00+00:00"}
BARE_FORMS = [ACCEPT_FORM] + [data for _, data in AFTER_ACCEPTANCE]


# -- bare SpiffWorkflow -------------------------------------------------------------------------

def parse_food() -> tuple[Any, dict[str, Any]]:
    parser = SunshineParser()
    parser.add_bpmn_file(str(FOOD_FILE))
    return parser.get_spec(FOOD_PROCESS), parser.get_subprocess_specs(FOOD_PROCESS)


def bare_case(spec: Any, subs: dict[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, subs, script_engine=restricted_script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update({"application": {"name": "张三"}})
    workflow.do_engine_steps()
    for form in BARE_FORMS:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        task = ready[0]
        task.data.update(form)
        task.run()
        workflow.do_engine_steps()
    return workflow


class Bare:
    """Bare SpiffWorkflow, one run = ``cases`` cases; cases/s."""

    def __init__(self) -> None:
        self.spec, self.subs = parse_food()
        wf = bare_case(self.spec, self.subs)  # warm-up, and a check of the path taken
        ends = [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.__class__.__name__ == "EndEvent"]
        if not wf.is_completed() or ends != ["end_approved"]:
            raise SystemExit(f"bare run did not reach end_approved: {ends}")

    def run(self, cases: int) -> float:
        t0 = time.perf_counter()
        for _ in range(cases):
            bare_case(self.spec, self.subs)
        return cases / (time.perf_counter() - t0)


# -- Sunshine persisted -------------------------------------------------------------------------

class Timing:
    def __init__(self) -> None:
        self.services = 0.0
        self.lookups = 0.0


def sunshine_case(env: Any, i: int, timing: Timing) -> None:
    t = time.perf_counter()
    case = svc.start_case(env, FOOD, person(f"申请人{i}"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("李窗口"))
    timing.services += time.perf_counter() - t
    for name, data in AFTER_ACCEPTANCE:
        t = time.perf_counter()
        step = open_steps(env, case.id)[0]  # the task list read: which step is next
        timing.lookups += time.perf_counter() - t
        if step.name != name:
            raise SystemExit(f"expected step {name}, the case is at {step.name}")
        t = time.perf_counter()
        done = svc.complete_task(env, step.id, actor=A("经办人"), data=data)
        timing.services += time.perf_counter() - t
    if done.state != CaseState.APPROVED:
        raise SystemExit(f"case {done.number} ended {done.state}, not approved")


class Persisted:
    """Sunshine on one database; one run = ``cases`` cases; (services cases/s, with task list)."""

    def __init__(self, url: str, sync: str = "NORMAL") -> None:
        self.env, _ = food_env(url, sqlite_synchronous=sync)
        sunshine_case(self.env, 0, Timing())  # warm-up (the calendar, the first serial row)
        self.n = 1

    def run(self, cases: int) -> tuple[float, float]:
        timing = Timing()
        for _ in range(cases):
            sunshine_case(self.env, self.n, timing)
            self.n += 1
        return cases / timing.services, cases / (timing.services + timing.lookups)

    def close(self) -> None:
        self.env.engine.dispose()  # type: ignore[attr-defined]


def commit_floor(url: str, cases: int, sync: str = "NORMAL") -> float:
    """Cases/s of the durable commits alone: per case, 6 transactions that each write one
    ~1 KB row and commit, straight through the DBAPI driver (no SQLAlchemy, no workflow)."""
    blob = bytes(range(256)) * 4
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={sync}")
        conn.execute("DROP TABLE IF EXISTS c")
        conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER, s BLOB)")
        conn.execute("INSERT INTO c VALUES (1, 0, ?)", (blob,))
        t0 = time.perf_counter()
        for i in range(cases * 6):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE c SET v = ?, s = ? WHERE id = 1", (i, blob))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        conn.close()
    else:
        import psycopg

        conn = psycopg.connect(url.split("?")[0], options=url.split("options=")[1].replace(
            "%3D", "="))
        conn.execute("DROP TABLE IF EXISTS c")
        conn.execute("CREATE TABLE c (id integer PRIMARY KEY, v integer, s bytea)")
        conn.execute("INSERT INTO c VALUES (1, 0, %s)", (blob,))
        conn.commit()
        t0 = time.perf_counter()
        for i in range(cases * 6):
            conn.execute("UPDATE c SET v = %s, s = %s WHERE id = 1", (i, blob))
            conn.commit()
        elapsed = time.perf_counter() - t0
        conn.close()
    return cases / elapsed


class Attribution:
    """Wall time split into exclusive buckets by wrapping product functions in this process
    only (no product file is changed). A bucket's time excludes the wrapped calls nested in it,
    so the buckets add up to the measured total; "rest" is everything not wrapped (the
    services' own logic, the calendar, dataclasses, fetching rows)."""

    def __init__(self) -> None:
        self.time: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list[Any]] = []
        self.undo: list[tuple[Any, str, Any]] = []

    def _enter(self, label: str) -> None:
        self.stack.append([label, time.perf_counter(), 0.0])

    def _exit(self) -> None:
        label, start, child = self.stack.pop()
        elapsed = time.perf_counter() - start
        self.time[label] = self.time.get(label, 0.0) + elapsed - child
        self.calls[label] = self.calls.get(label, 0) + 1
        if self.stack:
            self.stack[-1][2] += elapsed

    def wrap(self, owner: Any, name: str, label: str) -> None:
        raw = owner.__dict__[name]
        is_static = isinstance(raw, staticmethod)
        fn = raw.__func__ if is_static else raw
        me = self

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            me._enter(label)
            try:
                return fn(*args, **kwargs)
            finally:
                me._exit()

        setattr(owner, name, staticmethod(wrapped) if is_static else wrapped)
        self.undo.append((owner, name, raw))

    def install(self, engine: Any) -> None:
        import sqlalchemy.engine.base as sa_base

        import adapters.sql.case_repository as case_repo
        import adapters.sql.repositories as repos
        import adapters.sql.uow as uow_mod
        import engine.case as case_mod
        import engine.runtime as rt

        self.wrap(rt, "restore", "Spiff: restore workflow from spec + state dicts (from_dict)")
        self.wrap(rt, "state_to_dict", "Spiff: serialize the workflow state (to_dict)")
        self.wrap(rt, "new_workflow", "Spiff: new workflow from the spec dict (start)")
        self.wrap(rt.Runtime, "complete", "Spiff: run the task + engine steps")
        self.wrap(rt.Runtime, "_steps", "Spiff: run the task + engine steps")
        self.wrap(case_mod, "next_event", "audit: event JSON + SHA-256 chain hash")
        self.wrap(case_repo, "_case_values", "case row values: state json.dumps + deflate")
        self.wrap(case_repo.SqlCaseRepository, "_load", "case load: case row, state inflate + "
                  "json.loads, parts")
        self.wrap(repos.SqlDefinitionRepository, "get",
                  "definition row: decode the spec JSON (~9 KB) on every load")
        for cls_name, cls in [(n, c) for mod in (repos, case_repo) for n, c in vars(mod).items()
                              if isinstance(c, type) and c.__module__ == mod.__name__]:
            if cls_name.startswith("Sql") or cls_name == "_Repo":
                for name, value in list(vars(cls).items()):
                    if callable(value) and not name.startswith("__") and name not in (
                            "_load",) and not (cls is repos.SqlDefinitionRepository
                                                         and name == "get"):
                        self.wrap(cls, name, "repositories: build statements, map rows")
        self.wrap(sa_base.Connection, "execute",
                  "SQLAlchemy: execute (cache key, compile cache, binds, result setup)")
        self.wrap(sa_base.Connection, "exec_driver_sql",
                  "SQLAlchemy: execute (cache key, compile cache, binds, result setup)")
        self.wrap(uow_mod.SqlUnitOfWork, "commit", "COMMIT (SQLite: WAL append, fsync with FULL)")
        self.wrap(uow_mod.SqlUnitOfWork, "__enter__",
                  "unit of work: pool checkout (+ PG pre-ping) + BEGIN")
        self.wrap(uow_mod.SqlUnitOfWork, "__exit__", "unit of work: rollback/close")
        from sqlalchemy import event

        def before(*_a: Any) -> None:
            self._enter("DBAPI cursor.execute (SQLite C library / PostgreSQL round trip)")

        def after(*_a: Any) -> None:
            self._exit()

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)

    def uninstall(self) -> None:
        for owner, name, raw in reversed(self.undo):
            setattr(owner, name, raw)


def attribute(make_url: Any, label: str, cases: int, sync: str = "NORMAL") -> str:
    """Where the time of a persisted path goes, by exclusive wall-clock buckets."""
    import collections

    from sqlalchemy import event

    with make_url() as url:
        env, _ = food_env(url, sqlite_synchronous=sync)
        sunshine_case(env, 0, Timing())
        kinds: collections.Counter[str] = collections.Counter()

        @event.listens_for(env.engine, "before_cursor_execute")  # type: ignore[attr-defined]
        def count(_c: Any, _cur: Any, stmt: str, *_a: Any) -> None:
            words = stmt.split()
            if words[0] == "SELECT":
                kinds["SELECT " + words[words.index("FROM") + 1]] += 1
            elif words[0] in ("INSERT", "UPDATE"):
                kinds[f"{words[0]} {words[2] if words[0] == 'INSERT' else words[1]}"] += 1
            else:
                kinds[" ".join(words[:2])] += 1

        t0 = time.perf_counter()
        for i in range(1, cases + 1):  # the same path unwrapped, to show the wrappers' cost
            sunshine_case(env, 10_000 + i, Timing())
        plain = (time.perf_counter() - t0) / cases
        kinds.clear()
        att = Attribution()
        att.install(env.engine)  # type: ignore[attr-defined]
        timing = Timing()
        t0 = time.perf_counter()
        try:
            for i in range(1, cases + 1):
                sunshine_case(env, i, timing)
        finally:
            att.uninstall()
        total = time.perf_counter() - t0
        env.engine.dispose()  # type: ignore[attr-defined]
    att.time["rest: service logic, calendar, dataclasses, fetching rows"] = (
        total - sum(att.time.values()))
    lines = [f"where the time goes, {label}, {cases} cases, {total / cases * 1000:.1f} ms "
             f"per case (unwrapped just before: {plain * 1000:.1f} ms); exclusive buckets, "
             f"they add up to the total:"]
    for label, sec in sorted(att.time.items(), key=lambda kv: -kv[1]):
        calls = att.calls.get(label)
        per_case = f"{calls / cases:6.1f}/case" if calls else " " * 11
        lines.append(f"  {sec / cases * 1000:6.2f} ms/case {sec / total * 100:5.1f}%  {per_case}  {label}")
    lines.append(f"\nSQL statements per case: {sum(kinds.values()) / cases:.0f} "
                 f"({', '.join(f'{k} {v / cases:.0f}' for k, v in kinds.most_common())})")
    return "\n".join(lines)


def profile_sqlite(cases: int) -> str:
    """cProfile of the SQLite (NORMAL) path: the functions with the most own time."""
    with sqlite_url() as url:
        env, _ = food_env(url)
        sunshine_case(env, 0, Timing())
        prof = cProfile.Profile()
        timing = Timing()
        prof.enable()
        for i in range(1, cases + 1):
            sunshine_case(env, i, timing)
        prof.disable()
        env.engine.dispose()  # type: ignore[attr-defined]
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    own = out.getvalue().split("\n", 4)[-1]
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/work/main/(engine|adapters)/", 25)
    cum = out.getvalue().split("\n", 4)[-1]
    return (f"cProfile, {cases} cases on SQLite NORMAL ({timing.services + timing.lookups:.2f} s "
            f"with profiler overhead)\n\ntop 20 by own time:\n{own}\n"
            f"project functions by cumulative time:\n{cum}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bare-cases", type=int, default=300)
    ap.add_argument("--db-cases", type=int, default=30)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-cases", type=int, default=40)
    args = ap.parse_args()

    m = machine()
    print(f"machine: {m['nproc']} cpus, {m['cpu']}; Python {m['python']}, SQLite {m['sqlite']}, "
          f"SQLAlchemy {m['sqlalchemy']}")
    print(f"path: {FOOD_FILE.name}: 受理 → 现场核查 → 审核 → 审批决定(approve) → 制证发证 "
          f"(5 user tasks; 6 commits per persisted case)")
    print(f"{args.runs} rounds; bare {args.bare_cases} cases/run, persisted "
          f"{args.db_cases} cases/run; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")

    pg_problem = "skipped (--no-pg)" if args.no_pg else pg_available()
    with ExitStack() as stack:
        configs: list[tuple[str, Persisted]] = []
        for sync in ("NORMAL", "FULL"):
            url = stack.enter_context(sqlite_url())
            configs.append((f"SQLite WAL synchronous={sync}", Persisted(url, sync)))
        if pg_problem is None:
            configs.append((f"PostgreSQL {pg_version().split()[0]}", Persisted(stack.enter_context(pg_url()))))
        bare_runner = Bare()
        bare: list[float] = []
        results: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in configs}
        # Rounds: each round runs every configuration once, so that all of them see the same
        # background load; ratios are taken per round, then the median.
        for _ in range(args.runs):
            bare.append(bare_runner.run(args.bare_cases))
            for label, runner in configs:
                results[label].append(runner.run(args.db_cases))
        for _, runner in configs:
            runner.close()
    b = median(bare)
    print(f"{'bare SpiffWorkflow (memory)':34s} {b:8.1f} cases/s   {1000 / b:6.2f} ms per case "
          f"(runs: {', '.join(f'{r:.0f}' for r in bare)})")
    for label, res in results.items():
        s = [r[0] for r in res]
        tot = [r[1] for r in res]
        ratio = median([x / y for x, y in zip(s, bare, strict=True)])
        ratio_t = median([x / y for x, y in zip(tot, bare, strict=True)])
        ms = median(s)
        print(f"{label:34s} {ms:8.1f} cases/s  {1000 / ms:6.1f} ms per case, "
              f"{1000 / ms / 6:5.1f} ms per service call (runs: {', '.join(f'{r:.1f}' for r in s)})")
        print(f"{'':34s} ratio persisted/bare {ratio:.3f}; with the task-list read "
              f"{median(tot):.1f} cases/s, ratio {ratio_t:.3f}")
    if pg_problem is not None:
        print(f"PostgreSQL: not measured — {pg_problem}")
    print("\nfloor: the 6 durable commits per case alone (one ~1 KB UPDATE each, raw driver), "
          "and the best ratio\npossible if the rest cost nothing beyond bare "
          "(1 / (1 + bare_time / commit_time)):")
    floors = []
    for sync in ("NORMAL", "FULL"):
        with sqlite_url() as url:
            floors.append((f"SQLite WAL synchronous={sync}",
                           median([commit_floor(url, 200, sync) for _ in range(3)])))
    if pg_problem is None:
        with pg_url() as url:
            floors.append(("PostgreSQL", median([commit_floor(url, 100) for _ in range(3)])))
    for label, rate in floors:
        ceiling = (1 / b) / (1 / b + 1 / rate)
        print(f"  {label:32s} {rate:8.1f} cases/s of commits ({1000 / rate / 6:.3f} ms per "
              f"commit) → ratio ceiling {ceiling:.2f}")
    print("\nDESIGN target: persisted on SQLite ≥ 0.5 × bare (ratio above). Load average "
          f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if args.profile:
        print("\n" + attribute(sqlite_url, "SQLite WAL NORMAL", args.profile_cases))
        print("\n" + attribute(sqlite_url, "SQLite WAL FULL", args.profile_cases, "FULL"))
        if pg_problem is None:
            print("\n" + attribute(pg_url, "PostgreSQL", args.profile_cases))
        print("\n" + profile_sqlite(args.profile_cases))


if __name__ == "__main__":
    main()
