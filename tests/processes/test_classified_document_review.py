"""国家秘密载体制作、复制审批 (XK-BMZT-001): a non-public power (备案), run like any other.

受理 → 保密条件审查 → 审核 → 审批决定 → 出具审批意见书; posts 机要受理岗, 保密审查岗, 审核岗, 审批岗,
制证发证岗. Statutory 20, promised 10.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "XK-BMZT-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_the_non_public_power_is_in_the_catalogue_marked_not_public(sun: Sunshine) -> None:
    [power] = [p for p in sun.json("powers", "list") if p["code"] == CODE]
    assert power["public"] is False and power["status"] == "active"


def test_a_supplemented_application_is_approved_through_every_post(sun: Sunshine) -> None:
    number = sun.start(CODE, "县某涉密单位")
    record = supplement_then_accept(sun, number, "涉密载体制作场所保密措施说明", clerk="机要员")
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-16", "2026-03-30")
    sun.complete(number, "保密条件审查", "保密审查员", now="2026-03-03T10:00")
    sun.complete(number, "审核", "科长", now="2026-03-04T10:00")
    sun.complete(number, "审批决定", "保密局长", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "出具审批意见书", "文书员", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    for name, post, person in [("受理", "机要受理岗", "机要员"), ("保密条件审查", "保密审查岗", "保密审查员"),
                               ("审核", "审核岗", "科长"), ("审批决定", "审批岗", "保密局长"),
                               ("出具审批意见书", "制证发证岗", "文书员")]:
        s = step(record, name)
        assert (s["post"], s["person"]) == (post, person)
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_decision_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "县某单位")
    sun.accept(number, "机要员")
    sun.complete(number, "保密条件审查", "保密审查员", "opinion=场所不具备保密条件")
    sun.complete(number, "审核", "科长")
    sun.complete(number, "审批决定", "保密局长", "decision=refuse")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert step(record, "保密条件审查")["opinion"] == "场所不具备保密条件"
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "某公司")
    sun.ok("case", "refuse", number, "--as", "机要员", "--reason", "申请单位不具备涉密资质")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["audit_chain"] == "intact"
