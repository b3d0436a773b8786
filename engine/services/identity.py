"""Identity use cases: resolve who acts, check the permission table, manage users and keys.

Every other use case is given an ``Actor`` that came from ``resolve`` (a real, active user) or
from an API key, and calls ``require`` (or its case-scoped form in services/cases.py) before it
changes anything. A refusal is recorded in its own transaction, so the attempt stays on record
although the change it asked for was not made.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import Forbidden, InvalidAction, NotFound
from engine.identity import (
    RESERVED_LOGINS,
    Action,
    Actor,
    ApiKey,
    Denial,
    Role,
    User,
    authorize,
    check_login,
)
from engine.services.context import Env

MIN_PASSWORD = 10


@dataclass(frozen=True)
class ApiKeyView:
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class UserView:
    login: str
    name: str
    unit: str
    roles: tuple[Role, ...]
    posts: tuple[str, ...]
    leads: tuple[str, ...]
    active: bool
    has_password: bool
    created_at: datetime | None
    created_by: str
    disabled_at: datetime | None = None
    disabled_by: str | None = None
    disabled_reason: str | None = None
    keys: tuple[ApiKeyView, ...] = ()

    @property
    def role_labels(self) -> str:
        return "、".join(r.label for r in self.roles)


def _view(user: User, keys: Iterable[ApiKey] = ()) -> UserView:
    return UserView(
        login=user.login, name=user.name, unit=user.unit,
        roles=tuple(Role(r) for r in user.roles), posts=tuple(user.posts),
        leads=tuple(user.leads), active=user.active, has_password=bool(user.password_hash),
        created_at=user.created_at, created_by=user.created_by, disabled_at=user.disabled_at,
        disabled_by=user.disabled_by, disabled_reason=user.disabled_reason,
        keys=tuple(ApiKeyView(k.name, k.prefix, k.created_at, k.created_by, k.revoked_at,
                              k.last_used_at) for k in keys))


# -- who acts ----------------------------------------------------------------------------------

def resolve(env: Env, login: str | None) -> Actor:
    """The acting user: an existing, active user with this login."""
    value = (login or "").strip()
    if not value:
        raise InvalidAction("没有说明由谁办理：每个操作都须写明办理人（登录名） "
                            "(who acts is empty: every action names a user)", field="actor")
    if value in RESERVED_LOGINS:
        err = Forbidden(f"权限不足：“{value}”是系统保留名，不能以它的名义办理 (reserved login)",
                        action="act_as", target=value, login=value)
        record_denial(env, err, env.now(None))
        raise err
    with env.uow() as uow:
        try:
            user = uow.users.get(value)
        except NotFound:
            raise NotFound(f"没有用户“{value}”：办理人须是已登记的用户（由系统管理员登记） "
                           f"(no such user)", field="actor") from None
    if not user.active:
        err = Forbidden(f"权限不足：用户“{user.name}（{user.login}）”已于 "
                        f"{_day(env, user.disabled_at)} 停用，不能再办理 (user disabled)",
                        action="act_as", target=value, login=value)
        record_denial(env, err, env.now(None))
        raise err
    return user.actor()


def _day(env: Env, at: datetime | None) -> str:
    return env.calendar().local_date(at).isoformat() if at else "?"


def require(env: Env, actor: Actor, action: Action, *, target: str = "",
            now: datetime | None = None, **context: Any) -> None:
    """Check the permission table; a refusal is recorded and raised."""
    try:
        authorize(actor, action, target=target, **context)
    except Forbidden as err:
        record_denial(env, err, env.now(now))
        raise


def record_denial(env: Env, err: Forbidden, at: datetime) -> None:
    """Keep a refused attempt on record, in a transaction of its own."""
    denial = Denial(at=at, written_at=env.written_at(), login=err.login or "?",
                    action=err.action or "?", rule=err.action or "?",
                    target=(err.target or "")[:100], message=str(err))
    with env.uow() as uow:
        uow.users.add_denial(denial)
        uow.commit()


def denials(env: Env, *, login: str | None = None, limit: int = 200) -> list[Denial]:
    with env.uow() as uow:
        return uow.users.denials(login=login, limit=limit)


# -- the registry -----------------------------------------------------------------------------

def known_posts(env: Env) -> dict[str, set[str]]:
    """Post (lane name) → the units it exists in, from the deployed powers' steps."""
    from engine.catalogue import Power

    posts: dict[str, set[str]] = {}
    with env.uow() as uow:
        rows = uow.definitions.current()
    for row in rows:
        power = Power.from_dict(row.power)
        for step in power.steps:
            if step.post:
                posts.setdefault(step.post, set()).add(step.department or power.unit)
    return posts


def _roles(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        role = Role.parse(value)
        if role.value not in out:
            out.append(role.value)
    return out


def _check_posts(env: Env, posts: Iterable[str]) -> list[str]:
    chosen = [p.strip() for p in posts if p.strip()]
    if not chosen:
        return []
    known = known_posts(env)

    def exists(held: str) -> bool:  # 岗位, or 岗位@单位 for a post in another unit
        post, _, unit = held.partition("@")
        return post in known and (not unit or unit in known[post])
    unknown = [p for p in chosen if not exists(p)]
    if unknown:
        listed = "、".join(sorted(known)) or "（尚未部署任何事项）"
        raise InvalidAction(f"岗位“{'、'.join(unknown)}”不在任何已部署事项的泳道中 (unknown post); "
                            f"已知岗位 known posts: {listed}", field="post")
    return list(dict.fromkeys(chosen))


def _hash(password: str) -> str:
    from argon2 import PasswordHasher  # argon2id with the library's current parameters

    return PasswordHasher().hash(password)


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD or password.strip() != password:
        raise InvalidAction(f"密码至少 {MIN_PASSWORD} 个字符，首尾不能有空格 (password too short)",
                            field="password")


def add_user(env: Env, *, by: Actor | None, login: str, name: str, unit: str,
             roles: Iterable[str], posts: Iterable[str] = (), leads: Iterable[str] = (),
             password: str | None = None, now: datetime | None = None) -> UserView:
    """Register a user. The very first user of an installation is registered by nobody and
    must be an administrator; every later one by an administrator."""
    at = env.now(now)
    login = check_login(login)
    if not name.strip():
        raise InvalidAction("姓名不能为空 (the user's name is empty)", field="name")
    if not unit.strip():
        raise InvalidAction("单位不能为空 (the user's unit is empty)", field="unit")
    chosen = _roles(roles)
    if not chosen:
        raise InvalidAction("至少要有一个角色 (give at least one role)", field="role")
    held = _check_posts(env, posts)
    led = _check_posts(env, leads)
    if set(led) - set(held):
        raise InvalidAction(f"负责的岗位也须是其所在岗位：{'、'.join(sorted(set(led) - set(held)))} "
                            f"(a leader leads a post they hold)", field="lead")
    if password is not None:
        _check_password_strength(password)
    with env.uow() as uow:
        first = not uow.users.exists()
    if first:
        if Role.ADMIN.value not in chosen:
            raise InvalidAction("第一个用户须是系统管理员（角色 admin），由他登记其他用户 "
                                "(the first user must be an administrator)", field="role")
        creator = "—"
    else:
        if by is None:
            raise InvalidAction("登记用户须写明由哪位系统管理员登记 (who registers the user)",
                                field="actor")
        require(env, by, Action.MANAGE_USERS, target=login, now=now)
        creator = by.login
    user = User(login=login, name=name.strip(), unit=unit.strip(), roles=chosen, posts=held,
                leads=led, password_hash=_hash(password) if password else None, created_at=at,
                created_by=creator)
    with env.uow() as uow:
        uow.users.add(user)
        uow.commit()
    return _view(user)


def list_users(env: Env, *, include_disabled: bool = True) -> list[UserView]:
    with env.uow() as uow:
        return [_view(u) for u in uow.users.list(include_disabled=include_disabled)]


def show_user(env: Env, login: str) -> UserView:
    with env.uow() as uow:
        user = uow.users.get(login.strip())
        return _view(user, uow.users.keys_of(user.id or 0))


def _change(env: Env, login: str, by: Actor, now: datetime | None, fn: Any) -> UserView:
    require(env, by, Action.MANAGE_USERS, target=login, now=now)
    with env.uow() as uow:
        user = uow.users.get(login.strip())
        fn(user)
        uow.users.save(user)
        uow.commit()
        return _view(user, uow.users.keys_of(user.id or 0))


def disable_user(env: Env, login: str, *, by: Actor, reason: str,
                 now: datetime | None = None) -> UserView:
    """A disabled user acts no more; their history stays theirs."""
    if not reason.strip():
        raise InvalidAction("停用用户须写明原因 (give the reason)", field="reason")
    if login.strip() == by.login:
        raise InvalidAction("不能停用自己 (an administrator cannot disable themselves)")
    at = env.now(now)

    def run(user: User) -> None:
        if not user.active:
            raise InvalidAction(f"用户“{user.login}”已停用 (already disabled)")
        user.active, user.disabled_at, user.disabled_by = False, at, by.login
        user.disabled_reason = reason.strip()
    return _change(env, login, by, now, run)


def grant(env: Env, login: str, *, by: Actor, roles: Iterable[str] = (),
          posts: Iterable[str] = (), leads: Iterable[str] = (),
          now: datetime | None = None) -> UserView:
    add_roles, add_posts, add_leads = _roles(roles), _check_posts(env, posts), _check_posts(env, leads)

    def run(user: User) -> None:
        user.roles = list(dict.fromkeys([*user.roles, *add_roles]))
        user.posts = list(dict.fromkeys([*user.posts, *add_posts]))
        missing = set(add_leads) - set(user.posts)
        if missing:
            raise InvalidAction(f"负责的岗位也须是其所在岗位：{'、'.join(sorted(missing))}",
                                field="lead")
        user.leads = list(dict.fromkeys([*user.leads, *add_leads]))
    return _change(env, login, by, now, run)


def revoke(env: Env, login: str, *, by: Actor, roles: Iterable[str] = (),
           posts: Iterable[str] = (), leads: Iterable[str] = (),
           now: datetime | None = None) -> UserView:
    drop_roles = set(_roles(roles))
    drop_posts = {p.strip() for p in posts}
    drop_leads = {p.strip() for p in leads} | drop_posts
    if login.strip() == by.login and Role.ADMIN.value in drop_roles:
        raise InvalidAction("不能撤销自己的系统管理员角色 (an administrator cannot revoke their own admin role)")

    def run(user: User) -> None:
        user.roles = [r for r in user.roles if r not in drop_roles]
        user.posts = [p for p in user.posts if p not in drop_posts]
        user.leads = [p for p in user.leads if p not in drop_leads]
    return _change(env, login, by, now, run)


def set_password(env: Env, login: str, password: str, *, by: Actor,
                 now: datetime | None = None) -> None:
    """An administrator sets a user's password (the web login checks it)."""
    _check_password_strength(password)
    digest = _hash(password)

    def run(user: User) -> None:
        user.password_hash = digest
    _change(env, login, by, now, run)


def check_password(env: Env, login: str, password: str) -> Actor:
    """The actor for a login and password, or one message for every failure (no hint whether
    the login exists)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    wrong = Forbidden("登录名或密码不正确 (wrong login or password)", action="login",
                      target=login, login=login)
    with env.uow() as uow:
        try:
            user = uow.users.get(login.strip())
        except NotFound:
            raise wrong from None
    if not user.active or not user.password_hash:
        raise wrong
    try:
        PasswordHasher().verify(user.password_hash, password)
    except VerificationError:
        raise wrong from None
    return user.actor()


# -- API keys -----------------------------------------------------------------------------------

KEY_PREFIX = "ssk"


def create_api_key(env: Env, login: str, name: str, *, by: Actor,
                   now: datetime | None = None) -> tuple[ApiKeyView, str]:
    """A key for another system to act as this user; the whole key is shown once, only its
    SHA-256 is kept (see ``_key_hash``)."""
    if not name.strip():
        raise InvalidAction("API 密钥须有名称，写明哪个系统使用 (name the key)", field="name")
    require(env, by, Action.MANAGE_USERS, target=login, now=now)
    at = env.now(now)
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with env.uow() as uow:
        user = uow.users.get(login.strip())
        if not user.active:
            raise InvalidAction(f"用户“{user.login}”已停用 (disabled)")
        key = ApiKey(user_id=user.id or 0, name=name.strip(), prefix=prefix,
                     secret_hash=_key_hash(secret), created_at=at, created_by=by.login)
        uow.users.add_key(key)
        uow.commit()
    return ApiKeyView(key.name, prefix, at, by.login, None, None), secret


def revoke_api_key(env: Env, prefix: str, *, by: Actor, now: datetime | None = None) -> None:
    require(env, by, Action.MANAGE_USERS, target=prefix, now=now)
    at = env.now(now)
    with env.uow() as uow:
        key = uow.users.key(prefix.strip())
        if key.revoked_at is not None:
            raise InvalidAction(f"API 密钥 {prefix} 已撤销 (already revoked)")
        key.revoked_at, key.revoked_by = at, by.login
        uow.users.save_key(key)
        uow.commit()


def _key_hash(secret: str) -> str:
    """An API key is 32 random bytes (256 bits): unlike a password it cannot be guessed, so a
    plain SHA-256 keeps it as safe as argon2 would, at microseconds per request instead of
    0.3 s (a key made before was hashed with argon2id, and is still checked that way)."""
    import hashlib

    return "sha256$" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key_matches(stored: str, secret: str) -> bool:
    import hmac

    if stored.startswith("sha256$"):
        return hmac.compare_digest(stored, _key_hash(secret))
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    try:
        return bool(PasswordHasher().verify(stored, secret))
    except VerificationError:
        return False


def actor_for_api_key(env: Env, secret: str, now: datetime | None = None) -> Actor:
    wrong = Forbidden("API 密钥无效或已撤销 (invalid or revoked API key)", action="api_key")
    parts = secret.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise wrong
    with env.uow() as uow:
        try:
            key = uow.users.key(parts[1])
        except NotFound:
            raise wrong from None
        if key.revoked_at is not None or not _key_matches(key.secret_hash, secret.strip()):
            raise wrong
        user = uow.users.get_by_id(key.user_id)
        if not user.active:
            raise wrong
        key.last_used_at = env.now(now)
        uow.users.save_key(key)
        uow.commit()
    return user.actor()
