"""The 54 Camunda 7 examples (tests/fixtures/bpmn/camunda-examples, Apache-2.0): with a
catalogue entry added mechanically (engine.catalogue_draft.draft_entry, as a designer would add
one), each is deployed on a fresh SQLite database and a case is driven to an end event; the
two whose call activity calls a process of another example are deployed with that file; the
ones the engine cannot run are refused by lint, naming the element and the reason."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine.applicants import Applicant
from engine.catalogue_draft import EntryDraft, draft_called, draft_entry
from engine.errors import LintFailed
from engine.foreign import is_executable
from engine.identity import Actor, Role
from engine.services.cases import complete_task, find_case, start_case
from engine.services.catalogue_admin import deploy_bytes
from engine.xmlsafe import bpmn, parse_bpmn_bytes
from tests.conftest import MovableClock, make_env
from tests.staff import id_number

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "fixtures" / "bpmn" / "camunda-examples"
FILES = sorted(p.name for p in EXAMPLES.glob("*.bpmn"))
UNIT, POST = "县测试局", "办理岗"

# file → (element lint names, rule, why): what keeps these from running in Sunshine.
REFUSED = {
    "bpmn-model-api__parse-bpmn__test__process.bpmn":
        ("scriptTask", "script-language", "a Groovy script"),
    "scripttask__xslt-scripttask__xslt-example.bpmn":
        ("ScriptTask_1", "script-language", "an XSLT script in an external resource"),
    "spin__dataformat-configuration-global__testProcess.bpmn":
        ("ScriptTask_1", "script-language", "a JavaScript script calling Camunda Spin"),
    "spin__dataformat-configuration-in-process-application__testProcess.bpmn":
        ("ScriptTask_1", "script-language", "a JavaScript script calling Camunda Spin"),
    "usertask__task-form-embedded-json-variables__process.bpmn":
        ("SequenceFlow_4", "condition-el", "a condition calling Spin's prop().numberValue()"),
}
# caller → the file holding the process its call activity calls, deployed with it (a library:
# its steps get posts and limits, and no catalogue entry of its own; engine/calls.py)
CALLED = {
    "multi-tenancy__tenant-identifier-shared-definitions__processes__default__mainProcess.bpmn":
        "multi-tenancy__tenant-identifier-shared-definitions__processes__default__subProcess.bpmn",
    "testing__assert__job-announcement-publication-process__test__"
    "camunda-testing-job-announcement.bpmn":
        "testing__assert__job-announcement-publication-process__test__"
        "camunda-testing-job-announcement-publication.bpmn",
}
# What the window records at 收件 for the files whose multi-instance runs over a list.
START_DATA: dict[str, dict[str, Any]] = {
    "quarkus-extension__spin-plugin-example__process.bpmn": {"orderItems": ["茶叶", "瓷器"]},
    "spring-boot-starter__external-task-client__loan-granting-spring-boot-webapp__bpmn__"
    "loan-granting.bpmn": {"creditScores": [7, 9]},
}
# What the person at each step records (the gateways of these examples read them).
STEP_DATA = {"approved": True, "opinion": "同意"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import datetime as dt

    clock = MovableClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC))
    return make_env(f"sqlite:///{tmp_path_factory.mktemp('camunda') / 'sunshine.db'}", clock)


def with_entry(name: str, index: int) -> tuple[str, bytes]:
    """The example with a catalogue entry added, and its power code."""
    tree = parse_bpmn_bytes((EXAMPLES / name).read_bytes(), name)
    [process] = [p for p in tree.getroot().findall(bpmn("process")) if is_executable(p)]
    code = f"T-CAM-{index:03d}"
    drafted = draft_entry(tree, process.get("id"), EntryDraft(
        code=code, name=f"示例{index}", short_name=f"例{index:02d}", unit=UNIT, post=POST))
    return code, etree.tostring(drafted, xml_declaration=True, encoding="UTF-8")


def as_library(name: str) -> tuple[str, bytes]:
    """The example as a library of called processes: posts and limits on its steps, no
    catalogue entry."""
    tree = parse_bpmn_bytes((EXAMPLES / name).read_bytes(), name)
    for process in tree.getroot().findall(bpmn("process")):
        tree = draft_called(tree, process.get("id"), EntryDraft(
            code="", name="", short_name="", unit=UNIT, post=POST))
    return name, etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


DESIGNER = Actor("designer", "流程设计员", "县政务服务中心", frozenset({Role.DESIGNER}))
WINDOW = Actor("window", "收件员", "县政务服务中心", frozenset({Role.WINDOW}))
HANDLER = Actor("handler", "办理员", UNIT, frozenset({Role.HANDLER, Role.APPROVER}),
                frozenset({POST}))


def test_the_examples_are_all_here_with_their_licence() -> None:
    assert len(FILES) == 54
    assert "Apache License" in (EXAMPLES / "LICENSE").read_text(encoding="utf-8")
    assert set(REFUSED) <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_an_example_with_a_catalogue_entry_runs_to_an_end_or_is_refused_saying_why(
        env: Any, name: str) -> None:
    code, data = with_entry(name, FILES.index(name))
    if name in REFUSED:
        element, rule, _why = REFUSED[name]
        with pytest.raises(LintFailed) as refused:
            deploy_bytes(env, [(name, data)], actor=DESIGNER)
        named = {(f.element, f.rule) for f in refused.value.findings}
        assert (element, rule) in named, refused.value.findings
        assert all(f.fix for f in refused.value.findings)
        return
    files = [(name, data)] + ([as_library(CALLED[name])] if name in CALLED else [])
    deployed = deploy_bytes(env, files, actor=DESIGNER)
    assert [d.bundled for d in deployed] == [tuple(f for f, _ in files[1:])]
    applicant = Applicant(name="张三", id_type="身份证", id_number=id_number("张三"))
    number = start_case(env, code, applicant, START_DATA.get(name, {}), actor=WINDOW).number
    for _ in range(20):
        case = find_case(env, number)
        if not case.state.is_open or not case.open_steps():
            break
        step = case.open_steps()[0]
        # the person holding the step's post (the examples' own lanes, e.g. HR, stay as drawn)
        holder = dataclasses.replace(HANDLER, posts=frozenset({step.post or POST}))
        complete_task(env, step.id, actor=holder, data=dict(STEP_DATA))
    case = find_case(env, number)
    assert not case.state.is_open, f"{name} stopped at {[s.name for s in case.open_steps()]}"
    assert case.result == "completed" and case.closed_at is not None


def test_at_least_49_of_the_54_run_and_the_rest_are_the_refused_ones() -> None:
    # The issue asked for 50: the five refused need Groovy, JavaScript or XSLT, or a Camunda
    # Spin method call, which the engine refuses on purpose (docs/designer-guide.md).
    assert len(FILES) - len(REFUSED) >= 49
    assert set(CALLED) | set(CALLED.values()) <= set(FILES) - set(REFUSED)
