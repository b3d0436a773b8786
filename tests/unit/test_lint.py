"""Designer lint (engine.lint) over the fixtures of tests/fixtures/bpmn: every broken file is
named with the element its README names and told what to do; valid and shipped files pass;
files from other tools never crash lint and are told what keeps them from running."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.lint import Finding, lint_bytes, lint_files
from engine.xmlsafe import bpmn, sun

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tests" / "fixtures" / "bpmn" / "lint"
FOREIGN = ROOT / "tests" / "fixtures" / "bpmn" / "foreign"
PROCESSES = ROOT / "processes"

# file → (element id the README says lint must name, or None for the file; words of the fix)
BROKEN: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "malformed_xml.bpmn": (None, ("line 57", "fix it")),
    "not_bpmn.bpmn": (None, ("not a BPMN 2.0 file", "bpmn:definitions")),
    "xxe_entity.bpmn": (None, ("DOCTYPE", "remove")),
    "spiff_unparseable.bpmn": ("Flow_refuse", ("End_rejected", "reconnect")),
    "spiff_unparseable_no_condition.bpmn": ("Flow_refuse", ("condition", "default flow")),
    "not_executable.bpmn": ("test_not_executable", ("isExecutable", "tick")),
    "no_power_metadata.bpmn": ("test_no_power_metadata", ("sunshine:power", "add")),
    "missing_promised_limit.bpmn": ("test_missing_promised_limit", ("promisedLimit", "add")),
    "promised_over_two_thirds.bpmn": ("test_promised_over_two_thirds", ("promise at most 13",)),
    "bad_category.bpmn": ("test_bad_category", ("不存在的类别", "行政许可")),
    "user_task_without_lane.bpmn": ("Activity_certificate", ("no lane", "put it in the lane")),
    "user_task_without_time_limit.bpmn": ("Activity_decide", ("sunshine:timeLimit", "add")),
    "end_event_without_result.bpmn": ("End_refused", ("sunshine:result", "approved")),
    "script_imports_os.bpmn": ("Activity_record", ("import",)),
    "condition_reaches_os.bpmn": ("Flow_approve", ("__import__",)),
    "script_opens_file.bpmn": ("Activity_record", ("open",)),
    "non_public_without_filing.bpmn": ("test_non_public_without_filing",
                                       ("sunshine:nonPublic", "filing")),
    "deemed_without_timer.bpmn": ("Activity_decide", ("sunshine:deadline=\"promised\"", "add")),
    "timer_without_deadline.bpmn": ("Event_deemed", ("sunshine:deadline", "say which")),
    "no_acceptance_step.bpmn": ("test_no_acceptance_step", ("sunshine:step=\"acceptance\"",)),
    "self_loop_flow.bpmn": ("Flow_again", ("back to itself", "loop back through")),
    "call_itself.bpmn": ("Activity_again", ("test_call_itself", "without end")),
    "el_method_call.bpmn": ("Flow_approve", ("reviewService.approved", "form field")),
    "script_in_groovy.bpmn": ("Activity_log", ("groovy", "Python")),
    "waits_for_message.bpmn": ("Activity_wait", ("for ever", "user task")),
}


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def _lint(path: Path) -> list[Finding]:
    return lint_files([str(path)])


def test_every_lint_fixture_is_covered_by_this_test() -> None:
    listed = set(BROKEN) | set(VALID)
    assert {p.name for p in LINT.glob("*.bpmn")} == listed


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_gets_an_error_naming_the_element_and_saying_what_to_do(name: str) -> None:
    element, words = BROKEN[name]
    errors = _errors(_lint(LINT / name))
    named = [f for f in errors if f.element == element]
    assert named, f"{name}: no error names {element!r}; got {[str(f) for f in errors]}"
    assert any(all(w in f"{f.message} — {f.fix}" for w in words) for f in named), (
        f"{name}: no message says {words}; got {[str(f) for f in named]}")
    assert all(f.rule and f.message and f.fix for f in errors)
    assert all(f.file == str(LINT / name) for f in errors)


VALID = ["valid_minimal.bpmn", "valid_deemed.bpmn", "duplicate_code_a.bpmn",
         "duplicate_code_b.bpmn",
         # Activiti writes the error code into errorRef with no <error>: it runs as Activiti runs it
         "activiti_error_without_error_element.bpmn"]


@pytest.mark.parametrize("name", VALID)
def test_a_valid_fixture_alone_has_no_errors(name: str) -> None:
    assert _errors(_lint(LINT / name)) == []


def test_every_shipped_process_lints_without_errors() -> None:
    files = sorted(str(p) for p in PROCESSES.glob("*.bpmn"))
    assert len(files) >= 10
    assert [str(f) for f in _errors(lint_files(files))] == []


def test_one_power_code_in_two_processes_is_reported_when_both_are_linted() -> None:
    a, b = str(LINT / "duplicate_code_a.bpmn"), str(LINT / "duplicate_code_b.bpmn")
    [dup] = [f for f in lint_files([a, b]) if f.rule == "duplicate-code"]
    assert (dup.file, dup.element) == (b, "test_dup_b")
    assert "T-DUP-001" in dup.message and "test_dup_a" in dup.message
    assert "its own code" in dup.fix


def test_the_whole_lint_folder_linted_at_once_reports_only_the_intended_duplicate() -> None:
    findings = lint_files(sorted(str(p) for p in LINT.glob("*.bpmn")))
    dups = [f for f in findings if f.rule == "duplicate-code"]
    assert [(Path(f.file).name, f.element) for f in dups] == [("duplicate_code_b.bpmn",
                                                                "test_dup_b")]


def test_a_dangling_flow_is_named_by_the_flow_and_spiffworkflow_is_not_asked() -> None:
    findings = _lint(LINT / "spiff_unparseable.bpmn")
    assert [(f.element, f.rule) for f in _errors(findings)] == [("Flow_refuse", "flow-ref")]


def test_a_hostile_condition_is_reported_once_not_once_per_checker() -> None:
    findings = _errors(_lint(LINT / "condition_reaches_os.bpmn"))
    assert len(findings) == 1


def _with_power(data: bytes) -> bytes:
    """A foreign file with every process executable and a minimal catalogue entry, so that
    lint goes all the way to SpiffWorkflow's parser."""
    root = etree.fromstring(data)
    for i, process in enumerate(root.findall(bpmn("process"))):
        process.set("isExecutable", "true")
        ext = process.find(bpmn("extensionElements"))
        if ext is None:
            ext = etree.Element(bpmn("extensionElements"))
            docs = process.findall(bpmn("documentation"))
            process.insert(len(docs), ext)
        etree.SubElement(ext, sun("power"), code=f"T-FOREIGN-{i:03d}", name="外来", shortName="外来",
                         category="行政许可", unit="测试局", statutoryLimit="20", promisedLimit="10")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


FOREIGN_FILES = sorted(p.name for p in FOREIGN.glob("*.bpmn"))


@pytest.mark.parametrize("name", FOREIGN_FILES)
def test_a_foreign_file_never_crashes_lint_and_is_told_what_keeps_it_from_running(
        name: str) -> None:
    path = FOREIGN / name
    errors = _errors(_lint(path))
    assert errors, f"{name} would run as it is?"
    root = etree.parse(str(path)).getroot()
    for process in root.findall(bpmn("process")):
        pid = process.get("id")
        rules = {f.rule for f in errors if f.element == pid}
        if process.get("isExecutable") == "true":
            assert "no-power" in rules, f"{name}:{pid} is executable without metadata"
        elif len(root.findall(bpmn("process"))) == 1:
            assert "not-executable" in rules
    assert all(f.message and f.rule for f in errors)


@pytest.mark.parametrize("name", FOREIGN_FILES)
def test_a_foreign_file_made_executable_with_metadata_still_never_crashes_lint(name: str) -> None:
    findings, _ = lint_bytes(_with_power((FOREIGN / name).read_bytes()), name)
    assert all(isinstance(f, Finding) and f.message for f in findings)


def test_an_activiti_error_code_in_error_ref_is_read_as_the_code_as_activiti_does() -> None:
    errors = _errors(_lint(FOREIGN / "activiti_leave_request.bpmn"))
    assert not [f for f in errors if f.rule == "event-ref"]
    # what does keep it from running is named: the groovy script, the Java service task's
    # effect, the catalogue entry
    assert {f.rule for f in errors} >= {"script-language", "no-power"}


def test_a_signavio_data_store_is_named_by_its_id_as_what_would_stop_it_running() -> None:
    store = "sid-4F8E1C2D-3B4A-4D5E-9F6A-7B8C9D0E1F2A"
    as_drawn = _lint(FOREIGN / "signavio_nested_lanes_datastore.bpmn")
    assert [(f.element, f.severity) for f in as_drawn if f.rule == "data-store"] == [
        (store, "warning")]
    forced, _ = lint_bytes(_with_power(
        (FOREIGN / "signavio_nested_lanes_datastore.bpmn").read_bytes()), "signavio.bpmn")
    [error] = [f for f in _errors(forced) if f.rule == "data-store"]
    assert error.element == store and "remove the data store" in error.fix


def test_spiffworkflows_own_complaints_come_with_the_element_and_a_fix() -> None:
    cases = {
        "implicit_split_no_di_zh.bpmn": ("Activity_shoujian", "gateway"),
        "camunda5_loan_executable.bpmn": ("Activity_0r1sk2b", "business rule (DMN) task"),
    }
    for name, (element, fix) in cases.items():
        findings, _ = lint_bytes(_with_power((FOREIGN / name).read_bytes()), name)
        spiff = [f for f in _errors(findings) if f.rule == "spiff"]
        assert [f.element for f in spiff] == [element], name
        assert fix in spiff[0].fix, name


def test_a_boundary_event_attached_to_nothing_is_named() -> None:
    data = (LINT / "valid_deemed.bpmn").read_bytes().replace(
        b'attachedToRef="Activity_decide"', b'attachedToRef="Activity_gone"')
    findings, _ = lint_bytes(data, "deemed.bpmn")
    assert ("Event_deemed", "boundary-ref") in {(f.element, f.rule) for f in _errors(findings)}


def test_a_file_that_cannot_be_read_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    [finding] = lint_files([str(tmp_path / "missing.bpmn")])
    assert finding.rule == "xml" and finding.element is None
    assert "cannot read" in finding.message


# -- form fields (sunshine:field) -----------------------------------------------------------------


def _with_fields(task: str, fields: str) -> list[Finding]:
    """valid_minimal.bpmn with these sunshine:field declarations on one user task."""
    text = (LINT / "valid_minimal.bpmn").read_text(encoding="utf-8")
    start = text.index(f'<bpmn:userTask id="{task}"')
    end = text.index(">", start) + 1
    text = (text[:end] + f"<bpmn:extensionElements>{fields}</bpmn:extensionElements>"
            + text[end:])
    findings, _ = lint_bytes(text.encode(), "fields.bpmn")
    return findings


DECISION_FIELD = ('<sunshine:field name="decision" type="choice" required="true">'
                  '<sunshine:option value="approve" label="准予" />'
                  '<sunshine:option value="refuse" label="不予" /></sunshine:field>')


def test_well_declared_fields_lint_clean() -> None:
    fields = ('<sunshine:field name="certificate_no" label="证号" type="string" />'
              '<sunshine:field name="served_on" label="送达日期" type="date" required="true" />')
    assert _with_fields("Activity_certificate", fields) == []
    assert _with_fields("Activity_decide", DECISION_FIELD) == []


@pytest.mark.parametrize(("fields", "rule", "words"), [
    ('<sunshine:field name="copies" type="int" />', "field-type", ("'int'", "integer")),
    ('<sunshine:field name="channel" type="choice" />', "field-options",
     ("no options", "<sunshine:option")),
    ('<sunshine:field name="channel" type="choice"><sunshine:option value="a" />'
     '<sunshine:option value="a" /></sunshine:field>', "field-options", ("twice",)),
    ('<sunshine:field name="opinion" type="text" /><sunshine:field name="opinion" />',
     "field-duplicate", ("'opinion'", "declared twice")),
    ('<sunshine:field name="送达 日期" type="date" />', "field-name", ("送达 日期", "label=")),
    ('<sunshine:field name="class" />', "field-name", ("'class'",)),
    ('<sunshine:field name="_secret" />', "field-name", ("'_secret'",)),
    ('<sunshine:field type="text" />', "field-name", ("no name", "add name=")),
])
def test_a_bad_field_declaration_is_named_on_its_step_with_the_fix(
        fields: str, rule: str, words: tuple[str, ...]) -> None:
    errors = [f for f in _errors(_with_fields("Activity_certificate", fields)) if f.rule == rule]
    assert [f.element for f in errors] == ["Activity_certificate"]
    assert all(w in str(errors[0]) for w in words), str(errors[0])


def test_options_on_a_field_that_is_not_a_choice_are_a_warning() -> None:
    findings = _with_fields("Activity_certificate", '<sunshine:field name="ok" type="boolean">'
                            '<sunshine:option value="yes" /></sunshine:field>')
    assert [(f.rule, f.severity) for f in findings] == [("field-options", "warning")]


def test_a_decision_step_that_declares_fields_must_declare_the_decision() -> None:
    errors = _errors(_with_fields("Activity_decide", '<sunshine:field name="opinion" />'))
    assert [(f.element, f.rule) for f in errors] == [("Activity_decide", "field-role")]
    assert "approve, refuse" in errors[0].message
    wrong = DECISION_FIELD.replace('value="refuse"', 'value="reject"')
    assert [f.rule for f in _errors(_with_fields("Activity_decide", wrong))] == ["field-role"]


# -- everything that keeps a file from running, and the same rules for deploy -------------------


def _without_power(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for el in root.iter(sun("power")):
        el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_file_without_catalogue_entry_is_told_it_would_run_once_the_entry_is_added() -> None:
    data = _without_power((LINT / "valid_minimal.bpmn").read_bytes())
    findings, _ = lint_bytes(data, "minimal.bpmn")
    [finding] = _errors(findings)
    assert (finding.element, finding.rule) == ("test_minimal", "no-power")
    assert "would run once the catalogue entry is added" in finding.message
    assert "<sunshine:power" in finding.fix


def test_a_file_without_catalogue_entry_is_still_checked_for_everything_else() -> None:
    data = _without_power((LINT / "el_method_call.bpmn").read_bytes())
    data = data.replace(b"</bpmn:process>", b'<bpmn:sequenceFlow id="Flow_loop" sourceRef='
                        b'"Activity_decide" targetRef="Activity_decide" /></bpmn:process>', 1)
    findings, _ = lint_bytes(data, "both.bpmn")
    rules = {(f.element, f.rule) for f in _errors(findings)}
    assert {("Flow_approve", "condition-el"), ("Flow_loop", "flow-loop")} <= rules
    [no_power] = [f for f in _errors(findings) if f.rule == "no-power"]
    assert "2 other finding(s)" in no_power.message and "flow-loop" in no_power.message
    assert "would run" not in no_power.message


def test_a_self_loop_with_a_catalogue_entry_is_a_finding_not_a_recursion_error() -> None:
    findings, _ = lint_bytes((LINT / "self_loop_flow.bpmn").read_bytes(), "loop.bpmn")
    assert [(f.element, f.rule) for f in _errors(findings)] == [("Flow_again", "flow-loop")]


def test_a_missing_is_executable_is_executable_as_activiti_and_flowable_read_it() -> None:
    data = (LINT / "valid_minimal.bpmn").read_bytes().replace(b' isExecutable="true"', b"")
    assert b"isExecutable" not in data
    findings, powers = lint_bytes(data, "no_attribute.bpmn")
    assert _errors(findings) == [] and [p.code for p in powers] == ["T-MIN-001"]
    without = _without_power(data)
    messages = " ".join(str(f) for f in lint_bytes(without, "x.bpmn")[0])
    assert "isExecutable" not in messages and "false" not in messages


def test_a_multi_process_file_with_no_executable_process_does_not_lint_clean() -> None:
    data = (b'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn='
            b'"http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
            b'<bpmn:process id="applicant" isExecutable="false"><bpmn:startEvent id="s1"/>'
            b'</bpmn:process><bpmn:process id="office" isExecutable="false">'
            b'<bpmn:startEvent id="s2"/></bpmn:process></bpmn:definitions>')
    errors = _errors(lint_bytes(data, "pools.bpmn")[0])
    assert {(f.element, f.rule) for f in errors} == {("applicant", "not-executable"),
                                                     ("office", "not-executable")}


def test_a_name_past_the_limit_is_named_on_its_element() -> None:
    from engine.xmlsafe import MAX_NAME_LENGTH

    long = "审" * (MAX_NAME_LENGTH + 1)
    data = (LINT / "valid_minimal.bpmn").read_bytes().replace(
        'name="审批决定"'.encode(), f'name="{long}"'.encode(), 1)
    errors = _errors(lint_bytes(data, "long.bpmn")[0])
    assert [(f.element, f.rule) for f in errors] == [("Activity_decide", "name-too-long")]


def test_a_file_past_the_element_limit_is_refused_before_spiffworkflow_parses_it() -> None:
    import time

    from engine.xmlsafe import MAX_ELEMENTS

    tasks = "".join(f'<bpmn:task id="t{i}"/>' for i in range(MAX_ELEMENTS + 1))
    data = ('<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
            f'20100524/MODEL" id="d"><bpmn:process id="big">{tasks}</bpmn:process>'
            '</bpmn:definitions>').encode()
    started = time.perf_counter()
    [finding] = lint_bytes(data, "big.bpmn")[0]
    assert time.perf_counter() - started < 5
    assert finding.rule == "xml" and f"{MAX_ELEMENTS:,}" in finding.message
    assert "split" in finding.fix


def test_every_finding_over_the_fixtures_has_a_rule_a_message_and_a_fix() -> None:
    paths = sorted(str(p) for p in (LINT.glob("*.bpmn"))) + sorted(
        str(p) for p in FOREIGN.glob("*.bpmn"))
    findings = lint_files(paths)
    assert findings
    for f in findings:
        assert f.rule and f.message and f.fix, str(f)
        assert f.element or f.rule == "xml", str(f)
