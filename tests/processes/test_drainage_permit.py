"""城镇污水排入排水管网许可 (XK-PSXK-001), with water-quality testing that stops the clock.

受理 → 现场核查 → (needs_testing) 水质检测 [检测, not counted] → 审核 → 审批决定 → 制证发证.
Statutory 15, promised 10 working days.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "XK-PSXK-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_an_application_without_testing_is_approved_through_every_post(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某洗车场")
    record = supplement_then_accept(sun, number, "排水户内部排水管网图")
    # accepted Monday 2 March: promised 10 → 16 March, statutory 15 → 23 March
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-16", "2026-03-23")
    sun.complete(number, "现场核查", "蒋核查", "needs_testing=false", now="2026-03-03T10:00")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审核", "审核岗")]
    sun.complete(number, "审核", "沈科长", now="2026-03-04T10:00")
    sun.complete(number, "审批决定", "韩局长", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "制证发证", "杨制证", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    assert record["clock_stops"] == [] and record["working_days_stopped"] == 0
    assert record["promised_deadline"] == "2026-03-16"
    for name, post, person in [("现场核查", "现场核查岗", "蒋核查"), ("审核", "审核岗", "沈科长"),
                               ("审批决定", "审批岗", "韩局长"), ("制证发证", "制证发证岗", "杨制证")]:
        s = step(record, name)
        assert (s["post"], s["person"]) == (post, person)
    assert not [s for s in record["steps"] if s["name"] == "水质检测"]
    assert record["audit_chain"] == "intact"


def test_water_quality_testing_stops_the_clock_and_moves_both_deadlines_later(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某食品厂")
    sun.accept(number)
    sun.complete(number, "现场核查", "蒋核查", "needs_testing=true", now="2026-03-03T10:00")

    record = sun.show(number)
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("水质检测", "现场核查岗")]
    assert record["state"] == "in_special" and record["clock"] == "suspended"
    [stop] = record["clock_stops"]
    assert stop["special"] == "检测" and stop["ended_at"] is None

    # testing takes Tue 3 – Thu 5 March: three working days do not count
    sun.complete(number, "水质检测", "检测中心", "opinion=水质达标", now="2026-03-06T10:00")
    record = sun.show(number)
    assert record["state"] == "accepted" and record["clock"] == "running"
    [stop] = record["clock_stops"]
    assert stop["ended_at"] is not None and stop["working_days"] == 3
    assert record["working_days_stopped"] == 3
    assert record["promised_deadline"] == "2026-03-19"  # 16 March + 3 working days
    assert record["statutory_deadline"] == "2026-03-26"  # 23 March + 3 working days

    sun.complete(number, "审核", "沈科长", now="2026-03-09T10:00")
    sun.complete(number, "审批决定", "韩局长", "decision=approve", now="2026-03-10T10:00")
    sun.complete(number, "制证发证", "杨制证", now="2026-03-11T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    assert (step(record, "水质检测")["person"], step(record, "水质检测")["counted"]) == ("检测中心", False)
    assert record["audit_chain"] == "intact"


def test_a_stopped_clock_issues_no_red_card_on_the_original_deadline(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某印染厂")
    sun.accept(number)
    sun.complete(number, "现场核查", "蒋核查", "needs_testing=true", now="2026-03-03T10:00")
    # testing still open long after the original promised deadline (16 March)
    sun.sweep("2026-03-17T09:00")
    record = sun.show(number)
    assert not [c for c in record["cards"] if c["kind"] == "red"]
    assert not [b for b in record["breaches"] if b["kind"] == "overdue_case"]


def test_an_application_refused_at_the_decision_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某化工厂")
    sun.accept(number)
    sun.complete(number, "现场核查", "蒋核查", "needs_testing=false")
    sun.complete(number, "审核", "沈科长")
    sun.complete(number, "审批决定", "韩局长", "decision=refuse", "opinion=预处理设施不达标")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert step(record, "审批决定")["opinion"] == "预处理设施不达标"
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某居民")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "居民生活污水无需办理")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["audit_chain"] == "intact"
