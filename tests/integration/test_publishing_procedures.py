"""The two publishing procedures shipped beside 提出 → 审核 → 公开 → 反馈 (QT-ZWGK-001), through the
CLI on SQLite, with time travel:

* 重大行政决策预公开 (QT-JCYGK-001, processes/pre_decision_disclosure.bpmn): 提出 → 审核草案 →
  发布征求意见稿 → 征求意见期 (20 working days, ended by the engine: a ``period`` timer) →
  意见汇总 → 作出决策 → 公布决策.
* 公示程序 (QT-GKGS-001, processes/public_notice.bpmn): 提出 → 发布公示 → 公示期 (5 working days,
  a ``period`` timer) → 异议登记 → (有异议: 异议核实处理) → 作出决定.

A period ending is the procedure working, not a late official: it earns no warning, no card and
no breach. Each file lints clean, deploys and draws.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import Sunshine, step

ROOT = Path(__file__).resolve().parents[2]
PRE_DECISION = "QT-JCYGK-001"
NOTICE = "QT-GKGS-001"
FILES = [ROOT / "processes" / "pre_decision_disclosure.bpmn",
         ROOT / "processes" / "public_notice.bpmn"]
UNIT = "县政务公开办公室"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    # the posts of the county's publishing office (tests/fixtures/staff.json has the first four)
    s.ok("user", "add", "juece", "--name", "李决策", "--unit", UNIT, "--role", "approver",
         "--post", "审批决定岗", "--as", "admin")
    return s


def names(sun: Sunshine, number: str) -> list[tuple[str, str]]:
    return [(t["name"], t["post"]) for t in sun.tasks(number)]


def test_both_files_lint_clean_and_draw(run_cli, tmp_path: Path) -> None:
    res = run_cli("lint", *FILES)
    assert res.code == 0 and "2 file(s), 0 error(s), 0 warning(s)" in res.out, res.out
    for f in FILES:
        out = tmp_path / f"{f.stem}.svg"
        res = run_cli("flowchart", f, "-o", out)
        assert res.code == 0, res.err
        svg = out.read_text(encoding="utf-8")
        assert "<svg" in svg
        for label in ("期满", "作出决"):
            assert label in svg, (f.name, label)


def test_a_draft_decision_is_published_for_comment_and_decided_when_the_period_ends(
        sun: Sunshine) -> None:
    number = sun.start(PRE_DECISION, "县发展和改革局")
    sun.accept(number, "公开办")
    record = sun.show(number)
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-04-21", None)
    sun.complete(number, "审核草案", "保密员", "publish=true", "opinion=不涉密，同意预公开",
                 now="2026-03-03T10:00")
    sun.complete(number, "发布征求意见稿", "发布员", "channel=县政府门户网站", now="2026-03-04T10:00")
    # the comment period runs 20 working days from 03-04: to the end of 04-01
    assert names(sun, number) == [("征求意见期", "信息发布岗")]
    sun.sweep("2026-03-31T09:00")  # 80 % of it gone: no warning for a period
    assert names(sun, number) == [("征求意见期", "信息发布岗")]
    sun.sweep("2026-04-01T20:00")  # still the last day
    assert names(sun, number) == [("征求意见期", "信息发布岗")]
    out = sun.sweep("2026-04-02T08:00")  # the period is over: the engine ends it
    assert "step_overdue" in out
    assert names(sun, number) == [("意见汇总", "反馈处理岗")]
    sun.complete(number, "意见汇总", "反馈员", "comments=12", "adopted=3",
                 "opinion=采纳 3 条，未采纳理由已说明", now="2026-04-02T10:00")
    sun.complete(number, "作出决策", "juece", "decision=approve", now="2026-04-03T10:00")
    sun.complete(number, "公布决策", "发布员", now="2026-04-03T15:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("completed", "completed")
    period = next(s for s in record["steps"] if s["name"] == "征求意见期")
    assert (period["status"], period["outcome"], period["person"]) == ("cancelled",
                                                                      "period_ended", None)
    assert period["end"] == "2026-04-02T00:00:00+08:00"  # when the period ran out, not the sweep
    ended = [e for e in record["history"] if e["kind"] == "period_ended"]
    assert [(e["payload"]["step"], e["payload"]["days"]) for e in ended] == [("征求意见期", 20)]
    assert record["cards"] == [] and record["breaches"] == []
    assert step(record, "意见汇总")["data"]["comments"] == 12
    assert step(record, "作出决策")["person"] == "juece"
    assert record["audit_chain"] == "intact"


def test_a_draft_the_reviewer_does_not_clear_is_not_published(sun: Sunshine) -> None:
    number = sun.start(PRE_DECISION, "县自然资源局")
    sun.accept(number, "公开办")
    sun.complete(number, "审核草案", "保密员", "publish=false", "opinion=涉及未公开的规划数据")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert not [s for s in record["steps"] if s["name"] == "征求意见期"]


def test_a_notice_without_objections_is_decided_when_its_period_ends(sun: Sunshine) -> None:
    number = sun.start(NOTICE, "县委组织部")
    sun.accept(number, "公开办")
    sun.complete(number, "发布公示", "发布员", "channel=县政府门户网站、单位公告栏",
                 now="2026-03-02T15:00")
    assert names(sun, number) == [("公示期", "信息发布岗")]
    sun.sweep("2026-03-09T20:00")  # 5 working days from 03-02: to the end of 03-09
    assert names(sun, number) == [("公示期", "信息发布岗")]
    sun.sweep("2026-03-10T08:00")
    assert names(sun, number) == [("异议登记", "反馈处理岗")]
    sun.complete(number, "异议登记", "反馈员", "objections=none", now="2026-03-10T09:00")
    assert names(sun, number) == [("作出决定", "审批决定岗")]
    sun.complete(number, "作出决定", "juece", "decision=approve", now="2026-03-10T11:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("completed", "completed")
    assert not [s for s in record["steps"] if s["name"] == "异议核实处理"]
    assert record["cards"] == [] and record["breaches"] == []
    assert record["audit_chain"] == "intact"


def test_objections_to_a_notice_are_handled_before_the_decision(sun: Sunshine) -> None:
    number = sun.start(NOTICE, "县人力资源和社会保障局")
    sun.accept(number, "公开办")
    sun.complete(number, "发布公示", "发布员", "channel=县政府门户网站", now="2026-03-02T15:00")
    sun.sweep("2026-03-10T08:00")
    sun.complete(number, "异议登记", "反馈员", "objections=some", "count=2",
                 "opinion=两件异议：反映拟表彰对象考核材料不实", now="2026-03-10T09:00")
    assert names(sun, number) == [("异议核实处理", "反馈处理岗")]
    sun.complete(number, "异议核实处理", "反馈员", "founded=true",
                 "opinion=经核实异议属实，已答复异议人", now="2026-03-12T09:00")
    sun.complete(number, "作出决定", "juece", "decision=refuse", "opinion=异议属实，不予通过",
                 now="2026-03-12T15:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    handled = step(record, "异议核实处理")
    assert (handled["person"], handled["data"]["founded"]) == ("反馈员", True)
    assert record["cards"] == [] and record["breaches"] == []


def test_a_step_after_the_period_is_still_held_to_its_limit(sun: Sunshine) -> None:
    """The period earns nothing; the officials after it are watched as ever."""
    number = sun.start(NOTICE, "县教育局")
    sun.accept(number, "公开办")
    sun.complete(number, "发布公示", "发布员", "channel=县政府门户网站", now="2026-03-02T15:00")
    sun.sweep("2026-03-10T08:00")
    sun.sweep("2026-03-12T08:00")  # 异议登记 (1 working day from 03-10) not done
    record = sun.show(number)
    assert [(c["kind"], c["post"]) for c in record["cards"] if c["kind"] == "yellow"] == [
        ("yellow", "反馈处理岗")]
    assert [b["kind"] for b in record["breaches"]] == ["overdue_step"]
