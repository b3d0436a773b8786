"""The web's session rows (SQLAlchemy Core): add, read, mark used, revoke.

The rules (idle and absolute limits, the token and its hash) are the web adapter's
(adapters/web/sessions.py); this only stores and reads rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from adapters.sql import tables as t


@dataclass(frozen=True)
class WebSessionRow:
    """A signed-in browser (会话)."""

    id: str  # sha256 hex of the cookie's token
    login: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None = None


class SqlWebSessionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: WebSessionRow) -> None:
        self.conn.execute(t.web_sessions.insert().values(
            id=row.id, login=row.login, created_at=row.created_at,
            last_seen_at=row.last_seen_at, revoked_at=row.revoked_at))

    def get(self, session_id: str) -> WebSessionRow | None:
        row = self.conn.execute(sa.select(t.web_sessions)
                                .where(t.web_sessions.c.id == session_id)).first()
        return WebSessionRow(**row._mapping) if row is not None else None

    def touch(self, session_id: str, at: dt.datetime) -> None:
        self.conn.execute(t.web_sessions.update().where(t.web_sessions.c.id == session_id)
                          .values(last_seen_at=at))

    def revoke(self, session_id: str, at: dt.datetime) -> None:
        self.conn.execute(t.web_sessions.update()
                          .where(t.web_sessions.c.id == session_id,
                                 t.web_sessions.c.revoked_at.is_(None))
                          .values(revoked_at=at))

    def revoke_login(self, login: str, at: dt.datetime) -> int:
        """Every open session of a user (an administrator's revocation, a disabled user)."""
        result = self.conn.execute(t.web_sessions.update()
                                   .where(t.web_sessions.c.login == login,
                                          t.web_sessions.c.revoked_at.is_(None))
                                   .values(revoked_at=at))
        return int(result.rowcount or 0)

    def open_sessions(self, login: str | None = None, limit: int = 200) -> list[WebSessionRow]:
        q = (sa.select(t.web_sessions).where(t.web_sessions.c.revoked_at.is_(None))
             .order_by(t.web_sessions.c.last_seen_at.desc()).limit(limit))
        if login:
            q = q.where(t.web_sessions.c.login == login)
        return [WebSessionRow(**r._mapping) for r in self.conn.execute(q)]
