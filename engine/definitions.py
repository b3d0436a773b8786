"""Load BPMN definitions: parse safely, hand them to SpiffWorkflow, version them by content.

A ``Definition`` is one executable process of a file with its catalogue entry (``Power``), the
file's bytes, a content hash (the version identity: the same bytes deploy as the same version)
and the serialized spec that every case of this version shares; the spec carries each step's
declared form fields (engine/formfields.py) and, under ``called``, the files of the processes
its call activities call in other files (engine/calls.py), whose specs it includes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    ScriptTask,
    StartEvent,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.calls import CallGraph, SourceFile, bundle_hash, stored_entries, with_called_steps
from engine.catalogue import Power, read_power
from engine.errors import DefinitionError
from engine.foreign import is_executable, runnable_copy
from engine.formfields import attach_fields, read_step_fields
from engine.scripting import restricted_script_engine
from engine.serialization import spec_to_dict
from engine.timers import (
    ManagedBoundaryEventParser,
    ManagedIntermediateCatchEventParser,
    ManagedStartEventParser,
)
from engine.xmlsafe import bpmn


class AutomatedStepParser(TaskParser):
    """A service task, or a task of no type: the engine calls no Java class, expression,
    connector or external worker, so the step completes at once with no effect (as Camunda
    passes a task of no type). It is kept as an empty script task — recorded in the case's
    workflow as done by the engine — because SpiffWorkflow's serializer has no converter for
    its ServiceTask (deploying one failed with a TypeError)."""

    def create_task(self) -> ScriptTask:
        return ScriptTask(self.spec, self.bpmn_id, script="", **self.bpmn_attributes)


class SunshineParser(BpmnParser):
    """SpiffWorkflow's parser, with every timer handed to the engine (engine/timers.py) and
    service tasks and tasks of no type run as automated steps with no effect."""

    OVERRIDE_PARSER_CLASSES = {
        bpmn("serviceTask"): (AutomatedStepParser, ScriptTask),
        bpmn("task"): (AutomatedStepParser, ScriptTask),
        bpmn("boundaryEvent"): (ManagedBoundaryEventParser, BoundaryEvent),
        bpmn("intermediateCatchEvent"): (ManagedIntermediateCatchEventParser,
                                         IntermediateCatchEvent),
        bpmn("startEvent"): (ManagedStartEventParser, StartEvent),
    }


_VALIDATOR: BpmnValidator | None = None


def _validator() -> BpmnValidator:
    global _VALIDATOR  # built once: loading the BPMN XSD takes ~100 ms
    if _VALIDATOR is None:
        _VALIDATOR = BpmnValidator()
    return _VALIDATOR


@dataclass(frozen=True)
class Definition:
    """One executable process of a BPMN file, ready to deploy."""

    process_id: str
    power: Power
    file: str
    xml: bytes
    content_hash: str
    spec: dict[str, Any]
    bundled: tuple[str, ...] = ()  # the other files whose processes it calls, stored with it


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# What to do about the SpiffWorkflow parse errors designers meet most, by message fragment.
_KNOWN_FIXES = (
    ("Non-default exclusive outgoing sequence flow without condition",
     "give this flow a condition such as decision == \"refuse\", or make it the gateway's "
     "default flow"),
    ("Multiple outgoing flows are not supported",
     "put a gateway after the task: an exclusive gateway with conditions to choose one path, or "
     "a parallel gateway to take them all"),
    ("no support implemented for this task type",
     "the engine runs user, manual and Python script tasks, and service and send tasks as "
     "automated steps with no effect; a business rule (DMN) task cannot run — replace it with "
     "a user task or a script task, or keep the file as a flowchart only "
     "(isExecutable=\"false\")"),
    ("Unsupported Catch Event",
     "the engine runs timer boundary events marked with sunshine:deadline, not this kind of "
     "event (compensation, cancel, …): remove it from a file meant to run"),
    ("multiinstance task must specify",
     "set a loop cardinality or an input collection, or remove the multi-instance marker"),
)


def spiff_error(err: Exception, file: str) -> DefinitionError:
    """Translate a SpiffWorkflow parse failure into a designer's words, with the element id."""
    if isinstance(err, ValidationException) and (
            isinstance(err.__context__, TypeError) or "raise_validation_exception" in str(err)):
        # SpiffWorkflow 3.2 wraps the TypeError it raises on an error (or message, signal,
        # escalation) event whose reference names no element; say what is missing.
        return DefinitionError(
            "the event's errorRef/messageRef/signalRef/escalationRef names no <bpmn:error>/"
            "<bpmn:message>/<bpmn:signal>/<bpmn:escalation> element (Activiti writes the error "
            "code there) — add that element at the top level of the file, or pick it in the "
            "modeler's properties panel", file=file, element=err.id or None)
    if isinstance(err, ValidationException) and "has no implementation" in str(err):
        return DefinitionError(
            f"SpiffWorkflow cannot parse it: {str(err).rstrip('.')} — data stores cannot run; "
            f"remove the data store and its references from a file meant to run", file=file,
            element=err.id or None)
    if isinstance(err, ValidationException):
        element = err.id or None
        msg = str(err).split(". ")[0].rstrip(".")
        fix = next((f for known, f in _KNOWN_FIXES if known in str(err)), None)
        if fix is not None:
            pass
        elif "schema" in msg.lower() or "Element" in msg:
            fix = "open the file in Camunda Modeler or bpmn.io and save it again, or fix the XML"
        else:
            fix = "fix the element in a BPMN modeler"
        return DefinitionError(f"SpiffWorkflow cannot parse it: {msg} — {fix}", file=file,
                               element=element)
    if isinstance(err, TypeError):
        # SpiffWorkflow 3.2 raises a bare TypeError on an error event whose errorRef names a
        # code with no <error> element (as Activiti files do).
        return DefinitionError(
            "SpiffWorkflow cannot parse an event definition (typically an error or escalation "
            "event whose errorRef/escalationRef has no matching <bpmn:error>/<bpmn:escalation> "
            "element) — add the <bpmn:error id=… errorCode=…/> element at the top level",
            file=file,
        )
    return DefinitionError(f"SpiffWorkflow cannot parse it: {err}", file=file)


def parse_specs(tree: etree._ElementTree, file: str, process_id: str,
                called: Sequence[SourceFile] = ()) -> BpmnWorkflow:
    """Parse one process with SpiffWorkflow and return a fresh workflow (not started).
    ``called`` are the other files whose processes its call activities call
    (engine/calls.py): their specs become the workflow's subprocess specs."""
    parser = SunshineParser(validator=_validator())
    try:
        parser.add_bpmn_xml(runnable_copy(tree), filename=file)
        for other in called:
            parser.add_bpmn_xml(runnable_copy(other.tree), filename=other.file)
        spec = parser.get_spec(process_id)
        subprocesses = parser.get_subprocess_specs(process_id)
    except (SpiffWorkflowException, TypeError, KeyError, AttributeError, ValueError) as err:
        raise spiff_error(err, file) from None
    except RecursionError:
        # engine/lint.py names the self-loops and recursive calls that cause this; whatever
        # else does is still a finding, never a traceback
        raise DefinitionError("SpiffWorkflow cannot parse the process: it recursed without end "
                              "(a flow from an element to itself, or a call activity calling "
                              "its own process) — remove the loop", file=file,
                              element=process_id) from None
    except etree.DocumentInvalid as err:  # pragma: no cover - validator raises ValidationException
        raise DefinitionError(f"not valid BPMN 2.0: {err}", file=file) from None
    return BpmnWorkflow(spec, subprocesses, script_engine=restricted_script_engine())


def load_definitions(data: bytes, file: str, calls: CallGraph | None = None) -> list[Definition]:
    """Every executable process with a catalogue entry in a file. Raises DefinitionError.

    ``calls`` resolves call activities across files (engine/calls.py; the file must be one of
    its given files): each process found in another file is bundled with the version."""
    if calls is None:
        calls = CallGraph([SourceFile.read(file, data)])
    source = calls.source(file, data)
    found = []
    for process in source.tree.getroot().findall(bpmn("process")):
        power = read_power(process)
        if power is None or not is_executable(process):
            continue
        node = (source, power.process_id)
        if not calls.runs(node):
            raise DefinitionError(
                "a call activity of the process calls a process that cannot run with it — "
                "lint the file together with the files it calls", file=file,
                element=power.process_id)
        bundled = calls.needs(node)
        workflow = parse_specs(source.tree, file, power.process_id, bundled)
        # the steps' form fields travel in the stored spec: cases never parse the XML again
        fields: dict[str, Any] = {}
        for s in reversed([source, *bundled]):
            fields.update(read_step_fields(s.tree.getroot()))
        attach_fields([workflow.spec, *workflow.subprocess_specs.values()], fields)
        spec = spec_to_dict(workflow)
        if bundled:
            spec["called"] = stored_entries(bundled)
        found.append(
            Definition(
                process_id=power.process_id,
                power=with_called_steps(power, [s.processes[pid]
                                                for s, pid in calls.reachable(node)]),
                file=file,
                xml=data,
                content_hash=bundle_hash(content_hash(data), bundled),
                spec=spec,
                bundled=tuple(s.file for s in bundled),
            )
        )
    if not found:
        raise DefinitionError(
            "no executable process with a sunshine:power entry — set isExecutable=\"true\" and "
            "add the power's metadata (docs/designer-guide.md)",
            file=file,
        )
    return found
