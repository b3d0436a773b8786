"""政务公开发布程序 (QT-ZWGK-001): a procedure, 提出 → 审核 → 公开 → 反馈, ends `completed`.

No statutory limit (法定时限 none); promised 10 working days.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "QT-ZWGK-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_a_revised_proposal_is_reviewed_published_and_completed_after_feedback(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "县发改局办公室")
    record = supplement_then_accept(sun, number, "公开内容保密审查单", clerk="公开办")
    assert record["promised_deadline"] == "2026-03-16"
    assert record["statutory_deadline"] is None  # law sets no limit for publishing
    assert step(record, "修改完善公开申请")["post"] == "公开受理岗"
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审核", "保密审核岗")]
    sun.complete(number, "审核", "保密员", "decision=approve", "opinion=不涉密，同意公开",
                 now="2026-03-03T10:00")
    sun.complete(number, "公开", "发布员", now="2026-03-04T10:00")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("反馈", "反馈处理岗")]
    sun.complete(number, "反馈", "反馈员", "opinion=无异议", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("completed", "completed")
    for name, post, person in [("提出", "公开受理岗", "公开办"), ("审核", "保密审核岗", "保密员"),
                               ("公开", "信息发布岗", "发布员"), ("反馈", "反馈处理岗", "反馈员")]:
        s = step(record, name)
        assert (s["post"], s["person"]) == (post, person)
    assert record["audit_chain"] == "intact"


def test_a_proposal_refused_at_review_is_not_published(sun: Sunshine) -> None:
    number = sun.start(CODE, "县教育局办公室")
    sun.accept(number, "公开办")
    sun.complete(number, "审核", "保密员", "decision=refuse", "opinion=涉及个人隐私")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert not [s for s in record["steps"] if s["name"] == "公开"]
    assert record["audit_chain"] == "intact"


def test_a_proposal_outside_the_catalogue_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "县某单位")
    sun.ok("case", "refuse", number, "--as", "公开办", "--reason", "不属于主动公开目录范围")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["audit_chain"] == "intact"
