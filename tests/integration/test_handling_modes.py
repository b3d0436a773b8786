"""Handling modes and the time rules around a case, with time travel, on SQLite and PostgreSQL.

Deadlines below were counted by hand on the 2026 State Council schedule (Qingming 4–6 Apr,
Labour Day 1–5 May with Sat 9 May worked).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from engine.errors import Conflict, InvalidAction
from engine.model import CaseState
from engine.services import cases as svc
from engine.services import handling
from engine.services.supervision import case_record
from engine.services.sweep import sweep
from tests.conftest import MovableClock
from tests.staff import CLERK, A, person  # noqa: F401

FOOD = "XK-SPJY-001"


def at(text: str) -> dt.datetime:
    from adapters.cli.common import parse_now

    return parse_now(text)


def open_steps(env, number):  # noqa: ANN001, ANN201
    with env.uow() as uow:
        case = uow.cases.get(number)
        return uow.steps.list(case_id=case.id)


def complete(env, number, name, user="经办人", **data):  # noqa: ANN001, ANN201
    """Complete the step a minute after it arrived (work is never dated before its step)."""
    step = next(s for s in open_steps(env, number) if s.name == name)
    return svc.complete_task(env, step.id, actor=A(user), data=data,
                             now=step.ready_at + dt.timedelta(minutes=1))


def accepted_food_case(env, when="2026-03-02T09:00"):  # noqa: ANN001, ANN201
    case = svc.start_case(env, FOOD, person("张三"), now=at(when), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"), now=at(when))
    return case.number


def test_an_approved_extension_moves_both_deadlines_and_the_applicant_is_told_why(env):
    number = accepted_food_case(env)  # promised 03-16, statutory 03-30
    handling.request_extension(env, number, actor=A("李承办"), reason="需补充调查", days=10,
                               now=at("2026-03-20T10:00"))
    handling.decide_extension(env, number, approve=True, actor=A("局长"), reason="同意延期",
                              now=at("2026-03-20T11:00"))
    record = case_record(env, number)
    assert record["statutory_deadline"] == "2026-04-14"  # 03-30 + 10 WD over Qingming
    assert record["promised_deadline"] == "2026-03-30"
    assert record["extended_days"] == 10
    assert record["extensions"][0]["decision"] == "approved"
    notices = [e for e in record["history"] if e["kind"] == "applicant_notified"]
    assert "需补充调查" in notices[-1]["payload"]["text"]


def test_an_extension_asked_after_the_statutory_deadline_is_refused_and_is_a_breach(env):
    number = accepted_food_case(env)
    ext = handling.request_extension(env, number, actor=A("李承办"), reason="来不及", days=5,
                                     now=at("2026-03-31T09:00"))
    assert ext.decision == "refused"
    record = case_record(env, number)
    assert record["statutory_deadline"] == "2026-03-30"  # unchanged
    assert [b["kind"] for b in record["breaches"]] == ["late_extension"]


def test_an_extension_longer_than_the_law_allows_is_refused_with_the_limit(env):
    number = accepted_food_case(env)
    with pytest.raises(InvalidAction, match="1 to 10 working days"):
        handling.request_extension(env, number, actor=A("李"), reason="x", days=11,
                                   now=at("2026-03-05T09:00"))


def test_a_special_procedure_stops_the_clock_and_every_deadline_moves_by_the_days_stopped(env):
    number = accepted_food_case(env)  # promised 03-16, statutory 03-30
    handling.start_special(env, number, actor=A("李"), kind="专家评审", reason="技术复杂",
                           expected_days=10, now=at("2026-03-09T09:00"))
    assert case_record(env, number)["state"] == CaseState.IN_SPECIAL.value
    # nothing fires while the clock is stopped, even long past the old promised deadline
    assert sweep(env, at("2026-03-20T12:00")).by_kind.get("case_overdue") is None
    handling.end_special(env, number, actor=A("李"), result="专家意见：可行",
                         now=at("2026-03-23T09:00"))
    record = case_record(env, number)
    # stopped Mon 03-09 … Fri 03-20: 10 working days (the worked example of DOMAIN-REFERENCE 1.1)
    assert record["working_days_stopped"] == 10
    assert record["statutory_deadline"] == "2026-04-14"
    assert record["promised_deadline"] == "2026-03-30"
    stop = record["clock_stops"][0]
    assert (stop["special"], stop["working_days"], stop["result"]) == ("专家评审", 10, "专家意见：可行")


def test_a_second_supplement_request_is_refused_unless_the_clerk_says_why(env):
    case = svc.start_case(env, FOOD, person("张三"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.request_supplement(env, case.number, actor=A("王窗口"), items=["健康证明", "平面图"],
                           now=at("2026-03-02T09:30"))
    svc.supplement_received(env, case.number, actor=A("王窗口"), now=at("2026-03-03T09:00"))
    with pytest.raises(InvalidAction, match="一次性告知"):
        svc.request_supplement(env, case.number, actor=A("王窗口"), items=["营业执照"],
                               now=at("2026-03-03T09:10"))
    svc.request_supplement(env, case.number, actor=A("王窗口"), items=["营业执照"],
                           why_not_in_first_notice="申请人变更了经营场所",
                           now=at("2026-03-03T09:20"))
    breaches = case_record(env, case.number)["breaches"]
    assert [(b["kind"], b["person"]) for b in breaches] == [("second_notice", "王窗口")]


def test_the_limit_counts_from_acceptance_after_a_supplement_before_acceptance(env):
    case = svc.start_case(env, FOOD, person("张三"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.request_supplement(env, case.number, actor=A("王窗口"), items=["健康证明"],
                           now=at("2026-03-02T09:30"))
    svc.supplement_received(env, case.number, actor=A("王窗口"), now=at("2026-03-06T15:00"))
    svc.accept(env, case.number, actor=A("王窗口"), now=at("2026-03-06T15:10"))
    assert case_record(env, case.number)["promised_deadline"] == "2026-03-20"  # 03-06 + 10 WD


def test_without_acceptance_or_notice_in_five_working_days_the_case_counts_as_accepted_on_receipt(env):
    case = svc.start_case(env, FOOD, person("张三"), now=at("2026-04-01T10:00"), actor=A(CLERK))
    report = sweep(env, at("2026-04-10T09:00"))  # receipt 04-01 + 5 WD (Qingming) = 04-09
    assert report.by_kind.get("acceptance_due") == 1
    record = case_record(env, case.number)
    assert record["deemed_accepted"] is True
    assert record["accepted_at"] == record["received_at"]
    assert record["promised_deadline"] == "2026-04-16"  # 04-01 + 10 WD over Qingming


def test_gaps_not_made_up_in_time_terminate_the_case_and_flag_the_applicant(env):
    case = svc.start_case(env, FOOD, person("赵五"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    handling.accept_with_gaps(env, case.number, actor=A("王窗口"), missing=["从业人员健康证明"],
                              commitment_signed=True, makeup_days=3, now=at("2026-03-02T09:30"))
    sweep(env, at("2026-03-06T08:00"))
    record = case_record(env, case.number)
    assert record["state"] == "terminated" and record["result"] == "terminated"
    assert record["applicant_flags"][0]["kind"] == "gaps_not_made_up"
    again = svc.start_case(env, FOOD, person("赵五"), now=at("2026-03-09T09:00"), actor=A(CLERK))
    with pytest.raises(InvalidAction, match="cannot be accepted with gaps"):
        handling.accept_with_gaps(env, again.number, actor=A("王窗口"),
                                  missing=["从业人员健康证明"], commitment_signed=True,
                                  now=at("2026-03-09T09:30"))


def test_a_flag_follows_the_certificate_not_the_name(env):
    """Two applicants called 张伟: the one who broke the 容缺 commitment is flagged; the other's
    cases know nothing of it (they are told apart by ID number, not by name)."""
    flagged, namesake = person("张伟", number="110101199003070011"), person(
        "张伟", number="330102198507210033")
    case = svc.start_case(env, FOOD, flagged, now=at("2026-03-02T09:00"), actor=A(CLERK))
    handling.accept_with_gaps(env, case.number, actor=A("王窗口"), missing=["从业人员健康证明"],
                              commitment_signed=True, makeup_days=3, now=at("2026-03-02T09:30"))
    sweep(env, at("2026-03-06T08:00"))
    assert case_record(env, case.number)["applicant_flags"][0]["kind"] == "gaps_not_made_up"
    other = svc.start_case(env, FOOD, namesake, now=at("2026-03-09T09:00"), actor=A(CLERK))
    assert case_record(env, other.number)["applicant_flags"] == []
    handling.accept_with_gaps(env, other.number, actor=A("王窗口"), missing=["从业人员健康证明"],
                              commitment_signed=True, now=at("2026-03-09T09:30"))
    assert case_record(env, other.number)["state"] == "accepted"
    again = svc.start_case(env, FOOD, flagged, now=at("2026-03-09T10:00"), actor=A(CLERK))
    assert [f["kind"] for f in case_record(env, again.number)["applicant_flags"]] == [
        "gaps_not_made_up"]


def test_a_key_material_cannot_be_missing_under_accept_with_gaps(env):
    case = svc.start_case(env, FOOD, person("张三"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    key = "食品经营许可申请书"
    with pytest.raises(InvalidAction, match="key material"):
        handling.accept_with_gaps(env, case.number, actor=A("王窗口"), missing=[key],
                                  commitment_signed=True, now=at("2026-03-02T09:30"))
    assert case_record(env, case.number)["state"] == "received"  # nothing half-written


def test_gaps_made_up_in_time_end_as_completed_with_gaps(env):
    case = svc.start_case(env, FOOD, person("钱六"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    handling.accept_with_gaps(env, case.number, actor=A("王窗口"), missing=["从业人员健康证明"],
                              commitment_signed=True, now=at("2026-03-02T09:30"))
    handling.gaps_made_up(env, case.number, actor=A("王窗口"), now=at("2026-03-04T09:00"))
    for name, data in (("现场核查", {}), ("审核", {}), ("审批决定", {"decision": "approve"}),
                       ("制证发证", {})):
        complete(env, case.number, name, **data)
    record = case_record(env, case.number)
    assert record["state"] == "approved_with_gaps" and record["platform_code"] == 12


def test_a_false_commitment_found_at_the_follow_up_check_revokes_the_licence(env):
    case = svc.start_case(env, "XK-GGWS-001", person("孙七"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"), data={"commitment": True},
               now=at("2026-03-02T09:10"))
    names = [s.name for s in open_steps(env, case.number)]
    while True:
        steps = open_steps(env, case.number)
        if not steps:
            break
        step = steps[0]
        data = {"decision": "approve"} if step.role == "decision" else {}
        if step.role == "followup":
            data = {"followup_ok": False, "opinion": "承诺的检测报告不存在"}
        svc.complete_task(env, step.id, actor=A("经办人"), data=data,
                          now=step.ready_at + dt.timedelta(minutes=1))
    record = case_record(env, case.number)
    assert names and record["state"] == "revoked" and record["platform_code"] == 15
    assert [f["kind"] for f in record["applicant_flags"]] == ["false_commitment"]
    followup = next(s for s in record["steps"] if s["role"] == "followup")
    assert followup["limit_days"] is not None and followup["due"] is not None


def test_an_on_the_spot_case_still_open_at_the_end_of_the_working_day_gets_a_yellow_card(env):
    case = svc.start_case(env, "QR-GTDJ-001", person("周八"), now=at("2026-03-02T10:00"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"), now=at("2026-03-02T10:05"))
    assert sweep(env, at("2026-03-02T23:00")).fired == 0
    sweep(env, at("2026-03-03T00:01"))
    cards = case_record(env, case.number)["cards"]
    assert {c["kind"] for c in cards} >= {"yellow", "red"}


def test_a_joint_department_silent_past_its_step_deadline_counts_as_consenting(env):
    case = svc.start_case(env, "XK-DLWJ-001", person("吴九"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"), now=at("2026-03-02T09:10"))
    posts = {s.name: s.post for s in open_steps(env, case.number)}
    assert {"现场勘查", "交通安全意见"} <= set(posts)  # both departments at once
    complete(env, case.number, "现场勘查")
    complete(env, case.number, "市政设施审查")
    sweep(env, at("2026-03-07T09:00"))  # traffic police limit 4 WD: due end of 03-06
    record = case_record(env, case.number)
    traffic = next(s for s in record["steps"] if s["name"] == "交通安全意见")
    assert traffic["outcome"] == "absent_consent" and traffic["data"]["consent"] is True
    breach = next(b for b in record["breaches"] if b["kind"] == "absent_consent")
    assert breach["post"] == posts["交通安全意见"]
    assert any(s["name"] == "审批决定" and s["status"] == "ready" for s in record["steps"])


def test_the_higher_organ_limit_runs_from_its_receipt_in_a_reported_case(env):
    case = svc.start_case(env, "XK-QSXK-001", person("郑十"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("县窗口"), now=at("2026-03-02T09:10"))
    before = case_record(env, case.number)["statutory_deadline"]
    while True:
        steps = open_steps(env, case.number)
        if not steps or case_record(env, case.number).get("statutory_deadline") != before:
            break
        svc.complete_task(env, steps[0].id, actor=A("县经办"), data={},
                          now=at("2026-03-09T09:00"))
    record = case_record(env, case.number)
    assert before == "2026-03-30"
    assert record["statutory_deadline"] == "2026-04-07"  # forwarded 03-09 + 20 WD
    assert any(e["kind"] == "forwarded_to_higher_organ" for e in record["history"])


def test_two_people_completing_the_same_step_at_once_exactly_one_wins(env):
    number = accepted_food_case(env)
    step = open_steps(env, number)[0]
    results: list[object] = []
    barrier = threading.Barrier(2)

    def worker(user: str) -> None:
        barrier.wait()
        try:
            svc.complete_task(env, step.id, actor=A(user), data={"opinion": user})
            results.append("ok")
        except Conflict as err:
            results.append(err)

    threads = [threading.Thread(target=worker, args=(u,)) for u in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    record = case_record(env, number)
    done = [s for s in record["steps"] if s["name"] == step.name]
    assert len(done) == 1 and done[0]["status"] == "completed"
    assert record["audit_chain"] == "intact"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(at("2026-03-02T09:00"))


def test_a_licence_issued_on_time_gets_no_red_card_during_its_follow_up_check(env):
    case = svc.start_case(env, "XK-GGWS-001", person("冯一"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"), data={"commitment": True},
               now=at("2026-03-02T09:10"))
    while True:
        step = open_steps(env, case.number)[0]
        if step.role == "followup":
            break
        data = {"decision": "approve"} if step.role == "decision" else {}
        svc.complete_task(env, step.id, actor=A("经办人"), data=data, now=at("2026-03-03T09:00"))
    sweep(env, at("2026-04-20T09:00"))  # long past the promised deadline, follow-up still open
    record = case_record(env, case.number)
    assert record["clock"] == "stopped"
    assert not [c for c in record["cards"] if c["kind"] == "red"]
    assert [c["kind"] for c in record["cards"] if c["against"] == "step"]  # the follow-up's own


def test_a_not_counted_step_running_past_its_expected_duration_gets_a_yellow_card(env):
    case = svc.start_case(env, "XK-PSXK-001", person("陈二"), now=at("2026-03-02T09:00"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"), now=at("2026-03-02T09:10"))
    step = open_steps(env, case.number)[0]
    svc.complete_task(env, step.id, actor=A("经办人"), data={"needs_testing": True},
                      now=at("2026-03-03T09:00"))
    testing = next(s for s in open_steps(env, case.number) if not s.counted)
    sweep(env, at("2026-05-01T09:00"))
    record = case_record(env, case.number)
    assert record["clock"] == "suspended"
    assert any(c["kind"] == "yellow" and c["task_id"] == testing.id for c in record["cards"])
    assert not [c for c in record["cards"] if c["kind"] == "red"]  # the case clock is stopped
