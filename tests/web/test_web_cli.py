"""`sunshine web` serves the site and runs the deadline worker in one process, prints the
address, and stops both on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sunshine_web_prints_its_address_serves_pages_and_stops_on_ctrl_c(
        tmp_path: Path, run_cli) -> None:  # noqa: ANN001
    db = f"sqlite:///{tmp_path / 'web.db'}"
    assert run_cli("--db", db, "db", "upgrade").code == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUNSHINE_MODE": "test",
           "SUNSHINE_SWEEP_INTERVAL": "3600"}
    proc = subprocess.Popen(  # a fixed --now: the server and its worker never read the wall clock
        [sys.executable, "-m", "adapters.cli", "--db", db, "--now", "2026-03-02T09:00", "web",
         "--port", "0"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal sends it, even where the suite runs with SIGINT ignored (nohup, a
        # background job), which the child would otherwise inherit and never see the Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "阳光审批 web:" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line and proc.poll() is not None:
                break
        assert "阳光审批 web: http://127.0.0.1:" in line, (line, proc.stderr.read() if proc.stderr else "")
        address = line.split()[2]
        assert "deadline worker" in line
        with urllib.request.urlopen(address + "lookup", timeout=10) as page:
            assert page.status == 200 and "办件进度查询" in page.read().decode("utf-8")
        time.sleep(0.5)  # the worker's first sweep is done: Ctrl-C goes to its scheduler
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    # stopped by Ctrl-C: a clean exit, or (Ctrl-C in the first milliseconds) killed by SIGINT
    assert code in (0, -signal.SIGINT), proc.stderr.read() if proc.stderr else ""
