"""The outbox of notices to applicants (engine/documents.py) over SQLAlchemy Core.

Rows are written in the unit of work that saved the change causing them (after the case's save:
on SQLite that save is what takes the write lock, ending the lock-free read; an insert before
it would be committed by that step on its own, so ``add`` refuses to run then). A duplicate
``dedupe`` key is skipped with ``ON CONFLICT DO NOTHING`` on both backends.

``due`` claims rows for one delivery pass: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` (a second
worker passes over rows the first holds), on SQLite the unit of work's ``BEGIN IMMEDIATE`` write
lock; the claimed rows' ``next_attempt_at`` moves on by the lease and their attempt is counted,
so once the claim commits no other worker takes them while they are being sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from adapters.sql import pii
from adapters.sql import tables as t
from adapters.sql.case_repository import DEFERRED
from engine.documents import AT_THE_WINDOW, Channel, Document, Notice, NoticeStatus

o = t.outbox.c


# The recipient (a phone, an e-mail or postal address) is sealed in the document JSON under this
# key; the ``recipient`` column keeps its masked form (adapters/sql/pii.py).
SEALED_RECIPIENT = "recipient_sealed"


def _notice(row: Any, key: pii.DataKey | None) -> Notice:
    m = row._mapping
    document = dict(m["document"])
    sealed = document.pop(SEALED_RECIPIENT, None)
    recipient = pii.reveal(sealed, key) if sealed is not None else m["recipient"]
    return Notice(case_id=m["case_id"], case_number=m["case_number"], kind=m["kind"],
                  channel=Channel(m["channel"]), recipient=recipient,
                  document=Document.from_dict(document), dedupe=m["dedupe"], id=m["id"],
                  status=NoticeStatus(m["status"]), attempts=m["attempts"],
                  next_attempt_at=m["next_attempt_at"], last_error=m["last_error"],
                  created_at=m["created_at"], sent_at=m["sent_at"])


class SqlOutboxRepository:
    def __init__(self, conn: Connection, plans: list[Any] | None = None) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.plans = plans  # PostgreSQL: the case's planned writes, sent with the COMMIT

    def add(self, notices: Sequence[Notice], now: datetime) -> None:
        if not notices:
            return
        if self.conn.info.get(DEFERRED):
            raise RuntimeError("notices are queued after the case is saved, in the same unit of "
                               "work (an insert before the save would commit on its own)")
        if self.pg:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        key = pii.key_for(self.conn)
        rows = [{"case_id": n.case_id, "case_number": n.case_number, "dedupe": n.dedupe,
                 "kind": n.kind, "channel": n.channel.value, **_recipient(n, key),
                 "status": NoticeStatus.PENDING.value,
                 "attempts": 0, "next_attempt_at": now, "last_error": None, "created_at": now,
                 "sent_at": None} for n in notices]
        if self.pg and self.plans:
            # the case's writes go as one pipeline with the COMMIT: the notices ride along
            # (no round trip of their own; committed with the change or not at all)
            from psycopg.types.json import Jsonb

            columns = list(rows[0])
            sql = (f"INSERT INTO outbox ({', '.join(columns)}) VALUES "
                   f"({', '.join(f'%({c})s' for c in columns)}) ON CONFLICT (dedupe) DO NOTHING")
            self.plans[-1].statements.append(
                (sql, [{**r, "document": Jsonb(r["document"])} for r in rows]))
            return
        self.conn.execute(insert(t.outbox).on_conflict_do_nothing(index_elements=["dedupe"]), rows)

    def due(self, now: datetime, limit: int, *, channels: Sequence[str] | None = None,
            lease: timedelta = timedelta(minutes=10)) -> list[Notice]:
        query = (sa.select(t.outbox).where(o.status == NoticeStatus.PENDING.value,
                                           o.next_attempt_at <= now)
                 .order_by(o.next_attempt_at, o.id).limit(limit))
        if channels is not None:
            query = query.where(o.channel.in_(list(channels)))
        if self.pg:
            query = query.with_for_update(skip_locked=True)
        rows = [_notice(r, pii.key_for(self.conn)) for r in self.conn.execute(query)]
        if rows:
            self.conn.execute(t.outbox.update().where(o.id.in_([n.id for n in rows])).values(
                attempts=o.attempts + 1, next_attempt_at=now + lease))
        return [replace(n, attempts=n.attempts + 1, next_attempt_at=now + lease) for n in rows]

    def mark_sent(self, notice_id: int, at: datetime) -> None:
        self.conn.execute(t.outbox.update().where(o.id == notice_id).values(
            status=NoticeStatus.SENT.value, sent_at=at, last_error=None))

    def mark_failed(self, notice_id: int, at: datetime, error: str, next_attempt_at: datetime,
                    give_up: bool) -> None:
        status = NoticeStatus.FAILED if give_up else NoticeStatus.PENDING
        self.conn.execute(t.outbox.update().where(o.id == notice_id).values(
            status=status.value, last_error=error, next_attempt_at=next_attempt_at))

    def for_case(self, case_id: int) -> list[Notice]:
        rows = self.conn.execute(sa.select(t.outbox).where(o.case_id == case_id).order_by(o.id))
        return [_notice(r, pii.key_for(self.conn)) for r in rows]

    def list(self, *, case_number: str | None = None, status: str | None = None,
             limit: int = 200) -> list[Notice]:
        query = sa.select(t.outbox).order_by(o.id.desc()).limit(limit)
        if case_number:
            query = query.where(o.case_number == case_number)
        if status:
            query = query.where(o.status == status)
        return [_notice(r, pii.key_for(self.conn)) for r in self.conn.execute(query)]


def _recipient(n: Notice, key: pii.DataKey | None) -> dict[str, Any]:
    """The recipient columns: sealed in the document, masked in ``recipient`` (with a key)."""
    document = n.document.to_dict()
    if key is None or n.recipient == AT_THE_WINDOW:
        return {"recipient": n.recipient, "document": document}
    return {"recipient": pii.mask(n.recipient)[:200],
            "document": {**document, SEALED_RECIPIENT: key.seal(n.recipient)}}
