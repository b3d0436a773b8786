"""电子监察: open cases overdue and near their deadline by unit and power, cards with the unit's
reply and appeal and the form to decide them, breaches with the form to decide a measure (and
to record an off-system approval), supervision orders (督办), a power's live flowchart; every
figure links to the cases behind it (and each case to its file, /cases/{number}). And the page
of a unit's staff: the cards against their unit and the orders addressed to it, with their
reply forms (本单位督查事项)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.case_answers import CARD_STATES, card_state
from engine.errors import Forbidden
from engine.model import BREACH_LABELS, CARD_DECISION_LABELS, PERSON_BASIS_LABELS
from engine.services import supervision, web_views
from engine.services import supervision_answers as answers
from engine.stats import CARD_KINDS as STAT_CARD_KINDS
from engine.stats import LABELS as STAT_LABELS

router = APIRouter(include_in_schema=False)

CARD_KINDS = {kind: STAT_LABELS[kind] for kind in STAT_CARD_KINDS}  # 预警 黄牌 红牌 超法定时限
CARD_AGAINST = {"step": "环节时限", "promised": "承诺时限", "statutory": "法定时限",
                "acceptance": "受理时限"}  # order1, order2 …: 督办 (the templates name them)
BREACH_KINDS = BREACH_LABELS
MEASURES = {"none": "不予追究"}  # the others are named in Chinese already
LABELS = {"CARD_KINDS": CARD_KINDS, "CARD_AGAINST": CARD_AGAINST, "BREACH_KINDS": BREACH_KINDS,
          "MEASURES": MEASURES, "WHICH": web_views.WHICH, "CARD_STATES": CARD_STATES,
          "card_state": card_state, "PERSON_BASIS": PERSON_BASIS_LABELS,
          "ORDER_STATES": answers.ORDER_STATES, "DECISION_LABELS": CARD_DECISION_LABELS}


def _page(request: Request, signed: Signed, kind: str = "") -> dict[str, Any]:
    page = web_views.supervision_page(env_of(request), signed.actor, card_kind=kind or None)
    return {"page": page, "kind": kind, **LABELS}


def _back(path: str, message: str, anchor: str = "") -> Response:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}done={quote(message)}{anchor}", status_code=303)


def _supervision_again(request: Request, signed: Signed, failed: str,
                       form: dict[str, Any]) -> Any:
    """The supervision page again with the refusal beside the form that failed (nothing for
    someone who may not see the page)."""
    def again() -> dict[str, Any]:
        try:
            context = _page(request, signed)
        except Forbidden:
            context = {"page": None, "kind": "", **LABELS}
        return {**context, "failed": failed, "values": form}
    return again


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
    request.state.form = ("supervision.html",
                          _supervision_again(request, signed, f"breach-{breach_id}", form))
    breach = supervision.decide_breach(env_of(request), breach_id, measure=text(form, "measure"),
                                       reasons=text(form, "reasons"), actor=signed.actor)
    measure = breach.measure.value if breach.measure else ""
    message = (f"已对违诺记录 #{breach.id}（{breach.case_number or breach.ref}）作出处理决定："
               f"{MEASURES.get(measure, measure)}")
    return RedirectResponse("/supervision?done=" + quote(message) + f"#breach-{breach.id}",
                            status_code=303)


# -- cards: the supervisor's decision; the unit's reply and appeal ------------------------------


@router.post("/supervision/cards/{card_id}/decide")
def decide_card(request: Request, card_id: int, form: dict[str, Any] = Depends(read_form),
                signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("supervision.html",
                          _supervision_again(request, signed, f"card-{card_id}", form))
    view = answers.decide_card(env_of(request), card_id, decision=text(form, "decision"),
                               reasons=text(form, "reasons"), actor=signed.actor)
    return _back("/supervision", f"第 {card_id} 号牌（{view.case_number}）：{view.state_label}",
                 f"#card-{card_id}")


def _unit_again(request: Request, signed: Signed, failed: str, form: dict[str, Any]) -> Any:
    def again() -> dict[str, Any]:
        matters = answers.unit_matters(env_of(request), signed.actor)
        return {"matters": matters, "failed": failed, "values": form, **LABELS}
    return again


@router.get("/matters")
def unit_page(request: Request, done: str = "", signed: Signed = Depends(signed_in)) -> Response:
    """本单位督查事项: the cards against the person's unit and the orders addressed to it."""
    matters = answers.unit_matters(env_of(request), signed.actor)
    return render(request, "supervision_unit.html", {"matters": matters, "notice": done or None,
                                                     "failed": "", "values": {}, **LABELS})


@router.post("/supervision/cards/{card_id}/reply")
def reply_card(request: Request, card_id: int, form: dict[str, Any] = Depends(read_form),
               signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("supervision_unit.html",
                          _unit_again(request, signed, f"card-{card_id}", form))
    view = answers.reply_card(env_of(request), card_id, reason=text(form, "reason"),
                              actor=signed.actor)
    return _back("/matters", f"已回告第 {card_id} 号牌（{view.case_number}）",
                 f"#card-{card_id}")


@router.post("/supervision/cards/{card_id}/appeal")
def appeal_card(request: Request, card_id: int, form: dict[str, Any] = Depends(read_form),
                signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("supervision_unit.html",
                          _unit_again(request, signed, f"appeal-{card_id}", form))
    view = answers.appeal_card(env_of(request), card_id, reason=text(form, "reason"),
                               actor=signed.actor)
    return _back("/matters", f"已对第 {card_id} 号牌（{view.case_number}）提出申诉",
                 f"#card-{card_id}")


# -- 督办 ---------------------------------------------------------------------------------------


def _orders_context(request: Request, signed: Signed, values: dict[str, Any]) -> dict[str, Any]:
    orders = answers.list_orders(env_of(request), actor=signed.actor)
    return {"orders": orders, "values": values, "today": _today(request), **LABELS}


def _today(request: Request) -> str:
    env = env_of(request)
    return env.calendar().local_date(env.now()).isoformat()


@router.get("/supervision/orders")
def orders_page(request: Request, case: str = "", done: str = "",
                signed: Signed = Depends(signed_in)) -> Response:
    """督办: every order, overdue first, and the form to issue one (the case page links here
    with its number filled in)."""
    return render(request, "supervision_orders.html", {
        **_orders_context(request, signed, {"case": case}), "notice": done or None})


@router.post("/supervision/orders")
def issue_order(request: Request, form: dict[str, Any] = Depends(read_form),
                signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("supervision_orders.html",
                          lambda: _orders_context(request, signed, form))
    number = text(form, "case")
    order = answers.order_case(env_of(request), number, by=text(form, "by"), do=text(form, "do"),
                               actor=signed.actor)
    return _back(f"/cases/{quote(order.case_number)}",
                 f"已督办（第 {order.no} 号）：{order.unit} 须于 {order.by} 前办理并回复", "#orders")


@router.post("/supervision/orders/{number}/{no}/reply")
def reply_order(request: Request, number: str, no: int, form: dict[str, Any] = Depends(read_form),
                signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("supervision_unit.html",
                          _unit_again(request, signed, f"order-{number}-{no}", form))
    order = answers.reply_order(env_of(request), number, no, text=text(form, "text"),
                                actor=signed.actor)
    return _back("/matters", f"已回复第 {order.no} 号督办（{order.case_number}）",
                 f"#order-{order.no}")


# -- 体外审批 ------------------------------------------------------------------------------------


@router.post("/supervision/off-system")
def record_off_system(request: Request, form: dict[str, Any] = Depends(read_form),
                      signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("supervision.html",
                          _supervision_again(request, signed, "off-system", form))
    breach = supervision.record_off_system(
        env_of(request), power_code=text(form, "power"), person=text(form, "person"),
        applicant=text(form, "applicant"), decided_on=text(form, "decided_on"),
        facts=text(form, "facts"), actor=signed.actor)
    return _back("/supervision", f"已记录体外审批 {breach.ref}（违诺记录 #{breach.id}），请作出处理决定",
                 f"#breach-{breach.id}")


# -- 统计: rates, rankings and charts for a period ------------------------------------------

BY_LABELS = {"unit": "单位", "power": "事项", "post": "岗位", "person": "人员"}


def _period(request: Request, start: str, end: str) -> tuple[str, str, dict[str, tuple[str, str]]]:
    """The period asked for (this month so far when none), and the quick choices."""
    from datetime import timedelta

    env = env_of(request)
    today = env.calendar().local_date(env.now())
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    presets = {"本月": (month.isoformat(), today.isoformat()),
               "上月": (last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
               "本季度": (quarter.isoformat(), today.isoformat()),
               "本年": (today.replace(month=1, day=1).isoformat(), today.isoformat())}
    return (start.strip() or presets["本月"][0], end.strip() or presets["本月"][1], presets)


@router.get("/supervision/stats")
def stats_page(request: Request, start: str = Query("", alias="from"),
               end: str = Query("", alias="to"), by: str = "unit",
               signed: Signed = Depends(signed_in)) -> Response:
    from markupsafe import Markup

    from adapters.charts import bar_chart, line_chart
    from adapters.stats_charts import stats_page_charts
    from engine.services.stats import monthly, statistics

    start, end, presets = _period(request, start, end)
    context: dict[str, Any] = {"start": start, "end": end, "by": by, "presets": presets,
                               "BY_LABELS": BY_LABELS, "table": None, **LABELS}
    request.state.form = ("supervision_stats.html", context)
    env = env_of(request)
    table = statistics(env, signed.actor, start, end, by)
    trend = monthly(env, signed.actor, table.end)
    case_level = by in ("unit", "power")
    bars = [(r.label, r.on_time_rate if case_level else r.step_on_time_rate,
             (f"{r.on_time_rate:.1%}（{r.n('on_time')}/{r.n('decided')}）" if case_level and
              r.on_time_rate is not None else
              f"{r.step_on_time_rate:.1%}（{r.n('steps_done') - r.n('steps_late')}/"
              f"{r.n('steps_done')}）" if not case_level and r.step_on_time_rate is not None
              else "—")) for r in table.rows[:25]]
    title = "按时办结率" if case_level else "环节按时完成率"
    return render(request, "supervision_stats.html", {
        **context, "table": table, "case_level": case_level,
        "bars": Markup(bar_chart(bars, title=f"{title}（{BY_LABELS.get(by, by)}）")),
        "trend": Markup(line_chart([(m[2:], row.on_time_rate) for m, row in trend],
                                   title="按时办结率，按月")),
        "query": {"from": table.start.isoformat(), "to": table.end.isoformat(), "by": by},
        **stats_page_charts(env, signed.actor, table)})  # adapters/stats_charts.py


@router.get("/supervision/stats/cases")
def stats_cases(request: Request, key: str, figure: str, start: str = Query(alias="from"),
                end: str = Query(alias="to"), by: str = "unit",
                signed: Signed = Depends(signed_in)) -> Response:
    """The cases behind one figure of the statistics (each links to its case file)."""
    from engine.errors import NotFound
    from engine.services.stats import statistics

    table = statistics(env_of(request), signed.actor, start, end, by)
    row = table.total if key == "*" else next((r for r in table.rows if r.key == key), None)
    if row is None:
        raise NotFound(f"统计中没有“{key}”这一行 (no such row)")
    kind, _, name = figure.partition(":")
    source = {"breach": row.breaches_by_kind, "measure": row.breaches_by_measure}.get(kind)
    found = (source or {}).get(name) if source is not None else row.figures.get(figure)
    if found is None:
        raise NotFound(f"统计中没有“{figure}”这一项 (no such figure)")
    return render(request, "supervision_stats_cases.html", {
        "row": row, "figure": figure, "found": found, "table": table, "by": by,
        "BY_LABELS": BY_LABELS})


@router.get("/supervision/stats.csv")
def stats_csv(request: Request, start: str = Query(alias="from"), end: str = Query(alias="to"),
              by: str = "unit", signed: Signed = Depends(signed_in)) -> Response:
    from adapters.stats_export import to_csv
    from engine.services.stats import statistics

    table = statistics(env_of(request), signed.actor, start, end, by)
    name = f"sunshine-stats-{table.start}-{table.end}-{by}.csv"
    return Response(to_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
