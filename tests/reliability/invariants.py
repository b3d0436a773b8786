"""What must hold of a Sunshine database after any crash, checked from the outside.

``check(env, ledger)`` reads the whole database (quiescent: every process killed, every client
stopped) and returns what is wrong, one line per problem, with the figures it counted:

- every case loads and its record (what `sunshine case show N --json` prints) is made, its audit
  chain ``intact``, and its trail replayed matches its rows (`sunshine audit verify --all`); its
  ready step rows are exactly the workflow's ready tasks; an open case has no closing time and
  a closed one has;
- every completed step row has exactly one ``step_completed`` event and every such event its
  completed row; every step a client saw committed (HTTP 200/201, CLI exit 0) is there, done by
  that person; every case a client saw started exists, every acceptance is recorded;
- no deadline fired twice: one ``card_issued`` event per card (case, kind, against, step) and
  one card row per event, the same for breaches, at most one deemed approval per case and the
  case's ``deemed`` flag exactly when it has one, no due row pending twice, no ``timer_failed``
  event (a fired row is deleted, its history is these events);
- no notice queued twice or without its cause: one outbox row per dedupe key, each naming an
  event of its case that notifies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from adapters.sql import tables as t
from engine.documents import NOTIFYING
from engine.model import TaskStatus
from engine.services.cases import load
from engine.services.supervision import case_record


@dataclass
class Ledger:
    """What the clients saw committed: case numbers started and accepted, steps completed
    (task id → (case number, login))."""

    started: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    completed: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Counts:
    cases: int = 0
    steps_completed: int = 0
    cards: int = 0
    breaches: int = 0
    deemed: int = 0
    notices: int = 0
    notices_sent: int = 0
    events: int = 0
    replayed: int = 0


def check(env: Any, ledger: Ledger) -> tuple[list[str], Counts]:
    problems: list[str] = []
    counts = Counts()
    engine = env.engine
    with engine.connect() as conn:
        numbers = list(conn.execute(sa.select(t.cases.c.number).order_by(t.cases.c.id)).scalars())
        events = conn.execute(sa.select(t.audit_events.c.case_id, t.audit_events.c.seq,
                                        t.audit_events.c.kind, t.audit_events.c.payload)).all()
        steps = conn.execute(sa.select(t.steps.c.id, t.steps.c.case_number, t.steps.c.status,
                                       t.steps.c.completed_by)).all()
        cards = conn.execute(sa.select(t.cards.c.case_id, t.cards.c.kind, t.cards.c.against,
                                       t.cards.c.task_id)).all()
        breaches = conn.execute(sa.select(t.breaches.c.case_id, t.breaches.c.kind,
                                          t.breaches.c.task_id)).all()
        cases = {r.id: r for r in conn.execute(sa.select(
            t.cases.c.id, t.cases.c.number, t.cases.c.deemed, t.cases.c.accepted_at))}
        outbox = conn.execute(sa.select(t.outbox.c.case_id, t.outbox.c.dedupe,
                                        t.outbox.c.status)).all()
        timers = conn.execute(sa.select(t.timers.c.case_id, t.timers.c.kind, t.timers.c.task_id,
                                        t.timers.c.due_at).where(
            t.timers.c.status == "pending")).all()
    counts.cases, counts.events = len(numbers), len(events)

    for number in numbers:
        try:
            record = case_record(env, number)
        except Exception as err:  # noqa: BLE001 - any failure to show a case is the finding
            problems.append(f"{number}: its record cannot be shown: {type(err).__name__}: {err}")
            continue
        if record["audit_chain"] != "intact":
            problems.append(f"{number}: audit chain {record['audit_chain']}")
        with env.uow() as uow:
            case = load(env, uow, number)
            rows = {s.id for s in case.steps if s.status == TaskStatus.READY}
            tasks = {task.id for task in case.runtime.ready_tasks()}
        if rows != tasks:
            problems.append(f"{number}: ready step rows {sorted(rows)} but the workflow's ready "
                            f"tasks are {sorted(tasks)}")
        if case.state.is_open == (case.closed_at is not None):
            problems.append(f"{number}: state {case.state.value} but closed_at {case.closed_at}")

    from engine.services.audit_check import check as replay  # `sunshine audit verify --all`

    for found in replay(env):
        if found.status != "matches":
            problems.append(f"{found.number}: audit replay {found.status}: "
                            f"{'; '.join(found.problems)}")
        counts.replayed += 1

    by_kind: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}
    for e in events:
        by_kind.setdefault(e.kind, []).append((e.case_id, e.seq, e.payload or {}))

    done = {s.id: s for s in steps if s.status == "completed"}
    counts.steps_completed = len(done)
    completions = Counter(p.get("task_id") for _, _, p in by_kind.get("step_completed", []))
    for task_id, n in completions.items():
        if n != 1 or task_id not in done:
            problems.append(f"step {task_id}: {n} step_completed event(s), row "
                            f"{'completed' if task_id in done else 'not completed'}")
    problems += [f"step {sid} ({s.case_number}) completed with no step_completed event"
                 for sid, s in done.items() if sid not in completions]

    known = set(numbers)
    problems += [f"case {n} was answered as started but is not stored"
                 for n in sorted(ledger.started - known)]
    by_number = {r.number: r for r in cases.values()}
    problems += [f"case {n} was answered as accepted but has no acceptance"
                 for n in sorted(ledger.accepted) if by_number.get(n) is None
                 or by_number[n].accepted_at is None]
    for task_id, (number, login) in sorted(ledger.completed.items()):
        row = done.get(task_id)
        if row is None or row.case_number != number or row.completed_by != login:
            problems.append(f"step {task_id} of {number} was answered as completed by {login} "
                            f"but the stored row says "
                            f"{(row.status, row.completed_by) if row else 'nothing'}")

    issued = Counter((c, p.get("card"), p.get("against"), p.get("step"))
                     for c, _, p in by_kind.get("card_issued", []))
    problems += [f"card {key} issued {n} times" for key, n in issued.items() if n > 1]
    if len(cards) != sum(issued.values()):
        problems.append(f"{len(cards)} card rows but {sum(issued.values())} card_issued events")
    counts.cards = len(cards)
    recorded = Counter((c, p.get("kind"), p.get("step"))
                       for c, _, p in by_kind.get("breach_recorded", []))
    problems += [f"breach {key} recorded {n} times" for key, n in recorded.items() if n > 1]
    own_breaches = [b for b in breaches if b.case_id is not None]
    if len(own_breaches) != sum(recorded.values()):
        problems.append(f"{len(own_breaches)} breach rows but {sum(recorded.values())} "
                        f"breach_recorded events")
    counts.breaches = len(own_breaches)
    deemed = Counter(c for c, _, _ in by_kind.get("deemed_approved", []))
    problems += [f"case #{c} deemed approved {n} times" for c, n in deemed.items() if n > 1]
    problems += [f"{r.number}: deemed flag {r.deemed} but {deemed.get(cid, 0)} deemed_approved "
                 f"event(s)" for cid, r in cases.items() if bool(r.deemed) != (cid in deemed)]
    counts.deemed = len(deemed)
    problems += [f"due row {key} is pending {n} times" for key, n in Counter(
        tuple(r) for r in timers).items() if n > 1]
    problems += [f"case #{c}: a deadline failed and was set aside: {p.get('error')}"
                 for c, _, p in by_kind.get("timer_failed", [])]

    notifying = {(c, s) for c, s, kind, _ in events if kind in NOTIFYING}
    keys = Counter(o.dedupe for o in outbox)
    problems += [f"notice {k} queued {n} times" for k, n in keys.items() if n > 1]
    for o in outbox:
        number, _, rest = o.dedupe.partition("#")
        seq = int(rest.split(":", 1)[0]) if rest.split(":", 1)[0].isdigit() else -1
        if (o.case_id, seq) not in notifying:
            problems.append(f"notice {o.dedupe}: no notifying event {seq} in its case")
    counts.notices = len(outbox)
    counts.notices_sent = sum(o.status == "sent" for o in outbox)
    return problems, counts


def due_left(env: Any, at: Any) -> int:
    """Pending due rows at ``at`` (a fired row is deleted; a failed one is not pending)."""
    with env.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.timers).where(
            t.timers.c.status == "pending", t.timers.c.due_at <= at)).scalar_one())


def claimed_unsent(env: Any, at: Any) -> int:
    """Notices a delivery pass claimed at ``at`` (under its lease) and has not marked sent."""
    with env.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.outbox).where(
            t.outbox.c.status == "pending", t.outbox.c.next_attempt_at > at)).scalar_one())
