"""The JSON API under /api/ (described at /openapi.json), for other government systems.

A caller authenticates with an API key (``Authorization: Bearer ssk_…``, identity.
actor_for_api_key) or, from this site's own pages, with the session cookie plus the
``X-CSRF-Token`` header on a POST. The services check permissions exactly as for the pages.
Errors are ``{code, message, field?}`` with the same statuses as the pages (errors.py).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Body, Request

from adapters.web import sessions
from adapters.web.deps import env_of
from adapters.web.errors import WebError
from engine.identity import Actor
from engine.services import cases, identity, views
from engine.services.supervision import case_record, public_lookup

router = APIRouter(prefix="/api", tags=["api"])


def _actor(request: Request) -> Actor:
    env = env_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return identity.actor_for_api_key(env, header[7:])
    signed = sessions.current(env, request)
    if signed is None:
        raise WebError("需要 API 密钥（Authorization: Bearer …）或登录 (authentication required)",
                       status=401, code="not_signed_in")
    if request.method not in sessions.SAFE_METHODS:
        sessions.check_csrf(request, signed, None)
    return signed.actor


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


@router.get("/tasks", summary="我的待办: the caller's steps, least working time left first")
def my_tasks(request: Request) -> list[dict[str, Any]]:
    return [_plain(t) for t in views.work_list(env_of(request), _actor(request))]


@router.get("/cases/{number}", summary="案卷: a case's whole record")
def case(request: Request, number: str) -> dict[str, Any]:
    _actor(request)
    return case_record(env_of(request), number)


@router.post("/tasks/{task_id}/claim", summary="认领 a step")
def claim(request: Request, task_id: str) -> dict[str, Any]:
    return _plain(cases.claim(env_of(request), task_id, actor=_actor(request)))


@router.post("/tasks/{task_id}/complete", summary="办理 a step with its form data")
def complete(request: Request, task_id: str,
             data: dict[str, Any] = Body(default_factory=dict, embed=True)) -> dict[str, Any]:
    view = cases.complete_task(env_of(request), task_id, actor=_actor(request), data=data)
    return _plain(view)


@router.get("/lookup", summary="办件进度查询 (public, masked)")
def lookup(request: Request, number: str, code: str) -> dict[str, Any]:
    return public_lookup(env_of(request), number, code)
