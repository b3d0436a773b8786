"""A thin driver over the `sunshine` CLI for end-to-end and per-process tests.

Everything goes through ``run_cli`` (adapters.cli.main, in-process), exactly as an operator
would type it: ``--db URL --now ISO VERB …``. Helpers only parse what the CLI prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.staff import CLERK, id_number

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
PROCESS_FILES = sorted(str(p) for p in PROCESSES.glob("*.bpmn"))

STAFF_FILE = ROOT / "tests" / "fixtures" / "staff.json"

MONDAY = "2026-03-02T09:00"  # Monday 2 March 2026, 09:00 Asia/Shanghai


class CliFailed(AssertionError):
    pass


class Sunshine:
    """The CLI bound to one database, with a default `--now`."""

    def __init__(self, run_cli: Any, db: str, now: str = MONDAY) -> None:
        self.run_cli = run_cli
        self.db = db
        self.now = now

    # -- raw ----------------------------------------------------------------------------

    def run(self, *args: Any, now: str | None = None) -> Any:
        """Run one verb; returns CliResult(code, out, err) whatever the outcome."""
        return self.run_cli("--db", self.db, "--now", now or self.now, *[str(a) for a in args])

    def ok(self, *args: Any, now: str | None = None) -> Any:
        """Run one verb that must succeed."""
        res = self.run(*args, now=now)
        if res.code != 0:
            raise CliFailed(f"`sunshine {' '.join(map(str, args))}` exited {res.code}\n"
                            f"stdout: {res.out}\nstderr: {res.err}")
        return res

    def fails(self, *args: Any, now: str | None = None) -> Any:
        """Run one verb that must fail with a one-line error on stderr."""
        res = self.run(*args, now=now)
        assert res.code != 0, (f"`sunshine {' '.join(map(str, args))}` should have failed\n"
                               f"stdout: {res.out}\nstderr: {res.err}")
        return res

    def json(self, *args: Any, now: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", now=now).out)

    # -- set-up ---------------------------------------------------------------------------

    def setup(self) -> None:
        """A migrated database with the test county's staff registered and every shipped
        process deployed by a designer."""
        self.ok("db", "upgrade")
        self.ok("user", "add", "admin", "--name", "系统管理员", "--unit", "县政务服务中心",
                "--role", "admin")
        self.ok("user", "add", "designer", "--name", "流程设计员", "--unit", "县政务服务中心",
                "--role", "designer", "--as", "admin")
        self.ok("deploy", *PROCESS_FILES, "--as", "designer")
        self.ok("user", "import", STAFF_FILE, "--as", "admin")

    # -- cases ----------------------------------------------------------------------------

    def start(self, code: str, applicant: str = "张三", *data: str, now: str | None = None,
              clerk: str = CLERK) -> str:
        """收件 by ``clerk``; the applicant gets a valid ID number made from the name."""
        args: list[str] = ["case", "start", code, "--applicant", applicant,
                           "--id-number", id_number(applicant), "--as", clerk]
        for pair in data:
            args += ["--data", pair]
        number = self.ok(*args, now=now).out.strip()
        assert number, "case start printed no case number"
        return number

    def show(self, number: str) -> dict[str, Any]:
        return self.json("case", "show", number)

    def tasks(self, number: str) -> list[dict[str, Any]]:
        return self.json("task", "list", "--case", number)

    def task(self, number: str, name: str) -> dict[str, Any]:
        """The one ready step of the case with this name."""
        found = [t for t in self.tasks(number) if t["name"] == name]
        names = [t["name"] for t in self.tasks(number)]
        assert len(found) == 1, f"expected one ready step “{name}” in {number}, ready: {names}"
        return found[0]

    def complete(self, number: str, name: str, user: str, *data: str,
                 now: str | None = None) -> Any:
        task_id = self.task(number, name)["id"]
        args: list[str] = ["task", "complete", task_id, "--as", user]
        for pair in data:
            args += ["--data", pair]
        return self.ok(*args, now=now)

    def accept(self, number: str, user: str = "李窗口", now: str | None = None) -> Any:
        return self.ok("case", "accept", number, "--as", user, now=now)

    def sweep(self, now: str) -> str:
        return self.ok("timers", "run-once", now=now).out

    def breaches(self) -> list[dict[str, Any]]:
        return self.json("breach", "list")


def step(record: dict[str, Any], name: str, status: str = "completed") -> dict[str, Any]:
    """The (last) step called ``name`` with this status in a case record."""
    found = [s for s in record["steps"] if s["name"] == name and s["status"] == status]
    assert found, (f"no {status} step “{name}” in {record['number']}: "
                   f"{[(s['name'], s['status']) for s in record['steps']]}")
    return found[-1]


def done_steps(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, post, person) of every completed step, in order."""
    return [(s["name"], s["post"], s["person"]) for s in record["steps"]
            if s["status"] == "completed"]


def one_line_error(res: Any) -> str:
    """The error a failing verb printed: exactly one non-empty line on stderr (besides the
    request key `case start` prints before it tries, for a retry)."""
    lines = [ln for ln in res.err.splitlines()
             if ln.strip() and not ln.startswith("请求编号 request key:")]
    assert len(lines) == 1, f"expected a one-line error, got stderr:\n{res.err}"
    return lines[0]


def supplement_then_accept(sun: Sunshine, number: str, *items: str, clerk: str = "李窗口",
                           now: str | None = None) -> dict[str, Any]:
    """一次性告知 → 补正 → 受理 at the window; returns the record after acceptance."""
    args: list[str] = []
    for item in items or ("申请书",):
        args += ["--item", item]
    sun.ok("case", "supplement", number, "--as", clerk, *args, now=now)
    record = sun.show(number)
    assert record["state"] == "in_correction", record["state"]
    waiting = [s for s in record["steps"] if s["status"] == "ready"]
    assert [s["role"] for s in waiting] == ["supplement"], waiting
    assert [t["name"] for t in sun.tasks(number)] == [waiting[0]["name"]]
    sun.ok("case", "supplemented", number, "--as", clerk, now=now)
    assert sun.show(number)["state"] == "received"
    sun.accept(number, clerk, now=now)
    record = sun.show(number)
    assert record["state"] == "accepted"
    assert record["promised_deadline"], "no promised deadline after acceptance"
    return record
