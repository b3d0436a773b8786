"""Shared CLI plumbing: the root group, --db/--now/--json, the Env, output helpers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from engine.errors import ConfigError

if TYPE_CHECKING:
    from engine.identity import Actor
    from engine.services.context import Env

# Imports here stay cheap: `sunshine --help` and every `VERB --help` load this module and the
# verb modules only. The database (SQLAlchemy), the engine services (SpiffWorkflow, lxml) and
# publishing (ReportLab) are imported inside the verbs that use them, and the composition root
# (adapters.bootstrap) only when a verb first asks for ``ctx.env``.
# tests/unit/test_cli_imports.py checks it.


AS_HELP = "Who acts: the login of an existing, active user (办理人登录名); their roles apply."


class Ctx:
    def __init__(self, db: str | None, now: str | None) -> None:
        self.db = db
        self.now_text = now
        self._env: Env | None = None
        self.check_schema = True

    @property
    def now(self) -> dt.datetime | None:
        if not self.now_text:
            return None
        return parse_now(self.now_text)

    @property
    def env(self) -> Env:
        if self._env is None:
            from adapters.bootstrap import FixedClock, build_env, schema_problem
            from adapters.config import load_settings
            from adapters.sql.pii import refuse_without_key

            settings = load_settings(db=self.db)
            refuse_without_key(settings.data_key, settings.mode)  # every verb, not only the web
            if self.now_text and settings.mode == "production":
                raise ConfigError(
                    "--now（时间穿越）只能在测试或演示安装中使用：设置 SUNSHINE_MODE=test 或 demo；"
                    "生产安装一律按系统时间办理，时限、牌和违诺才可信 (--now is refused in "
                    "production)")
            clock = FixedClock(self.now) if self.now else None
            self._env = build_env(settings, clock)
            if self.check_schema:
                problem = schema_problem(self._env.engine)
                if problem:
                    raise ConfigError(problem)
        return self._env


    def actor(self, login: str) -> Actor:
        """The user named by --as: an existing, active user, whose permissions then apply."""
        from engine.services.identity import resolve

        return resolve(self.env, login)


def parse_now(text: str) -> dt.datetime:
    """An ISO date or datetime; without a zone it is read in the installation's time zone
    (SUNSHINE_TIMEZONE, Asia/Shanghai by default: the window's time)."""
    from zoneinfo import ZoneInfo

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now {text!r} is not an ISO date or datetime, e.g. "
                          f"2026-03-02T09:30 or 2026-03-02T09:30+08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(local_zone()))
    return value.astimezone(dt.UTC)


pass_ctx = click.make_pass_decorator(Ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="SUNSHINE_DATABASE_URL", default=None,
              help="Database URL (default sqlite:///sunshine.db in the working directory).")
@click.option("--now", default=None, metavar="ISO",
              help="Act as if it were this time (time travel): only where SUNSHINE_MODE is test "
                   "or demo.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, now: str | None) -> None:
    """阳光审批 Sunshine: administrative approvals run in the open."""
    ctx.obj = Ctx(db, now)


def parse_data(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs, values kept as the text typed: the core types them as the step's
    fields declare (engine/formfields.py), so a phone keeps its leading zero. Any non-blank
    name is passed on, Chinese too; the core says whether the step has such a field."""
    data: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--data {pair!r} must be key=value")
        key, value = pair.split("=", 1)
        key = key.strip()
        if not key:
            raise ConfigError(f"--data {pair!r} has no name before “=”; write key=value")
        data[key] = value
    return data


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """A plain aligned table that reads well in a terminal with CJK characters."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    rows = [["" if v is None else str(v) for v in r] for r in rows]
    widths = [width(h) for h in headers]
    for r in rows:
        widths = [max(w, width(v)) for w, v in zip(widths, r, strict=False)]
    line = lambda cells: "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=False))  # noqa: E731
    click.echo(line(list(headers)).rstrip())
    for r in rows:
        click.echo(line(r).rstrip())
    if not rows:
        click.echo("（无 none）")


def local(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(local_zone())).strftime("%Y-%m-%d %H:%M")


def local_zone() -> str:
    """The time zone people read times in (the one the settings use)."""
    import os

    return os.environ.get("SUNSHINE_TIMEZONE", "Asia/Shanghai")
