"""What every use case is given: a unit-of-work factory, the clock, the calendar and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.model import Rules

if TYPE_CHECKING:
    from engine.calendar import WorkingCalendar
    from engine.ports import Clock, UnitOfWork


@dataclass
class Env:
    """The ports a service needs, wired by the composition root (adapters/bootstrap.py)."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    calendar: Callable[[], WorkingCalendar]
    rules: Rules = field(default_factory=Rules)
    # definition id → (Power, spec): versions never change once deployed
    definitions: dict[int, Any] = field(default_factory=dict)
    # case id → (stored version and audit head, live workflow): see services.cases.load
    live: dict[int, Any] = field(default_factory=dict)

    def now(self, at: datetime | None = None) -> datetime:
        """``at`` (time travel, for tests and demos) or the clock's time, always UTC."""
        value = at or self.clock.now()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
