"""Verbs for the administrator: users, their roles and posts, passwords, API keys, refused
attempts, and the permission table itself."""

from __future__ import annotations

import click

from adapters.cli.common import AS_HELP, Ctx, cli, echo_json, local, pass_ctx, table

ROLE_HELP = ("window 窗口, handler 承办, approver 审批, head 机关负责人, supervisor 监察, "
             "designer 流程设计, publisher 公开, admin 系统管理")


@cli.group()
def user() -> None:
    """Users (用户): who may act, with which roles and posts (岗位)."""


def _password(ask: bool) -> str | None:
    if not ask:
        return None
    return click.prompt("密码 password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("login")
@click.option("--name", required=True, help="Display name (姓名).")
@click.option("--unit", required=True, help="Unit (单位), as the powers name it.")
@click.option("--role", "roles", multiple=True, required=True, help=f"Repeatable: {ROLE_HELP}.")
@click.option("--post", "posts", multiple=True, help="A post (岗位 = a lane name); repeatable.")
@click.option("--lead", "leads", multiple=True,
              help="A post this user leads (may reassign its steps); repeatable.")
@click.option("--password", "ask_password", is_flag=True,
              help="Prompt for a password (for the web login).")
@click.option("--as", "actor", default=None,
              help="The administrator registering the user (not needed for the very first "
                   "user, who must be an administrator). " + AS_HELP)
@pass_ctx
def user_add(ctx: Ctx, login: str, name: str, unit: str, roles: tuple[str, ...],
             posts: tuple[str, ...], leads: tuple[str, ...], ask_password: bool,
             actor: str | None) -> None:
    """Register a user."""
    from engine.services import identity

    by = ctx.actor(actor) if actor else None
    u = identity.add_user(ctx.env, by=by, login=login, name=name, unit=unit, roles=roles,
                          posts=posts, leads=leads, password=_password(ask_password),
                          now=ctx.now)
    click.echo(f"{u.login}  {u.name}  {u.unit}  {u.role_labels}"
               + (f"  岗位 {'、'.join(u.posts)}" if u.posts else "")
               + (f"  负责 {'、'.join(u.leads)}" if u.leads else ""))


@user.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--only", default=None, metavar="LOGIN,…",
              help="Register only these logins from the file (e.g. the administrator and the "
                   "designer, before the powers are deployed).")
@click.option("--as", "actor", default=None, help=AS_HELP)
@pass_ctx
def user_import(ctx: Ctx, file: str, only: str | None, actor: str | None) -> None:
    """Register many users from a JSON list of {login, name, unit, roles, posts, leads}; logins
    already registered are skipped (never changed), so the file can be imported again after
    rows are added. Posts must be lanes of deployed powers: deploy first."""
    import json

    from engine.errors import ConfigError
    from engine.services import identity

    try:
        rows = json.loads(open(file, encoding="utf-8").read())  # noqa: SIM115
    except (OSError, ValueError) as err:
        raise ConfigError(f"{file}: not a JSON list of users ({err})") from None
    if not isinstance(rows, list):
        raise ConfigError(f"{file}: expected a JSON list of users")
    if only:
        wanted = {x.strip() for x in only.split(",") if x.strip()}
        rows = [r for r in rows if isinstance(r, dict) and r.get("login") in wanted]
    by = ctx.actor(actor) if actor else None
    existing = {u.login for u in identity.list_users(ctx.env)}
    added = 0
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ConfigError(f"{file}: entry {i} is not an object")
        if str(row.get("login", "")).strip() in existing:
            continue
        added += 1
        u = identity.add_user(ctx.env, by=by, login=str(row.get("login", "")),
                              name=str(row.get("name", "")), unit=str(row.get("unit", "")),
                              roles=row.get("roles", []), posts=row.get("posts", []),
                              leads=row.get("leads", []), now=ctx.now)
        if by is None:  # the first user was the administrator; they register the rest
            by = ctx.actor(u.login)
    click.echo(f"{added} user(s) registered from {file}"
               + (f", {len(rows) - added} already registered (unchanged)" if added < len(rows) else ""))


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def user_list(ctx: Ctx, as_json: bool) -> None:
    """List users (disabled ones too: their history stays theirs)."""
    from engine.services import identity

    rows = identity.list_users(ctx.env)
    if as_json:
        echo_json([{"login": u.login, "name": u.name, "unit": u.unit,
                    "roles": [r.value for r in u.roles], "posts": list(u.posts),
                    "leads": list(u.leads), "active": u.active} for u in rows])
        return
    table([(u.login, u.name, u.unit, u.role_labels, "、".join(u.posts), "、".join(u.leads),
            "在用" if u.active else "已停用") for u in rows],
          ["登录名", "姓名", "单位", "角色", "岗位", "负责岗位", "状态"])


@user.command("show")
@click.argument("login")
@pass_ctx
def user_show(ctx: Ctx, login: str) -> None:
    """One user: roles, posts, status, API keys."""
    from engine.services import identity

    u = identity.show_user(ctx.env, login)
    click.echo(f"{u.login}  {u.name}  {u.unit}  {'在用 active' if u.active else '已停用 disabled'}")
    click.echo(f"角色 roles: {u.role_labels}")
    click.echo(f"岗位 posts: {'、'.join(u.posts) or '无'}   负责 leads: {'、'.join(u.leads) or '无'}")
    click.echo(f"登记 registered: {local(u.created_at)} by {u.created_by}   "
               f"密码 password: {'已设置' if u.has_password else '未设置'}")
    if not u.active:
        click.echo(f"停用 disabled: {local(u.disabled_at)} by {u.disabled_by}：{u.disabled_reason}")
    for k in u.keys:
        state = f"已撤销 {local(k.revoked_at)}" if k.revoked_at else "在用"
        click.echo(f"API 密钥 key {k.prefix}  {k.name}  {state}  最近使用 {local(k.last_used_at) or '—'}")


@user.command("disable")
@click.argument("login")
@click.option("--reason", required=True, help="Why (recorded).")
@click.option("--as", "actor", required=True, help=AS_HELP)
@pass_ctx
def user_disable(ctx: Ctx, login: str, reason: str, actor: str) -> None:
    """Disable a user: they act no more; their records stay theirs."""
    from engine.services import identity

    identity.disable_user(ctx.env, login, by=ctx.actor(actor), reason=reason, now=ctx.now)
    click.echo(f"{login} 已停用 disabled")


def _grant_options(fn):  # type: ignore[no-untyped-def]
    for option in reversed((
        click.option("--role", "roles", multiple=True, help=ROLE_HELP),
        click.option("--post", "posts", multiple=True, help="A post (岗位)."),
        click.option("--lead", "leads", multiple=True, help="A post they lead."),
        click.option("--as", "actor", required=True, help=AS_HELP),
    )):
        fn = option(fn)
    return fn


@user.command("grant")
@click.argument("login")
@_grant_options
@pass_ctx
def user_grant(ctx: Ctx, login: str, roles: tuple[str, ...], posts: tuple[str, ...],
               leads: tuple[str, ...], actor: str) -> None:
    """Give a user roles, posts or post leadership."""
    from engine.services import identity

    u = identity.grant(ctx.env, login, by=ctx.actor(actor), roles=roles, posts=posts,
                       leads=leads, now=ctx.now)
    click.echo(f"{u.login}: {u.role_labels}; 岗位 {'、'.join(u.posts) or '无'}")


@user.command("revoke")
@click.argument("login")
@_grant_options
@pass_ctx
def user_revoke(ctx: Ctx, login: str, roles: tuple[str, ...], posts: tuple[str, ...],
                leads: tuple[str, ...], actor: str) -> None:
    """Take roles, posts or post leadership away from a user."""
    from engine.services import identity

    u = identity.revoke(ctx.env, login, by=ctx.actor(actor), roles=roles, posts=posts,
                        leads=leads, now=ctx.now)
    click.echo(f"{u.login}: {u.role_labels or '无角色'}; 岗位 {'、'.join(u.posts) or '无'}")


@user.command("password")
@click.argument("login")
@click.option("--as", "actor", required=True, help=AS_HELP)
@pass_ctx
def user_password(ctx: Ctx, login: str, actor: str) -> None:
    """Set a user's password (argon2id) for the web login; prompted, never on the command line."""
    from engine.services import identity

    identity.set_password(ctx.env, login, _password(True) or "", by=ctx.actor(actor),
                          now=ctx.now)
    click.echo(f"{login}: 密码已设置 password set")


@user.group("key")
def user_key() -> None:
    """API keys for other government systems."""


@user_key.command("create")
@click.argument("login")
@click.option("--name", required=True, help="Which system uses it (recorded).")
@click.option("--as", "actor", required=True, help=AS_HELP)
@pass_ctx
def user_key_create(ctx: Ctx, login: str, name: str, actor: str) -> None:
    """Make an API key acting as LOGIN; the key is printed once and never stored."""
    from engine.services import identity

    view, secret = identity.create_api_key(ctx.env, login, name, by=ctx.actor(actor),
                                           now=ctx.now)
    click.echo(secret)
    click.echo(f"API 密钥 {view.prefix}（{view.name}）已创建；以上密钥只显示这一次，请妥善交给对方系统 "
               f"(shown once)", err=True)


@user_key.command("revoke")
@click.argument("prefix")
@click.option("--as", "actor", required=True, help=AS_HELP)
@pass_ctx
def user_key_revoke(ctx: Ctx, prefix: str, actor: str) -> None:
    """Revoke an API key (by the prefix `user show` lists)."""
    from engine.services import identity

    identity.revoke_api_key(ctx.env, prefix, by=ctx.actor(actor), now=ctx.now)
    click.echo(f"API 密钥 {prefix} 已撤销 revoked")


@user.command("denials")
@click.option("--login", default=None, help="Only this user's attempts.")
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def user_denials(ctx: Ctx, login: str | None, limit: int, as_json: bool) -> None:
    """Refused attempts (权限不足), newest first: who tried what, where, when."""
    from engine.services import identity

    rows = identity.denials(ctx.env, login=login, limit=limit)
    if as_json:
        echo_json([{"at": d.at.isoformat(), "written_at": d.written_at.isoformat(),
                    "login": d.login, "action": d.action, "target": d.target,
                    "message": d.message} for d in rows])
        return
    table([(local(d.at), d.login, d.action, d.target, d.message) for d in rows],
          ["时间", "登录名", "操作", "对象", "原因"])


@user.command("rules")
def user_rules() -> None:
    """The permission table: who may do what (the same answers for the CLI and the web)."""
    from engine.identity import permission_table

    table(permission_table(), ["code", "操作 action", "谁可以 who may"])
