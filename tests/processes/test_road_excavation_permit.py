"""城市道路挖掘占用审批 (XK-DLWJ-001): 联办件, two departments in parallel inside one case.

受理 → [现场勘查 → 市政设施审查 (住建, 市政设施审查岗) ‖ 交通安全意见 (交警, 交通安全审查岗,
缺席默认)] → 审批决定 → 制证发证. Statutory 45, promised 10 working days.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "XK-DLWJ-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_both_departments_work_in_parallel_and_the_case_is_approved(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某燃气公司")
    record = supplement_then_accept(sun, number, "施工组织方案", "交通疏解方案")
    assert record["promised_deadline"] == "2026-03-16"
    assert record["statutory_deadline"] == "2026-05-08"  # 45 working days, 劳动节 1–5 May skipped

    ready = {(t["name"], t["post"]) for t in sun.tasks(number)}
    assert ready == {("现场勘查", "市政设施审查岗"), ("交通安全意见", "交通安全审查岗")}
    traffic = sun.json("task", "list", "--post", "交通安全审查岗")
    assert [t["name"] for t in traffic] == ["交通安全意见"]

    sun.complete(number, "交通安全意见", "交警张", "consent=true", "opinion=同意，夜间施工",
                 now="2026-03-03T10:00")
    assert [t["name"] for t in sun.tasks(number)] == ["现场勘查"]  # the join waits for the other
    sun.complete(number, "现场勘查", "住建王", now="2026-03-03T11:00")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("市政设施审查", "市政设施审查岗")]
    sun.complete(number, "市政设施审查", "住建李", now="2026-03-04T10:00")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审批决定", "审批岗")]
    sun.complete(number, "审批决定", "住建局长", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "制证发证", "制证员", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    t = step(record, "交通安全意见")
    assert (t["post"], t["person"], t["department"]) == ("交通安全审查岗", "交警张", "县公安局交警大队")
    m = step(record, "市政设施审查")
    assert (m["post"], m["person"], m["department"]) == ("市政设施审查岗", "住建李", "县住房和城乡建设局")
    assert record["breaches"] == []
    assert record["audit_chain"] == "intact"


def test_a_silent_department_past_its_step_limit_counts_as_consenting(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某通信公司")
    sun.accept(number)
    sun.complete(number, "现场勘查", "住建王", now="2026-03-03T10:00")
    sun.complete(number, "市政设施审查", "住建李", now="2026-03-04T10:00")
    assert [t["name"] for t in sun.tasks(number)] == ["交通安全意见"]

    # 交通安全意见 has 4 working days (due Friday 6 March); on Monday 9 March it is silent.
    sun.sweep("2026-03-09T09:00")
    record = sun.show(number)
    traffic = step(record, "交通安全意见")
    assert traffic["outcome"] == "absent_consent"
    [breach] = [b for b in record["breaches"] if b["kind"] == "absent_consent"]
    assert breach["post"] == "交通安全审查岗"
    assert [t["name"] for t in sun.tasks(number)] == ["审批决定"]

    sun.complete(number, "审批决定", "住建局长", "decision=approve", now="2026-03-09T10:00")
    sun.complete(number, "制证发证", "制证员", now="2026-03-10T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_decision_ends_refused_and_closes_both_branches(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "某某建筑公司")
    sun.accept(number)
    sun.complete(number, "交通安全意见", "交警张", "consent=false", "opinion=主干道高峰期禁止占道")
    sun.complete(number, "现场勘查", "住建王")
    sun.complete(number, "市政设施审查", "住建李")
    sun.complete(number, "审批决定", "住建局长", "decision=refuse", "opinion=交警部门不同意")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert sun.tasks(number) == []
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某个人")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "未取得规划许可")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert sun.tasks(number) == []
    assert record["audit_chain"] == "intact"
