"""Signing in and out (登录、退出)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web import sessions
from adapters.web.deps import acting, env_of, read_form, text
from adapters.web.render import render
from engine.services import identity

router = APIRouter(include_in_schema=False)


def _next(value: str | None) -> str:
    """Only a path of this site (never //other.site or an absolute address)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/", why: str = "") -> Response:
    return render(request, "login.html", {"next": _next(next), "why": why, "login": "",
                                          "login_token": sessions.login_token(request)})


@router.post("/login")
def login(request: Request, form: dict[str, Any] = Depends(read_form)) -> Response:
    env = env_of(request)
    target = _next(text(form, "next"))
    login_name = text(form, "login")
    request.state.form = ("login.html", {"next": target, "why": "", "login": login_name,
                                         "login_token": sessions.login_token(request)})
    sessions.check_login_token(request, text(form, "login_token"))
    actor = identity.check_password(env, login_name, str(form.get("password") or ""))
    response = RedirectResponse(target, status_code=303)
    sessions.begin(env, request, response, actor)
    return response


@router.post("/logout")
def logout(request: Request, signed: sessions.Signed = Depends(acting)) -> Response:
    response = RedirectResponse("/login?why=" + quote("您已退出登录"), status_code=303)
    sessions.end(env_of(request), request, response)
    return response
