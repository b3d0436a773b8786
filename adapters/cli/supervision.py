"""Verbs for supervisors: breaches (违诺) and cards."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, local, pass_ctx, table
from engine.model import Measure  # stdlib only; the services are imported inside the verbs


@cli.group()
def breach() -> None:
    """Breach records (违诺追究)."""


@breach.command("list")
@click.option("--undecided", is_flag=True, help="Only breaches awaiting a decision.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def breach_list(ctx: Ctx, undecided: bool, as_json: bool) -> None:
    """List breach records."""
    from engine.services import supervision as svc

    rows = svc.list_breaches(ctx.env, decided=False if undecided else None)
    if as_json:
        echo_json([{"id": b.id, "case": b.case_number, "kind": b.kind.value, "step": b.step_name,
                    "post": b.post, "person": b.person, "facts": b.facts,
                    "occurred_at": b.occurred_at.isoformat(),
                    "measure": b.measure.value if b.measure else None, "reasons": b.reasons,
                    "decided_by": b.decided_by,
                    "decided_at": b.decided_at.isoformat() if b.decided_at else None}
                   for b in rows])
        return
    table([(b.id, b.case_number, b.kind.value, b.post or "", b.person or "",
            local(b.occurred_at), b.measure.value if b.measure else "待定", b.facts[:40])
           for b in rows],
          ["#", "办件编号", "类型", "岗位", "责任人", "发生时间", "处理", "事实"])


@breach.command("decide")
@click.argument("breach_id", type=int)
@click.option("--measure", required=True, type=click.Choice([m.value for m in Measure]),
              help="none, 诫勉教育, 通报批评, 效能告诫, 扣发奖金, 调离工作岗位, 停职离岗培训, 辞退")
@click.option("--reasons", required=True)
@click.option("--as", "by", required=True, help="The deciding supervisor (监察人员). " + AS_HELP)
@pass_ctx
def breach_decide(ctx: Ctx, breach_id: int, measure: str, reasons: str, by: str) -> None:
    """Decide the measure for a breach (recorded in the audit trail; final)."""
    from engine.services import supervision as svc

    b = svc.decide_breach(ctx.env, breach_id, measure=measure, reasons=reasons,
                          actor=ctx.actor(by), now=ctx.now)
    click.echo(f"breach #{b.id} decided: {b.measure.value if b.measure else ''}")


@cli.group()
def cards() -> None:
    """Supervision cards (预警 / 黄牌 / 红牌)."""


@cards.command("list")
@click.option("--kind", type=click.Choice(["warning", "yellow", "red", "statutory"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def cards_list(ctx: Ctx, kind: str | None, as_json: bool) -> None:
    """List cards, newest first."""
    from engine.services.views import list_cards

    rows = list_cards(ctx.env, kind=kind)
    if as_json:
        echo_json([{"id": c.id, "case": number, "kind": c.kind.value,
                    "against": c.against, "post": c.post, "person": c.person,
                    "issued_at": c.issued_at.isoformat(), "note": c.note} for c, number in rows])
        return
    table([(c.id, number, c.kind.value, c.against, c.post or "", local(c.issued_at),
            c.note[:40]) for c, number in rows], ["#", "办件编号", "牌", "对照", "岗位", "时间", "说明"])
