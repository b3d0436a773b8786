"""我的待办: a person's steps, most urgent first; claiming and completing a step.

With htmx a claim replaces its row and a completion its form, without reloading the page;
without JavaScript the same buttons are plain forms that post and come back to the list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, read_form, signed_in
from adapters.web.errors import is_htmx
from adapters.web.render import render
from adapters.web.sessions import Signed
from adapters.web.stepform import step_form
from engine.services import cases, views

router = APIRouter(include_in_schema=False)


@router.get("/")
def work_list(request: Request, done: str = "", signed: Signed = Depends(signed_in)) -> Response:
    tasks = views.work_list(env_of(request), signed.actor)
    return render(request, "tasks.html", {"tasks": tasks, "notice": done or None})


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, task_id: str, signed: Signed = Depends(acting)) -> Response:
    step = cases.claim(env_of(request), task_id, actor=signed.actor)
    if is_htmx(request):
        return render(request, "_claimed.html", {"step": step})
    return RedirectResponse("/?done=" + quote(f"已认领 {step.case_number} {step.name}"),
                            status_code=303)


def _form_context(form: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {"form": form, "values": values}


@router.get("/cases/{number}/steps/{step_id}")
def step_page(request: Request, number: str, step_id: str,
              signed: Signed = Depends(signed_in)) -> Response:
    form = step_form(env_of(request), number, step_id)
    template = "_step_form.html" if is_htmx(request) else "step.html"
    return render(request, template, _form_context(form, {}))


@router.post("/cases/{number}/steps/{step_id}")
def complete(request: Request, number: str, step_id: str,
             posted: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    env = env_of(request)
    form = step_form(env, number, step_id)
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

