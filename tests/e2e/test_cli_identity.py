"""Who may act, through the CLI as an operator types it: users and their roles on SQLite and
PostgreSQL, the refusals the permission table gives (exit 9, 权限不足 naming the rule, recorded),
--now only in test and demo installations, applicants by certificate, an idempotent start."""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import Sunshine, one_line_error
from tests.staff import CLERK, id_number

FOOD = "XK-SPJY-001"
FORBIDDEN = 9


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def denied(sun: Sunshine, *args: str, now: str | None = None) -> str:
    """The verb is refused as 权限不足 with exit 9, and the attempt is listed."""
    res = sun.fails(*args, now=now)
    line = one_line_error(res)
    assert res.code == FORBIDDEN, (res.code, line)
    assert line.startswith("错误 error: 权限不足："), line
    login = args[args.index("--as") + 1]
    [latest, *_] = sun.json("user", "denials")
    assert latest["login"] == login and latest["message"] in line
    return line


def at_decision(sun: Sunshine) -> str:
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    sun.complete(number, "现场核查", "赵核查", "opinion=符合", now="2026-03-03T10:00")
    sun.complete(number, "审核", "科长", "opinion=同意", now="2026-03-04T10:00")
    return number


def test_users_are_added_listed_granted_revoked_and_disabled(run_cli, db_url: str) -> None:
    sun = Sunshine(run_cli, db_url)
    sun.setup()
    res = sun.ok("user", "add", "wangfang", "--name", "王芳", "--unit", "县市场监督管理局",
                 "--role", "handler", "--post", "现场核查岗", "--as", "admin")
    assert "王芳" in res.out and "现场核查岗" in res.out
    users = {u["login"]: u for u in sun.json("user", "list")}
    assert users["wangfang"]["roles"] == ["handler"] and users["wangfang"]["active"]
    sun.ok("user", "grant", "wangfang", "--role", "approver", "--post", "审批岗",
           "--lead", "现场核查岗", "--as", "admin")
    shown = sun.ok("user", "show", "wangfang").out
    assert "承办、审批" in shown and "审批岗" in shown and "负责 leads: 现场核查岗" in shown
    sun.ok("user", "revoke", "wangfang", "--role", "approver", "--post", "审批岗", "--as", "admin")
    assert {u["login"]: u for u in sun.json("user", "list")}["wangfang"]["roles"] == ["handler"]
    # a post that is no lane of any deployed power is refused, naming it
    res = sun.fails("user", "grant", "wangfang", "--post", "不存在岗", "--as", "admin")
    assert "不存在岗" in one_line_error(res)
    # a login is never reused; a disabled user keeps their history and acts no more
    res = sun.fails("user", "add", "wangfang", "--name", "另一个王芳", "--unit", "县市场监督管理局",
                    "--role", "window", "--as", "admin")
    assert "已被使用" in one_line_error(res)
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    sun.complete(number, "现场核查", "wangfang", "opinion=符合", now="2026-03-03T10:00")
    sun.ok("user", "disable", "wangfang", "--reason", "调离", "--as", "admin")
    assert {u["login"]: u for u in sun.json("user", "list")}["wangfang"]["active"] is False
    task = sun.task(number, "审核")["id"]
    res = sun.fails("task", "claim", task, "--as", "wangfang")
    assert res.code == FORBIDDEN and "停用" in one_line_error(res)
    [inspection] = [s for s in sun.show(number)["steps"] if s["name"] == "现场核查"]
    assert (inspection["person"], inspection["person_name"]) == ("wangfang", "王芳")
    # only an administrator manages users
    denied(sun, "user", "add", "lisi", "--name", "李四", "--unit", "县市场监督管理局",
           "--role", "window", "--as", "李窗口")


def test_a_password_is_stored_as_an_argon2id_hash(run_cli, sqlite_url: str) -> None:
    import click.testing
    import sqlalchemy as sa

    from adapters.cli.common import cli

    sun = Sunshine(run_cli, sqlite_url)
    sun.setup()
    # the password is prompted (twice), never given on the command line
    result = click.testing.CliRunner().invoke(
        cli, ["--db", sqlite_url, "--now", sun.now, "user", "password", "李窗口", "--as", "admin"],
        input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM users WHERE login = '李窗口'")).scalar()
    engine.dispose()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_an_api_key_is_shown_once_kept_hashed_and_revocable(run_cli, sqlite_url: str) -> None:
    from adapters.bootstrap import FixedClock, build_env
    from adapters.cli.common import parse_now
    from adapters.config import Settings
    from engine.errors import Forbidden
    from engine.services import identity

    sun = Sunshine(run_cli, sqlite_url)
    sun.setup()
    res = sun.ok("user", "key", "create", "李窗口", "--name", "省一体化平台", "--as", "admin")
    secret = res.out.strip()
    assert secret.startswith("ssk_") and "只显示这一次" in res.err
    env = build_env(Settings(database_url=sqlite_url, mode="test"), FixedClock(parse_now(sun.now)))
    assert identity.actor_for_api_key(env, secret).login == "李窗口"
    with pytest.raises(Forbidden):
        identity.actor_for_api_key(env, secret[:-2] + "xx")
    prefix = secret.split("_")[1]
    assert prefix in sun.ok("user", "show", "李窗口").out
    sun.ok("user", "key", "revoke", prefix, "--as", "admin")
    with pytest.raises(Forbidden):
        identity.actor_for_api_key(env, secret)
    env.engine.dispose()


# -- the refusals the issue names ---------------------------------------------------------------

def test_a_window_clerk_cannot_approve(sun: Sunshine) -> None:
    number = at_decision(sun)
    task = sun.task(number, "审批决定")["id"]
    line = denied(sun, "task", "complete", task, "--as", "李窗口", "--data", "decision=approve",
                  now="2026-03-05T10:00")
    assert "办理环节" in line and "审批岗" in line
    assert sun.show(number)["state"] == "accepted"  # nothing changed
    sun.complete(number, "审批决定", "王局长", "decision=approve", now="2026-03-05T10:00")
    assert sun.show(number)["state"] == "accepted"  # approved; the certificate is next
    assert [t["name"] for t in sun.tasks(number)] == ["制证发证"]


def test_a_handler_cannot_decide_his_own_extension(sun: Sunshine) -> None:
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    sun.ok("case", "extend", number, "--as", "赵核查", "--days", "5", "--reason", "需专家论证")
    line = denied(sun, "case", "extend-decide", number, "--as", "赵核查", "--approve",
                  "--reason", "同意")
    assert "本行政机关负责人" in line
    out = sun.ok("case", "extend-decide", number, "--as", "局长", "--approve",
                 "--reason", "同意").out
    assert "approved" in out


def test_nobody_stops_a_clock_without_ground(sun: Sunshine) -> None:
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    line = denied(sun, "case", "suspend", number, "--as", "赵核查", "--reason", "暂缓",
                  "--until", "2026-03-20")
    assert "其他停止计时须由监察人员" in line
    res = sun.fails("case", "suspend", number, "--as", "监察员", "--reason", "暂缓")
    assert "预计结束日期" in one_line_error(res) and "--until" in one_line_error(res)
    res = sun.fails("case", "special", "start", number, "--as", "赵核查", "--type", "领导出差",
                    "--reason", "等", "--expected-days", "5")
    assert "第四十五条" in one_line_error(res)
    assert sun.show(number)["clock"] == "running"


def test_a_non_supervisor_cannot_decide_a_breach(sun: Sunshine) -> None:
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    sun.sweep("2026-03-07T09:00")  # 现场核查 is past its 4 working days
    [breach] = [b for b in sun.breaches() if b["kind"] == "overdue_step"]
    line = denied(sun, "breach", "decide", str(breach["id"]), "--measure", "诫勉教育",
                  "--reasons", "超时", "--as", "局长")
    assert "决定违诺处理" in line and "监察人员" in line
    sun.ok("breach", "decide", str(breach["id"]), "--measure", "诫勉教育", "--reasons", "超时",
           "--as", "纪检组长")


def test_acting_as_someone_who_is_not_registered_is_refused(sun: Sunshine) -> None:
    number = sun.start(FOOD, "张三")
    res = sun.fails("case", "accept", number, "--as", "张冒名")
    assert res.code == 4 and "没有用户“张冒名”" in one_line_error(res)
    res = sun.fails("case", "accept", number, "--as", "system")
    assert res.code == FORBIDDEN and "系统保留" in one_line_error(res)
    assert sun.show(number)["state"] == "received"


# -- time travel, applicants, idempotent start ---------------------------------------------------

def test_now_is_refused_in_a_production_installation(sun: Sunshine, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SUNSHINE_MODE", "production")
    res = sun.fails("timers", "run-once", now="2031-01-01T00:00")
    assert res.code == 2 and "SUNSHINE_MODE=test" in one_line_error(res)
    res = sun.fails("task", "list", now="2020-01-01T00:00")
    assert "时间穿越" in one_line_error(res)


def test_work_cannot_be_dated_before_its_step_existed(sun: Sunshine) -> None:
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    task = sun.task(number, "现场核查")["id"]
    res = sun.fails("task", "complete", task, "--as", "赵核查", "--data", "opinion=符合",
                    now="2020-01-01T09:00")
    assert "不能倒签" in one_line_error(res) or "不能补记" in one_line_error(res)
    assert [t["name"] for t in sun.tasks(number)] == ["现场核查"]


def test_an_applicant_needs_a_valid_certificate_number(sun: Sunshine) -> None:
    good = id_number("张伟")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    res = sun.fails("case", "start", FOOD, "--applicant", "张伟", "--id-number", bad,
                    "--as", CLERK)
    assert "校验码不符" in one_line_error(res)
    res = sun.fails("case", "start", FOOD, "--applicant", "某公司", "--id-type", "统一社会信用代码",
                    "--id-number", "91330102MA2XXXXXX1", "--as", CLERK)
    assert "统一社会信用代码" in one_line_error(res)
    assert sun.json("case", "list") == []


def test_a_retried_start_with_the_same_request_key_returns_the_same_case(sun: Sunshine) -> None:
    args = ("case", "start", FOOD, "--applicant", "张三", "--id-number", id_number("张三"),
            "--as", CLERK, "--request-key", "window-7-0001")
    first = sun.json(*args)
    again = sun.json(*args)
    assert again["number"] == first["number"] and again["existing"] and not first["existing"]
    assert len(sun.json("case", "list")) == 1
    res = sun.fails("case", "start", FOOD, "--applicant", "李四", "--id-number", id_number("李四"),
                    "--as", CLERK, "--request-key", "window-7-0001")
    assert "已用于另一申请" in one_line_error(res) and first["number"] in one_line_error(res)
    other = sun.json("case", "start", FOOD, "--applicant", "张三", "--id-number",
                     id_number("张三"), "--as", CLERK)
    assert other["number"] != first["number"] and other["request_key"]


def test_the_start_prints_its_request_key_before_the_case_is_made(sun: Sunshine) -> None:
    res = sun.ok("case", "start", FOOD, "--applicant", "张三", "--id-number", id_number("张三"),
                 "--as", CLERK)
    key = res.err.split("请求编号 request key: ")[1].split("（")[0]
    assert json.loads(sun.ok("case", "start", FOOD, "--applicant", "张三", "--id-number",
                             id_number("张三"), "--as", CLERK, "--request-key", key,
                             "--json").out)["number"] == res.out.strip()


def test_my_task_list_has_my_posts_steps_most_urgent_first(sun: Sunshine) -> None:
    late = sun.start(FOOD, "张三", now="2026-03-02T09:00")
    sun.accept(late, now="2026-03-02T09:10")
    fresh = sun.start(FOOD, "李四", now="2026-03-05T09:00")
    sun.accept(fresh, now="2026-03-05T09:10")
    hygiene = sun.start("XK-GGWS-001", "某宾馆", now="2026-03-05T09:20")  # another unit's steps
    sun.accept(hygiene, now="2026-03-05T09:30")
    mine = sun.json("task", "list", "--for", "赵核查", now="2026-03-06T10:00")
    assert [(t["case"], t["name"]) for t in mine] == [(late, "现场核查"), (fresh, "现场核查")]
    # 现场核查 has 4 working days from the day after acceptance: the first is due Fri 6 March
    # (its last day today), the second Wed 11 March (Fri 6, Mon 9, Tue 10, Wed 11 left)
    assert [(t["working_days_left"], t["mark"]) for t in mine] == [(1, "yellow"), (4, None)]
    on_monday = sun.json("task", "list", "--for", "赵核查", now="2026-03-09T10:00")
    assert [(t["working_days_left"], t["mark"]) for t in on_monday] == [(-1, "red"), (3, None)]
    # a step claimed by someone else of the post is theirs, not mine
    sun.ok("task", "claim", mine[1]["id"], "--as", "钱核查", now="2026-03-06T10:05")
    assert [t["case"] for t in sun.json("task", "list", "--for", "赵核查",
                                        now="2026-03-06T10:10")] == [late]
    assert [t["case"] for t in sun.json("task", "list", "--for", "钱核查",
                                        now="2026-03-06T10:10")] == [late, fresh]
