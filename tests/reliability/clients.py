"""The campaign's clients: systems calling the JSON API with API keys, and an official at the
console running `sunshine task complete`; each answer 200/201 (exit 0) goes into the ledger of
what was seen committed (tests/reliability/invariants.py checks it is all there)."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.reliability.installation import FOOD, FORMS, HANDLERS, STAFF, T0
from tests.reliability.invariants import Ledger
from tests.reliability.processes import sunshine_env


class Shared:
    """What the clients share: the ledger, the received cases and the counters."""

    def __init__(self, max_cases: int) -> None:
        self.lock = threading.Lock()
        self.ledger = Ledger()
        self.received: set[str] = set()
        self.max_cases = max_cases
        self.requests = self.unknown = self.retried = self.cli_steps = 0
        self.inflight = 0
        self.running = threading.Event()
        self.stopped = threading.Event()


class ApiClient(threading.Thread):
    """A system calling the JSON API with API keys, one request at a time."""

    def __init__(self, shared: Shared, base: str, keys: dict[str, str], seed: int) -> None:
        super().__init__(daemon=True)
        import httpx

        self.shared, self.keys, self.random = shared, keys, random.Random(seed)
        self.http = httpx.Client(base_url=base, timeout=30)
        self.pending_keys: list[str] = []  # starts whose answer was lost: sent again
        self.name_prefix = f"c{seed}"
        self.serial = 0

    def run(self) -> None:
        while not self.shared.stopped.is_set():
            if not self.shared.running.wait(0.1):
                continue
            try:
                self.act()
            except Exception:  # noqa: BLE001 - a refused connection while the web is down
                time.sleep(0.05)
            time.sleep(self.random.uniform(0.0, 0.08))

    def call(self, method: str, path: str, login: str, body: Any = None) -> Any:
        import httpx

        with self.shared.lock:
            self.shared.requests += 1
            self.shared.inflight += 1
        try:
            return self.http.request(method, path, json=body,
                                     headers={"Authorization": self.keys[login]})
        except httpx.ConnectError:
            raise  # nothing reached the server
        except httpx.HTTPError:
            if method == "POST":
                with self.shared.lock:
                    self.shared.unknown += 1
            raise
        finally:
            with self.shared.lock:
                self.shared.inflight -= 1

    def act(self) -> None:
        s, rnd = self.shared, self.random
        with s.lock:
            room = len(s.ledger.started) < s.max_cases
            received = sorted(s.received)
        if self.pending_keys or (room and rnd.random() < 0.3):
            self.start_case()
        elif received and rnd.random() < 0.7:
            number = rnd.choice(received)
            r = self.call("POST", f"/api/cases/{number}/accept", "chuangkou", {"note": "材料齐全"})
            self.note_write(r)
            if r.status_code == 200:
                with s.lock:
                    s.ledger.accepted.add(number)
                    s.received.discard(number)
            elif r.status_code == 409:
                with s.lock:
                    s.received.discard(number)  # accepted by someone else already
        else:
            self.complete_a_step(rnd.choice(HANDLERS))

    def note_write(self, r: Any) -> None:
        if r.status_code == 503:
            with self.shared.lock:
                self.shared.unknown += 1

    def start_case(self) -> None:
        if self.pending_keys:
            key, again = self.pending_keys.pop(), True
        else:
            self.serial += 1
            key, again = f"{self.name_prefix}-{uuid.uuid4().hex[:8]}-{self.serial}", False
        applicant = f"申请人{self.name_prefix}{self.serial}"
        from tests.staff import id_number

        body = {"power": FOOD, "applicant": applicant, "id_number": id_number(applicant),
                "phone": "13800001234" if self.serial % 2 else "", "request_key": key}
        try:
            r = self.call("POST", "/api/cases", "chuangkou", body)
        except Exception:
            self.pending_keys.append(key)
            raise
        self.note_write(r)
        if r.status_code in (200, 201):
            number = r.json()["number"]
            with self.shared.lock:
                self.shared.ledger.started.add(number)
                self.shared.received.add(number)
                self.shared.retried += again and r.status_code == 200
        elif r.status_code == 503:
            self.pending_keys.append(key)

    def complete_a_step(self, login: str) -> None:
        r = self.call("GET", "/api/tasks", login)
        if r.status_code != 200 or not r.json():
            return
        task = self.random.choice(r.json())
        self.call("POST", f"/api/tasks/{task['id']}/claim", login)
        data = FORMS.get(task["name"], {"opinion": "同意"})
        r = self.call("POST", f"/api/tasks/{task['id']}/complete", login, {"data": data})
        self.note_write(r)
        if r.status_code == 200:
            with self.shared.lock:
                self.shared.ledger.completed[task["id"]] = (task["case_number"], login)


class CliClient(threading.Thread):
    """An official at the console: `sunshine task complete` on a ready step of their post."""

    def __init__(self, shared: Shared, url: str, workdir: Path, seed: int) -> None:
        super().__init__(daemon=True)
        from tests.reliability.installation import env_at

        self.shared, self.url, self.workdir = shared, url, workdir
        self.random = random.Random(seed)
        self.now = T0
        self.env = env_at(url, workdir, T0)

    def run(self) -> None:
        from adapters.sql import tables as t

        while not self.shared.stopped.is_set():
            if not self.shared.running.wait(0.1):
                continue
            login = self.random.choice(HANDLERS)
            with self.env.engine.connect() as conn:  # type: ignore[attr-defined]
                ready = conn.execute(sa.select(t.steps.c.id, t.steps.c.case_number,
                                               t.steps.c.name).where(
                    t.steps.c.status == "ready", t.steps.c.post == STAFF[login][3][0])).all()
            if not ready:
                time.sleep(0.2)
                continue
            step = self.random.choice(ready)
            data = FORMS.get(step.name, {"opinion": "同意"})
            args = [f"--data={k}={v}" for k, v in data.items()]
            done = subprocess.run(
                [sys.executable, "-m", "adapters.cli", "--db", self.url, "--now",
                 self.now.isoformat(), "task", "complete", step.id, "--as", login, *args],
                cwd=self.workdir, env=sunshine_env(self.workdir), capture_output=True,
                timeout=120)
            if done.returncode == 0:
                with self.shared.lock:
                    self.shared.ledger.completed[step.id] = (step.case_number, login)
                    self.shared.cli_steps += 1
