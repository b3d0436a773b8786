"""`sunshine stats`: on-time rates, cards and breaches for a period, by unit, power, post or
person (engine/stats.py says how each figure is counted)."""

from __future__ import annotations

from typing import Any

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, pass_ctx, table


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@cli.command("stats")
@click.option("--from", "start", required=True, help="First day of the period (YYYY-MM-DD, local).")
@click.option("--to", "end", required=True, help="Last day of the period, included.")
@click.option("--by", type=click.Choice(["unit", "power", "post", "person"]), default="unit",
              show_default=True, help="One row per unit, power, post or person.")
@click.option("--cases", "figure", default=None, metavar="FIGURE",
              help="List the cases behind one figure (e.g. overdue, deemed, red) per row.")
@click.option("--json", "as_json", is_flag=True, help="Every figure with its cases, as JSON.")
@click.option("--as", "actor", required=True, help="The supervisor (监察人员). " + AS_HELP)
@pass_ctx
def stats(ctx: Ctx, start: str, end: str, by: str, figure: str | None, as_json: bool,
          actor: str) -> None:
    """按时办结率 and the rest for a period: received, accepted, decided, on time, early,
    overdue, deemed approved, share of the promised time used, steps late, cards and breaches;
    ranked."""
    from engine.errors import InvalidAction
    from engine.services.stats import statistics
    from engine.stats import CARD_KINDS, CASE_FIGURES, FEEDBACK_FIGURES, STEP_FIGURES

    t = statistics(ctx.env, ctx.actor(actor), start, end, by, now=ctx.now)
    if as_json:
        from engine.stats import to_dict

        echo_json(to_dict(t))
        return
    if figure is not None:
        known = (*CASE_FIGURES, *STEP_FIGURES, *CARD_KINDS, *FEEDBACK_FIGURES)
        if figure not in known:
            raise InvalidAction(f"--cases：没有“{figure}”这一项 (no such figure); 可选 one of: "
                                f"{', '.join(known)}",
                                field="cases")
        for r in (*t.rows, t.total):
            f = r.figures[figure]
            click.echo(f"{r.label}  {figure} {f.count}: {' '.join(f.cases) or '—'}")
        return
    cases_level = by in ("unit", "power")

    def line(r: Any) -> tuple[object, ...]:
        case_cells: tuple[object, ...] = (
            (r.n("received"), r.n("accepted"), r.n("decided"), r.n("on_time"), r.n("early"),
             r.n("overdue"), r.n("deemed"), percent(r.on_time_rate), percent(r.early_rate),
             percent(r.share_used)) if cases_level or r.key == "*" else ("",) * 10)
        return (r.rank or "", r.label, *case_cells, r.n("steps_done"), r.n("steps_late"),
                r.n("warning"), r.n("yellow"), r.n("red"), r.breaches, r.n("bad_ratings"),
                r.n("complaints_upheld"))
    table([line(r) for r in (*t.rows, t.total)],
          ["名次", {"unit": "单位", "power": "事项", "post": "岗位", "person": "人员"}[by],
           "收件", "受理", "办结", "按时", "提前", "超期", "默许", "按时办结率", "提前办结率",
           "用时占承诺", "环节", "环节超时", "预警", "黄牌", "红牌", "违诺", "差评", "投诉属实"])
    click.echo(f"统计期间 {t.start} 至 {t.end}（含），按本地日期；每项数字背后的办件：--cases FIGURE "
               f"或 --json")
