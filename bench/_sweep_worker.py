"""One deadline worker process for `python -m bench` (row 6: two workers vs one on PostgreSQL).

    python bench/_sweep_worker.py DATABASE_URL

Builds its Env (as `sunshine worker` does), prints ``ready``, then for every line read from
stdin (an ISO datetime) runs ``sweep(env, that time)`` with no limit and prints one JSON line:
rows fired and skipped, errors, its own start and end (time.time(), so that the parent can put
several workers on one time line) and the CPU seconds it used. Ends at end of input.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import T0, MovableClock, make_env  # noqa: E402

from engine.services.sweep import sweep  # noqa: E402


def main() -> None:
    env = make_env(sys.argv[1], MovableClock(T0))
    print("ready", flush=True)
    for line in sys.stdin:
        at = dt.datetime.fromisoformat(line.strip())
        start, cpu = time.time(), time.process_time()
        report = sweep(env, at, limit=10**9)
        end, cpu = time.time(), time.process_time() - cpu
        print(json.dumps({"fired": report.fired, "skipped": report.skipped,
                          "errors": report.errors[:3], "start": start, "end": end, "cpu": cpu}),
              flush=True)
    env.engine.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
