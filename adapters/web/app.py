"""The application factory: ``create_app(env)`` wires the routes, the static files, the one
error translation (errors.py), the same-origin check on every POST and, on SQLite, one
in-process lock around every unit of work.

Handlers are plain ``def`` functions, run in Starlette's thread pool: the engine is synchronous
SQLAlchemy, and ``async def`` handlers calling it would stall the event loop. On SQLite every
unit of work that writes takes the database's write lock, and threads of one process waiting on
each other through SQLite's busy handler lose time sleeping; one in-process lock around each
unit of work queues them instead (1.4–1.75× the throughput, ../shared/DESIGN.md "Web").
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.web import errors, sessions
from adapters.web.exports import Exports
from engine.errors import SunshineError
from engine.services.context import Env

STATIC = Path(__file__).resolve().parent / "static"
# Every asset is served from here: the service hall may have no internet.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'self'")


class _LockedUnitOfWork:
    """A unit of work entered only under the process's lock (SQLite: one writer at a time)."""

    def __init__(self, inner: Any, lock: threading.RLock) -> None:
        self.inner = inner
        self.lock = lock

    def __enter__(self) -> Any:
        self.lock.acquire()
        try:
            return self.inner.__enter__()
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self.inner.__exit__(*exc)
        finally:
            self.lock.release()

    def is_transient(self, err: BaseException) -> bool:
        return bool(self.inner.is_transient(err))


def serialized(env: Env) -> Env:
    """On SQLite, the same Env whose units of work queue on one in-process lock (re-entrant:
    a use case that records a refusal opens a second unit of work after its first)."""
    engine = getattr(env, "engine", None)
    if engine is None or engine.dialect.name != "sqlite":
        return env
    lock = threading.RLock()
    factory = env.uow
    return dataclasses.replace(env, uow=lambda: _LockedUnitOfWork(factory(), lock))


def create_app(env: Env, *, seal_dir: str | None = None) -> FastAPI:
    """The web application; ``seal_dir`` is where the worker writes the audit seals
    (SUNSHINE_SEAL_DIR), published at /seals."""
    from adapters.web import (
        api,
        routes_admin,
        routes_auth,
        routes_cases,
        routes_catalogue,
        routes_designer,
        routes_feedback,
        routes_public,
        routes_reports,
        routes_supervision,
        routes_tasks,
        routes_window,
    )

    app = FastAPI(title="阳光审批 Sunshine", version="0.1.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    app.state.env = serialized(env)
    app.state.exports = Exports()  # the publisher's export jobs (adapters/web/exports.py)
    app.state.seal_dir = seal_dir
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (routes_auth, routes_tasks, routes_cases, routes_window, routes_public,
                   routes_admin, routes_catalogue, routes_supervision, routes_designer,
                   routes_feedback, routes_reports, api):
        app.include_router(module.router)

    @app.exception_handler(SunshineError)
    def _sunshine_error(request: Request, exc: SunshineError) -> Response:
        return errors.handle(request, exc)

    # the database away (restarting, unreachable, locked): 503, recovered by itself (errors.py)
    app.add_exception_handler(sa_exc.DBAPIError, errors.database_unavailable)
    engine = getattr(env, "engine", None)
    if engine is not None and engine.dialect.name == "postgresql":
        import psycopg  # the driver's own errors: the writes go with the COMMIT (adapters/sql/pg_path.py)

        app.add_exception_handler(psycopg.Error, errors.database_unavailable)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return errors.not_found_page(request, exc)

    @app.exception_handler(RequestValidationError)
    def _bad_input(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = where[-1] if where else None
        err = errors.WebError(f"输入有误：{'.'.join(where) or '请求'} — {first.get('msg', '')} "
                              f"(invalid input)", status=400, code="invalid_input", field=field)
        return errors.handle(request, err)

    @app.middleware("http")
    async def _same_origin(request: Request, call_next: Any) -> Response:
        """Every state-changing request comes from this site's own pages, except an API call
        that authenticates with a key and carries no cookie (no browser sends it on its own)."""
        if request.method not in sessions.SAFE_METHODS:
            by_key = (errors.is_api(request) and "authorization" in request.headers
                      and "cookie" not in request.headers)
            if not by_key:
                try:
                    sessions.check_origin(request)
                except errors.WebError as err:
                    return errors.handle(request, err)
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path != "/lookup" and not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
