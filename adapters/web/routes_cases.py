"""The case file (案卷): the case's whole record with the window's 受理 / 一次性告知 / 不予受理
while it waits for acceptance (the checklist's rows not marked 已收 are the notice's items), and
its receipt to print. Registering (收件) and the window's other buttons: routes_window.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.render import render
from adapters.web.routes_window import back_to_case, checklist, set_case_form, supplement_items
from adapters.web.sessions import Signed
from engine.services import cases, window_views
from engine.services.notices import receipt_document
from engine.services.window_views import CORRECT, MATERIAL_STATES, MISSING

router = APIRouter(include_in_schema=False)


def _back(number: str, message: str) -> Response:
    return back_to_case(number, message)


# -- the case file ----------------------------------------------------------------------------


@router.get("/cases/{number}")
def case_file(request: Request, number: str, done: str = "",
              signed: Signed = Depends(signed_in)) -> Response:
    page = window_views.case_page(env_of(request), number, reader=signed.actor)
    return render(request, "case.html", {"case": page.case, "page": page, "notice": done or None,
                                         "tab": request.query_params.get("tab", ""),
                                         "states": MATERIAL_STATES})


@router.post("/cases/{number}/accept")
def accept(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    set_case_form(request, number, "accept", signed.actor)
    missing = [name for name, state in checklist(form) if state in (MISSING, CORRECT)]
    view = cases.accept(env_of(request), number, actor=signed.actor, note=text(form, "note"),
                        missing=missing)
    return _back(view.number, f"已受理，承诺办结日期 {view.promised_day or '—'}")


@router.post("/cases/{number}/refuse")
def refuse(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    set_case_form(request, number, "refuse", signed.actor)
    view = cases.refuse_acceptance(env_of(request), number, actor=signed.actor,
                                   reason=text(form, "reason"))
    return _back(view.number, "已作出不予受理决定，请打印不予受理通知书")


@router.post("/cases/{number}/supplement")
def supplement(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
               signed: Signed = Depends(acting)) -> Response:
    """一次性告知: the checklist's rows not marked 已收, and anything written below them."""
    set_case_form(request, number, "supplement", signed.actor)
    view = cases.request_supplement(env_of(request), number, actor=signed.actor,
                                    items=supplement_items(form),
                                    why_not_in_first_notice=text(form, "why"))
    return _back(view.number, "已一次性告知补正，请打印补正告知书")


@router.get("/cases/{number}/receipt")
def receipt(request: Request, number: str, signed: Signed = Depends(signed_in)) -> Response:
    """The notice that applies now, to print (A4), with a QR code to the public lookup."""
    import segno

    document = receipt_document(env_of(request), number, reader=signed.actor)
    link = (f"{request.url.scheme}://{request.url.netloc}/lookup?number="
            f"{quote(document.case_number)}&code={quote(document.query_code)}")
    qr = segno.make(link, error="m").svg_inline(scale=3, omitsize=False)
    return render(request, "receipt.html", {"doc": document, "qr": qr, "link": link})
