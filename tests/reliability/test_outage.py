"""The database away: the web answers 503 with a clear page and recovers by itself, the worker
retries with a growing pause and says so in its log, and nothing is half-written.

PostgreSQL is cut off for real: the web process and the worker reach it through a TCP relay the
test closes (every connection dropped, the port refused, as a restart or a network cut looks to
a client) and opens again. SQLite is locked by another process holding the write lock (a backup
or a hand-run maintenance): requests wait out the busy timeout and are then a 503, and go
through once the lock is released.
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.reliability.installation import FOOD, T0, env_at, install, seed_adverts
from tests.reliability.invariants import Ledger, check, due_left
from tests.reliability.processes import Relay, Served, free_port, sunshine_env
from tests.staff import id_number

APPLICATION = {"power": FOOD, "applicant": "张停电", "id_number": id_number("张停电")}


def _until(predicate: Any, timeout: float, what: str) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _answers(http: httpx.Client, path: str) -> int:
    try:
        return http.get(path).status_code
    except httpx.HTTPError:
        return 0


def _unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers.get("Retry-After")
    if r.headers["content-type"].startswith("application/json"):
        body = r.json()
        assert body["code"] == "database_unavailable" and "数据库暂时无法访问" in body["message"]
        assert set(body) <= {"code", "message", "field"}
    else:
        assert "暂停服务" in r.text and "数据库暂时无法访问" in r.text and "Traceback" not in r.text


@pytest.mark.slow
def test_postgresql_cut_off_answers_503_then_recovers_and_the_worker_backs_off(
        pg_url: str, tmp_path: Path) -> None:

    keys, _ = install(pg_url, tmp_path)
    relay = Relay("127.0.0.1", 5432)
    relay.start()
    via_relay = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    assert via_relay != pg_url
    now = T0 + timedelta(hours=2)  # the seeded cases' deadlines are days away: nothing due
    child = sunshine_env(tmp_path)
    web = Served("web", via_relay, tmp_path, port=free_port(), env=child)
    worker = Served("worker", via_relay, tmp_path, env=child)
    direct = env_at(pg_url, tmp_path, now)
    web.start(now)
    worker.start(now)
    try:
        web.wait_ready()
        worker.wait_ready()
        http = httpx.Client(base_url=web.base, timeout=30,
                            headers={"Authorization": keys["chuangkou"]})
        assert http.get("/catalogue").status_code == 200
        before = http.post("/api/cases", json={**APPLICATION, "request_key": "before"})
        assert before.status_code == 201
        time.sleep(1)  # the worker's first passes went through

        relay.stop()  # the database is gone
        _unavailable(http.get("/catalogue"))  # a page: the 503 page
        record = f"/api/cases/{before.json()['number']}"
        _unavailable(http.get(record))  # the API: {code, message}
        _unavailable(http.post("/api/cases", json={**APPLICATION, "request_key": "during"}))
        r = http.post(f"/api/cases/{before.json()['number']}/accept", json={})
        _unavailable(r)
        # meanwhile deadlines fall due (written straight to the server, not through the relay)
        seed_adverts(direct, 3, at=now - timedelta(days=45))
        assert due_left(direct, now) > 0
        _until(lambda: worker.output_since_start().count("database unavailable") >= 4, 60,
               "the worker logging its retries")

        relay.start()  # the database is back
        back = time.monotonic()
        recovery = _until(lambda: _answers(http, record) == 200, 30, "the web")
        assert http.get("/catalogue").status_code == 200
        _until(lambda: "database back after" in worker.output_since_start(), 90,
               "the worker's pass after the outage")
        worker_back = time.monotonic() - back
        assert due_left(direct, now) == 0  # what fell due meanwhile has fired

        # nothing half-written: the refused start made no case, the refused acceptance left the
        # case received; the same request goes through now
        again = http.post("/api/cases", json={**APPLICATION, "request_key": "during"})
        assert again.status_code == 201 and again.json()["existing"] is False
        assert http.get(record).json()["state"] == "received"
    finally:
        web.kill()
        worker.kill()
        relay.stop()
    log = worker.output_since_start()
    pauses = [float(p) for p in re.findall(r"next try in ([0-9.]+) s", log)]
    assert len(pauses) >= 4 and pauses[:4] == sorted(pauses[:4]) and pauses[3] > pauses[0], log
    assert re.search(r"database back after \d+ failed tries", log), log
    assert "Traceback" not in log
    served = web.output_since_start()
    assert '" 503' in served and '" 500' not in served and "Traceback" not in served, served

    problems, counts = check(direct, Ledger(started={before.json()["number"]}))
    assert problems == [] and counts.deemed == 3
    print(f"\nPostgreSQL cut off: web answered 200 again {recovery:.1f} s after the database "
          f"came back, the worker fired what fell due {worker_back:.1f} s after; worker pauses "
          f"{pauses}")
    direct.engine.dispose()  # type: ignore[attr-defined]


def test_a_sqlite_database_locked_by_another_process_answers_503_then_recovers(
        tmp_path: Path) -> None:
    """A unit of work waits out SQLite's busy timeout for the write lock (60 s in production,
    0.3 s here: every one but a case's first read begins with it) and is then a 503, the page
    or the JSON; once the lock is released the same requests go through."""
    from fastapi.testclient import TestClient

    from adapters.web.app import create_app

    url = f"sqlite:///{tmp_path / 'sunshine.db'}"
    keys, _ = install(url, tmp_path)
    env = env_at(url, tmp_path, T0)

    @sa.event.listens_for(env.engine, "connect")  # type: ignore[attr-defined]
    def _short_wait(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=300")

    env.engine.dispose()  # type: ignore[attr-defined]
    api = TestClient(create_app(env), headers={"Authorization": keys["chuangkou"]})
    number = api.post("/api/cases", json={**APPLICATION, "request_key": "k1"}).json()["number"]

    locker = sqlite3.connect(tmp_path / "sunshine.db", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        _unavailable(api.get("/catalogue"))  # a page: the 503 page
        _unavailable(api.post(f"/api/cases/{number}/accept", json={}))
        _unavailable(api.post("/api/cases", json={**APPLICATION, "request_key": "k2"}))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert api.get("/catalogue").status_code == 200
    r = api.post(f"/api/cases/{number}/accept", json={})
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    again = api.post("/api/cases", json={**APPLICATION, "request_key": "k2"})
    assert again.status_code == 201 and again.json()["existing"] is False
    problems, _ = check(env, Ledger(started={number}, accepted={number}))
    assert problems == []


def test_the_worker_pause_doubles_from_the_interval_to_a_cap_and_resets_when_back() -> None:
    from adapters.scheduler import Backoff

    t = [0.0]
    backoff = Backoff(2.0, longest=10.0, clock=lambda: t[0])
    assert backoff.ready() and backoff.recovered() is None
    assert [backoff.failed() for _ in range(5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert not backoff.ready()
    t[0] = 25.0
    assert backoff.ready()
    assert backoff.recovered() == (5, 25.0)
    assert backoff.failed() == 2.0  # a new outage starts from the interval again


def test_a_connection_lost_while_postgresql_commits_is_a_503_and_nothing_is_written(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writes go with the COMMIT through the driver itself (adapters/sql/pg_path.py), whose
    errors come unwrapped: a connection lost there is a 503 too, never a 500."""
    import psycopg
    from fastapi.testclient import TestClient

    from adapters.sql import pg_path
    from adapters.web.app import create_app

    keys, _ = install(pg_url, tmp_path)
    env = env_at(pg_url, tmp_path, T0)
    api = TestClient(create_app(env), headers={"Authorization": keys["chuangkou"]})
    number = api.post("/api/cases", json={**APPLICATION, "request_key": "p1"}).json()["number"]
    real = pg_path.run_plans

    def lost(*_args: Any, **_kwargs: Any) -> None:
        raise psycopg.OperationalError("consuming input failed: server closed the connection")

    monkeypatch.setattr(pg_path, "run_plans", lost)
    _unavailable(api.post(f"/api/cases/{number}/accept", json={}))
    monkeypatch.setattr(pg_path, "run_plans", real)
    assert api.get(f"/api/cases/{number}").json()["state"] == "received"
    assert api.post(f"/api/cases/{number}/accept", json={}).json()["state"] == "accepted"
    env.engine.dispose()  # type: ignore[attr-defined]
