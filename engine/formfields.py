"""Form fields (表单字段) a step declares in its BPMN file, and the one place form data is typed.

A user task lists what its form holds as ``sunshine:field`` extension elements
(docs/designer-guide.md). At deploy time the declarations are copied into the step's spec
(``extensions``, which SpiffWorkflow's serializer keeps), so the running engine reads them from
the stored spec and never parses XML again. ``check_step_data`` turns what a person sends with a
step — strings from the command line or a web form, or JSON values — into the declared types,
and refuses a field the step does not declare, a missing required field, a value of the wrong
type and a choice outside its options, naming the field.

A step that declares no field at all (a file from another tool) keeps the old, guessing
conversion: ``true``/``false``, numbers and JSON lists/objects given as text are converted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

from engine.errors import InvalidAction
from engine.formdata import check_form_data
from engine.xmlsafe import bpmn, sun

if TYPE_CHECKING:
    from engine.case import Setting
    from engine.model import StepRecord

# type → (Chinese name, English name, example value as a clerk would type it)
FIELD_TYPES: dict[str, tuple[str, str, str]] = {
    "string": ("单行文字", "text on one line", "0571-87654321"),
    "text": ("文字", "text", "材料齐全，符合要求"),
    "boolean": ("是/否", "true or false", "true"),
    "integer": ("整数", "a whole number", "3"),
    "number": ("数字", "a number", "12.5"),
    "date": ("日期", "a date YYYY-MM-DD", "2026-03-02"),
    "choice": ("选项", "one of the options", ""),
}
EXTENSION_KEY = "sunshine:fields"  # the key of a user task spec's ``extensions``
_TRUE = ("true", "yes", "是", "1")
_FALSE = ("false", "no", "否", "0")
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True)
class Option:
    """One allowed value of a choice field (选项), with the label the form shows."""

    value: str
    label: str = ""

    def __str__(self) -> str:
        return f"{self.value}（{self.label}）" if self.label else self.value


@dataclass(frozen=True)
class FormField:
    """A field of a step's form (表单字段), as the BPMN file declares it."""

    name: str
    label: str = ""  # the Chinese label the form shows; the name when the file gives none
    type: str = "string"  # one of FIELD_TYPES
    required: bool = False
    options: tuple[Option, ...] = ()  # for a choice field: the allowed values

    @property
    def title(self) -> str:
        """``decision（决定）``: the name with its label, as messages show a field."""
        return f"{self.name}（{self.label}）" if self.label and self.label != self.name else self.name

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type,
                "required": self.required,
                "options": [{"value": o.value, "label": o.label} for o in self.options]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormField:
        return cls(name=str(data["name"]), label=str(data.get("label") or ""),
                   type=str(data.get("type") or "string"), required=bool(data.get("required")),
                   options=tuple(Option(str(o["value"]), str(o.get("label") or ""))
                                 for o in data.get("options") or ()))


# -- reading the file ----------------------------------------------------------------------------


def field_elements(task: etree._Element) -> list[etree._Element]:
    """The ``sunshine:field`` elements of a user task, in document order."""
    ext = task.find(bpmn("extensionElements"))
    return [] if ext is None else ext.findall(sun("field"))


def read_field(el: etree._Element) -> FormField:
    """One ``sunshine:field`` as written; lint judges it (engine/lint.py)."""
    return FormField(
        name=(el.get("name") or "").strip(),
        label=(el.get("label") or "").strip(),
        type=(el.get("type") or "string").strip(),
        required=(el.get("required") or "").strip().lower() in ("true", "1", "yes", "是"),
        options=tuple(Option((o.get("value") or "").strip(), (o.get("label") or "").strip())
                      for o in el.findall(sun("option"))),
    )


def read_fields(task: etree._Element) -> tuple[FormField, ...]:
    return tuple(read_field(el) for el in field_elements(task))


def read_step_fields(root: etree._Element) -> dict[str, tuple[FormField, ...]]:
    """user task id → its declared fields, for every user task of a file that declares any."""
    found = {}
    for task in root.iter(bpmn("userTask")):
        fields = read_fields(task)
        if fields:
            found[task.get("id", "")] = fields
    return found


def attach_fields(specs: Iterable[Any], fields: Mapping[str, tuple[FormField, ...]]) -> None:
    """Copy the declarations into the parsed user task specs (at deploy time), where the
    serializer stores them with the spec of the version."""
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            declared = fields.get(getattr(task_spec, "bpmn_id", None) or "")
            if declared:
                extensions = dict(getattr(task_spec, "extensions", None) or {})
                extensions[EXTENSION_KEY] = [f.to_dict() for f in declared]
                task_spec.extensions = extensions


# -- reading the stored spec ---------------------------------------------------------------------

_CACHE: weakref.WeakKeyDictionary[Any, dict[str, tuple[FormField, ...]]] = (
    weakref.WeakKeyDictionary())


def _declared_in(spec: Mapping[str, Any]) -> dict[str, tuple[FormField, ...]]:
    """Every step's fields in a spec: restored spec objects, or the stored dict itself."""
    processes = [spec.get("spec"), *(spec.get("subprocess_specs") or {}).values()]
    found: dict[str, tuple[FormField, ...]] = {}
    for process in processes:
        if process is None:
            continue
        tasks = process["task_specs"] if isinstance(process, Mapping) else process.task_specs
        for task in tasks.values():
            if isinstance(task, Mapping):
                bpmn_id, extensions = task.get("bpmn_id"), task.get("extensions")
            else:
                bpmn_id, extensions = getattr(task, "bpmn_id", None), getattr(task, "extensions",
                                                                              None)
            declared = (extensions or {}).get(EXTENSION_KEY) if isinstance(
                extensions, Mapping) else None
            if bpmn_id and declared:
                found[bpmn_id] = tuple(FormField.from_dict(d) for d in declared)
    return found


def step_fields(spec: Mapping[str, Any], spec_id: str) -> tuple[FormField, ...]:
    """The fields the step with this BPMN id declares in a version's spec (empty: none)."""
    top = spec.get("spec")
    try:
        declared = _CACHE[top]
    except (KeyError, TypeError):  # TypeError: a stored dict, which cannot be a weak key
        declared = _declared_in(spec)
        if top is not None and not isinstance(top, Mapping):
            _CACHE[top] = declared
    return declared.get(spec_id, ())


# -- typing form data ----------------------------------------------------------------------------


def check_step_data(setting: Setting, step: StepRecord, data: dict[str, Any]) -> dict[str, Any]:
    """The step's form data typed as its fields declare, or InvalidAction naming the field.

    Text (from the command line or a web form) is converted to the declared type; a value
    already of that type is kept; a ``string`` field (a phone, an ID number) stays text. A step
    that declares no field keeps the old conversion of text that looks like true/false, a
    number or JSON."""
    if not isinstance(data, dict):
        raise InvalidAction(f"环节“{step.name}”的表单数据应为字段名和值 (the form data of step "
                            f"“{step.name}” must be a set of named fields)")
    fields = step_fields(setting.spec, step.spec_id)
    if fields:
        typed = _typed(step.name, fields, data)
    else:
        typed = {key: legacy_value(value) for key, value in data.items()}
    check_form_data(f"step “{step.name}”", typed, setting.rules)
    return typed


def _typed(step: str, fields: tuple[FormField, ...], data: dict[str, Any]) -> dict[str, Any]:
    by_name = {f.name: f for f in fields}
    for key in data:
        if key not in by_name:
            listed = ", ".join(f.title for f in fields)
            raise InvalidAction(
                f"环节“{step}”没有字段“{key}” (step “{step}” has no field “{key}”); "
                f"可用字段 fields: {listed}", field=str(key))
    typed: dict[str, Any] = {}
    for f in fields:
        value = data.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()
                             and f.type not in ("string", "text")):
            if f.required:
                needs = _choices_en(f) if f.options else f"the field “{f.name}”"
                options = f"，可选 {'、'.join(map(str, f.options))}" if f.options else ""
                raise InvalidAction(
                    f"环节“{step}”缺少必填字段{_named(f)}{options} (step “{step}” needs {needs})",
                    field=f.name)
            continue
        if f.required and isinstance(value, str) and not value.strip():
            raise InvalidAction(
                f"环节“{step}”的必填字段{_named(f)}是空的 (the field "
                f"“{f.name}” of step “{step}” is required and is empty)", field=f.name)
        typed[f.name] = _value(step, f, value)
    return typed


def _value(step: str, f: FormField, value: Any) -> Any:
    text = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else None
    if f.type in ("string", "text"):
        if isinstance(value, str):
            return value  # as typed: a phone or an ID number keeps every digit and its zeros
    elif f.type == "boolean":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
    elif f.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and _INTEGER.fullmatch(text):
            return int(text)
    elif f.type == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        if text is not None and _INTEGER.fullmatch(text):
            return int(text)
        if text is not None and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return float(text)
    elif f.type == "date":
        if text is not None and _DATE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
    elif f.type == "choice":
        if isinstance(value, str) and value.strip() in f.values:
            return value.strip()
        shown = _shown(value)
        raise InvalidAction(
            f"环节“{step}”的字段{_named(f)}只能是 "
            f"{'、'.join(map(str, f.options))}，不能是“{shown}” (step “{step}” needs "
            f"{_choices_en(f)}, not “{shown}”)", field=f.name)
    else:  # an unknown type (lint refuses it at deploy): keep the value as it came
        return value
    zh, en, example = FIELD_TYPES[f.type]
    shown = _shown(value)
    raise InvalidAction(
        f"环节“{step}”的字段{_named(f)}应为{zh}，例如 {example}，"
        f"不能是“{shown}” (field “{f.name}” of step “{step}” must be {en}, e.g. {example}; "
        f"got “{shown}”)", field=f.name)


def _named(f: FormField) -> str:
    """“决定”（decision）, or “decision” when the field has no label of its own."""
    return f"“{f.label}”（{f.name}）" if f.label and f.label != f.name else f"“{f.name}”"


def _choices_en(f: FormField) -> str:
    """``decision = approve (准予) or refuse (不予)``."""
    each = [f"{o.value} ({o.label})" if o.label else o.value for o in f.options]
    listed = f"{', '.join(each[:-1])} or {each[-1]}" if len(each) > 1 else "".join(each)
    return f"{f.name} = {listed}"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=repr)[:80]


def legacy_value(value: Any) -> Any:
    """The old guess for a step that declares no fields: text that reads as true/false, a whole
    or decimal number, or a JSON list or object becomes one; anything else is kept."""
    if not isinstance(value, str):
        return value
    low = value.strip().lower()
    if low in ("true", "yes", "是"):
        return True
    if low in ("false", "no", "否"):
        return False
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) else value  # "nan" stays text: it can be recorded
    if value.startswith("[") or value.startswith("{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            pass
    return value


__all__ = [
    "FIELD_TYPES", "EXTENSION_KEY", "Option", "FormField", "field_elements", "read_field",
    "read_fields", "read_step_fields", "attach_fields", "step_fields", "check_step_data",
    "legacy_value",
]
