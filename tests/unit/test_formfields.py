"""Form fields declared in the BPMN file (sunshine:field, engine/formfields.py): read at deploy
time into the stored spec, and the one place a step's form data is typed and refused.

Values arrive as text from the command line (and, later, a web form) or as JSON values; the
declared type decides, so a phone keeps its leading zero and an ID number stays exact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from adapters.calendar_files import schedules_from_chinese_calendar
from engine.calendar import WorkingCalendar
from engine.case import Case, Setting
from engine.definitions import Definition, load_definitions
from engine.errors import InvalidAction
from engine.formfields import (
    EXTENSION_KEY,
    FormField,
    Option,
    check_step_data,
    legacy_value,
    read_fields,
    step_fields,
)
from engine.model import Rules, StepRecord
from engine.serialization import spec_objects
from engine.xmlsafe import bpmn, parse_bpmn_bytes

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
MINIMAL = ROOT / "tests" / "fixtures" / "bpmn" / "lint" / "valid_minimal.bpmn"
READY_AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # a fixed time, never the wall clock

# A registration form on the certificate step of the minimal fixture: one field of every type.
FIELDS = """
      <bpmn:extensionElements>
        <sunshine:field name="phone" label="联系电话" type="string" required="true" />
        <sunshine:field name="id_number" label="身份证号码" type="string" />
        <sunshine:field name="note" label="备注" type="text" />
        <sunshine:field name="delivered" label="已送达" type="boolean" />
        <sunshine:field name="copies" label="份数" type="integer" />
        <sunshine:field name="area" label="面积（平方米）" type="number" />
        <sunshine:field name="served_on" label="送达日期" type="date" />
        <sunshine:field name="channel" label="送达方式" type="choice">
          <sunshine:option value="window" label="窗口领取" />
          <sunshine:option value="mail" label="邮寄" />
          <sunshine:option value="online" />
        </sunshine:field>
      </bpmn:extensionElements>"""
_CERTIFICATE = ('<bpmn:userTask id="Activity_certificate" name="制证送达" sunshine:timeLimit="1" '
                'sunshine:step="certificate">')


def _definition(text: str, file: str) -> Definition:
    [definition] = load_definitions(text.encode(), file)
    return definition


def _with_fields() -> Definition:
    text = MINIMAL.read_text(encoding="utf-8")
    assert _CERTIFICATE in text
    return _definition(text.replace(_CERTIFICATE, _CERTIFICATE + FIELDS), "with_fields.bpmn")


def _setting(definition: Definition, *, restored: bool = True) -> Setting:
    spec = spec_objects(definition.spec) if restored else definition.spec
    return Setting(power=definition.power, spec=spec, calendar=WorkingCalendar({}), rules=Rules())


def _step(spec_id: str, name: str) -> StepRecord:
    return StepRecord(id="task-1", case_id=1, case_number="2026-测试-000001", spec_id=spec_id,
                      name=name, post="制证岗", role=None, ready_at=READY_AT, limit_days=1)


CERTIFICATE = _step("Activity_certificate", "制证送达")


def _check(data: dict[str, Any], *, restored: bool = True) -> dict[str, Any]:
    return check_step_data(_setting(_with_fields(), restored=restored), CERTIFICATE, data)


def _refused(data: dict[str, Any]) -> InvalidAction:
    with pytest.raises(InvalidAction) as err:
        _check({"phone": "0571-87654321", **data})
    return err.value


# -- reading the declarations ------------------------------------------------------------------


def test_a_field_declaration_is_read_with_its_label_type_requirement_and_options() -> None:
    task = etree.fromstring(
        '<bpmn:userTask xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:sunshine="https://sunshine.gov.cn/schema/bpmn/1.0" id="t">'
        + FIELDS + "</bpmn:userTask>")
    fields = read_fields(task)
    assert [f.name for f in fields] == ["phone", "id_number", "note", "delivered", "copies",
                                        "area", "served_on", "channel"]
    assert fields[0] == FormField("phone", "联系电话", "string", required=True)
    assert fields[-1].options == (Option("window", "窗口领取"), Option("mail", "邮寄"),
                                  Option("online"))
    assert fields[-1].values == ("window", "mail", "online")
    assert FormField.from_dict(fields[-1].to_dict()) == fields[-1]


def test_a_field_without_type_or_label_is_a_string_shown_by_its_name() -> None:
    task = etree.fromstring(
        '<u xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:sunshine="https://sunshine.gov.cn/schema/bpmn/1.0"><bpmn:extensionElements>'
        '<sunshine:field name="remark" /></bpmn:extensionElements></u>')
    [field] = read_fields(task)
    assert (field.type, field.label, field.required, field.title) == ("string", "", False, "remark")


def test_the_declarations_travel_in_the_stored_spec_so_cases_never_parse_the_xml() -> None:
    definition = _with_fields()
    stored = definition.spec["spec"]["task_specs"]["Activity_certificate"]["extensions"]
    assert [f["name"] for f in stored[EXTENSION_KEY]][:2] == ["phone", "id_number"]
    assert not definition.spec["spec"]["task_specs"]["Activity_decide"]["extensions"]
    for restored in (True, False):  # restored spec objects, or the stored dict itself
        spec = _setting(definition, restored=restored).spec
        assert [f.type for f in step_fields(spec, "Activity_certificate")] == [
            "string", "string", "text", "boolean", "integer", "number", "date", "choice"]
        assert step_fields(spec, "Activity_decide") == ()


def test_a_file_without_declarations_deploys_the_same_spec_as_before() -> None:
    definition = _definition(MINIMAL.read_text(encoding="utf-8"), "valid_minimal.bpmn")
    assert not any((t.get("extensions") or {}) for t in definition.spec["spec"]["task_specs"].values())


# -- typing --------------------------------------------------------------------------------------


def test_text_from_the_command_line_is_typed_as_each_field_declares() -> None:
    typed = _check({"phone": "0571-87654321", "id_number": "330102199001011234",
                    "note": "  当面送达  ", "delivered": "true", "copies": "2", "area": "12.5",
                    "served_on": "2026-03-02", "channel": "mail"})
    assert typed == {"phone": "0571-87654321", "id_number": "330102199001011234",
                     "note": "  当面送达  ", "delivered": True, "copies": 2, "area": 12.5,
                     "served_on": "2026-03-02", "channel": "mail"}


def test_a_phone_keeps_its_leading_zero_and_an_id_number_stays_exact_text() -> None:
    typed = _check({"phone": "05718765432", "id_number": "110101199003077777"})
    assert typed["phone"] == "05718765432"
    assert typed["id_number"] == "110101199003077777"  # not an int above 2**53


def test_values_already_of_the_declared_json_type_are_kept() -> None:
    typed = _check({"phone": "0571-87654321", "delivered": False, "copies": 3, "area": 7,
                    "served_on": "2026-12-31", "channel": "online"})
    assert typed == {"phone": "0571-87654321", "delivered": False, "copies": 3, "area": 7,
                     "served_on": "2026-12-31", "channel": "online"}


@pytest.mark.parametrize(("field", "text", "value"), [
    ("delivered", "是", True), ("delivered", "否", False), ("delivered", "FALSE", False),
    ("delivered", "1", True), ("copies", "-3", -3), ("copies", "１２", 12), ("area", "3", 3),
    ("area", "1e3", 1000.0), ("area", ".5", 0.5), ("served_on", "２０２６－０３－０２", "2026-03-02"),
])
def test_the_ways_a_clerk_types_a_value_are_understood(field: str, text: str, value: Any) -> None:
    typed = _check({"phone": "1", field: text})[field]
    assert typed == value and type(typed) is type(value)


def test_an_optional_field_left_blank_is_not_recorded() -> None:
    assert _check({"phone": "1", "copies": "", "served_on": " ", "delivered": None}) == {
        "phone": "1"}


# -- refusals --------------------------------------------------------------------------------------


def test_a_field_the_step_does_not_declare_is_refused_naming_it_and_listing_the_declared() -> None:
    err = _refused({"送达方式": "邮寄"})
    assert err.field == "送达方式"
    message = str(err)
    assert message.startswith("环节“制证送达”没有字段“送达方式”")
    assert "phone（联系电话）" in message and "channel（送达方式）" in message
    assert "has no field" in message
    assert "--data" not in message  # the core never names a command-line flag


def test_an_undeclared_chinese_field_name_on_a_shipped_step_is_refused() -> None:
    food = load_definitions((PROCESSES / "food_business_licence.bpmn").read_bytes(),
                            "food_business_licence.bpmn")[0]
    with pytest.raises(InvalidAction) as err:
        check_step_data(_setting(food), _step("decision", "审批决定"),
                        {"决定": "approve", "opinion": "同意"})
    assert err.value.field == "决定"
    assert str(err.value).startswith(
        "环节“审批决定”没有字段“决定” (step “审批决定” has no field “决定”); "
        "可用字段 fields: decision（决定）, opinion（意见）")


def test_a_missing_required_field_is_refused_naming_it() -> None:
    with pytest.raises(InvalidAction) as err:
        _check({"note": "x"})
    assert err.value.field == "phone"
    assert "缺少必填字段“联系电话”（phone）" in str(err.value)
    assert "needs the field “phone”" in str(err.value)


def test_a_required_text_field_left_blank_is_refused() -> None:
    with pytest.raises(InvalidAction, match="是空的") as err:
        _check({"phone": "   "})
    assert err.value.field == "phone"


def test_a_missing_required_choice_lists_its_options() -> None:
    food = load_definitions((PROCESSES / "food_business_licence.bpmn").read_bytes(),
                            "food_business_licence.bpmn")[0]
    with pytest.raises(InvalidAction) as err:
        check_step_data(_setting(food), _step("decision", "审批决定"), {"opinion": "同意"})
    assert err.value.field == "decision"
    assert "approve（准予许可）" in str(err.value) and "refuse（不予许可）" in str(err.value)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("delivered", "maybe", "是/否"),
    ("copies", "2.5", "整数"),
    ("copies", True, "整数"),
    ("area", "12,5", "数字"),
    ("area", "nan", "数字"),
    ("served_on", "2026-02-30", "日期"),
    ("served_on", "2026/03/02", "日期"),
    ("phone", 571, "单行文字"),
    ("note", ["a"], "文字"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_field_type_and_an_example(
        field: str, value: Any, expected: str) -> None:
    err = _refused({field: value})
    assert err.field == field
    message = str(err)
    assert f"（{field}）应为{expected}，例如 " in message
    assert f"field “{field}” of step “制证送达” must be" in message


def test_a_choice_outside_its_options_is_refused_listing_them() -> None:
    err = _refused({"channel": "courier"})
    assert err.field == "channel"
    message = str(err)
    assert "window（窗口领取）、mail（邮寄）、online" in message and "courier" in message
    assert "channel = window (窗口领取), mail (邮寄) or online" in message


def test_form_data_that_is_not_a_set_of_named_fields_is_refused() -> None:
    with pytest.raises(InvalidAction, match="named fields"):
        _check(["phone"])  # type: ignore[arg-type]


# -- steps that declare nothing ------------------------------------------------------------------


def test_a_step_that_declares_no_fields_keeps_the_old_conversion() -> None:
    definition = _definition(MINIMAL.read_text(encoding="utf-8"), "valid_minimal.bpmn")
    typed = check_step_data(_setting(definition), _step("Activity_certificate", "制证送达"), {
        "ok": "true", "no": "否", "count": "3", "share": "0.5", "items": "[1, 2]",
        "phone": "0571", "any_name_名称": "文字", "nan": "nan", "kept": 4})
    assert typed == {"ok": True, "no": False, "count": 3, "share": 0.5, "items": [1, 2],
                     "phone": 571, "any_name_名称": "文字", "nan": "nan", "kept": 4}


def test_the_old_conversion_leaves_what_it_cannot_read_as_text() -> None:
    assert legacy_value("{not json") == "{not json"
    assert legacy_value("inf") == "inf"
    assert legacy_value(None) is None


# -- the shipped processes -----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_user_task_of_every_shipped_process_declares_its_fields(path: Path) -> None:
    tree = parse_bpmn_bytes(path.read_bytes(), path.name)
    tasks = list(tree.getroot().iter(bpmn("userTask")))
    assert tasks
    for task in tasks:
        fields = {f.name: f for f in read_fields(task)}
        assert "opinion" in fields, (path.name, task.get("id"))
        role = task.get("{https://sunshine.gov.cn/schema/bpmn/1.0}step")
        if role == "decision":
            assert fields["decision"].required and set(fields["decision"].values) == {
                "approve", "refuse"}
        if role == "acceptance":
            assert fields["acceptance"].values == ("accept", "supplement", "refuse")
    [definition] = load_definitions(path.read_bytes(), path.name)
    spec = spec_objects(definition.spec)
    for step in definition.power.steps:
        assert step_fields(spec, step.id), (path.name, step.id)


# -- through the case ------------------------------------------------------------------------------


def _received(file: str) -> Case:
    [definition] = load_definitions((PROCESSES / file).read_bytes(), file)
    calendar = WorkingCalendar({y: s for y, s in schedules_from_chinese_calendar().items()
                                if y == 2026})
    setting = Setting(power=definition.power, spec=spec_objects(definition.spec),
                      calendar=calendar, rules=Rules())
    case = Case.receive(setting, number="2026-测试-000001", definition_id=1, applicant="张三",
                        data={}, channel="window", received_at=READY_AT)
    case.id = 1
    case.start(now=READY_AT, actor="李窗口", version=1)
    return case


def test_a_step_completed_with_text_records_the_declared_types() -> None:
    case = _received("public_place_hygiene_licence.bpmn")
    [acceptance] = case.open_steps()
    case.complete(acceptance.id, now=READY_AT, user="李窗口",
                  data={"acceptance": "accept", "commitment": "true"})
    [decision] = case.open_steps()  # a commitment (告知承诺) skips the inspection
    assert decision.name == "审批决定"
    assert case.step(acceptance.id).data["commitment"] is True


def test_a_step_completed_with_an_undeclared_field_changes_nothing() -> None:
    case = _received("food_business_licence.bpmn")
    case.accept(now=READY_AT, actor="李窗口")
    [inspection] = case.open_steps()
    events = len(case.new_events)
    with pytest.raises(InvalidAction) as err:
        case.complete(inspection.id, now=READY_AT, user="赵核查", data={"核查结果": "合格"})
    assert err.value.field == "核查结果" and "现场核查" in str(err.value)
    assert case.open_steps()[0].id == inspection.id and len(case.new_events) == events
