"""好差评 and 投诉 on the web.

* Public, no sign-in: /rate (and /rate/{number}, the link on the receipt and the lookup page)
  where the applicant rates a closed case with its number and query code. The form carries a
  token that must match a short-lived cookie (as the login form does), and the site's
  same-origin check applies to it like every POST.
* The unit's staff: /reviews — the bad ratings their unit answers for, with the reply form.
* The window (and supervisors): /feedback/new — record a complaint, or a rating given at the
  window or by phone.
* Supervisors: /supervision/ratings (counts by score, bad ratings with their reviews, overdue
  first) and /supervision/complaints (overdue first), each complaint with its decision form.

Each route reads its form, calls one service and renders; the services check who may act.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web import sessions
from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.errors import WebError
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.model import Measure
from engine.services import complaints, feedback

router = APIRouter(include_in_schema=False)

LABELS = {"SCORES": feedback.SCORES, "RATING_CHANNELS": feedback.RATING_CHANNELS,
          "COMPLAINT_CHANNELS": complaints.CHANNELS, "COMPLAINT_STATUS": complaints.STATUS,
          "MEASURES": [m.value for m in Measure], "WORDS_LIMIT": feedback.WORDS_LIMIT,
          "REVIEW_DAYS": feedback.REVIEW_DAYS, "COMPLAINT_DAYS": complaints.COMPLAINT_DAYS}
MEASURE_LABELS = {"none": "不予追究"}  # the others are named in Chinese already


# -- the applicant's own rating -----------------------------------------------------------------

def _rate_page(request: Request, values: dict[str, str], done: Any = None) -> dict[str, Any]:
    return {"values": values, "done": done, "token": sessions.login_token(request), **LABELS}


@router.get("/rate")
def rate_form(request: Request, number: str = "", code: str = "") -> Response:
    values = {"number": number.strip(), "code": code.strip(), "score": "", "words": "",
              "channel": "web"}
    return render(request, "rate.html", _rate_page(request, values))


@router.get("/rate/{number}")
def rate_case(request: Request, number: str, code: str = "") -> Response:
    """The receipt's link: the number (and the query code) filled in."""
    values = {"number": number.strip(), "code": code.strip(), "score": "", "words": "",
              "channel": "qr"}
    return render(request, "rate.html", _rate_page(request, values))


@router.post("/rate")
def rate(request: Request, form: dict[str, Any] = Depends(read_form)) -> Response:
    values = {k: text(form, k) for k in ("number", "code", "score", "words", "channel")}
    values["words"] = str(form.get("words") or "").strip()
    request.state.form = ("rate.html", _rate_page(request, values))
    cookie = request.cookies.get(sessions.LOGIN_COOKIE) or ""
    if not cookie or not hmac.compare_digest(text(form, "token").encode(), cookie.encode()):
        raise WebError("评价表单已过期，请刷新页面后重新提交 (form expired: reload the page)",
                       status=403, code="bad_csrf")
    channel = values["channel"] if values["channel"] in feedback.PUBLIC_CHANNELS else "web"
    rating = feedback.rate(env_of(request), values["number"], values["code"], values["score"],
                           values["words"], channel=channel)
    return render(request, "rate.html", _rate_page(request, values, done=rating))


# -- the unit's reviews ---------------------------------------------------------------------------

def _reviews(request: Request, signed: Signed) -> dict[str, Any]:
    return {"rows": feedback.unit_reviews(env_of(request), signed.actor), **LABELS}


@router.get("/reviews")
def reviews(request: Request, done: str = "", signed: Signed = Depends(signed_in)) -> Response:
    return render(request, "feedback_reviews.html", {**_reviews(request, signed),
                                                     "notice": done or None})


@router.post("/reviews/{number}/reply")
def reply(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
          signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("feedback_reviews.html", lambda: {
        **_reviews(request, signed), "failed": number, "values": form})
    rating = feedback.reply_review(env_of(request), number, text(form, "text"),
                                   actor=signed.actor)
    late = "（逾期，已亮黄牌）" if rating.carded_at else ""
    return RedirectResponse("/reviews?done=" + quote(f"已回复办件 {number} 的差评{late}"),
                            status_code=303)


# -- recording at the window -----------------------------------------------------------------------

def _new(values: dict[str, Any] | None = None, failed: str = "") -> dict[str, Any]:
    return {"values": values or {}, "failed": failed, **LABELS}


@router.get("/feedback/new")
def new(request: Request, case: str = "", done: str = "",
        signed: Signed = Depends(signed_in)) -> Response:
    return render(request, "feedback_window.html", {**_new({"case": case, "number": case}),
                                                    "notice": done or None})


@router.post("/feedback/ratings")
def record_rating(request: Request, form: dict[str, Any] = Depends(read_form),
                  signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("feedback_window.html", _new(form, "rating"))
    rating = feedback.record_rating(env_of(request), text(form, "number"), text(form, "score"),
                                    str(form.get("words") or ""), channel=text(form, "channel"),
                                    actor=signed.actor)
    message = f"已代为登记办件 {rating.case_number} 的评价：{feedback.SCORES[rating.score]}"
    if rating.review_due:
        message += f"（差评，{rating.unit} 须于 {rating.review_due} 前整改回复）"
    return RedirectResponse("/feedback/new?done=" + quote(message), status_code=303)


@router.post("/feedback/complaints")
def record_complaint(request: Request, form: dict[str, Any] = Depends(read_form),
                     signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("feedback_window.html", _new(form, "complaint"))
    against = text(form, "against")
    target = text(form, "target")
    c = complaints.record_complaint(
        env_of(request), complainant=text(form, "complainant"), contact=text(form, "contact"),
        channel=text(form, "channel"), facts=str(form.get("facts") or ""), actor=signed.actor,
        case=target if against == "case" else None,
        step=text(form, "step") or None if against == "case" else None,
        person=target if against == "person" else None,
        unit=target if against == "unit" else None)
    return RedirectResponse("/feedback/new?done=" + quote(
        f"已登记投诉 {c.number}，调查期限 {c.due_day}"), status_code=303)


# -- supervisors ----------------------------------------------------------------------------------

@router.get("/supervision/ratings")
def ratings(request: Request, show: str = "", signed: Signed = Depends(signed_in)) -> Response:
    board = feedback.rating_board(env_of(request), signed.actor, bad=show == "bad",
                                  overdue=show == "overdue")
    return render(request, "feedback_ratings.html", {"board": board, "show": show, **LABELS})


@router.get("/supervision/complaints")
def complaint_list(request: Request, show: str = "", done: str = "",
                   signed: Signed = Depends(signed_in)) -> Response:
    rows = complaints.list_complaints(env_of(request), signed.actor, open_only=show == "open")
    return render(request, "feedback_complaints.html", {"rows": rows, "show": show,
                                                        "notice": done or None, **LABELS})


def _complaint(request: Request, signed: Signed, number: str) -> dict[str, Any]:
    row = complaints.show_complaint(env_of(request), signed.actor, number)
    return {"row": row, "c": row.complaint, "MEASURE_LABELS": MEASURE_LABELS, **LABELS}


@router.get("/supervision/complaints/{number}")
def complaint_page(request: Request, number: str, done: str = "",
                   signed: Signed = Depends(signed_in)) -> Response:
    return render(request, "feedback_complaint.html", {**_complaint(request, signed, number),
                                                       "values": {}, "notice": done or None})


@router.post("/supervision/complaints/{number}/decide")
def decide(request: Request, number: str, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("feedback_complaint.html", lambda: {
        **_complaint(request, signed, number), "values": form})
    upheld = text(form, "outcome") == "upheld"
    c = complaints.decide_complaint(env_of(request), number, upheld=upheld,
                                    findings=str(form.get("findings") or ""),
                                    measure=text(form, "measure") or None if upheld else None,
                                    actor=signed.actor)
    message = (f"投诉 {c.number} 属实，处理措施：{MEASURE_LABELS.get(c.measure or '', c.measure)}"
               if c.status == "upheld" else f"投诉 {c.number} 不属实，理由已记录")
    return RedirectResponse(f"/supervision/complaints/{quote(c.number)}?done=" + quote(message),
                            status_code=303)
