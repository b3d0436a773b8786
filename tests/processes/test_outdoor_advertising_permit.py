"""户外广告设施设置许可 (XK-HWGG-001): the deemed-approval power (超时默许).

受理 → 现场勘查 → 审查 → 审批决定 (boundary timer on the promised deadline) → 制证发证; when the
promised deadline passes without a decision the engine approves the case itself (视为准予), via
制证（视为准予）, and holds the post of the decision step to account.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, done_steps, step, supplement_then_accept

CODE = "XK-HWGG-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


@pytest.fixture
def sun_both(run_cli, db_url: str) -> Sunshine:
    s = Sunshine(run_cli, db_url)
    s.setup()
    return s


def _to_decision(sun: Sunshine, number: str) -> None:
    sun.complete(number, "现场勘查", "周勘查", "opinion=设置位置符合规划", now="2026-03-03T10:00")
    sun.complete(number, "审查", "吴审查", "opinion=材料齐全", now="2026-03-04T10:00")


def test_a_supplemented_application_decided_in_time_is_approved_not_deemed(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某传媒有限公司")
    record = supplement_then_accept(sun, number, "设计效果图", "产权人同意书")
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-16", "2026-03-30")
    _to_decision(sun, number)
    sun.complete(number, "审批决定", "郑局长", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "制证发证", "冯制证", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"], record["deemed"]) == ("approved", "approved", False)
    assert {("现场勘查", "审查岗", "周勘查"), ("审查", "审查岗", "吴审查"),
            ("审批决定", "审批岗", "郑局长"), ("制证发证", "制证发证岗", "冯制证"),
            ("补正材料", "窗口受理岗", "李窗口")} <= set(done_steps(record))
    # decided in time: the promised deadline passing later changes nothing
    assert "fired 0" in sun.sweep("2026-03-31T09:00")
    assert sun.show(number)["breaches"] == []
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_decision_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某广告公司")
    sun.accept(number)
    _to_decision(sun, number)
    sun.complete(number, "审批决定", "郑局长", "decision=refuse", "opinion=影响城市景观",
                 now="2026-03-05T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"], record["deemed"]) == ("refused", "refused", False)
    assert (step(record, "审批决定")["person"], step(record, "审批决定")["post"]) == ("郑局长", "审批岗")
    assert sun.tasks(number) == []
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某广告公司")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "设置地点属于禁设区域")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert step(record, "受理")["post"] == "窗口受理岗"
    assert record["audit_chain"] == "intact"


def test_no_decision_by_the_promised_deadline_is_deemed_approved_once_with_a_red_card_and_a_breach(
        sun_both: Sunshine) -> None:
    sun = sun_both
    number = sun.start(CODE, "某某传媒有限公司")
    sun.accept(number)  # Monday 2 March: promised by Monday 16 March
    _to_decision(sun, number)
    sun.ok("task", "claim", sun.task(number, "审批决定")["id"], "--as", "郑局长",
           now="2026-03-04T11:00")
    assert sun.show(number)["promised_deadline"] == "2026-03-16"

    # The day after the promised deadline the sweep approves the case itself.
    out = sun.sweep("2026-03-17T09:00")
    assert "fired" in out and "fired 0" not in out
    record = sun.show(number)
    assert record["deemed"] is True
    decision = [s for s in record["steps"] if s["name"] == "审批决定"][0]
    assert decision["status"] == "cancelled" and decision["outcome"] == "deemed"
    assert [t["name"] for t in sun.tasks(number)] == ["制证（视为准予）"]
    red = [c for c in record["cards"] if c["kind"] == "red"]
    assert len(red) == 1 and red[0]["post"] == "审批岗"
    deemed = [b for b in record["breaches"] if b["kind"] == "deemed_approval"]
    assert len(deemed) == 1
    assert (deemed[0]["post"], deemed[0]["step_name"], deemed[0]["person"]) == (
        "审批岗", "审批决定", "郑局长")

    # A second sweep, at the same moment and a day later, fires nothing new.
    assert "fired 0" in sun.sweep("2026-03-17T09:00")
    again = sun.show(number)
    assert len(again["cards"]) == len(record["cards"])
    assert len(again["breaches"]) == len(record["breaches"])
    assert len([b for b in sun.breaches() if b["kind"] == "deemed_approval"]) == 1

    sun.complete(number, "制证（视为准予）", "冯制证", now="2026-03-17T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"], record["deemed"]) == (
        "approved", "deemed_approved", True)
    assert step(record, "制证（视为准予）")["post"] == "制证发证岗"
    assert record["audit_chain"] == "intact"


def test_a_deadline_passing_before_the_decision_step_approves_as_soon_as_that_step_is_reached(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "某某传媒有限公司")
    sun.accept(number)
    sun.sweep("2026-03-17T09:00")  # still at 现场勘查
    record = sun.show(number)
    assert record["deemed"] is False and record["deemed_pending"] is True
    assert record["state"] == "accepted"
    assert [b["kind"] for b in record["breaches"]].count("deemed_approval") == 1

    sun.complete(number, "现场勘查", "周勘查", now="2026-03-17T10:00")
    sun.complete(number, "审查", "吴审查", now="2026-03-17T11:00")
    record = sun.show(number)
    assert record["deemed"] is True
    assert [t["name"] for t in sun.tasks(number)] == ["制证（视为准予）"]
    sun.complete(number, "制证（视为准予）", "冯制证", now="2026-03-18T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "deemed_approved")
    assert [b["kind"] for b in record["breaches"]].count("deemed_approval") == 1
    assert record["audit_chain"] == "intact"
