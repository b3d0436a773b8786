"""The user registry, API keys, refused attempts and start requests (SQLAlchemy Core)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from adapters.sql import tables as t
from engine.errors import Conflict, NotFound
from engine.identity import ApiKey, Denial, User

_USER_COLUMNS = ("login", "name", "unit", "roles", "posts", "leads", "active", "password_hash",
                 "created_at", "created_by", "disabled_at", "disabled_by", "disabled_reason")


def _user(row: sa.Row) -> User:
    m = row._mapping
    return User(**{c: m[c] for c in _USER_COLUMNS}, id=m["id"])


def _key(row: sa.Row) -> ApiKey:
    m = row._mapping
    return ApiKey(**{c.name: m[c.name] for c in t.api_keys.c})


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, login: str) -> User:
        row = self.conn.execute(sa.select(t.users).where(t.users.c.login == login)).first()
        if row is None:
            raise NotFound(f"没有用户“{login}” (no such user)")
        return _user(row)

    def get_by_id(self, user_id: int) -> User:
        row = self.conn.execute(sa.select(t.users).where(t.users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"no user #{user_id}")
        return _user(row)

    def exists(self) -> bool:
        return self.conn.execute(sa.select(t.users.c.id).limit(1)).first() is not None

    def add(self, user: User) -> User:
        taken = self.conn.execute(sa.select(t.users.c.id)
                                  .where(t.users.c.login == user.login)).first()
        if taken is not None:  # a race past this check fails the unit of work on the unique key
            raise Conflict(f"登录名“{user.login}”已被使用 (login taken); 登录名不可重复使用，"
                           f"即使原用户已停用", field="login")
        values = {c: getattr(user, c) for c in _USER_COLUMNS}
        user.id = self.conn.execute(t.users.insert().values(**values)
                                    .returning(t.users.c.id)).scalar_one()
        return user

    def save(self, user: User) -> None:
        values = {c: getattr(user, c) for c in _USER_COLUMNS if c != "login"}
        self.conn.execute(t.users.update().where(t.users.c.id == user.id).values(**values))

    def list(self, *, include_disabled: bool = True) -> list[User]:
        q = sa.select(t.users).order_by(t.users.c.unit, t.users.c.login)
        if not include_disabled:
            q = q.where(t.users.c.active.is_(True))
        return [_user(r) for r in self.conn.execute(q)]

    def names(self, logins: set[str]) -> dict[str, str]:
        if not logins:
            return {}
        rows = self.conn.execute(sa.select(t.users.c.login, t.users.c.name)
                                 .where(t.users.c.login.in_(sorted(logins))))
        return {r.login: r.name for r in rows}

    # -- API keys -------------------------------------------------------------------------

    def add_key(self, key: ApiKey) -> ApiKey:
        values = {c.name: getattr(key, c.name) for c in t.api_keys.c if c.name != "id"}
        key.id = self.conn.execute(t.api_keys.insert().values(**values)
                                   .returning(t.api_keys.c.id)).scalar_one()
        return key

    def key(self, prefix: str) -> ApiKey:
        row = self.conn.execute(sa.select(t.api_keys).where(t.api_keys.c.prefix == prefix)).first()
        if row is None:
            raise NotFound(f"没有 API 密钥 {prefix} (no such API key)")
        return _key(row)

    def keys_of(self, user_id: int) -> list[ApiKey]:
        rows = self.conn.execute(sa.select(t.api_keys).where(t.api_keys.c.user_id == user_id)
                                 .order_by(t.api_keys.c.id))
        return [_key(r) for r in rows]

    def save_key(self, key: ApiKey) -> None:
        self.conn.execute(t.api_keys.update().where(t.api_keys.c.id == key.id).values(
            revoked_at=key.revoked_at, revoked_by=key.revoked_by, last_used_at=key.last_used_at))

    # -- refused attempts -------------------------------------------------------------------

    def add_denial(self, denial: Denial) -> None:
        values = {c.name: getattr(denial, c.name) for c in t.access_denials.c if c.name != "id"}
        self.conn.execute(t.access_denials.insert().values(**values))

    def denials(self, *, login: str | None = None, limit: int = 200) -> list[Denial]:
        q = sa.select(t.access_denials).order_by(t.access_denials.c.id.desc()).limit(limit)
        if login:
            q = q.where(t.access_denials.c.login == login)
        return [Denial(**dict(r._mapping)) for r in self.conn.execute(q)]


class SqlStartRequestRepository:
    """Idempotent start: a request key remembers the case it made."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def case_for(self, key: str) -> int | None:
        return self.conn.execute(sa.select(t.start_requests.c.case_id)
                                 .where(t.start_requests.c.key == key)).scalar()

    def add(self, key: str, case_id: int, at: dt.datetime) -> None:
        self.conn.execute(t.start_requests.insert().values(key=key, case_id=case_id,
                                                           created_at=at))
