"""Operator and clerk conveniences through the CLI: options anywhere, Chinese state names,
failed deadlines set aside and retried, releasing a claim, the receipt."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES
from tests.e2e.helpers import Sunshine
from tests.staff import CLERK, id_number

T = "2026-03-02T10:00"  # a fixed time for every verb that does not travel on purpose


def _setup(run_cli, url):  # noqa: ANN001, ANN202
    assert run_cli("--db", url, "db", "upgrade").code == 0
    Sunshine(run_cli, url, now="2026-03-01T09:00").setup()


def test_now_and_db_may_follow_the_verb(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    r = run_cli("case", "start", "XK-SPJY-001", "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK, "--db", sqlite_url,
                "--now", "2026-03-02T09:00")
    assert r.code == 0, r.err
    number = r.out.strip()
    r = run_cli("case", "accept", number, "--as", "王窗口", "--now=2026-03-02T10:00",
                "--db", sqlite_url)
    assert r.code == 0, r.err
    assert "2026-03-16" in r.out


def test_case_list_accepts_the_chinese_state_name(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    run_cli("--db", sqlite_url, "--now", "2026-03-02T09:00", "case", "start", "XK-SPJY-001",
            "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK)
    by_label = run_cli("--db", sqlite_url, "--now", T, "case", "list", "--state", "已收件", "--json")
    by_value = run_cli("--db", sqlite_url, "--now", T, "case", "list", "--state", "received", "--json")
    assert by_label.code == 0 and json.loads(by_label.out) == json.loads(by_value.out)
    assert len(json.loads(by_label.out)) == 1
    bad = run_cli("--db", sqlite_url, "--now", T, "case", "list", "--state", "不存在")
    assert bad.code != 0 and "已受理" in bad.err


def test_a_deadline_in_a_year_without_a_schedule_is_provisional_and_recounted_on_import(
        run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    # 2027 has no State Council schedule yet: it is counted on an estimate from the holiday law
    number = run_cli("--db", sqlite_url, "--now", "2027-01-25T09:00", "case", "start",
                     "XK-SPJY-001", "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK).out.strip()
    r = run_cli("--db", sqlite_url, "--now", "2027-01-25T10:00", "case", "accept", number,
                "--as", "王窗口")
    assert r.code == 0, r.err
    record = json.loads(run_cli("--db", sqlite_url, "--now", T, "case", "show", number, "--json").out)
    assert record["statutory_provisional"] and record["promised_provisional"]
    # 10 working days over the estimated 春节 (除夕 02-05 to 02-10)
    assert record["promised_deadline"] == "2027-02-12"
    # the (test) State Council schedule for 2027 arrives: the running case is recounted on it
    r = run_cli("--db", sqlite_url, "--now", "2026-12-24T09:00", "calendar", "import",
                str(FIXTURES / "calendar" / "2027.toml"), "--as", "admin")
    assert r.code == 0, r.err
    assert "1 moved" in r.out and number in r.out
    record = json.loads(run_cli("--db", sqlite_url, "--now", T, "case", "show", number, "--json").out)
    assert record["statutory_provisional"] is False and record["provisional_deadlines"] is False
    # the fixture's 春节 runs to 02-13 with 01-30 worked: the 10th working day is 02-15
    assert record["promised_deadline"] == "2027-02-15"
    [event] = [e for e in record["history"] if e["kind"] == "deadlines_recomputed"]
    assert event["payload"]["changes"]["promised"] == ["2027-02-12", "2027-02-15"]
    assert record["audit_chain"] == "intact"


def test_a_claimed_step_can_be_released_for_someone_else(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", T, "case", "start", "XK-SPJY-001", "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK).out.strip()
    run_cli("--db", sqlite_url, "--now", T, "case", "accept", number, "--as", "王窗口")
    task = json.loads(run_cli("--db", sqlite_url, "--now", T, "task", "list", "--case", number,
                              "--json").out)[0]["id"]
    assert run_cli("--db", sqlite_url, "--now", T, "task", "claim", task, "--as", "甲").code == 0
    blocked = run_cli("--db", sqlite_url, "--now", T, "task", "complete", task, "--as", "乙")
    assert blocked.code != 0 and "task release" in blocked.err
    assert run_cli("--db", sqlite_url, "--now", T, "task", "release", task, "--as", "科长",
                   "--reason", "甲请假").code == 0
    assert run_cli("--db", sqlite_url, "--now", T, "task", "complete", task, "--as", "乙").code == 0


def test_the_receipt_of_a_refused_application_gives_the_reasons_and_remedies(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", T, "case", "start", "XK-SPJY-001", "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK).out.strip()
    run_cli("--db", sqlite_url, "--now", T, "case", "refuse", number, "--as", "王窗口", "--reason",
            "不属于本机关职权范围")
    r = run_cli("--db", sqlite_url, "--now", T, "case", "receipt", number)
    assert "不予受理通知书" in r.out and "不属于本机关职权范围" in r.out and "行政复议" in r.out


def test_a_decision_step_without_a_decision_says_what_to_pass(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", T, "case", "start", "QR-GTDJ-001", "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK).out.strip()
    run_cli("--db", sqlite_url, "--now", T, "case", "accept", number, "--as", "王窗口")
    task = json.loads(run_cli("--db", sqlite_url, "--now", T, "task", "list", "--case", number,
                              "--json").out)[0]["id"]
    r = run_cli("--db", sqlite_url, "--now", T, "task", "complete", task, "--as", "李")
    assert r.code != 0 and "decision=approve" in r.err


def test_accept_with_gaps_prints_the_make_up_day_and_the_promised_deadline(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", "2026-03-04T09:00", "case", "start",
                     "XK-SPJY-001", "--applicant", "赵七", "--id-number", id_number("赵七"), "--as", CLERK).out.strip()
    r = run_cli("--db", sqlite_url, "--now", "2026-03-05T09:00", "case", "accept-gaps", number,
                "--as", "王窗口", "--missing", "从业人员健康证明", "--commitment-signed",
                "--makeup-days", "3")
    assert r.code == 0, r.err
    assert "make up by 2026-03-10" in r.out and "promised by 2026-03-19" in r.out
    record = json.loads(run_cli("--db", sqlite_url, "--now", T, "case", "show", number, "--json").out)
    assert record["gaps"]["items"] == ["从业人员健康证明"] and record["state"] == "accepted"


def test_a_date_counted_on_an_estimated_year_is_marked_provisional_where_the_clerk_reads_it(
        run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", "2026-12-18T09:00", "case", "start",
                     "XK-SPJY-001", "--applicant", "蒋十四", "--id-number", id_number("蒋十四"), "--as", CLERK).out.strip()
    r = run_cli("--db", sqlite_url, "--now", "2026-12-21T09:10", "case", "accept", number,
                "--as", "王窗口")
    assert r.code == 0, r.err
    assert "promised by 2027-01-05（暂定）" in r.out and "statutory by 2027-01-19（暂定）" in r.out
    receipt = run_cli("--db", sqlite_url, "--now", "2026-12-21T09:12", "case", "receipt", number)
    assert receipt.code == 0 and "估算" in receipt.out and "重新计算" in receipt.out


def test_a_special_procedure_past_its_expected_days_is_carded_while_the_clock_stays_stopped(
        run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", "2026-03-02T09:00", "case", "start",
                     "XK-SPJY-001", "--applicant", "张三", "--id-number", id_number("张三"), "--as", CLERK).out.strip()
    assert run_cli("--db", sqlite_url, "--now", "2026-03-02T10:00", "case", "accept", number,
                   "--as", "王窗口").code == 0
    r = run_cli("--db", sqlite_url, "--now", "2026-03-04T09:00", "case", "special", "start",
                number, "--as", "科长", "--type", "专家评审", "--reason", "技术复杂",
                "--expected-days", "5")
    assert r.code == 0, r.err
    assert run_cli("--db", sqlite_url, "--now", "2026-03-12T09:00", "timers", "run-once").code == 0
    cards = json.loads(run_cli("--db", sqlite_url, "--now", T, "cards", "list", "--json").out)
    assert [(c["kind"], c["against"]) for c in cards if c["against"] == "stop1"] == [
        ("yellow", "stop1"), ("warning", "stop1")]
    record = json.loads(run_cli("--db", sqlite_url, "--now", T, "case", "show", number, "--json").out)
    assert record["state"] == "in_special" and record["clock"] == "suspended"
    assert record["audit_chain"] == "intact"
