"""How long a `sunshine` verb takes to answer, as a clerk types it (DESIGN's target: ≤ 0.3 s).

Wall clock of real subprocess runs of the installed ``sunshine`` command, the median of N runs
each (after one unmeasured run, so that the files are in the page cache):

  --help                        the root group's help: no database is touched
  powers list                   a migrated SQLite file with every shipped process deployed
  case show NUMBER              one case on the same file, just received

The database is made the way an operator makes it, through the CLI itself (`db upgrade`,
`deploy processes/*.bpmn`, `case start`), in a fresh temporary directory. Most of a verb's
time is Python importing the libraries it needs, so `--importtime` also prints, per verb,
what ``python -X importtime`` attributes to each top-level import and which heavy libraries
were loaded.

    .venv/bin/python bench/bench_cli.py [--runs 10] [--importtime]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FOOD, PROCESSES, ROOT, machine, median  # noqa: E402

NOW = "2026-03-02T09:00"
TARGET = 0.3
HEAVY = ("sqlalchemy", "alembic", "reportlab", "graphviz", "SpiffWorkflow", "lxml", "psycopg",
         "apscheduler")


def sunshine_command() -> list[str]:
    """The installed console script next to this Python, else the module."""
    script = Path(sys.executable).parent / "sunshine"
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUNSHINE_MODE": "test"}  # it travels (--now)
    env.pop("SUNSHINE_DATABASE_URL", None)
    return env


def prepare(workdir: Path) -> tuple[str, str]:
    """A migrated SQLite file with every process deployed and one case: (url, case number)."""
    url = f"sqlite:///{workdir / 'cli.db'}"
    cli = sunshine_command() + ["--db", url, "--now", NOW]

    def ok(*args: str) -> str:
        return subprocess.run(cli + list(args), cwd=workdir, env=_env(), check=True,
                              capture_output=True, text=True).stdout

    ok("db", "upgrade")
    ok("user", "add", "admin", "--name", "管理员", "--unit", "县政务服务中心", "--role", "admin")
    ok("user", "add", "sheji", "--name", "设计员", "--unit", "县政务服务中心", "--role", "designer",
       "--as", "admin")
    ok("user", "add", "chuangkou", "--name", "窗口", "--unit", "县政务服务中心", "--role", "window",
       "--as", "admin")
    ok("deploy", *sorted(str(p) for p in PROCESSES.glob("*.bpmn")), "--as", "sheji")
    number = ok("case", "start", FOOD, "--applicant", "张三", "--id-number", "110101199003070011",
                "--as", "chuangkou").strip().splitlines()[-1]
    return url, number


def verbs(url: str, number: str) -> dict[str, list[str]]:
    on_db = ["--db", url, "--now", NOW]
    return {"--help": ["--help"], "powers list": on_db + ["powers", "list"],
            "case show": on_db + ["case", "show", number]}


def time_verb(args: list[str], runs: int, workdir: Path) -> list[float]:
    cmd = sunshine_command() + args
    subprocess.run(cmd, cwd=workdir, env=_env(), check=True, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=workdir, env=_env(), check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def import_profile(args: list[str], workdir: Path) -> tuple[list[tuple[str, float]], list[str]]:
    """python -X importtime of one verb: (top-level import, seconds) sorted, heavy libs loaded."""
    code = ("import json, sys; from adapters.cli import main; rc = main(sys.argv[1:]); "
            f"print('LOADED', json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], cwd=workdir,
                          env=_env(), capture_output=True, text=True, check=True)
    top: list[tuple[str, float]] = []
    loaded: list[str] = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)  # no indent: top level
        if m:
            top.append((m.group(2), int(m.group(1)) / 1e6))
        elif line.startswith("LOADED "):
            loaded = json.loads(line[len("LOADED "):])
    return sorted(top, key=lambda x: -x[1]), loaded


def measure(runs: int, importtime: bool = False) -> dict[str, list[float]]:
    workdir = Path(tempfile.mkdtemp(prefix="sunshine-bench-cli-"))
    try:
        url, number = prepare(workdir)
        out = {name: time_verb(args, runs, workdir) for name, args in verbs(url, number).items()}
        if importtime:
            for name, args in verbs(url, number).items():
                top, loaded = import_profile(args, workdir)
                total = sum(s for _, s in top)
                print(f"  {name}: imports {total:.3f} s; heavy libraries loaded: "
                      f"{', '.join(loaded) or 'none'}")
                for mod, sec in top[:5]:
                    print(f"      {sec:6.3f} s  {mod}")
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def row(times: dict[str, list[float]]) -> tuple[str, str, str, bool]:
    medians = {name: median(ts) for name, ts in times.items()}
    worst = max(medians.values())
    detail = ", ".join(f"{name} {m:.2f}" for name, m in medians.items())
    return ("CLI verb answers (s)", f"{worst:.2f} (slowest; {detail})", f"≤ {TARGET:g}",
            worst <= TARGET)


def run(quick: bool) -> list[tuple[str, str, str, bool]]:
    """For a collector (`python -m bench`): the rows (name, measured, target, met)."""
    return [row(measure(5 if quick else 10))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--importtime", action="store_true",
                    help="Also print python -X importtime's top-level imports per verb.")
    args = ap.parse_args()
    m = machine()
    print(f"machine: {m['nproc']} cpus, {m['cpu']}; Python {m['python']}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"`{' '.join(Path(c).name for c in sunshine_command())} …`, wall clock of a subprocess, "
          f"median of {args.runs} runs (s):")
    times = measure(args.runs, args.importtime)
    for name, ts in times.items():
        print(f"  {median(ts):6.3f}  {name:12s}  runs: {' '.join(f'{t:.3f}' for t in ts)}")
    name, measured, target, met = row(times)
    print(f"{name}: {measured}; target {target}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
