"""What the retention of personal data reads and writes besides the case itself
(engine/services/retention.py): the cases whose period is over, what holds one back, and the
erasure of their audit events' personal values, notice recipients and complaint contacts.

Every write here goes in the unit of work's transaction with the case's own save (on
PostgreSQL the case's writes are planned for the COMMIT, and these run before it in the same
transaction), so a case is erased whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from adapters.sql import pii
from adapters.sql import tables as t
from adapters.sql.outbox import SEALED_RECIPIENT
from engine.documents import AT_THE_WINDOW
from engine.model import AuditEvent
from engine.personal import ERASED, NOT_SENT, mask

_EVENT = (t.audit_events.update()
          .where(t.audit_events.c.case_id == sa.bindparam("cid"),
                 t.audit_events.c.seq == sa.bindparam("s"))
          .values(payload=sa.bindparam("p"), salt=None))


def _open_matters(case_id: Any, number: Any) -> list[tuple[sa.Table, list[Any], Any]]:
    """The matters that hold a case's personal data past its period — (table, the rows' condition,
    what to say of n of them) — for a case given by its id and number: values, or the cases
    table's columns (a correlated EXISTS)."""
    co, ca, ra = t.complaints.c, t.cards.c, t.ratings.c
    return [
        (t.complaints, [co.case_number == number, co.status == "open"],
         lambda n: f"{n} complaint(s) on it still under investigation"),
        (t.cards, [ca.case_id == case_id, ca.decision.is_(None), ca.appealed_at.is_not(None)],
         lambda n: f"{n} card appeal(s) on it not decided"),
        (t.ratings, [ra.case_id == case_id, ra.review_due.is_not(None), ra.reply.is_(None),
                     ra.carded_at.is_(None)],
         lambda _n: "the review of its bad rating is not answered"),
    ]


class SqlRetention:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _over(self, closed_before: datetime, *, held: bool) -> Any:
        """Closed cases not erased, closed before the day, with (or without) a matter open."""
        c = t.cases.c
        open_matter = sa.or_(*(sa.exists().where(*where)
                               for _, where, _ in _open_matters(c.id, c.number)))
        return (sa.select(c.id, c.number)
                .where(c.erased_at.is_(None), c.closed_at.is_not(None),
                       c.closed_at < closed_before, open_matter if held else ~open_matter)
                .order_by(c.closed_at, c.id))

    def due(self, closed_before: datetime, limit: int) -> list[str]:
        """Numbers of closed cases not erased yet whose closing is before ``closed_before`` and
        with no matter open on them, oldest first."""
        rows = self.conn.execute(self._over(closed_before, held=False).limit(limit))
        return [r.number for r in rows]

    def held(self, closed_before: datetime, limit: int) -> list[tuple[int, str]]:
        """(id, number) of the cases that would be due but for a matter still open on them."""
        rows = self.conn.execute(self._over(closed_before, held=True).limit(limit))
        return [(r.id, r.number) for r in rows]

    def holds(self, case_id: int, number: str) -> list[str]:
        """Why a case's personal data is kept past its period: a matter on it still open."""
        found = []
        for table, where, say in _open_matters(case_id, number):
            n = self.conn.execute(sa.select(sa.func.count()).select_from(table)
                                  .where(*where)).scalar_one()
            if n:
                found.append(say(n))
        return found

    def store_erased(self, events: Sequence[AuditEvent]) -> None:
        """Put the erased form of these stored events in their place (same hash, no salt)."""
        key = pii.key_for(self.conn)
        if events:
            self.conn.execute(_EVENT, [{"cid": e.case_id, "s": e.seq,
                                        "p": pii.protect(e.payload, key)} for e in events])

    def erase_notices(self, case_id: int) -> int:
        """The case's notices keep their recipient masked (138****5678) and lose the sealed one;
        one still waiting is not sent any more (its recipient is gone)."""
        o = t.outbox.c
        rows = self.conn.execute(sa.select(o.id, o.recipient, o.document, o.status)
                                 .where(o.case_id == case_id)).all()
        changed = []
        for r in rows:
            document = dict(r.document or {})
            had = document.pop(SEALED_RECIPIENT, None) is not None
            masked = r.recipient if r.recipient == AT_THE_WINDOW else mask(r.recipient)
            if had or masked != r.recipient or r.status == "pending":
                pending = r.status == "pending"
                changed.append({"i": r.id, "r": masked[:200], "d": document,
                                "st": "failed" if pending else r.status,
                                "e": NOT_SENT if pending else None})
        if changed:
            self.conn.execute(t.outbox.update().where(o.id == sa.bindparam("i"))
                              .values(recipient=sa.bindparam("r"), document=sa.bindparam("d"),
                                      status=sa.bindparam("st"),
                                      last_error=sa.func.coalesce(sa.bindparam("e"),
                                                                  o.last_error)),
                              changed)
        return len(changed)

    def erase_complaints(self, *, case_number: str | None = None,
                         decided_before: datetime | None = None) -> int:
        """The complainant's contact, of the case's complaints or of any complaint decided
        before a day (those with no case have their own period)."""
        co = t.complaints.c
        where: list[Any] = [co.contact != ERASED]
        if case_number is not None:
            where.append(co.case_number == case_number)
        if decided_before is not None:
            where += [co.status != "open", co.decided_at < decided_before]
        return int(self.conn.execute(t.complaints.update().where(*where)
                                     .values(contact=ERASED)).rowcount)
