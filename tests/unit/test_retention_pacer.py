"""The worker's retention pass (adapters/scheduler.py, RetentionPacer): at start, then once a day;
at once again while a full batch was due and some of it erased (a backlog); a day later when
nothing was due or only cases it could not erase."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from adapters.memory import FakeClock, memory_env
from adapters.scheduler import RetentionPacer
from engine.services import retention


class Runs:
    """run_retention as the worker calls it: each call recorded, its outcome set by the test."""

    def __init__(self) -> None:
        self.calls: list[dt.datetime] = []
        self.due: list[str] = []
        self.erased: list[str] = []

    def __call__(self, env: Any, actor: Any, *, apply: bool,
                 now: dt.datetime) -> retention.RetentionRun:
        assert actor is None and apply  # the worker erases, as system
        self.calls.append(now)
        run = retention.RetentionRun(years=5, closed_before=now, applied=True)
        run.due, run.erased = list(self.due), list(self.erased)  # type: ignore[arg-type]
        return run


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    fake = Runs()
    monkeypatch.setattr(retention, "run_retention", fake)
    return fake


def test_the_worker_erases_at_start_then_daily(runs: Runs) -> None:
    clock = FakeClock("2031-03-03T09:00")
    env, pacer = memory_env(clock), RetentionPacer()
    pacer.run_if_due(env)
    clock.at += dt.timedelta(hours=23)
    pacer.run_if_due(env)
    assert len(runs.calls) == 1
    clock.at += dt.timedelta(hours=1)
    pacer.run_if_due(env)
    assert len(runs.calls) == 2


def test_a_backlog_is_worked_off_pass_after_pass_but_failures_wait_a_day(runs: Runs) -> None:
    clock = FakeClock("2031-03-03T09:00")
    env, pacer = memory_env(clock), RetentionPacer()
    runs.due = [f"2026-食品-{i:06d}" for i in range(retention.BATCH)]
    runs.erased = runs.due[:150]
    pacer.run_if_due(env)
    clock.at += dt.timedelta(seconds=30)
    pacer.run_if_due(env)
    assert len(runs.calls) == 2  # more may be due: the next pass goes on
    runs.erased = []  # a whole batch it could not erase
    clock.at += dt.timedelta(seconds=30)
    pacer.run_if_due(env)
    clock.at += dt.timedelta(seconds=30)
    pacer.run_if_due(env)
    assert len(runs.calls) == 3  # not tried again every 30 s
