"""The case's rule for the end of its personal data's retention (个人信息保存期限).

When a closed case's retention period is over (engine/services/retention.py decides when), its
personal values — ID numbers, phones, e-mail and postal addresses (engine/personal.py) — are
erased from the case's data, its steps' form data, the workflow's data and its audit events.
What the record is for stays: the power, the dates, who handled each step, the decision, the
deadlines, cards and breaches. The erasure is itself an event of the case's trail, naming who
erased, when, under which period and how many values.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from engine.audit import ERASED_KIND, erased
from engine.errors import InvalidAction
from engine.model import AuditEvent
from engine.personal import blanked

if TYPE_CHECKING:
    from engine.case import Case


class RetentionRules:
    def erase_personal_data(self: Case, *, now: datetime, actor: str, events: list[AuditEvent],
                            years: int, basis: str) -> list[AuditEvent]:
        """Erase the case's personal data; ``events`` are its stored audit events. Returns those
        of them that held personal data, erased, for the repository to store in their place."""
        if self.closed_at is None:
            raise InvalidAction(f"case {self.number} is not closed: its personal data is kept "
                                f"while it is handled and for {years} years after it closes")
        if self.erased_at is not None:
            raise InvalidAction(f"case {self.number}: its personal data was erased already, "
                                f"on {self.erased_at:%Y-%m-%d}")
        self._act(now, actor)
        self.data, n_case = blanked(self.data)
        n_steps = 0
        for step in self.steps:
            step.data, n = blanked(step.data)
            n_steps += n
        self.workflow_state, n_flow = blanked(self.workflow_state)
        # a closed case's workflow does not run again: a live one (adopted on load) would be
        # saved in place of the erased state
        self._runtime, self._workflow_json = None, None
        changed: list[AuditEvent] = []
        rewritten: dict[str, str] = {}
        for ev in events:
            out, digest = erased(ev)
            if out is not ev:
                changed.append(out)
            if digest is not None:
                rewritten[str(ev.seq)] = digest
        self.erased_at = now
        self.event(ERASED_KIND, closed_at=self.closed_at.isoformat(), years=years, basis=basis,
                   values={"case": n_case, "steps": n_steps, "workflow": n_flow},
                   events=[ev.seq for ev in changed], rewritten=rewritten)
        return changed
