"""Read-only use cases for lists: cases, the task list, cards, a case's power. Each is one query
against the tables (a read model), never a load of every case's aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.catalogue import Power
from engine.model import Card, CaseState, StepRecord
from engine.services.context import Env


@dataclass(frozen=True)
class CaseSummary:
    """One line of the case list."""

    number: str
    power_code: str
    applicant: str
    state: CaseState
    received_at: datetime
    promised_day: date | None
    result: str | None
    deemed: bool


def list_cases(env: Env, *, state: str | None = None, power_code: str | None = None,
               limit: int = 200) -> list[CaseSummary]:
    """Cases, newest first."""
    with env.uow() as uow:
        return [CaseSummary(**row) for row in uow.cases.summaries(
            state=state, power_code=power_code, limit=limit)]


def list_tasks(env: Env, *, case_number: str | None = None, post: str | None = None,
               user: str | None = None, include_done: bool = False) -> list[StepRecord]:
    """The task list: steps waiting (or all of them), oldest first."""
    with env.uow() as uow:
        case_id = uow.cases.get(case_number).id if case_number else None
        return uow.steps.list(case_id=case_id, post=post, user=user,
                              status=None if include_done else "ready")


def list_cards(env: Env, *, kind: str | None = None) -> list[tuple[Card, str]]:
    """Supervision cards, newest first, each with its case number."""
    with env.uow() as uow:
        rows = uow.cards.list(kind=kind)
        numbers = uow.cases.numbers({c.case_id for c in rows})
    return [(c, numbers[c.case_id]) for c in rows]


def power_of_definition(env: Env, definition_id: int) -> Power:
    with env.uow() as uow:
        return Power.from_dict(uow.definitions.get(definition_id).power)
