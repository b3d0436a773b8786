"""The window (窗口) and the case file (案卷): registering an application, 受理 / 不予受理 /
一次性告知 on the case page, the case's whole record, and its receipt to print."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, lines, read_form, signed_in, text
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.applicants import CERTIFICATE_TYPES, Applicant
from engine.services import cases
from engine.services.catalogue_admin import list_powers
from engine.services.notices import receipt_document
from engine.services.supervision import case_record

router = APIRouter(include_in_schema=False)


def _back(number: str, message: str) -> Response:
    return RedirectResponse(f"/cases/{quote(number)}?done=" + quote(message), status_code=303)


# -- the case file ----------------------------------------------------------------------------


@router.get("/cases/{number}")
def case_file(request: Request, number: str, done: str = "",
              signed: Signed = Depends(signed_in)) -> Response:
    record = case_record(env_of(request), number)
    return render(request, "case.html", {"case": record, "notice": done or None,
                                         "tab": request.query_params.get("tab", "")})


def _case_form(request: Request, number: str, **extra: Any) -> None:
    """On a refusal, the case page comes back with the message beside the form that failed."""
    request.state.form = ("case.html", lambda: {"case": case_record(env_of(request), number),
                                                "tab": "", **extra})


@router.post("/cases/{number}/accept")
def accept(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    _case_form(request, number, failed="accept")
    view = cases.accept(env_of(request), number, actor=signed.actor, note=text(form, "note"))
    return _back(view.number, f"已受理，承诺办结日期 {view.promised_day or '—'}")


@router.post("/cases/{number}/refuse")
def refuse(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    _case_form(request, number, failed="refuse")
    view = cases.refuse_acceptance(env_of(request), number, actor=signed.actor,
                                   reason=text(form, "reason"))
    return _back(view.number, "已作出不予受理决定，请打印不予受理通知书")


@router.post("/cases/{number}/supplement")
def supplement(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
               signed: Signed = Depends(acting)) -> Response:
    _case_form(request, number, failed="supplement")
    view = cases.request_supplement(env_of(request), number, actor=signed.actor,
                                    items=lines(form, "items"),
                                    why_not_in_first_notice=text(form, "why"))
    return _back(view.number, "已一次性告知补正，请打印补正告知书")


@router.get("/cases/{number}/receipt")
def receipt(request: Request, number: str, signed: Signed = Depends(signed_in)) -> Response:
    """The notice that applies now, to print (A4), with a QR code to the public lookup."""
    import segno

    document = receipt_document(env_of(request), number)
    link = (f"{request.url.scheme}://{request.url.netloc}/lookup?number="
            f"{quote(document.case_number)}&code={quote(document.query_code)}")
    qr = segno.make(link, error="m").svg_inline(scale=3, omitsize=False)
    return render(request, "receipt.html", {"doc": document, "qr": qr, "link": link})


# -- the window: registering an application (收件) -------------------------------------------


def _window_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    powers = list_powers(env_of(request), include_withdrawn=False)
    return {"powers": powers, "types": CERTIFICATE_TYPES, "values": values,
            "request_key": values.get("request_key") or secrets.token_hex(12)}


@router.get("/window")
def window(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    return render(request, "window.html", _window_context(request, {}))


@router.post("/window")
def register(request: Request, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("window.html", lambda: _window_context(request, form))
    applicant = Applicant(text(form, "applicant"), text(form, "id_type"), text(form, "id_number"),
                          phone=text(form, "phone"), email=text(form, "email"),
                          address=text(form, "address"))
    view = cases.start_case(env_of(request), text(form, "power"), applicant,
                            actor=signed.actor, channel=text(form, "channel", "window"),
                            received_on=text(form, "received_on") or None,
                            request_key=text(form, "request_key") or None)
    message = (f"已收件，办件编号 {view.number}，查询码 {view.query_code}" if not view.existing else
               f"此申请已登记过（同一请求），办件编号 {view.number}")
    return _back(view.number, message)
