"""The kill campaign: web processes and workers SIGKILLed at random points while clients work
cases through the JSON API and the CLI and the workers sweep due deadlines, on SQLite and on
PostgreSQL; after every kill the database is checked (tests/reliability/invariants.py).

One round, at a fixed time ``now`` (SUNSHINE_MODE=test, ``--now``), moved on each round so that
deadlines fall due and the sweeps have work:

1. four advertising cases reach their decision late; ``sunshine web --no-worker``
   (uvicorn) and ``sunshine worker`` start;
2. four API clients (acting as the window clerk, inspector, reviewer, approver and certificate
   clerk, each with an API key) start up to four new food-licence cases, accept them and
   complete steps, and one CLI client completes steps with `sunshine task complete`; every
   answer 200/201 (exit 0) goes into the ledger;
3. the worker is SIGKILLed 0–3 s after it started (it builds its Env, sweeps, then delivers
   the notices), the web 0.5–4 s after it first answered, each at its own random moment (what
   each kill interrupted is counted: a request in flight; the worker's start, sweep or
   delivery);
4. the clients stop and the database is checked: every invariant, and every seal the workers
   wrote is verified against the trail (`audit verify --against`).

At the end a final sweep and delivery pass (at the last time, and an hour later for the
notices' lease) must leave nothing due, every notice sent once (one PDF per print notice),
`sunshine audit seal` then `audit verify --against` pass, and `sunshine case show N --json` works
for every case.

    .venv/bin/python -m tests.reliability.campaign               # 100 kills per backend
    .venv/bin/python -m tests.reliability.campaign --kills 6 --backends sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.reliability.clients import ApiClient, CliClient, Shared
from tests.reliability.installation import SPAN, T0, env_at, install, seed_adverts
from tests.reliability.invariants import check, claimed_unsent, due_left
from tests.reliability.processes import Served, free_port, sunshine_env

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Figures:
    backend: str
    rounds: int = 0
    kills_web: int = 0
    kills_worker: int = 0
    web_kills_mid_request: int = 0
    worker_kills_mid_sweep: int = 0
    worker_kills_before_sweeping: int = 0
    worker_kills_mid_delivery: int = 0
    restarts: int = 0
    api_requests: int = 0
    cli_steps: int = 0
    unknown_outcomes: int = 0  # a write whose answer was lost with the killed web (or a 503)
    starts_retried_same_key: int = 0
    cases: int = 0
    steps_committed_seen_by_clients: int = 0
    steps_committed_found: int = 0
    steps_completed_total: int = 0
    cards: int = 0
    breaches: int = 0
    deemed_approvals: int = 0
    fired_by_final_sweep: int = 0
    due_left_after_final_sweep: int = 0
    notices: int = 0
    notices_sent: int = 0
    print_files: int = 0
    notices_claimed_again_after_a_kill: int = 0
    sms_lines: int = 0
    sms_duplicates: int = 0
    leftover_temp_files: int = 0
    seals_verified: int = 0
    checks: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- one backend -------------------------------------------------------------------------------


def run_backend(backend: str, url: str, kills: int, workdir: Path, *, seed: int = 1,
                log: Any = print) -> Figures:
    """``kills`` SIGKILLs (half of them web processes, half workers) on one database."""

    started = time.monotonic()
    rnd = random.Random(seed)
    fig = Figures(backend)
    keys, seal_key = install(url, workdir)
    log(f"  {backend}: installed in {time.monotonic() - started:.1f} s")
    rounds = max(1, (kills + 1) // 2)
    step = SPAN / rounds
    port = free_port()
    child_env = sunshine_env(workdir, SUNSHINE_SEAL_KEY=str(seal_key))
    web = Served("web", url, workdir, port=port, env=child_env)
    worker = Served("worker", url, workdir, env=child_env)
    shared = Shared(max_cases=0)
    clients = [ApiClient(shared, web.base, keys, seed * 100 + i) for i in range(4)]
    cli = CliClient(shared, url, workdir, seed * 100 + 99)
    for c in (*clients, cli):
        c.start()
    checker = env_at(url, workdir, T0)
    verified: set[str] = set()
    try:
        for r in range(rounds):
            now = T0 + step * (r + 1)
            cli.now = now
            shared.max_cases = 4 * (r + 1) + 4  # new cases round after round: steps to the end
            seed_adverts(checker, 4, now)  # deadlines for later rounds: longer sweeps
            web.start(now)
            worker.start(now)
            t_start = time.monotonic()
            worker.wait_ready()  # it builds its Env, sweeps, then delivers: the kill is timed
            due = due_left(checker, now)  # from here, on its own
            killer = threading.Timer(rnd.uniform(0.0, 3.0), _kill_worker,
                                     (worker, checker, now, due, fig))
            killer.start()
            web.wait_ready()
            shared.running.set()
            ready_s = time.monotonic() - t_start
            fig.restarts += 2
            time.sleep(rnd.uniform(0.5, 4.0))
            fig.web_kills_mid_request += shared.inflight > 0
            web.kill()
            fig.kills_web += 1
            killer.join()
            shared.running.clear()
            _quiesce(shared, cli)
            t_check = time.monotonic()
            problems, counts = check(checker, shared.ledger)
            problems += _verify_seals(checker, workdir / "seals", verified)
            fig.checks += 1
            log(f"    round {r + 1}: ready in {ready_s:.1f} s, checked in "
                f"{time.monotonic() - t_check:.1f} s")
            fig.rounds = r + 1
            if problems:
                fig.problems += [f"round {r + 1}: {p}" for p in problems]
                log(f"  {backend} round {r + 1}: {len(problems)} problem(s): {problems[:3]}")
                break
            if (r + 1) % 10 == 0 or r + 1 == rounds:
                log(f"  {backend}: round {r + 1}/{rounds}, {fig.kills_web + fig.kills_worker} "
                    f"kills, {counts.cases} cases, {counts.steps_completed} steps, "
                    f"{counts.cards} cards, {len(shared.ledger.completed)} steps seen committed")
    finally:
        shared.stopped.set()
        shared.running.set()
        web.kill()
        worker.kill()
    log(f"  {backend}: {rounds} rounds done at {time.monotonic() - started:.1f} s")
    final = T0 + step * rounds
    fig.fired_by_final_sweep = _final_sweep(checker, final)
    fig.due_left_after_final_sweep = due_left(checker, final)
    if fig.due_left_after_final_sweep:
        fig.problems.append(f"{fig.due_left_after_final_sweep} due rows left after the final "
                            f"sweep")
    _final_delivery(checker, final + timedelta(hours=1), child_env)
    problems, counts = check(checker, shared.ledger)
    fig.problems += problems
    fig.problems += _verify_seals(checker, workdir / "seals", verified)
    fig.problems += _seal_and_verify_with_the_cli(url, workdir, final, child_env, seal_key)
    fig.seals_verified = len(verified) + 1
    fig.problems += _case_show_for_every_case(checker, url, final, child_env["SUNSHINE_DATA_KEY"])
    _notice_figures(checker, workdir, fig)
    fig.cases, fig.steps_completed_total = counts.cases, counts.steps_completed
    fig.cards, fig.breaches, fig.deemed_approvals = counts.cards, counts.breaches, counts.deemed
    fig.notices, fig.notices_sent = counts.notices, counts.notices_sent
    if fig.notices_sent != fig.notices:
        fig.problems.append(f"{fig.notices - fig.notices_sent} notices not sent after the final "
                            f"delivery pass")
    fig.api_requests, fig.unknown_outcomes = shared.requests, shared.unknown
    fig.starts_retried_same_key, fig.cli_steps = shared.retried, shared.cli_steps
    fig.steps_committed_seen_by_clients = len(shared.ledger.completed)
    fig.steps_committed_found = fig.steps_committed_seen_by_clients - sum(
        "answered as completed" in p for p in fig.problems)
    checker.engine.dispose()  # type: ignore[attr-defined]
    cli.env.engine.dispose()  # type: ignore[attr-defined]
    fig.seconds = round(time.monotonic() - started, 1)
    log(f"  {backend}: final checks done at {fig.seconds} s")
    return fig


def _kill_worker(worker: Served, checker: Any, now: datetime, due: int, fig: Figures) -> None:
    """SIGKILL the worker and note what it was in the middle of: its sweep (some of the rows due
    when it started fired, some not), its start (none fired yet), its delivery (notices claimed
    and not marked sent)."""
    worker.kill()
    fig.kills_worker += 1
    left = due_left(checker, now)
    fig.worker_kills_mid_sweep += 0 < left < due
    fig.worker_kills_before_sweeping += 0 < left == due
    fig.worker_kills_mid_delivery += claimed_unsent(checker, now) > 0


def _quiesce(shared: Shared, cli: CliClient) -> None:
    """Wait until no client is in the middle of a call (the CLI's subprocess has returned)."""
    deadline = time.monotonic() + 120
    while (shared.inflight or cli_busy(cli)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)


def cli_busy(cli: CliClient) -> bool:
    frames = sys._current_frames()  # noqa: SLF001 - is the CLI thread inside subprocess.run?
    frame = frames.get(cli.ident or -1)
    while frame is not None:
        if frame.f_code.co_name in ("run", "communicate") and "subprocess" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _cli(url: str, workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapters.cli", "--db", url, *args],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)


def _final_sweep(env: Any, at: datetime) -> int:
    """`sunshine timers run-once` at ``at`` (its service, in this process)."""
    from engine.services.sweep import sweep

    report = sweep(env, at)
    if report.errors:
        raise RuntimeError(f"final sweep: {report.errors}")
    return report.fired


def _final_delivery(env: Any, at: datetime, child_env: dict[str, str]) -> None:
    """`sunshine notice deliver` past the claims' lease (what a killed worker had claimed goes
    out now), with the workers' senders."""
    from adapters.config import load_settings
    from adapters.delivery import build_senders
    from engine.services.notices import deliver_due

    senders, _ = build_senders(load_settings(child_env))
    report = deliver_due(env, senders, at, limit=100_000)
    if report.errors:
        raise RuntimeError(f"final delivery: {report.errors}")


def _verify_seals(env: Any, directory: Path, verified: set[str]) -> list[str]:
    """Every seal the workers wrote still matches the trail (audit verify --against)."""
    from adapters.sealing import read_seal
    from adapters.sealing import verify as signature_ok
    from engine.services import anchoring

    problems = []
    for path in sorted(directory.glob("seal-*.json")) if directory.exists() else []:
        found = anchoring.check(env, read_seal(path), signature_ok)
        problems += [f"{path.name}: {p}" for p in found]
        verified.add(path.name)
    return problems


def _seal_and_verify_with_the_cli(url: str, workdir: Path, at: datetime, env: dict[str, str],
                                  key: Path) -> list[str]:
    out = workdir / "final-seal"
    sealed = _cli(url, workdir, env, "--now", at.isoformat(), "audit", "seal", "--key", str(key),
                  "--out", str(out))
    if sealed.returncode != 0:
        return [f"audit seal failed: {sealed.stdout} {sealed.stderr}"]
    replayed = _cli(url, workdir, env, "--now", at.isoformat(), "audit", "verify", "--all")
    problems = ([] if replayed.returncode == 0 else
                [f"audit verify --all: {replayed.stdout[-2000:]} {replayed.stderr[-2000:]}"])
    # the workers' seals were verified in this process (the same check)
    for path in sorted(out.glob("seal-*.json")):
        done = _cli(url, workdir, env, "--now", at.isoformat(), "audit", "verify", "--against",
                    str(path), "--public-key", str(workdir / "seal.pub"))
        if done.returncode != 0:
            problems.append(f"audit verify --against {path.name}: {done.stdout} {done.stderr}")
    return problems


def _case_show_for_every_case(env: Any, url: str, at: datetime, key: str) -> list[str]:
    """`sunshine case show N --json` for every case (in this process: one CLI call each)."""
    from adapters.cli import main
    from adapters.sql import tables as t

    with env.engine.connect() as conn:
        numbers = list(conn.execute(sa.select(t.cases.c.number)).scalars())
    problems = []
    saved = {k: os.environ.get(k) for k in ("SUNSHINE_MODE", "SUNSHINE_DATA_KEY")}
    os.environ.update(SUNSHINE_MODE="test", SUNSHINE_DATA_KEY=key)  # as the child processes
    try:
        for number in numbers:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["--db", url, "--now", at.isoformat(), "case", "show", number,
                             "--json"])
            if code != 0:
                problems.append(f"case show {number} --json: exit {code}: {err.getvalue()}")
            elif json.loads(out.getvalue())["number"] != number:
                problems.append(f"case show {number} --json printed another case")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return problems


def _notice_figures(env: Any, workdir: Path, fig: Figures) -> None:
    """One PDF per print notice (a re-send after a kill overwrites its own file), the SMS log's
    duplicate lines, temporary files a killed writer left."""
    from adapters.delivery.print_queue import file_name
    from adapters.sql import tables as t
    from engine.documents import Document

    directory = workdir / "notices"
    with env.engine.connect() as conn:
        rows = conn.execute(sa.select(t.outbox.c.channel, t.outbox.c.document,
                                      t.outbox.c.attempts, t.outbox.c.status)).all()
    prints = [r for r in rows if r.channel == "print"]
    expected = {file_name(Document.from_dict(r.document)) for r in prints}
    files = {p.name for p in directory.glob("*.pdf") if not p.name.startswith(".tmp-")}
    fig.print_files = len(files)
    if files != expected or len(expected) != len(prints):
        fig.problems.append(f"print queue: {len(prints)} print notices, {len(expected)} distinct "
                            f"files expected, {len(files)} written; missing "
                            f"{sorted(expected - files)[:3]}, unexpected {sorted(files - expected)[:3]}")
    fig.leftover_temp_files = len(list(directory.glob(".tmp-*")))
    fig.notices_claimed_again_after_a_kill = sum(r.attempts > 1 for r in rows if r.status == "sent")
    sms = workdir / "sms.log"
    lines = sms.read_text(encoding="utf-8").splitlines() if sms.exists() else []
    fig.sms_lines = len(lines)
    fig.sms_duplicates = len(lines) - len(set(lines))


# -- the databases -------------------------------------------------------------------------


@contextlib.contextmanager
def database(backend: str, workdir: Path) -> Any:
    """A SQLite file in ``workdir``, or a fresh schema on the test PostgreSQL (dropped after)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'sunshine.db'}"
        return
    base = os.environ.get("SUNSHINE_TEST_PG_URL", PG_BASE)
    schema = f"kill_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def campaign(kills: int, backends: list[str], *, seed: int = 1, keep: bool = False,
             log: Any = print) -> list[Figures]:
    results = []
    for backend in backends:
        workdir = Path(tempfile.mkdtemp(prefix=f"sunshine-kills-{backend}-"))
        try:
            with database(backend, workdir) as url:
                log(f"{backend}: {kills} kills in {workdir}")
                results.append(run_backend(backend, url, kills, workdir, seed=seed, log=log))
        finally:
            if not keep:
                shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs per backend")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", dest="json_path", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args(argv)
    results = campaign(args.kills, args.backends.split(","), seed=args.seed, keep=args.keep,
                       log=lambda m: print(m, file=sys.stderr, flush=True))
    for fig in results:
        print(f"\n== {fig.backend}: {fig.kills_web + fig.kills_worker} kills in {fig.seconds} s")
        for name, value in asdict(fig).items():
            if name not in ("backend", "problems"):
                print(f"  {name:34} {value}")
        print(f"  problems                           {len(fig.problems)}")
        for p in fig.problems[:20]:
            print(f"    ✗ {p}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps([asdict(f) for f in results], indent=2,
                                                   ensure_ascii=False), encoding="utf-8")
    return 1 if any(f.problems for f in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
