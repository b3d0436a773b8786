"""Working days used against promised, per power (用时与承诺时限对比): for the statistics page's
chart and the signed report's picture. Counted by engine/stats.py (the share of the promised
time each decided case used, clock stops excluded); the average working days used is that share
times the power's promised limit, so that the figure and the share on the table always agree."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.identity import Actor
from engine.services.context import Env
from engine.services.stats import statistics


def time_by_power(env: Env, actor: Actor, start: str | date, end: str | date, *,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """One entry per power with cases decided in the period and a promised limit, ranked as the
    statistics rank powers: code, name, promised_limit (working days), decided, share_used
    (0.62 = 62 %) and days_used (the average working days used)."""
    table = statistics(env, actor, start, end, "power", now=now)
    with env.uow() as uow:
        limits = {row.power_code: row.power.get("promised_limit") for row in
                  uow.definitions.current()}
    out = []
    for row in table.rows:
        limit = limits.get(row.key)
        if row.share_used is None or not isinstance(limit, int) or limit <= 0:
            continue
        out.append({"code": row.key, "name": row.label, "promised_limit": limit,
                    "decided": row.n("decided"), "share_used": row.share_used,
                    "days_used": round(row.share_used * limit, 1)})
    return out
