"""Designer rules: what keeps a BPMN file from running as a Sunshine power, in a designer's words.

``lint_files`` runs every rule over a set of files (including rules across files, such as one
power code used by two processes) and returns findings with file, element id, rule and fix.
``sunshine lint`` prints them; ``sunshine deploy`` refuses a file with any error.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree

from engine.catalogue import (
    CATEGORIES,
    DEADLINE_KINDS,
    MODES,
    RESULTS,
    SPECIAL_KINDS,
    STEP_ROLES,
    Power,
    read_power,
)
from engine.definitions import parse_specs
from engine.errors import DefinitionError
from engine.formfields import FIELD_TYPES, field_elements, read_field
from engine.scripting import check_source
from engine.xmlsafe import bpmn, parse_bpmn_bytes, read_bpmn_file, sun

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,35}$")
PROMISED_RATIO = 2 / 3


@dataclass(frozen=True)
class Finding:
    """One lint finding: where, which rule, what is wrong and how to fix it."""

    file: str
    element: str | None
    rule: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.element) if p)
        return f"{where}: [{self.rule}] {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        return {"file": self.file, "element": self.element, "rule": self.rule,
                "message": self.message, "severity": self.severity}


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def error(self, element: str | None, rule: str, message: str) -> None:
        self.findings.append(Finding(self.file, element, rule, message))

    def warn(self, element: str | None, rule: str, message: str) -> None:
        self.findings.append(Finding(self.file, element, rule, message, "warning"))


def lint_bytes(data: bytes, file: str) -> tuple[list[Finding], list[Power]]:
    """Findings for one file, and the powers it declares (for cross-file rules)."""
    out = _Collector(file)
    try:
        tree = parse_bpmn_bytes(data, file)
    except DefinitionError as err:
        out.error(None, "xml", err.bare_message)
        return out.findings, []
    powers: list[Power] = []
    processes = tree.getroot().findall(bpmn("process"))
    executable_file = any(_executable(p) for p in processes)
    structural = _structure_rules(out, tree.getroot(), executable_file)
    if not processes:
        out.error(None, "no-process", "the file has no <bpmn:process>; add one (a collaboration "
                  "alone cannot run)")
    runnable = []
    for process in processes:
        pid = process.get("id") or "?"
        power = read_power(process)
        if not _executable(process):
            if power is not None or len(processes) == 1:
                out.error(pid, "not-executable",
                          "the process is marked isExecutable=\"false\" (the default in Camunda "
                          "Modeler and Signavio), so it can be drawn but not run — tick "
                          "“Executable” in the modeler's properties panel")
            continue
        if power is None:
            out.error(pid, "no-power",
                      "the process has no catalogue entry: add <sunshine:power code=… name=… …> "
                      "to its extensionElements (docs/designer-guide.md)")
            continue
        powers.append(power)
        _power_rules(out, process, power)
        _step_rules(out, process, power)
        _field_rules(out, process, power)
        _script_rules(out, process)
        runnable.append(power)
    if structural:
        # SpiffWorkflow would stumble on the same broken references and name the wrong element
        # (e.g. the gateway a dangling flow leaves, not the flow): the findings above say it.
        return out.findings, powers
    for power in runnable:
        try:
            parse_specs(tree, file, power.process_id)
        except DefinitionError as err:
            out.error(err.element or power.process_id, "spiff", err.bare_message)
    return out.findings, powers


def _executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "false").strip().lower() == "true"


# Event definitions whose reference must name a top-level element of the file.
_EVENT_REFS = (
    ("errorEventDefinition", "errorRef", "error", "errorCode"),
    ("messageEventDefinition", "messageRef", "message", "name"),
    ("signalEventDefinition", "signalRef", "signal", "name"),
    ("escalationEventDefinition", "escalationRef", "escalation", "escalationCode"),
)


def _structure_rules(out: _Collector, root: etree._Element, executable_file: bool) -> bool:
    """References that must name an existing element: sequence flows' ends, boundary events'
    activities, and error/message/signal/escalation definitions. Checked before SpiffWorkflow
    parses the file, which reports such problems (if at all) on a neighbouring element. True if
    any error was found."""
    before = len(out.findings)
    top_level = {child.get("id"): etree.QName(child).localname for child in root
                 if isinstance(child.tag, str) and child.get("id")}
    for process in root.findall(bpmn("process")):
        ids = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        for flow in process.iter(bpmn("sequenceFlow")):
            fid = flow.get("id")
            for end, attr in (("starts at", "sourceRef"), ("leads to", "targetRef")):
                ref = (flow.get(attr) or "").strip()
                if not ref:
                    out.error(fid, "flow-ref", f"sequence flow has no {attr}; connect both of its "
                              "ends to elements in the modeler, or delete it")
                elif ref not in ids:
                    out.error(fid, "flow-ref",
                              f"sequence flow {end} {ref!r} ({attr}), but the process has no "
                              f"element with that id; reconnect the flow to an existing element "
                              f"in the modeler, or delete it")
        for event in process.iter(bpmn("boundaryEvent")):
            ref = (event.get("attachedToRef") or "").strip()
            if ref not in ids:
                out.error(event.get("id"), "boundary-ref",
                          f"boundary event is attached to {ref or 'nothing'!r} (attachedToRef), "
                          f"but the process has no such activity; drop the event onto the edge of "
                          f"the task it belongs to in the modeler")
        for tag, attr, target, code in _EVENT_REFS:
            for definition in process.iter(bpmn(tag)):
                ref = (definition.get(attr) or "").strip()
                if not ref or top_level.get(ref) == target:
                    continue
                event = definition.getparent()
                out.error(event.get("id") if event is not None else None, "event-ref",
                          f"the {target} event refers to {attr}={ref!r}, but the file has no "
                          f"<bpmn:{target} id=\"{ref}\">; add <bpmn:{target} id=\"{ref}\" "
                          f"{code}=\"{ref}\"/> at the top level of the file (Activiti writes the "
                          f"{code} itself into {attr}), or pick the {target} in the modeler's "
                          f"properties panel")
    for store_id, kind in top_level.items():
        if kind != "dataStore":
            continue
        message = ("data stores cannot run: the engine has no implementation for them "
                   "(SpiffWorkflow refuses the whole file); remove the data store and its "
                   "references from a file meant to run — a flowchart-only copy may keep them")
        if executable_file:
            out.error(store_id, "data-store", message)
        else:
            out.warn(store_id, "data-store", "once marked executable: " + message)
    return any(f.severity == "error" for f in out.findings[before:])


def _power_rules(out: _Collector, process: etree._Element, p: Power) -> None:
    pid = p.process_id
    raw = p.raw
    if not p.code:
        out.error(pid, "power-code", "sunshine:power has no code (事项编码); add code=\"…\"")
    elif not CODE_RE.match(p.code):
        out.error(pid, "power-code", f"power code {p.code!r} must be 3–36 letters, digits or -")
    if not p.name:
        out.error(pid, "power-name", "sunshine:power has no name (事项名称)")
    if not (2 <= len(p.short_name) <= 6):
        out.error(pid, "short-name", "shortName (used in case numbers, e.g. 食品) must be 2–6 "
                  "characters")
    if p.category not in CATEGORIES:
        out.error(pid, "category", f"category {p.category!r} is not one of: {'、'.join(CATEGORIES)}")
    if not p.unit:
        out.error(pid, "unit", "sunshine:power has no unit (实施主体)")
    if p.mode not in MODES:
        out.error(pid, "mode", f"mode {p.mode!r} is not one of: {'、'.join(MODES)}")
    promised_raw = raw.get("promisedLimit")
    statutory_raw = raw.get("statutoryLimit")
    if promised_raw is None or promised_raw.strip() == "":
        out.error(pid, "promised-limit",
                  "promisedLimit (承诺时限) is missing; it is mandatory even where law sets no "
                  "limit — add promisedLimit=\"N\" in working days")
    elif p.promised_limit is None or p.promised_limit < 0:
        out.error(pid, "promised-limit", f"promisedLimit {promised_raw!r} is not a whole number "
                  "of working days")
    if statutory_raw is None or statutory_raw.strip() == "":
        out.error(pid, "statutory-limit", "statutoryLimit (法定时限) is missing; write the number "
                  "of working days, or \"none\" where law sets no limit")
    elif statutory_raw.strip().lower() != "none" and p.statutory_limit is None:
        out.error(pid, "statutory-limit", f"statutoryLimit {statutory_raw!r} is not a number or none")
    if p.promised_limit is not None and p.statutory_limit is not None:
        if p.promised_limit > p.statutory_limit * PROMISED_RATIO:
            most = int(p.statutory_limit * PROMISED_RATIO)
            out.error(pid, "promised-over-two-thirds",
                      f"promised limit {p.promised_limit} exceeds ⅔ of the statutory limit "
                      f"{p.statutory_limit} (承诺时限须比法定时限缩短三分之一以上); promise at most {most}")
    if not p.public:
        np = p.non_public
        if np is None or not all((np.reason, np.basis, np.filing_no, np.filed_with, np.filed_on)):
            out.error(pid, "non-public-filing",
                      "a non-public power needs <sunshine:nonPublic reason basis filingNo filedWith "
                      "filedOn> — the reason, legal basis and filing (备案) record")
    lanes = {s.post for s in p.steps if s.post}
    posts = {post.name for post in p.posts}
    for lane in sorted(lanes - posts):
        out.warn(pid, "post-duties", f"lane {lane!r} has no <sunshine:post name=\"{lane}\"> with "
                 "its duties; the catalogue publishes each post's duties")
    if p.kind == "power" and not p.steps_with_role("acceptance"):
        out.error(pid, "acceptance-step", "no acceptance step: mark the window's acceptance "
                  "check with sunshine:step=\"acceptance\" (受理 / 不予受理 / 一次性告知补正)")
    decisions = [s.id for s in p.steps_with_role("decision")]
    on_decision = [t for t in p.timers if t.attached_to in decisions]
    # A timer on the decision step with no sunshine:deadline is reported on the timer below.
    if p.deemed_approval and not any(t.deadline in ("promised", None) for t in on_decision):
        for where in decisions or [pid]:
            out.error(where, "deemed-timer",
                      "deemedApproval=\"true\" but the decision step has no interrupting timer "
                      "boundary event with sunshine:deadline=\"promised\"; add one to the "
                      "decision step so the flowchart shows the rule and the engine can take "
                      "the path (or set deemedApproval=\"false\")")
    for t in p.timers:
        if t.deadline is None:
            out.error(t.id, "timer-deadline",
                      "timer boundary event without sunshine:deadline; say which deadline fires it "
                      f"({', '.join(DEADLINE_KINDS)}) — the engine, not the wall clock, fires timers")
        elif t.deadline not in DEADLINE_KINDS:
            out.error(t.id, "timer-deadline", f"sunshine:deadline {t.deadline!r} is not one of "
                      f"{', '.join(DEADLINE_KINDS)}")
        elif t.deadline == "promised" and not p.deemed_approval:
            out.warn(t.id, "timer-deadline", "a promised-deadline timer on a power whose "
                     "deemedApproval is off will never fire")


def _step_rules(out: _Collector, process: etree._Element, p: Power) -> None:
    for s in p.steps:
        if not s.post:
            out.error(s.id, "step-lane", f"user task {s.name!r} is in no lane; put it in the lane "
                      "of the post (岗位) that does it")
        if s.time_limit is None:
            out.error(s.id, "step-time-limit", f"user task {s.name!r} has no sunshine:timeLimit; "
                      "add the step's limit in working days (0 = the same day)")
        elif s.time_limit < 0:
            out.error(s.id, "step-time-limit", "sunshine:timeLimit must be 0 or more")
        if s.role is not None and s.role not in STEP_ROLES:
            out.error(s.id, "step-role", f"sunshine:step {s.role!r} is not one of "
                      f"{', '.join(STEP_ROLES)}")
        if s.special is not None and s.special not in SPECIAL_KINDS:
            out.error(s.id, "special-kind", f"sunshine:special {s.special!r} is not one of "
                      f"{'、'.join(SPECIAL_KINDS)}")
    for end in process.iter(bpmn("endEvent")):
        result = end.get(sun("result"))
        if result is None:
            out.error(end.get("id"), "end-result", "end event without sunshine:result; say how "
                      f"the case ends there ({', '.join(RESULTS)})")
        elif result not in RESULTS:
            out.error(end.get("id"), "end-result", f"sunshine:result {result!r} is not one of "
                      f"{', '.join(RESULTS)}")


def _field_rules(out: _Collector, process: etree._Element, p: Power) -> None:
    """``sunshine:field`` declarations (docs/designer-guide.md, 表单字段): the engine refuses any
    form data they do not allow, so a bad declaration would block the step."""
    roles = {s.id: s.role for s in p.steps}
    for task in process.iter(bpmn("userTask")):
        tid = task.get("id")
        fields = [read_field(el) for el in field_elements(task)]
        seen: set[str] = set()
        for f in fields:
            if not f.name:
                out.error(tid, "field-name", "sunshine:field has no name; add name=\"…\" (the "
                          "variable the step sets, e.g. opinion)")
            elif not f.name.isidentifier() or keyword.iskeyword(f.name) or f.name.startswith("_"):
                out.error(tid, "field-name", f"field name {f.name!r} is not a name conditions can "
                          "use; use letters, digits and _ (not first), e.g. needs_testing, and "
                          "put the Chinese in label=\"…\"")
            elif f.name in seen:
                out.error(tid, "field-duplicate", f"field {f.name!r} is declared twice on this "
                          "step; keep one sunshine:field per name")
            seen.add(f.name)
            if f.type not in FIELD_TYPES:
                out.error(tid, "field-type", f"field {f.name!r} has type {f.type!r}, which is not "
                          f"one of {', '.join(FIELD_TYPES)}; pick one (string keeps phone and ID "
                          "numbers as written)")
            elif f.type == "choice" and not f.options:
                out.error(tid, "field-options", f"choice field {f.name!r} has no options; add "
                          "<sunshine:option value=\"…\" label=\"…\"/> for each allowed value")
            elif f.type != "choice" and f.options:
                out.warn(tid, "field-options", f"field {f.name!r} is {f.type}, so its options are "
                         "ignored; make it type=\"choice\" or remove the options")
            values = [o.value for o in f.options]
            if "" in values or len(set(values)) != len(values):
                out.error(tid, "field-options", f"field {f.name!r} has an option with no value or "
                          "the same value twice; give every option its own value=\"…\"")
        if not fields:
            continue
        role = roles.get(tid or "") or ""
        if role in _ROLE_FIELDS:
            name, allowed, needed = _ROLE_FIELDS[role]
            f = next((f for f in fields if f.name == name), None)
            if f is None or f.type != "choice" or not needed <= set(f.values) <= allowed:
                out.error(tid, "field-role", f"this {role} step declares fields but not {name} as "
                          f"a choice of {', '.join(sorted(allowed))}; the engine routes the case "
                          f"on it — declare <sunshine:field name=\"{name}\" type=\"choice\" "
                          f"required=\"true\"> with options {', '.join(sorted(needed))}"
                          + ("" if needed == allowed else " (and any of the others)"))


# role → (field it must declare, the values the engine knows, the values it must offer)
_ROLE_FIELDS = {
    "decision": ("decision", {"approve", "refuse"}, {"approve", "refuse"}),
    "acceptance": ("acceptance", {"accept", "supplement", "refuse"}, {"accept"}),
}


def _script_rules(out: _Collector, process: etree._Element) -> None:
    for flow in process.iter(bpmn("sequenceFlow")):
        cond = flow.find(bpmn("conditionExpression"))
        if cond is not None and (cond.text or "").strip():
            for problem in check_source(cond.text.strip(), "eval"):
                out.error(flow.get("id"), "unsafe-condition",
                          f"condition `{cond.text.strip()[:60]}` {problem}")
    for task in process.iter(bpmn("scriptTask")):
        script = task.find(bpmn("script"))
        if script is not None and (script.text or "").strip():
            for problem in check_source(script.text, "exec"):
                out.error(task.get("id"), "unsafe-script", f"script {problem}")


def duplicate_codes(powers_by_file: Iterable[tuple[str, Power]]) -> list[Finding]:
    """A power code used by two different processes."""
    seen: dict[str, tuple[str, str]] = {}
    findings = []
    for file, power in powers_by_file:
        if not power.code:
            continue
        if power.code in seen and seen[power.code][1] != power.process_id:
            other_file, other_pid = seen[power.code]
            findings.append(Finding(
                file, power.process_id, "duplicate-code",
                f"power code {power.code} is already used by process {other_pid} in {other_file}; "
                f"each power needs its own code"))
        else:
            seen.setdefault(power.code, (file, power.process_id))
    return findings


def lint_files(paths: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    declared: list[tuple[str, Power]] = []
    for path in paths:
        try:
            data, _tree = read_bpmn_file(path)
        except DefinitionError as err:
            findings.append(Finding(path, None, "xml", err.bare_message))
            continue
        found, powers = lint_bytes(data, path)
        findings.extend(found)
        declared.extend((path, p) for p in powers)
    findings.extend(duplicate_codes(declared))
    return findings
