"""A step's form (表单字段) as its BPMN file declares it, for the complete-step page.

Stopgap: the application layer has no read use case yet that returns a step with its declared
fields, so this takes the case through ``cases.find_case`` and reads the fields with
``engine.formfields.step_fields`` from the case's own definition version. It only shows the
form; what is sent is typed and refused by the service (``complete_task``) alone. It belongs in
engine/services/views.py as ``step_form(env, number, step_id)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import NotFound
from engine.formfields import FormField, step_fields
from engine.services.cases import find_case


@dataclass(frozen=True)
class StepForm:
    case_number: str
    step_id: str
    name: str
    post: str | None
    assignee: str | None
    status: str
    role: str | None
    fields: tuple[FormField, ...]


def step_form(env: object, number: str, step_id: str) -> StepForm:
    case = find_case(env, number)  # type: ignore[arg-type]
    step = next((s for s in case.steps if s.id == step_id), None)
    if step is None:
        raise NotFound(f"办件 {number} 没有这个环节 (no such step)")
    return StepForm(case_number=case.number, step_id=step.id, name=step.name, post=step.post,
                    assignee=step.assignee, status=step.status.value, role=step.role,
                    fields=step_fields(case.setting.spec, step.spec_id))
