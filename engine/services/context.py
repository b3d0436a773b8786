"""What every use case is given: a unit-of-work factory, the clock, the calendar and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.model import Rules

if TYPE_CHECKING:
    from engine.calendar import WorkingCalendar
    from engine.ports import Clock, UnitOfWork


# An explicit time this close to the clock's is the present passed on from one use case to
# another (a page computes "now" once and gives it to the reads it calls), not time travel.
TRAVEL = timedelta(seconds=60)


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
    # The wall clock, only to stamp when a record was written (evidence beside the acting time,
    # which time travel may set); never used to decide anything.
    wall: Callable[[], datetime] | None = None
    # test or demo installations may act at another time (time travel); production may not
    time_travel: bool = False
    engine: Any = None  # the database engine (adapters only: db upgrade, copy)
    reset_calendar: Callable[[], Any] | None = None  # reload after a calendar import

    def written_at(self) -> datetime:
        """When a record is written, by the wall clock (the acting time may be travelled)."""
        value = self.wall() if self.wall is not None else self.clock.now()
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def now(self, at: datetime | None = None) -> datetime:
        """``at`` (time travel, for tests and demos) or the clock's time, always UTC. A
        production installation acts only at the clock's time."""
        if at is not None and not self.time_travel and abs(at - self.clock.now()) > TRAVEL:
            from engine.errors import ConfigError

            raise ConfigError("以另一时间办理（时间穿越）只在测试或演示安装中可用（SUNSHINE_MODE=test 或 "
                              "demo）；生产安装一律按系统时间办理 (time travel is for test and demo "
                              "installations only)")
        value = at or self.clock.now()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
