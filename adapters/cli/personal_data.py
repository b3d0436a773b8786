"""`sunshine data-key …`: the operator's key for personal data at rest (adapters/sql/pii.py);
`sunshine data retention`: personal data kept only as long as the retention says."""

from __future__ import annotations

from typing import Any

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, local, pass_ctx, table

# SQLAlchemy, cryptography and the engine are imported inside the verbs (see common.py).


@cli.group("data-key")
def data_key() -> None:
    """The data key that seals ID numbers, phones, e-mail and postal addresses in the database."""


@data_key.command("generate")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The new key file (never overwritten; mode 0600). Keep a copy apart from the "
                   "database backups.")
def generate(out: str) -> None:
    """Make a new data key file; point SUNSHINE_DATA_KEY at it."""
    from adapters.sql import pii

    key = pii.generate(out)
    click.echo(f"数据密钥已生成 data key {key.kid} written to {out} (mode 0600): set "
               f"SUNSHINE_DATA_KEY={out} and back the file up apart from the database — without it "
               f"the sealed personal data cannot be read")


def _key(ctx: Ctx) -> Any:
    from adapters.config import load_settings
    from adapters.sql import pii

    return pii.from_settings(load_settings(db=ctx.db))


@data_key.command("encrypt-existing")
@click.option("--batch", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Rows per transaction.")
@pass_ctx
def encrypt_existing(ctx: Ctx, batch: int) -> None:
    """Seal the personal data of rows written before the key was configured (stop the web and
    the worker first; resumable: run it again after an interruption)."""
    from adapters.sql.pii_rewrite import encrypt_existing as run

    key = _key(ctx)
    done = run(ctx.env.engine, key, batch=batch)  # type: ignore[attr-defined]
    click.echo(f"已加密 sealed with data key {key.kid if key else '-'}: {done.total} row(s) "
               f"({done.tables()}); every other row was sealed already")


@data_key.command("rotate")
@click.option("--batch", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Rows per transaction.")
@pass_ctx
def rotate(ctx: Ctx, batch: int) -> None:
    """Re-seal everything the previous key(s) sealed under the new one: set SUNSHINE_DATA_KEY to
    the new key file and SUNSHINE_DATA_KEY_PREVIOUS to the old one(s) first (stop the web and the
    worker, or give them the same two settings; resumable: run it again after an interruption).
    Afterwards SUNSHINE_DATA_KEY_PREVIOUS can be removed."""
    from adapters.sql.pii_rewrite import rotate as run

    key = _key(ctx)
    done = run(ctx.env.engine, key, batch=batch)  # type: ignore[attr-defined]
    assert key is not None
    old = ", ".join(k.kid for k in key.previous)
    click.echo(f"已换用数据密钥 re-sealed under data key {key.kid} (was {old}): {done.sealed.total} "
               f"row(s) ({done.sealed.tables()}); applicant flags re-keyed {done.flags_rekeyed}")
    if done.flags_left:
        click.echo(f"{len(done.flags_left)} 条申请人标记无法换用新密钥（所属办件的证件号已删除）, found only "
                   f"while SUNSHINE_DATA_KEY_PREVIOUS keeps {old}: " + ", ".join(done.flags_left))
    if done.stale_left:
        click.echo(f"{done.stale_left} row(s) still hold values not under key {key.kid} (written "
                   f"meanwhile by a process with the old settings?): run rotate again")
        raise SystemExit(1)
    if not done.flags_left:
        click.echo(f"旧密钥已不再需要 the previous key(s) {old} are no longer needed: remove "
                   f"SUNSHINE_DATA_KEY_PREVIOUS (keep the old key file with the backups made "
                   f"before today: they need it)")


@cli.group("data")
def data() -> None:
    """Personal data (个人信息): kept only as long as the retention period says."""


@data.command("retention")
@click.option("--apply", "apply_", is_flag=True,
              help="Erase the personal data of the cases listed (without it: only list them).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="Cases per run, oldest closed first; run again for more.")
@click.option("--as", "actor", required=True, help="A system administrator. " + AS_HELP)
@click.option("--json", "as_json", is_flag=True, help="The run as JSON.")
@pass_ctx
def retention(ctx: Ctx, apply_: bool, limit: int, actor: str, as_json: bool) -> None:
    """The closed cases whose personal-data retention (SUNSHINE_PERSONAL_DATA_YEARS, 5 years
    after closing by default) is over; with --apply, erase their ID numbers, phones, e-mail and
    postal addresses. The audit trail still verifies afterwards (docs/operations.md)."""
    from engine.services.retention import run_retention

    run = run_retention(ctx.env, ctx.actor(actor), apply=apply_, now=ctx.now, limit=limit)
    before = local(run.closed_before)[:10]
    kept = {k.number: k.reasons for k in run.kept}
    failed = dict(run.failed)
    if as_json:
        echo_json({"years": run.years, "closed_before": run.closed_before.isoformat(),
                   "applied": run.applied, "due": run.due,
                   "erased": [{"number": e.number, "closed_at": e.closed_at.isoformat(),
                               "values": e.values, "events": e.events} for e in run.erased],
                   "kept": [{"number": n, "reasons": list(r)} for n, r in kept.items()],
                   "failed": [{"number": n, "reason": r} for n, r in failed.items()],
                   "complaints": run.complaints})
    else:
        click.echo(f"保存期限 retention: 办结后 {run.years} 年; {before} 以前办结的办件到期 "
                   f"(cases closed before {before} are due): {len(run.due)}, 暂缓 kept "
                   f"{len(kept)}")
        erased = {e.number: e for e in run.erased}
        rows = []
        for number in [*run.due, *(n for n in kept if n not in run.due)]:
            if number in erased:
                e = erased[number]
                what = f"已删除 erased: {e.values} 项, {e.events} 条审计事件 (values, events)"
            elif number in kept:
                what = "暂缓 kept: " + "; ".join(kept[number])
            elif number in failed:
                what = "失败 failed: " + failed[number]
            else:
                what = "到期 due (--apply 删除)"
            rows.append((number, what))
        if rows:
            table(rows, ("办件 case", "结果 result"))
        if run.applied:
            click.echo(f"已删除 {len(run.erased)} 件的个人信息, 投诉人联系方式 {run.complaints} 条 "
                       f"(erased {len(run.erased)} case(s), {run.complaints} complaint "
                       f"contact(s)); 暂缓 kept {len(kept)}, 失败 failed {len(failed)}")
        elif run.due:
            click.echo("未删除任何信息 nothing was erased: run again with --apply")
    if failed:
        raise SystemExit(1)
