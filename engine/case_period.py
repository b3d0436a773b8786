"""Fixed periods (公示期, 征求意见期): a step that stands for a period the public has to object or
comment, held open for its ``timeLimit`` working days and ended by the engine when they run out.

A designer marks it with an interrupting timer boundary event ``sunshine:deadline="period"`` on
the step (docs/designer-guide.md). When the step's own limit passes, the sweep takes the timer's
path instead of carding the step: a period ending on time is the procedure working, not a late
official, so it earns no warning, no yellow card and no breach. These are functions of the
``Case`` aggregate (engine/case.py), called from its step timers (engine/case_supervision.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.model import StepRecord, TaskStatus

if TYPE_CHECKING:
    from engine.case import Case


def period_timer(case: Case, step: StepRecord) -> str | None:
    """The id of the period timer on this step, if the step is a period."""
    return next((t.id for t in case.power.timers
                 if t.deadline == "period" and t.attached_to == step.spec_id), None)


def end_period(case: Case, step: StepRecord) -> bool:
    """The period is over: take the timer's path; False if the step is no longer waiting."""
    timer = period_timer(case, step)
    if timer is None or not case.runtime.fire_timer(timer):
        return False
    step.status, step.outcome, step.completed_at = TaskStatus.CANCELLED, "period_ended", case.now
    case.cancel_timers(task_id=step.id)
    case.event("period_ended", step=step.name, post=step.post, timer=timer,
               days=step.limit_days, started=step.ready_at.isoformat())
    case.sync()
    return True
