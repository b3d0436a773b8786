"""Any number of workers on one PostgreSQL fire each deadline exactly once.

Two thousand cases with deadlines due; one worker process is killed (SIGKILL) in the middle of
its sweep, then three worker processes sweep at the same time. Afterwards: every due row fired
once, no case was deemed approved twice, no card or breach is duplicated, none was missed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from engine.case import Case
from engine.services import cases as svc
from engine.services.catalogue_admin import deploy
from tests.conftest import PROCESSES, ROOT, make_env
from tests.staff import CLERK, A, person  # noqa: F401

SCALE = float(os.environ.get("SUNSHINE_WORKER_TEST_SCALE", "1"))
DEEMED_CASES = int(400 * SCALE)  # outdoor advertising (超时默许), waiting at the decision step
PLAIN_CASES = int(1600 * SCALE)  # food licence (no deemed approval), accepted and in review
SWEEP_AT = "2026-06-01T09:00"
SEEDED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 09:00 CST: received, accepted, worked
SEED_BATCH = 200  # cases per unit of work while seeding


def _worker(url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "--db", url, "--now", SWEEP_AT, "timers",
         "run-once"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _seed_batch(env, power_code: str, applicants: list[str], completions: int) -> list[str]:  # noqa: ANN001
    """Receive, start and accept one case per applicant and complete its first open step
    ``completions`` times, all in one unit of work (one commit): the same calls on the aggregate
    as ``start_case``, ``accept`` and ``complete_task`` make, without a transaction for each.
    The rows and audit chains are the same as theirs; only the case row's version counter ends at
    2 (one save) instead of one more per call."""
    numbers = []
    with env.uow() as uow:
        definition = uow.definitions.latest(power_code)
        where = svc.setting(env, uow, definition.id)
        year = where.calendar.local_date(SEEDED_AT).year
        prefix = f"{year}-{where.power.short_name}"
        for applicant in applicants:
            case = Case.receive(where, number=f"{prefix}-{uow.cases.next_serial(prefix):06d}",
                                definition_id=definition.id, applicant=applicant, data={},
                                channel="window", received_at=SEEDED_AT)
            uow.cases.add(case)
            case.start(now=SEEDED_AT, actor="window", version=definition.version)
            case.accept(now=SEEDED_AT, actor="窗口")
            for _ in range(completions):
                case.complete(case.open_steps()[0].id, now=SEEDED_AT, user="经办人",
                              data={"opinion": "同意"})
            uow.cases.save(case)
            numbers.append(case.number)
        uow.commit()
    return numbers


def _seed_many(env, power_code: str, applicant: str, count: int, completions: int) -> list[str]:  # noqa: ANN001
    numbers: list[str] = []
    for first in range(0, count, SEED_BATCH):
        names = [f"{applicant}{i}" for i in range(first, min(first + SEED_BATCH, count))]
        numbers += _seed_batch(env, power_code, names, completions)
    return numbers


def _seed(env) -> tuple[list[str], list[str]]:  # noqa: ANN001
    # 现场勘查, 审查 completed → the decision step is open
    deemed = _seed_many(env, "XK-HWGG-001", "广告申请人", DEEMED_CASES, completions=2)
    plain = _seed_many(env, "XK-SPJY-001", "食品申请人", PLAIN_CASES, completions=0)
    return deemed, plain


@pytest.mark.slow
def test_three_workers_and_a_killed_one_fire_every_deadline_exactly_once(pg_url, clock):
    env = make_env(pg_url, clock)
    deploy(env, [str(PROCESSES / "outdoor_advertising_permit.bpmn"),
                 str(PROCESSES / "food_business_licence.bpmn")], actor=A("designer"))
    deemed, plain = _seed(env)
    engine = env.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        due_before = conn.execute(sa.text(
            "SELECT count(*) FROM timers WHERE status = 'pending' AND due_at <= :at"),
            {"at": "2026-06-01T01:00:00+00:00"}).scalar_one()
    assert due_before > 5000 * SCALE  # a few thousand due rows, not a handful

    killed = _worker(pg_url)
    time.sleep(4)  # let it claim and fire a share of the rows, then kill it mid-sweep
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    workers = [_worker(pg_url) for _ in range(3)]
    outputs = [w.communicate(timeout=900) for w in workers]
    for w, (_out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err.decode()
    fired_by_workers = sum(int(out.decode().split()[1].rstrip(",")) for out, _ in outputs)
    assert fired_by_workers > 0
    assert all(int(out.decode().split()[1].rstrip(",")) > 0 for out, _ in outputs), \
        "every worker should have done a share of the sweep"

    final = _worker(pg_url)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    assert out.decode().startswith("fired 0,"), "nothing may be left for a later sweep"

    with engine.connect() as conn:
        left = conn.execute(sa.text(
            "SELECT count(*) FROM timers WHERE status = 'pending' AND due_at <= :at"),
            {"at": "2026-06-01T01:00:00+00:00"}).scalar_one()
        assert left == 0, "no due deadline may be missed"
        events = conn.execute(sa.text(
            "SELECT c.number, e.kind, e.payload FROM audit_events e JOIN cases c "
            "ON c.id = e.case_id WHERE e.kind IN ('deemed_approved', 'card_issued', "
            "'breach_recorded')")).all()
        states = dict(conn.execute(sa.text("SELECT number, deemed FROM cases")).all())
        breach_rows = conn.execute(sa.text(
            "SELECT case_number, kind, coalesce(task_id, '-') FROM breaches")).all()

    deemed_events = Counter(n for n, kind, _ in events if kind == "deemed_approved")
    assert set(deemed_events) == set(deemed), "every deemed case approved, no other"
    assert max(deemed_events.values()) == 1, "no case was deemed approved twice"
    assert all(states[n] for n in deemed) and not any(states[n] for n in plain)

    card_events = Counter((n, p["card"], p["against"], p.get("step")) for n, k, p in events
                          if k == "card_issued")
    assert max(card_events.values()) == 1, "no card issued twice"
    red = {n for (n, card, _, _) in card_events if card == "red"}
    assert red == set(deemed) | set(plain), "every case past its promised deadline has a red card"

    breach_events = Counter((n, p["kind"], p.get("step")) for n, k, p in events
                            if k == "breach_recorded")
    assert max(breach_events.values()) == 1, "no breach recorded twice"
    assert len(breach_rows) == len(set(breach_rows)) == sum(breach_events.values())
    overdue_cases = {n for n, kind, _ in breach_rows if kind == "overdue_case"}
    assert overdue_cases == set(plain)
