"""`sunshine exchange`: export case records for the provincial platform (省级数据交换) — every
status change of a finished period, or since the last incremental export — as JSON (and CSV);
list the exports made."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, local, pass_ctx, table


@cli.group("exchange")
def exchange() -> None:
    """Provincial exchange (省级数据交换): case status changes with the codes 1–15."""


@exchange.command("export")
@click.option("--from", "start", default=None, help="First day of the period (YYYY-MM-DD, local).")
@click.option("--to", "end", default=None, help="Last day of the period, included (ended).")
@click.option("--since-last", is_flag=True,
              help="The changes since the last incremental export, up to now.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Write the JSON file here (docs/exchange.schema.json).")
@click.option("--csv", "csv_path", default=None, type=click.Path(dir_okay=False),
              help="Also write the records as CSV here.")
@click.option("--as", "actor", required=True,
              help="A supervisor (监察人员) or administrator. " + AS_HELP)
@pass_ctx
def export(ctx: Ctx, start: str | None, end: str | None, since_last: bool, output: str,
           csv_path: str | None, actor: str) -> None:
    """Export one record per status change of a case (收件 1 … 撤销 15), times in local time,
    the applicant masked. Files are written whole or not at all."""
    from adapters.exchange_format import check_targets, to_csv, to_json, write_files
    from engine.services.exchange import ExchangeBatch, export_exchange

    json_path, *more = check_targets([output, *([csv_path] if csv_path else [])])
    who = ctx.actor(actor)
    tz = ctx.env.calendar().tz

    def write(batch: ExchangeBatch) -> None:
        files = {json_path: to_json(batch, tz)}
        if more:
            files[more[0]] = to_csv(batch)
        write_files(files)

    batch = export_exchange(ctx.env, who, start=start, end=end, since_last=since_last,
                            write=write, now=ctx.now)
    e = batch.export
    since = local(e.since) if e.since else "最早 the first"
    click.echo(f"已导出 {len(batch.records)} 条办件状态变化 exported {len(batch.records)} records: "
               f"{since} – {local(e.until)}（不含 excl.）, SHA-256 {e.sha256}")
    click.echo(f"JSON: {json_path}")
    if more:
        click.echo(f"CSV: {more[0]}")


@exchange.command("list")
@click.option("--as", "actor", required=True,
              help="A supervisor (监察人员) or administrator. " + AS_HELP)
@pass_ctx
def listing(ctx: Ctx, actor: str) -> None:
    """The exports made, the latest first."""
    from engine.services.exchange import list_exports

    rows = list_exports(ctx.env, ctx.actor(actor), now=ctx.now)
    table([(e.id, {"period": "期间", "incremental": "增量"}.get(e.mode, e.mode),
            local(e.since) if e.since else "—", local(e.until), e.records, e.exported_by,
            local(e.exported_at), e.sha256[:16]) for e in rows],
          ["#", "方式 mode", "自 since", "至 until（不含）", "条数 records", "导出人 by",
           "导出时间 at", "SHA-256"])
