"""食品经营许可 (XK-SPJY-001) driven through the CLI, on SQLite and PostgreSQL.

受理 → 现场核查 → 审核 → 审批决定 → 制证发证; statutory 20, promised 10 working days; no deemed
approval (food safety), so a late case gets a red card and a breach but stays open.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, done_steps, step

CODE = "XK-SPJY-001"


@pytest.fixture
def sun(run_cli, db_url: str) -> Sunshine:
    s = Sunshine(run_cli, db_url)
    s.setup()
    return s


def _to_decision(sun: Sunshine, number: str) -> None:
    sun.complete(number, "现场核查", "赵核查", "opinion=场所符合要求", now="2026-03-04T10:00")
    sun.complete(number, "审核", "钱科长", "opinion=同意", now="2026-03-05T10:00")


def test_a_supplemented_then_accepted_application_is_approved_with_every_step_on_record(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "张三餐饮店")
    assert number.startswith("2026-食品-")
    assert sun.show(number)["state"] == "received"

    sun.ok("case", "supplement", number, "--as", "李窗口", "--item", "从业人员健康证明",
           "--item", "设备布局图")
    record = sun.show(number)
    assert record["state"] == "in_correction"
    assert record["supplement_notices"][0]["items"] == ["从业人员健康证明", "设备布局图"]
    assert record["promised_deadline"] is None  # the clock has not started

    sun.ok("case", "supplemented", number, "--as", "李窗口", now="2026-03-02T10:00")
    assert sun.show(number)["state"] == "received"
    out = sun.accept(number, now="2026-03-02T10:30").out
    assert "2026-03-16" in out and "2026-03-30" in out

    record = sun.show(number)
    assert record["state"] == "accepted"
    assert record["clock"] == "running"
    # accepted Monday 2 March 2026: 10 working days → Monday 16 March; 20 → Monday 30 March
    assert record["promised_deadline"] == "2026-03-16"
    assert record["statutory_deadline"] == "2026-03-30"
    [ready] = sun.tasks(number)
    assert (ready["name"], ready["post"], ready["due"]) == ("现场核查", "现场核查岗", "2026-03-06")

    _to_decision(sun, number)
    sun.complete(number, "审批决定", "王局长", "decision=approve", "opinion=准予许可",
                 now="2026-03-06T10:00")
    assert sun.show(number)["state"] == "accepted"
    sun.complete(number, "制证发证", "孙制证", "opinion=已送达", now="2026-03-09T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"], record["deemed"]) == ("approved", "approved", False)
    assert record["clock"] == "stopped"
    assert sun.tasks(number) == []
    assert done_steps(record) == [
        ("受理", "窗口受理岗", "李窗口"),
        ("补正材料", "窗口受理岗", "李窗口"),
        ("受理", "窗口受理岗", "李窗口"),
        ("现场核查", "现场核查岗", "赵核查"),
        ("审核", "审核岗", "钱科长"),
        ("审批决定", "审批岗", "王局长"),
        ("制证发证", "制证发证岗", "孙制证"),
    ]
    assert step(record, "审批决定")["opinion"] == "准予许可"
    assert record["cards"] == [] and record["breaches"] == []
    assert record["audit_chain"] == "intact"
    kinds = [e["kind"] for e in record["history"] if e["kind"] != "supervised"]
    assert kinds[0] == "received" and kinds[-1] == "case_closed"
    assert "supplement_requested" in kinds and "accepted" in kinds


def test_an_accepted_application_refused_at_the_decision_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "李四小吃")
    sun.accept(number)
    _to_decision(sun, number)
    sun.complete(number, "审批决定", "王局长", "decision=refuse",
                 "opinion=经营场所与污染源距离不符合要求", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert sun.tasks(number) == []
    decided = step(record, "审批决定")
    assert (decided["post"], decided["person"]) == ("审批岗", "王局长")
    assert decided["opinion"] == "经营场所与污染源距离不符合要求"
    assert not [s for s in record["steps"] if s["name"] == "制证发证"]
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_window_is_not_accepted_and_never_gets_deadlines(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "王五超市")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "仅销售预包装食品，应办理备案")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["accepted_at"] is None
    assert record["promised_deadline"] is None and record["statutory_deadline"] is None
    refused = step(record, "受理")
    assert (refused["post"], refused["person"]) == ("窗口受理岗", "李窗口")
    assert refused["opinion"] == "仅销售预包装食品，应办理备案"
    assert sun.tasks(number) == []
    assert record["audit_chain"] == "intact"


def test_a_step_past_its_own_limit_gets_a_yellow_card_and_a_late_case_a_red_card_but_stays_open(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "赵六饭店")
    sun.accept(number)
    # 现场核查 has 4 working days: due Friday 6 March; on Monday 9 March it is late, the case not.
    sun.sweep("2026-03-09T09:00")
    record = sun.show(number)
    yellow = [c for c in record["cards"] if c["kind"] == "yellow"]
    assert len(yellow) == 1 and yellow[0]["post"] == "现场核查岗"
    assert not [c for c in record["cards"] if c["kind"] == "red"]
    [late_step] = record["breaches"]
    assert (late_step["kind"], late_step["post"], late_step["step_name"]) == (
        "overdue_step", "现场核查岗", "现场核查")
    assert record["state"] == "accepted"

    # Past the promised deadline (16 March): a red card and an overdue_case breach; no deemed
    # approval for food, so the case is still open and waiting at 现场核查.
    sun.sweep("2026-03-17T09:00")
    record = sun.show(number)
    red = [c for c in record["cards"] if c["kind"] == "red"]
    assert len(red) == 1 and red[0]["post"] == "现场核查岗"
    kinds = sorted(b["kind"] for b in record["breaches"])
    assert kinds == ["overdue_case", "overdue_step"]
    assert record["state"] == "accepted" and record["result"] is None
    assert record["deemed"] is False
    assert [t["name"] for t in sun.tasks(number)] == ["现场核查"]

    # Sweeping again fires nothing new.
    sun.sweep("2026-03-18T09:00")
    again = sun.show(number)
    assert len(again["cards"]) == len(record["cards"])
    assert len(again["breaches"]) == 2
    assert again["audit_chain"] == "intact"
