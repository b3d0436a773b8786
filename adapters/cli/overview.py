"""`sunshine supervise overdue`: open cases overdue and near their deadline, per unit (电子监察)."""

from __future__ import annotations

import datetime as dt

import click

from adapters.cli.common import Ctx, cli, echo_json, local, pass_ctx, table


@cli.group()
def supervise() -> None:
    """Electronic supervision (电子监察): deadlines across units."""


@supervise.command("overdue")
@click.option("--near-days", type=click.IntRange(min=0), default=3, show_default=True,
              help="Working days ahead that count as near the deadline (临近).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def supervise_overdue(ctx: Ctx, near_days: int, as_json: bool) -> None:
    """Open cases per unit: overdue (超期), near the promised deadline (临近) and open (在办),
    then per power; most overdue first."""
    from engine.services.overview import near_horizon, overdue_by_unit

    env = ctx.env
    now = env.now(ctx.now)
    units = overdue_by_unit(env, now=now, near_days=near_days)
    if as_json:
        echo_json([{"unit": u.unit, "overdue": u.overdue, "near_deadline": u.near_deadline,
                    "open": u.open,
                    "powers": [{"code": p.code, "name": p.name, "overdue": p.overdue,
                                "near_deadline": p.near_deadline, "open": p.open}
                               for p in u.powers]} for u in units])
        return
    rows: list[tuple[object, ...]] = []
    for u in units:
        rows.append((u.unit, u.overdue, u.near_deadline, u.open))
        rows.extend((f"  {p.code} {p.name}", p.overdue, p.near_deadline, p.open) for p in u.powers)
    table(rows, ["单位 unit", "超期 overdue", f"临近 near ({near_days}工作日)", "在办 open"])
    last_day = local(near_horizon(env, now, near_days) - dt.timedelta(microseconds=1))[:10]
    click.echo(f"截至 {local(now)}；临近 = {near_days} 个工作日内（{last_day} 当日结束前）到期 — "
               f"as of {local(now)}; near = due by the end of {last_day}")
