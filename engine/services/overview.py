"""The supervisors' overview (电子监察): open cases overdue and near their deadline, per unit.

One query counts the open cases per definition version (``uow.reads``, a read model over the
case table and its partial index on open cases' promised due); the few definitions found are
mapped to their implementing unit and power from their catalogue entries (the process's cache
of deployed versions, else one query for the entries alone), and the counts are summed per
unit. Nothing reads the catalogue documents row by row (PERFORMANCE-NOTES: a query that did
took 7.5 s on 1M cases).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from engine.catalogue import Power
from engine.deadlines import compute
from engine.errors import InvalidAction
from engine.read_models import PowerOverview, SupervisionReads, UnitOverview
from engine.services.context import Env

NEAR_DAYS = 3  # working days ahead that count as near the deadline (临近)


def near_horizon(env: Env, now: datetime, near_days: int = NEAR_DAYS) -> datetime:
    """The end of the ``near_days``-th working day after ``now``'s local date (0: the end of
    today, or of the next working day when today is not one)."""
    if near_days < 0:
        raise InvalidAction(f"near_days must be 0 or more working days, got {near_days}",
                            field="near_days")
    return compute(env.calendar(), now, near_days).at


def overdue_by_unit(env: Env, *, now: datetime | None = None,
                    near_days: int = NEAR_DAYS) -> list[UnitOverview]:
    """Per implementing unit: open cases overdue, near their promised deadline (within
    ``near_days`` working days) and open, with the same per power; most overdue first."""
    at = env.now(now)
    near_until = near_horizon(env, at, near_days)  # the calendar before any unit of work
    with env.uow() as uow:
        reads = uow.reads
        counts = reads.open_cases_by_definition(at, near_until)
        powers = _powers(env, reads, {row.definition_id for row in counts})
    per_power: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[str, str] = {}
    for row in counts:
        power = powers[row.definition_id]
        names[power.code] = power.name
        total = per_power[(power.unit, power.code)]
        total[0] += row.overdue
        total[1] += row.near
        total[2] += row.open
    by_unit: dict[str, list[PowerOverview]] = defaultdict(list)
    for (unit, code), (overdue, near, open_) in per_power.items():
        by_unit[unit].append(PowerOverview(code=code, name=names[code], overdue=overdue,
                                           near_deadline=near, open=open_))
    units = [UnitOverview(
        unit=unit,
        overdue=sum(p.overdue for p in rows),
        near_deadline=sum(p.near_deadline for p in rows),
        open=sum(p.open for p in rows),
        powers=tuple(sorted(rows, key=_order)),
    ) for unit, rows in by_unit.items()]
    return sorted(units, key=lambda u: (-u.overdue, -u.near_deadline, -u.open, u.unit))


def _powers(env: Env, reads: SupervisionReads, ids: set[int]) -> dict[int, Power]:
    """Each definition's catalogue entry: from the process's cache of deployed versions where a
    case service already read it (versions never change), the others in one query (only their
    catalogue entries: a supervisor's process need not restore hundreds of specs)."""
    powers = {i: env.definitions[i][0] for i in ids if i in env.definitions}
    missing = ids - powers.keys()
    powers.update((i, Power.from_dict(entry))
                  for i, entry in reads.catalogue_entries(missing).items())
    return powers


def _order(p: PowerOverview) -> tuple[int, int, int, str]:
    return (-p.overdue, -p.near_deadline, -p.open, p.code)
