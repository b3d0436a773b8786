"""Read models over the SQL tables (SQLAlchemy Core): one statement per question, no aggregate
loaded. engine/read_models.py says what each one computes.

``open_cases_by_definition`` counts on the case table alone, grouped by definition id, and
reads only open cases through the partial index ``ix_cases_open_due`` (definition_id,
promised_due, clock, suspended_since) WHERE state IN the open states (migrations 0005, 0007): closed cases, most of the
table, are never read. It does not join ``definitions``: ``power`` is a ``json`` column on
PostgreSQL and reading a field of it re-parses the whole document on every row
(PERFORMANCE-NOTES: 7.5 s on 1M cases); the service maps the few definition ids to units,
reading their catalogue entries once (``catalogue_entries``: one query, the entries alone).
On PostgreSQL the count is an index-only scan as long as the table's visibility map is kept
up to date (autovacuum); bench/bench_overview.py measures it on 1,000,000 cases.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from adapters.sql import tables as t
from engine.model import CardDecision
from engine.read_models import (
    DECIDED_CLOCK,
    OPEN_STATES,
    SUSPENDED_CLOCK,
    BreachFacts,
    CardFacts,
    CaseFacts,
    ComplaintFacts,
    DefinitionCounts,
    RatingFacts,
    StepFacts,
)


def _constant(value: str) -> sa.ColumnElement[Any]:
    """A string constant written into the SQL, not bound: the planners match a partial index's
    WHERE against the query's own text (SQLite needs the same IN list; PostgreSQL must prove
    it even for a generic plan, which psycopg may use once it prepares a repeated statement)."""
    return sa.literal_column("'" + value.replace("'", "''") + "'")


def _open_cases_statement() -> sa.Select[Any]:
    c = t.cases.c
    undecided = c.clock != _constant(DECIDED_CLOCK)
    running = c.clock.not_in([_constant(DECIDED_CLOCK), _constant(SUSPENDED_CLOCK)])
    now, near_until = sa.bindparam("now", type_=t.UTCDateTime), sa.bindparam(
        "near_until", type_=t.UTCDateTime)
    expired_before_stop = sa.or_(c.clock != _constant(SUSPENDED_CLOCK),
                                 c.promised_due <= c.suspended_since)
    overdue = sa.func.count().filter(undecided, c.promised_due <= now, expired_before_stop)
    near = sa.func.count().filter(running, c.promised_due > now, c.promised_due <= near_until)
    return (sa.select(c.definition_id, overdue.label("overdue"), near.label("near"),
                      sa.func.count().label("open"))
            .where(c.state.in_([_constant(s) for s in OPEN_STATES]))
            .group_by(c.definition_id)
            .order_by(c.definition_id))


OPEN_CASES_BY_DEFINITION = _open_cases_statement()
WITHDRAWN = CardDecision.WITHDRAWN.value  # a withdrawn card (撤销) no longer counts
ORDERED = "case_ordered"  # the trail's event of a supervision order (engine/case_answers.py)


class SqlSupervisionReads:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_cases_by_definition(self, now: datetime,
                                 near_until: datetime) -> list[DefinitionCounts]:
        rows = self.conn.execute(OPEN_CASES_BY_DEFINITION, {"now": now, "near_until": near_until})
        return [DefinitionCounts(int(r.definition_id), int(r.overdue), int(r.near), int(r.open))
                for r in rows]

    def catalogue_entries(self, definition_ids: Collection[int]) -> dict[int, dict[str, Any]]:
        wanted = sorted(i for i in definition_ids if i is not None)
        if not wanted:
            return {}
        d = t.definitions.c
        rows = self.conn.execute(sa.select(d.id, d.power).where(d.id.in_(wanted)))
        return {int(r.id): r.power for r in rows}

    # -- the statistics' facts (engine/stats.py counts them) ----------------------------------

    def case_facts(self, start: datetime, end: datetime) -> list[CaseFacts]:
        c = t.cases.c
        within = [sa.and_(col >= start, col < end)
                  for col in (c.received_at, c.accepted_at, c.closed_at)]
        rows = self.conn.execute(
            sa.select(c.number, c.power_code, c.definition_id, c.state, c.received_at,
                      c.accepted_at, c.promised_day, c.closed_at, c.deemed, c.stopped_days)
            .where(sa.or_(*within)).order_by(c.number))
        return [CaseFacts(*r) for r in rows]

    def step_facts(self, start: datetime, end: datetime) -> list[StepFacts]:
        s, c = t.steps.c, t.cases.c
        rows = self.conn.execute(
            sa.select(s.case_number, s.power_code, c.definition_id, s.name, s.post, s.department,
                      s.completed_by, s.completed_at, s.due_at, s.counted)
            .join_from(t.steps, t.cases, c.id == s.case_id)
            .where(s.status == "completed", s.completed_at >= start, s.completed_at < end)
            .order_by(s.case_number, s.completed_at, s.id))
        return [StepFacts(*r) for r in rows]

    def card_facts(self, start: datetime, end: datetime) -> list[CardFacts]:
        k, c = t.cards.c, t.cases.c
        rows = self.conn.execute(
            sa.select(c.number, c.power_code, c.definition_id, k.kind, k.against, k.issued_at,
                      k.post, k.person)
            .join_from(t.cards, t.cases, c.id == k.case_id)
            .where(k.issued_at >= start, k.issued_at < end,
                   sa.or_(k.decision.is_(None), k.decision != WITHDRAWN))
            .order_by(k.issued_at, k.id))
        return [CardFacts(*r) for r in rows]

    def breach_facts(self, start: datetime, end: datetime) -> list[BreachFacts]:
        b, c, p = t.breaches.c, t.cases.c, t.powers.c
        rows = self.conn.execute(
            sa.select(b.case_number, sa.func.coalesce(c.power_code, b.power_code),
                      sa.func.coalesce(c.definition_id, p.latest_definition_id), b.kind,
                      b.occurred_at, b.post, b.person, b.measure, b.ref, b.unit)
            .select_from(t.breaches.outerjoin(t.cases, c.id == b.case_id)
                         .outerjoin(t.powers, p.code == b.power_code))
            .where(b.occurred_at >= start, b.occurred_at < end)
            .order_by(b.occurred_at, b.id))
        return [BreachFacts(*r) for r in rows]

    def ordered_cases(self) -> list[str]:
        """Cases whose trail has a supervision order (督办): read from the audit trail, the
        only place every order is named (the orders themselves are in the case's data)."""
        e, c = t.audit_events.c, t.cases.c
        ids = sa.select(e.case_id).where(e.kind == ORDERED)
        rows = self.conn.execute(sa.select(c.number).where(c.id.in_(ids)).order_by(c.id))
        return list(rows.scalars())

    # -- 好差评 and 投诉 (engine/services/feedback.py, complaints.py) ---------------------------

    def bad_rating_facts(self, start: datetime, end: datetime) -> list[RatingFacts]:
        r, c = t.ratings.c, t.cases.c
        rows = self.conn.execute(
            sa.select(r.case_number, r.power_code, c.definition_id, r.unit, r.score, r.rated_at)
            .join_from(t.ratings, t.cases, c.id == r.case_id)
            .where(r.review_due.is_not(None), r.rated_at >= start, r.rated_at < end)
            .order_by(r.rated_at, r.id))
        return [RatingFacts(*row) for row in rows]

    def upheld_complaint_facts(self, start: datetime, end: datetime) -> list[ComplaintFacts]:
        k, c = t.complaints.c, t.cases.c
        rows = self.conn.execute(
            sa.select(k.number, k.case_number, c.power_code, c.definition_id, k.against_unit,
                      k.against_post, k.against_person, k.decided_at)
            .select_from(t.complaints.outerjoin(t.cases, c.number == k.case_number))
            .where(k.status == "upheld", k.decided_at >= start, k.decided_at < end)
            .order_by(k.decided_at, k.id))
        return [ComplaintFacts(*row) for row in rows]
