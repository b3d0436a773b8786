"""Verbs for notices to applicants: `notice list`, `notice deliver`, and `case receipt`
(the notice that applies to a case now, as the core writes it)."""

from __future__ import annotations

import click

from adapters.cli.cases import case
from adapters.cli.common import Ctx, cli, echo_json, local, pass_ctx, table

# The engine and the database are imported inside the verbs; ReportLab only by `notice deliver`
# (see common.py).


@cli.group()
def notice() -> None:
    """Notices to applicants (通知送达): what was queued and whether it was delivered."""


@notice.command("list")
@click.option("--case", "number", default=None, help="Only the notices of this case.")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), default=None,
              help="pending (待送达, including those waiting to retry), sent, failed (given up).")
@click.option("--limit", type=int, default=200)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def notice_list(ctx: Ctx, number: str | None, status: str | None, limit: int,
                as_json: bool) -> None:
    """List notices with their delivery state (recipients masked): newest first, or one case's
    oldest first."""
    from engine.services.notices import case_notices, list_notices

    if number:  # one case's file, oldest first (an unknown number is an error)
        rows = [n for n in case_notices(ctx.env, number) if not status or n.status == status]
    else:
        rows = list_notices(ctx.env, status=status, limit=limit)
    if as_json:
        echo_json([n.to_dict() for n in rows])
        return
    table([(n.id, n.case_number, n.title, n.channel, n.recipient, n.status, n.attempts,
            local(n.created), local(n.sent), (n.last_error or "")[:60]) for n in rows],
          ["编号", "办件编号", "文书", "方式", "送达对象", "状态", "次数", "生成", "送达", "错误"])


@notice.command("deliver")
@pass_ctx
def notice_deliver(ctx: Ctx) -> None:
    """One delivery pass: send every due notice (the worker does this on each sweep)."""
    from adapters.config import load_settings
    from adapters.delivery import build_senders
    from engine.services.notices import deliver_due

    senders, notes = build_senders(load_settings(db=ctx.db), clock=ctx.env.clock)
    for note in notes:
        click.echo(f"注意 note: {note}", err=True)
    report = deliver_due(ctx.env, senders, now=ctx.now)
    for error in report.errors:
        click.echo(f"未送达 not delivered: {error}", err=True)
    click.echo(f"sent {report.sent}, failed {report.retrying + report.gave_up} "
               f"(retrying {report.retrying}, given up {report.gave_up})")


@case.command("receipt")
@click.argument("number")
@pass_ctx
def case_receipt(ctx: Ctx, number: str) -> None:
    """Print the notice that applies now (收件回执 / 受理通知书 / 补正材料通知书 / 不予受理通知书)."""
    from engine.documents import render_text
    from engine.services.notices import receipt_document

    click.echo(render_text(receipt_document(ctx.env, number)), nl=False)
