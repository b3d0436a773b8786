"""The timer sweep: fire every due row exactly once, and never let one case stop the others.

Every worker calls ``sweep`` on an interval (adapters/scheduler.py). Each due row is claimed
and fired in its own transaction: the repository claims it with a row lock that other workers
skip (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers); the case's effect
(card, breach, deemed approval, …; a table per kind in engine/case_supervision.py) and the
row's ``fired`` status commit together, so a worker killed mid-sweep leaves the row pending for
the next sweep, and no row fires twice. The cost of a sweep grows with the number of due rows
(an indexed range scan), not with the number of open cases.

A row whose case cannot be loaded, or whose effect fails for any reason at all (an engine
error, a ``TypeError`` from data that cannot be stored, a ``RecursionError`` from a flow cycle,
a ``SystemExit`` raised by a script), is set aside as failed with its reason in the case's trail
(or, when even the case cannot be loaded, on the row alone), and the sweep goes on with the
next row. Only an operator's interrupt stops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.errors import Conflict
from engine.model import Timer
from engine.services.cases import load, save_case
from engine.services.context import Env

SYSTEM = "system"


@dataclass
class SweepReport:
    fired: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)


def sweep(env: Env, now: datetime | None = None, *, limit: int | None = None) -> SweepReport:
    """Fire what is due at ``now``; one transaction per due row."""
    at = env.now(now)
    report = SweepReport()
    budget = limit if limit is not None else env.rules.sweep_batch
    while budget > 0:
        budget -= 1
        try:
            outcome = _fire_one(env, at)
        except Conflict:
            report.skipped += 1  # a user changed the case at the same moment: next sweep retries
            continue
        except TimerFailed as failed:
            report.errors.append(f"case {failed.number} {failed.timer.kind.value}: {failed.reason}")
            continue
        if outcome is None:
            break
        kind, fired = outcome
        if fired:
            report.fired += 1
            report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
        else:
            report.skipped += 1
    _card_overdue_reviews(env, at, report)
    return report


def _card_overdue_reviews(env: Env, at: datetime, report: SweepReport) -> None:
    """好差评: bad ratings not answered by their day are carded (engine/services/feedback.py);
    each case in its own transaction, and a failure here never stops the sweep."""
    from engine.services.feedback import card_overdue_reviews

    try:
        reviews = card_overdue_reviews(env, at)
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as err:  # noqa: BLE001 - the ratings must not stop the deadlines
        report.errors.append(f"reviews: {_reason(err)}")
        return
    report.errors.extend(reviews.errors)
    if reviews.carded:
        report.fired += len(reviews.carded)
        report.by_kind["review_overdue"] = (report.by_kind.get("review_overdue", 0)
                                            + len(reviews.carded))


class TimerFailed(Exception):
    def __init__(self, timer: Timer, reason: str, number: str) -> None:
        super().__init__(reason)
        self.timer, self.reason, self.number = timer, reason, number


def _reason(err: BaseException) -> str:
    text = str(err) or err.__class__.__name__
    return text if isinstance(err, Exception) and hasattr(err, "code") else (
        f"{err.__class__.__name__}: {text}")


def _fire_one(env: Env, at: datetime) -> tuple[str, bool] | None:
    with env.uow() as uow:
        claimed = uow.timers.claim_due(at, 1)
        if not claimed:
            return None
        timer = claimed[0]
        try:
            case = load(env, uow, case_id=timer.case_id, lock=True)
            case.stamp(actor_name=None, written_at=env.written_at())
            fired = case.fire(timer, now=at)
            save_case(uow, case, at)  # with the notices it causes (a deemed approval's decision)
            uow.commit()  # inside: a store may only find the data unstorable when it writes
        except Conflict:
            raise
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as err:  # noqa: BLE001 - one broken case must not stop the rest
            if uow.is_transient(err):
                raise  # the database is away, not the case broken: the row stays pending
            uow.rollback()
            number = _set_aside(env, timer, at, _reason(err))
            raise TimerFailed(timer, _reason(err), number) from None
        return timer.kind.value, fired


def _set_aside(env: Env, timer: Timer, at: datetime, reason: str) -> str:
    """Nothing of the failed firing is kept; the row is set aside as failed with the reason in
    the case's trail, until an operator fixes the cause and requeues it."""
    try:
        with env.uow() as uow:
            case = load(env, uow, case_id=timer.case_id, lock=True)
            case.stamp(actor_name=None, written_at=env.written_at())
            case.set_aside(timer, now=at, reason=reason)
            uow.cases.save(case)
            uow.commit()
            return case.number
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException:  # noqa: BLE001 - the case itself cannot be loaded or saved
        with env.uow() as uow:
            uow.timers.set_aside(timer, at)
            uow.commit()
        return f"#{timer.case_id} (cannot be loaded)"


def retry_failed(env: Env) -> int:
    """Requeue failed due rows (after the cause, e.g. a missing calendar year, is fixed)."""
    with env.uow() as uow:
        count = uow.timers.requeue_failed()
        uow.commit()
    return count
