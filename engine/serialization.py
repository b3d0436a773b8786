"""Serializer configuration: how a case's workflow is stored, with the spec kept out of it.

A definition's spec is serialized once per version (``spec_to_dict``); a case stores only its
own state (the workflow dict without ``spec`` and ``subprocess_specs``), which keeps an open
case to a couple of kilobytes. ``SERIALIZER_VERSION`` is stored beside every case so that a
later SpiffWorkflow upgrade can migrate stored states.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.timers import ManagedTimer

SERIALIZER_VERSION = "sunshine-1/spiff-1.5"
_SPEC_KEYS = ("spec", "subprocess_specs")


class _StateOnlyConverter(BpmnWorkflowConverter):
    """A workflow's own state without its spec: converting the spec on every save and throwing
    it away cost more than everything else in the serialization."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def make_serializer(*, state_only: bool = False) -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[ManagedTimer] = TimerConditionalEventDefinitionConverter
    if state_only:
        config[BpmnWorkflow] = _StateOnlyConverter
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = make_serializer()
_STATE_SERIALIZER = make_serializer(state_only=True)


def spec_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The spec part of a workflow's serialization (stored once per definition version)."""
    full = _SERIALIZER.to_dict(workflow)
    return {k: full[k] for k in _SPEC_KEYS}


def state_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case's own state: the workflow's serialization without its spec."""
    return dict(_STATE_SERIALIZER.to_dict(workflow))


def spec_objects(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec restored once into SpiffWorkflow spec objects, which every workflow of the
    version then shares (as workflows of one parsed spec do). Restored from a copy: Spiff's
    ``from_dict`` rewrites the nested dicts it is given."""
    fresh = copy.deepcopy(spec)
    registry = _SERIALIZER.registry
    return {"spec": registry.restore(fresh["spec"]),
            "subprocess_specs": {name: registry.restore(s)
                                 for name, s in fresh.get("subprocess_specs", {}).items()}}


def restore(state: dict[str, Any], spec: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    full = dict(state)
    full.update(spec)
    workflow = _SERIALIZER.from_dict(full)
    # A sub-process (BpmnSubWorkflow) reads its script engine from the top workflow: it has no
    # setter, and setting it failed for every case saved inside an embedded sub-process.
    workflow.script_engine = script_engine
    return workflow


def new_workflow(spec: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    """A fresh, not yet started workflow of a stored spec."""
    registry = _SERIALIZER.registry
    top = registry.restore(spec["spec"])
    subs = {name: registry.restore(s) for name, s in spec.get("subprocess_specs", {}).items()}
    return BpmnWorkflow(top, subs, script_engine=script_engine)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
