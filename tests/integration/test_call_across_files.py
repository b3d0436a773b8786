"""Call activities across files (tests/fixtures/bpmn/calls): a Flowable-style power with Chinese
labels whose 部门会审 is a process kept in a library file with no catalogue entry. Linted and
deployed together, a case runs through the called process's step (its post and limit from the
library's lane and sunshine:timeLimit) on SQLite and PostgreSQL; deploying a changed library
makes a new version of the power, and a case already inside the called process finishes on the
called spec it began with while a new case takes the new one. A call cycle across the files, a
called process found nowhere and one process id in two files are refused with nothing deployed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from engine.errors import LintFailed
from engine.identity import Actor, Role
from engine.lint import lint_files
from engine.services.cases import complete_task, find_case, start_case
from engine.services.catalogue_admin import deploy, deploy_bytes, lint_against_deployed, list_powers
from tests.conftest import MovableClock, make_env
from tests.staff import A, person

CALLS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "bpmn" / "calls"
CALLER = str(CALLS / "flowable_tree_permit_zh.bpmn")
LIBRARY = str(CALLS / "review_library_zh.bpmn")
LIBRARY_V2 = str(CALLS / "review_library_zh_v2.bpmn")
CODE = "XK-CALL-001"
UNIT = "县城市管理局"
WINDOW = Actor("window", "收件员", "县政务服务中心", frozenset({Role.WINDOW}))
STAFF = Actor("staff", "城管办理员", UNIT, frozenset({Role.WINDOW, Role.HANDLER, Role.APPROVER}),
              frozenset({"窗口受理岗", "会审岗", "审批岗"}))
ANSWERS = {"受理": {"acceptance": "accept"}, "会审意见": {"会审结论": "同意"},
           "复核会审意见": {"opinion": "复核无异议"}, "审批决定": {"decision": "approve"}}


def _errors(findings: list[Any]) -> list[Any]:
    return [f for f in findings if f.severity == "error"]


def _step(env: Any, number: str) -> Any:
    [step] = find_case(env, number).open_steps()
    return step


def _do(env: Any, number: str, name: str) -> None:
    step = _step(env, number)
    assert step.name == name, f"expected {name}, the case waits at {step.name}"
    complete_task(env, step.id, actor=STAFF, data=dict(ANSWERS[name]))


def _versions(env: Any) -> dict[str, int]:
    return {p["code"]: p["version"] for p in list_powers(env)}


def test_the_caller_lints_clean_with_its_library_and_alone_names_what_to_deploy_with_it() -> None:
    assert _errors(lint_files([CALLER, LIBRARY])) == []
    [missing] = _errors(lint_files([CALLER]))
    assert (missing.rule, missing.element) == ("call-missing", "review")
    assert "joint_review_lib" in missing.message
    assert "together with the file that defines process 'joint_review_lib'" in missing.fix


def test_a_case_runs_through_the_called_process_and_keeps_its_called_spec_when_the_library_changes(
        env: Any) -> None:
    [first] = deploy(env, [CALLER, LIBRARY], actor=A("designer"))
    assert (first.code, first.version, first.bundled) == (CODE, 1, (LIBRARY,))
    running = start_case(env, CODE, person("林一"), actor=WINDOW).number
    _do(env, running, "受理")
    inside = _step(env, running)
    # the called process's step is a step of the case, with the library's post and limit
    assert (inside.name, inside.post, inside.limit_days) == ("会审意见", "会审岗", 2)

    # the library changed (a second step): deployed alone, it makes a new version of its caller
    [second] = deploy(env, [LIBRARY_V2], actor=A("designer"))
    assert (second.code, second.version, second.file, second.bundled) == (
        CODE, 2, CALLER, (LIBRARY_V2,))
    assert deploy(env, [LIBRARY_V2], actor=A("designer"))[0].changed is False

    fresh = start_case(env, CODE, person("林二"), actor=WINDOW).number
    for name in ("受理", "会审意见", "复核会审意见", "审批决定"):
        _do(env, fresh, name)
    # the case that was inside the called process finishes on the called spec it began with
    for name in ("会审意见", "审批决定"):
        _do(env, running, name)
    old, new = find_case(env, running), find_case(env, fresh)
    assert (old.result, new.result) == ("approved", "approved")
    assert old.definition_id != new.definition_id
    # (steps done at one clock time come back in no particular order)
    assert sorted(s.name for s in old.steps) == sorted(["受理", "会审意见", "审批决定"])
    assert sorted(s.name for s in new.steps) == sorted(["受理", "会审意见", "复核会审意见", "审批决定"])


def test_a_power_calling_a_process_already_deployed_bundles_the_deployed_file(env: Any) -> None:
    deploy(env, [CALLER, LIBRARY], actor=A("designer"))
    other = (Path(CALLER).read_bytes().replace(b"XK-CALL-001", b"XK-CALL-002")
             .replace(b"flowable_tree_permit", b"flowable_tree_move").replace(
                 "shortName=\"树木\"".encode(), "shortName=\"迁树\"".encode()))
    assert _errors(lint_against_deployed(env, [LIBRARY])) == []
    [d] = deploy_bytes(env, [("tree_move.bpmn", other)], actor=A("designer"))
    assert (d.code, d.bundled) == ("XK-CALL-002", (LIBRARY,))
    number = start_case(env, "XK-CALL-002", person("林三"), actor=WINDOW).number
    for name in ("受理", "会审意见", "审批决定"):
        _do(env, number, name)
    assert find_case(env, number).result == "approved"


@pytest.fixture
def bare(tmp_path: Path) -> Any:
    return make_env(f"sqlite:///{tmp_path / 'sunshine.db'}",
                    MovableClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)))


def _refused(env: Any, paths: list[str]) -> list[Any]:
    with pytest.raises(LintFailed) as refused:
        deploy(env, paths, actor=A("designer"))
    assert list_powers(env) == []  # nothing deployed
    assert all(f.fix for f in refused.value.findings)
    return refused.value.findings


def test_a_call_cycle_across_two_files_is_refused_naming_both_call_activities(bare: Any) -> None:
    back = str(CALLS / "review_library_calls_back.bpmn")
    found = {(Path(f.file).name, f.element): f for f in _refused(bare, [CALLER, back])
             if f.rule == "call-recursion"}
    assert set(found) == {("flowable_tree_permit_zh.bpmn", "review"),
                          ("review_library_calls_back.bpmn", "again")}
    for f in found.values():
        assert "'review'" in f.message and "'again'" in f.message and "without end" in f.message


def test_a_called_process_found_nowhere_is_refused_naming_the_element(bare: Any) -> None:
    [f] = _refused(bare, [CALLER])
    assert (f.rule, f.element) == ("call-missing", "review")
    assert "'joint_review_lib'" in f.message and "no deployed power" in f.message


def test_one_process_id_in_two_files_is_refused_in_both(bare: Any) -> None:
    copy = str(CALLS / "review_library_copy.bpmn")
    findings = _refused(bare, [CALLER, LIBRARY, copy])
    assert sorted((Path(f.file).name, f.element, f.rule) for f in findings) == [
        ("review_library_copy.bpmn", "joint_review_lib", "duplicate-process"),
        ("review_library_zh.bpmn", "joint_review_lib", "duplicate-process")]


def test_a_library_no_deployed_power_calls_is_refused_saying_to_deploy_it_with_its_caller(
        bare: Any) -> None:
    [f] = _refused(bare, [LIBRARY])
    assert (f.rule, f.element) == ("no-power", "joint_review_lib")
    assert "together with that file" in f.fix


def test_the_cli_lints_and_deploys_files_together_and_finds_deployed_processes(
        run_cli: Any, tmp_path: Path) -> None:
    from tests.e2e.helpers import Sunshine

    cli = Sunshine(run_cli, f"sqlite:///{tmp_path / 'sunshine.db'}")
    cli.ok("db", "upgrade")
    cli.ok("user", "add", "admin", "--name", "系统管理员", "--unit", "县政务服务中心",
           "--role", "admin")
    cli.ok("user", "add", "designer", "--name", "流程设计员", "--unit", "县政务服务中心",
           "--role", "designer", "--as", "admin")
    alone = cli.fails("lint", CALLER)
    assert alone.code == 3 and "review: [call-missing]" in alone.out
    assert "2 file(s), 0 error(s)" in cli.ok("lint", CALLER, LIBRARY).out
    assert "review: [call-missing]" in cli.fails("deploy", CALLER, "--as", "designer").err
    out = cli.ok("deploy", CALLER, LIBRARY, "--as", "designer").out
    assert f"{CODE}" in out and f"v1  deployed  (calls processes of {LIBRARY})" in out
    assert "1 file(s), 0 error(s)" in cli.ok("lint", "--deployed", CALLER).out
    out = cli.ok("deploy", LIBRARY_V2, "--as", "designer").out
    assert f"v2  deployed  (calls processes of {LIBRARY_V2})" in out


def test_the_modeler_checks_a_caller_against_the_deployed_library_as_deploy_does(
        env: Any) -> None:
    from engine.services import modeler

    designer = Actor("sheji", "设计员", "县政务服务中心", frozenset({Role.DESIGNER}))
    caller = Path(CALLER).read_bytes()
    missing = [f for f in modeler.check(env, designer, caller).findings if f.rule == "call-missing"]
    assert missing  # nothing deployed yet: the call is named, as deploy would refuse it
    deploy(env, [LIBRARY, CALLER], actor=A("designer"))
    checked = modeler.check(env, designer, caller)
    assert [f for f in checked.findings if f.rule == "call-missing"] == []
    assert checked.errors == 0
