"""The case use cases (engine.services) on the in-memory fakes: receive, accept, supplement,
decide, refuse, withdraw, and the guarantees around them — case numbers, deadlines, optimistic
locking, all-or-nothing changes and an intact audit chain. The shipped processes are deployed
with catalogue_admin.deploy, exactly as `sunshine deploy` does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import FakeClock, MemoryDatabase, memory_env
from engine.errors import (
    Conflict,
    InvalidAction,
    LintFailed,
    PowerNotAvailable,
    ScriptError,
)
from engine.model import (
    CaseState,
    ClockState,
    StepRecord,
    TaskStatus,
    Timer,
    TimerKind,
)
from engine.services import cases
from engine.services.catalogue_admin import deploy, list_powers, reinstate_power, withdraw_power
from engine.services.context import Env
from engine.services.supervision import case_record
from tests.staff import CLERK, A, person  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
FOOD = "XK-SPJY-001"
MONDAY = "2026-03-02T09:00"  # Monday 2 March 2026, 09:00 Asia/Shanghai


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture(scope="module")
def deployed() -> MemoryDatabase:
    """Every shipped process deployed once; each test works on its own copy."""
    e = memory_env(FakeClock(MONDAY))
    deploy(e, PROCESSES, actor=A("designer"))
    return db(e)


@pytest.fixture
def env(clock: FakeClock, deployed: MemoryDatabase) -> Env:
    e = memory_env(clock)
    e.uow = deployed.clone()
    return e


def db(env: Env) -> MemoryDatabase:
    assert isinstance(env.uow, MemoryDatabase)
    return env.uow


def open_steps(env: Env, number: str) -> list[StepRecord]:
    with env.uow() as uow:
        case = uow.cases.get(number)
        return uow.steps.list(case_id=case.id, status="ready")


def step_named(env: Env, number: str, name: str) -> StepRecord:
    found = [s for s in open_steps(env, number) if s.name == name]
    assert found, f"{name} is not open; open: {[s.name for s in open_steps(env, number)]}"
    return found[0]


def complete(env: Env, clock: FakeClock, number: str, name: str, user: str, at: str,
             **data: Any) -> Any:
    clock.set(at)
    return cases.complete_task(env, step_named(env, number, name).id, actor=A(user), data=data)


def pending_timers(env: Env, number: str) -> list[Timer]:
    return cases.find_case(env, number).pending_timers("pending")


def started(env: Env, applicant: str = "张三餐饮店", code: str = FOOD) -> Any:
    return cases.start_case(env, code, person(applicant), actor=A(CLERK))


def accepted(env: Env, applicant: str = "张三餐饮店", code: str = FOOD) -> Any:
    case = started(env, applicant, code)
    return cases.accept(env, case.number, actor=A("李窗口"))


def to_decision(env: Env, clock: FakeClock, number: str) -> None:
    complete(env, clock, number, "现场核查", "赵核查", "2026-03-04T10:00", opinion="场所符合要求")
    complete(env, clock, number, "审核", "钱科长", "2026-03-05T10:00", opinion="同意")


# -- receiving and accepting -----------------------------------------------------------------


def test_a_new_food_licence_case_gets_a_yearly_number_and_an_eight_character_query_code(
        env: Env) -> None:
    first, second = started(env, "甲"), started(env, "乙")
    assert first.number == "2026-食品-000001" and second.number == "2026-食品-000002"
    assert re.fullmatch(r"[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}", first.query_code)
    assert first.query_code != second.query_code
    assert first.state == CaseState.RECEIVED and first.clock == ClockState.NOT_STARTED
    assert first.promised_due is None and first.statutory_due is None
    [acceptance] = open_steps(env, first.number)
    assert (acceptance.name, acceptance.post, acceptance.role) == ("受理", "窗口受理岗", "acceptance")


def test_each_power_counts_its_own_case_numbers(env: Env) -> None:
    started(env)
    other = started(env, "某广告公司", "XK-HWGG-001")
    assert other.number == "2026-广告-000001"


def test_a_received_case_waits_for_the_one_time_notice_deadline_of_article_32(env: Env) -> None:
    case = started(env)
    [notice] = [t for t in pending_timers(env, case.number) if t.kind == TimerKind.ACCEPTANCE_DUE]
    # received Monday 2 March: 5 working days → Monday 9 March, ending at 00:00 on 10 March
    assert notice.due_at == local("2026-03-10T00:00")


def test_accepting_on_monday_2_march_sets_promised_16_march_and_statutory_30_march(
        env: Env) -> None:
    case = accepted(env)
    # 10 working days after Mon 2 March: 3,4,5,6 | 9,10,11,12,13 | 16 → Monday 16 March;
    # 20 working days: … 17,18,19,20 | 23,24,25,26,27 | 30 → Monday 30 March.
    assert case.promised_day == dt.date(2026, 3, 16)
    assert case.statutory_day == dt.date(2026, 3, 30)
    assert case.promised_due == local("2026-03-17T00:00")
    assert case.statutory_due == local("2026-03-31T00:00")
    assert case.accepted_at == local("2026-03-02T09:00")
    assert (case.state, case.clock) == (CaseState.ACCEPTED, ClockState.RUNNING)
    assert not case.deemed_accepted
    [inspection] = open_steps(env, case.number)
    assert (inspection.name, inspection.post, inspection.due_day) == (
        "现场核查", "现场核查岗", dt.date(2026, 3, 6))
    kinds = {t.kind for t in pending_timers(env, case.number)}
    assert TimerKind.ACCEPTANCE_DUE not in kinds
    assert {TimerKind.CASE_OVERDUE, TimerKind.STATUTORY_OVERDUE, TimerKind.STEP_OVERDUE} <= kinds


def test_an_application_approved_at_the_decision_runs_to_approved_with_every_step_on_record(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    to_decision(env, clock, case.number)
    after_decision = complete(env, clock, case.number, "审批决定", "王局长", "2026-03-06T10:00",
                              decision="approve", opinion="准予许可")
    assert after_decision.state == CaseState.ACCEPTED  # the certificate is still to be issued
    done = complete(env, clock, case.number, "制证发证", "孙制证", "2026-03-09T10:00",
                    opinion="已送达")

    assert (done.state, done.result, done.deemed) == (CaseState.APPROVED, "approved", False)
    assert done.clock == ClockState.STOPPED
    assert done.closed_at == local("2026-03-09T10:00")
    assert open_steps(env, case.number) == []
    assert pending_timers(env, case.number) == []
    record = case_record(env, case.number)
    assert [(s["name"], s["post"], s["person"]) for s in record["steps"]] == [
        ("受理", "窗口受理岗", "李窗口"), ("现场核查", "现场核查岗", "赵核查"),
        ("审核", "审核岗", "钱科长"), ("审批决定", "审批岗", "王局长"),
        ("制证发证", "制证发证岗", "孙制证")]
    assert all(s["status"] == "completed" for s in record["steps"])
    assert record["cards"] == [] and record["breaches"] == []
    assert record["audit_chain"] == "intact"
    kinds = [e["kind"] for e in record["history"] if e["kind"] != "supervised"]
    assert kinds[0] == "received" and kinds[-1] == "case_closed"
    assert kinds.count("step_completed") == 5


def test_an_application_refused_at_the_decision_ends_refused_without_a_certificate(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    to_decision(env, clock, case.number)
    done = complete(env, clock, case.number, "审批决定", "王局长", "2026-03-06T10:00",
                    decision="refuse", opinion="经营场所与污染源距离不符合要求")
    assert (done.state, done.result) == (CaseState.REFUSED, "refused")
    assert open_steps(env, case.number) == []
    record = case_record(env, case.number)
    assert "制证发证" not in [s["name"] for s in record["steps"]]
    assert record["audit_chain"] == "intact"


def test_a_decision_other_than_approve_or_refuse_is_refused_and_nothing_changes(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    to_decision(env, clock, case.number)
    with pytest.raises(InvalidAction, match="decision = approve .* or refuse"):
        complete(env, clock, case.number, "审批决定", "王局长", "2026-03-06T10:00",
                 decision="maybe")
    assert [s.name for s in open_steps(env, case.number)] == ["审批决定"]


def test_an_application_refused_at_the_window_is_not_accepted_and_gets_no_deadlines(
        env: Env) -> None:
    case = started(env)
    done = cases.refuse_acceptance(env, case.number, actor=A("李窗口"),
                                   reason="仅销售预包装食品，应办理备案")
    assert (done.state, done.result) == (CaseState.NOT_ACCEPTED, "not_accepted")
    assert done.accepted_at is None and done.promised_due is None and done.statutory_due is None
    assert open_steps(env, case.number) == []
    assert pending_timers(env, case.number) == []
    [step] = case_record(env, case.number)["steps"]
    assert (step["name"], step["person"], step["opinion"]) == (
        "受理", "李窗口", "仅销售预包装食品，应办理备案")


def test_a_refusal_to_accept_without_reasons_is_itself_refused(env: Env) -> None:
    case = started(env)
    with pytest.raises(InvalidAction, match="reasons"):
        cases.refuse_acceptance(env, case.number, actor=A("李窗口"), reason="  ")
    assert cases.find_case(env, case.number).state == CaseState.RECEIVED


def test_a_one_time_notice_sends_the_case_to_correction_and_back_to_acceptance(
        env: Env, clock: FakeClock) -> None:
    case = started(env)
    noticed = cases.request_supplement(env, case.number, actor=A("李窗口"),
                                       items=["从业人员健康证明", "设备布局图"])
    assert noticed.state == CaseState.IN_CORRECTION
    items = cases.find_case(env, case.number).data["supplement_notices"][0]["items"]
    assert items == ["从业人员健康证明", "设备布局图"]
    assert [s.name for s in open_steps(env, case.number)] == ["补正材料"]
    clock.set("2026-03-03T10:00")
    back = cases.supplement_received(env, case.number, actor=A("李窗口"))
    assert back.state == CaseState.RECEIVED
    clock.set("2026-03-03T10:30")
    done = cases.accept(env, case.number, actor=A("李窗口"))
    assert done.promised_day == dt.date(2026, 3, 17)  # counted from the day of acceptance


def test_a_second_notice_needs_a_reason_and_is_recorded_as_a_breach(
        env: Env, clock: FakeClock) -> None:
    case = started(env)
    cases.request_supplement(env, case.number, actor=A("李窗口"), items=["健康证明"])
    cases.supplement_received(env, case.number, actor=A("李窗口"))
    with pytest.raises(InvalidAction, match="一次性告知"):
        cases.request_supplement(env, case.number, actor=A("李窗口"), items=["租赁合同"])
    cases.request_supplement(env, case.number, actor=A("李窗口"), items=["租赁合同"],
                             why_not_in_first_notice="申请人变更了经营场所")
    [breach] = case_record(env, case.number)["breaches"]
    assert breach["kind"] == "second_notice" and "租赁合同" in breach["facts"]


def test_a_withdrawn_application_is_closed_and_nothing_more_can_be_done(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    clock.set("2026-03-03T10:00")
    done = cases.withdraw(env, case.number, actor=A("李窗口"), reason="申请人撤回")
    assert (done.state, done.result, done.clock) == (
        CaseState.WITHDRAWN, "withdrawn", ClockState.STOPPED)
    assert done.closed_at == local("2026-03-03T10:00")
    assert open_steps(env, case.number) == []
    assert pending_timers(env, case.number) == []
    record = case_record(env, case.number)
    assert [s["outcome"] for s in record["steps"] if s["status"] == "cancelled"] == ["withdrawn"]
    assert record["audit_chain"] == "intact"
    with pytest.raises(InvalidAction, match="已撤件"):
        cases.withdraw(env, case.number, actor=A("李窗口"))


# -- who wins, and what is refused ------------------------------------------------------------


def test_completing_a_step_that_was_already_completed_is_a_conflict(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    inspection = step_named(env, case.number, "现场核查")
    cases.complete_task(env, inspection.id, actor=A("赵核查"), data={"opinion": "符合"})
    before = cases.find_case(env, case.number)
    with pytest.raises(Conflict, match="already completed"):
        cases.complete_task(env, inspection.id, actor=A("孙核查"), data={"opinion": "也符合"})
    after = cases.find_case(env, case.number)
    assert after.version == before.version
    assert [s.name for s in open_steps(env, case.number)] == ["审核"]


def test_a_step_claimed_by_one_person_cannot_be_completed_by_another(
        env: Env, clock: FakeClock) -> None:
    case = accepted(env)
    inspection = step_named(env, case.number, "现场核查")
    cases.claim(env, inspection.id[:8], actor=A("赵核查"))
    with pytest.raises(Conflict, match="claimed by 赵核查"):
        cases.complete_task(env, inspection.id, actor=A("孙核查"), data={})
    with pytest.raises(Conflict):
        cases.claim(env, inspection.id, actor=A("孙核查"))


def test_two_people_saving_the_same_case_at_once_one_of_them_gets_a_conflict(env: Env) -> None:
    case = started(env)
    with env.uow() as first, env.uow() as second:
        mine, theirs = first.cases.get(case.number), second.cases.get(case.number)
        mine.applicant = "张三"
        first.cases.save(mine)
        first.commit()
        theirs.applicant = "李四"
        with pytest.raises(Conflict, match="changed by someone else"):
            second.cases.save(theirs)
    assert cases.find_case(env, case.number).applicant == "张三"


def test_a_withdrawn_power_refuses_to_start_a_case_naming_the_code(env: Env) -> None:
    withdraw_power(env, FOOD, actor=A("designer"), reason="职权目录调整")
    with pytest.raises(PowerNotAvailable, match=FOOD):
        started(env)
    assert [p["status"] for p in list_powers(env) if p["code"] == FOOD] == ["withdrawn"]
    assert db(env).tables["cases"] == {}


def test_a_power_that_was_never_deployed_refuses_to_start_a_case(env: Env) -> None:
    with pytest.raises(PowerNotAvailable, match="XK-NONE-999"):
        cases.start_case(env, "XK-NONE-999", person("张三"), actor=A(CLERK))


def test_redeploying_a_withdrawn_power_does_not_bring_it_back(env: Env) -> None:
    withdraw_power(env, FOOD, actor=A("designer"), reason="职权目录调整")
    [again] = [d for d in deploy(env, PROCESSES, actor=A("designer")) if d.code == FOOD]
    assert not again.changed and again.version == 1 and again.withdrawn
    with pytest.raises(PowerNotAvailable, match=FOOD):
        started(env)
    [row] = [p for p in list_powers(env) if p["code"] == FOOD]
    assert (row["status"], row["withdrawn_by"], row["withdrawn_reason"]) == (
        "withdrawn", "designer", "职权目录调整")


def test_a_reinstated_power_starts_cases_again(env: Env) -> None:
    withdraw_power(env, FOOD, actor=A("designer"), reason="职权目录调整")
    reinstate_power(env, FOOD, actor=A("designer"), reason="恢复实施")
    assert started(env).number == "2026-食品-000001"
    [row] = [p for p in list_powers(env) if p["code"] == FOOD]
    assert (row["status"], row["withdrawn_reason"], row["reinstated_by"],
            row["reinstated_reason"]) == ("active", "职权目录调整", "designer", "恢复实施")


def test_a_file_with_lint_errors_is_not_deployed_and_nothing_is_written(env: Env) -> None:
    before = len(db(env).tables["definitions"])
    bad = str(ROOT / "tests" / "fixtures" / "bpmn" / "lint" / "bad_category.bpmn")
    good = str(ROOT / "tests" / "fixtures" / "bpmn" / "lint" / "valid_minimal.bpmn")
    with pytest.raises(LintFailed):
        deploy(env, [good, bad], actor=A("designer"))
    assert len(db(env).tables["definitions"]) == before


# -- all or nothing ----------------------------------------------------------------------------

FAILING_SCRIPT = """
    <bpmn:scriptTask id="Activity_fee" name="计算证照工本费" scriptFormat="python">
      <bpmn:incoming>Flow_approve</bpmn:incoming>
      <bpmn:outgoing>Flow_fee_done</bpmn:outgoing>
      <bpmn:script>certificate_fee = 100 // fee_divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_fee_done" sourceRef="Activity_fee" targetRef="Activity_certificate" />
"""


def _deploy_script_power(env: Env, tmp_path: Path, code: str, short: str, script: str) -> str:
    """valid_minimal.bpmn with a script task (计算证照工本费) on the approve path."""
    text = (ROOT / "tests" / "fixtures" / "bpmn" / "lint" / "valid_minimal.bpmn").read_text()
    text = text[:text.index("  <bpmndi:BPMNDiagram")] + "</bpmn:definitions>\n"
    text = (text.replace("test_minimal", f"test_{code.lower().replace('-', '_')}")
            .replace("T-MIN-001", code).replace('shortName="测试"', f'shortName="{short}"')
            .replace('unit="测试局"', 'unit="县市场监督管理局"')  # where the test staff hold posts
            .replace('sourceRef="Gateway_decide" targetRef="Activity_certificate"',
                     'sourceRef="Gateway_decide" targetRef="Activity_fee"')
            .replace("<bpmn:incoming>Flow_approve</bpmn:incoming>\n      <bpmn:outgoing>"
                     "Flow_to_end_approved",
                     "<bpmn:incoming>Flow_fee_done</bpmn:incoming>\n      <bpmn:outgoing>"
                     "Flow_to_end_approved")
            .replace("<bpmn:flowNodeRef>Activity_certificate</bpmn:flowNodeRef>",
                     "<bpmn:flowNodeRef>Activity_certificate</bpmn:flowNodeRef>\n"
                     "        <bpmn:flowNodeRef>Activity_fee</bpmn:flowNodeRef>")
            .replace("  </bpmn:process>", FAILING_SCRIPT.replace(
                "certificate_fee = 100 // fee_divisor", script) + "  </bpmn:process>"))
    path = tmp_path / f"{code}.bpmn"
    path.write_text(text, encoding="utf-8")
    [deployed] = deploy(env, [str(path)], actor=A("designer"))
    assert deployed.code == code
    return deployed.code


@pytest.fixture
def script_power(env: Env, tmp_path: Path) -> str:
    """A power whose script computes 100 // fee_divisor on the approve path."""
    return _deploy_script_power(env, tmp_path, "T-SCRIPT-001", "脚本",
                                "certificate_fee = 100 // fee_divisor")


def _snapshot(env: Env) -> dict[str, dict]:
    return {name: dict(rows) for name, rows in db(env).tables.items()}


def test_a_script_error_in_a_step_rolls_back_the_whole_change(
        env: Env, clock: FakeClock, script_power: str) -> None:
    number = cases.accept(env, cases.start_case(env, script_power, person("张三"), actor=A(CLERK)).number,
                          actor=A("李窗口")).number
    case = cases.find_case(env, number)
    decide = step_named(env, case.number, "审批决定")
    before, commits = _snapshot(env), db(env).commits
    clock.set("2026-03-03T10:00")
    with pytest.raises(ScriptError, match="ZeroDivisionError"):
        cases.complete_task(env, decide.id, actor=A("王局长"),
                            data={"decision": "approve", "fee_divisor": 0})
    assert _snapshot(env) == before  # not one row written, not one id-less change
    assert db(env).commits == commits
    after = cases.find_case(env, case.number)
    assert dataclasses.asdict(after) == dataclasses.asdict(
        dataclasses.replace(case, version=after.version))
    assert after.version == case.version
    assert [s.name for s in open_steps(env, case.number)] == ["审批决定"]
    assert case_record(env, case.number)["audit_chain"] == "intact"


def test_the_same_step_succeeds_once_the_script_can_run(
        env: Env, clock: FakeClock, script_power: str) -> None:
    case = cases.accept(env, cases.start_case(env, script_power, person("张三"), actor=A(CLERK)).number, actor=A("李窗口"))
    decide = step_named(env, case.number, "审批决定")
    with pytest.raises(ScriptError):
        cases.complete_task(env, decide.id, actor=A("王局长"),
                            data={"decision": "approve", "fee_divisor": 0})
    cases.complete_task(env, decide.id, actor=A("王局长"),
                        data={"decision": "approve", "fee_divisor": 4})
    assert [s.name for s in open_steps(env, case.number)] == ["制证送达"]


# -- the fakes behave like a database ----------------------------------------------------------


def test_changes_are_invisible_to_a_fresh_unit_of_work_until_commit(env: Env) -> None:
    case = started(env)
    with env.uow() as uow:
        loaded = uow.cases.get(case.number)
        loaded.applicant = "改过的名字"
        uow.cases.save(loaded)
        with env.uow() as other:
            assert other.cases.get(case.number).applicant == "张三餐饮店"
        uow.rollback()
        assert uow.cases.get(case.number).applicant == "张三餐饮店"
    with env.uow() as uow:
        loaded = uow.cases.get(case.number)
        loaded.applicant = "真的改了"
        uow.cases.save(loaded)
        # leaving without commit discards the change
    assert cases.find_case(env, case.number).applicant == "张三餐饮店"


def test_a_record_changed_but_not_saved_changes_nothing_stored(env: Env) -> None:
    case = started(env)
    with env.uow() as uow:
        uow.cases.get(case.number).data["application"]["hacked"] = True
        uow.commit()
    assert "hacked" not in cases.find_case(env, case.number).data["application"]


def test_a_step_status_is_stored_as_its_enum(env: Env) -> None:
    case = started(env)
    [step] = open_steps(env, case.number)
    assert step.status is TaskStatus.READY


def test_a_script_that_stores_a_set_is_refused_as_the_process_s_fault_and_nothing_changes(
        env: Env, clock: FakeClock, tmp_path: Path) -> None:
    code = _deploy_script_power(env, tmp_path, "T-SET-001", "集合",
                                "certificate_fee = {100, fee_divisor}")
    case = cases.accept(env, cases.start_case(env, code, person("张三"), actor=A(CLERK)).number, actor=A("李窗口"))
    decide = step_named(env, case.number, "审批决定")
    before = _snapshot(env)
    with pytest.raises(ScriptError, match="cannot be recorded.*set"):
        cases.complete_task(env, decide.id, actor=A("王局长"),
                            data={"decision": "approve", "fee_divisor": 4})
    assert _snapshot(env) == before
    assert [s.name for s in open_steps(env, case.number)] == ["审批决定"]


def test_a_case_is_not_accepted_while_the_clerk_s_checklist_lists_missing_materials(
        env: Env) -> None:
    case = started(env)
    with pytest.raises(InvalidAction, match="材料未收齐：从业人员健康证明") as caught:
        cases.accept(env, case.number, actor=A("李窗口"), missing=["从业人员健康证明"])
    assert caught.value.field == "materials"
    assert cases.case_view(env, case.number).state == CaseState.RECEIVED  # nothing changed
