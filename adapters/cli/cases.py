"""Verbs for the window and the task list: case start/show/list/accept/…, task list/claim/complete."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, local, parse_data, pass_ctx, table
from engine.model import CaseState  # stdlib only; the services are imported inside the verbs

# engine.services.handling.ART45_BASIS, repeated so that `--help` need not import the engine
# (tests/unit/test_cli_imports.py checks that the two agree).
ART45_BASIS = "《中华人民共和国行政许可法》第四十五条"


@cli.group()
def case() -> None:
    """Cases (办件)."""


@case.command("start")
@click.argument("power_code")
@click.option("--applicant", required=True, help="Applicant's name (申请人姓名或单位名称).")
@click.option("--id-type", default="身份证", show_default=True,
              help="Certificate type (证件类型): 身份证, 统一社会信用代码, 护照, …")
@click.option("--id-number", required=True, help="Certificate number (证件号码).")
@click.option("--phone", default="", help="Contact phone (联系电话), for notices by SMS.")
@click.option("--email", default="", help="E-mail (电子邮箱), for notices by e-mail.")
@click.option("--address", default="", help="Postal address (送达地址).")
@click.option("--request-key", default=None, metavar="KEY",
              help="Idempotency key: a retry with the same key returns the same case "
                   "(printed before the case is made; a new one is made up if not given).")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE",
              help="Application data, one KEY=VALUE per --data (repeat it).")
@click.option("--channel", type=click.Choice(["window", "online", "mail", "registered_mail"]),
              default="window", help="How the application arrived.")
@click.option("--received-on", default=None, metavar="YYYY-MM-DD",
              help="Mail/online: the day the office signed for it or confirmed it (OGI Art. 31).")
@click.option("--as", "actor", required=True, help="The window clerk receiving it. " + AS_HELP)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def case_start(ctx: Ctx, power_code: str, applicant: str, id_type: str, id_number: str,
               phone: str, email: str, address: str, request_key: str | None,
               data: tuple[str, ...], channel: str, received_on: str | None, actor: str,
               as_json: bool) -> None:
    """Receive an application (收件); prints the case number and query code."""
    import secrets

    from engine.applicants import Applicant
    from engine.services import cases as svc

    key = request_key or secrets.token_hex(12)
    if not request_key:  # said before anything is written: a retry after a crash reuses it
        click.echo(f"请求编号 request key: {key}（如未收到办件编号，用 --request-key {key} 重试）",
                   err=True)
    c = svc.start_case(ctx.env, power_code,
                       Applicant(applicant, id_type, id_number, phone, email, address),
                       parse_data(data), actor=ctx.actor(actor), channel=channel,
                       received_on=received_on, request_key=key, now=ctx.now)
    if as_json:
        echo_json({"number": c.number, "query_code": c.query_code, "state": c.state.value,
                   "request_key": key, "existing": c.existing})
    else:
        click.echo(c.number)
        click.echo(f"查询码 query code: {c.query_code}"
                   + ("（此请求编号已办理过，返回原办件 same request: the case it made）"
                      if c.existing else ""), err=True)


def _state(value: str | None) -> str | None:
    if value is None:
        return None
    for state in CaseState:
        if value in (state.value, state.label):
            return state.value
    choices = ", ".join(f"{s.value} ({s.label})" for s in CaseState)
    raise click.BadParameter(f"{value!r} is not a case state; one of: {choices}")


def _last_day(due_iso: str) -> str:
    """A due instant (00:00 after the last day) as the last day itself, in local time."""
    import datetime as dt

    return local(dt.datetime.fromisoformat(due_iso) - dt.timedelta(seconds=1))[:10]


def _t(iso: str | None) -> str:
    import datetime as dt

    return local(dt.datetime.fromisoformat(iso)) if iso else ""


def _print_case(ctx: Ctx, number: str) -> None:
    from engine.services.supervision import case_record

    r = case_record(ctx.env, number)
    click.echo(f"{r['number']}  {r['power']}  {r['state_label']} ({r['state']}, 平台状态码 "
               f"{r['platform_code']})")
    cert = r.get("applicant_certificate")
    click.echo(f"申请人 applicant: {r['applicant']}"
               + (f"（{cert['type']} {cert['number']}）" if cert else "")
               + f"   办件类型: {r['mode']}   查询码: {r['query_code']}")
    click.echo(f"收件 received: {_t(r['received_at'])}   受理 accepted: {_t(r['accepted_at'])}"
               + ("（依法视为受理）" if r["deemed_accepted"] else ""))
    cal = ctx.env.calendar()

    def day(iso: str | None, provisional: bool | None = None) -> str:
        """A date, marked （暂定） when it was counted over a year with no State Council schedule:
        the record's own flag for that date when it has one, else the date's year."""
        import datetime as dt

        if not iso:
            return ""
        if provisional is None:
            provisional = bool(r["provisional_deadlines"]) and cal.is_provisional(
                dt.date.fromisoformat(iso[:10]))
        return f"{iso}（暂定）" if provisional else iso

    if r["promised_deadline"]:
        click.echo(f"承诺办结时限 promised: {day(r['promised_deadline'], r.get('promised_provisional'))}   法定时限 statutory: "
                   f"{day(r['statutory_deadline'], r.get('statutory_provisional')) or '无'}   计时: {r['clock']}"
                   + (f"   停止计时 {r['working_days_stopped']} 个工作日" if r["working_days_stopped"] else ""))
        if r["provisional_deadlines"]:
            click.echo("（暂定 provisional：所涉年度的国务院节假日安排尚未导入，时限为估算，"
                       "以导入后的日历为准）")
    if r["result"]:
        click.echo(f"结果 result: {r['result']}" + ("（视为准予 deemed）" if r["deemed"] else ""))
    click.echo("环节 steps:")
    table([(s["name"], s["post"], s["person_name"] or "", _t(s["start"]), _t(s["end"]),
            day(s["due"], s.get("due_provisional")), s["status"], s["outcome"] or "", s["opinion"] or "") for s in r["steps"]],
          ["环节", "岗位", "经办人", "开始", "结束", "时限至", "状态", "结果", "意见"])
    if r["cards"]:
        click.echo("牌 cards:")
        for c in r["cards"]:
            click.echo(f"  {c['kind']}  {_t(c['issued_at'])}  {c['note']}")
    if r["breaches"]:
        click.echo("违诺 breaches:")
        for b in r["breaches"]:
            click.echo(f"  #{b['id']} {b['kind']}  {b['post'] or ''} {b['person'] or ''}  {b['facts']}")
    if r.get("notices"):
        click.echo("通知 notices:")
        for n in r["notices"]:
            click.echo(f"  {n['title']}  {n['channel_label']} {n['recipient']}  {n['status_label']}"
                       + (f"（{_t(n['sent'])}）" if n["sent"] else f"（第 {n['attempts']} 次：{n['last_error']}）"
                          if n["last_error"] else ""))
    if r["gaps"]:
        g = r["gaps"]
        click.echo(f"容缺材料 gaps: {'、'.join(g['items'])}  "
                   + (f"已补齐 {_t(g['made_up_at'])}" if g.get("made_up_at") else
                      f"须于 {_last_day(g['due_at'])} 前补齐"))
    if r["deemed_pending"]:
        click.echo("待执行 pending: the case is approved as deemed (超时默许 / 视为准予延续) as soon "
                   "as it reaches its decision step")
    if r["applicant_flags"]:
        click.echo("申请人失信记录 applicant flags: " + "；".join(
            f"{f['kind']} ({f['case_number']})" for f in r["applicant_flags"]))
    if r["personal_data_erased_at"]:
        click.echo(f"个人信息已于 {r['personal_data_erased_at'][:10]} 按保存期限删除 (personal data "
                   f"erased, its retention over): ID number, phone, e-mail and address")
    chain = r["audit_chain"]
    click.echo(f"审计链 audit chain: {chain if isinstance(chain, str) else 'BROKEN'}"
               f" ({len(r['history'])} events)")
    if not isinstance(chain, str):
        for problem in chain:
            click.echo(f"错误 error: audit chain: {problem}", err=True)
        raise click.exceptions.Exit(10)


@case.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="The whole record as one JSON document.")
@pass_ctx
def case_show(ctx: Ctx, number: str, as_json: bool) -> None:
    """Show a case: deadlines, steps, cards, breaches, history."""
    from engine.services.supervision import case_record

    if as_json:
        echo_json(case_record(ctx.env, number))
    else:
        _print_case(ctx, number)


@case.command("list")
@click.option("--state", default=None, callback=lambda c, p, v: _state(v),
              help="received, accepted, approved … or the Chinese label (已受理, 补正中 …).")
@click.option("--power", default=None, help="Only cases of this power code.")
@click.option("--limit", type=int, default=200)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def case_list(ctx: Ctx, state: str | None, power: str | None, limit: int, as_json: bool) -> None:
    """List cases, newest first."""
    from engine.services.views import list_cases

    rows = list_cases(ctx.env, state=state, power_code=power, limit=limit)
    if as_json:
        echo_json([{"number": c.number, "power": c.power_code, "applicant": c.applicant,
                    "state": c.state.value, "received_at": c.received_at.isoformat(),
                    "promised_deadline": c.promised_day.isoformat() if c.promised_day else None,
                    "result": c.result, "deemed": c.deemed} for c in rows])
        return
    table([(c.number, c.power_code, c.applicant, c.state.label, local(c.received_at),
            c.promised_day, c.result or "") for c in rows],
          ["办件编号", "事项", "申请人", "状态", "收件时间", "承诺时限", "结果"])


@case.command("accept")
@click.argument("number")
@click.option("--as", "actor", required=True, help="Window clerk (窗口人员).")
@click.option("--note", default="", help="Acceptance note.")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE",
              help="Form data recorded at acceptance, e.g. commitment=true (告知承诺制).")
@pass_ctx
def case_accept(ctx: Ctx, number: str, actor: str, note: str, data: tuple[str, ...]) -> None:
    """受理: accept the application; the clock starts."""
    from engine.services import cases as svc

    c = svc.accept(ctx.env, number, actor=ctx.actor(actor), note=note, data=parse_data(data), now=ctx.now)
    click.echo(f"{c.number} 已受理 accepted; 承诺办结时限 promised by {_promised(c)}, "
               f"法定 statutory by {_statutory(c)}")


@case.command("refuse")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--reason", required=True, help="Reasons (written into the notice).")
@pass_ctx
def case_refuse(ctx: Ctx, number: str, actor: str, reason: str) -> None:
    """不予受理: refuse to accept, with reasons."""
    from engine.services import cases as svc

    c = svc.refuse_acceptance(ctx.env, number, actor=ctx.actor(actor), reason=reason, now=ctx.now)
    click.echo(f"{c.number} 不予受理 not accepted")


@case.command("supplement")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--item", "items", multiple=True, required=True,
              help="A missing material; repeat for every item (一次性告知: all at once).")
@click.option("--why", default="", help="For a second request only: why the first notice "
              "could not have known of it (recorded as a breach of 一次性告知).")
@pass_ctx
def case_supplement(ctx: Ctx, number: str, actor: str, items: tuple[str, ...], why: str) -> None:
    """一次性告知: ask once for every missing material (补正)."""
    from engine.services import cases as svc

    c = svc.request_supplement(ctx.env, number, actor=ctx.actor(actor), items=list(items),
                               why_not_in_first_notice=why, now=ctx.now)
    click.echo(f"{c.number} 补正告知 issued for {len(items)} item(s)")


@case.command("supplemented")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--note", default="")
@pass_ctx
def case_supplemented(ctx: Ctx, number: str, actor: str, note: str) -> None:
    """补正结束: the applicant brought the missing materials."""
    from engine.services import cases as svc

    c = svc.supplement_received(ctx.env, number, actor=ctx.actor(actor), note=note, now=ctx.now)
    if c.accepted_at is None:
        click.echo(f"{c.number} 材料已补齐 supplemented; back to the acceptance check")
    else:
        click.echo(f"{c.number} 材料已补齐 supplemented; clock running again, promised by "
                   f"{_promised(c)}, statutory by {_statutory(c)}")


@case.command("hand-out")
@click.argument("number")
@click.option("--as", "actor", required=True, help="The window clerk. " + AS_HELP)
@click.option("--method", type=click.Choice(["窗口领取", "邮寄送达", "电子送达"]), default="窗口领取",
              show_default=True)
@click.option("--received-by", required=True, help="Who signed for it (签收人).")
@click.option("--note", default="", help="E.g. the registered-mail number.")
@pass_ctx
def case_hand_out(ctx: Ctx, number: str, actor: str, method: str, received_by: str,
                  note: str) -> None:
    """送达: hand the decision (and certificate) to the applicant, with a pick-up record."""
    from engine.services import cases as svc

    c = svc.hand_out(ctx.env, number, actor=ctx.actor(actor), method=method,
                     received_by=received_by, note=note, now=ctx.now)
    click.echo(f"{c.number} 已送达 handed out（{method}，签收人 {received_by}）")


@case.command("cancel")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--reason", default="申请人撤回申请")
@pass_ctx
def case_cancel(ctx: Ctx, number: str, actor: str, reason: str) -> None:
    """撤件: the applicant withdraws the application."""
    from engine.services import cases as svc

    c = svc.withdraw(ctx.env, number, actor=ctx.actor(actor), reason=reason, now=ctx.now)
    click.echo(f"{c.number} 已撤件 withdrawn")


@case.command("suspend")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--reason", required=True)
@click.option("--kind", type=click.Choice(["manual", "supplement"]), default="manual",
              help="supplement: the applicant supplements materials during review (the step's "
                   "handler); manual: any other stop, only by a supervisor, with --until.")
@click.option("--until", default=None, metavar="YYYY-MM-DD",
              help="Expected end (预计结束日期): required for a manual stop; watched like a "
                   "deadline (warning, then a yellow card when overrun).")
@pass_ctx
def case_suspend(ctx: Ctx, number: str, actor: str, reason: str, kind: str,
                 until: str | None) -> None:
    """Stop the clock (with who, why and until when)."""
    from engine.services import cases as svc

    c = svc.suspend(ctx.env, number, actor=ctx.actor(actor), reason=reason, kind=kind,
                    until=until, now=ctx.now)
    click.echo(f"{c.number} 停止计时 clock stopped" + (f" until {until}" if until else ""))


@case.command("resume")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--result", default=None)
@pass_ctx
def case_resume(ctx: Ctx, number: str, actor: str, result: str | None) -> None:
    """Restart the clock; every deadline moves by the working days stopped."""
    from engine.services import cases as svc

    c = svc.resume(ctx.env, number, actor=ctx.actor(actor), result=result, now=ctx.now)
    click.echo(f"{c.number} 恢复计时 clock resumed; promised by {_promised(c)}, "
               f"statutory by {_statutory(c)}")


@cli.group()
def task() -> None:
    """Steps waiting to be done (待办)."""


@task.command("list")
@click.option("--case", "case_number", default=None)
@click.option("--post", default=None, help="Only steps of this post (岗位).")
@click.option("--user", default=None, help="Only steps claimed by this person.")
@click.option("--all", "show_all", is_flag=True, help="Include completed and cancelled steps.")
@click.option("--for", "for_login", default=None, metavar="LOGIN",
              help="My work (我的待办): the steps of this person's posts and those they claimed, "
                   "least working time left first.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def task_list(ctx: Ctx, case_number: str | None, post: str | None, user: str | None,
              show_all: bool, for_login: str | None, as_json: bool) -> None:
    """List steps waiting to be done, oldest first (or one person's, most urgent first)."""
    from engine.services.views import list_tasks

    if for_login:
        _work_list(ctx, for_login, as_json)
        return

    rows = list_tasks(ctx.env, case_number=case_number, post=post, user=user,
                      include_done=show_all)
    if as_json:
        echo_json([{"id": s.id, "case": s.case_number, "power": s.power_code, "name": s.name,
                    "post": s.post, "assignee": s.assignee, "status": s.status.value,
                    "ready_at": s.ready_at.isoformat(),
                    "due": s.due_day.isoformat() if s.due_day else None,
                    "limit_days": s.limit_days} for s in rows])
        return
    table([(s.id[:8], s.case_number, s.name, s.post, s.assignee or "", local(s.ready_at),
            s.due_day, s.status.value) for s in rows],
          ["task", "办件编号", "环节", "岗位", "经办人", "到达", "时限至", "状态"])


@task.command("claim")
@click.argument("task_id")
@click.option("--as", "user", required=True, help=AS_HELP)
@pass_ctx
def task_claim(ctx: Ctx, task_id: str, user: str) -> None:
    """Claim a step so that no one else works on it."""
    from engine.services import cases as svc

    s = svc.claim(ctx.env, task_id, actor=ctx.actor(user), now=ctx.now)
    click.echo(f"{s.case_number} {s.name} claimed by {user}")


@task.command("complete")
@click.argument("task_id")
@click.option("--as", "user", required=True, help="Who completes it (recorded).")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE",
              help="Form data, one KEY=VALUE per --data, e.g. --data decision=approve --data opinion=同意.")
@pass_ctx
def task_complete(ctx: Ctx, task_id: str, user: str, data: tuple[str, ...]) -> None:
    """Complete a step with its form data."""
    from engine.services import cases as svc

    c = svc.complete_task(ctx.env, task_id, actor=ctx.actor(user), data=parse_data(data), now=ctx.now)
    click.echo(f"{c.number} {c.state.label}" + (f" — {c.result}" if c.result else ""))


@case.command("extend")
@click.argument("number")
@click.option("--as", "actor", required=True, help="The handler asking (承办人).")
@click.option("--days", type=int, required=True, help="Working days (at most 10; 15 for 联办件).")
@click.option("--reason", required=True, help="Reasons, told to the applicant.")
@pass_ctx
def case_extend(ctx: Ctx, number: str, actor: str, days: int, reason: str) -> None:
    """延期: ask the head of the organ to extend the statutory limit (ALL Art. 42)."""
    from engine.services import handling

    ext = handling.request_extension(ctx.env, number, actor=ctx.actor(actor), reason=reason, days=days,
                                     now=ctx.now)
    if ext.decision == "refused":
        click.echo(f"错误 error: extension refused: {ext.decision_reason}; recorded as a breach",
                   err=True)
        raise click.exceptions.Exit(5)
    click.echo(f"{number} 延期申请 {days} 个工作日 requested; awaiting the head's decision "
               f"(`sunshine case extend-decide {number}`)")


@case.command("extend-decide")
@click.argument("number")
@click.option("--as", "by", required=True, help="The head of the organ (本行政机关负责人).")
@click.option("--approve/--refuse", required=True)
@click.option("--reason", required=True)
@pass_ctx
def case_extend_decide(ctx: Ctx, number: str, by: str, approve: bool, reason: str) -> None:
    """Decide an extension request; the applicant is notified with the reasons."""
    from engine.services import cases as svc
    from engine.services import handling

    ext = handling.decide_extension(ctx.env, number, approve=approve, actor=ctx.actor(by), reason=reason,
                                    now=ctx.now)
    c = svc.case_view(ctx.env, number)
    click.echo(f"{number} extension {ext.decision}; statutory by {_statutory(c)}, "
               f"promised by {_promised(c)}")


@case.group("special")
def case_special() -> None:
    """特别程序: hearing, testing, expert review … (time not counted, ALL Art. 45)."""


@case_special.command("start")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--type", "kind", required=True,
              help="A ground of ALL Art. 45: 听证, 招标, 拍卖, 检验, 检测, 检疫, 鉴定, 专家评审")
@click.option("--reason", required=True)
@click.option("--expected-days", type=int, required=True, help="Told to the applicant in writing.")
@click.option("--basis", default=ART45_BASIS, show_default=True)
@pass_ctx
def case_special_start(ctx: Ctx, number: str, actor: str, kind: str, reason: str,
                       expected_days: int, basis: str) -> None:
    """Start a special procedure: the clock stops."""
    from engine.services import handling

    handling.start_special(ctx.env, number, actor=ctx.actor(actor), kind=kind, reason=reason,
                           expected_days=expected_days, basis=basis, now=ctx.now)
    click.echo(f"{number} 特别程序（{kind}）开始 started; clock stopped")


@case_special.command("end")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--result", required=True)
@pass_ctx
def case_special_end(ctx: Ctx, number: str, actor: str, result: str) -> None:
    """End the special procedure with its result: the clock runs again, deadlines move."""
    from engine.services import cases as svc
    from engine.services import handling

    handling.end_special(ctx.env, number, actor=ctx.actor(actor), result=result, now=ctx.now)
    c = svc.case_view(ctx.env, number)
    click.echo(f"{number} 特别程序结束 ended; promised by {_promised(c)}, "
               f"statutory by {_statutory(c)}")


def _mark(day: object, deadline: object) -> str:
    """A date as the clerk reads it aloud: （暂定） when counted over a year with no schedule."""
    return f"{day}（暂定）" if getattr(deadline, "provisional", False) else str(day)


def _promised(c: object) -> str:
    return _mark(getattr(c, "promised_day", None), getattr(c, "promised", None))


def _statutory(c: object) -> str:
    day = getattr(c, "statutory_day", None)
    return _mark(day, getattr(c, "statutory", None)) if day else "无"


@case.command("accept-gaps")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@click.option("--missing", multiple=True, required=True, help="A non-key material to follow.")
@click.option("--commitment-signed", is_flag=True, help="The applicant signed the commitment.")
@click.option("--makeup-days", type=int, default=None,
              help="Working days to make up (never later than the promised deadline).")
@pass_ctx
def case_accept_gaps(ctx: Ctx, number: str, actor: str, missing: tuple[str, ...],
                     commitment_signed: bool, makeup_days: int | None) -> None:
    """容缺受理: accept with non-key materials to follow."""
    from engine.services import handling

    w = handling.accept_with_gaps(ctx.env, number, actor=ctx.actor(actor), missing=list(missing),
                                  commitment_signed=commitment_signed, makeup_days=makeup_days,
                                  now=ctx.now)
    click.echo(f"{number} 容缺受理 accepted with gaps; make up by {_last_day(w.gaps_due_at.isoformat())}, "
               f"promised by {_promised(w)}")


@case.command("gaps-made-up")
@click.argument("number")
@click.option("--as", "actor", required=True, help=AS_HELP)
@pass_ctx
def case_gaps_made_up(ctx: Ctx, number: str, actor: str) -> None:
    """The materials missing under 容缺受理 have arrived."""
    from engine.services import handling

    handling.gaps_made_up(ctx.env, number, actor=ctx.actor(actor), now=ctx.now)
    click.echo(f"{number} 容缺材料已补齐 made up")


@case.command("lookup")
@click.argument("number")
@click.option("--code", "query_code", required=True, help="The query code on the receipt (查询码).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def case_lookup(ctx: Ctx, number: str, query_code: str, as_json: bool) -> None:
    """The public's view of its own case (进度查询): masked, no personal data."""
    from engine.services.supervision import public_lookup

    r = public_lookup(ctx.env, number, query_code)
    if as_json:
        echo_json(r)
        return
    click.echo(f"{r['number']}  {r['power']}（{r['unit']}）  申请人 {r['applicant']}  {r['state']}")
    click.echo(f"承诺办结时限 {r['promised_deadline'] or '受理后确定'}   法定时限 "
               f"{r['statutory_deadline'] or '受理后确定'}")
    for s in r["steps"]:
        click.echo(f"  {s['name']}（{s['post']}）  {_t(s['start'])} → {_t(s['end']) or '办理中'}")
    if r["result"]:
        click.echo(f"结果：{r['result_label']}")
    click.echo(f"监督投诉电话：{r['complaint_phone']}")


@task.command("release")
@click.argument("task_id")
@click.option("--as", "user", required=True,
              help="The claimant, or the post's leader (岗位负责人). " + AS_HELP)
@click.option("--reason", default="", help="Why (recorded), e.g. 请假 / 转办.")
@pass_ctx
def task_release(ctx: Ctx, task_id: str, user: str, reason: str) -> None:
    """Release a claimed step back to its post so someone else can take it."""
    from engine.services import cases as svc

    s = svc.release(ctx.env, task_id, actor=ctx.actor(user), reason=reason, now=ctx.now)
    click.echo(f"{s.case_number} {s.name} released to {s.post}")


@task.command("reassign")
@click.argument("task_id")
@click.option("--to", "to", required=True, help="The login of another holder of the post.")
@click.option("--as", "actor", required=True, help="The post's leader (岗位负责人). " + AS_HELP)
@click.option("--reason", required=True, help="Why (recorded), e.g. 请假 / 出差.")
@pass_ctx
def task_reassign(ctx: Ctx, task_id: str, to: str, actor: str, reason: str) -> None:
    """转办: the post's leader gives a waiting step to another holder of the post."""
    from engine.services import cases as svc

    s = svc.reassign(ctx.env, task_id, ctx.actor(to), actor=ctx.actor(actor), reason=reason,
                     now=ctx.now)
    click.echo(f"{s.case_number} {s.name} 转办给 reassigned to {to}")


def _work_list(ctx: Ctx, login: str, as_json: bool) -> None:
    from engine.services.views import work_list

    rows = work_list(ctx.env, ctx.actor(login))
    if as_json:
        echo_json([{"id": t.id, "case": t.case_number, "power": t.power_code, "name": t.name,
                    "post": t.post, "assignee": t.assignee, "ready_at": t.ready_at.isoformat(),
                    "due": t.due_day.isoformat() if t.due_day else None,
                    "working_days_left": t.working_days_left, "mark": t.mark} for t in rows])
        return
    marks = {"red": "红 超期", "yellow": "黄 今日到期", None: ""}
    table([(t.id[:8], t.case_number, t.name, t.post, t.assignee or "（未认领）", t.due_day,
            "" if t.working_days_left is None else t.working_days_left, marks[t.mark])
           for t in rows],
          ["task", "办件编号", "环节", "岗位", "经办人", "时限至", "剩余工作日", "提示"])
