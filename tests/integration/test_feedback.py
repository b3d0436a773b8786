"""好差评 and 投诉 through the CLI, on SQLite and PostgreSQL, travelling in time.

A food business licence (XK-SPJY-001: 受理 → 现场核查 → 审核 → 审批决定 → 制证发证) is taken to 办结;
the applicant rates it 非常不满意 with the number and query code of the receipt; a second rating is
refused; the unit's review runs past its 15th working day, the sweep cards it, the unit replies
late. Another bad rating answered in time is never carded. Complaints against a case's step are
upheld twice (two breaches, each with its ref), one against a unit is not upheld, one against a
person with no case becomes a breach with no case; bad input is refused and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import Sunshine, one_line_error

FOOD = "XK-SPJY-001"
SUPERVISOR = "监察员"
UNIT = "县市场监督管理局"


@pytest.fixture
def sun(run_cli: Any, db_url: str) -> Sunshine:
    s = Sunshine(run_cli, db_url)
    s.setup()
    return s


def _to_step(sun: Sunshine, applicant: str) -> str:
    """A case accepted on Monday 2 March 2026 whose 现场核查 赵核查 did on the 4th."""
    number = sun.start(FOOD, applicant)
    sun.accept(number)
    sun.complete(number, "现场核查", "赵核查", "opinion=场所符合要求", now="2026-03-04T10:00")
    return number


def _closed(sun: Sunshine, applicant: str) -> str:
    """… and approved, 办结 on Monday 9 March."""
    number = _to_step(sun, applicant)
    _closed_rest(sun, number)
    return number


def _closed_rest(sun: Sunshine, number: str) -> None:
    sun.complete(number, "审核", "钱科长", "opinion=同意", now="2026-03-05T10:00")
    sun.complete(number, "审批决定", "王局长", "decision=approve", "opinion=准予许可",
                 now="2026-03-06T10:00")
    sun.complete(number, "制证发证", "孙制证", "opinion=已送达", now="2026-03-09T10:00")
    assert sun.show(number)["state"] == "approved"


def _ratings(sun: Sunshine, *flags: str, now: str | None = None) -> dict[str, Any]:
    return sun.json("rating", "list", *flags, "--as", SUPERVISOR, now=now)  # type: ignore[no-any-return]


def _review_cards(sun: Sunshine, number: str) -> list[dict[str, Any]]:
    return [c for c in sun.show(number)["cards"] if c["against"] == "review"]


def test_a_bad_rating_is_given_once_carded_when_unanswered_and_answered_late(
        sun: Sunshine) -> None:
    number = _to_step(sun, "张差评")
    code = sun.show(number)["query_code"]
    early = sun.fails("rating", "give", number, "--query-code", code, "--score", "1",
                      now="2026-03-05T09:00")
    assert "尚未办结" in one_line_error(early) and early.code == 5
    _closed_rest(sun, number)

    # a wrong query code is answered exactly as an unknown case
    wrong = sun.fails("rating", "give", number, "--query-code", "ZZZZZZ", "--score", "1",
                      now="2026-03-09T15:00")
    unknown = sun.fails("rating", "give", "2026-食品-999999", "--query-code", code, "--score",
                        "1", now="2026-03-09T15:00")
    assert one_line_error(wrong) == one_line_error(unknown) and wrong.code == unknown.code == 4
    for score in ("0", "6", "很差"):
        bad = sun.fails("rating", "give", number, "--query-code", code, "--score", score,
                        now="2026-03-09T15:00")
        assert "1 到 5 分" in one_line_error(bad) and bad.code == 5
    long = sun.fails("rating", "give", number, "--query-code", code, "--score", "1",
                     "--words", "慢" * 501, now="2026-03-09T15:00")
    assert "最多 500 字" in one_line_error(long)
    assert _ratings(sun)["total"] == 0  # nothing was written

    out = sun.ok("rating", "give", number, "--query-code", code.lower(), "--score", "1",
                 "--words", "等了很久，窗口态度差", now="2026-03-09T15:00").out
    # 15 working days after Monday 9 March: Monday 30 March
    assert "非常不满意" in out and "2026-03-30" in out
    again = sun.fails("rating", "give", number, "--query-code", code, "--score", "5",
                      now="2026-03-10T09:00")
    assert "已于 2026-03-09 评价（非常不满意）" in one_line_error(again) and again.code == 5
    by_window = sun.fails("rating", "record", number, "--score", "5", "--channel", "window",
                          "--as", "李窗口", now="2026-03-10T09:00")
    assert "每件只能评价一次" in one_line_error(by_window)
    board = _ratings(sun, "--bad", now="2026-03-10T09:00")
    assert board["counts"]["1"] == 1 and board["total"] == 1 and board["bad"] == 1
    [row] = board["ratings"]
    assert (row["case"], row["score"], row["words"], row["review"], row["review_due"]) == (
        number, 1, "等了很久，窗口态度差", "待回复", "2026-03-30")
    assert [e["kind"] for e in sun.show(number)["history"]][-1] == "rated"

    # the last day passes unanswered: the sweep cards the review (not before the day is over)
    sun.sweep("2026-03-30T20:00")
    assert _review_cards(sun, number) == []
    sun.sweep("2026-03-31T09:00")
    [card] = _review_cards(sun, number)
    assert card["kind"] == "yellow" and "2026-03-30" in card["note"]
    overdue = _ratings(sun, "--overdue", now="2026-03-31T10:00")
    assert overdue["overdue"] == 1 and overdue["ratings"][0]["carded_at"]
    assert overdue["ratings"][0]["review"] == "逾期未回复"

    # only the rated unit's staff reply; the reply comes late and the card stands
    refused = sun.fails("rating", "reply", number, "--text", "已整改", "--as", "住建李",
                        now="2026-03-31T10:00")
    assert refused.code == 9 and "差评整改回复" in one_line_error(refused)
    empty = sun.fails("rating", "reply", number, "--text", " ", "--as", "钱科长",
                      now="2026-03-31T10:00")
    assert "不能为空" in one_line_error(empty)
    sun.ok("rating", "reply", number, "--text", "已核实，对窗口人员批评教育并优化流程",
           "--as", "钱科长", now="2026-03-31T11:00")
    [row] = _ratings(sun, "--bad", now="2026-03-31T12:00")["ratings"]
    assert (row["reply"], row["replied_by"], row["review"]) == (
        "已核实，对窗口人员批评教育并优化流程", "钱科长", "逾期回复")
    twice = sun.fails("rating", "reply", number, "--text", "再次", "--as", "钱科长",
                      now="2026-03-31T12:00")
    assert "不能再次回复" in one_line_error(twice)
    sun.sweep("2026-04-02T09:00")
    assert len(_review_cards(sun, number)) == 1
    assert sun.show(number)["audit_chain"] == "intact"


def test_a_bad_rating_answered_in_time_is_never_carded(sun: Sunshine) -> None:
    number = sun.start(FOOD, "李回访")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "不属于本机关职权")
    refused = sun.fails("rating", "record", number, "--score", "2", "--channel", "phone",
                        "--as", "钱科长", now="2026-03-03T09:00")
    assert refused.code == 9 and "代为登记好差评" in one_line_error(refused)
    sun.ok("rating", "record", number, "--score", "2", "--channel", "phone", "--words",
           "不予受理的理由没讲清楚", "--as", "李窗口", now="2026-03-03T09:00")
    sun.ok("rating", "reply", number, "--text", "已电话说明理由并致歉", "--as", "钱科长",
           now="2026-03-20T09:00")
    sun.sweep("2026-04-30T09:00")
    assert _review_cards(sun, number) == []
    [row] = _ratings(sun, now="2026-04-30T10:00")["ratings"]
    assert (row["channel"], row["review"], row["carded_at"]) == ("phone", "已回复", None)
    good = _closed(sun, "王满意")
    sun.ok("rating", "give", good, "--query-code", sun.show(good)["query_code"], "--score", "5",
           now="2026-03-10T09:00")
    nothing = sun.fails("rating", "reply", good, "--text", "谢谢", "--as", "钱科长",
                        now="2026-03-10T10:00")
    assert "没有差评" in one_line_error(nothing)
    counts = _ratings(sun, now="2026-04-30T10:00")["counts"]
    assert (counts["5"], counts["2"], counts["1"]) == (1, 1, 0)


def _complaint(sun: Sunshine, *against: str, now: str, by: str = "李窗口",
               facts: str = "现场核查时索要好处") -> str:
    out = sun.ok("complaint", "record", *against, "--complainant", "张投诉", "--contact",
                 "13800000000", "--channel", "phone", "--facts", facts, "--as", by, now=now).out
    return str(out.strip())


def _complaints(sun: Sunshine, now: str) -> list[dict[str, Any]]:
    return sun.json("complaint", "list", "--as", SUPERVISOR, now=now)  # type: ignore[no-any-return]


def test_complaints_are_investigated_by_their_day_and_decided_once(sun: Sunshine) -> None:
    number = _to_step(sun, "张投诉")
    first = _complaint(sun, "--case", number, "--step", "现场核查", now="2026-03-05T09:00")
    assert first == "TS2026-00001"
    on_unit = _complaint(sun, "--unit", UNIT, now="2026-03-20T09:00", facts="电话总是无人接听")
    shown = sun.json("complaint", "show", first, "--as", SUPERVISOR, now="2026-03-20T10:00")
    # 15 working days after Thursday 5 March: Thursday 26 March
    assert (shown["due_day"], shown["step"], shown["post"], shown["person"], shown["unit"]) == (
        "2026-03-26", "现场核查", "现场核查岗", "赵核查", UNIT)
    assert [c["number"] for c in _complaints(sun, "2026-03-20T10:00")] == [first, on_unit]
    late = _complaints(sun, "2026-03-27T09:00")
    assert [(c["number"], c["overdue"]) for c in late] == [(first, True), (on_unit, False)]
    # overdue first even when a newer one is open too
    newer = _complaint(sun, "--case", number, "--step", "现场核查", now="2026-03-27T10:00",
                       facts="又一次索要好处")
    assert [c["number"] for c in _complaints(sun, "2026-03-27T11:00")] == [first, on_unit, newer]

    # upheld, twice on the same case and step: two breaches, each naming 赵核查 and its complaint
    out = sun.ok("complaint", "decide", first, "--upheld", "--measure", "诫勉教育", "--findings",
                 "经调查属实", "--as", SUPERVISOR, now="2026-03-27T12:00").out
    assert "诫勉教育" in out
    sun.ok("complaint", "decide", newer, "--upheld", "--measure", "通报批评", "--findings",
           "再次属实", "--as", "纪检组", now="2026-03-27T13:00")
    breaches = [b for b in sun.show(number)["breaches"] if b["kind"] == "complaint_upheld"]
    assert sorted((b["ref"], b["person"], b["measure"], b["step_name"]) for b in breaches) == [
        (f"complaint:{first}", "赵核查", "诫勉教育", "现场核查"),
        (f"complaint:{newer}", "赵核查", "通报批评", "现场核查")]
    for b in breaches:
        linked = sun.json("complaint", "show", b["ref"].split(":")[1], "--as", SUPERVISOR,
                          now="2026-03-27T14:00")
        assert linked["breach_id"] == b["id"] and linked["status"] == "upheld"
    again = sun.fails("complaint", "decide", first, "--not-upheld", "--reasons", "改判",
                      "--as", "纪检组", now="2026-03-28T09:00")
    assert "结论不能更改" in one_line_error(again) and again.code == 5

    # not upheld: the reasons are kept, no breach
    sun.ok("complaint", "decide", on_unit, "--not-upheld", "--reasons",
           "通话记录显示均已接听", "--as", SUPERVISOR, now="2026-03-27T15:00")
    kept = sun.json("complaint", "show", on_unit, "--as", SUPERVISOR, now="2026-03-27T16:00")
    assert (kept["status"], kept["findings"], kept["breach_id"], kept["measure"]) == (
        "not_upheld", "通话记录显示均已接听", None, None)
    assert [c["number"] for c in sun.json("complaint", "list", "--open", "--as", SUPERVISOR,
                                          now="2026-03-28T09:00")] == []


def test_a_complaint_against_a_person_is_not_decided_by_that_person(sun: Sunshine) -> None:
    number = _complaint(sun, "--person", SUPERVISOR, now="2026-03-02T10:00", by=SUPERVISOR,
                        facts="接待投诉时推诿")
    self_decided = sun.fails("complaint", "decide", number, "--upheld", "--measure", "通报批评",
                             "--findings", "属实", "--as", SUPERVISOR, now="2026-03-03T09:00")
    assert self_decided.code == 9 and "本人" in one_line_error(self_decided)
    clerk = sun.fails("complaint", "decide", number, "--upheld", "--measure", "通报批评",
                      "--findings", "属实", "--as", "李窗口", now="2026-03-03T09:00")
    assert clerk.code == 9 and "作出投诉调查结论" in one_line_error(clerk)
    sun.ok("complaint", "decide", number, "--upheld", "--measure", "通报批评", "--findings",
           "属实", "--as", "纪检组长", now="2026-03-03T10:00")
    [breach] = [b for b in sun.breaches() if b["kind"] == "complaint_upheld"]
    assert (breach["case"], breach["person"], breach["measure"]) == (None, SUPERVISOR, "通报批评")
    shown = sun.json("complaint", "show", number, "--as", "纪检组", now="2026-03-03T11:00")
    assert shown["breach_id"] == breach["id"] and shown["unit"] == "县纪委监委驻县政务服务中心纪检监察组"


@pytest.mark.parametrize(("args", "words", "code"), [
    (("--case", "2026-食品-999999"), "没有办件", 4),
    (("--person", "nobody"), "没有用户", 4),
    (("--unit", "县不存在局"), "没有单位", 4),
    (("--case", "{n}", "--step", "不存在的环节"), "没有环节", 5),
    (("--case", "{n}", "--unit", UNIT), "三者选一", 5),
    ((), "三者选一", 5),
    (("--step", "现场核查"), "三者选一", 5),
])
def test_a_complaint_naming_nothing_real_is_refused_and_nothing_is_written(
        sun: Sunshine, args: tuple[str, ...], words: str, code: int) -> None:
    number = _to_step(sun, "张错误")
    args = tuple(a.format(n=number) for a in args)
    res = sun.fails("complaint", "record", *args, "--complainant", "张", "--contact", "1",
                    "--channel", "phone", "--facts", "事实", "--as", "李窗口",
                    now="2026-03-05T09:00")
    assert words in one_line_error(res) and res.code == code
    assert _complaints(sun, "2026-03-05T10:00") == []


def test_bad_complaint_input_and_roles_are_refused_and_nothing_is_written(sun: Sunshine) -> None:
    number = _to_step(sun, "张输入")
    base = ["complaint", "record", "--case", number, "--complainant", "张", "--contact", "1",
            "--channel", "phone", "--as"]
    no_facts = sun.fails(*base, "李窗口", "--facts", "  ", now="2026-03-05T09:00")
    assert "投诉事实不能为空" in one_line_error(no_facts)
    handler = sun.fails(*base, "钱科长", "--facts", "事实", now="2026-03-05T09:00")
    assert handler.code == 9 and "登记投诉" in one_line_error(handler)
    too_long = sun.fails(*base, "李窗口", "--facts", "长" * 2001, now="2026-03-05T09:00")
    assert "最多 2000 字" in one_line_error(too_long)
    assert _complaints(sun, "2026-03-05T10:00") == []
    number_ts = _complaint(sun, "--case", number, now="2026-03-05T11:00")
    no_measure = sun.fails("complaint", "decide", number_ts, "--upheld", "--findings", "属实",
                           "--as", SUPERVISOR, now="2026-03-06T09:00")
    assert "须选处理措施" in one_line_error(no_measure)
    no_findings = sun.fails("complaint", "decide", number_ts, "--upheld", "--measure",
                            "诫勉教育", "--as", SUPERVISOR, now="2026-03-06T09:00")
    assert "调查结论" in one_line_error(no_findings)
    unknown = sun.fails("complaint", "decide", "TS2026-09999", "--not-upheld", "--reasons", "x",
                        "--as", SUPERVISOR, now="2026-03-06T09:00")
    assert unknown.code == 4 and "没有投诉" in one_line_error(unknown)
    [open_one] = _complaints(sun, "2026-03-06T10:00")
    assert open_one["status"] == "open" and sun.show(number)["breaches"] == []
