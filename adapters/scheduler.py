"""The worker: an APScheduler interval job that calls the sweep service, then one notice
delivery pass. No logic here.

One job per worker process (never one per case); every worker sweeps the same table and the
repository's row locks make each due row fire once, and each due notice go out once. APScheduler
3 keeps its jobs in memory here, so no job store is shared between processes. The senders are
built once from the settings; a channel with none (no SMTP server configured) is named once in
the log, and its notices wait in the outbox.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler

from engine.services.context import Env
from engine.services.notices import deliver_due
from engine.services.sweep import sweep

log = logging.getLogger("sunshine.worker")


def delivery_senders(env: Env) -> dict[Any, Any]:
    """The notice senders from the environment's settings, each missing channel logged once."""
    from adapters.config import load_settings
    from adapters.delivery import build_senders

    senders, notes = build_senders(load_settings(), clock=env.clock)
    for note in notes:
        log.warning("notices: %s", note)
    return senders


def run_worker(env: Env, interval_seconds: float, senders: dict[Any, Any] | None = None) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one line per sweep is enough
    channels = delivery_senders(env) if senders is None else senders

    def job() -> None:
        reset = getattr(env, "reset_calendar", None)
        if reset is not None:
            reset()  # pick up a calendar year imported since the last sweep
        report = sweep(env)
        for error in report.errors:
            log.error("deadline failed and set aside (`sunshine timers retry`): %s", error)
        if report.fired or report.skipped:
            log.info("sweep fired %s skipped %s %s", report.fired, report.skipped, report.by_kind)
        delivered = deliver_due(env, channels)
        for error in delivered.errors:
            log.warning("notice not delivered, will retry or was given up (`sunshine notice "
                        "list --status failed`): %s", error)
        if delivered.sent or delivered.retrying or delivered.gave_up:
            log.info("notices sent %s retrying %s given up %s", delivered.sent,
                     delivered.retrying, delivered.gave_up)

    scheduler.add_job(job, "interval", seconds=interval_seconds, max_instances=1,
                      coalesce=True, id="sweep")

    def stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    job()  # sweep at start, do not wait a whole interval
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
