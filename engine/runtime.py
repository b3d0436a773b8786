"""Runtime: owns one SpiffWorkflow ``BpmnWorkflow`` of a case and drives it.

Engine steps, the ready user tasks, completing a task with form data, firing an engine-managed
timer, cancelling, and telling which end event the case reached. Everything SpiffWorkflow-
specific that services need sits here; services never touch Spiff tasks directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.errors import InvalidAction, ScriptError
from engine.scripting import restricted_script_engine
from engine.serialization import new_workflow, restore, state_to_dict
from engine.timers import mark_fired


@dataclass(frozen=True)
class ReadyTask:
    """A user task ready for someone to work on."""

    id: str
    spec_id: str
    name: str
    lane: str | None


def _cause(err: BaseException) -> BaseException | None:
    # SpiffWorkflow 3.2's WorkflowTaskException keeps the original error as __context__.
    return getattr(err, "exception", None) or err.__context__


def _script_error(err: Exception) -> ScriptError:
    inner = _cause(err)
    if isinstance(inner, ScriptError):
        return ScriptError(str(inner))
    cause = getattr(err, "error_line", "") or ""
    return ScriptError(f"a condition or script in the process failed: {err}"
                       + (f" (in `{cause}`)" if cause else ""))


def _drop_sequential_item(task: Any) -> None:
    """An instance of a sequential multi-instance step keeps its element variable to itself
    (Camunda's elementVariable is local to the instance): SpiffWorkflow merges the finished
    instance's data into the activity and would then refuse to start the next instance, whose
    variable "already exists" there."""
    spec = getattr(task.parent, "task_spec", None)
    item = getattr(spec, "input_item", None)
    if isinstance(spec, SequentialMultiInstanceTask) and item is not None:
        task.data.pop(item.bpmn_id, None)


class Runtime:
    """One case's workflow."""

    def __init__(self, workflow: BpmnWorkflow) -> None:
        self.workflow = workflow

    @classmethod
    def start(cls, spec: dict[str, Any], data: dict[str, Any]) -> Runtime:
        workflow = new_workflow(spec, restricted_script_engine())
        start = workflow.get_tasks(state=TaskState.READY)
        for task in start:
            task.data.update(data)
        runtime = cls(workflow)
        runtime._steps()
        return runtime

    @classmethod
    def load(cls, state: dict[str, Any], spec: dict[str, Any]) -> Runtime:
        return cls(restore(state, spec, restricted_script_engine()))

    def state(self) -> dict[str, Any]:
        return state_to_dict(self.workflow)

    def _steps(self) -> None:
        try:
            self.workflow.do_engine_steps()
        except ScriptError:
            raise
        except SpiffWorkflowException as err:
            raise _script_error(err) from None

    def ready_tasks(self) -> list[ReadyTask]:
        tasks = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        return [
            ReadyTask(
                id=str(t.id),
                spec_id=t.task_spec.bpmn_id,
                name=t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                lane=getattr(t.task_spec, "lane", None),
            )
            for t in tasks
        ]

    def _task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(uuid.UUID(task_id))
        except (ValueError, KeyError):
            task = None
        if task is None:
            raise InvalidAction(f"step {task_id} is not part of this case")
        return task

    def complete(self, task_id: str, data: dict[str, Any]) -> None:
        task = self._task(task_id)
        if task.state != TaskState.READY:
            raise InvalidAction(f"step “{task.task_spec.bpmn_name}” is not waiting to be done")
        task.data.update(data)
        _drop_sequential_item(task)
        try:
            task.run()
        except SpiffWorkflowException as err:
            raise _script_error(err) from None
        self._steps()

    def waiting_timers(self) -> list[tuple[str, str]]:
        """(task id, boundary/catch event spec id) of every timer waiting to fire."""
        found = []
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition):
                found.append((str(task.id), task.task_spec.bpmn_id))
        return found

    def fire_timer(self, event_spec_id: str) -> bool:
        """Fire the waiting timer event with this BPMN id; False if none is waiting."""
        for task_id, spec_id in self.waiting_timers():
            if spec_id == event_spec_id:
                mark_fired(self._task(task_id))
                self.workflow.refresh_timers()
                self._steps()
                return True
        return False

    def cancel(self) -> None:
        self.workflow.cancel()

    @property
    def completed(self) -> bool:
        return bool(self.workflow.is_completed())

    def reached_end(self) -> str | None:
        """The BPMN id of the top-level end event the workflow finished at, if any."""
        ends = [
            t for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.__class__.__name__ == "EndEvent" and t.workflow is self.workflow
        ]
        if not ends:
            return None
        ends.sort(key=lambda t: t.last_state_change)
        return str(ends[-1].task_spec.bpmn_id)

    def data(self) -> dict[str, Any]:
        return dict(self.workflow.data)
