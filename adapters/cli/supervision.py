"""Verbs for supervisors: breaches (违诺), cards with their replies, appeals and decisions, and
`supervise order|reply|orders|off-system` (督办, 体外审批)."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, local, pass_ctx, table
from adapters.cli.overview import supervise
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
                    "post": b.post, "person": b.person, "person_basis": b.person_basis,
                    "ref": b.ref, "power": b.power_code, "unit": b.unit,
                    "recorded_by": b.recorded_by, "facts": b.facts,
                    "occurred_at": b.occurred_at.isoformat(),
                    "measure": b.measure.value if b.measure else None, "reasons": b.reasons,
                    "decided_by": b.decided_by,
                    "decided_at": b.decided_at.isoformat() if b.decided_at else None}
                   for b in rows])
        return
    table([(b.id, b.case_number or b.ref or "", b.kind.value, b.post or "",
            _person(b.person, b.person_basis), local(b.occurred_at),
            b.measure.value if b.measure else "待定", b.facts[:40]) for b in rows],
          ["#", "办件编号", "类型", "岗位", "责任人（如何确定）", "发生时间", "处理", "事实"])


def _person(login: str | None, basis: str | None) -> str:
    from engine.model import PERSON_BASIS_LABELS

    how = PERSON_BASIS_LABELS.get(basis or "", basis or "")
    return f"{login or '—'}（{how}）" if how else (login or "")


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
def card() -> None:
    """Supervision cards (预警 / 黄牌 / 红牌): the unit's reply (回告) and appeal (申诉), the
    supervisor's decision (维持 / 撤销 / 退回)."""


@card.command("list")
@click.option("--kind", type=click.Choice(["warning", "yellow", "red", "statutory"]), default=None)
@click.option("--open", "only_open", is_flag=True,
              help="Only cards waiting for a reply or a decision.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def card_list(ctx: Ctx, kind: str | None, only_open: bool, as_json: bool) -> None:
    """List cards, newest first, with where each stands (reply, appeal, decision)."""
    from engine.services.supervision_answers import list_card_views

    rows = [v for v in list_card_views(ctx.env, kind=kind) if v.open or not only_open]
    if as_json:
        echo_json([{"id": v.card.id, "case": v.case_number, "kind": v.card.kind.value,
                    "against": v.card.against, "unit": v.unit, "post": v.card.post,
                    "person": v.card.person, "issued_at": v.card.issued_at.isoformat(),
                    "note": v.card.note, "state": v.state, "reply": v.card.reply,
                    "replied_by": v.card.replied_by, "appeal": v.card.appeal,
                    "appealed_by": v.card.appealed_by, "decision": v.card.decision,
                    "decided_by": v.card.decided_by, "decision_reasons": v.card.decision_reasons}
                   for v in rows])
        return
    table([(v.card.id, v.case_number, v.card.kind.value, v.card.against, v.unit,
            v.card.post or "", local(v.card.issued_at), v.state_label, v.card.note[:30])
           for v in rows], ["#", "办件编号", "牌", "对照", "单位", "岗位", "时间", "状态", "说明"])


@cli.group()
def cards() -> None:
    """Supervision cards (the same list as `sunshine card list`)."""


cards.add_command(card_list, "list")


@card.command("reply")
@click.argument("card_id", type=int)
@click.option("--reason", required=True, help="Why (超时原因) and what was done about it.")
@click.option("--as", "by", required=True, help="Staff of the carded unit. " + AS_HELP)
@pass_ctx
def card_reply(ctx: Ctx, card_id: int, reason: str, by: str) -> None:
    """回告: the carded unit answers a card."""
    from engine.services.supervision_answers import reply_card

    v = reply_card(ctx.env, card_id, reason=reason, actor=ctx.actor(by), now=ctx.now)
    click.echo(f"card #{v.card.id} ({v.case_number}): {v.state_label}")


@card.command("appeal")
@click.argument("card_id", type=int)
@click.option("--reason", required=True, help="Why the card should be withdrawn.")
@click.option("--as", "by", required=True,
              help="The carded unit's head or the post's leader. " + AS_HELP)
@pass_ctx
def card_appeal(ctx: Ctx, card_id: int, reason: str, by: str) -> None:
    """申诉: the unit asks for a replied card to be withdrawn."""
    from engine.services.supervision_answers import appeal_card

    v = appeal_card(ctx.env, card_id, reason=reason, actor=ctx.actor(by), now=ctx.now)
    click.echo(f"card #{v.card.id} ({v.case_number}): {v.state_label}")


@card.command("decide")
@click.argument("card_id", type=int)
@click.option("--uphold", "decision", flag_value="uphold", help="维持: the card stands.")
@click.option("--withdraw", "decision", flag_value="withdraw",
              help="撤销: withdrawn, no longer counted.")
@click.option("--return", "decision", flag_value="return",
              help="退回: the reply is not good enough; the unit replies again.")
@click.option("--reasons", required=True)
@click.option("--as", "by", required=True, help="The deciding supervisor. " + AS_HELP)
@pass_ctx
def card_decide(ctx: Ctx, card_id: int, decision: str | None, reasons: str, by: str) -> None:
    """Decide a replied card: --uphold, --withdraw or --return (recorded in the trail)."""
    from engine.errors import ConfigError
    from engine.services.supervision_answers import decide_card

    if not decision:
        raise ConfigError("give one of --uphold, --withdraw or --return")
    v = decide_card(ctx.env, card_id, decision=decision, reasons=reasons, actor=ctx.actor(by),
                    now=ctx.now)
    click.echo(f"card #{v.card.id} ({v.case_number}): {v.state_label}")


# -- 督办 and 体外审批: `sunshine supervise …` (the group is in overview.py) -------------------


@supervise.command("order")
@click.argument("case_number")
@click.option("--by", "by_day", required=True, metavar="YYYY-MM-DD", help="The last day.")
@click.option("--do", "what", required=True, help="What the unit must do.")
@click.option("--as", "who", required=True, help="The supervisor (监察人员). " + AS_HELP)
@pass_ctx
def supervise_order(ctx: Ctx, case_number: str, by_day: str, what: str, who: str) -> None:
    """督办: order the unit handling an open case to act by a date; carded if unanswered."""
    from engine.services.supervision_answers import order_case

    o = order_case(ctx.env, case_number, by=by_day, do=what, actor=ctx.actor(who), now=ctx.now)
    click.echo(f"order {o.case_number} #{o.no} to {o.unit}, by {o.by}")


@supervise.command("reply")
@click.argument("case_number")
@click.argument("order_no", type=int)
@click.option("--text", required=True, help="What the unit did.")
@click.option("--as", "who", required=True, help="Staff of the unit addressed. " + AS_HELP)
@pass_ctx
def supervise_reply(ctx: Ctx, case_number: str, order_no: int, text: str, who: str) -> None:
    """Answer a supervision order (督办回复)."""
    from engine.services.supervision_answers import reply_order

    o = reply_order(ctx.env, case_number, order_no, text=text, actor=ctx.actor(who),
                    now=ctx.now)
    late = "（逾期后回复 answered late）" if o.answered_late else ""
    click.echo(f"order {o.case_number} #{o.no} answered{late}")


@supervise.command("orders")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def supervise_orders(ctx: Ctx, as_json: bool) -> None:
    """Supervision orders: overdue first, then open by date, then answered."""
    from engine.services.supervision_answers import list_orders

    rows = list_orders(ctx.env, now=ctx.now)
    if as_json:
        echo_json([{"case": v.order.case_number, "no": v.order.no, "power": v.power_name,
                    "unit": v.order.unit, "by": v.order.by.isoformat(), "do": v.order.do,
                    "ordered_by": v.order.ordered_by,
                    "ordered_at": v.order.ordered_at.isoformat(), "state": v.state,
                    "reply": v.order.reply, "replied_by": v.order.replied_by,
                    "replied_at": v.order.replied_at.isoformat() if v.order.replied_at else None,
                    "carded_at": v.order.carded_at.isoformat() if v.order.carded_at else None}
                   for v in rows])
        return
    table([(v.order.case_number, v.order.no, v.order.unit, v.order.by, v.state_label,
            v.order.do[:30], (v.order.reply or "")[:30]) for v in rows],
          ["办件编号", "#", "单位", "期限", "状态", "督办事项", "回复"])


@supervise.command("off-system")
@click.option("--power", "power_code", required=True, help="The power's code (事项编码).")
@click.option("--person", required=True, help="The login of who decided it outside the system.")
@click.option("--applicant", required=True)
@click.option("--decided-on", required=True, metavar="YYYY-MM-DD")
@click.option("--facts", required=True, help="Where, by whom and how it was decided.")
@click.option("--as", "who", required=True, help="The supervisor (监察人员). " + AS_HELP)
@pass_ctx
def supervise_off_system(ctx: Ctx, power_code: str, person: str, applicant: str,
                         decided_on: str, facts: str, who: str) -> None:
    """体外审批: record a case decided outside the system as a breach."""
    from engine.services.supervision import record_off_system

    b = record_off_system(ctx.env, power_code=power_code, person=person, applicant=applicant,
                          decided_on=decided_on, facts=facts, actor=ctx.actor(who), now=ctx.now)
    click.echo(f"breach #{b.id} {b.ref} recorded against {b.person} "
               f"(decide it with `sunshine breach decide {b.id}`)")
