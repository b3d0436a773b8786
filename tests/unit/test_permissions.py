"""The permission table (engine/identity.py), rule by rule, through the use cases: for each rule,
the person it is meant for may act, and the people it is meant to stop are refused with a named
rule (权限不足), nothing changes, and the attempt is recorded. The actors are written out here
(not taken from the test staff) so that each test shows exactly which roles and posts it gives.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.memory import FakeClock, MemoryDatabase, memory_env
from engine.errors import Forbidden, InvalidAction, NotFound
from engine.identity import RULES, Action, Actor, Role, decide
from engine.model import CardKind, CaseState
from engine.services import cases, handling, identity
from engine.services.calendar_admin import import_year
from engine.services.catalogue_admin import deploy, withdraw_power
from engine.services.context import Env
from engine.services.supervision import case_record, decide_breach
from engine.services.sweep import sweep
from tests.staff import person

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn"))
FOOD = "XK-SPJY-001"  # 食品经营许可: 受理 → 现场核查 → 审核 → 审批决定 → 制证发证
SCJG = "县市场监督管理局"


def actor(login: str, *roles: Role, posts: tuple[str, ...] = (), leads: tuple[str, ...] = (),
          unit: str = SCJG) -> Actor:
    return Actor(login=login, name=login, unit=unit, roles=frozenset(roles),
                 posts=frozenset(posts), leads=frozenset(leads))


CLERK = actor("chuangkou", Role.WINDOW, unit="县政务服务中心")
INSPECTOR = actor("hecha", Role.HANDLER, posts=("现场核查岗",))
INSPECTOR_2 = actor("hecha2", Role.HANDLER, posts=("现场核查岗",))
LEADER = actor("kezhang", Role.HANDLER, posts=("现场核查岗",), leads=("现场核查岗",))
ELSEWHERE = actor("zjj_hecha", Role.HANDLER, posts=("现场核查岗",), unit="县住房和城乡建设局")
APPROVER = actor("juzhang", Role.APPROVER, posts=("审批岗",))
HEAD = actor("fuzeren", Role.HEAD)
HEAD_WHO_HANDLES = actor("fuzeren2", Role.HEAD, Role.HANDLER, posts=("现场核查岗",))
SUPERVISOR = actor("jiancha", Role.SUPERVISOR, unit="县纪检监察组")
DESIGNER = actor("sheji", Role.DESIGNER, unit="县政务服务中心")
ADMIN = actor("admin", Role.ADMIN, unit="县政务服务中心")

COVERED: set[Action] = set()


def covers(*actions: Action) -> Callable:
    COVERED.update(actions)
    return lambda fn: fn


@pytest.fixture(scope="module")
def deployed() -> MemoryDatabase:
    e = memory_env(FakeClock("2026-03-02T08:00"))
    deploy(e, PROCESSES, actor=DESIGNER)
    assert isinstance(e.uow, MemoryDatabase)
    return e.uow


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock("2026-03-02T09:00")


@pytest.fixture
def env(clock: FakeClock, deployed: MemoryDatabase) -> Env:
    e = memory_env(clock)
    e.uow = deployed.clone()
    return e


def refused(env: Env, who: Actor, fn: Callable[[], object], *words: str) -> Forbidden:
    """``fn`` is refused as 权限不足 naming the rule; the attempt is on record."""
    before = len(identity.denials(env))
    with pytest.raises(Forbidden) as caught:
        fn()
    message = str(caught.value)
    assert message.startswith("权限不足："), message
    for word in words:
        assert word in message, message
    denials = identity.denials(env)
    assert len(denials) == before + 1
    assert denials[0].login == who.login and denials[0].message == message
    return caught.value


def received(env: Env) -> str:
    return cases.start_case(env, FOOD, person("张三"), actor=CLERK).number


def accepted(env: Env) -> str:
    number = received(env)
    cases.accept(env, number, actor=CLERK)
    return number


def step(env: Env, number: str, name: str) -> str:
    [s] = [s for s in cases.find_case(env, number).open_steps() if s.name == name]
    return s.id


def history(env: Env, number: str) -> list[str]:
    return [e["kind"] for e in case_record(env, number)["history"]]


# -- the table itself ------------------------------------------------------------------------

def test_every_action_has_exactly_one_rule_naming_who_may() -> None:
    assert set(RULES) == set(Action)
    assert all(rule.who and rule.label for rule in RULES.values())


def test_a_joint_power_s_posts_belong_to_each_of_its_units() -> None:
    joint = "县水利局（初审）/ 市水利局（决定）"
    county = actor("slj01", Role.HANDLER, posts=("县水利局初审岗",), unit="县水利局")
    assert county.holds("县水利局初审岗", joint)
    assert not actor("x", Role.HANDLER, posts=("县水利局初审岗",), unit="水利局").holds(
        "县水利局初审岗", joint)


def test_the_system_actor_may_do_nothing_through_the_table() -> None:
    from engine.identity import SYSTEM

    assert not any(decide(SYSTEM, action).allowed for action in Action)


# -- the window --------------------------------------------------------------------------------

@covers(Action.REGISTER)
def test_only_window_staff_register_an_application(env: Env) -> None:
    refused(env, INSPECTOR, lambda: cases.start_case(env, FOOD, person("张三"), actor=INSPECTOR),
            "收件登记", "窗口人员")
    assert received(env).startswith("2026-食品-")


@covers(Action.ACCEPT)
def test_only_window_staff_accept(env: Env) -> None:
    number = received(env)
    refused(env, INSPECTOR, lambda: cases.accept(env, number, actor=INSPECTOR), "受理")
    assert case_record(env, number)["state"] == "received"  # nothing changed
    assert cases.accept(env, number, actor=CLERK).state == CaseState.ACCEPTED


@covers(Action.REFUSE_ACCEPTANCE)
def test_only_window_staff_refuse_to_accept(env: Env) -> None:
    number = received(env)
    refused(env, APPROVER, lambda: cases.refuse_acceptance(
        env, number, actor=APPROVER, reason="不属于本机关职权"), "不予受理")
    assert cases.refuse_acceptance(env, number, actor=CLERK,
                                   reason="不属于本机关职权").state == CaseState.NOT_ACCEPTED


@covers(Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT_RECEIVED)
def test_only_window_staff_ask_for_and_receive_supplements(env: Env) -> None:
    number = received(env)
    refused(env, INSPECTOR, lambda: cases.request_supplement(
        env, number, actor=INSPECTOR, items=["健康证明"]), "一次性告知补正")
    cases.request_supplement(env, number, actor=CLERK, items=["健康证明"])
    refused(env, INSPECTOR, lambda: cases.supplement_received(env, number, actor=INSPECTOR),
            "补正材料接收")
    assert cases.supplement_received(env, number, actor=CLERK).state == CaseState.RECEIVED


@covers(Action.ACCEPT_WITH_GAPS, Action.GAPS_MADE_UP)
def test_only_window_staff_accept_with_gaps_and_record_the_make_up(env: Env) -> None:
    number = received(env)
    refused(env, INSPECTOR, lambda: handling.accept_with_gaps(
        env, number, actor=INSPECTOR, missing=["从业人员健康证明"], commitment_signed=True),
        "容缺受理")
    handling.accept_with_gaps(env, number, actor=CLERK, missing=["从业人员健康证明"],
                              commitment_signed=True)
    refused(env, INSPECTOR, lambda: handling.gaps_made_up(env, number, actor=INSPECTOR),
            "容缺材料接收")
    handling.gaps_made_up(env, number, actor=CLERK)
    assert case_record(env, number)["gaps"]["made_up_at"]


@covers(Action.WITHDRAW_CASE)
def test_only_window_staff_record_a_withdrawal(env: Env) -> None:
    number = accepted(env)
    refused(env, APPROVER, lambda: cases.withdraw(env, number, actor=APPROVER), "撤件")
    assert cases.withdraw(env, number, actor=CLERK).state == CaseState.WITHDRAWN


@covers(Action.HAND_OUT)
def test_only_window_staff_hand_out_a_result_once_with_who_signed(env: Env) -> None:
    number = received(env)
    cases.refuse_acceptance(env, number, actor=CLERK, reason="不属于本机关职权")
    refused(env, INSPECTOR, lambda: cases.hand_out(
        env, number, actor=INSPECTOR, method="窗口领取", received_by="张三"), "送达结果")
    with pytest.raises(InvalidAction, match="签收人"):
        cases.hand_out(env, number, actor=CLERK, method="窗口领取", received_by=" ")
    cases.hand_out(env, number, actor=CLERK, method="窗口领取", received_by="张三")
    handed = case_record(env, number)["handed_out"]
    assert (handed["method"], handed["received_by"], handed["by"]) == ("窗口领取", "张三", "chuangkou")
    with pytest.raises(InvalidAction, match="已于"):
        cases.hand_out(env, number, actor=CLERK, method="邮寄送达", received_by="张三")
    open_case = accepted(env)
    with pytest.raises(InvalidAction, match="尚未办结"):
        cases.hand_out(env, open_case, actor=CLERK, method="窗口领取", received_by="李四")


# -- steps: the post that holds them ------------------------------------------------------------

@covers(Action.CLAIM)
def test_a_step_is_claimed_only_by_a_holder_of_its_post_in_its_unit(env: Env) -> None:
    number = accepted(env)
    task = step(env, number, "现场核查")
    refused(env, CLERK, lambda: cases.claim(env, task, actor=CLERK), "认领环节")
    refused(env, ELSEWHERE, lambda: cases.claim(env, task, actor=ELSEWHERE),
            "县市场监督管理局", "现场核查岗")
    partial = actor("shi_hecha", Role.HANDLER, posts=("现场核查岗",), unit="市场监督管理局")
    refused(env, partial, lambda: cases.claim(env, task, actor=partial), "现场核查岗")  # whole names
    assert cases.claim(env, task, actor=INSPECTOR).assignee == "hecha"


@covers(Action.COMPLETE)
def test_a_clerk_cannot_approve_and_the_post_holder_can(env: Env, clock: FakeClock) -> None:
    number = accepted(env)
    clock.set("2026-03-03T10:00")
    refused(env, CLERK, lambda: cases.complete_task(
        env, step(env, number, "现场核查"), actor=CLERK, data={"opinion": "符合"}), "办理环节")
    cases.complete_task(env, step(env, number, "现场核查"), actor=INSPECTOR,
                        data={"opinion": "符合"})
    cases.complete_task(env, step(env, number, "审核"),
                        actor=actor("shenhe", Role.HANDLER, posts=("审核岗",)),
                        data={"opinion": "同意"})
    decision = step(env, number, "审批决定")
    refused(env, CLERK, lambda: cases.complete_task(
        env, decision, actor=CLERK, data={"decision": "approve"}), "审批岗")
    refused(env, INSPECTOR, lambda: cases.complete_task(
        env, decision, actor=INSPECTOR, data={"decision": "approve"}), "审批岗")
    assert [s for s in case_record(env, number)["steps"]
            if s["name"] == "审批决定"][0]["status"] == "ready"
    cases.complete_task(env, decision, actor=APPROVER, data={"decision": "approve"})
    assert [s["person"] for s in case_record(env, number)["steps"]
            if s["name"] == "审批决定"] == ["juzhang"]


@covers(Action.RELEASE)
def test_a_claimed_step_is_handed_back_only_by_its_claimant_or_the_post_leader(env: Env) -> None:
    number = accepted(env)
    task = step(env, number, "现场核查")
    cases.claim(env, task, actor=INSPECTOR)
    refused(env, INSPECTOR_2, lambda: cases.release(env, task, actor=INSPECTOR_2), "交回环节")
    assert cases.release(env, task, actor=LEADER, reason="请假").assignee is None
    with pytest.raises(InvalidAction, match="not claimed"):  # the state answers, not the table
        cases.release(env, task, actor=INSPECTOR_2)
    cases.claim(env, task, actor=INSPECTOR)
    assert cases.release(env, task, actor=INSPECTOR).assignee is None


@covers(Action.REASSIGN)
def test_only_the_post_leader_reassigns_and_only_to_a_holder_of_the_post(env: Env) -> None:
    number = accepted(env)
    task = step(env, number, "现场核查")
    cases.claim(env, task, actor=INSPECTOR)
    refused(env, INSPECTOR_2, lambda: cases.reassign(
        env, task, INSPECTOR_2, actor=INSPECTOR_2, reason="转办"), "岗位负责人")
    refused(env, LEADER, lambda: cases.reassign(
        env, task, ELSEWHERE, actor=LEADER, reason="转办"), "zjj_hecha", "不在")
    moved = cases.reassign(env, task, INSPECTOR_2, actor=LEADER, reason="原承办人请假")
    assert moved.assignee == "hecha2"
    [event] = [e for e in case_record(env, number)["history"] if e["kind"] == "step_reassigned"]
    assert (event["actor"], event["payload"]["held_by"], event["payload"]["to"],
            event["payload"]["reason"]) == ("kezhang", "hecha", "hecha2", "原承办人请假")


# -- time: extensions, special procedures, stops --------------------------------------------------

@covers(Action.REQUEST_EXTENSION)
def test_an_extension_is_asked_by_the_current_step_s_handler(env: Env) -> None:
    number = accepted(env)
    refused(env, CLERK, lambda: handling.request_extension(
        env, number, actor=CLERK, reason="情况复杂", days=5), "申请延期")
    refused(env, APPROVER, lambda: handling.request_extension(
        env, number, actor=APPROVER, reason="情况复杂", days=5), "当前环节的承办人")
    cases.claim(env, step(env, number, "现场核查"), actor=INSPECTOR)
    refused(env, INSPECTOR_2, lambda: handling.request_extension(  # claimed by someone else
        env, number, actor=INSPECTOR_2, reason="情况复杂", days=5), "申请延期")
    assert handling.request_extension(env, number, actor=INSPECTOR, reason="情况复杂",
                                      days=5).requested_by == "hecha"


@covers(Action.DECIDE_EXTENSION)
def test_a_handler_cannot_decide_his_own_extension_and_a_head_who_asked_cannot_either(
        env: Env) -> None:
    number = accepted(env)
    handling.request_extension(env, number, actor=HEAD_WHO_HANDLES, reason="需专家论证", days=5)
    refused(env, INSPECTOR, lambda: handling.decide_extension(
        env, number, approve=True, actor=INSPECTOR, reason="同意"), "本行政机关负责人")
    refused(env, HEAD_WHO_HANDLES, lambda: handling.decide_extension(
        env, number, approve=True, actor=HEAD_WHO_HANDLES, reason="同意"),
        "不能决定自己的申请")
    other_organ = actor("cgj_fuzeren", Role.HEAD, unit="县城市管理局")
    refused(env, other_organ, lambda: handling.decide_extension(
        env, number, approve=True, actor=other_organ, reason="同意"), "不是本案所属机关")
    ext = handling.decide_extension(env, number, approve=True, actor=HEAD, reason="同意")
    assert (ext.decision, ext.decided_by) == ("approved", "fuzeren")


@covers(Action.START_SPECIAL, Action.END_SPECIAL)
def test_a_special_procedure_needs_a_legal_ground_and_the_step_s_handler(env: Env) -> None:
    number = accepted(env)
    with pytest.raises(InvalidAction, match="第四十五条"):
        handling.start_special(env, number, actor=INSPECTOR, kind="领导出差", reason="等待",
                               expected_days=5)
    refused(env, CLERK, lambda: handling.start_special(
        env, number, actor=CLERK, kind="检测", reason="食品检测", expected_days=5), "特别程序")
    handling.start_special(env, number, actor=INSPECTOR, kind="检测", reason="食品检测",
                           expected_days=5)
    refused(env, CLERK, lambda: handling.end_special(env, number, actor=CLERK, result="合格"),
            "结束特别程序")
    assert handling.end_special(env, number, actor=INSPECTOR, result="合格").clock.value \
        == "running"


@covers(Action.STOP_FOR_SUPPLEMENT, Action.RESUME_CLOCK)
def test_a_supplement_stop_is_the_handler_s_and_so_is_restarting_the_clock(env: Env) -> None:
    number = accepted(env)
    refused(env, APPROVER, lambda: cases.suspend(
        env, number, actor=APPROVER, reason="申请人补正", kind="supplement"), "审查中补正")
    cases.suspend(env, number, actor=INSPECTOR, reason="申请人补正", kind="supplement")
    refused(env, APPROVER, lambda: cases.resume(env, number, actor=APPROVER), "恢复计时")
    assert cases.resume(env, number, actor=INSPECTOR).clock.value == "running"


@covers(Action.STOP_CLOCK)
def test_nobody_stops_the_clock_without_ground_and_a_supervisor_only_with_an_end_date(
        env: Env) -> None:
    number = accepted(env)
    for who in (INSPECTOR, HEAD, CLERK):
        refused(env, who, lambda who=who: cases.suspend(
            env, number, actor=who, reason="暂缓", until="2026-03-20"), "其他停止计时须由监察人员")
    refused(env, INSPECTOR, lambda: cases.suspend(  # who may, before what is missing
        env, number, actor=INSPECTOR, reason="暂缓"), "其他停止计时须由监察人员")
    with pytest.raises(InvalidAction, match="预计结束日期"):
        cases.suspend(env, number, actor=SUPERVISOR, reason="暂缓")
    assert case_record(env, number)["clock"] == "running"
    stopped = cases.suspend(env, number, actor=SUPERVISOR, reason="等待上级批复",
                            until="2026-03-09")
    assert stopped.clock.value == "suspended"


def test_a_manual_stop_that_overruns_its_end_date_is_warned_then_carded(
        env: Env, clock: FakeClock) -> None:
    number = accepted(env)
    cases.suspend(env, number, actor=SUPERVISOR, reason="等待上级批复", until="2026-03-09")
    # expected 5 working days (3–9 March); still stopped on 11 March
    clock.set("2026-03-11T09:00")
    sweep(env)
    record = case_record(env, number)
    assert record["clock"] == "suspended"  # the clock stays stopped …
    kinds = [c["kind"] for c in record["cards"]]
    assert "warning" in kinds and "yellow" in kinds  # … and supervision is not silenced
    [yellow] = [c for c in cases.find_case(env, number).cards if c.kind == CardKind.YELLOW]
    assert "stop1" in yellow.against or "中止" in yellow.note or "停止" in yellow.note


# -- supervision, catalogue, calendar, users ------------------------------------------------------

def _breach_against(env: Env, clock: FakeClock, who: Actor) -> tuple[str, int]:
    number = accepted(env)
    cases.claim(env, step(env, number, "现场核查"), actor=who)
    clock.set("2026-03-07T09:00")
    sweep(env)
    [breach] = [b for b in cases.find_case(env, number).breaches if b.kind.value == "overdue_step"]
    assert breach.person == who.login
    return number, breach.id or 0


@covers(Action.DECIDE_BREACH)
def test_only_a_supervisor_decides_a_breach_and_never_one_against_himself(
        env: Env, clock: FakeClock) -> None:
    checker = actor("jiancha_hecha", Role.SUPERVISOR, Role.HANDLER, posts=("现场核查岗",))
    number, breach_id = _breach_against(env, clock, checker)
    refused(env, HEAD, lambda: decide_breach(env, breach_id, measure="诫勉教育", reasons="超时",
                                             actor=HEAD), "监察人员")
    refused(env, checker, lambda: decide_breach(env, breach_id, measure="诫勉教育",
                                                reasons="超时", actor=checker), "本人")
    assert decide_breach(env, breach_id, measure="诫勉教育", reasons="超时",
                         actor=SUPERVISOR).decided_by == "jiancha"


@covers(Action.DEPLOY, Action.WITHDRAW_POWER)
def test_only_designers_deploy_and_withdraw_and_a_withdrawal_says_who_and_why(env: Env) -> None:
    refused(env, ADMIN, lambda: deploy(env, PROCESSES[:1], actor=ADMIN), "部署事项")
    refused(env, CLERK, lambda: withdraw_power(env, FOOD, actor=CLERK, reason="调整"), "撤回事项")
    withdraw_power(env, FOOD, actor=DESIGNER, reason="省级目录调整")
    with pytest.raises(NotFound):
        received(env)


@covers(Action.VIEW_SUPERVISION, Action.CHECK_DEFINITION, Action.PUBLISH, Action.SIGN_REPORT)
def test_supervision_design_and_publishing_pages_are_for_their_roles(env: Env) -> None:
    from engine.services import web_views

    refused(env, HEAD, lambda: web_views.supervision_page(env, HEAD), "查看电子监察", "监察人员")
    assert web_views.supervision_page(env, SUPERVISOR) is not None
    from engine.services.reports import sign_report

    refused(env, HEAD, lambda: sign_report(env, HEAD, "2026-02-01", "2026-02-28"),
            "签发监察报告", "监察人员")
    assert sign_report(env, SUPERVISOR, "2026-02-01", "2026-02-28").signed_by == "jiancha"
    refused(env, CLERK, lambda: web_views.designer_catalogue(env, CLERK), "流程设计人员")
    assert web_views.designer_catalogue(env, DESIGNER)
    publisher = actor("gongkai", Role.PUBLISHER, unit="县政务服务中心")
    refused(env, DESIGNER, lambda: web_views.publication(env, DESIGNER), "公开")
    assert web_views.publication(env, publisher)


@covers(Action.READ_CASE)
def test_a_case_file_is_read_by_the_window_supervisors_its_units_and_who_acted_on_it(
        env: Env) -> None:
    from engine.services.notices import receipt_document
    from engine.services.views import step_form

    number = accepted(env)
    inspection = step(env, number, "现场核查")
    for reader in (CLERK, SUPERVISOR, INSPECTOR, APPROVER, HEAD, None):  # None: the console
        assert case_record(env, number, reader=reader)["number"] == number
    seconded = actor("zjj_2", Role.HANDLER, posts=("审核岗@县市场监督管理局",),
                     unit="县住房和城乡建设局")
    assert case_record(env, number, reader=seconded)["number"] == number
    for outsider in (ELSEWHERE, DESIGNER, ADMIN):  # the food licence is not their unit's
        refused(env, outsider, lambda o=outsider: case_record(env, number, reader=o),
                "查阅案卷", "不在办理本案的单位")
        refused(env, outsider, lambda o=outsider: receipt_document(env, number, reader=o),
                "查阅案卷")
        refused(env, outsider, lambda o=outsider: step_form(env, number, inspection, reader=o),
                "查阅案卷")
    # whoever acted on the case keeps reading it after moving to another unit
    moved = actor("hecha", Role.HANDLER, unit="县住房和城乡建设局")
    cases.claim(env, inspection, actor=INSPECTOR)
    assert case_record(env, number, reader=moved)["number"] == number


@covers(Action.IMPORT_CALENDAR)
def test_only_an_administrator_imports_the_calendar(env: Env) -> None:
    schedule = env.calendar().schedule(2026)
    refused(env, DESIGNER, lambda: import_year(env, schedule, actor=DESIGNER), "节假日")
    assert import_year(env, schedule, actor=ADMIN).year == 2026


@covers(Action.MANAGE_USERS)
def test_the_first_user_is_an_administrator_who_then_registers_the_others(env: Env) -> None:
    with pytest.raises(InvalidAction, match="第一个用户须是系统管理员"):
        identity.add_user(env, by=None, login="wang", name="王芳", unit=SCJG, roles=["window"])
    identity.add_user(env, by=None, login="admin", name="管理员", unit="县政务服务中心",
                      roles=["admin"])
    refused(env, CLERK, lambda: identity.add_user(
        env, by=CLERK, login="li", name="李四", unit=SCJG, roles=["handler"]), "管理用户")
    added = identity.add_user(env, by=ADMIN, login="li", name="李四", unit=SCJG,
                              roles=["handler"], posts=["现场核查岗"])
    assert added.posts == ("现场核查岗",)
    assert identity.resolve(env, "li").holds("现场核查岗", SCJG)


def test_every_rule_has_a_test_here() -> None:
    assert COVERED == set(Action), sorted(set(Action) - COVERED)


# -- who acts ----------------------------------------------------------------------------------

def test_acting_needs_a_registered_active_user(env: Env) -> None:
    identity.add_user(env, by=None, login="admin", name="管理员", unit="县政务服务中心",
                      roles=["admin"])
    identity.add_user(env, by=ADMIN, login="wang", name="王芳", unit=SCJG, roles=["window"])
    with pytest.raises(NotFound, match="没有用户“nobody”"):
        identity.resolve(env, "nobody")
    with pytest.raises(InvalidAction, match="办理人"):
        identity.resolve(env, "  ")
    refused(env, actor("system"), lambda: identity.resolve(env, "system"), "系统保留")
    assert identity.resolve(env, "wang").roles == frozenset({Role.WINDOW})
    identity.disable_user(env, "wang", by=ADMIN, reason="调离")
    refused(env, actor("wang"), lambda: identity.resolve(env, "wang"), "已于", "停用")
    assert [u.active for u in identity.list_users(env) if u.login == "wang"] == [False]


def test_every_event_records_the_user_s_name_and_when_it_was_written(env: Env) -> None:
    number = accepted(env)
    [accepted_event] = [e for e in case_record(env, number)["history"]
                        if e["kind"] == "accepted"]
    assert accepted_event["actor"] == "chuangkou"
    assert accepted_event["payload"]["actor_name"] == "chuangkou"
    assert accepted_event["payload"]["written_at"]  # the wall clock (here the test's clock)


def test_a_production_installation_acts_at_the_present_and_refuses_any_other_time(
        env: Env, clock: FakeClock) -> None:
    import dataclasses
    from datetime import timedelta

    from engine.errors import ConfigError
    from engine.services import web_views

    production = dataclasses.replace(env, time_travel=False)
    # a page computes the present once and passes it to the reads it calls: that is no travel
    assert web_views.supervision_page(production, SUPERVISOR) is not None
    with pytest.raises(ConfigError, match="SUNSHINE_MODE"):
        cases.start_case(production, FOOD, person("张三"), actor=CLERK,
                         now=clock.now() - timedelta(days=3))
    assert received(production)  # at the present


@covers(Action.EXPORT_EXCHANGE)
def test_the_provincial_exchange_is_exported_by_a_supervisor_or_an_administrator(
        env: Env, clock: FakeClock) -> None:
    from datetime import timedelta

    from engine.services.exchange import export_exchange, list_exports

    number = received(env)
    clock.at += timedelta(hours=1)
    written: list[object] = []
    for who in (CLERK, HEAD, DESIGNER):
        refused(env, who, lambda who=who: export_exchange(env, who, since_last=True,
                                                          write=written.append),
                "导出省级数据交换", "监察人员或系统管理员")
    assert written == [] and list_exports(env, ADMIN) == []
    batch = export_exchange(env, SUPERVISOR, since_last=True, write=written.append)
    assert [(r.case_number, r.status_code) for r in batch.records] == [(number, 1)]
    assert export_exchange(env, ADMIN, since_last=True, write=written.append).records == ()
    assert [e.exported_by for e in list_exports(env, SUPERVISOR)] == ["admin", "jiancha"]


@covers(Action.RECORD_RATING, Action.REPLY_REVIEW)
def test_the_window_records_a_rating_and_only_the_rated_unit_s_staff_answer_a_bad_one(
        env: Env) -> None:
    from engine.services import feedback

    number = received(env)
    cases.refuse_acceptance(env, number, actor=CLERK, reason="不属于本机关职权")
    refused(env, INSPECTOR, lambda: feedback.record_rating(
        env, number, 1, channel="phone", actor=INSPECTOR), "代为登记好差评", "窗口人员")
    assert feedback.rating_of(env, number) is None  # nothing changed
    feedback.record_rating(env, number, 1, "理由没讲清", channel="phone", actor=CLERK)
    for outsider in (ELSEWHERE, CLERK):
        refused(env, outsider, lambda outsider=outsider: feedback.reply_review(
            env, number, "已整改", actor=outsider), "差评整改回复", f"不是{SCJG}的人员")
    row = feedback.rating_of(env, number)
    assert row is not None and row.rating.reply is None
    assert feedback.reply_review(env, number, "已电话说明", actor=INSPECTOR).replied_by == "hecha"


@covers(Action.RECORD_COMPLAINT, Action.DECIDE_COMPLAINT)
def test_a_complaint_is_recorded_by_the_window_or_a_supervisor_and_decided_by_another_supervisor(
        env: Env) -> None:
    from engine.services import complaints

    checker = actor("jiancha_hecha", Role.SUPERVISOR, Role.HANDLER, posts=("现场核查岗",))
    number = accepted(env)
    cases.claim(env, step(env, number, "现场核查"), actor=checker)

    def record(who: Actor) -> str:
        return complaints.record_complaint(
            env, case=number, step="现场核查", complainant="张三", contact="13800000000",
            channel="phone", facts="核查时态度恶劣", actor=who).number

    refused(env, INSPECTOR, lambda: record(INSPECTOR), "登记投诉", "窗口人员或监察人员")
    assert complaints.list_complaints(env, SUPERVISOR) == []
    by_clerk, by_supervisor = record(CLERK), record(SUPERVISOR)
    refused(env, HEAD, lambda: complaints.decide_complaint(
        env, by_clerk, upheld=True, measure="诫勉教育", findings="属实", actor=HEAD), "监察人员")
    refused(env, checker, lambda: complaints.decide_complaint(
        env, by_clerk, upheld=True, measure="诫勉教育", findings="属实", actor=checker), "本人")
    assert {c.complaint.status for c in complaints.list_complaints(env, SUPERVISOR)} == {"open"}
    upheld = complaints.decide_complaint(env, by_clerk, upheld=True, measure="诫勉教育",
                                         findings="属实", actor=SUPERVISOR)
    [breach] = cases.find_case(env, number).breaches
    assert (upheld.breach_id, breach.person, breach.ref) == (
        breach.id, "jiancha_hecha", f"complaint:{by_clerk}")
    assert complaints.decide_complaint(env, by_supervisor, upheld=False, findings="查无实据",
                                       actor=SUPERVISOR).status == "not_upheld"


# -- supervision matters: cards answered, 督办, 体外审批 ------------------------------------------

def _carded(env: Env, clock: FakeClock) -> tuple[str, int]:
    """A food case whose 现场核查 ran past its 4 days: a yellow card against 现场核查岗."""
    number = accepted(env)
    clock.set("2026-03-07T09:00")
    sweep(env)
    [card] = [c for c in cases.find_case(env, number).cards if c.kind == CardKind.YELLOW]
    return number, card.id or 0


@covers(Action.REPLY_CARD, Action.APPEAL_CARD)
def test_the_carded_unit_replies_and_its_head_or_the_post_leader_appeals(
        env: Env, clock: FakeClock) -> None:
    from engine.services import supervision_answers as answers

    number, card = _carded(env, clock)
    refused(env, ELSEWHERE, lambda: answers.reply_card(env, card, reason="忙", actor=ELSEWHERE),
            "回告", "被亮牌单位的人员")
    assert history(env, number)[-1] != "card_replied"
    assert answers.reply_card(env, card, reason="外出培训", actor=INSPECTOR).state == "replied"
    refused(env, INSPECTOR, lambda: answers.appeal_card(env, card, reason="x", actor=INSPECTOR),
            "申诉", "负责人")
    assert answers.appeal_card(env, card, reason="公务安排", actor=HEAD).state == "appealed"
    assert decide(LEADER, Action.APPEAL_CARD, unit=SCJG, post="现场核查岗").allowed


@covers(Action.DECIDE_CARD)
def test_only_a_supervisor_decides_a_card_and_never_one_on_his_own_post(
        env: Env, clock: FakeClock) -> None:
    from engine.services import supervision_answers as answers

    _, card = _carded(env, clock)
    answers.reply_card(env, card, reason="外出培训", actor=INSPECTOR)
    checker = actor("jiancha_hecha", Role.SUPERVISOR, Role.HANDLER, posts=("现场核查岗",))
    refused(env, HEAD, lambda: answers.decide_card(env, card, decision="withdraw", reasons="x",
                                                   actor=HEAD), "监察人员")
    refused(env, checker, lambda: answers.decide_card(env, card, decision="withdraw",
                                                      reasons="x", actor=checker), "本人")
    assert answers.decide_card(env, card, decision="withdraw", reasons="属实",
                               actor=SUPERVISOR).state == "withdrawn"


@covers(Action.ORDER_CASE, Action.REPLY_ORDER)
def test_a_supervisor_orders_and_the_unit_addressed_replies(env: Env) -> None:
    from engine.services import supervision_answers as answers

    number = accepted(env)
    refused(env, INSPECTOR, lambda: answers.order_case(env, number, by="2026-03-10", do="核查",
                                                       actor=INSPECTOR), "督办", "监察人员")
    assert "case_ordered" not in history(env, number)
    order = answers.order_case(env, number, by="2026-03-10", do="核查", actor=SUPERVISOR)
    refused(env, ELSEWHERE, lambda: answers.reply_order(env, number, order.no, text="已办",
                                                        actor=ELSEWHERE), "督办回复")
    assert answers.reply_order(env, number, order.no, text="已办", actor=INSPECTOR).answered


@covers(Action.RECORD_OFF_SYSTEM)
def test_only_a_supervisor_records_an_off_system_approval(env: Env) -> None:
    from engine.services.supervision import list_breaches, record_off_system

    identity.add_user(env, by=None, login="admin", name="管理员", unit="县政务服务中心",
                      roles=["admin"])
    identity.add_user(env, by=ADMIN, login="hecha", name="王核查", unit=SCJG, roles=["handler"],
                      posts=["现场核查岗"])
    record = lambda who: record_off_system(  # noqa: E731
        env, power_code=FOOD, person="hecha", applicant="某超市", decided_on="2026-03-01",
        facts="未经系统发证", actor=who)
    refused(env, HEAD, lambda: record(HEAD), "记录体外审批", "监察人员")
    assert list_breaches(env) == []
    assert record(SUPERVISOR).person == "hecha"


@covers(Action.ERASE_PERSONAL_DATA)
def test_personal_data_past_its_retention_is_erased_by_an_administrator_only(
        env: Env, clock: FakeClock) -> None:
    from datetime import timedelta

    from engine.services.retention import run_retention

    number = received(env)
    cases.refuse_acceptance(env, number, actor=CLERK, reason="不属于本机关职权")  # closed
    later = clock.now() + timedelta(days=5 * 366)
    for who in (CLERK, SUPERVISOR, DESIGNER):
        refused(env, who, lambda who=who: run_retention(env, who, apply=True, now=later),
                "删除保存期满的个人信息", "系统管理员")
    assert case_record(env, number)["applicant_certificate"] is not None  # nothing erased
    run = run_retention(env, ADMIN, apply=True, now=later)
    assert [e.number for e in run.erased] == [number]
    record = case_record(env, number)
    assert record["applicant_certificate"] is None and record["personal_data_erased_at"]
    assert record["history"][-1]["actor"] == "admin"
