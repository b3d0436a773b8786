"""Verbs for designers and operators: db, lint, deploy, powers, calendar, timers, worker."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, pass_ctx, table

# The engine (SpiffWorkflow, lxml) and the database are imported inside the verbs (see common.py).


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Ctx) -> None:
    """Create or migrate the database schema to the latest version."""
    from adapters.bootstrap import upgrade_database

    ctx.check_schema = False
    upgrade_database(ctx.env.engine)
    ctx.env.reset_calendar()
    click.echo(f"database is up to date: {ctx.env.engine.url.render_as_string()}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--deployed", is_flag=True,
              help="Also find called processes among the deployed powers (in the database), as "
                   "deploy does.")
@pass_ctx
def lint(ctx: Ctx, paths: tuple[str, ...], as_json: bool, deployed: bool) -> None:
    """Check BPMN files against the designer rules without deploying them. Files given
    together are checked together: a call activity may call a process of another of them."""
    if deployed:
        from engine.services.catalogue_admin import lint_against_deployed

        findings = lint_against_deployed(ctx.env, list(paths))
    else:
        from engine.lint import lint_files

        findings = lint_files(list(paths))
    errors = [f for f in findings if f.severity == "error"]
    if as_json:
        echo_json([f.to_dict() for f in findings])
    else:
        for f in findings:
            click.echo(f"{'错误 error' if f.severity == 'error' else '提示 warning'}: {f}")
        click.echo(f"{len(paths)} file(s), {len(errors)} error(s), "
                   f"{len(findings) - len(errors)} warning(s)")
    if errors:
        raise click.exceptions.Exit(3)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "actor", required=True, help="The designer deploying. " + AS_HELP)
@pass_ctx
def deploy(ctx: Ctx, paths: tuple[str, ...], actor: str) -> None:
    """Lint and deploy BPMN files (all or nothing). Unchanged files keep their version."""
    from engine.errors import LintFailed
    from engine.services import catalogue_admin

    try:
        result = catalogue_admin.deploy(ctx.env, list(paths), actor=ctx.actor(actor), now=ctx.now)
    except LintFailed as err:
        # each finding once, here; the error line main() would add would repeat the first
        for f in err.findings:
            click.echo(f"错误 error: {f}", err=True)
        click.echo(f"{len(err.findings)} error(s): nothing was deployed", err=True)
        raise click.exceptions.Exit(3) from None
    for d in result:
        state = "deployed" if d.changed else "unchanged"
        if d.changed and not d.new:
            state = "current again (same content as before)"
        if d.withdrawn:
            state += ("; 已撤回，仍不受理新申请 still withdrawn (`sunshine powers reinstate` puts "
                      "it back in service)")
        calls = f"  (calls processes of {', '.join(d.bundled)})" if d.bundled else ""
        click.echo(f"{d.code}  {d.name}  v{d.version}  {state}{calls}")


@cli.group()
def powers() -> None:
    """The power catalogue (职权目录)."""


@powers.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def powers_list(ctx: Ctx, as_json: bool) -> None:
    """List deployed powers with their limits and version."""
    from engine.services import catalogue_admin

    rows = catalogue_admin.list_powers(ctx.env)
    if as_json:
        echo_json(rows)
        return
    table([(r["code"], r["name"], r["mode"], r["statutory_limit"] if r["statutory_limit"] is not None else "无",
            r["promised_limit"], "是" if r["deemed_approval"] else "否",
            "公开" if r["public"] else "不公开", f"v{r['version']}", r["status"]) for r in rows],
          ["code", "事项名称", "办件类型", "法定", "承诺", "超时默许", "公开", "版本", "status"])


@powers.command("withdraw")
@click.argument("code")
@click.option("--as", "actor", required=True, help="The designer withdrawing it. " + AS_HELP)
@click.option("--reason", required=True, help="Why (recorded), e.g. the document that revoked it.")
@pass_ctx
def powers_withdraw(ctx: Ctx, code: str, actor: str, reason: str) -> None:
    """Withdraw a power: no new cases can start; running cases finish. Deploying the file again
    does not bring it back."""
    from engine.services import catalogue_admin

    catalogue_admin.withdraw_power(ctx.env, code, actor=ctx.actor(actor), reason=reason,
                                   now=ctx.now)
    click.echo(f"{code} 已撤回 withdrawn")


@powers.command("reinstate")
@click.argument("code")
@click.option("--as", "actor", required=True, help="The designer reinstating it. " + AS_HELP)
@click.option("--reason", required=True, help="Why (recorded).")
@pass_ctx
def powers_reinstate(ctx: Ctx, code: str, actor: str, reason: str) -> None:
    """Put a withdrawn power back in service on its latest version."""
    from engine.services import catalogue_admin

    catalogue_admin.reinstate_power(ctx.env, code, actor=ctx.actor(actor), reason=reason,
                                    now=ctx.now)
    click.echo(f"{code} 已恢复 reinstated")


@cli.group()
def calendar() -> None:
    """The working-day calendar (工作日)."""


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "actor", required=True, help="The administrator importing it. " + AS_HELP)
@pass_ctx
def calendar_import(ctx: Ctx, file: str, actor: str) -> None:
    """Import a year's holiday schedule from a TOML file (see docs/operations.md), then recount
    every running case's deadlines that reach that year."""
    from adapters.calendar_files import load_schedule_file
    from engine.services.calendar_admin import import_year

    schedule = load_schedule_file(file)
    report = import_year(ctx.env, schedule, actor=ctx.actor(actor), now=ctx.now)
    click.echo(f"{schedule.year}: {len(schedule.holidays)} holiday(s), "
               f"{len(schedule.workdays)} adjusted working day(s) imported from {file}")
    click.echo(f"deadlines recounted: {report.checked} open case(s) reach {schedule.year}, "
               f"{len(report.moved)} moved" + (f" ({', '.join(report.moved[:20])}"
                                               f"{' …' if len(report.moved) > 20 else ''})"
                                               if report.moved else ""))
    for failure in report.failed:
        click.echo(f"错误 error: could not recount {failure}", err=True)
    if report.failed:
        raise SystemExit(7)


_IMPORT_HINT = ("导入方法 how: 把通知中的放假日期和调休上班日期写成 TOML 文件，运行 "
                "`sunshine calendar import FILE`（格式见 docs/operations.md）")


def _calendar_warning(ctx: Ctx) -> str | None:
    """The missing-schedule warning for today (the CLI's --now or the clock), with how to fix it."""
    from engine.calendar import missing_schedule_warning

    cal = ctx.env.calendar()
    text = missing_schedule_warning(cal, cal.local_date(ctx.env.now(ctx.now)))
    return f"{text}\n{_IMPORT_HINT}" if text else None


@calendar.command("show")
@click.argument("year", type=int)
@pass_ctx
def calendar_show(ctx: Ctx, year: int) -> None:
    """Print a year's schedule in the import file format (an estimate is marked 估算)."""
    from adapters.calendar_files import dump_schedule
    from engine.errors import CalendarYearMissing

    schedule = ctx.env.calendar().schedule(year)
    if schedule is None:
        raise CalendarYearMissing(year)
    if schedule.provisional:
        days = "、".join(f"{d.month}/{d.day} {n}" for d, n in schedule.holidays.items())
        click.echo(f"{year}年：估算，待国务院通知 (provisional, no State Council schedule yet). "
                   f"估算的节假日 estimated holidays: {days}；无调休上班日 no make-up working days",
                   err=True)
    warning = _calendar_warning(ctx)
    if warning:
        click.echo(f"警告 warning: {warning}", err=True)
    click.echo(dump_schedule(schedule), nl=False)


@calendar.command("status")
@pass_ctx
def calendar_status(ctx: Ctx) -> None:
    """Which years have the State Council schedule, which are estimated, and any warning."""
    cal = ctx.env.calendar()
    today = cal.local_date(ctx.env.now(ctx.now))
    confirmed = cal.confirmed_years
    click.echo(f"今天 today: {today.isoformat()}   已导入国务院通知 State Council schedules: "
               + (f"{confirmed[0]}–{confirmed[-1]}" if confirmed else "无 none"))
    rows = []
    for year in range(today.year - 1, max([today.year + 2, *cal.years]) + 1):
        schedule = cal.schedule(year)
        if schedule is None:
            state = ("缺失，按双休日推算 missing (weekends only, provisional)"
                     if cal.fallback_weekends_only else "缺失 missing (deadlines refused)")
            rows.append((year, state, "", ""))
        elif schedule.provisional:
            rows.append((year, "估算，待国务院通知 provisional", len(schedule.holidays),
                         schedule.source))
        else:
            rows.append((year, "国务院通知 confirmed", len(schedule.holidays), schedule.source))
    table(rows, ["年度 year", "状态 status", "节假日 days off", "来源 source"])
    warning = _calendar_warning(ctx)
    if warning:
        click.echo(f"警告 warning: {warning}")


@cli.group()
def timers() -> None:
    """Deadline timers."""


@timers.command("run-once")
@click.option("--limit", type=int, default=100_000, help="At most this many due rows.")
@pass_ctx
def timers_run_once(ctx: Ctx, limit: int) -> None:
    """Run one sweep of due deadlines (at --now, or the real time)."""
    from engine.services.sweep import sweep

    report = sweep(ctx.env, ctx.now, limit=limit)
    kinds = ", ".join(f"{k}={v}" for k, v in sorted(report.by_kind.items()))
    click.echo(f"fired {report.fired}, skipped {report.skipped}" + (f" ({kinds})" if kinds else ""))
    for error in report.errors:
        click.echo(f"错误 error: {error}", err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} deadline(s) failed and were set aside; fix the cause, "
                   f"then `sunshine timers retry`", err=True)
        raise click.exceptions.Exit(7)


@timers.command("retry")
@pass_ctx
def timers_retry(ctx: Ctx) -> None:
    """Requeue deadlines that failed (e.g. after importing a missing calendar year)."""
    from engine.services.sweep import retry_failed

    click.echo(f"requeued {retry_failed(ctx.env)} failed deadline(s)")


@cli.command()
@click.option("--interval", type=float, default=None, help="Seconds between sweeps.")
@click.option("--once", is_flag=True, hidden=True)
@pass_ctx
def worker(ctx: Ctx, interval: float | None, once: bool) -> None:
    """Run the timer worker: an APScheduler job sweeps due deadlines on an interval."""
    from adapters.config import load_settings
    from adapters.scheduler import run_worker
    from adapters.sql.pii import refuse_without_key

    settings = load_settings(db=ctx.db)
    refuse_without_key(settings.data_key, settings.mode)  # no ID numbers in clear by default
    every = interval or settings.sweep_interval_seconds
    click.echo(f"worker started: sweeping every {every:g} s (Ctrl-C to stop)")
    warning = _calendar_warning(ctx)
    if warning:
        click.echo(f"警告 warning: {warning}", err=True)
    run_worker(ctx.env, every, seal_key=settings.seal_key, seal_dir=settings.seal_dir)


@cli.command()
@click.option("--staff", "staff_file", default="demo/staff.json", show_default=True,
              type=click.Path(exists=True, dir_okay=False), help="The demo county's staff.")
@click.option("--cases", "how_many", type=int, default=300, show_default=True)
@click.option("--password", default="sunshine-demo", show_default=True,
              help="The password every demo user signs in with.")
@pass_ctx
def demo(ctx: Ctx, staff_file: str, how_many: int, password: str) -> None:
    """Fill a demo installation (SUNSHINE_MODE=demo) with the staff's passwords and a few hundred
    cases in every state, worked over the last weeks; then sweep the deadlines."""
    from pathlib import Path

    from adapters.demo import seed

    report = seed(ctx.env, Path(staff_file), cases_wanted=how_many, password=password)
    for note in report.skipped[:5]:
        click.echo(f"提示 note: {note}", err=True)
    if report.cases:
        states = "，".join(f"{k} {v}" for k, v in sorted(report.by_state.items(),
                                                         key=lambda kv: -kv[1]))
        click.echo(f"{report.cases} 件演示办件 demo cases: {states}; 到期处理 fired {report.fired}")
    if report.users:
        click.echo(f"{report.users} 位演示用户的密码 demo users' password: {password}")
