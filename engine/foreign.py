"""What Activiti, Flowable and Camunda 7 files write, in the terms SpiffWorkflow runs.

Designers bring files from those tools; where the file means something the engine can do, it
runs as the tool's own engine would run it instead of being refused:

* a process with no ``isExecutable`` attribute is executable, as the Activiti, Flowable and
  Camunda 7 engines deploy it (only ``isExecutable="false"`` keeps a process from running);
* an ``errorRef`` naming no ``<bpmn:error>`` is the error code itself, as Activiti reads it;
* ``camunda:collection`` / ``activiti:collection`` / ``flowable:collection`` with
  ``elementVariable`` on a multi-instance activity are the standard ``loopDataInputRef`` and
  ``inputDataItem`` SpiffWorkflow reads (``loopCardinality`` and ``completionCondition`` in
  ``${…}`` are translated when they are evaluated, engine/el.py);
* the one start event of a top-level process starts the case when the application is received,
  whatever its trigger (message, timer, signal, condition): a case is started by the window,
  and nothing else sends messages to a case or starts one on a timer.

``runnable_copy`` applies these to a copy of the tree handed to SpiffWorkflow; the file that
is stored, drawn and published stays as the designer wrote it.
"""

from __future__ import annotations

import copy

from lxml import etree

from engine.el import variable_of
from engine.xmlsafe import bpmn

VENDOR_NAMESPACES = {
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "activiti": "http://activiti.org/bpmn",
    "flowable": "http://flowable.org/bpmn",
}


def is_executable(process: etree._Element) -> bool:
    """Executable unless the file says ``isExecutable="false"``: a missing attribute is not
    "false" (Activiti and Flowable deploy such a process, Camunda 7 too, with a warning)."""
    value = process.get("isExecutable")
    return value is None or value.strip().lower() != "false"


def vendor_attribute(element: etree._Element, name: str) -> tuple[str, str] | None:
    """(vendor, value) of ``camunda:name`` / ``activiti:name`` / ``flowable:name``, if set."""
    for vendor, ns in VENDOR_NAMESPACES.items():
        value = element.get(f"{{{ns}}}{name}")
        if value is not None and value.strip():
            return vendor, value.strip()
    return None


def loop_collection(loop: etree._Element) -> tuple[str, str | None, str | None] | None:
    """(vendor attribute, the collection's variable or None if it is not a plain variable,
    the element variable) of a vendor-style multi-instance, or None if it has none."""
    found = vendor_attribute(loop, "collection")
    if found is None:
        return None
    vendor, value = found
    element = vendor_attribute(loop, "elementVariable")
    return f"{vendor}:collection", variable_of(value), element[1] if element else None


def runnable_copy(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy of the tree with what other engines write rewritten as SpiffWorkflow reads it."""
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    for process in root.findall(bpmn("process")):
        if process.get("isExecutable") is None:
            process.set("isExecutable", "true")
        _message_start(process)
    _error_codes(root)
    for loop in root.iter(bpmn("multiInstanceLoopCharacteristics")):
        _collection(loop)
    return tree


def _error_codes(root: etree._Element) -> None:
    declared = {el.get("id") for el in root if isinstance(el.tag, str)}
    for definition in root.iter(bpmn("errorEventDefinition")):
        ref = (definition.get("errorRef") or "").strip()
        if ref and ref not in declared:
            error = etree.Element(bpmn("error"), id=ref, errorCode=ref, name=ref)
            first_process = root.find(bpmn("process"))
            if first_process is not None:
                first_process.addprevious(error)
            else:
                root.append(error)
            declared.add(ref)


_START_TRIGGERS = ("messageEventDefinition", "timerEventDefinition", "signalEventDefinition",
                   "conditionalEventDefinition")


def _message_start(process: etree._Element) -> None:
    starts = process.findall(bpmn("startEvent"))
    if len(starts) != 1:
        return
    for tag in _START_TRIGGERS:
        for definition in starts[0].findall(bpmn(tag)):
            starts[0].remove(definition)


def _collection(loop: etree._Element) -> None:
    found = loop_collection(loop)
    if found is None or loop.find(bpmn("loopDataInputRef")) is not None:
        return
    _attr, variable, element = found
    if variable is None or loop.find(bpmn("loopCardinality")) is not None:
        return  # lint refuses it (a collection computed by a method, or both given)
    ref = etree.Element(bpmn("loopDataInputRef"))
    ref.text = variable
    # the standard order: loopCardinality?, loopDataInputRef?, loopDataOutputRef?,
    # inputDataItem?, outputDataItem?, complexBehaviorDefinition*, completionCondition?
    header = (bpmn("documentation"), bpmn("extensionElements"))
    loop.insert(sum(1 for child in loop if child.tag in header), ref)
    # SpiffWorkflow merges each finished instance's data into the activity, so a sequential
    # instance's element variable would be found there when the next instance begins
    # ("input item already exists"). engine/runtime.py keeps it local to a user task's instance
    # (as Camunda does); other sequential activities run without it (lint says so).
    sequential = loop.get("isSequential", "false").strip().lower() == "true"
    parent = loop.getparent()
    user_task = parent is not None and parent.tag == bpmn("userTask")
    if element is not None and loop.find(bpmn("inputDataItem")) is None and (
            user_task or not sequential):
        # SpiffWorkflow names the instance's variable by the item's id
        ref.addnext(etree.Element(bpmn("inputDataItem"), id=element, name=element))
