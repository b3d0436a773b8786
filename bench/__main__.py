"""`python -m bench`: every speed target measured, one table (bench/README.md).

    .venv/bin/python -m bench                 # the sizes of the targets (about an hour)
    .venv/bin/python -m bench --quick         # smaller sizes, the same rows, under 3 minutes
    .venv/bin/python -m bench --only 3        # one row (or --only 1,4)
    .venv/bin/python -m bench --json out.json # the table as JSON as well

Stdout carries the table only (machine and date on top, one line per target: name, measured,
target, met | not met | error: …, then a note per row); progress and tracebacks go to stderr.
A row whose product code fails (an engine change in progress, a server not answering) reads
"error: …" and the other rows still run. Benchmarks, not tests: the exit status is 0 whether
the targets are met or not, 1 only if a row ended in an error.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import targets  # noqa: E402  (imports no product code; each row imports what it needs)

ROOT = BENCH.parent
PG_BASE = os.environ.get("SUNSHINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psycopg

        with psycopg.connect(PG_BASE, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        pg = str(row[0]) if row else "?"
    except Exception as err:  # noqa: BLE001 - any reason it does not answer
        pg = f"not reachable ({str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__})"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": pg}


def code_version() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""

    head = git("rev-parse", "--short", "HEAD").strip() or "?"
    dirty = sorted({line[3:].split("/")[0] for line in git(
        "status", "--porcelain", "--", "engine", "adapters", "processes").splitlines()})
    return head + (f", with uncommitted changes in {', '.join(d + '/' for d in dirty)}"
                   if dirty else "")


def table(rows: list[targets.Row]) -> list[str]:
    head = ("", "name", "measured", "target", "result")
    cells = [head] + [(r.id, r.name, r.measured, r.target, r.result) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    return ["  ".join(c[i].ljust(widths[i]) for i in range(4)) + "  " + c[4] for c in cells]


def parse_only(text: str | None) -> list[int]:
    if not text:
        return sorted(targets.ROWS)
    picked = [int(x) for x in text.replace(" ", "").split(",") if x]
    bad = [x for x in picked if x not in targets.ROWS]
    if bad:
        raise SystemExit(f"--only: no row {bad[0]}; rows are {min(targets.ROWS)}–{max(targets.ROWS)}")
    return picked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes (10,000 open cases for row 3, 100 due among 100,000 "
                         "vs 1,000 for row 4, …): under 3 minutes on 2 cores")
    ap.add_argument("--only", metavar="N[,N…]",
                    help="run these rows only: " + "; ".join(
                        f"{k} {v}" for k, v in targets.NAMES.items()))
    ap.add_argument("--json", metavar="FILE", help="also write the table as JSON to FILE")
    args = ap.parse_args(argv)
    numbers = parse_only(args.only)

    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    mach = machine()
    code = code_version()
    targets.log(f"python -m bench{' --quick' if args.quick else ''}: rows "
                f"{', '.join(map(str, numbers))}; PostgreSQL {mach['postgresql']}")
    t0 = time.perf_counter()
    rows: list[targets.Row] = []
    for n in numbers:
        rows.extend(targets.run_row(n, args.quick))
    total = time.perf_counter() - t0
    load_after = os.getloadavg()

    mode = "quick (smaller sizes)" if args.quick else "full"
    lines = [
        f"Sunshine speed targets — python -m bench{' --quick' if args.quick else ''}, {mode}",
        f"date:     {started:%Y-%m-%d %H:%M} UTC",
        f"machine:  {mach['cpu']}, {mach['cores']} cores; Python {mach['python']}; "
        f"SQLite {mach['sqlite']}; PostgreSQL {mach['postgresql']}",
        f"code:     {code}",
        "",
        *table(rows),
        "",
        "notes:",
        *(f"  {r.id:3s} {r.detail} [{r.seconds:.0f} s]" for r in rows if r.detail or r.error),
        f"took {total:.0f} s; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
    ]
    print("\n".join(lines), flush=True)
    if args.json:
        doc = {
            "mode": "quick" if args.quick else "full",
            "date": started.isoformat(timespec="seconds"),
            "machine": mach,
            "code": code,
            "seconds": round(total, 1),
            "load_average": {"before": load_before[0], "after": load_after[0]},
            "rows": [{**dataclasses.asdict(r), "result": r.result} for r in rows],
        }
        Path(args.json).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 1 if any(r.error is not None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
