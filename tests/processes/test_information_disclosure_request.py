"""依申请公开政府信息 (GG-XXGK-001): answered rather than approved (result `completed`).

收件登记 → 检索审查 → (third_party) 征求第三方意见 [not counted] → 审核 → 签发答复 →
制作并送达答复书. Statutory 20, promised 13 working days.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "GG-XXGK-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_a_corrected_request_is_answered_and_completed_through_every_post(sun: Sunshine) -> None:
    number = sun.start(CODE, "刘某")
    record = supplement_then_accept(sun, number, "所需信息的名称、文号或者便于查询的其他特征性描述",
                                    clerk="收件员")
    # accepted Monday 2 March: promised 13 → 19 March, statutory 20 → 30 March
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-19", "2026-03-30")
    assert step(record, "申请人更正申请")["post"] == "收件登记岗"
    sun.complete(number, "检索审查", "承办员", "third_party=false", now="2026-03-03T10:00")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审核", "审核岗")]
    sun.complete(number, "审核", "审核员", now="2026-03-04T10:00")
    sun.complete(number, "签发答复", "办公室主任", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "制作并送达答复书", "送达员", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("completed", "completed")
    for name, post, person in [("收件登记", "收件登记岗", "收件员"), ("检索审查", "承办审查岗", "承办员"),
                               ("审核", "审核岗", "审核员"), ("签发答复", "签发岗", "办公室主任"),
                               ("制作并送达答复书", "答复送达岗", "送达员")]:
        s = step(record, name)
        assert (s["post"], s["person"]) == (post, person)
    assert record["clock_stops"] == []
    assert record["audit_chain"] == "intact"


def test_consulting_a_third_party_stops_the_clock_and_moves_the_deadline_later(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "刘某")
    sun.accept(number, "收件员")
    sun.complete(number, "检索审查", "承办员", "third_party=true", now="2026-03-03T10:00")
    record = sun.show(number)
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("征求第三方意见", "承办审查岗")]
    assert record["clock"] == "suspended"
    [stop] = record["clock_stops"]
    assert stop["special"] == "征求第三方意见"

    # consultation Tue 3 – Mon 9 March: five working days do not count
    sun.complete(number, "征求第三方意见", "承办员", "opinion=第三方同意公开", now="2026-03-10T10:00")
    record = sun.show(number)
    assert record["clock"] == "running"
    assert record["clock_stops"][0]["working_days"] == 5
    assert record["promised_deadline"] == "2026-03-26"  # 19 March + 5 working days
    assert record["statutory_deadline"] == "2026-04-07"  # 30 March + 5 (清明 4–6 April skipped)

    sun.complete(number, "审核", "审核员", now="2026-03-11T10:00")
    sun.complete(number, "签发答复", "办公室主任", "decision=approve", now="2026-03-12T10:00")
    sun.complete(number, "制作并送达答复书", "送达员", now="2026-03-13T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("completed", "completed")
    assert record["audit_chain"] == "intact"


def test_a_request_refused_at_signing_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "刘某")
    sun.accept(number, "收件员")
    sun.complete(number, "检索审查", "承办员", "third_party=false")
    sun.complete(number, "审核", "审核员")
    sun.complete(number, "签发答复", "办公室主任", "decision=refuse", "opinion=属于国家秘密，不予公开")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert (step(record, "签发答复")["post"], step(record, "签发答复")["person"]) == ("签发岗", "办公室主任")
    assert record["audit_chain"] == "intact"


def test_a_request_refused_at_registration_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "刘某")
    sun.ok("case", "refuse", number, "--as", "收件员", "--reason", "不属于政府信息公开申请")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert (step(record, "收件登记")["post"], step(record, "收件登记")["person"]) == ("收件登记岗", "收件员")
    assert record["audit_chain"] == "intact"
