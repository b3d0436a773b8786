"""Serializer configuration: how a case's workflow is stored, with the spec kept out of it.

A definition's spec is serialized once per version (``spec_to_dict``); a case stores only its
own state (the workflow dict without ``spec`` and ``subprocess_specs``), which keeps an open
case to a couple of kilobytes. ``SERIALIZER_VERSION`` is stored beside every case so that a
later SpiffWorkflow upgrade can migrate stored states.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.timers import ManagedTimer

SERIALIZER_VERSION = "sunshine-1/spiff-1.5"
_SPEC_KEYS = ("spec", "subprocess_specs")


def make_serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[ManagedTimer] = TimerConditionalEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config)
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = make_serializer()


def spec_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The spec part of a workflow's serialization (stored once per definition version)."""
    full = _SERIALIZER.to_dict(workflow)
    return {k: full[k] for k in _SPEC_KEYS}


def state_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case's own state: the workflow's serialization without its spec."""
    full = _SERIALIZER.to_dict(workflow)
    for key in _SPEC_KEYS:
        full.pop(key, None)
    return full


def restore(state: dict[str, Any], spec: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    full = dict(state)
    full.update(spec)
    workflow = _SERIALIZER.from_dict(full)
    workflow.script_engine = script_engine
    for sub in workflow.subprocesses.values():
        sub.script_engine = script_engine
    return workflow


def new_workflow(spec: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    """A fresh, not yet started workflow of a stored spec."""
    top = _SERIALIZER.from_dict(spec["spec"])
    subs = {name: _SERIALIZER.from_dict(s) for name, s in spec.get("subprocess_specs", {}).items()}
    return BpmnWorkflow(top, subs, script_engine=script_engine)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
