"""我的待办: a person's steps, most urgent first, in views kept in the address (全部 / 我已认领 /
待认领 / 超期); claiming, handing back (交回), handing on within the post (转办, the post's
leader) and completing a step.

With htmx a claim replaces its row's buttons and a completion its form, without reloading the
page; without JavaScript the same buttons are plain forms that post and come back to the list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.errors import is_htmx
from adapters.web.render import render
from adapters.web.sessions import Signed
from adapters.web.stepform import step_form
from engine.services import cases, window_views

router = APIRouter(include_in_schema=False)


def _list_context(request: Request, signed: Signed, view: str) -> dict[str, Any]:
    page = window_views.task_page(env_of(request), signed.actor, view)
    return {"page": page, "tasks": page.rows, "view": page.view}


def _view_of(form: dict[str, Any]) -> str:
    view = text(form, "view")
    return view if view in window_views.TASK_VIEWS else "all"


def _to_list(view: str, message: str) -> Response:
    where = f"/?view={quote(view)}&" if view != "all" else "/?"
    return RedirectResponse(f"{where}done={quote(message)}", status_code=303)


@router.get("/")
def work_list(request: Request, done: str = "", view: str = "all",
              signed: Signed = Depends(signed_in)) -> Response:
    return render(request, "tasks.html", {**_list_context(request, signed, view),
                                          "notice": done or None})


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, task_id: str, form: dict[str, Any] = Depends(read_form),
          signed: Signed = Depends(acting)) -> Response:
    step = cases.claim(env_of(request), task_id, actor=signed.actor)
    if is_htmx(request):  # the row's buttons, now the claimant's (办理, 交回)
        return render(request, "_task_actions.html", {"t": step, "view": _view_of(form)})
    return _to_list(_view_of(form), f"已认领 {step.case_number} {step.name}")


@router.post("/tasks/{task_id}/release")
def release(request: Request, task_id: str, form: dict[str, Any] = Depends(read_form),
            signed: Signed = Depends(acting)) -> Response:
    """交回: the claimant (or the post's leader) hands the step back to the post."""
    view = _view_of(form)
    request.state.form = ("tasks.html", lambda: _list_context(request, signed, view))
    step = cases.release(env_of(request), task_id, actor=signed.actor, reason=text(form, "reason"))
    return _to_list(view, f"已交回 {step.case_number} {step.name}，本岗位人员可重新认领")


@router.post("/tasks/{task_id}/reassign")
def reassign(request: Request, task_id: str, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    """转办: the post's leader hands the step to another holder of the post."""
    view = _view_of(form)
    request.state.form = ("tasks.html", lambda: _list_context(request, signed, view))
    handed = window_views.reassign_step(env_of(request), task_id, text(form, "to"),
                                        actor=signed.actor, reason=text(form, "reason"))
    step = handed.step
    return _to_list(view, f"已将 {step.case_number} {step.name} 转办给 {handed.to_name}")


def _form_context(form: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {"form": form, "values": values}


@router.get("/cases/{number}/steps/{step_id}")
def step_page(request: Request, number: str, step_id: str,
              signed: Signed = Depends(signed_in)) -> Response:
    form = step_form(env_of(request), number, step_id, reader=signed.actor)
    template = "_step_form.html" if is_htmx(request) else "step.html"
    return render(request, template, _form_context(form, {}))


@router.post("/cases/{number}/steps/{step_id}")
def complete(request: Request, number: str, step_id: str,
             posted: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    env = env_of(request)
    form = step_form(env, number, step_id, reader=signed.actor)
    # the form as sent, typed and checked by the service; an unticked box sends nothing: "no"
    data = {k: v for k, v in posted.items() if k != "csrf_token"}
    for f in form.fields:
        if f.type == "boolean" and f.name not in data:
            data[f.name] = "false"
    template = "_step_form.html" if is_htmx(request) else "step.html"
    request.state.form = (template, _form_context(form, posted))
    view = cases.complete_task(env, step_id, actor=signed.actor, data=data)
    message = f"已办理 {number} {form.name}"
    if is_htmx(request):
        return render(request, "_step_done.html", {"form": form, "case": view, "message": message})
    return RedirectResponse("/?done=" + quote(message), status_code=303)

