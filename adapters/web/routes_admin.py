"""系统管理: users (list, add, disable, grant, revoke, set a password), API keys (made and shown
once, revoked), refused attempts, and signed-in sessions (list, end one or all of a user's).

Every page and action is the administrator's: the services check the permission table
(管理用户) and anyone else is refused with 403, the attempt recorded. Each action posts its form
with the CSRF token and comes back to the page it came from with what was done, or with the
refusal beside the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web import admin_sessions
from adapters.web.deps import acting, env_of, lines, read_form, signed_in, text
from adapters.web.errors import WebError
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.errors import SunshineError
from engine.services import admin_views, identity

router = APIRouter(include_in_schema=False)


def _to(path: str, message: str) -> Response:
    return RedirectResponse(f"{path}?done=" + quote(message), status_code=303)


def _user_path(login: str) -> str:
    return "/admin/users/" + quote(login, safe="")


def _lazy(build: Callable[[], dict[str, Any]], **extra: Any) -> Callable[[], dict[str, Any]]:
    """The page's data for a refusal shown in its form, read only then; when the page itself
    cannot be read (not an administrator) the refusal is shown alone."""
    def context() -> dict[str, Any]:
        try:
            return {**build(), **extra}
        except SunshineError:
            return {"page": None, "sessions": [], "keys": [], "forbidden": True, **extra}
    return context


def _password(form: dict[str, Any], name: str = "password") -> str:
    value = form.get(name, "")
    return value[-1] if isinstance(value, list) else str(value)  # as typed: never stripped


# -- users -------------------------------------------------------------------------------------


@router.get("/admin")
def admin_home(signed: Signed = Depends(signed_in)) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users")
def users(request: Request, done: str = "", signed: Signed = Depends(signed_in)) -> Response:
    page = admin_views.users_page(env_of(request), signed.actor)
    return render(request, "admin_users.html", {"page": page, "values": {}, "tab": "users",
                                                "notice": done or None})


@router.post("/admin/users")
def add_user(request: Request, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    env = env_of(request)
    values = {k: v for k, v in form.items() if k not in ("password", "csrf_token")}
    values.update({name: lines(form, name) for name in ("roles", "posts", "leads")})
    request.state.form = ("admin_users.html", _lazy(
        lambda: {"page": admin_views.users_page(env, signed.actor)}, values=values, tab="users"))
    user = identity.add_user(env, by=signed.actor, login=text(form, "login"),
                             name=text(form, "name"), unit=text(form, "unit"),
                             roles=lines(form, "roles"), posts=lines(form, "posts"),
                             leads=lines(form, "leads"),
                             password=_password(form) or None)
    return _to(_user_path(user.login), f"已登记用户 {user.name}（{user.login}）")


def _user_form(request: Request, signed: Signed, login: str, failed: str) -> None:
    env = env_of(request)
    request.state.form = ("admin_user.html", _lazy(
        lambda: {"page": admin_views.user_page(env, signed.actor, login),
                 "sessions": admin_sessions.open_sessions(env, signed.actor, login=login)},
        failed=failed, tab="users", secret=None))


@router.get("/admin/users/{login}")
def user(request: Request, login: str, done: str = "",
         signed: Signed = Depends(signed_in)) -> Response:
    env = env_of(request)
    page = admin_views.user_page(env, signed.actor, login)
    return render(request, "admin_user.html", {
        "page": page, "sessions": admin_sessions.open_sessions(env, signed.actor, login=login),
        "tab": "users", "failed": "", "secret": None, "notice": done or None})


@router.post("/admin/users/{login}/disable")
def disable(request: Request, login: str, form: dict[str, Any] = Depends(read_form),
            signed: Signed = Depends(acting)) -> Response:
    _user_form(request, signed, login, "disable")
    user = identity.disable_user(env_of(request), login, by=signed.actor,
                                 reason=text(form, "reason"))
    return _to(_user_path(user.login), f"已停用 {user.name}（{user.login}），其登录即时失效")


@router.post("/admin/users/{login}/grant")
def grant(request: Request, login: str, form: dict[str, Any] = Depends(read_form),
          signed: Signed = Depends(acting)) -> Response:
    _user_form(request, signed, login, "grant")
    user = identity.grant(env_of(request), login, by=signed.actor, roles=lines(form, "roles"),
                          posts=lines(form, "posts"), leads=lines(form, "leads"))
    return _to(_user_path(user.login), f"已授予 {user.name}：{user.role_labels}；岗位 "
                                       f"{'、'.join(user.posts) or '无'}")


@router.post("/admin/users/{login}/revoke")
def revoke(request: Request, login: str, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    _user_form(request, signed, login, "revoke")
    user = identity.revoke(env_of(request), login, by=signed.actor, roles=lines(form, "roles"),
                           posts=lines(form, "posts"), leads=lines(form, "leads"))
    return _to(_user_path(user.login), f"已撤销，{user.name} 现有角色：{user.role_labels or '无'}")


@router.post("/admin/users/{login}/password")
def set_password(request: Request, login: str, form: dict[str, Any] = Depends(read_form),
                 signed: Signed = Depends(acting)) -> Response:
    _user_form(request, signed, login, "password")
    password = _password(form)
    if password != _password(form, "password2"):
        raise WebError("两次输入的密码不一致 (the passwords differ)", status=400,
                       code="invalid_input", field="password2")
    identity.set_password(env_of(request), login, password, by=signed.actor)
    return _to(_user_path(login), "已设置新密码，请当面或以安全方式告知本人")


@router.post("/admin/users/{login}/sessions/revoke")
def revoke_sessions(request: Request, login: str, signed: Signed = Depends(acting)) -> Response:
    _user_form(request, signed, login, "sessions")
    count = admin_sessions.revoke_sessions_of(env_of(request), signed.actor, login)
    return _to(_user_path(login), f"已结束 {login} 的 {count} 个登录会话")


# -- API keys ------------------------------------------------------------------------------------


@router.post("/admin/users/{login}/keys")
def create_key(request: Request, login: str, form: dict[str, Any] = Depends(read_form),
               signed: Signed = Depends(acting)) -> Response:
    """The key is on this answer only (never stored, never shown again)."""
    env = env_of(request)
    _user_form(request, signed, login, "key")
    key, secret = identity.create_api_key(env, login, text(form, "name"), by=signed.actor)
    return render(request, "admin_user.html", {
        "page": admin_views.user_page(env, signed.actor, login),
        "sessions": admin_sessions.open_sessions(env, signed.actor, login=login),
        "tab": "users", "failed": "", "secret": secret, "new_key": key,
        "notice": f"已为 {login} 生成 API 密钥“{key.name}”：请立即复制，离开本页后不再显示"})


@router.get("/admin/keys")
def keys(request: Request, done: str = "", signed: Signed = Depends(signed_in)) -> Response:
    lines_ = admin_views.api_keys(env_of(request), signed.actor)
    return render(request, "admin_keys.html", {"keys": lines_, "tab": "keys",
                                               "notice": done or None})


def _back_to(form: dict[str, Any]) -> str:
    back = text(form, "back")
    return back if back.startswith("/admin/") and "//" not in back else "/admin/keys"


@router.post("/admin/keys/{prefix}/revoke")
def revoke_key(request: Request, prefix: str, form: dict[str, Any] = Depends(read_form),
               signed: Signed = Depends(acting)) -> Response:
    env = env_of(request)
    request.state.form = ("admin_keys.html", _lazy(
        lambda: {"keys": admin_views.api_keys(env, signed.actor)}, tab="keys"))
    identity.revoke_api_key(env, prefix, by=signed.actor)
    return _to(_back_to(form), f"已撤销 API 密钥 {prefix}，使用它的系统须换用新密钥")


# -- refused attempts and sessions -------------------------------------------------------------


@router.get("/admin/denials")
def denials(request: Request, login: str = "", signed: Signed = Depends(signed_in)) -> Response:
    rows = admin_views.refused_attempts(env_of(request), signed.actor, login=login)
    return render(request, "admin_denials.html", {"denials": rows, "login": login.strip(),
                                                  "tab": "denials"})


@router.get("/admin/sessions")
def sessions_page(request: Request, login: str = "", done: str = "",
                  signed: Signed = Depends(signed_in)) -> Response:
    rows = admin_sessions.open_sessions(env_of(request), signed.actor, login=login)
    return render(request, "admin_sessions.html", {
        "sessions": rows, "login": login.strip(), "tab": "sessions", "mine": signed.session_id,
        "notice": done or None})


@router.post("/admin/sessions/{session_id}/revoke")
def revoke_session(request: Request, session_id: str, form: dict[str, Any] = Depends(read_form),
                   signed: Signed = Depends(acting)) -> Response:
    env = env_of(request)
    request.state.form = ("admin_sessions.html", _lazy(
        lambda: {"sessions": admin_sessions.open_sessions(env, signed.actor)},
        login="", tab="sessions", mine=signed.session_id))
    who = admin_sessions.revoke_session(env, signed.actor, session_id)
    return _to(_back_to(form) if text(form, "back") else "/admin/sessions",
               f"已结束 {who} 的一个登录会话")
