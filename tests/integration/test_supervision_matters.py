"""Supervision matters on SQLite and PostgreSQL, by time travel: a food licence (受理 → 现场核查 4
→ 审核 2 → 审批决定 1 working days) left alone until the sweep cards it; the unit replies (回告),
appeals (申诉), a supervisor withdraws the card (撤销) and the statistics stop counting it;
another card is returned (退回) and replied to again; two supervision orders (督办), one
answered in time and one carded by the sweep; each breach naming its person and how (the
claimant, the post's sole holder, the post's leader, nobody); an off-system approval (体外审批)
recorded, listed, decided and counted; two findings of one kind on one step kept apart by
their refs. Each bad path gives its specific error and changes nothing.

Staff registered here (the person a breach names comes from the registry): 现场核查岗 has one
holder (hecha); 审核岗 two holders and a leader (kezhang); nobody holds 审批岗.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.errors import Forbidden, InvalidAction, NotFound
from engine.identity import Actor, Role
from engine.model import BreachKind
from engine.services import cases, identity
from engine.services import supervision_answers as answers
from engine.services.cases import in_case
from engine.services.context import Env
from engine.services.stats import statistics
from engine.services.supervision import (
    case_record,
    decide_breach,
    list_breaches,
    record_off_system,
)
from engine.services.sweep import sweep
from tests.staff import person

FOOD = "XK-SPJY-001"
SCJG = "县市场监督管理局"
CENTRE = "县政务服务中心"
STAFF = {  # login → (unit, roles, posts, leads)
    "admin": (CENTRE, ["admin"], [], []),
    "chuangkou": (CENTRE, ["window"], [], []),
    "hecha": (SCJG, ["handler"], ["现场核查岗"], []),
    "shenhe": (SCJG, ["handler"], ["审核岗"], []),
    "shenhe2": (SCJG, ["handler"], ["审核岗"], []),
    "kezhang": (SCJG, ["handler"], ["审核岗"], ["审核岗"]),
    "juzhang": (SCJG, ["head"], [], []),
    "jiancha": (CENTRE, ["supervisor"], [], []),
    "zhujian": ("县住房和城乡建设局", ["handler"], ["市政设施审查岗"], []),
}
# who decides (审批岗): acts, but is not in the registry, so nobody answers for the post
APPROVER = Actor(login="wailai", name="外来审批", unit=SCJG, roles=frozenset({Role.APPROVER}),
                 posts=frozenset({"审批岗"}))


def at(text: str) -> dt.datetime:
    from adapters.cli.common import parse_now

    return parse_now(text)


@pytest.fixture
def county(env: Env) -> Env:
    admin = None
    for login, (unit, roles, posts, leads) in STAFF.items():
        identity.add_user(env, by=admin, login=login, name=login, unit=unit, roles=roles,
                          posts=posts, leads=leads)
        admin = admin or identity.resolve(env, "admin")
    return env


def who(env: Env, login: str) -> Actor:
    return identity.resolve(env, login)


def accepted(env: Env, when: str = "2026-03-02T09:00") -> str:
    clerk = who(env, "chuangkou")
    number = cases.start_case(env, FOOD, person("张三"), actor=clerk, now=at(when)).number
    cases.accept(env, number, actor=clerk, now=at(when))
    return number


def step_id(env: Env, number: str, name: str) -> str:
    return next(s.id for s in cases.find_case(env, number).open_steps() if s.name == name)


def complete(env: Env, number: str, name: str, actor: Actor, when: str, **data: str) -> None:
    cases.complete_task(env, step_id(env, number, name), actor=actor,
                        data={"opinion": "同意", **data}, now=at(when))


def card_on(env: Env, number: str, kind: str, step: str | None = None) -> Any:
    record = case_record(env, number)
    steps = {s["id"]: s["name"] for s in record["steps"]}
    return next(c for c in record["cards"] if c["kind"] == kind
                and (step is None or steps.get(c["task_id"]) == step))


def trail(env: Env, number: str) -> list[str]:
    return [e["kind"] for e in case_record(env, number)["history"] if e["kind"] != "supervised"]


def refused(fn: Any, error: type[Exception], *words: str) -> Exception:
    with pytest.raises(error) as caught:
        fn()
    for word in words:
        assert word in str(caught.value), str(caught.value)
    return caught.value


def yellow_count(env: Env) -> int:
    table = statistics(env, who(env, "jiancha"), "2026-03-01", "2026-03-31", "unit",
                       now=at("2026-03-31T12:00"))
    return table.total.n("yellow")


# -- cards: reply, appeal, withdraw, return ------------------------------------------------------

def test_a_card_is_replied_appealed_and_withdrawn_and_no_longer_counted(county: Env) -> None:
    env = county
    number = accepted(env)
    assert sweep(env, now=at("2026-03-07T00:00:01")).fired
    card = card_on(env, number, "yellow", "现场核查")
    cid = card["id"]
    assert card["state"] == "issued" and card["post"] == "现场核查岗"
    assert yellow_count(env) == 1
    hecha, head, jiancha = who(env, "hecha"), who(env, "juzhang"), who(env, "jiancha")
    before = trail(env, number)
    # bad paths first: each refused with its reason, nothing written
    refused(lambda: answers.appeal_card(env, cid, reason="不应亮牌", actor=head,
                                        now=at("2026-03-09T09:00")), InvalidAction, "请先回告")
    refused(lambda: answers.decide_card(env, cid, decision="withdraw", reasons="x",
                                        actor=jiancha, now=at("2026-03-09T09:00")),
            InvalidAction, "还没有回告")
    refused(lambda: answers.reply_card(env, cid, reason="  ", actor=hecha,
                                       now=at("2026-03-09T09:00")), InvalidAction, "不能为空")
    refused(lambda: answers.reply_card(env, cid, reason="我们很忙", actor=who(env, "zhujian"),
                                       now=at("2026-03-09T09:00")), Forbidden, "回告", SCJG)
    refused(lambda: answers.reply_card(env, 99_999, reason="x", actor=hecha,
                                       now=at("2026-03-09T09:00")), NotFound, "99999")
    assert trail(env, number) == before
    # the unit replies, its head appeals, the supervisor withdraws the card
    view = answers.reply_card(env, cid, reason="核查人员外出参加培训，已补办", actor=hecha,
                              now=at("2026-03-09T09:00"))
    assert view.state == "replied" and view.unit == SCJG
    refused(lambda: answers.reply_card(env, cid, reason="再说一次", actor=hecha,
                                       now=at("2026-03-09T09:30")), InvalidAction, "已由 hecha")
    refused(lambda: answers.appeal_card(env, cid, reason="培训经批准", actor=hecha,
                                        now=at("2026-03-09T10:00")), Forbidden, "申诉")
    view = answers.appeal_card(env, cid, reason="培训经局党组批准，属不可抗的公务安排",
                               actor=head, now=at("2026-03-09T10:00"))
    assert view.state == "appealed"
    refused(lambda: answers.appeal_card(env, cid, reason="again", actor=head,
                                        now=at("2026-03-09T10:30")), InvalidAction, "已由 juzhang")
    refused(lambda: answers.decide_card(env, cid, decision="withdraw", reasons="属实",
                                        actor=head, now=at("2026-03-10T09:00")),
            Forbidden, "监察人员")
    refused(lambda: answers.decide_card(env, cid, decision="forgive", reasons="属实",
                                        actor=jiancha, now=at("2026-03-10T09:00")),
            InvalidAction, "维持")
    refused(lambda: answers.decide_card(env, cid, decision="withdraw", reasons=" ",
                                        actor=jiancha, now=at("2026-03-10T09:00")),
            InvalidAction, "不能为空")
    view = answers.decide_card(env, cid, decision="withdraw", reasons="经核实培训为上级统一安排",
                               actor=jiancha, now=at("2026-03-10T09:00"))
    assert view.state == "withdrawn"
    stored = card_on(env, number, "yellow", "现场核查")
    assert stored["decision"] == "withdrawn" and stored["decided_by"] == "jiancha"
    assert stored["reply"].startswith("核查人员") and stored["appealed_by"] == "juzhang"
    assert trail(env, number)[-3:] == ["card_replied", "card_appealed", "card_decided"]
    # final: no more replies or decisions; the statistics no longer count it
    refused(lambda: answers.decide_card(env, cid, decision="uphold", reasons="改主意",
                                        actor=jiancha, now=at("2026-03-10T10:00")),
            InvalidAction, "撤销")
    refused(lambda: answers.reply_card(env, cid, reason="x", actor=hecha,
                                       now=at("2026-03-10T10:00")), InvalidAction, "撤销")
    assert yellow_count(env) == 0
    # a warning is not answered
    warning = card_on(env, number, "warning", "现场核查")
    refused(lambda: answers.reply_card(env, warning["id"], reason="x", actor=hecha,
                                       now=at("2026-03-10T10:00")), InvalidAction, "预警")


def test_a_returned_card_is_replied_again_then_upheld(county: Env) -> None:
    env = county
    number = accepted(env)
    sweep(env, now=at("2026-03-07T00:00:01"))
    cid = card_on(env, number, "yellow", "现场核查")["id"]
    hecha, jiancha = who(env, "hecha"), who(env, "jiancha")
    answers.reply_card(env, cid, reason="忙", actor=hecha, now=at("2026-03-09T09:00"))
    view = answers.decide_card(env, cid, decision="return", reasons="回告过于简单，请说明原因和整改措施",
                               actor=jiancha, now=at("2026-03-09T10:00"))
    assert view.state == "returned"
    refused(lambda: answers.decide_card(env, cid, decision="uphold", reasons="x", actor=jiancha,
                                        now=at("2026-03-09T11:00")), InvalidAction, "重新回告")
    refused(lambda: answers.appeal_card(env, cid, reason="x", actor=who(env, "juzhang"),
                                        now=at("2026-03-09T11:00")), InvalidAction, "请先回告")
    view = answers.reply_card(env, cid, reason="核查人员病假两天未安排替岗；已建立 AB 岗", actor=hecha,
                              now=at("2026-03-09T14:00"))
    assert view.state == "replied" and view.card.decision is None
    view = answers.decide_card(env, cid, decision="uphold", reasons="未安排替岗，维持黄牌",
                               actor=jiancha, now=at("2026-03-10T09:00"))
    assert view.state == "upheld"
    history = case_record(env, number)["history"]
    replies = [e["payload"] for e in history if e["kind"] == "card_replied"]
    assert [r["again"] for r in replies] == [False, True]
    assert [e["payload"]["decision"] for e in history if e["kind"] == "card_decided"] == [
        "returned", "upheld"]
    assert yellow_count(env) == 1  # upheld: still counted


# -- 督办 ---------------------------------------------------------------------------------------

def test_an_unanswered_order_is_carded_by_the_sweep_and_an_answered_one_is_not(
        county: Env) -> None:
    env = county
    number = accepted(env)
    jiancha, hecha = who(env, "jiancha"), who(env, "hecha")
    first = answers.order_case(env, number, by="2026-03-04", do="3 月 4 日前完成现场核查并回复",
                               actor=jiancha, now=at("2026-03-03T09:00"))
    second = answers.order_case(env, number, by="2026-03-05", do="说明核查安排", actor=jiancha,
                                now=at("2026-03-03T09:05"))
    assert (first.no, second.no) == (1, 2) and first.unit == SCJG
    # bad paths
    before = trail(env, number)
    refused(lambda: answers.order_case(env, number, by="2026-03-02", do="x", actor=jiancha,
                                       now=at("2026-03-03T09:10")), InvalidAction, "已经过去")
    refused(lambda: answers.order_case(env, number, by="3月5日", do="x", actor=jiancha,
                                       now=at("2026-03-03T09:10")), InvalidAction, "YYYY-MM-DD")
    refused(lambda: answers.order_case(env, number, by="2026-03-05", do=" ", actor=jiancha,
                                       now=at("2026-03-03T09:10")), InvalidAction, "不能为空")
    refused(lambda: answers.order_case(env, number, by="2026-03-05", do="x", actor=hecha,
                                       now=at("2026-03-03T09:10")), Forbidden, "督办")
    refused(lambda: answers.order_case(env, "2026-食品-999999", by="2026-03-05", do="x",
                                       actor=jiancha, now=at("2026-03-03T09:10")), NotFound)
    refused(lambda: answers.reply_order(env, number, 2, text="已安排", actor=who(env, "zhujian"),
                                        now=at("2026-03-04T09:00")), Forbidden, "督办回复")
    refused(lambda: answers.reply_order(env, number, 7, text="已安排", actor=hecha,
                                        now=at("2026-03-04T09:00")), NotFound, "第 7 号督办")
    refused(lambda: answers.reply_order(env, number, 2, text="", actor=hecha,
                                        now=at("2026-03-04T09:00")), InvalidAction, "不能为空")
    assert trail(env, number) == before
    # the second is answered in time, the first is not
    replied = answers.reply_order(env, number, 2, text="已安排 3 月 5 日上午核查", actor=hecha,
                                  now=at("2026-03-04T09:00"))
    assert replied.answered and replied.replied_by == "hecha"
    refused(lambda: answers.reply_order(env, number, 2, text="again", actor=hecha,
                                        now=at("2026-03-04T09:30")), InvalidAction, "不能再次回复")
    states = {v.order.no: v.state for v in answers.list_orders(env, now=at("2026-03-04T23:00"))}
    assert states == {1: "open", 2: "answered"}
    sweep(env, now=at("2026-03-06T09:00"))
    cards = [c for c in case_record(env, number)["cards"] if c["against"].startswith("order")]
    assert [(c["kind"], c["against"]) for c in cards] == [("yellow", "order1")]
    assert cards[0]["issued_at"].startswith("2026-03-05T00:00")  # at the end of its day
    listed = answers.list_orders(env, now=at("2026-03-06T09:00"))
    assert [(v.order.no, v.state) for v in listed] == [(1, "overdue"), (2, "answered")]
    assert listed[0].order.carded_at is not None
    # the order's card is the unit's to answer like any other
    view = answers.reply_card(env, cards[0]["id"], reason="核查已于 3 月 5 日完成", actor=hecha,
                              now=at("2026-03-06T10:00"))
    assert view.unit == SCJG and view.state == "replied"
    late = answers.reply_order(env, number, 1, text="已完成核查", actor=hecha,
                               now=at("2026-03-06T10:05"))
    assert late.answered_late


def test_an_order_on_a_closed_case_is_refused(county: Env) -> None:
    env = county
    number = accepted(env)
    clerk = who(env, "chuangkou")
    cases.withdraw(env, number, actor=clerk, reason="申请人撤回", now=at("2026-03-03T09:00"))
    refused(lambda: answers.order_case(env, number, by="2026-03-10", do="x",
                                       actor=who(env, "jiancha"), now=at("2026-03-03T10:00")),
            InvalidAction, "不能再督办")


# -- the person a breach names ------------------------------------------------------------------

def test_each_breach_names_its_person_and_says_how(county: Env) -> None:
    env = county
    number = accepted(env)
    claimed = accepted(env)
    cases.claim(env, step_id(env, claimed, "现场核查"), actor=who(env, "hecha"),
                now=at("2026-03-02T10:00"))
    sweep(env, now=at("2026-03-07T00:00:01"))  # 现场核查 past its 4 days, in both cases
    complete(env, number, "现场核查", who(env, "hecha"), "2026-03-09T09:00")
    sweep(env, now=at("2026-03-12T00:00:01"))  # 审核 past its 2 days
    complete(env, number, "审核", who(env, "shenhe"), "2026-03-12T09:00")
    sweep(env, now=at("2026-03-14T00:00:01"))  # 审批决定 past its day

    def basis(num: str) -> dict[str, tuple[Any, Any]]:
        return {b["step_name"]: (b["person"], b["person_basis"])
                for b in case_record(env, num)["breaches"] if b["kind"] == "overdue_step"}

    assert basis(number) == {"现场核查": ("hecha", "sole_holder"),
                             "审核": ("kezhang", "leader"),
                             "审批决定": (None, "none")}
    assert basis(claimed)["现场核查"] == ("hecha", "claimant")
    history = case_record(env, number)["history"]
    named = [e["payload"] for e in history if e["kind"] == "breach_person_named"]
    assert [(p["step"], p["basis"]) for p in named] == [
        ("现场核查", "sole_holder"), ("审核", "leader"), ("审批决定", "none")]
    listed = {b.step_name: b.person_basis for b in list_breaches(env) if b.case_number == number}
    assert listed["审核"] == "leader"


def test_a_disabled_holder_is_not_named(county: Env) -> None:
    env = county
    identity.disable_user(env, "hecha", by=who(env, "admin"), reason="调离")
    number = accepted(env)
    sweep(env, now=at("2026-03-07T00:00:01"))
    [b] = [b for b in case_record(env, number)["breaches"] if b["kind"] == "overdue_step"]
    assert (b["person"], b["person_basis"]) == (None, "none")


# -- findings: several of one kind on one step ---------------------------------------------------

def test_two_findings_with_different_refs_on_one_step_are_both_kept(county: Env) -> None:
    env = county
    number = accepted(env)
    inspection = step_id(env, number, "现场核查")
    jiancha = who(env, "jiancha")

    def find(ref: str, when: str) -> Any:
        return in_case(env, number, at(when), lambda case, now: case.finding(
            BreachKind.COMPLAINT_UPHELD, f"投诉 {ref} 属实：核查时索要材料", now=now,
            recorded_by="jiancha", step=inspection, ref=ref), actor=jiancha)

    one = find("complaint:TS2026-00001", "2026-03-03T09:00")
    two = find("complaint:TS2026-00002", "2026-03-03T10:00")
    again = find("complaint:TS2026-00001", "2026-03-03T11:00")  # a retry records nothing
    assert one.id and two.id and one.id != two.id and again.id == one.id
    kept = [b for b in case_record(env, number)["breaches"] if b["kind"] == "complaint_upheld"]
    assert sorted(b["ref"] for b in kept) == ["complaint:TS2026-00001", "complaint:TS2026-00002"]
    assert {b["person"] for b in kept} == {"hecha"}  # the step's sole holder
    assert {b["recorded_by"] for b in kept} == {"jiancha"}


# -- 体外审批 ------------------------------------------------------------------------------------

def test_an_off_system_approval_is_recorded_listed_decided_and_counted(county: Env) -> None:
    env = county
    jiancha = who(env, "jiancha")
    record = lambda **kw: record_off_system(env, **{  # noqa: E731
        "power_code": FOOD, "person": "hecha", "applicant": "某某超市", "decided_on": "2026-03-05",
        "facts": "群众举报：未经系统直接发放食品经营许可证", "actor": jiancha,
        "now": at("2026-03-10T09:00"), **kw})
    refused(lambda: record(actor=who(env, "hecha")), Forbidden, "记录体外审批")
    refused(lambda: record(person="nobody"), NotFound, "nobody")
    refused(lambda: record(power_code="XK-NONE-999"), NotFound, "XK-NONE-999")
    refused(lambda: record(decided_on="2026-03-11"), InvalidAction, "在将来")
    refused(lambda: record(facts=" "), InvalidAction, "事实不能为空")
    refused(lambda: record(applicant=""), InvalidAction, "申请人")
    assert list_breaches(env) == []
    breach = record()
    assert breach.id and breach.case_id is None and breach.kind == BreachKind.OFF_SYSTEM
    assert (breach.person, breach.person_basis, breach.unit) == ("hecha", "named", SCJG)
    assert breach.ref == "offsystem:2026-0001" and "某某超市" in breach.facts
    assert "2026-03-05" in breach.facts and breach.recorded_by == "jiancha"
    [listed] = list_breaches(env, decided=False)
    assert listed.id == breach.id
    table = statistics(env, jiancha, "2026-03-01", "2026-03-31", "unit",
                       now=at("2026-03-31T12:00"))
    [row] = [r for r in table.rows if r.key == SCJG]
    assert row.breaches_by_kind["off_system"].count == 1
    assert row.breaches_by_kind["off_system"].cases == ["offsystem:2026-0001"]
    assert table.total.breaches_by_measure["pending"].count == 1
    by_person = statistics(env, jiancha, "2026-03-01", "2026-03-31", "person",
                           now=at("2026-03-31T12:00"))
    assert next(r for r in by_person.rows if r.key == "hecha").breaches == 1
    refused(lambda: decide_breach(env, breach.id or 0, measure="诫勉教育", reasons="体外审批",
                                  actor=who(env, "juzhang"), now=at("2026-03-11T09:00")),
            Forbidden, "监察人员")
    decided = decide_breach(env, breach.id or 0, measure="效能告诫", reasons="体外审批属实",
                            actor=jiancha, now=at("2026-03-11T09:00"))
    assert decided.measure and decided.measure.value == "效能告诫"
    assert decided.decided_by == "jiancha"
    refused(lambda: decide_breach(env, breach.id or 0, measure="辞退", reasons="加重",
                                  actor=jiancha, now=at("2026-03-12T09:00")),
            InvalidAction, "不能更改")
    table = statistics(env, jiancha, "2026-03-01", "2026-03-31", "unit",
                       now=at("2026-03-31T12:00"))
    assert table.total.breaches_by_measure["效能告诫"].count == 1
    assert "pending" not in table.total.breaches_by_measure
    second = record(now=at("2026-03-12T09:00"))
    assert second.ref == "offsystem:2026-0002"


# -- the CLI -----------------------------------------------------------------------------------

def test_the_cli_replies_appeals_decides_orders_and_records_off_system(
        county: Env, run_cli: Any) -> None:
    import json

    env = county
    url = env.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]

    def cli(*args: str, now: str = "2026-03-09T09:00") -> Any:
        return run_cli("--db", url, "--now", now, *args)

    number = accepted(env)
    sweep(env, now=at("2026-03-07T00:00:01"))
    listed = cli("card", "list", "--kind", "yellow", "--json")
    assert listed.code == 0, listed.err
    [card] = json.loads(listed.out)
    assert (card["state"], card["unit"], card["case"]) == ("issued", SCJG, number)
    cid = str(card["id"])
    assert cli("card", "appeal", cid, "--reason", "x", "--as", "juzhang").code == 5
    r = cli("card", "reply", cid, "--reason", "外出培训", "--as", "zhujian")
    assert r.code == 9 and "权限不足" in r.err
    assert cli("card", "reply", cid, "--reason", "外出培训", "--as", "hecha").code == 0
    assert cli("card", "appeal", cid, "--reason", "公务安排", "--as", "juzhang").code == 0
    r = cli("card", "decide", cid, "--reasons", "x", "--as", "jiancha")
    assert r.code == 2 and "--uphold" in r.err
    r = cli("card", "decide", cid, "--withdraw", "--reasons", "属实", "--as", "jiancha")
    assert r.code == 0 and "已撤销" in r.out
    text = cli("card", "list")
    assert "已撤销" in text.out and "预警，无需回告" in text.out
    assert cli("cards", "list", "--open", "--json").out.strip() == "[]"
    # 督办
    r = cli("supervise", "order", number, "--by", "2026-03-01", "--do", "x", "--as", "jiancha")
    assert r.code == 5 and "已经过去" in r.err
    r = cli("supervise", "order", number, "--by", "2026-03-10", "--do", "完成核查", "--as",
            "jiancha")
    assert r.code == 0 and "#1" in r.out
    assert cli("supervise", "reply", number, "1", "--text", "x", "--as", "chuangkou").code == 9
    assert cli("supervise", "reply", number, "9", "--text", "x", "--as", "hecha").code == 4
    orders = json.loads(cli("supervise", "orders", "--json", now="2026-03-11T09:00").out)
    assert [(o["no"], o["state"]) for o in orders] == [(1, "overdue")]
    assert cli("supervise", "reply", number, "1", "--text", "已核查", "--as", "hecha",
               now="2026-03-10T15:00").code == 0
    text = cli("supervise", "orders", now="2026-03-11T09:00")
    assert "已回复" in text.out and "完成核查" in text.out
    # 体外审批, listed with how its person was named, decided
    r = cli("supervise", "off-system", "--power", FOOD, "--person", "hecha", "--applicant",
            "某超市", "--decided-on", "2026-03-05", "--facts", "未经系统发证", "--as", "jiancha")
    assert r.code == 0 and "offsystem:2026-0001" in r.out, r.err
    breaches = json.loads(cli("breach", "list", "--json").out)
    off = next(b for b in breaches if b["kind"] == "off_system")
    assert (off["case"], off["person_basis"], off["ref"]) == (None, "named", "offsystem:2026-0001")
    step = next(b for b in breaches if b["kind"] == "overdue_step")
    assert (step["person"], step["person_basis"]) == ("hecha", "sole_holder")
    assert "hecha（岗位唯一在岗人员）" in cli("breach", "list").out
    assert cli("breach", "decide", str(off["id"]), "--measure", "通报批评", "--reasons", "属实",
               "--as", "jiancha").code == 0
    again = cli("breach", "decide", str(off["id"]), "--measure", "辞退", "--reasons", "加重",
                "--as", "jiancha")
    assert again.code == 5 and "不能更改" in again.err
