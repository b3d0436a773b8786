"""电子监察: open cases overdue and near their deadline by unit and power, cards, breaches with
the form to decide a measure, and a power's live flowchart; every figure links to the cases
behind it (and each case to its file, /cases/{number})."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.errors import Forbidden
from engine.model import BREACH_LABELS
from engine.services import supervision, web_views
from engine.stats import CARD_KINDS as STAT_CARD_KINDS
from engine.stats import LABELS as STAT_LABELS

router = APIRouter(include_in_schema=False)

CARD_KINDS = {kind: STAT_LABELS[kind] for kind in STAT_CARD_KINDS}  # 预警 黄牌 红牌 超法定时限
CARD_AGAINST = {"step": "环节时限", "promised": "承诺时限", "statutory": "法定时限"}
BREACH_KINDS = BREACH_LABELS
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
        "query": {"from": table.start.isoformat(), "to": table.end.isoformat(), "by": by}})


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
