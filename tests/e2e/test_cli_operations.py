"""Operator and clerk conveniences through the CLI: options anywhere, Chinese state names,
failed deadlines set aside and retried, releasing a claim, the receipt."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, PROCESSES

T = "2026-03-02T10:00"  # a fixed time for every verb that does not travel on purpose


def _setup(run_cli, url):  # noqa: ANN001, ANN202
    assert run_cli("--db", url, "db", "upgrade").code == 0
    assert run_cli("--db", url, "--now", "2026-03-01T09:00", "deploy", *sorted(str(p) for p in PROCESSES.glob("*.bpmn"))).code == 0


def test_now_and_db_may_follow_the_verb(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    r = run_cli("case", "start", "XK-SPJY-001", "--applicant", "张三", "--db", sqlite_url,
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
            "--applicant", "张三")
    by_label = run_cli("--db", sqlite_url, "--now", T, "case", "list", "--state", "已收件", "--json")
    by_value = run_cli("--db", sqlite_url, "--now", T, "case", "list", "--state", "received", "--json")
    assert by_label.code == 0 and json.loads(by_label.out) == json.loads(by_value.out)
    assert len(json.loads(by_label.out)) == 1
    bad = run_cli("--db", sqlite_url, "--now", T, "case", "list", "--state", "不存在")
    assert bad.code != 0 and "已受理" in bad.err


def test_a_deadline_that_fails_is_set_aside_and_runs_after_the_cause_is_fixed(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", "2026-12-14T09:00", "case", "start",
                     "XK-SPJY-001", "--applicant", "张三").out.strip()
    r = run_cli("--db", sqlite_url, "--now", "2026-12-23T09:00", "timers", "run-once")
    assert r.code == 7 and "2027" in r.err and "timers retry" in r.err
    record = json.loads(run_cli("--db", sqlite_url, "--now", T, "case", "show", number, "--json").out)
    assert record["accepted_at"] is None  # nothing half-written by the failed firing
    assert any(e["kind"] == "timer_failed" for e in record["history"])
    assert run_cli("--db", sqlite_url, "--now", T, "calendar", "import",
                   str(FIXTURES / "calendar" / "2027.toml")).code == 0
    assert "requeued 1" in run_cli("--db", sqlite_url, "--now", T, "timers", "retry").out
    r = run_cli("--db", sqlite_url, "--now", "2026-12-23T09:00", "timers", "run-once")
    assert r.code == 0, r.err
    record = json.loads(run_cli("--db", sqlite_url, "--now", T, "case", "show", number, "--json").out)
    assert record["deemed_accepted"] is True and record["statutory_deadline"].startswith("2027-")


def test_a_claimed_step_can_be_released_for_someone_else(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", T, "case", "start", "XK-SPJY-001", "--applicant",
                     "张三").out.strip()
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
    number = run_cli("--db", sqlite_url, "--now", T, "case", "start", "XK-SPJY-001", "--applicant",
                     "张三").out.strip()
    run_cli("--db", sqlite_url, "--now", T, "case", "refuse", number, "--as", "王窗口", "--reason",
            "不属于本机关职权范围")
    r = run_cli("--db", sqlite_url, "--now", T, "case", "receipt", number)
    assert "不予受理通知书" in r.out and "不属于本机关职权范围" in r.out and "行政复议" in r.out


def test_a_decision_step_without_a_decision_says_what_to_pass(run_cli, sqlite_url):
    _setup(run_cli, sqlite_url)
    number = run_cli("--db", sqlite_url, "--now", T, "case", "start", "QR-GTDJ-001", "--applicant",
                     "张三").out.strip()
    run_cli("--db", sqlite_url, "--now", T, "case", "accept", number, "--as", "王窗口")
    task = json.loads(run_cli("--db", sqlite_url, "--now", T, "task", "list", "--case", number,
                              "--json").out)[0]["id"]
    r = run_cli("--db", sqlite_url, "--now", T, "task", "complete", task, "--as", "李")
    assert r.code != 0 and "decision=approve" in r.err
