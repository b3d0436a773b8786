"""The modeler's core, without a browser: the moddle descriptor declares every ``sunshine:``
element and attribute (bpmn-js drops the undeclared ones on save), a save that lost content is
named key by key, the side form writes exactly what the designer changed, and two versions are
compared in words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from engine.modeler import (
    compare_outlines,
    element_ids,
    lost_content,
    outline,
    sunshine_content,
)
from engine.modeler_form import apply_form, form_for
from engine.xmlsafe import SUNSHINE_NS, parse_bpmn_bytes, sun
from tests.conftest import PROCESSES, ROOT

DESCRIPTOR = ROOT / "adapters" / "web" / "static" / "modeler-sunshine.json"
FOOD = PROCESSES / "food_business_licence.bpmn"

# What the engine reads from sunshine: (engine/catalogue.py read_power / read_steps /
# read_timers, engine/formfields.py, engine/lint*.py): element → attributes (#text: its text)
ENGINE_READS = {
    "power": {"code", "name", "shortName", "category", "unit", "mode", "statutoryLimit",
              "promisedLimit", "deemedApproval", "public", "renewal", "kind"},
    "legalBasis": {"#text"}, "conditions": {"#text"}, "leader": {"#text"}, "section": {"#text"},
    "address": {"#text"}, "hours": {"#text"}, "consultPhone": {"#text"},
    "complaintPhone": {"#text"},
    "material": {"name", "key", "commitment", "#text"}, "fee": {"name", "basis", "#text"},
    "result": {"name", "validityYears"}, "post": {"name", "#text"},
    "nonPublic": {"reason", "basis", "filingNo", "filedWith", "filedOn"},
    "field": {"name", "label", "type", "required"}, "option": {"value", "label"},
}
ATTRIBUTES_ON_BPMN = {
    "UserTask": {"timeLimit", "step", "counted", "special", "department", "absentConsent",
                 "organ"},
    "EndEvent": {"result"}, "BoundaryEvent": {"deadline"},
}


def _descriptor() -> dict[str, object]:
    return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _declared() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(element tag → what it may hold, bpmn type → sunshine: attributes) per the descriptor,
    read as moddle reads it (tagAlias lowerCase; a simple non-attribute property is a child
    element with text; an isBody property is the element's own text)."""
    d = _descriptor()
    assert d["uri"] == SUNSHINE_NS and d["prefix"] == "sunshine"
    elements: dict[str, set[str]] = {}
    on_bpmn: dict[str, set[str]] = {}
    for t in d["types"]:  # type: ignore[attr-defined]
        props = t.get("properties", [])
        if t.get("extends"):
            for base in t["extends"]:
                on_bpmn.setdefault(base.split(":")[1], set()).update(
                    p["name"] for p in props if p.get("isAttr"))
            continue
        tag = t["name"][0].lower() + t["name"][1:]
        holds = elements.setdefault(tag, set())
        for p in props:
            if p.get("isAttr"):
                holds.add(p["name"])
            elif p.get("isBody"):
                holds.add("#text")
            elif p["type"] == "String":
                elements.setdefault(p["name"], set()).add("#text")
    return elements, on_bpmn


def test_the_descriptor_declares_everything_the_engine_reads_from_sunshine() -> None:
    elements, on_bpmn = _declared()
    for tag, attrs in ENGINE_READS.items():
        assert attrs <= elements.get(tag, set()), (tag, attrs - elements.get(tag, set()))
    for bpmn_type, attrs in ATTRIBUTES_ON_BPMN.items():
        assert attrs <= on_bpmn.get(bpmn_type, set()), bpmn_type


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_sunshine_element_and_attribute_of_a_shipped_process_is_declared(
        path: Path) -> None:
    elements, on_bpmn = _declared()
    root = parse_bpmn_bytes(path.read_bytes()).getroot()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace == SUNSHINE_NS:
            holds = elements.get(q.localname)
            assert holds is not None, f"{path.name}: <sunshine:{q.localname}> is not declared"
            assert set(el.attrib) <= holds, (q.localname, set(el.attrib) - holds)
            if (el.text or "").strip():
                assert "#text" in holds, q.localname
        for name in el.attrib:
            aq = etree.QName(name)
            if aq.namespace == SUNSHINE_NS:
                bpmn_type = q.localname[0].upper() + q.localname[1:]
                assert aq.localname in on_bpmn.get(bpmn_type, set()), (bpmn_type, aq.localname)


def test_a_save_that_lost_sunshine_content_names_each_value_lost() -> None:
    data = FOOD.read_bytes()
    before = sunshine_content(parse_bpmn_bytes(data).getroot())
    root = parse_bpmn_bytes(data).getroot()
    # what a descriptor missing <sunshine:legalBasis> and sunshine:timeLimit would do
    for el in root.iter(sun("legalBasis")):
        el.getparent().remove(el)
    for el in root.iter():
        el.attrib.pop(sun("timeLimit"), None) if isinstance(el.tag, str) else None
    lost = lost_content(before, sunshine_content(root), element_ids(root))
    keys = {x.key for x in lost}
    assert "food_business_licence/power/legalBasis" in keys
    assert {"acceptance@timeLimit", "decision@timeLimit", "certificate@timeLimit"} <= keys
    words = [str(x) for x in lost]
    assert any("元素 decision 的 sunshine:timeLimit" in w and "将被删除" in w for w in words)
    assert any("sunshine:power/sunshine:legalBasis" in w and "食品安全法" in w for w in words)


def test_nothing_is_lost_when_the_side_form_changed_it_or_the_step_was_deleted() -> None:
    data = FOOD.read_bytes()
    before = sunshine_content(parse_bpmn_bytes(data).getroot())
    root = parse_bpmn_bytes(data).getroot()
    decision = next(el for el in root.iter() if el.get("id") == "decision")
    decision.set(sun("timeLimit"), "2")
    check = next(el for el in root.iter() if el.get("id") == "check")
    check.getparent().remove(check)  # deleted in the diagram: its settings go with it
    after = sunshine_content(root)
    assert lost_content(before, after, element_ids(root), edited={"decision@timeLimit"}) == []
    [lost] = lost_content(before, after, element_ids(root))
    assert lost.key == "decision@timeLimit" and lost.after == "2"


def _power_values(data: bytes) -> dict[str, str]:
    form = form_for(data, "")
    values = {k: ("true" if v is True else "" if v is False else str(v))
              for k, v in form.values.items()}
    for i, m in enumerate(form.rows["material"]):
        values |= {f"material-{i}-name": m["name"], f"material-{i}-key": "true" if m["key"] else "",
                   f"material-{i}-commitment": "true" if m["commitment"] else ""}
    for i, f in enumerate(form.rows["fee"]):
        values |= {f"fee-{i}-name": f["name"], f"fee-{i}-basis": f["basis"]}
    return values


def _changed(a: bytes, b: bytes) -> list[str]:
    from engine.modeler import changed_keys

    return changed_keys(sunshine_content(parse_bpmn_bytes(a).getroot()),
                        sunshine_content(parse_bpmn_bytes(b).getroot()))


def test_the_power_form_sent_back_unchanged_changes_nothing() -> None:
    data = FOOD.read_bytes()
    assert _changed(data, apply_form(data, "Participant_food", "power", _power_values(data))) == []


def test_the_power_form_writes_exactly_what_the_designer_changed() -> None:
    data = FOOD.read_bytes()
    values = _power_values(data) | {"promisedLimit": "8", "material-4-key": "true",
                                    "material-7-name": "法定代表人身份证明", "material-7-key": "true",
                                    "fee-0-name": ""}
    new = apply_form(data, "", "power", values)
    assert _changed(data, new) == [
        "food_business_licence/power/fee@basis", "food_business_licence/power/fee@name",
        "food_business_licence/power/material[5]@key", "food_business_licence/power/material[8]@key",
        "food_business_licence/power/material[8]@name", "food_business_licence/power@promisedLimit"]
    changes = [c.text for c in compare_outlines(outline(parse_bpmn_bytes(data).getroot()),
                                                 outline(parse_bpmn_bytes(new).getroot()))]
    assert "承诺时限由“10”改为“8”" in changes
    assert "新增申请材料“法定代表人身份证明”（关键材料）" in changes
    assert "删除收费“不收费”" in changes
    assert "申请材料“从业人员健康证明”由（非关键材料，可容缺后补）改为（关键材料）" in changes


def test_the_step_form_writes_the_limit_the_counting_and_the_fields() -> None:
    data = FOOD.read_bytes()
    values = {"name": "现场核查", "timeLimit": "4", "step": "inspection", "special": "检验",
              "department": "", "field-0-name": "opinion", "field-0-label": "意见",
              "field-0-type": "text", "field-1-name": "needs_testing", "field-1-label": "需检测",
              "field-1-type": "boolean", "field-1-required": "true"}
    new = apply_form(data, "inspection", "step", values)
    task = next(el for el in parse_bpmn_bytes(new).getroot().iter() if el.get("id") == "inspection")
    assert task.get(sun("timeLimit")) == "4" and task.get(sun("counted")) == "false"
    assert task.get(sun("special")) == "检验"
    fields = [(f.get("name"), f.get("type"), f.get("required")) for f in task.iter(sun("field"))]
    assert fields == [("opinion", "text", None), ("needs_testing", "boolean", "true")]
    # extensionElements stays where BPMN puts it: after documentation, before incoming
    tags = [etree.QName(c).localname for c in task]
    assert tags.index("extensionElements") < tags.index("incoming")


def test_renaming_a_lane_renames_its_post_and_compare_says_so() -> None:
    data = FOOD.read_bytes()
    new = apply_form(data, "Lane_check", "lane", {"name": "复核岗", "duties": "复核审核意见"})
    root = parse_bpmn_bytes(new).getroot()
    assert [p.get("name") for p in root.iter(sun("post"))].count("复核岗") == 1
    assert "审核岗" not in [p.get("name") for p in root.iter(sun("post"))]
    changes = compare_outlines(outline(parse_bpmn_bytes(data).getroot()), outline(root))
    texts = [c.text for c in changes]
    assert "新增岗位“复核岗”" in texts and "删除岗位“审核岗”" in texts
    assert "环节“审核”（check）：岗位由“审核岗”改为“复核岗”" in texts
    assert [c.element for c in changes if c.area == "环节"] == ["check"]


def test_a_form_for_another_kind_of_element_is_refused() -> None:
    from engine.errors import InvalidAction

    with pytest.raises(InvalidAction, match="表单与所选元素不符"):
        apply_form(FOOD.read_bytes(), "decision", "end", {"result": "approved"})


def test_compare_names_added_removed_and_changed_steps_and_flows() -> None:
    data = FOOD.read_bytes()
    root = parse_bpmn_bytes(data).getroot()
    flow = next(el for el in root.iter() if el.get("id") == "Flow_approve")
    flow[0].text = 'decision == "approve" and opinion != ""'
    decision = next(el for el in root.iter() if el.get("id") == "decision")
    decision.set(sun("timeLimit"), "3")
    changes = compare_outlines(outline(parse_bpmn_bytes(data).getroot()), outline(root))
    texts = [c.text for c in changes]
    assert "环节“审批决定”（decision）：时限由“1”改为“3”" in texts
    assert ("连线 Flow_approve 由 “是否准予” → “制证发证”，条件 decision == \"approve\" 改为 "
            "“是否准予” → “制证发证”，条件 decision == \"approve\" and opinion != \"\"") in texts
