"""A step's form (表单字段) as its BPMN file declares it, for the complete-step page: the
application layer's ``step_form`` (engine/services/views.py). It only shows the form; what is
sent is typed and refused by the service (``complete_task``) alone."""

from __future__ import annotations

from engine.services.views import StepForm, step_form

__all__ = ["StepForm", "step_form"]
