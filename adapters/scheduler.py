"""The worker: an APScheduler interval job that calls the sweep service. No logic here.

One job per worker process (never one per case); every worker sweeps the same table and the
repository's row locks make each due row fire once. APScheduler 3 keeps its jobs in memory here,
so no job store is shared between processes.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler

from engine.services.context import Env
from engine.services.sweep import sweep

log = logging.getLogger("sunshine.worker")


def run_worker(env: Env, interval_seconds: float) -> None:
    scheduler = BlockingScheduler(timezone="UTC")

    def job() -> None:
        reset = getattr(env, "reset_calendar", None)
        if reset is not None:
            reset()  # pick up a calendar year imported since the last sweep
        report = sweep(env)
        for error in report.errors:
            log.error("deadline failed and set aside (`sunshine timers retry`): %s", error)
        if report.fired or report.skipped:
            log.info("sweep fired %s skipped %s %s", report.fired, report.skipped, report.by_kind)

    scheduler.add_job(job, "interval", seconds=interval_seconds, max_instances=1,
                      coalesce=True, id="sweep")

    def stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one line per sweep is enough
    job()  # sweep at start, do not wait a whole interval
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
