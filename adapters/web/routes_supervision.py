"""电子监察: open cases overdue and near their deadline by unit and power, cards, breaches with
the form to decide a measure, and a power's live flowchart; every figure links to the cases
behind it (and each case to its file, /cases/{number})."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.errors import Forbidden
from engine.services import supervision, web_views

router = APIRouter(include_in_schema=False)

CARD_KINDS = {"warning": "预警", "yellow": "黄牌", "red": "红牌", "statutory": "超法定时限"}
CARD_AGAINST = {"step": "环节时限", "promised": "承诺时限", "statutory": "法定时限"}
BREACH_KINDS = {
    "overdue_step": "环节超时", "overdue_case": "超过承诺时限", "deemed_approval": "超时默许",
    "absent_consent": "缺席默认", "late_extension": "延期申请逾期", "second_notice": "违反一次性告知",
    "complaint_upheld": "投诉属实", "off_system": "体外审批", "deemed_renewal": "视为准予延续",
}
MEASURES = {"none": "不予追究"}  # the others are named in Chinese already
LABELS = {"CARD_KINDS": CARD_KINDS, "CARD_AGAINST": CARD_AGAINST, "BREACH_KINDS": BREACH_KINDS,
          "MEASURES": MEASURES, "WHICH": web_views.WHICH}


def _page(request: Request, signed: Signed, kind: str = "") -> dict[str, Any]:
    page = web_views.supervision_page(env_of(request), signed.actor, card_kind=kind or None)
    return {"page": page, "kind": kind, **LABELS}


@router.get("/supervision")
def supervision_home(request: Request, kind: str = "", done: str = "",
                     signed: Signed = Depends(signed_in)) -> Response:
    return render(request, "supervision.html", {**_page(request, signed, kind),
                                                "notice": done or None})


@router.get("/supervision/cases")
def cases_behind(request: Request, which: str = "open", unit: str = "", power: str = "",
                 step: str = "", signed: Signed = Depends(signed_in)) -> Response:
    found = web_views.cases_behind(env_of(request), signed.actor, which=which,
                                   unit=unit or None, power=power or None, step=step or None)
    return render(request, "supervision_cases.html", {"found": found, "step": step, **LABELS})


@router.get("/supervision/flowchart/{code}")
def live_flowchart(request: Request, code: str, signed: Signed = Depends(signed_in)) -> Response:
    from adapters.flowchart import to_svg_bytes
    from adapters.publish.site import inline_svg

    chart = web_views.live_flowchart(env_of(request), signed.actor, code)
    svg = inline_svg(to_svg_bytes(chart.diagram))  # graphviz's own SVG, escaped by the renderer
    return render(request, "supervision_flowchart.html", {"chart": chart, "svg": svg})


@router.post("/supervision/breaches/{breach_id}/decide")
def decide(request: Request, breach_id: int, form: dict[str, Any] = Depends(read_form),
           signed: Signed = Depends(acting)) -> Response:
    def again() -> dict[str, Any]:
        """The page again, the refusal beside the breach's form (nothing for a non-supervisor)."""
        try:
            context = _page(request, signed)
        except Forbidden:
            context = {"page": None, "kind": "", **LABELS}
        return {**context, "failed": breach_id, "values": form}

    request.state.form = ("supervision.html", again)
    breach = supervision.decide_breach(env_of(request), breach_id, measure=text(form, "measure"),
                                       reasons=text(form, "reasons"), actor=signed.actor)
    measure = breach.measure.value if breach.measure else ""
    message = (f"已对违诺记录 #{breach.id}（{breach.case_number}）作出处理决定："
               f"{MEASURES.get(measure, measure)}")
    return RedirectResponse("/supervision?done=" + quote(message) + f"#breach-{breach.id}",
                            status_code=303)
