"""The speed targets, one function per row of `python -m bench` (see bench/README.md).

Each ``row_N(quick)`` builds its own databases (temporary SQLite files, fresh PostgreSQL
schemas), measures, cleans up and returns its row(s); ``python -m bench --only N`` runs one.
The product is imported inside the functions, not here: while the core is being changed a row
that cannot import or run it becomes an "error: …" row and the others still run.

Background cases are seeded in bulk (bench_sweep.clone_fillers: INSERT … SELECT copies of one
real case, commented there); the cases that are measured always go through the services.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import math
import os
import re
import select
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.staff import CLERK, A, person  # noqa: F401

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))  # the bench_*.py scripts import `_common` as a top module

_T_START = time.perf_counter()


def log(msg: str) -> None:
    """Progress on stderr (stdout carries only the table)."""
    print(f"[{time.perf_counter() - _T_START:6.1f}s] {msg}", file=sys.stderr, flush=True)


@dataclass
class Row:
    id: str
    name: str
    measured: str
    target: str
    met: bool | None
    value: float | None = None
    detail: str = ""
    error: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def result(self) -> str:
        if self.error is not None:
            return f"error: {self.error}"
        return "met" if self.met else "not met"


def _n(x: int) -> str:
    return f"{x:,}"


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def _need_pg() -> None:
    from _common import pg_available

    problem = pg_available()
    if problem is not None:
        raise RuntimeError(f"PostgreSQL not reachable: {problem}")


def _checkpoint(engine: Any) -> None:
    """SQLite: fold the WAL into the database file (after a bulk copy, as at rest)."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def bulk_open_cases(engine: Any, template_id: int, count: int, what: str) -> float:
    """``count`` background open cases, copied from a real case in chunks of 100,000 (one
    transaction each, the WAL checkpointed between them), then ANALYZE; seconds taken."""
    from bench_sweep import analyze, clone_fillers

    t0 = time.perf_counter()
    done = 0
    while done < count:
        k = min(100_000, count - done)
        clone_fillers(engine, template_id, k, analyze_after=False)
        _checkpoint(engine)
        done += k
        if count > 100_000:
            log(f"{what}: {_n(done)} of {_n(count)} background cases copied")
    analyze(engine)
    return time.perf_counter() - t0


def _open_cases(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(
            "SELECT count(*) FROM cases WHERE closed_at IS NULL").scalar_one())


# -- 1. throughput -----------------------------------------------------------------------------

def row_1(quick: bool) -> list[Row]:
    """Persisted on SQLite (one durable commit per service call) ÷ bare SpiffWorkflow in
    memory on the same approval path; NORMAL and FULL, interleaved rounds, median ratio."""
    import bench_throughput as bt
    from _common import sqlite_url

    runs, bare_cases, db_cases = (5, 150, 15) if quick else (9, 300, 40)
    log(f"1: {runs} rounds of bare ×{bare_cases} cases, SQLite NORMAL and FULL ×{db_cases}")
    ratios: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    rates: dict[str, list[float]] = {"bare": [], "NORMAL": [], "FULL": []}
    with ExitStack() as stack:
        persisted = {sync: bt.Persisted(stack.enter_context(sqlite_url()), sync)
                     for sync in ("NORMAL", "FULL")}
        stack.callback(lambda: [p.close() for p in persisted.values()])
        bare = bt.Bare()
        for _ in range(runs):
            b = bare.run(bare_cases)
            rates["bare"].append(b)
            for sync, p in persisted.items():
                services, _with_list = p.run(db_cases)
                rates[sync].append(services)
                ratios[sync].append(services / b)
    rows = []
    for rid, sync, target in (("1a", "NORMAL", 0.5), ("1b", "FULL", 0.25)):
        r = statistics.median(ratios[sync])
        rows.append(Row(
            rid, f"SQLite {sync}, durable commit per step ÷ bare SpiffWorkflow",
            f"{r:.3f}", f"≥ {target}", r >= target, r,
            f"{statistics.median(rates[sync]):.1f} cases/s persisted vs "
            f"{statistics.median(rates['bare']):.0f} bare (6 service calls a case); "
            f"ratio per round: {', '.join(f'{x:.3f}' for x in ratios[sync])}"))
    return rows


# -- 2. bytes per open case --------------------------------------------------------------------

def row_2(quick: bool) -> list[Row]:
    """On disk per open case waiting at 审核: tables + indexes of cases, steps, timers (due
    rows, pending and spent) and serials; the audit trail counted apart (bench_size.measure)."""
    import bench_size as bs
    from _common import pg_url, sqlite_url

    n_sqlite, n_pg = (150, 100) if quick else (1000, 500)

    def split(r: dict[str, Any]) -> tuple[float, float]:
        per = r["disk_per_case"]
        return sum(v for t, v in per.items() if t != "audit_events"), per["audit_events"]

    log(f"2: {n_sqlite} cases at rest on SQLite")
    with sqlite_url() as url:
        size, audit = split(bs.measure(url, n_sqlite))
    try:
        _need_pg()
        log(f"2: {n_pg} cases at rest on PostgreSQL")
        with pg_url() as url:
            pg_size, pg_audit = split(bs.measure(url, n_pg))
        pg = f"PostgreSQL {pg_size:,.0f} B (+ audit {pg_audit:,.0f})"
    except Exception as err:  # noqa: BLE001 - the SQLite figure stands on its own
        pg = f"PostgreSQL error: {_first_line(err)}"
    return [Row("2", "bytes per open case at rest, SQLite (indexes, due rows; audit apart)",
                f"{size:,.0f} B (+ audit {audit:,.0f}); {pg}", "≤ 4,096 B", size <= 4096, size,
                f"{n_sqlite} cases on SQLite, {n_pg} on PostgreSQL, each waiting at 审核 "
                f"(start → 受理 → 现场核查); tables + indexes minus an empty database")]


# -- 3. p95 of a step with many open cases -----------------------------------------------------

STEP_NAMES = ["受理", "现场核查", "审核", "审批决定", "制证发证"]


def row_3(quick: bool) -> list[Row]:
    """p95 of completing each step through the services (accept, complete_task) with N open
    cases in the database; the worst step's p95 is the row's figure."""
    from _common import AFTER_ACCEPTANCE, FOOD, food_env, open_steps, run_case_to_review, sqlite_url

    from engine.services import cases as svc

    n_open, measured = (10_000, 100) if quick else (100_000, 300)
    lat: dict[str, list[float]] = {name: [] for name in STEP_NAMES}
    with sqlite_url() as url:
        env, _ = food_env(url)
        engine = env.engine  # type: ignore[attr-defined]
        try:
            template = run_case_to_review(env, "模板")
            cases = [svc.start_case(env, FOOD, person(f"申请人{i}"), actor=A(CLERK)) for i in range(measured)]
            log(f"3: copying {_n(n_open - measured - 1)} background open cases (SQLite)")
            seeded = bulk_open_cases(engine, template.id, n_open - measured - 1, "3")
            open_now = _open_cases(engine)
            log(f"3: {_n(open_now)} open cases ({seeded:.0f} s); timing {measured} cases × "
                f"{len(STEP_NAMES)} steps, step by step across the cases")
            for case in cases:
                t0 = time.perf_counter()
                svc.accept(env, case.number, actor=A("李窗口"))
                lat["受理"].append(time.perf_counter() - t0)
            for name, data in AFTER_ACCEPTANCE:
                for case in cases:
                    step = open_steps(env, case.id)[0]  # the task list read: not timed
                    if step.name != name:
                        raise RuntimeError(f"expected step {name}, the case is at {step.name}")
                    t0 = time.perf_counter()
                    svc.complete_task(env, step.id, actor=A("经办人"), data=data)
                    lat[name].append(time.perf_counter() - t0)
        finally:
            engine.dispose()
    per = {name: p95(v) * 1000 for name, v in lat.items()}
    worst = max(per, key=lambda k: per[k])
    every = p95([x for v in lat.values() for x in v]) * 1000
    return [Row("3", f"p95 of completing a step, {_n(n_open)} open cases, SQLite",
                f"{per[worst]:.1f} ms (worst step: {worst})", "≤ 20 ms", per[worst] <= 20,
                per[worst],
                f"p95 by step: {', '.join(f'{k} {v:.1f}' for k, v in per.items())} ms; all steps "
                f"together {every:.1f} ms; {measured} cases through the services, {_n(open_now)} "
                f"open at the start")]


# -- 4. sweep cost vs open cases ---------------------------------------------------------------

def row_4(quick: bool) -> list[Row]:
    """One sweep firing D due rows among N_big open cases ÷ the same among N_small; the D due
    cases are real (services), the rest copies; interleaved rounds, median ratio."""
    from _common import food_env, run_case_to_review, sqlite_url
    from bench_sweep import SWEEP_AT, Snapshot, count_due, timed_sweep

    due, small, big, runs = (100, 1_000, 100_000, 5) if quick else (1_000, 10_000, 1_000_000, 5)
    with ExitStack() as stack:
        dbs = []
        for n in (small, big):
            env, _ = food_env(stack.enter_context(sqlite_url()))
            engine = env.engine  # type: ignore[attr-defined]
            stack.callback(engine.dispose)
            log(f"4: {due} due cases through the services, then {_n(n - due)} copies (SQLite)")
            real = [run_case_to_review(env, f"申请人{i}") for i in range(due)]
            bulk_open_cases(engine, real[0].id, n - due, "4")
            snap = Snapshot(engine, [c.id for c in real])
            if count_due(engine, SWEEP_AT) != due:
                raise RuntimeError(f"{count_due(engine, SWEEP_AT)} rows due, expected {due}")
            dbs.append((env, snap, _open_cases(engine)))
        # One sweep fires up to Rules.sweep_batch rows (500); the limit here lets it fire all.
        for env, snap, _ in dbs:  # warm-up, not timed: the first sweep of a file reads it cold
            timed_sweep(env, SWEEP_AT, 2 * due)
            snap.restore()
        times: list[list[float]] = [[], []]
        for r in range(runs):
            log(f"4: round {r + 1} of {runs}")
            for i, (env, snap, _) in enumerate(dbs):
                elapsed, fired = timed_sweep(env, SWEEP_AT, 2 * due)
                if fired != due:
                    raise RuntimeError(f"the sweep fired {fired} rows, expected {due}")
                snap.restore()
                times[i].append(elapsed)
        opened = [o for _, _, o in dbs]
    ratios = [b / s for s, b in zip(times[0], times[1], strict=True)]
    ratio = statistics.median(ratios)
    return [Row("4", f"sweep of {_n(due)} due among {_n(big)} open ÷ among {_n(small)}, SQLite",
                f"{ratio:.2f}", "≤ 1.5", ratio <= 1.5, ratio,
                f"{_n(opened[1])} open: {statistics.median(times[1]) * 1000:.0f} ms; "
                f"{_n(opened[0])} open: {statistics.median(times[0]) * 1000:.0f} ms (medians of "
                f"{runs}); ratio per round {', '.join(f'{x:.2f}' for x in ratios)}")]


# -- 5. overdue and near-deadline per unit -----------------------------------------------------

def find_overdue_by_unit() -> str | None:
    """The engine.services module defining ``overdue_by_unit``, by reading the source."""
    for path in sorted((ROOT / "engine" / "services").rglob("*.py")):
        if re.search(r"^\s*(async\s+)?def overdue_by_unit\b", path.read_text(), re.M):
            return ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return None


def row_5(quick: bool) -> list[Row]:
    """Overdue and near-deadline cases per unit over N cases on PostgreSQL, if the product has
    the query (engine/services … def overdue_by_unit); else "not built yet". Timed by
    bench/bench_overview.py's run(quick) when that file is there (a realistic mix of states,
    units and deadlines, its figures checked); else here, on copies of one food-licence case."""
    n = 100_000 if quick else 1_000_000
    name = f"overdue and near-deadline per unit, {_n(n)} cases, PostgreSQL"
    module = find_overdue_by_unit()
    if module is None:
        return [Row("5", name, "not built yet", "≤ 100 ms", False, None,
                    "no function named overdue_by_unit in engine/services")]
    if (BENCH / "bench_overview.py").exists():
        import bench_overview

        if hasattr(bench_overview, "run"):
            log(f"5: bench/bench_overview.py run(quick={quick}): {_n(n)} cases on PostgreSQL")
            got = bench_overview.run(quick)
            return [Row("5" if len(got) == 1 else f"5{chr(ord('a') + i)}", rname, measured,
                        target, bool(met), None,
                        f"bench/bench_overview.py run(quick={quick}), timing "
                        f"{module}.overdue_by_unit")
                    for i, (rname, measured, target, met) in enumerate(got)]
    from _common import food_env, pg_url, run_case_to_review

    _need_pg()
    fn = importlib.import_module(module).overdue_by_unit
    with pg_url() as url:
        env, _ = food_env(url)
        engine = env.engine  # type: ignore[attr-defined]
        try:
            template = run_case_to_review(env, "模板")
            for i in range(20):
                run_case_to_review(env, f"申请人{i}")
            log(f"5: copying {_n(n - 21)} background cases (PostgreSQL)")
            bulk_open_cases(engine, template.id, n - 21, "5")
            with engine.connect() as conn:
                due = conn.exec_driver_sql("SELECT max(promised_due) FROM cases").scalar_one()
            at = (due or dt.datetime(2026, 3, 16, tzinfo=dt.UTC)) - dt.timedelta(days=1)
            call = _call_with_now(fn, env, at)
            call()  # warm-up
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
        finally:
            engine.dispose()
    m = statistics.median(times) * 1000
    return [Row("5", name, f"{m:.1f} ms", "≤ 100 ms", m <= 100, m,
                f"{module}.overdue_by_unit{inspect.signature(fn)}, median of 5 at {at:%Y-%m-%d}; "
                f"the background cases are copies of one case (same units, same deadlines)")]


def _call_with_now(fn: Callable[..., Any], env: Any, at: dt.datetime) -> Callable[[], Any]:
    params = list(inspect.signature(fn).parameters.values())[1:]
    kwargs: dict[str, Any] = {}
    for p in params:
        if p.name in ("now", "at", "as_of"):
            kwargs[p.name] = at
        elif p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise RuntimeError(f"do not know how to call overdue_by_unit{inspect.signature(fn)}")
    return lambda: fn(env, **kwargs)


# -- 6. two workers vs one ---------------------------------------------------------------------

SWEEP_ALL = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)  # after every deadline of the cases


class _Worker:
    """A `_sweep_worker.py` process: ready once its Env is built; ``go(at)`` starts a sweep."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "_sweep_worker.py"), url], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})

    def read(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError("sweep worker gave no answer: "
                               + (err.strip().splitlines() or ["timeout"])[-1])
        return line

    def go(self, at: dt.datetime) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(at.isoformat() + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def row_6(quick: bool) -> list[Row]:
    """Deadlines fired per second by two worker processes sweeping one PostgreSQL together ÷
    one worker alone, on the same due rows (put back between runs); interleaved rounds."""
    import json

    from _common import food_env, pg_url, run_case_to_review
    from bench_sweep import Snapshot, count_due

    _need_pg()
    n_cases, runs = (100, 3) if quick else (400, 5)
    with ExitStack() as stack:
        url = stack.enter_context(pg_url())
        env, _ = food_env(url)
        engine = env.engine  # type: ignore[attr-defined]
        stack.callback(engine.dispose)
        log(f"6: {n_cases} cases through the services (PostgreSQL), every deadline due")
        real = [run_case_to_review(env, f"申请人{i}") for i in range(n_cases)]
        snap = Snapshot(engine, [c.id for c in real])
        due = count_due(engine, SWEEP_ALL)
        workers = [_Worker(url), _Worker(url)]
        for w in workers:
            stack.callback(w.stop)
        for w in workers:
            if w.read(120).strip() != "ready":
                raise RuntimeError("sweep worker did not start")
        rates: dict[int, list[float]] = {1: [], 2: []}
        busy: dict[int, list[float]] = {1: [], 2: []}  # a worker's CPU seconds ÷ the wall span
        shares: list[list[int]] = []
        for r in range(runs):
            for k in (1, 2):
                log(f"6: round {r + 1} of {runs}, {k} worker{'s' if k > 1 else ''}, {due} rows due")
                for w in workers[:k]:
                    w.go(SWEEP_ALL)
                out = [json.loads(w.read(600)) for w in workers[:k]]
                left = count_due(engine, SWEEP_ALL)
                errors = [e for o in out for e in o["errors"]]
                if errors or left:
                    raise RuntimeError(f"{left} rows left due; errors: {errors[:2]}")
                span = max(o["end"] for o in out) - min(o["start"] for o in out)
                rates[k].append(due / span)
                busy[k].extend(o["cpu"] / span for o in out)
                if k == 2:
                    shares.append([o["fired"] + o["skipped"] for o in out])
                snap.restore()
                if count_due(engine, SWEEP_ALL) != due:
                    raise RuntimeError("the due rows were not put back")
    ratios = [b / a for a, b in zip(rates[1], rates[2], strict=True)]
    ratio = statistics.median(ratios)
    return [Row("6", "two workers ÷ one, deadlines fired per second, PostgreSQL",
                f"{ratio:.2f}", "≥ 1.6", ratio >= 1.6, ratio,
                f"{due} due rows of {n_cases} cases; one worker {statistics.median(rates[1]):.0f}/s, "
                f"two {statistics.median(rates[2]):.0f}/s (medians of {runs}); ratio per round "
                f"{', '.join(f'{x:.2f}' for x in ratios)}; rows per worker "
                f"{', '.join('/'.join(map(str, s)) for s in shares)}; a worker's CPU ÷ wall: "
                f"{statistics.median(busy[1]):.2f} alone, {statistics.median(busy[2]):.2f} each "
                f"of two ({os.cpu_count()} cores, the PostgreSQL server on the same machine)")]


# -- 7. round trips per step -------------------------------------------------------------------

def row_7(quick: bool) -> list[Row]:
    """PostgreSQL round trips per step (accept, complete_task): statements seen by SQLAlchemy's
    before_cursor_execute, + pool pre-pings, + BEGIN and COMMIT/ROLLBACK per transaction that
    reached the server; and, as a check that nothing bypasses SQLAlchemy, the turns counted on
    the wire by a relay (bench/_wire.py). The larger of the two is judged."""
    import psycopg
    import sqlalchemy as sa
    from _common import AFTER_ACCEPTANCE, FOOD, PG_BASE, food_env, open_steps, pg_url
    from _wire import TurnCounter

    from engine.services import cases as svc

    _need_pg()
    n_cases = 5 if quick else 20
    base = sa.engine.make_url(PG_BASE)
    wire = TurnCounter(base.host or "127.0.0.1", base.port or 5432)
    ev: Counter[str] = Counter()
    step_kinds: Counter[str] = Counter()
    per_step: dict[str, list[tuple[int, int]]] = {name: [] for name in STEP_NAMES}
    try:
        with pg_url() as url:
            proxied = sa.engine.make_url(url).set(host="127.0.0.1", port=wire.port)
            env, _ = food_env(proxied.render_as_string(hide_password=False))
            engine = env.engine  # type: ignore[attr-defined]
            try:
                dialect = engine.dialect

                def in_tx(conn: Any) -> bool:
                    raw = getattr(conn, "dbapi_connection", conn)
                    return raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

                def ending(name: str, orig: Callable[[Any], Any]) -> Callable[[Any], Any]:
                    def wrapped(conn: Any) -> Any:
                        if in_tx(conn):
                            ev["BEGIN"] += 1
                            ev[name] += 1
                        return orig(conn)
                    return wrapped

                orig_ping = dialect.do_ping

                def ping(conn: Any) -> Any:
                    ev["pre-ping"] += 1
                    return orig_ping(conn)

                dialect.do_commit = ending("COMMIT", dialect.do_commit)  # type: ignore[method-assign]
                dialect.do_rollback = ending("ROLLBACK", dialect.do_rollback)  # type: ignore[method-assign]
                dialect.do_ping = ping  # type: ignore[method-assign]
                sa.event.listen(engine, "before_cursor_execute",
                                lambda *_a: ev.update(statements=1))

                def step(count: bool, name: str, fn: Callable[[], Any]) -> None:
                    if not count:
                        fn()
                        return
                    w0, before = wire.turns, Counter(ev)
                    fn()
                    diff = ev - before
                    step_kinds.update(diff)
                    per_step[name].append((sum(diff.values()), wire.turns - w0))

                def one_case(i: int, count: bool) -> None:
                    case = svc.start_case(env, FOOD, person(f"申请人{i}"), actor=A(CLERK))
                    step(count, "受理", lambda: svc.accept(env, case.number, actor=A("李窗口")))
                    for name, data in AFTER_ACCEPTANCE:
                        step_id = open_steps(env, case.id)[0].id  # the client's read: not counted
                        step(count, name, lambda s=step_id, d=data: svc.complete_task(
                            env, s, actor=A("经办人"), data=d))

                one_case(0, False)  # warm-up: connections, caches
                log(f"7: {n_cases} cases through the services on PostgreSQL, counting round trips")
                for i in range(1, n_cases + 1):
                    one_case(i, True)
            finally:
                engine.dispose()
    finally:
        wire.close()
    total_steps = sum(len(v) for v in per_step.values())
    by_events = sum(e for v in per_step.values() for e, _ in v) / total_steps
    by_wire = sum(w for v in per_step.values() for _, w in v) / total_steps
    judged = max(by_events, by_wire)
    per = {name: statistics.mean(w for _, w in v) for name, v in per_step.items()}
    measured = (f"{by_wire:.1f} on the wire" if by_events == 0 else
                f"{by_events:.1f} (on the wire {by_wire:.1f})")
    seen = (", ".join(f"{k} {v / total_steps:.1f}" for k, v in step_kinds.most_common())
            or "none (the case repository reads and writes through psycopg directly)")
    return [Row("7", "round trips per step, PostgreSQL", measured,
                "≤ 3", judged <= 3, judged,
                f"mean over {total_steps} steps ({n_cases} cases × {len(STEP_NAMES)}); per step on "
                f"the wire: {', '.join(f'{k} {v:.1f}' for k, v in per.items())}; SQLAlchemy side per "
                f"step: {seen}")]


# -- 8. CLI verb -------------------------------------------------------------------------------

def row_8(quick: bool) -> list[Row]:
    """bench/bench_cli.py's run(quick) if that file is there; else the median wall time of
    `sunshine --db sqlite:///… powers list` on a migrated file with the food licence deployed."""
    if (BENCH / "bench_cli.py").exists():
        import bench_cli

        got = bench_cli.run(quick)
        rows = []
        for i, (name, measured, target, met) in enumerate(got):
            rid = "8" if len(got) == 1 else f"8{chr(ord('a') + i)}"
            rows.append(Row(rid, name, measured, target, bool(met), None,
                            f"bench/bench_cli.py run(quick={quick})"))
        return rows
    from _common import food_env, sqlite_url

    runs = 5 if quick else 15
    script = Path(sys.executable).parent / "sunshine"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
    with sqlite_url() as url:
        env, _ = food_env(url)
        env.engine.dispose()  # type: ignore[attr-defined]
        args = cmd + ["--db", url, "powers", "list"]
        penv = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(args, cwd=ROOT, env=penv, check=True, capture_output=True)  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(args, cwd=ROOT, env=penv, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    m = statistics.median(times)
    return [Row("8", "CLI verb answers: sunshine powers list (s)", f"{m:.2f}", "≤ 0.3", m <= 0.3, m,
                f"median of {runs} subprocess runs: {', '.join(f'{t:.2f}' for t in times)}")]


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


ROWS: dict[int, Callable[[bool], list[Row]]] = {
    1: row_1, 2: row_2, 3: row_3, 4: row_4, 5: row_5, 6: row_6, 7: row_7, 8: row_8,
}
NAMES = {
    1: "throughput on SQLite ÷ bare SpiffWorkflow (NORMAL, FULL)",
    2: "bytes per open case at rest",
    3: "p95 of completing a step with many open cases",
    4: "sweep with many open cases ÷ few",
    5: "overdue and near-deadline per unit",
    6: "two workers ÷ one worker",
    7: "round trips per step on PostgreSQL",
    8: "CLI verb answers",
}

TARGETS = {1: "≥ 0.5 (NORMAL), ≥ 0.25 (FULL)", 2: "≤ 4,096 B", 3: "≤ 20 ms", 4: "≤ 1.5",
           5: "≤ 100 ms", 6: "≥ 1.6", 7: "≤ 3", 8: "≤ 0.3 s"}


def run_row(number: int, quick: bool) -> list[Row]:
    """Run one row function; whatever it raises (an engine change in progress, a missing
    server) becomes an "error: …" row, with the traceback on stderr."""
    import traceback

    t0 = time.perf_counter()
    try:
        rows = ROWS[number](quick)
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as err:  # noqa: BLE001 - SystemExit from the bench scripts included
        traceback.print_exc(file=sys.stderr)
        rows = [Row(str(number), NAMES[number], "—", TARGETS[number], None, error=_first_line(err))]
    elapsed = time.perf_counter() - t0
    for r in rows:
        r.seconds = elapsed / len(rows)
    log(f"row {number} done in {elapsed:.1f} s: "
        + "; ".join(f"{r.id} {r.measured} → {r.result}" for r in rows))
    return rows
