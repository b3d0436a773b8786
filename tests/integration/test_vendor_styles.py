"""The project's own files in Activiti 5, Flowable 6 and Camunda 7 styles
(tests/fixtures/bpmn/vendors): Chinese labels, ${…}/#{…} conditions (with Chinese variable
names), an error code with no <error> element, and a countersign (会签) as multi-instance over
``{vendor}:collection`` with a completion condition. Each lints clean, deploys on SQLite and runs
along its paths."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from engine.applicants import Applicant
from engine.identity import Actor, Role
from engine.lint import lint_files
from engine.services.cases import complete_task, find_case, start_case
from engine.services.catalogue_admin import deploy
from tests.conftest import MovableClock, make_env
from tests.staff import id_number

VENDORS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "bpmn" / "vendors"
FILES = {"activiti5_joint_review_zh.bpmn": "XK-AT5-001",
         "flowable6_joint_review_zh.bpmn": "XK-FL6-001",
         "camunda7_joint_review_zh.bpmn": "XK-CM7-001"}
UNIT = "县城市管理局"
WINDOW = Actor("window", "收件员", "县政务服务中心", frozenset({Role.WINDOW}))
STAFF = Actor("staff", "城管办理员", UNIT, frozenset({Role.WINDOW, Role.HANDLER, Role.APPROVER}),
              frozenset({"窗口受理岗", "会签岗", "现场核查岗", "审批岗"}))
UNITS = ["县交警大队", "县住建局", "县自然资源局"]


@pytest.fixture
def env(tmp_path: Path) -> Any:
    e = make_env(f"sqlite:///{tmp_path / 'sunshine.db'}",
                 MovableClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)))
    deploy(e, [str(VENDORS / f) for f in FILES],
           actor=Actor("designer", "流程设计员", "县政务服务中心", frozenset({Role.DESIGNER})))
    return e


def _run(env: Any, code: str, answers: dict[str, dict[str, Any]], area: int) -> Any:
    """Start a case and complete each ready step with the answer for its name."""
    applicant = Applicant(name="李四", id_type="身份证", id_number=id_number("李四"))
    number = start_case(env, code, applicant, {"units": UNITS, "面积": area}, actor=WINDOW).number
    done: list[str] = []
    for _ in range(20):
        case = find_case(env, number)
        if not case.state.is_open or not case.open_steps():
            break
        step = case.open_steps()[0]
        done.append(step.name)
        complete_task(env, step.id, actor=STAFF, data=dict(answers.get(step.name, {})))
    return find_case(env, number), done


def test_every_vendor_style_file_lints_clean() -> None:
    assert [str(f) for f in lint_files([str(VENDORS / f) for f in FILES])] == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_countersigned_application_within_the_area_limit_is_approved(env: Any,
                                                                        name: str) -> None:
    case, done = _run(env, FILES[name], {"受理": {"acceptance": "accept"},
                                         "审批决定": {"decision": "approve"}}, area=80)
    assert done == ["受理", "联合会签", "联合会签", "联合会签", "现场核查", "审批决定"]
    assert (case.state.value, case.result) == ("approved", "approved")


@pytest.mark.parametrize("name", sorted(FILES))
def test_an_objection_ends_the_countersign_early(env: Any, name: str) -> None:
    case, done = _run(env, FILES[name], {"受理": {"acceptance": "accept"},
                                         "联合会签": {"objection": True},
                                         "审批决定": {"decision": "refuse"}}, area=80)
    assert done == ["受理", "联合会签", "现场核查", "审批决定"]
    assert case.result == "refused"


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_failed_site_check_throws_the_activiti_style_error_code(env: Any, name: str) -> None:
    case, done = _run(env, FILES[name], {"受理": {"acceptance": "accept"},
                                         "现场核查": {"核查结论": "不符合"}}, area=80)
    assert done[-1] == "现场核查" and "审批决定" not in done
    assert case.result == "refused"


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_sign_over_the_area_limit_is_refused_by_the_chinese_named_condition(
        env: Any, name: str) -> None:
    case, _done = _run(env, FILES[name], {"受理": {"acceptance": "accept"},
                                          "审批决定": {"decision": "approve"}}, area=150)
    assert case.result == "refused"
