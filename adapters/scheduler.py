"""The worker: an APScheduler interval job that calls the sweep service, then one notice
delivery pass. No logic here.

One job per worker process (never one per case); every worker sweeps the same table and the
repository's row locks make each due row fire once, and each due notice go out once. APScheduler
3 keeps its jobs in memory here, so no job store is shared between processes. The senders are
built once from the settings; a channel with none (no SMTP server configured) is named once in
the log, and its notices wait in the outbox.

A pass that meets the database away (restarting, unreachable, locked past the wait: the unit of
work's ``is_transient``) changed nothing — each due row and each notice is its own transaction,
rolled back whole — and the worker keeps running: it logs the failure and skips the following
passes for a pause that doubles from the sweep interval up to ``LONGEST_PAUSE``, then logs when
the database is back and sweeps again. Any other error is left to APScheduler, which logs it
and runs the next pass on time.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
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


SEAL_EVERY = dt.timedelta(hours=24)


def seal_if_due(env: Env, key: str, directory: str) -> Path | None:
    """Seal the audit trail when the newest seal in ``directory`` is a day old (or there is
    none); the seal file is what the operator publishes and auditors archive."""
    from adapters.sealing import last_sealed_at, load_signer, write_seal
    from engine.services.anchoring import seal

    now = env.now()
    last = last_sealed_at(directory)
    if last is not None and now - last < SEAL_EVERY:
        return None
    path = write_seal(seal(env, load_signer(key), now=now), directory)
    log.info("audit trail sealed: %s", path)
    return path


class RetentionPacer:
    """When the worker next erases personal data whose retention is over
    (engine/services/retention.py): at start, then daily; at the next pass while a run finds a
    full batch due and erases some (a backlog is worked off batch by batch, not one a day)."""

    def __init__(self) -> None:
        self.next_at: dt.datetime | None = None

    def run_if_due(self, env: Env) -> None:
        from engine.services.retention import BATCH, run_retention

        now = env.now()
        if self.next_at is not None and now < self.next_at:
            return
        run = run_retention(env, None, apply=True, now=now)
        self.next_at = now if run.erased and len(run.due) >= BATCH else now + SEAL_EVERY
        for number, reason in run.failed:
            log.error("personal data of case %s not erased, will retry tomorrow: %s", number,
                      reason)
        if run.erased or run.complaints:
            log.info("personal data erased, retention over (closed before %s): %d case(s), %d "
                     "complaint contact(s); %d kept for open matters", run.closed_before.date(),
                     len(run.erased), run.complaints, len(run.kept))


LONGEST_PAUSE = 60.0  # seconds: the longest wait between two tries while the database is away


class Backoff:
    """The pause after each pass that met the database away: the sweep interval, then twice
    that, four times…, at most ``longest`` (or the interval, if longer); reset by a pass that
    goes through."""

    def __init__(self, first: float, longest: float = LONGEST_PAUSE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.first, self.longest, self.clock = first, max(first, longest), clock
        self.failures = 0
        self.since = 0.0  # when the first failure of this outage was seen
        self.until = 0.0  # no try before this

    def ready(self) -> bool:
        return self.clock() >= self.until

    def failed(self) -> float:
        """One more failed pass: the pause before the next try."""
        now = self.clock()
        if self.failures == 0:
            self.since = now
        self.failures += 1
        pause = min(self.first * 2 ** (self.failures - 1), self.longest)
        self.until = now + pause
        return pause

    def recovered(self) -> tuple[int, float] | None:
        """After a pass that went through: (failed tries, seconds away) if there was an
        outage, and the count starts again."""
        if self.failures == 0:
            return None
        outage = (self.failures, self.clock() - self.since)
        self.failures, self.until = 0, 0.0
        return outage


def run_worker(env: Env, interval_seconds: float, senders: dict[Any, Any] | None = None,
               seal_key: str = "", seal_dir: str = "./seals") -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one line per sweep is enough
    channels = delivery_senders(env) if senders is None else senders

    backoff = Backoff(max(interval_seconds, 0.1))
    retention = RetentionPacer()

    def job() -> None:
        if not backoff.ready():
            return
        try:
            one_pass()
        except Exception as err:
            if not env.uow().is_transient(err):  # building a unit of work opens no connection
                raise
            pause = backoff.failed()
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            log.warning("database unavailable (try %d): pass stopped, its open transaction rolled "
                        "back; next try in %.1f s: %s", backoff.failures, pause, reason)
            return
        outage = backoff.recovered()
        if outage is not None:
            log.info("database back after %d failed tries (%.1f s): sweeping again", *outage)

    def one_pass() -> None:
        reset = getattr(env, "reset_calendar", None)
        if reset is not None:
            reset()  # pick up a calendar year imported since the last sweep
        report = sweep(env)
        for error in report.errors:
            log.error("deadline failed and set aside (`sunshine timers retry`): %s", error)
        if report.fired or report.skipped:
            log.info("sweep fired %s skipped %s %s", report.fired, report.skipped, report.by_kind)
        if seal_key:
            try:
                seal_if_due(env, seal_key, seal_dir)
            except Exception as err:  # a missing key file must not stop the deadlines
                log.error("audit seal failed, will retry at the next sweep: %s", err)
        try:
            retention.run_if_due(env)
        except Exception as err:
            if env.uow().is_transient(err):
                raise
            log.error("personal data retention failed, will retry at the next pass: %s", err)
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
