"""What every route is given: the Env, the form as sent, the signed-in person — and, for a
POST, the checks that it came from this site's own form (sessions.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from adapters.web import sessions
from adapters.web.errors import WebError
from engine.services.context import Env

FORM_LIMIT = 256 * 1024  # a form is a few fields; an upload has its own route (designer)


def env_of(request: Request) -> Env:
    return request.app.state.env  # type: ignore[no-any-return]


async def read_form(request: Request) -> dict[str, Any]:
    """The posted form as text fields (a repeated name gives a list); none for a GET."""
    if request.method in sessions.SAFE_METHODS:
        return {}
    size = int(request.headers.get("content-length") or 0)
    if size > FORM_LIMIT:
        raise WebError("提交的内容过大 (form too large)", status=413, code="too_large")
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if len(values) > 1 else (values[0] if values else "")
    return out


def signed_in(request: Request) -> sessions.Signed:
    """A page for staff: the signed-in person (or the login page)."""
    return sessions.require(env_of(request), request)


def acting(request: Request, form: dict[str, Any] = Depends(read_form)) -> sessions.Signed:
    """A staff action (POST): signed in, from this site (the middleware checked the Origin),
    with the session's CSRF token."""
    signed = sessions.require(env_of(request), request)
    token = form.get("csrf_token")
    sessions.check_csrf(request, signed, token if isinstance(token, str) else None)
    return signed


def text(form: dict[str, Any], name: str, default: str = "") -> str:
    value = form.get(name, default)
    if isinstance(value, list):
        value = value[-1] if value else default
    return str(value).strip()


def lines(form: dict[str, Any], name: str) -> list[str]:
    """A textarea with one item per line (or the field repeated)."""
    value = form.get(name, "")
    items = value if isinstance(value, list) else str(value).splitlines()
    return [i.strip() for i in items if i.strip()]
