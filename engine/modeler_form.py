"""The modeler's side form: what it shows for the selected element, and how what the designer
typed is written into the BPMN file (server side, with lxml), so nobody edits XML by hand.

The selected element decides the form (``form_for``):

- the process (or its pool, or nothing selected): the power's catalogue entry (sunshine:power);
- a user task: its step settings (limit, counted, role, special procedure) and form fields;
- a lane: its post (岗位) — renaming the lane renames the post and its duties;
- an end event: how the case ends there (sunshine:result);
- a timer boundary event: which deadline fires it (sunshine:deadline).

``apply_form`` writes the posted values into the element and returns the file's new bytes;
every value it does not change stays exactly as it was (an unchanged value is never rewritten,
so the keys a save may change are exactly the ones the designer touched).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.catalogue import (
    CATEGORIES,
    DEADLINE_KINDS,
    MODES,
    RESULTS,
    SPECIAL_KINDS,
    STEP_ROLES,
    lane_of,
    power_element,
    read_power,
)
from engine.errors import InvalidAction
from engine.formfields import FIELD_TYPES, field_elements, read_field
from engine.xmlsafe import SUNSHINE_NS, bpmn, parse_bpmn_bytes, sun

# power attributes the form edits, in the order the guide lists them
POWER_ATTRS = ("code", "name", "shortName", "category", "unit", "mode", "statutoryLimit",
               "promisedLimit")
POWER_TEXTS = ("legalBasis", "conditions", "leader", "section", "address", "hours",
               "consultPhone", "complaintPhone")
# the order of sunshine:power's children (docs/designer-guide.md); others keep theirs, after
POWER_ORDER = ("legalBasis", "conditions", "material", "fee", "leader", "section", "address",
               "hours", "consultPhone", "complaintPhone", "result", "post", "nonPublic")
NON_PUBLIC = ("reason", "basis", "filingNo", "filedWith", "filedOn")
TRUE = ("true", "1", "yes", "是")


@dataclass(frozen=True)
class ElementForm:
    """What the side form shows for one element."""

    kind: str  # power, step, lane, end, timer, other
    element: str  # the element the form writes into (the process, for the power)
    name: str
    process: str  # the process the element belongs to
    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # materials, fees, fields
    lane: str | None = None  # a step's post


CHOICES = {"category": CATEGORIES, "mode": MODES, "step": STEP_ROLES, "special": SPECIAL_KINDS,
           "result": RESULTS, "deadline": DEADLINE_KINDS, "type": tuple(FIELD_TYPES)}


def _find(root: etree._Element, element_id: str) -> etree._Element | None:
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") == element_id:
            return el
    return None


def _process_of(root: etree._Element, el: etree._Element) -> etree._Element | None:
    node: etree._Element | None = el
    while node is not None and node.tag != bpmn("process"):
        node = node.getparent()
    return node


def _main_process(root: etree._Element) -> etree._Element | None:
    processes = root.findall(bpmn("process"))
    with_power = [p for p in processes if power_element(p) is not None]
    return (with_power or processes or [None])[0]


def resolve(root: etree._Element, element_id: str) -> tuple[str, etree._Element, etree._Element]:
    """(kind, element, process) for the id bpmn-js reports as selected; a pool means its
    process, the collaboration or nothing the file's main process."""
    el = _find(root, element_id) if element_id else None
    if el is not None and el.tag == bpmn("participant") and el.get("processRef"):
        el = _find(root, el.get("processRef") or "")
    if el is None or el.tag in (bpmn("collaboration"), bpmn("definitions")):
        el = _main_process(root)
    if el is None:
        raise InvalidAction("文件中没有流程 (the file has no process): 先画出流程再填写事项信息",
                            field="element")
    process = _process_of(root, el)
    if process is None:
        raise InvalidAction(f"元素 {element_id} 不在任何流程中 (not inside a process)",
                            field="element")
    tag = etree.QName(el).localname
    if el is process:
        kind = "power"
    elif tag == "userTask":
        kind = "step"
    elif tag == "lane":
        kind = "lane"
    elif tag == "endEvent":
        kind = "end"
    elif tag == "boundaryEvent" and el.find(bpmn("timerEventDefinition")) is not None:
        kind = "timer"
    else:
        kind = "other"
    return kind, el, process


def form_for(data: bytes, element_id: str) -> ElementForm:
    """The side form's content for the selected element of a file."""
    root = parse_bpmn_bytes(data, "modeler.bpmn").getroot()
    kind, el, process = resolve(root, element_id)
    eid, pid = el.get("id") or "", process.get("id") or ""
    name = (el.get("name") or "").strip()
    if kind == "power":
        p = power_element(process)
        a = p.attrib if p is not None else {}
        power = read_power(process)
        values: dict[str, Any] = {k: a.get(k, "") for k in POWER_ATTRS}
        values["name"] = a.get("name", "") if p is not None else name
        values["deemedApproval"] = (a.get("deemedApproval") or "").lower() in TRUE
        values["public"] = (a.get("public") or "true").lower() in TRUE
        values["has_power"] = p is not None
        values["executable"] = (process.get("isExecutable") or "").lower() == "true"
        for t in POWER_TEXTS:
            child = p.find(sun(t)) if p is not None else None
            values[t] = (child.text or "").strip() if child is not None else ""
        result = p.find(sun("result")) if p is not None else None
        values["result_name"] = result.get("name", "") if result is not None else ""
        values["result_validityYears"] = result.get("validityYears", "") if result is not None \
            else ""
        np = p.find(sun("nonPublic")) if p is not None else None
        for k in NON_PUBLIC:
            values[f"np_{k}"] = np.get(k, "") if np is not None else ""
        rows = {"material": [{"name": m.name, "key": m.key, "commitment": m.commitment}
                             for m in (power.materials if power else ())],
                "fee": [{"name": f.name, "basis": f.basis} for f in (power.fees if power else ())]}
        return ElementForm(kind, pid, values["name"], pid, values, rows)
    if kind == "step":
        values = {"name": name, "timeLimit": el.get(sun("timeLimit"), ""),
                  "counted": (el.get(sun("counted")) or "true").lower() in TRUE,
                  "step": el.get(sun("step"), ""), "special": el.get(sun("special"), ""),
                  "department": el.get(sun("department"), "")}
        fields = []
        for f in (read_field(x) for x in field_elements(el)):
            fields.append({"name": f.name, "label": f.label, "type": f.type,
                           "required": f.required,
                           "options": "\n".join(f"{o.value}={o.label}" if o.label else o.value
                                                for o in f.options)})
        return ElementForm(kind, eid, name, pid, values, {"field": fields},
                           lane=lane_of(process).get(eid))
    if kind == "lane":
        post = _post(process, name)
        return ElementForm(kind, eid, name, pid, {
            "name": name, "duties": (post.text or "").strip() if post is not None else "",
            "has_power": power_element(process) is not None})
    if kind == "end":
        return ElementForm(kind, eid, name, pid, {"name": name,
                                                   "result": el.get(sun("result"), "")})
    if kind == "timer":
        return ElementForm(kind, eid, name, pid, {
            "name": name, "deadline": el.get(sun("deadline"), ""),
            "attached": el.get("attachedToRef", "")})
    return ElementForm(kind, eid, name, pid, {"name": name, "tag": etree.QName(el).localname})


def _post(process: etree._Element, name: str) -> etree._Element | None:
    p = power_element(process)
    if p is None or not name:
        return None
    return next((x for x in p.findall(sun("post")) if x.get("name", "").strip() == name), None)


# -- writing ---------------------------------------------------------------------------------


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()


def _checked(values: Mapping[str, Any], name: str) -> bool:
    return _text(values, name).lower() in TRUE or _text(values, name) == "on"


def _set(el: etree._Element, attr: str, value: str, *, drop_empty: bool = True) -> None:
    """Set an attribute, leaving it untouched when it already says the same."""
    old = el.get(attr)
    if old is not None and old.strip() == value:
        return
    if value == "" and drop_empty:
        if old is not None:
            del el.attrib[attr]
        return
    el.set(attr, value)


def _set_bool(el: etree._Element, attr: str, value: bool, default: bool) -> None:
    old = el.get(attr)
    was = default if old is None or not old.strip() else old.strip().lower() in TRUE
    if was == value:
        return
    el.set(attr, "true" if value else "false")


def _ext(el: etree._Element) -> etree._Element:
    """The element's extensionElements, made where BPMN puts it (after documentation)."""
    ext = el.find(bpmn("extensionElements"))
    if ext is None:
        ext = etree.Element(bpmn("extensionElements"))
        docs = [c for c in el if c.tag == bpmn("documentation")]
        el.insert(el.index(docs[-1]) + 1 if docs else 0, ext)
    return ext


def _rows(values: Mapping[str, Any], prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Repeated rows posted as ``prefix-0-name``, ``prefix-1-name`` …; a row without its first
    column is dropped (that is how a row is removed, and the blank row stays blank)."""
    indexes = sorted({int(k.split("-")[1]) for k in values
                      if k.startswith(prefix + "-") and k.split("-")[1].isdigit()})
    rows = []
    for i in indexes:
        row = {n: _text(values, f"{prefix}-{i}-{n}") for n in names}
        if row[names[0]]:
            rows.append(row)
    return rows


def apply_form(data: bytes, element_id: str, kind: str, values: Mapping[str, Any]) -> bytes:
    """Write a side form's values into the element; the file's new bytes."""
    tree = parse_bpmn_bytes(data, "modeler.bpmn")
    root = tree.getroot()
    found, el, process = resolve(root, element_id)
    if found != kind:
        raise InvalidAction(f"表单与所选元素不符：{element_id} 是 {found}，表单是 {kind} "
                            f"(the form does not fit the element; select it again)",
                            field="element")
    {"power": _apply_power, "step": _apply_step, "lane": _apply_lane, "end": _apply_end,
     "timer": _apply_timer, "other": _apply_name}[kind](el, process, values)
    etree.cleanup_namespaces(root, top_nsmap={"sunshine": SUNSHINE_NS})
    return bytes(etree.tostring(tree, encoding="UTF-8", xml_declaration=True))


def _apply_name(el: etree._Element, process: etree._Element, values: Mapping[str, Any]) -> None:
    if "name" in values:
        _set(el, "name", _text(values, "name"))


def _apply_power(process: etree._Element, _: etree._Element, values: Mapping[str, Any]) -> None:
    p = power_element(process)
    if p is None:
        p = etree.SubElement(_ext(process), sun("power"))
    for attr in POWER_ATTRS:
        _set(p, attr, _text(values, attr), drop_empty=attr in ("statutoryLimit",))
    if _text(values, "name"):
        _set(process, "name", _text(values, "name"))
    _set_bool(p, "deemedApproval", _checked(values, "deemedApproval"), False)
    _set_bool(p, "public", _checked(values, "public"), True)
    if _checked(values, "executable"):
        _set(process, "isExecutable", "true")
    groups: dict[str, list[etree._Element]] = {}
    for child in list(p):
        name = etree.QName(child).localname if isinstance(child.tag, str) else "#comment"
        groups.setdefault(name, []).append(child)
        p.remove(child)
    for t in POWER_TEXTS:
        text = _text(values, t)
        old = groups.get(t, [])
        if old and (old[0].text or "").strip() == text:
            continue
        groups[t] = [_element(t, text=text)] if text else []
    materials = _rows(values, "material", ("name", "key", "commitment"))
    old_materials = [(m.get("name", "").strip() or (m.text or "").strip(),
                      (m.get("key") or "true").lower() in TRUE,
                      (m.get("commitment") or "").lower() in TRUE)
                     for m in groups.get("material", [])]
    new_materials = [(m["name"], m["key"].lower() in TRUE or m["key"] == "on",
                      m["commitment"].lower() in TRUE or m["commitment"] == "on")
                     for m in materials]
    if old_materials != new_materials:
        groups["material"] = [_element("material", name=n, key=str(k).lower(),
                                       **({"commitment": "true"} if c else {}))
                              for n, k, c in new_materials]
    fees = [(f["name"], f["basis"]) for f in _rows(values, "fee", ("name", "basis"))]
    old_fees = [(f.get("name", "").strip() or (f.text or "").strip(), f.get("basis", ""))
                for f in groups.get("fee", [])]
    if old_fees != fees:
        groups["fee"] = [_element("fee", name=n, basis=b) for n, b in fees]
    result = (groups.get("result") or [None])[0]
    rname, years = _text(values, "result_name"), _text(values, "result_validityYears")
    if result is None and (rname or years):
        result = _element("result")
        groups["result"] = [result]
    if result is not None:
        _set(result, "name", rname, drop_empty=False)
        _set(result, "validityYears", years)
    np = (groups.get("nonPublic") or [None])[0]
    filing = {k: _text(values, f"np_{k}") for k in NON_PUBLIC}
    if np is None and any(filing.values()):
        np = _element("nonPublic")
        groups["nonPublic"] = [np]
    if np is not None:
        if not any(filing.values()):
            groups["nonPublic"] = []
        for k, v in filing.items():
            _set(np, k, v, drop_empty=False)
    for name in POWER_ORDER + tuple(n for n in groups if n not in POWER_ORDER):
        for child in groups.get(name, []):
            p.append(child)


def _element(tag: str, text: str = "", **attrs: str) -> etree._Element:
    el = etree.Element(sun(tag), {k: v for k, v in attrs.items()})
    if text:
        el.text = text
    return el


def _apply_step(task: etree._Element, process: etree._Element,
                values: Mapping[str, Any]) -> None:
    _set(task, "name", _text(values, "name"))
    _set(task, sun("timeLimit"), _text(values, "timeLimit"))
    _set_bool(task, sun("counted"), _checked(values, "counted"), True)
    _set(task, sun("step"), _text(values, "step"))
    _set(task, sun("special"), _text(values, "special"))
    _set(task, sun("department"), _text(values, "department"))
    rows = _rows(values, "field", ("name", "label", "type", "required", "options"))
    old = [read_field(x) for x in field_elements(task)]
    new = []
    for r in rows:
        options = []
        for line in r["options"].replace("，", "\n").replace(",", "\n").splitlines():
            value, _, label = line.strip().partition("=")
            if value.strip():
                options.append((value.strip(), label.strip()))
        new.append((r["name"], r["label"], r["type"] or "string",
                    r["required"].lower() in TRUE or r["required"] == "on", options))
    before = [(f.name, f.label, f.type, f.required, [(o.value, o.label) for o in f.options])
              for f in old]
    if before == new:
        return
    ext = _ext(task)
    first = None
    for x in field_elements(task):
        first = ext.index(x) if first is None else first
        ext.remove(x)
    at = len(ext) if first is None else first
    for i, (name, label, type_, required, options) in enumerate(new):
        attrs = {"name": name}
        if label:
            attrs["label"] = label
        attrs["type"] = type_
        if required:
            attrs["required"] = "true"
        f = _element("field", **attrs)
        for value, olabel in options:
            f.append(_element("option", value=value, **({"label": olabel} if olabel else {})))
        ext.insert(at + i, f)


def _apply_lane(lane: etree._Element, process: etree._Element,
                values: Mapping[str, Any]) -> None:
    old = (lane.get("name") or "").strip()
    new = _text(values, "name")
    post = _post(process, old)
    _set(lane, "name", new)
    p = power_element(process)
    if p is None or not new:
        return
    duties = _text(values, "duties")
    if post is None:
        if not duties:
            return
        post = _element("post", name=new)
        later = [c for c in p if isinstance(c.tag, str) and etree.QName(c).localname == "nonPublic"]
        if later:
            later[0].addprevious(post)
        else:
            p.append(post)
    _set(post, "name", new, drop_empty=False)
    if (post.text or "").strip() != duties:
        post.text = duties


def _apply_end(end: etree._Element, process: etree._Element, values: Mapping[str, Any]) -> None:
    _set(end, "name", _text(values, "name"))
    _set(end, sun("result"), _text(values, "result"))


def _apply_timer(ev: etree._Element, process: etree._Element,
                 values: Mapping[str, Any]) -> None:
    _set(ev, "name", _text(values, "name"))
    _set(ev, sun("deadline"), _text(values, "deadline"))
