"""Bad input at the CLI: a clear one-line error, a non-zero exit, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import PROCESS_FILES, ROOT, Sunshine, one_line_error
from tests.staff import CLERK, id_number

FOOD = "XK-SPJY-001"
CALENDAR = ROOT / "tests" / "fixtures" / "calendar"
LINT = ROOT / "tests" / "fixtures" / "bpmn" / "lint"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def _snapshot(sun: Sunshine, number: str) -> tuple:
    """Everything a failed command must leave alone."""
    r = sun.show(number)
    return (r["state"], r["clock"], r["promised_deadline"], len(r["history"]),
            [(s["id"], s["status"], s["person"]) for s in r["steps"]],
            len(r["breaches"]), len(r["cards"]), r["supplement_notices"])


@pytest.fixture
def received(sun: Sunshine) -> str:
    return sun.start(FOOD, "张三")


@pytest.fixture
def accepted(sun: Sunshine, received: str) -> str:
    sun.accept(received)
    return received


def test_an_unknown_case_number_is_named_in_the_error(sun: Sunshine) -> None:
    for verb in (["case", "show", "2026-食品-999999"],
                 ["case", "accept", "2026-食品-999999", "--as", "李窗口"],
                 ["task", "list", "--case", "2026-食品-999999"]):
        res = sun.fails(*verb)
        assert res.code == 4, (verb, res.err)
        assert "2026-食品-999999" in one_line_error(res)
    assert sun.json("case", "list") == []


def test_an_unknown_task_id_is_named_in_the_error(sun: Sunshine, accepted: str) -> None:
    before = _snapshot(sun, accepted)
    for verb in (["task", "complete", "no-such-task", "--as", "赵核查"],
                 ["task", "claim", "no-such-task", "--as", "赵核查"]):
        res = sun.fails(*verb)
        assert res.code == 4, (verb, res.err)
        assert "no-such-task" in one_line_error(res)
    assert _snapshot(sun, accepted) == before


def test_data_without_an_equals_sign_is_refused_before_anything_is_written(
        sun: Sunshine, accepted: str) -> None:
    res = sun.fails("case", "start", FOOD, "--applicant", "李四", "--id-number", id_number("李四"), "--as", CLERK, "--data", "commitment")
    assert res.code == 2
    assert "commitment" in one_line_error(res) and "key=value" in res.err
    assert [r["number"] for r in sun.json("case", "list")] == [accepted]

    before = _snapshot(sun, accepted)
    task_id = sun.task(accepted, "现场核查")["id"]
    res = sun.fails("task", "complete", task_id, "--as", "赵核查", "--data", "合格")
    assert "key=value" in one_line_error(res)
    assert _snapshot(sun, accepted) == before


def test_a_garbage_now_is_refused_with_an_example(sun: Sunshine, received: str) -> None:
    before = _snapshot(sun, received)
    res = sun.run_cli("--db", sun.db, "--now", "next tuesday", "case", "accept", received,
                      "--as", "李窗口")
    assert res.code == 2
    line = one_line_error(res)
    assert "next tuesday" in line and "2026-03-02T09:30" in line
    assert _snapshot(sun, received) == before


def test_a_supplement_request_without_items_is_refused(sun: Sunshine, received: str) -> None:
    before = _snapshot(sun, received)
    res = sun.fails("case", "supplement", received, "--as", "李窗口", "--item", " ")
    assert res.code == 5
    assert "--item" in one_line_error(res)
    res = sun.fails("case", "supplement", received, "--as", "李窗口")
    assert "--item" in res.err
    assert _snapshot(sun, received) == before


def test_a_refusal_without_reasons_is_refused(sun: Sunshine, received: str) -> None:
    before = _snapshot(sun, received)
    res = sun.fails("case", "refuse", received, "--as", "李窗口", "--reason", "  ")
    assert "--reason" in one_line_error(res)
    res = sun.fails("case", "refuse", received, "--as", "李窗口")
    assert "--reason" in res.err
    assert _snapshot(sun, received) == before
    assert sun.show(received)["state"] == "received"


def test_a_decision_other_than_approve_or_refuse_is_refused(sun: Sunshine, accepted: str) -> None:
    sun.complete(accepted, "现场核查", "赵核查")
    sun.complete(accepted, "审核", "钱科长")
    before = _snapshot(sun, accepted)
    task_id = sun.task(accepted, "审批决定")["id"]
    res = sun.fails("task", "complete", task_id, "--as", "王局长", "--data", "decision=maybe")
    assert res.code == 5
    line = one_line_error(res)
    assert "maybe" in line and "approve" in line and "refuse" in line
    assert _snapshot(sun, accepted) == before
    assert sun.task(accepted, "审批决定")["status"] == "ready"


def test_accepting_an_already_accepted_case_is_refused(sun: Sunshine, accepted: str) -> None:
    before = _snapshot(sun, accepted)
    res = sun.fails("case", "accept", accepted, "--as", "李窗口", now="2026-03-03T09:00")
    assert res.code == 5
    assert accepted in one_line_error(res)
    assert _snapshot(sun, accepted) == before
    assert sun.show(accepted)["accepted_at"].startswith("2026-03-02")


def test_a_second_supplement_request_needs_its_reason_and_is_recorded_as_a_breach(
        sun: Sunshine, received: str) -> None:
    sun.ok("case", "supplement", received, "--as", "李窗口", "--item", "健康证明")
    sun.ok("case", "supplemented", received, "--as", "李窗口", now="2026-03-03T09:00")
    before = _snapshot(sun, received)

    res = sun.fails("case", "supplement", received, "--as", "李窗口", "--item", "租赁合同",
                    now="2026-03-03T10:00")
    assert res.code == 5
    line = one_line_error(res)
    assert "一次性告知" in line and "--why" in line
    assert _snapshot(sun, received) == before

    sun.ok("case", "supplement", received, "--as", "李窗口", "--item", "租赁合同",
           "--why", "申请人变更了经营场所", now="2026-03-03T10:00")
    record = sun.show(received)
    assert record["state"] == "in_correction"
    assert len(record["supplement_notices"]) == 2
    [breach] = record["breaches"]
    assert breach["kind"] == "second_notice"
    assert (breach["post"], breach["person"]) == ("窗口受理岗", "李窗口")
    assert "申请人变更了经营场所" in breach["facts"]
    assert record["audit_chain"] == "intact"


@pytest.mark.parametrize("name", sorted(p.name for p in CALENDAR.glob("bad_*.toml")))
def test_a_broken_calendar_file_is_refused_and_the_stored_year_is_untouched(
        sun: Sunshine, name: str) -> None:
    sun.ok("calendar", "import", CALENDAR / "2027.toml", "--as", "admin")
    good = sun.ok("calendar", "show", "2027").out
    res = sun.fails("calendar", "import", CALENDAR / name, "--as", "admin")
    assert res.code == 7
    assert name in one_line_error(res)
    assert sun.ok("calendar", "show", "2027").out == good


def test_a_broken_calendar_file_imports_nothing_into_an_empty_database(
        sun: Sunshine) -> None:
    res = sun.fails("calendar", "import", CALENDAR / "bad_weekday_workday.toml", "--as", "admin")
    assert "2027-02-15" in one_line_error(res)
    shown = sun.ok("calendar", "show", "2027").out  # the year as it was (estimated), untouched
    assert "2027-02-15" not in shown and "TEST DATA" not in shown


def test_a_deploy_with_a_file_that_fails_lint_deploys_nothing(
        run_cli, sqlite_url: str, tmp_path: Path) -> None:
    sun = Sunshine(run_cli, sqlite_url)
    sun.ok("db", "upgrade")
    sun.ok("user", "add", "admin", "--name", "管理员", "--unit", "县政务服务中心", "--role", "admin")
    sun.ok("user", "add", "designer", "--name", "设计员", "--unit", "县政务服务中心",
           "--role", "designer", "--as", "admin")
    res = sun.fails("deploy", *PROCESS_FILES, LINT / "bad_category.bpmn", "--as", "designer")
    assert res.code == 3
    assert "test_bad_category" in res.err and "不存在的类别" in res.err
    assert res.out == ""
    assert sun.json("powers", "list") == []

    sun.ok("deploy", *PROCESS_FILES, "--as", "designer")
    before = sun.json("powers", "list")
    res = sun.fails("deploy", LINT / "promised_over_two_thirds.bpmn", "--as", "designer")
    assert "test_promised_over_two_thirds" in res.err
    assert sun.json("powers", "list") == before


def test_a_deploy_of_a_changed_file_that_fails_lint_keeps_the_deployed_version(
        sun: Sunshine, tmp_path: Path) -> None:
    source = (ROOT / "processes" / "food_business_licence.bpmn").read_text(encoding="utf-8")
    broken = tmp_path / "food_business_licence.bpmn"
    broken.write_text(source.replace('promisedLimit="10"', 'promisedLimit="18"'), encoding="utf-8")
    before = sun.json("powers", "list")
    res = sun.fails("deploy", broken, "--as", "designer")
    assert res.code == 3 and "food_business_licence" in res.err
    assert sun.json("powers", "list") == before
    number = sun.start(FOOD, "张三")
    sun.accept(number)
    assert sun.show(number)["promised_deadline"] == "2026-03-16"


def test_an_application_without_an_applicant_name_is_refused(sun: Sunshine) -> None:
    res = sun.fails("case", "start", FOOD, "--applicant", "   ", "--id-number", id_number("   "), "--as", CLERK)
    assert "--applicant" in one_line_error(res)
    assert sun.json("case", "list") == []


def test_resuming_a_clock_that_is_not_stopped_is_refused(sun: Sunshine, accepted: str) -> None:
    before = _snapshot(sun, accepted)
    res = sun.fails("case", "resume", accepted, "--as", "赵核查")
    assert res.code == 5
    assert "not stopped" in one_line_error(res)
    assert _snapshot(sun, accepted) == before


def test_deciding_an_unknown_breach_is_refused(sun: Sunshine) -> None:
    res = sun.fails("breach", "decide", "999", "--measure", "诫勉教育", "--reasons", "x",
                    "--as", "纪检组长")
    assert res.code == 4
    assert "999" in one_line_error(res)


def test_acting_on_a_closed_case_is_refused(sun: Sunshine, received: str) -> None:
    sun.ok("case", "refuse", received, "--as", "李窗口", "--reason", "不属于受理范围")
    before = _snapshot(sun, received)
    for verb in (["case", "accept", received, "--as", "李窗口"],
                 ["case", "supplement", received, "--as", "李窗口", "--item", "申请书"],
                 ["case", "cancel", received, "--as", "李窗口"]):
        res = sun.fails(*verb)
        assert res.code == 5, (verb, res.err)
        assert received in one_line_error(res)
    assert _snapshot(sun, received) == before
