"""The window workbench (窗口): 收件 with the power found by name, code or unit and its guide
beside the form, the agent, the channel and the materials checklist; the window's buttons on a
case (容缺受理, 补正材料已收, 容缺材料已补齐, 撤件, 送达); and the clerk's queue (today's intake,
cases waiting for acceptance or for 补正, results ready to hand out).

Each route reads its form, calls one service and renders; the services check who may act.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, lines, read_form, signed_in, text
from adapters.web.errors import WebError, is_htmx
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.applicants import CERTIFICATE_TYPES, Applicant
from engine.errors import SunshineError
from engine.identity import Action, Actor
from engine.services import cases, handling, window_views
from engine.services.web_views import require_role
from engine.services.window_views import CORRECT, MATERIAL_STATES, RECEIVED

router = APIRouter(include_in_schema=False)


def back_to_case(number: str, message: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/cases/{quote(number)}?done={quote(message)}{anchor}",
                            status_code=303)


def checklist(form: dict[str, Any]) -> list[tuple[str, str]]:
    """The materials checklist as posted: each row's material (``material``, repeated, in
    order) and the state ticked for it (``state_0``, ``state_1`` …; "" when none)."""
    names = form.get("material", [])
    names = names if isinstance(names, list) else [names]
    return [(name.strip(), text(form, f"state_{i}")) for i, name in enumerate(names)
            if name.strip()]


def not_received(form: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, state) for name, state in checklist(form) if state != RECEIVED]


def set_case_form(request: Request, number: str, failed: str, reader: Actor) -> None:
    """On a refusal the case page comes back (to a reader who may read it), the message beside
    the form that failed."""
    def context() -> dict[str, Any]:
        page = window_views.case_page(env_of(request), number, reader=reader)
        return {"case": page.case, "page": page, "tab": "", "failed": failed,
                "states": MATERIAL_STATES}
    request.state.form = ("case.html", context)


# -- 收件 ----------------------------------------------------------------------------------------


def _register_context(request: Request, values: dict[str, Any], *, q: str = "",
                      code: str = "") -> dict[str, Any]:
    page = window_views.window_page(env_of(request), q=q, code=code)
    return {"page": page, "chosen": page.chosen, "checklist": page.checklist,
            "types": CERTIFICATE_TYPES, "values": values, "tab": "register",
            "states": MATERIAL_STATES,
            "request_key": values.get("request_key") or secrets.token_hex(12)}


@router.get("/window")
def window(request: Request, q: str = "", power: str = "",
           signed: Signed = Depends(signed_in)) -> Response:
    require_role(env_of(request), signed.actor, Action.REGISTER, target="window")
    context = _register_context(request, {"power": power}, q=q[:100], code=power)
    if is_htmx(request) and request.headers.get("HX-Target") == "checklist":
        # the power chosen in the form: its checklist in the form, its guide beside it
        return render(request, "window_power.html", context)
    return render(request, "window.html", context)


def _chosen_code(form: dict[str, Any]) -> str:
    return text(form, "power")


@router.post("/window")
def register(request: Request, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    def again() -> dict[str, Any]:
        try:
            context = _register_context(request, form, code=_chosen_code(form))
        except SunshineError:  # the power itself was the problem: the form without its guide
            context = _register_context(request, form)
        marked = dict(checklist(form))
        context["checklist"] = tuple(
            window_views.ChecklistRow(r.name, r.key, r.commitment, marked.get(r.name, ""))
            for r in context["checklist"])
        return context
    request.state.form = ("window.html", again)
    data = window_views.application_data(
        agent={"name": text(form, "agent_name"), "id_type": text(form, "agent_id_type"),
               "id_number": text(form, "agent_id_number"), "phone": text(form, "agent_phone")},
        checklist=checklist(form))
    applicant = Applicant(text(form, "applicant"), text(form, "id_type"), text(form, "id_number"),
                          phone=text(form, "phone"), email=text(form, "email"),
                          address=text(form, "address"))
    view = cases.start_case(env_of(request), _chosen_code(form), applicant, data,
                            actor=signed.actor, channel=text(form, "channel", "window"),
                            received_on=text(form, "received_on") or None,
                            request_key=text(form, "request_key") or None)
    message = (f"已收件，办件编号 {view.number}，查询码 {view.query_code}" if not view.existing else
               f"此申请已登记过（同一请求），办件编号 {view.number}")
    return back_to_case(view.number, message)


# -- the clerk's queue ----------------------------------------------------------------------------


@router.get("/window/queue")
def queue(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    # applicants' names and what they lack: the window's, not every member of staff's
    require_role(env_of(request), signed.actor, Action.REGISTER, target="window queue")
    page = window_views.window_queue(env_of(request))
    return render(request, "queue.html", {"q": page, "tab": "queue"})


# -- the window's buttons on a case ---------------------------------------------------------------


@router.post("/cases/{number}/accept-with-gaps")
def accept_with_gaps(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
                     signed: Signed = Depends(acting)) -> Response:
    """容缺受理: the rows not marked 已收 follow later, on the applicant's signed commitment."""
    set_case_form(request, number, "accept", signed.actor)
    days = text(form, "makeup_days")
    if days and not days.isdigit():
        raise WebError("补齐期限须是工作日数（如 5），或不填（到承诺办结日） (working days)",
                       status=400, code="invalid_input", field="makeup_days")
    missing = [name for name, _ in not_received(form)]
    view = handling.accept_with_gaps(env_of(request), number, actor=signed.actor, missing=missing,
                                     commitment_signed=text(form, "commitment_signed") == "true",
                                     makeup_days=int(days) if days else None)
    return back_to_case(view.number, f"已容缺受理，容缺材料：{'、'.join(missing)}；"
                                     f"承诺办结日期 {view.promised_day or '—'}")


@router.post("/cases/{number}/supplement-received")
def supplement_received(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
                        signed: Signed = Depends(acting)) -> Response:
    set_case_form(request, number, "supplement_received", signed.actor)
    view = cases.supplement_received(env_of(request), number, actor=signed.actor,
                                     note=text(form, "note"))
    message = ("补正材料已收，请核对材料后受理" if view.state.value == "received" else
               "补正材料已收，恢复计时")
    return back_to_case(view.number, message)


@router.post("/cases/{number}/gaps-made-up")
def gaps_made_up(request: Request, number: str, signed: Signed = Depends(acting)) -> Response:
    set_case_form(request, number, "gaps", signed.actor)
    view = handling.gaps_made_up(env_of(request), number, actor=signed.actor)
    return back_to_case(view.number, "容缺材料已补齐")


@router.post("/cases/{number}/withdraw")
def withdraw(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    set_case_form(request, number, "withdraw", signed.actor)
    reason = text(form, "reason")
    if not reason:
        raise WebError("撤件须写明申请人撤回的理由（写入记录） (give the reason)", status=400,
                       code="invalid_input", field="reason")
    view = cases.withdraw(env_of(request), number, actor=signed.actor, reason=reason)
    return back_to_case(view.number, "已撤件")


@router.post("/cases/{number}/hand-out")
def hand_out(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    set_case_form(request, number, "hand_out", signed.actor)
    view = cases.hand_out(env_of(request), number, actor=signed.actor, method=text(form, "method"),
                          received_by=text(form, "received_by"), note=text(form, "note"))
    return back_to_case(view.number, f"已送达，签收人 {text(form, 'received_by')}")


def supplement_items(form: dict[str, Any]) -> list[str]:
    """一次性告知: the checklist's rows not marked 已收 (需补正 said so), then the other items
    written one per line."""
    rows = [name + ("（需补正）" if state == CORRECT else "") for name, state in not_received(form)]
    return rows + [i for i in lines(form, "items") if i not in rows]


__all__ = ["back_to_case", "checklist", "not_received", "router",
           "set_case_form", "supplement_items"]
