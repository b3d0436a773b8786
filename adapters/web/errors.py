"""Errors → HTTP responses, in one place.

A ``SunshineError``'s stable ``code`` (engine/errors.py) decides the status; the page shows its
message and the field it is about, the API answers ``{code, message, field}``. A route whose
form can show the error beside the field it names sets ``request.state.form`` (the template and
its context) before calling its service; the error is then shown in that form instead of on an
error page. A database that is away (restarting, unreachable, locked past the wait) is a 503
with ``Retry-After`` (``database_unavailable``): the unit of work that met it rolled back whole,
and the next request opens a fresh connection, so the site recovers by itself when the database
is back. Anything else is a bug: FastAPI answers 500 and logs it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from engine.errors import SunshineError

# The status for each error code; a code not listed takes its nearest listed ancestor's, and a
# SunshineError with none of these is a 400.
HTTP_STATUS = {
    "config_error": 400,
    "definition_error": 422,
    "lint_failed": 422,
    "not_found": 404,
    "invalid_action": 409,
    "conflict": 409,
    "calendar_error": 422,
    "script_error": 422,
    "permission_denied": 403,
    "not_publishable": 409,
    "render_error": 500,
    "copy_not_verified": 500,
}

# What each status is called on the error page's title.
TITLES = {400: "输入有误", 403: "权限不足", 404: "没有找到", 409: "不能这样办理", 422: "无法处理",
          500: "系统错误", 503: "暂停服务"}

log = logging.getLogger("sunshine.web")

RETRY_AFTER = 30  # seconds: what a 503 asks the caller to wait before trying again
UNAVAILABLE = ("数据库暂时无法访问（正在重启或维护），请稍候片刻再试；如果刚提交了办理，请先刷新页面查看是否"
               "已经保存 (the database is unavailable for the moment: try again shortly; after a "
               "submission, reload first to see whether it was saved)")


def http_status(err: SunshineError) -> int:
    for cls in type(err).__mro__:
        code = getattr(cls, "code", None)
        if code in HTTP_STATUS:
            return HTTP_STATUS[code]
    return 400


class WebError(SunshineError):
    """A refusal by the web layer itself, with its own status: not signed in (401), a request
    without its CSRF token or from another site (403), a form that cannot be read (400)."""

    code = "web_error"

    def __init__(self, message: str, *, status: int, code: str, field: str | None = None,
                 login_again: bool = False) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.code = code
        self.login_again = login_again


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_body(err: SunshineError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": err.code, "message": str(err)}
    if err.field:
        body["field"] = err.field
    return body


def handle(request: Request, err: SunshineError) -> Response:
    """The one translation of an error into a response."""
    from adapters.web.render import render

    status = err.status if isinstance(err, WebError) else http_status(err)
    if is_api(request):
        return JSONResponse(error_body(err), status_code=status)
    if isinstance(err, WebError) and err.login_again and not is_htmx(request):
        from adapters.web.sessions import login_redirect

        return login_redirect(request, str(err))
    form = getattr(request.state, "form", None)
    if err_is_login(err) and is_htmx(request):
        response = Response(status_code=401)
        response.headers["HX-Redirect"] = "/login"
        return response
    if form is not None:  # the form the request came from, with the error beside its field
        template, context = form
        try:  # built only now: the page's data, read after the refusal
            context = context() if callable(context) else context
        except SunshineError:  # the page itself may not be shown to them (a refused reader)
            pass
        else:
            return render(request, template, {**context, "error": err}, status=status)
    if is_htmx(request):  # a button in a list: the message goes to the page's message area
        response = render(request, "_message.html", {"error": err}, status=status)
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "error.html", {"error": err, "status": status,
                                          "title": TITLES.get(status, "出错了")}, status=status)


def err_is_login(err: SunshineError) -> bool:
    return isinstance(err, WebError) and err.login_again


def database_unavailable(request: Request, exc: Exception) -> Response:
    """A database error: a 503 page (or ``{code, message}``) when the database is away — the
    unit of work asks its store (``is_transient``) — else re-raised as the bug it is (500)."""
    env = request.app.state.env
    if not env.uow().is_transient(exc):  # building a unit of work opens no connection
        raise exc
    log.warning("database unavailable, answered 503 to %s %s: %s", request.method,
                request.url.path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    request.state.form = None  # a form's page would have to read the database to be shown
    err = WebError(UNAVAILABLE, status=503, code="database_unavailable")
    response = handle(request, err)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def not_found_page(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no such route) and 405, as the same page and JSON."""
    status = getattr(exc, "status_code", 404)
    message = ("没有这个页面，请检查地址 (no such page)" if status == 404 else
               "这个地址不接受这种请求 (method not allowed)")
    err = WebError(message, status=status, code="not_found" if status == 404 else "bad_request")
    return handle(request, err)

