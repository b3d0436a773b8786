"""食品经营许可延续 (XK-SPJY-002): a renewal; ALL Art. 50 deems it renewed when the licence
expires before the decision (boundary timer `renewal` on 审批决定 → 制证（视为准予延续）).

受理 → 审查 → 审核 → 审批决定 → 制证（延续）. The application names the current licence's expiry
date with `--data licence_expires=YYYY-MM-DD`.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, one_line_error, step, supplement_then_accept
from tests.staff import CLERK, id_number

CODE = "XK-SPJY-002"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def _to_decision(sun: Sunshine, number: str) -> None:
    sun.complete(number, "审查", "审查员", now="2026-03-03T10:00")
    sun.complete(number, "审核", "科长", now="2026-03-04T10:00")


def test_a_renewal_without_the_licence_expiry_date_cannot_start(sun: Sunshine) -> None:
    res = sun.fails("case", "start", CODE, "--applicant", "张三餐饮店", "--id-number", id_number("张三餐饮店"), "--as", CLERK)
    assert "licence_expires" in one_line_error(res)
    assert sun.json("case", "list") == []


def test_a_supplemented_renewal_decided_in_time_is_approved(sun: Sunshine) -> None:
    number = sun.start(CODE, "张三餐饮店", "licence_expires=2026-06-30")
    assert number.startswith("2026-食品延续-")
    record = supplement_then_accept(sun, number, "原食品经营许可证正副本")
    assert record["application"]["licence_expires"] == "2026-06-30"
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-16", "2026-03-30")
    _to_decision(sun, number)
    sun.complete(number, "审批决定", "王局长", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "制证（延续）", "孙制证", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"], record["deemed"]) == ("approved", "approved", False)
    for name, post, person in [("审查", "审查岗", "审查员"), ("审核", "审核岗", "科长"),
                               ("审批决定", "审批岗", "王局长"), ("制证（延续）", "制证发证岗", "孙制证")]:
        s = step(record, name)
        assert (s["post"], s["person"]) == (post, person)
    # the licence's expiry passing after the decision changes nothing
    sun.sweep("2026-07-01T09:00")
    assert sun.show(number)["breaches"] == []
    assert record["audit_chain"] == "intact"


def test_a_renewal_undecided_when_the_licence_expires_is_deemed_renewed(sun: Sunshine) -> None:
    # applied for on 2026-03-02, more than 30 days before the licence expires (ALL Art. 50)
    number = sun.start(CODE, "李四小吃", "licence_expires=2026-04-01")
    sun.accept(number)
    _to_decision(sun, number)
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审批决定", "审批岗")]

    sun.sweep("2026-04-01T17:00")  # the licence is still valid today
    assert sun.show(number)["deemed"] is False

    sun.sweep("2026-04-02T09:00")
    record = sun.show(number)
    assert record["deemed"] is True
    [breach] = [b for b in record["breaches"] if b["kind"] == "deemed_renewal"]
    assert (breach["post"], breach["step_name"]) == ("审批岗", "审批决定")
    # dated when the decision was due (the end of the licence's last day), not when swept
    assert breach["occurred_at"] == "2026-04-02T00:00:00+08:00"  # local time, with its offset
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("制证（视为准予延续）", "制证发证岗")]

    assert "fired 0" in sun.sweep("2026-04-02T09:00")
    sun.complete(number, "制证（视为准予延续）", "孙制证", now="2026-04-02T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"], record["deemed"]) == (
        "approved", "deemed_approved", True)
    assert [b["kind"] for b in record["breaches"]].count("deemed_renewal") == 1
    assert record["audit_chain"] == "intact"


def test_a_renewal_applied_for_less_than_30_days_before_expiry_is_never_deemed_renewed(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "钱七小吃", "licence_expires=2026-03-10")
    sun.accept(number)
    _to_decision(sun, number)
    sun.sweep("2026-03-11T09:00")
    record = sun.show(number)
    assert record["deemed"] is False and record["state"] == "accepted"
    assert [b for b in record["breaches"] if b["kind"] == "deemed_renewal"] == []
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审批决定", "审批岗")]


def test_an_expired_licence_cannot_be_renewed(sun: Sunshine) -> None:
    res = sun.fails("case", "start", CODE, "--applicant", "孙八饭店", "--id-number", id_number("孙八饭店"), "--as", CLERK, "--data",
                    "licence_expires=2026-02-27")
    message = one_line_error(res)
    assert "2026-02-27" in message and "expired" in message
    assert sun.json("case", "list") == []


def test_a_renewal_refused_at_the_decision_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "王五超市", "licence_expires=2026-06-30")
    sun.accept(number)
    _to_decision(sun, number)
    sun.complete(number, "审批决定", "王局长", "decision=refuse", "opinion=经营条件发生变化",
                 now="2026-03-05T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert record["audit_chain"] == "intact"


def test_a_renewal_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "赵六饭店", "licence_expires=2026-06-30")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "许可证已过有效期，应重新申请")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["audit_chain"] == "intact"
