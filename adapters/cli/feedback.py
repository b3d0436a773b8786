"""Verbs for 好差评 (`sunshine rating …`) and 投诉 (`sunshine complaint …`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, local, pass_ctx, table
from engine.model import Measure  # stdlib only; the services are imported inside the verbs

if TYPE_CHECKING:
    from engine.services.complaints import ComplaintRow
    from engine.services.feedback import RatingRow


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    from adapters.cli.common import local_zone

    if hasattr(value, "astimezone"):
        return str(value.astimezone(ZoneInfo(local_zone())).isoformat())
    return str(value.isoformat())


# -- 好差评 ---------------------------------------------------------------------------------------

@cli.group()
def rating() -> None:
    """好差评: the applicant's rating of a closed case, and the unit's review of a bad one."""


def _rating_dict(row: RatingRow) -> dict[str, Any]:
    r = row.rating
    return {"case": r.case_number, "score": r.score, "label": row.label, "channel": r.channel,
            "words": r.words, "unit": r.unit, "power": r.power_code,
            "rated_at": _iso(r.rated_at), "bad": row.bad,
            "review_due": _iso(r.review_due), "review": row.review, "overdue": row.overdue,
            "reply": r.reply, "replied_by": r.replied_by, "replied_at": _iso(r.replied_at),
            "carded_at": _iso(r.carded_at)}


def _said(r: Any) -> None:
    from engine.services.feedback import SCORES

    line = f"{r.case_number} 已评价 rated: {r.score} {SCORES[r.score]}"
    if r.review_due:
        line += f"；差评，{r.unit} 须于 {r.review_due} 前整改回复 (review due {r.review_due})"
    click.echo(line)


@rating.command("give")
@click.argument("number")
@click.option("--query-code", required=True, help="The query code printed on the receipt.")
@click.option("--score", required=True, help="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.")
@click.option("--words", default="", help="What the applicant wants to say (at most 500 characters).")
@pass_ctx
def rating_give(ctx: Ctx, number: str, query_code: str, score: str, words: str) -> None:
    """The applicant rates their own closed case (no --as: the query code proves it is theirs)."""
    from engine.services.feedback import rate

    _said(rate(ctx.env, number, query_code, score, words, channel="web", now=ctx.now))


@rating.command("record")
@click.argument("number")
@click.option("--score", required=True, help="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.")
@click.option("--channel", required=True, type=click.Choice(["window", "phone"]),
              help="Given at the window, or by phone (回访).")
@click.option("--words", default="", help="What the applicant said (at most 500 characters).")
@click.option("--as", "by", required=True, help="The window clerk recording it. " + AS_HELP)
@pass_ctx
def rating_record(ctx: Ctx, number: str, score: str, channel: str, words: str, by: str) -> None:
    """Record a rating the applicant gave at the window or by phone."""
    from engine.services.feedback import record_rating

    _said(record_rating(ctx.env, number, score, words, channel=channel, actor=ctx.actor(by),
                        now=ctx.now))


@rating.command("list")
@click.option("--bad", is_flag=True, help="Only bad ratings (不满意, 非常不满意) and their reviews.")
@click.option("--overdue", is_flag=True, help="Only reviews past their day.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--as", "by", required=True, help="A supervisor (监察人员). " + AS_HELP)
@pass_ctx
def rating_list(ctx: Ctx, bad: bool, overdue: bool, as_json: bool, by: str) -> None:
    """Counts by score and the ratings, overdue reviews first."""
    from engine.services.feedback import rating_board

    board = rating_board(ctx.env, ctx.actor(by), bad=bad, overdue=overdue, now=ctx.now)
    if as_json:
        echo_json({"counts": {str(s): n for s, _, n in board.counts}, "total": board.total,
                   "bad": board.bad, "overdue": board.overdue,
                   "ratings": [_rating_dict(r) for r in board.rows]})
        return
    click.echo("  ".join(f"{label} {n}" for _, label, n in board.counts)
               + f"  （共 {board.total}，差评 {board.bad}，逾期未回复 {board.overdue}）")
    table([(r.rating.case_number, f"{r.rating.score} {r.label}", r.rating.unit,
            local(r.rating.rated_at), r.rating.review_due or "", r.review,
            (r.rating.words or "")[:30]) for r in board.rows],
          ["办件编号", "评价", "单位", "评价时间", "整改期限", "整改", "意见"])


@rating.command("reply")
@click.argument("number")
@click.option("--text", required=True, help="What was verified and put right (整改情况).")
@click.option("--as", "by", required=True, help="Staff of the rated unit. " + AS_HELP)
@pass_ctx
def rating_reply(ctx: Ctx, number: str, text: str, by: str) -> None:
    """The unit's reply to a bad rating (整改回复)."""
    from engine.services.feedback import reply_review

    r = reply_review(ctx.env, number, text, actor=ctx.actor(by), now=ctx.now)
    late = "（逾期，已亮黄牌 late: carded）" if r.carded_at else ""
    click.echo(f"{r.case_number} 差评已回复 replied{late}")


# -- 投诉 ----------------------------------------------------------------------------------------

@cli.group()
def complaint() -> None:
    """投诉: complaints against a case (or a step of it), a person or a unit."""


def _complaint_dict(row: ComplaintRow) -> dict[str, Any]:
    c = row.complaint
    return {"number": c.number, "status": c.status, "status_label": row.status_label,
            "overdue": row.overdue, "received_at": _iso(c.received_at),
            "received_by": c.received_by, "channel": c.channel, "complainant": c.complainant,
            "contact": c.contact, "facts": c.facts, "due_day": _iso(c.due_day),
            "case": c.case_number, "step": c.step_name, "post": c.against_post,
            "person": c.against_person, "unit": c.against_unit, "findings": c.findings,
            "measure": c.measure, "decided_by": c.decided_by,
            "decided_at": _iso(c.decided_at), "breach_id": c.breach_id}


@complaint.command("record")
@click.option("--case", "case_number", default=None, help="The case complained about.")
@click.option("--step", default=None, help="The step of that case, by its name (e.g. 现场核查).")
@click.option("--person", default=None, help="The login of the member of staff complained about.")
@click.option("--unit", default=None, help="The unit complained about, by its full name.")
@click.option("--complainant", required=True, help="Who complains.")
@click.option("--contact", required=True, help="How to reach them (phone, address).")
@click.option("--channel", required=True, type=click.Choice(["phone", "web", "letter", "visit"]),
              help="phone (12345), web, letter or visit.")
@click.option("--facts", required=True, help="What happened, as the complainant tells it.")
@click.option("--as", "by", required=True, help="Window staff or a supervisor. " + AS_HELP)
@pass_ctx
def complaint_record(ctx: Ctx, case_number: str | None, step: str | None, person: str | None,
                     unit: str | None, complainant: str, contact: str, channel: str, facts: str,
                     by: str) -> None:
    """Record a complaint (exactly one of --case, --person, --unit)."""
    from engine.services.complaints import record_complaint

    c = record_complaint(ctx.env, complainant=complainant, contact=contact, channel=channel,
                         facts=facts, actor=ctx.actor(by), case=case_number, step=step,
                         person=person, unit=unit, now=ctx.now)
    click.echo(c.number)
    click.echo(f"调查期限 due {c.due_day}", err=True)


@complaint.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only complaints still investigated.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--as", "by", required=True, help="A supervisor (监察人员). " + AS_HELP)
@pass_ctx
def complaint_list(ctx: Ctx, open_only: bool, as_json: bool, by: str) -> None:
    """Complaints, overdue investigations first."""
    from engine.services.complaints import list_complaints

    rows = list_complaints(ctx.env, ctx.actor(by), open_only=open_only, now=ctx.now)
    if as_json:
        echo_json([_complaint_dict(r) for r in rows])
        return
    table([(r.complaint.number, r.status_label + ("（逾期）" if r.overdue else ""),
            r.complaint.due_day, r.against, local(r.complaint.received_at),
            r.complaint.facts[:30]) for r in rows],
          ["投诉编号", "状态", "调查期限", "针对", "登记时间", "事实"])


@complaint.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@click.option("--as", "by", required=True, help="A supervisor (监察人员). " + AS_HELP)
@pass_ctx
def complaint_show(ctx: Ctx, number: str, as_json: bool, by: str) -> None:
    """One complaint, with its findings once decided."""
    from engine.services.complaints import show_complaint

    row = show_complaint(ctx.env, ctx.actor(by), number, now=ctx.now)
    doc = _complaint_dict(row)
    if as_json:
        echo_json(doc)
        return
    for key, value in doc.items():
        if value not in (None, ""):
            click.echo(f"{key}: {value}")


@complaint.command("decide")
@click.argument("number")
@click.option("--upheld/--not-upheld", required=True, help="属实 or 不属实.")
@click.option("--measure", type=click.Choice([m.value for m in Measure]), default=None,
              help="Upheld: none, 诫勉教育, 通报批评, 效能告诫, 扣发奖金, 调离工作岗位, 停职离岗培训, 辞退")
@click.option("--findings", default="", help="Upheld: what the investigation found.")
@click.option("--reasons", default="", help="Not upheld: why.")
@click.option("--as", "by", required=True, help="A supervisor, not the person complained of. "
              + AS_HELP)
@pass_ctx
def complaint_decide(ctx: Ctx, number: str, upheld: bool, measure: str | None, findings: str,
                     reasons: str, by: str) -> None:
    """Decide a complaint: upheld (a breach with the measure) or not upheld (the reasons)."""
    from engine.errors import InvalidAction
    from engine.services.complaints import decide_complaint

    if upheld and reasons:
        raise InvalidAction("属实时写 --findings（调查结论），不写 --reasons (use --findings for an "
                            "upheld complaint)", field="findings")
    if not upheld and findings:
        raise InvalidAction("不属实时写 --reasons（理由），不写 --findings (use --reasons for a "
                            "complaint not upheld)", field="reasons")
    c = decide_complaint(ctx.env, number, upheld=upheld, findings=findings if upheld else reasons,
                         measure=measure, actor=ctx.actor(by), now=ctx.now)
    if c.status == "upheld":
        click.echo(f"{c.number} 属实 upheld: {c.measure}；违诺记录 breach #{c.breach_id}")
    else:
        click.echo(f"{c.number} 不属实 not upheld")
