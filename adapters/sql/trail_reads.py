"""Reads for replaying the audit trail (engine/audit_replay.py): every case, a page at a time."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from adapters.sql import tables as t


class SqlTrailReads:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def case_page(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(id, number) of up to ``limit`` cases with an id above ``after``, by id."""
        c = t.cases.c
        rows = self.conn.execute(sa.select(c.id, c.number).where(c.id > after)
                                 .order_by(c.id).limit(limit))
        return [(r.id, r.number) for r in rows]
