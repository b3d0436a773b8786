"""Small reads for the administrator's pages and the public catalogue.

The administrator's reads check the permission table first (管理用户 is the administrator's),
so a page or an API call by anyone else is refused and recorded like any other attempt. The
catalogue's reads are public: only public powers in service ever leave here (备案事项, the
non-public powers, and withdrawn powers never appear).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.catalogue import Power
from engine.diagram import deemed_rule_text, limit_text
from engine.errors import NotFound
from engine.identity import Action, Actor, Denial, Role
from engine.services.context import Env
from engine.services.identity import (
    ApiKeyView,
    UserView,
    denials,
    known_posts,
    list_users,
    require,
    show_user,
)

# -- the administrator's pages ------------------------------------------------------------------


@dataclass(frozen=True)
class UsersPage:
    users: list[UserView]
    posts: list[str]  # every post of the deployed powers (岗位, or 岗位@单位 when in several units)
    roles: list[Role]


@dataclass(frozen=True)
class UserPage:
    user: UserView
    posts: list[str]
    roles: list[Role]
    denials: list[Denial]  # this user's refused attempts, newest first


@dataclass(frozen=True)
class KeyLine:
    login: str
    name: str  # the user's name
    active: bool  # the user is active
    key: ApiKeyView


def _post_choices(env: Env) -> list[str]:
    out = []
    for post, units in sorted(known_posts(env).items()):
        out.append(post)
        if len(units) > 1:
            out.extend(f"{post}@{unit}" for unit in sorted(units))
    return out


def users_page(env: Env, actor: Actor) -> UsersPage:
    """Every user, active first, with the posts and roles the add form offers."""
    require(env, actor, Action.MANAGE_USERS, target="users")
    users = sorted(list_users(env), key=lambda u: (not u.active, u.unit, u.login))
    return UsersPage(users=users, posts=_post_choices(env), roles=list(Role))


def user_page(env: Env, actor: Actor, login: str) -> UserPage:
    """One user: roles, posts, keys, and the attempts of theirs that were refused."""
    require(env, actor, Action.MANAGE_USERS, target=login)
    user = show_user(env, login)
    return UserPage(user=user, posts=_post_choices(env), roles=list(Role),
                    denials=denials(env, login=user.login, limit=50))


def refused_attempts(env: Env, actor: Actor, *, login: str | None = None,
                     limit: int = 200) -> list[Denial]:
    """Refused attempts (权限不足), newest first; of one login if given."""
    require(env, actor, Action.MANAGE_USERS, target="denials")
    return denials(env, login=(login or "").strip() or None, limit=max(1, min(limit, 1000)))


def api_keys(env: Env, actor: Actor, *, include_revoked: bool = True) -> list[KeyLine]:
    """Every API key with whose it is, newest first (only the prefix: the key itself is shown
    once, when it is made)."""
    require(env, actor, Action.MANAGE_USERS, target="api_keys")
    lines = []
    for user in list_users(env):
        for key in show_user(env, user.login).keys:
            if include_revoked or key.revoked_at is None:
                lines.append(KeyLine(user.login, user.name, user.active, key))
    return sorted(lines, key=lambda k: k.key.created_at, reverse=True)


# -- the public catalogue -----------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueLine:
    """One public power as the catalogue lists it."""

    code: str
    name: str
    category: str
    unit: str
    mode: str
    kind: str
    promised_limit: int | None
    statutory_limit: int | None
    promised_text: str
    statutory_text: str
    deemed_approval: bool  # 超时默许 (or deemed renewal) applies
    deemed_text: str
    version: int
    deployed_at: datetime


def _public(env: Env) -> list[tuple[Power, int, datetime]]:
    with env.uow() as uow:
        rows = uow.definitions.current()
    out = []
    for row in rows:
        if row.status != "active":
            continue
        power = Power.from_dict(row.power)
        if power.public:
            out.append((power, row.version, row.deployed_at))
    return out


def public_catalogue(env: Env, query: str = "") -> list[CatalogueLine]:
    """The public powers in service, by unit and code; ``query`` keeps those whose name, code,
    category or unit contains it."""
    words = query.strip().lower().split()
    out = []
    for p, version, deployed_at in _public(env):
        text = " ".join((p.name, p.code, p.short_name, p.category, p.unit)).lower()
        if any(w not in text for w in words):
            continue
        out.append(CatalogueLine(
            code=p.code, name=p.name, category=p.category, unit=p.unit, mode=p.mode,
            kind=p.kind, promised_limit=p.promised_limit, statutory_limit=p.statutory_limit,
            promised_text=limit_text(p.promised_limit, "未承诺"),
            statutory_text=limit_text(p.statutory_limit, "法律未规定"),
            deemed_approval=p.deemed_approval or p.renewal, deemed_text=deemed_rule_text(p),
            version=version, deployed_at=deployed_at))
    return sorted(out, key=lambda c: (c.kind != "power", c.unit, c.code))


def public_guide(env: Env, code: str) -> tuple[Power, bytes]:
    """A public power's guide (its catalogue entry) and the BPMN its flowchart is drawn from.
    A non-public or withdrawn power is answered as not there at all."""
    missing = NotFound(f"目录中没有事项“{code.strip()[:64]}” (no such public power)", field="code")
    with env.uow() as uow:
        row = uow.definitions.latest(code.strip())
        if row is None or row.status != "active":
            raise missing
        power = Power.from_dict(row.power)
        if not power.public:
            raise missing
        return power, uow.definitions.xml(row.id)
