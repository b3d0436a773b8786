"""A first catalogue entry for a file from another tool (草拟目录信息).

A designer who brings a Camunda, Activiti or Flowable file must add what Sunshine needs before
it can run: the power's ``sunshine:power`` entry, a post (lane) and time limit for each step, a
result on each end event, a deadline kind on each timer. ``draft_entry`` writes those with the
values given and plain defaults, leaving everything the file already says as it is, so that
the designer (in the web modeler's side form or an editor) only corrects the values. Lint then
says whether anything else keeps the file from running.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from engine.catalogue import lane_of, power_element
from engine.foreign import is_executable
from engine.xmlsafe import SUNSHINE_NS, bpmn, sun


@dataclass(frozen=True)
class EntryDraft:
    """The values of a first catalogue entry; the rest are defaults the designer corrects."""

    code: str
    name: str
    short_name: str
    unit: str
    post: str  # the lane given to every step outside a lane
    category: str = "其他行政权力"
    kind: str = "procedure"  # no acceptance step is needed; "power" once one is marked
    statutory_limit: str = "none"
    promised_limit: str = "10"
    step_limit: int = 1  # working days for each step without sunshine:timeLimit
    result: str = "completed"  # for each end event without sunshine:result
    timer_deadline: str = "step"  # for each timer boundary event without sunshine:deadline


def draft_entry(tree: etree._ElementTree, process_id: str, draft: EntryDraft) -> etree._ElementTree:
    """A copy of the tree whose process ``process_id`` carries a catalogue entry."""
    import copy

    tree = copy.deepcopy(tree)
    root = tree.getroot()
    process = next((p for p in root.findall(bpmn("process")) if p.get("id") == process_id), None)
    if process is None:
        raise KeyError(process_id)
    if not is_executable(process):
        process.set("isExecutable", "true")
    if power_element(process) is None:
        ext = process.find(bpmn("extensionElements"))
        if ext is None:
            ext = etree.Element(bpmn("extensionElements"))
            process.insert(len(process.findall(bpmn("documentation"))), ext)
        power = etree.SubElement(ext, sun("power"), code=draft.code, name=draft.name,
                                 shortName=draft.short_name, category=draft.category,
                                 unit=draft.unit, mode="承诺件",
                                 statutoryLimit=draft.statutory_limit,
                                 promisedLimit=draft.promised_limit, kind=draft.kind)
        etree.SubElement(power, sun("post"), name=draft.post).text = "办理本事项各环节"
    _steps(process, draft)
    for end in process.iter(bpmn("endEvent")):
        if end.get(sun("result")) is None:
            end.set(sun("result"), draft.result)
    etree.cleanup_namespaces(root, top_nsmap={"sunshine": SUNSHINE_NS})
    return tree


def draft_called(tree: etree._ElementTree, process_id: str,
                 draft: EntryDraft) -> etree._ElementTree:
    """A copy of the tree whose process ``process_id``, called by a power of another file
    (engine/calls.py), has what its steps need: a post (lane) and limit for each, a deadline
    kind on each timer. It gets no catalogue entry: its steps run in the caller's cases."""
    import copy

    tree = copy.deepcopy(tree)
    root = tree.getroot()
    process = next((p for p in root.findall(bpmn("process")) if p.get("id") == process_id), None)
    if process is None:
        raise KeyError(process_id)
    _steps(process, draft)
    etree.cleanup_namespaces(root, top_nsmap={"sunshine": SUNSHINE_NS})
    return tree


def _steps(process: etree._Element, draft: EntryDraft) -> None:
    _lanes(process, draft.post)
    for task in process.iter(bpmn("userTask")):
        if task.get(sun("timeLimit")) is None:
            task.set(sun("timeLimit"), str(draft.step_limit))
    for event in process.iter(bpmn("boundaryEvent")):
        if event.find(bpmn("timerEventDefinition")) is not None and event.get(
                sun("deadline")) is None:
            event.set(sun("deadline"), draft.timer_deadline)


def _lanes(process: etree._Element, post: str) -> None:
    """Every user task in a lane: the steps outside any lane go to the lane ``post``."""
    laned = lane_of(process)
    outside = [t.get("id") for t in process.iter(bpmn("userTask")) if t.get("id") not in laned]
    if not outside:
        return
    lane_set = process.find(bpmn("laneSet"))
    if lane_set is None:
        lane_set = etree.Element(bpmn("laneSet"), id=f"{process.get('id')}_lanes")
        ext = process.find(bpmn("extensionElements"))
        at = (process.index(ext) + 1 if ext is not None
              else len(process.findall(bpmn("documentation"))))
        process.insert(at, lane_set)
    lane = next((la for la in lane_set.findall(bpmn("lane")) if la.get("name") == post), None)
    if lane is None:
        lane = etree.SubElement(lane_set, bpmn("lane"), id=f"{process.get('id')}_lane_post",
                                name=post)
    for task_id in outside:
        etree.SubElement(lane, bpmn("flowNodeRef")).text = task_id
