"""Verbs for publishers: flowcharts, the public catalogue site, A4 cards, the filing list."""

from __future__ import annotations

from pathlib import Path

import click

from adapters.cli.common import AS_HELP, Ctx, cli, pass_ctx

# Drawing (graphviz), publishing (ReportLab for the cards) and the engine are imported inside
# the verbs, so that they load only when one of these verbs runs (see common.py).


@cli.command()
@click.argument("power")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file: .svg, .png or .pdf.")
@click.option("--live", is_flag=True,
              help="Supervisor variant: per step, cases waiting now, overdue, average days.")
@pass_ctx
def flowchart(ctx: Ctx, power: str, output: str, live: bool) -> None:
    """Draw a power's flowchart (流程图): POWER is a deployed power code or a .bpmn file."""
    from adapters.flowchart import render_tree
    from engine.xmlsafe import parse_bpmn_bytes, read_bpmn_file

    stats = None
    if power.lower().endswith(".bpmn") or Path(power).is_file():
        if live:
            raise click.UsageError("--live needs a deployed power code, not a file")
        _, tree = read_bpmn_file(power)
    else:
        from engine.services.catalogue_admin import power_source

        p, xml = power_source(ctx.env, power)
        tree = parse_bpmn_bytes(xml, f"{p.code}.bpmn")
        if live:
            from engine.diagram import StepStats
            from engine.services.supervision import step_statistics

            stats = {k: StepStats(**v) for k, v in step_statistics(ctx.env, power, ctx.now).items()}
    render_tree(tree, output, stats=stats)
    click.echo(f"wrote {output}")


@cli.group()
def publish() -> None:
    """Public output: catalogue site, cards, full export, filing list."""


@publish.command("site")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--as", "actor", required=True, help="The publisher (公开人员). " + AS_HELP)
@pass_ctx
def publish_site(ctx: Ctx, outdir: str, actor: str) -> None:
    """Write the public catalogue (职权目录) as a static site that opens offline."""
    from adapters.publish.site import write_site
    from engine.services.catalogue_admin import publication

    def undrawn(code: str, reason: str) -> None:
        click.echo(f"警告 warning: {code} 的流程图未能生成，页面已注明 (flowchart not drawn, the "
                   f"page says so): {reason}", err=True)

    index = write_site(publication(ctx.env, ctx.actor(actor)), outdir, on_undrawn=undrawn)
    click.echo(f"wrote {index}")


@publish.command("card")
@click.argument("code")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--as", "actor", required=True, help="The publisher (公开人员). " + AS_HELP)
@pass_ctx
def publish_card(ctx: Ctx, code: str, output: str, actor: str) -> None:
    """Write the A4 one-page card (办事明白卡) of a public power as PDF."""
    from adapters.publish.card import write_card
    from engine.services.catalogue_admin import publication

    [(power, xml)] = publication(ctx.env, ctx.actor(actor), code)
    write_card(power, xml, output)
    click.echo(f"wrote {output}")


@publish.command("all")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--as", "actor", required=True, help="The publisher (公开人员). " + AS_HELP)
@pass_ctx
def publish_all(ctx: Ctx, outdir: str, actor: str) -> None:
    """Export every public power: flowchart (SVG + PNG), guide page and card."""
    from adapters.publish.export import export_all
    from engine.services.catalogue_admin import publication

    sources = publication(ctx.env, ctx.actor(actor))
    with click.progressbar(length=len(sources), label="publishing", show_pos=True,
                           file=click.get_text_stream("stderr")) as bar:
        result = export_all(sources, outdir, progress=lambda i, n, code: bar.update(1))
    for code, reason in result.undrawn:
        click.echo(f"警告 warning: {code} 的流程图未能生成，页面已注明 (flowchart not drawn, the "
                   f"page says so): {reason}", err=True)
    click.echo(f"exported {result.count} public power(s) to {outdir}")


@publish.command("filing")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help=".html, .csv or .md")
@click.option("--as", "actor", required=True, help="The publisher (公开人员). " + AS_HELP)
@pass_ctx
def publish_filing(ctx: Ctx, output: str, actor: str) -> None:
    """List the non-public powers (备案) with reasons and legal basis, for the supervising office."""
    from adapters.publish.filing import write_filing
    from engine.services.catalogue_admin import publication

    write_filing(publication(ctx.env, ctx.actor(actor)), output)
    click.echo(f"wrote {output}")
