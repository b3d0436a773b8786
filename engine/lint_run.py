"""Lint rules that decide whether a process can run at all, with or without its catalogue entry.

Broken references, flows from an element to itself, names past the limit, conditions and
scripts the restricted environment refuses, multi-instance it cannot run, steps nobody can
finish (waiting for a message no one sends) and automated steps that do nothing here. Checked
before SpiffWorkflow sees the file, which on some of these recurses without end or names a
neighbouring element. Call activities are checked across files by engine/calls.py.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.el import is_el
from engine.findings import Collector
from engine.foreign import VENDOR_NAMESPACES, loop_collection, vendor_attribute
from engine.scripting import check_source, condition_problems
from engine.xmlsafe import MAX_NAME_LENGTH, bpmn

# Event definitions whose reference must name a top-level element of the file (an errorRef
# naming no <error> is the error code itself, as Activiti reads it: engine/foreign.py).
_EVENT_REFS = (
    ("messageEventDefinition", "messageRef", "message", "name"),
    ("signalEventDefinition", "signalRef", "signal", "name"),
    ("escalationEventDefinition", "escalationRef", "escalation", "escalationCode"),
)
PYTHON_LANGUAGES = ("", "python", "text/x-python", "application/x-python")
EL_LANGUAGES = ("juel", "uel", "el", "javaee-el", "http://www.w3.org/1999/xpath")
AUTOMATED = ("serviceTask", "sendTask", "task")


def _id(el: etree._Element | None) -> str | None:
    return el.get("id") if el is not None else None


def name_rules(out: Collector, root: etree._Element) -> bool:
    """Names past MAX_NAME_LENGTH (they end up in case lists, notices and the flowchart)."""
    found = False
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(bpmn("")):
            continue
        name = el.get("name") or ""
        if len(name) > MAX_NAME_LENGTH:
            found = True
            out.error(el.get("id") or _id(root), "name-too-long",
                      f"the name is {len(name)} characters long; names may have at most "
                      f"{MAX_NAME_LENGTH}", "shorten the name and put the rest in the element's "
                      "documentation")
    return found


def structure_rules(out: Collector, root: etree._Element, executable_file: bool) -> bool:
    """References that must name an existing element and flows from an element to itself (call
    activities, which may call other files, are engine/calls.py's). True if any error was
    found."""
    mark = len(out.findings)
    top_level = {child.get("id"): etree.QName(child).localname for child in root
                 if isinstance(child.tag, str) and child.get("id")}
    for process in root.findall(bpmn("process")):
        ids = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        for flow in process.iter(bpmn("sequenceFlow")):
            _flow_refs(out, flow, ids)
        for event in process.iter(bpmn("boundaryEvent")):
            ref = (event.get("attachedToRef") or "").strip()
            if ref not in ids:
                out.error(event.get("id"), "boundary-ref",
                          f"boundary event is attached to {ref or 'nothing'!r} (attachedToRef), "
                          "but the process has no such activity",
                          "drop the event onto the edge of the task it belongs to in the modeler")
        for tag, attr, target, code in _EVENT_REFS:
            for definition in process.iter(bpmn(tag)):
                ref = (definition.get(attr) or "").strip()
                if not ref or top_level.get(ref) == target:
                    continue
                out.error(_id(definition.getparent()), "event-ref",
                          f"the {target} event refers to {attr}={ref!r}, but the file has no "
                          f"<bpmn:{target} id=\"{ref}\">",
                          f"add <bpmn:{target} id=\"{ref}\" {code}=\"{ref}\"/> at the top level "
                          f"of the file, or pick the {target} in the modeler's properties panel")
    for store_id, kind in top_level.items():
        if kind != "dataStore":
            continue
        message = ("data stores cannot run: the engine has no implementation for them "
                   "(SpiffWorkflow refuses the whole file)")
        fix = ("remove the data store and its references from a file meant to run — a "
               "flowchart-only copy may keep them")
        if executable_file:
            out.error(store_id, "data-store", message, fix)
        else:
            out.warn(store_id, "data-store", "once marked executable: " + message, fix)
    return bool(out.errors_since(mark))


def _flow_refs(out: Collector, flow: etree._Element, ids: set[str | None]) -> None:
    fid = flow.get("id")
    refs = {}
    for end, attr in (("starts at", "sourceRef"), ("leads to", "targetRef")):
        ref = refs[attr] = (flow.get(attr) or "").strip()
        if not ref:
            out.error(fid, "flow-ref", f"sequence flow has no {attr}",
                      "connect both of its ends to elements in the modeler, or delete it")
        elif ref not in ids:
            out.error(fid, "flow-ref", f"sequence flow {end} {ref!r} ({attr}), but the process "
                      "has no element with that id",
                      "reconnect the flow to an existing element in the modeler, or delete it")
    if refs["sourceRef"] and refs["sourceRef"] == refs["targetRef"]:
        out.error(fid, "flow-loop", f"sequence flow leads from {refs['sourceRef']!r} back to "
                  "itself, which SpiffWorkflow cannot parse (it recurses without end)",
                  "to repeat a step, loop back through an exclusive gateway with a condition, "
                  "or mark the task as a loop; otherwise delete the flow")


def engine_rules(out: Collector, process: etree._Element) -> None:
    """What the restricted environment and the engine can run in one process, whatever its
    catalogue entry says."""
    _condition_rules(out, process)
    _script_rules(out, process)
    _loop_rules(out, process)
    _waiting_rules(out, process)
    _automated_rules(out, process)


def _condition_rules(out: Collector, process: etree._Element) -> None:
    for flow in process.iter(bpmn("sequenceFlow")):
        cond = flow.find(bpmn("conditionExpression"))
        if cond is None or not (cond.text or "").strip():
            continue
        text = cond.text.strip()
        language = (cond.get("language") or "").strip().lower()
        if language and language not in PYTHON_LANGUAGES + EL_LANGUAGES:
            out.error(flow.get("id"), "condition-language",
                      f"the condition is written in {cond.get('language')}, which the engine "
                      "does not run", "write it as ${…} (e.g. ${amount > 1000}) or in Python, "
                      "and remove the language attribute")
            continue
        if text.startswith("=") and not is_el(text):
            out.error(flow.get("id"), "condition-feel",
                      f"`{text[:60]}` is a Camunda 8 FEEL expression, which the engine does not "
                      "run", "write it as ${…}: `=a and b` becomes ${a && b}")
            continue
        for problem, fix in condition_problems(text):
            rule = "condition-el" if is_el(text) else "unsafe-condition"
            out.error(flow.get("id"), rule, f"condition `{text[:60]}`: {problem}", fix)


def _script_rules(out: Collector, process: etree._Element) -> None:
    for task in process.iter(bpmn("scriptTask")):
        script = task.find(bpmn("script"))
        fmt = (task.get("scriptFormat") or "").strip()
        if fmt.lower() not in PYTHON_LANGUAGES:
            out.error(task.get("id"), "script-language",
                      f"the script is written in {fmt}, which the engine does not run (it runs "
                      "Python in a restricted environment)", "rewrite the script in Python "
                      "(scriptFormat=\"python\"), or make the step a user task")
            continue
        if vendor_attribute(task, "resource") is not None:
            out.error(task.get("id"), "script-language", "the script lives in an external "
                      "resource (camunda:resource), which the engine does not load",
                      "put the script's Python text in the task's <bpmn:script>")
            continue
        if script is not None and (script.text or "").strip():
            for problem in check_source(script.text, "exec"):
                out.error(task.get("id"), "unsafe-script", f"script {problem}",
                          "use only the variables of the case and the functions of the guide's "
                          "restricted environment")


def _loop_rules(out: Collector, process: etree._Element) -> None:
    for loop in process.iter(bpmn("multiInstanceLoopCharacteristics")):
        owner = loop.getparent()
        oid = _id(owner)
        found = loop_collection(loop)
        cardinality = loop.find(bpmn("loopCardinality"))
        for part in (cardinality, loop.find(bpmn("completionCondition"))):
            if part is not None and is_el(part.text):
                for problem, fix in condition_problems((part.text or "").strip()):
                    out.error(oid, "multi-instance", f"{etree.QName(part).localname} "
                              f"`{(part.text or '').strip()[:60]}`: {problem}", fix)
        if found is None:
            continue
        attr, variable, element = found
        if variable is None:
            out.error(oid, "multi-instance", f"{attr} is not a plain variable, so the engine "
                      "cannot tell which list to run over", "name a variable that holds the "
                      "list, e.g. collection=\"${units}\", and set it in a form field or a "
                      "script task before this step")
        elif cardinality is not None:
            out.error(oid, "multi-instance", f"the activity gives both {attr} and a "
                      "loopCardinality", "keep one of them")
        sequential = loop.get("isSequential", "false").strip().lower() == "true"
        if element and sequential and owner is not None and owner.tag != bpmn("userTask"):
            out.warn(oid, "multi-instance", f"inside this sequential multi-instance "
                     f"{etree.QName(owner).localname}, the element variable `{element}` is not "
                     "set (SpiffWorkflow would refuse the second instance)",
                     "make it parallel (isSequential=\"false\") if its steps read "
                     f"`{element}`, or make the repeated step a user task")


def _waiting_rules(out: Collector, process: etree._Element) -> None:
    """Steps that wait for a message or signal: nothing sends one to a case, so the case would
    wait for ever (boundary events are harmless: their task finishes without them)."""
    waiting = [*process.iter(bpmn("receiveTask"))]
    for event in process.iter(bpmn("intermediateCatchEvent")):
        if event.find(bpmn("messageEventDefinition")) is not None or event.find(
                bpmn("signalEventDefinition")) is not None:
            waiting.append(event)
    for el in waiting:
        kind = etree.QName(el).localname
        out.error(el.get("id"), "waits-for-message",
                  f"the {kind} waits for a message or signal, and nothing sends one to a case: "
                  "the case would wait here for ever", "make it a user task for the post that "
                  "receives the reply (it records what arrived), or remove it")


def _automated_rules(out: Collector, process: etree._Element) -> None:
    """Service, send and business-rule tasks: the engine calls no Java class, expression,
    connector or external worker. Such a step completes at once with no effect (recorded in the
    case's workflow as done by the engine); a condition that reads what it would have set fails."""
    results: dict[str, str] = {}
    for tag in AUTOMATED:
        for task in process.iter(bpmn(tag)):
            tid = task.get("id") or ""
            how = next((f"{v}:{a}" for v, ns in VENDOR_NAMESPACES.items()
                        for a in ("class", "expression", "delegateExpression", "type",
                                  "topic", "decisionRef")
                        if task.get(f"{{{ns}}}{a}")), None)
            result = vendor_attribute(task, "resultVariable")
            if result is not None:
                results[result[1]] = tid
            out.warn(tid, "automated-step",
                     f"{etree.QName(task).localname} “{task.get('name') or tid}” "
                     + (f"({how}) " if how else "") + "runs as an automated step with no "
                     "effect: the engine calls no Java class, expression or external worker, "
                     "and the case goes straight on", "if a person must do this, make it a "
                     "user task in the lane of the post that does it; if nothing needs doing "
                     "here, this warning can stay")
    if not results:
        return
    for flow in process.iter(bpmn("sequenceFlow")):
        cond = flow.find(bpmn("conditionExpression"))
        names = set(re.findall(r"[^\W\d]\w*", cond.text or "")) if cond is not None else set()
        for name in sorted(names & set(results)):
            out.error(flow.get("id"), "condition-needs-service",
                      f"the condition reads `{name}`, which only service task "
                      f"{results[name]!r} would set (resultVariable), and the engine does not "
                      "run service tasks", f"let a person record `{name}` as a form field "
                      "(sunshine:field) of a user task before the gateway, or set it in a "
                      "script task")

