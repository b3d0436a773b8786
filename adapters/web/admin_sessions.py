"""Signed-in browsers, as the administrator sees them: list the open sessions and end one (or
every one of a user). The session store and its rules are sessions.py's; this only reads and
revokes rows through the same repository (``uow.web_sessions``), after the permission table
says the actor may manage users (管理用户, the administrator's).

A session is named by the SHA-256 of its cookie's token (the row's key): showing it, or a part
of it, gives nobody the cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from adapters.web.sessions import ABSOLUTE, IDLE
from engine.errors import InvalidAction, NotFound
from engine.identity import Action, Actor
from engine.services.context import Env
from engine.services.identity import require


@dataclass(frozen=True)
class SessionLine:
    id: str  # the row's key (sha256 of the token)
    login: str
    name: str  # the user's name, or the login if the user is unknown
    created_at: datetime
    last_seen_at: datetime
    idle_until: datetime  # ends then unless used
    ends_at: datetime  # ends then however busy (10 hours after signing in)
    user_active: bool

    @property
    def short(self) -> str:
        return self.id[:12]


def _aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def open_sessions(env: Env, actor: Actor, *, login: str | None = None,
                  limit: int = 500) -> list[SessionLine]:
    """The sessions still in force (not revoked, not past their idle or absolute limit), the
    most recently used first."""
    require(env, actor, Action.MANAGE_USERS, target="sessions")
    now = env.now()
    with env.uow() as uow:
        rows = uow.web_sessions.open_sessions((login or "").strip() or None, limit=limit)
        users = {u.login: u for u in uow.users.list(include_disabled=True)}
    out = []
    for row in rows:
        created, seen = _aware(row.created_at), _aware(row.last_seen_at)
        if now - created >= ABSOLUTE or now - seen >= IDLE:
            continue  # ended already; the row is revoked at the browser's next request
        user = users.get(row.login)
        out.append(SessionLine(id=row.id, login=row.login, name=user.name if user else row.login,
                               created_at=created, last_seen_at=seen, idle_until=seen + IDLE,
                               ends_at=created + ABSOLUTE,
                               user_active=bool(user and user.active)))
    return out


def revoke_session(env: Env, actor: Actor, session_id: str) -> str:
    """End one session at once (the browser is sent to the login page at its next request);
    returns the login it belonged to."""
    require(env, actor, Action.MANAGE_USERS, target=f"session {session_id[:12]}")
    sid = session_id.strip()
    if len(sid) != 64 or any(c not in "0123456789abcdef" for c in sid):
        raise NotFound("没有这个会话 (no such session)", field="session")
    with env.uow() as uow:
        row = uow.web_sessions.get(sid)
        if row is None:
            raise NotFound("没有这个会话 (no such session)", field="session")
        if row.revoked_at is not None:
            raise InvalidAction(f"{row.login} 的这个会话已结束 (the session has already ended)",
                                field="session")
        uow.web_sessions.revoke(sid, env.now())
        uow.commit()
    return row.login


def revoke_sessions_of(env: Env, actor: Actor, login: str) -> int:
    """End every open session of a user (a lost laptop, a user just disabled); how many."""
    require(env, actor, Action.MANAGE_USERS, target=login)
    with env.uow() as uow:
        uow.users.get(login.strip())  # NotFound for a login that does not exist
        count = uow.web_sessions.revoke_login(login.strip(), env.now())
        uow.commit()
    return count
