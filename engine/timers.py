"""Timer events that the engine fires itself, not the wall clock.

SpiffWorkflow evaluates timer events against ``datetime.now()`` whenever it refreshes waiting
tasks. Deadlines in Sunshine are counted in working days with clock stops and extensions, and
tests travel in time, so the engine computes every due time itself (engine/deadlines.py),
stores it in an indexed column, and when the sweep finds it due it marks the waiting timer task
as fired. ``ManagedTimer`` is the event definition the parser gives every timer: it never reads
the clock and never evaluates its expression; it has fired when the engine says so.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    BoundaryEventParser,
    IntermediateCatchEventParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.util import PendingBpmnEvent

FIRED_KEY = "event_fired"


class ManagedTimer(TimeDateEventDefinition):
    """A timer whose firing the engine decides (see module docstring)."""

    def has_fired(self, my_task: Any) -> bool:
        return bool(my_task._get_internal_data(FIRED_KEY, False))

    def details(self, my_task: Any) -> PendingBpmnEvent:
        return PendingBpmnEvent(self.name, self.__class__.__name__, None)


def mark_fired(task: Any) -> None:
    """Tell a waiting timer task it has fired; the next engine step takes its path."""
    task._set_internal_data(**{FIRED_KEY: True})


class _ManagedTimerMixin:
    node: Any

    def parse_timer_event(self, event: Any) -> ManagedTimer:  # noqa: ARG002 - see docstring
        name = self.node.get("name", self.node.get("id"))
        expr = None
        for tag in ("timeDate", "timeDuration", "timeCycle"):
            found = first(self.xpath(f".//bpmn:{tag}"))  # type: ignore[attr-defined]
            if found is not None:
                expr = found.text
                break
        return ManagedTimer(name, expr or "", description="Timer")


class ManagedBoundaryEventParser(_ManagedTimerMixin, BoundaryEventParser):
    pass


class ManagedIntermediateCatchEventParser(_ManagedTimerMixin, IntermediateCatchEventParser):
    pass


class ManagedStartEventParser(_ManagedTimerMixin, StartEventParser):
    pass
