"""What every use case is given: a unit-of-work factory, the clock, the calendar and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.calendar import WorkingCalendar
    from engine.ports import Clock, UnitOfWork


@dataclass(frozen=True)
class Rules:
    """Local rules that differ between places (DOMAIN-REFERENCE 3, 8a): configuration, not code."""

    warning_share: float = 0.8  # warn when this share of a step's or case's time is used
    red_card_against: str = "promised"  # or "statutory" (some provincial systems)
    acceptance_notice_days: int = 5  # ALL Art. 32: one-time notice within 5 working days
    promised_ratio: float = 2 / 3  # promised ≤ ⅔ × statutory
    extension_days: int = 10  # ALL Art. 42
    joint_extension_days: int = 15  # ALL Art. 42, joint handling
    certificate_days: int = 10  # ALL Art. 44
    sweep_batch: int = 500


@dataclass
class Env:
    """The ports a service needs, wired by the composition root (adapters/bootstrap.py)."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    calendar: Callable[[], WorkingCalendar]
    rules: Rules = field(default_factory=Rules)

    def now(self, at: datetime | None = None) -> datetime:
        """``at`` (time travel from the CLI's ``--now``) or the clock's time, always UTC."""
        value = at or self.clock.now()
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
