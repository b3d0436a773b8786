"""Who is signed in: server-side sessions, the CSRF token and the same-origin check.

A session is a row (adapters/sql/web_sessions.py) keyed by the SHA-256 of a random token; the
browser holds the token in a cookie (HttpOnly, SameSite=Lax, Secure over https). A session ends
after 30 minutes unused or 10 hours after sign-in, whichever comes first, or when it is revoked
(sign-out, an administrator); times are the installation's clock (``env.now()``). Each request's
``Actor`` is resolved afresh from the session's login (``identity.resolve``): a user disabled
since signing in is signed out at their next request.

Every POST must come from a page of this site: its ``Origin`` (or, failing that, ``Referer``)
names this site, and the form carries the session's CSRF token (field ``csrf_token`` or header
``X-CSRF-Token``), an HMAC of the session's secret token, so it never needs storing. The login
form, before any session exists, carries a token that must match a short-lived cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from adapters.sql.web_sessions import WebSessionRow
from adapters.web.errors import WebError
from engine.errors import Forbidden
from engine.identity import Actor
from engine.services import identity
from engine.services.context import Env

COOKIE = "sunshine_session"
LOGIN_COOKIE = "sunshine_login"  # the login form's token, before there is a session
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=10)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def csrf_for(token: str) -> str:
    return hmac.new(token.encode("ascii", "replace"), b"sunshine csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Signed:
    """The signed-in person of a request: the actor, and the session's CSRF token."""

    actor: Actor
    csrf: str
    session_id: str


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, *,
               max_age: int | None = None, same_site: str = "lax") -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite=same_site,  # type: ignore[arg-type]
                        secure=is_https(request), path="/")


def begin(env: Env, request: Request, response: Response, actor: Actor) -> None:
    """Sign ``actor`` in: a new session row and its cookie (any session the browser had ends)."""
    now = env.now()
    token = secrets.token_urlsafe(32)
    old = request.cookies.get(COOKIE)
    with env.uow() as uow:
        if old:
            uow.web_sessions.revoke(token_hash(old), now)
        uow.web_sessions.add(WebSessionRow(id=token_hash(token), login=actor.login,
                                           created_at=now, last_seen_at=now))
        uow.commit()
    set_cookie(request, response, COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")


def end(env: Env, request: Request, response: Response) -> None:
    """Sign out: the row is revoked (kept as a record) and the cookie cleared."""
    token = request.cookies.get(COOKIE)
    if token:
        with env.uow() as uow:
            uow.web_sessions.revoke(token_hash(token), env.now())
            uow.commit()
    response.delete_cookie(COOKIE, path="/")


def _expired(row: WebSessionRow, now: datetime) -> str | None:
    if row.revoked_at is not None:
        return "您已退出登录，请重新登录 (signed out)"
    if now - row.created_at >= ABSOLUTE:
        return "登录已超过 10 小时，请重新登录 (session too old)"
    if now - row.last_seen_at >= IDLE:
        return "30 分钟未操作，登录已失效，请重新登录 (session idle too long)"
    return None


def current(env: Env, request: Request) -> Signed | None:
    """The signed-in person, or None; an expired session is revoked on the way."""
    cached = getattr(request.state, "signed", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    request.state.signed = None
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    sid = token_hash(token)
    now = env.now()
    with env.uow() as uow:
        row = uow.web_sessions.get(sid)
    if row is None:
        return None
    why = _expired(row, now)
    if why is None and now - row.last_seen_at >= TOUCH_EVERY:
        with env.uow() as uow:
            uow.web_sessions.touch(sid, now)
            uow.commit()
    elif why is not None:
        if row.revoked_at is None:
            with env.uow() as uow:
                uow.web_sessions.revoke(sid, now)
                uow.commit()
        request.state.expired = why
        return None
    try:
        actor = identity.resolve(env, row.login)
    except Forbidden as err:  # disabled since signing in
        with env.uow() as uow:
            uow.web_sessions.revoke(sid, now)
            uow.commit()
        request.state.expired = str(err)
        return None
    request.state.signed = Signed(actor=actor, csrf=csrf_for(token), session_id=sid)
    return request.state.signed  # type: ignore[no-any-return]


def require(env: Env, request: Request) -> Signed:
    """The signed-in person, or a 401 that sends a browser to the login page."""
    signed = current(env, request)
    if signed is None:
        why = getattr(request.state, "expired", None) or "请先登录 (please sign in)"
        raise WebError(why, status=401, code="not_signed_in", login_again=True)
    return signed


def login_redirect(request: Request, message: str = "") -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/login?next=" + quote(here if request.method in SAFE_METHODS else "/", safe="")
    if message:
        target += "&why=" + quote(message, safe="")
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- cross-site requests --------------------------------------------------------------------------


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def check_origin(request: Request) -> None:
    """A state-changing request must come from this site's own pages."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if referer:
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
    if origin != own_origin(request):
        raise WebError("请求不是来自本系统的页面，已拒绝 (cross-site request refused: Origin/Referer "
                       "does not name this site)", status=403, code="bad_origin")


def check_csrf(request: Request, signed: Signed, sent: str | None) -> None:
    value = sent or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(value.encode(), signed.csrf.encode()):
        raise WebError("表单已过期或缺少安全校验码，请刷新页面后重试 (CSRF token missing or wrong)",
                       status=403, code="bad_csrf")


def login_token(request: Request) -> str:
    """The login form's token: the cookie's, or a new one (set by ``keep_login_token``)."""
    value = request.cookies.get(LOGIN_COOKIE)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_login_token = value
    return value


def keep_login_token(request: Request, response: Response) -> None:
    value = getattr(request.state, "new_login_token", None)
    if value:
        set_cookie(request, response, LOGIN_COOKIE, value, max_age=3600, same_site="strict")


def check_login_token(request: Request, sent: str | None) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE) or ""
    if not cookie or not hmac.compare_digest((sent or "").encode(), cookie.encode()):
        raise WebError("登录表单已过期，请刷新页面后重新登录 (login form expired: reload the page)",
                       status=403, code="bad_csrf")
