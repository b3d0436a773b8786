"""`sunshine report`: sign off a finished period's supervision report and write its PDF (and
Excel file); print an archived one again, unchanged; list them."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, local, pass_ctx, table


@cli.command("report")
@click.option("--from", "start", default=None, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", default=None, help="Last day of the period, included (ended).")
@click.option("--id", "report_id", type=int, default=None,
              help="Print an archived report again instead of signing a new one.")
@click.option("-o", "--output", "pdf", default=None, type=click.Path(dir_okay=False),
              help="Write the report's PDF here.")
@click.option("--xlsx", default=None, type=click.Path(dir_okay=False),
              help="Also write its Excel workbook here.")
@click.option("--list", "listing", is_flag=True, help="List the archived reports.")
@click.option("--as", "actor", required=True, help="The supervisor (监察人员). " + AS_HELP)
@pass_ctx
def report(ctx: Ctx, start: str | None, end: str | None, report_id: int | None,
           pdf: str | None, xlsx: str | None, listing: bool, actor: str) -> None:
    """Monthly, quarterly or yearly supervision report (for 人大, 纪委, the leading group):
    `--from --to -o FILE.pdf [--xlsx FILE.xlsx]` signs off the period's figures and archives
    them; `--id N -o FILE.pdf` prints that archived report again, with the same numbers."""
    from adapters.report import write_pdf, write_xlsx
    from engine.errors import InvalidAction
    from engine.services import identity, reports

    who = ctx.actor(actor)
    if listing:
        rows = reports.list_reports(ctx.env, who, now=ctx.now)
        names = {r.signed_by: identity.show_user(ctx.env, r.signed_by).name for r in rows}
        table([(r.id, r.start, r.end, names.get(r.signed_by, r.signed_by), local(r.signed_at),
                r.sha256[:16]) for r in rows],
              ["#", "自 from", "至 to", "签发 signed by", "签发时间 at", "SHA-256"])
        return
    if report_id is None and not (start and end):
        raise InvalidAction("请写明 --from 和 --to（签发新报告），或 --id（重印存档报告） "
                            "(give --from and --to, or --id)", field="from")
    if pdf is None and xlsx is None:
        raise InvalidAction("请用 -o FILE.pdf 和/或 --xlsx FILE.xlsx 指定输出文件 (give -o and/or --xlsx)",
                            field="output")
    if report_id is None:
        assert start is not None and end is not None
        signed = reports.sign_report(ctx.env, who, start, end, now=ctx.now)
        click.echo(f"第 {signed.id} 号报告已签发并存档 report #{signed.id} signed: {signed.start} – "
                   f"{signed.end}, SHA-256 {signed.sha256}")
    else:
        signed = reports.get_report(ctx.env, who, report_id, now=ctx.now)
    signer = identity.show_user(ctx.env, signed.signed_by)
    by = f"{signer.name}（{signer.login}）"
    if pdf:
        write_pdf(signed, pdf, signer=by, local_time=local(signed.signed_at))
        click.echo(f"PDF: {pdf}")
    if xlsx:
        write_xlsx(signed, xlsx, signer=by, local_time=local(signed.signed_at))
        click.echo(f"Excel: {xlsx}")
