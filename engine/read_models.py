"""Read models for supervisors (电子监察): ports and the frozen views services return.

A read model answers one question in one query, without loading aggregates. The port says what
the adapters (adapters/sql/read_models.py, adapters/memory.py) must compute; the views are what
``engine.services.overview`` hands to the CLI and the web.

Definitions used by every implementation of :class:`SupervisionReads`:

* **open** — the case's state is one of :data:`OPEN_STATES` (收件, 受理, 补正中, 特别程序中);
* **overdue** (超期) — open, the decision not yet made (clock not ``stopped``) and the promised
  deadline reached: ``promised_due <= now``; for a case whose clock is suspended (补正 during
  review, a special procedure), only if the deadline had already run out when the clock stopped
  (``promised_due <= suspended_since``): an expired limit has no time left to stop, while one
  still running is frozen and will move when the clock starts again;
* **near deadline** (临近) — open, the clock running and the promised deadline within the
  warning horizon: ``now < promised_due <= near_until``. A suspended case is never near: its
  remaining time does not run.

These are the sweep's own rules (a suspended case gets no red card for a deadline that is still
running), so the overview and the cards always agree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

OPEN_STATES: tuple[str, ...] = ("received", "accepted", "in_correction", "in_special")
DECIDED_CLOCK = "stopped"  # ClockState.STOPPED: the decision is made (or the case closed)
SUSPENDED_CLOCK = "suspended"  # ClockState.SUSPENDED: a clock stop is under way


class DefinitionCounts(NamedTuple):
    """Open cases of one definition version: (definition_id, overdue, near, open)."""

    definition_id: int
    overdue: int
    near: int
    open: int


class CaseFacts(NamedTuple):
    """A case as the statistics count it (the case table's own columns, as the case file shows
    them)."""

    number: str
    power_code: str
    definition_id: int
    state: str
    received_at: datetime
    accepted_at: datetime | None
    promised_day: date | None
    closed_at: datetime | None
    deemed: bool
    stopped_days: int


class StepFacts(NamedTuple):
    """A completed step: who did it, by when it was due, when it was done."""

    case_number: str
    power_code: str
    definition_id: int
    name: str
    post: str | None
    department: str | None
    completed_by: str | None
    completed_at: datetime
    due_at: datetime | None
    counted: bool


class CardFacts(NamedTuple):
    case_number: str
    power_code: str
    definition_id: int
    kind: str
    against: str
    issued_at: datetime
    post: str | None
    person: str | None


class BreachFacts(NamedTuple):
    """A breach as the statistics count it. One with no case (体外审批) names its power itself
    and counts for the power's current version (its unit and name); one with no power either
    (a complaint upheld against a person) counts for the unit it names."""

    case_number: str | None  # None: a breach with no case
    power_code: str | None
    definition_id: int | None
    kind: str
    occurred_at: datetime
    post: str | None
    person: str | None
    measure: str | None  # None: not decided yet
    ref: str | None = None  # what names a breach with no case: offsystem:2026-0001 …
    unit: str | None = None  # a breach with no case and no power: the unit it names


class RatingFacts(NamedTuple):
    """A bad rating (差评: one that opened a review for the unit), as the statistics count it."""

    case_number: str
    power_code: str
    definition_id: int
    unit: str
    score: int
    rated_at: datetime


class ComplaintFacts(NamedTuple):
    """An upheld complaint (投诉属实): the case, step post and person it was against, if any."""

    number: str
    case_number: str | None
    power_code: str | None
    definition_id: int | None
    unit: str | None
    post: str | None
    person: str | None
    decided_at: datetime


class SupervisionReads(Protocol):
    """What the supervision dashboard reads (one query each)."""

    def bad_rating_facts(self, start: datetime, end: datetime) -> list[RatingFacts]:
        """Bad ratings (those with a review day) given in ``start <= rated_at < end``."""

    def upheld_complaint_facts(self, start: datetime, end: datetime) -> list[ComplaintFacts]:
        """Complaints upheld in ``start <= decided_at < end``, those with no case too."""

    def case_facts(self, start: datetime, end: datetime) -> list[CaseFacts]:
        """Cases received, accepted or closed in ``start <= t < end``, by number."""

    def step_facts(self, start: datetime, end: datetime) -> list[StepFacts]:
        """Steps a person completed in ``start <= completed_at < end`` (not those cancelled)."""

    def card_facts(self, start: datetime, end: datetime) -> list[CardFacts]:
        """Cards issued in ``start <= issued_at < end``, except those a supervisor withdrew
        (撤销): a withdrawn card no longer counts."""

    def breach_facts(self, start: datetime, end: datetime) -> list[BreachFacts]:
        """Breaches that occurred in ``start <= occurred_at < end``, those with no case (体外审批)
        included: their power is the breach's own, their definition the power's latest (None
        when the breach names no power)."""

    def ordered_cases(self) -> list[str]:
        """The numbers of the cases that have been given a supervision order (督办), in order."""

    def open_cases_by_definition(self, now: datetime,
                                 near_until: datetime) -> list[DefinitionCounts]:
        """Per definition with open cases: how many are overdue at ``now``, how many fall due
        after ``now`` and no later than ``near_until``, and how many are open; by id."""

    def catalogue_entries(self, definition_ids: Collection[int]) -> dict[int, dict[str, Any]]:
        """The catalogue entry (``Power.to_dict()``) of each of these definition versions, in
        one query: neither the spec nor the BPMN is read."""


@dataclass(frozen=True)
class PowerOverview:
    """One power's open cases (all its deployed versions together)."""

    code: str
    name: str
    overdue: int
    near_deadline: int
    open: int


@dataclass(frozen=True)
class UnitOverview:
    """One implementing unit (实施主体): its open cases, overdue and near their deadline, and
    the same per power, most overdue first."""

    unit: str
    overdue: int
    near_deadline: int
    open: int
    powers: tuple[PowerOverview, ...]


__all__ = ["DECIDED_CLOCK", "OPEN_STATES", "SUSPENDED_CLOCK", "BreachFacts", "CardFacts",
           "CaseFacts", "ComplaintFacts", "DefinitionCounts", "RatingFacts", "StepFacts",
           "PowerOverview", "SupervisionReads", "UnitOverview"]
