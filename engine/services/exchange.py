"""The provincial exchange export (`sunshine exchange export`): every status change of every case
in a finished period, or since the last incremental export, as exchange records
(engine/exchange.py), for a supervisor or an administrator. The adapter writes the file; the
export is recorded only once the file is written, so the next incremental export never skips
changes that did not reach a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from engine.deadlines import end_of_day
from engine.errors import InvalidAction
from engine.exchange import (
    STATUS_EVENTS,
    ExchangeExport,
    ExchangeRecord,
    digest,
    records_of,
    sort_key,
)
from engine.identity import Action, Actor
from engine.services.context import Env
from engine.services.identity import require
from engine.services.stats import parse_period
from engine.services.supervision import mask_name


@dataclass(frozen=True)
class ExchangeBatch:
    """What one export holds: the export's own row and its records, in the order they
    happened."""

    export: ExchangeExport
    records: tuple[ExchangeRecord, ...]


def export_exchange(env: Env, actor: Actor, *, start: str | date | None = None,
                    end: str | date | None = None, since_last: bool = False,
                    write: Callable[[ExchangeBatch], None],
                    now: datetime | None = None) -> ExchangeBatch:
    """Export a finished period (``start`` … ``end``, local dates, both included) or the changes
    since the last incremental export (``since_last``: up to now). ``write`` puts the batch in a
    file; if it fails nothing is recorded."""
    at = env.now(now)
    calendar = env.calendar()
    if since_last and (start or end):
        raise InvalidAction("请选择其一：导出一个期间（from 和 to），或导出上次以来的变化（since-last）"
                            "(give a period or since-last, not both)", field="since_last")
    if not since_last and not (start and end):
        raise InvalidAction("请写明导出期间的开始和结束日期（from 和 to），或导出上次以来的变化"
                            "（since-last） (give the period, or since-last)", field="from")
    if since_last:
        require(env, actor, Action.EXPORT_EXCHANGE, target="exchange since last", now=now)
        with env.uow() as uow:
            last = uow.exchange.last(mode="incremental")
        mode, since, until = "incremental", (last.until if last else None), at
        if since is not None and since > until:
            raise InvalidAction(f"上次增量导出截至 {since.astimezone(calendar.tz):%Y-%m-%d %H:%M}，"
                                f"晚于现在，没有可导出的新变化 (the last export ends after now)",
                                field="since_last")
    else:
        assert start is not None and end is not None
        first, last_day = parse_period(start, end)
        require(env, actor, Action.EXPORT_EXCHANGE, target=f"exchange {first}..{last_day}",
                now=now)
        today = calendar.local_date(at)
        if last_day >= today:
            raise InvalidAction(f"导出期间到 {last_day} 还没有结束（今天是 {today}），只能导出已结束的期间；"
                                f"当天的变化请用增量导出 (export only a period that has ended, or "
                                f"use since-last)", field="to")
        mode = "period"
        since, until = end_of_day(calendar, first - timedelta(days=1)), end_of_day(calendar, last_day)
    local = lambda v: v.astimezone(calendar.tz).isoformat(timespec="seconds")  # noqa: E731
    records: list[ExchangeRecord] = []
    with env.uow() as uow:
        changed = uow.exchange.changed_cases(since, until, STATUS_EVENTS)
        powers = uow.reads.catalogue_entries({c.definition_id for c in changed})
        for case in changed:
            records += records_of(case, uow.audit.for_case(case.case_id),
                                  powers.get(case.definition_id, {}), since=since, until=until,
                                  mask=mask_name, local=local)
    records.sort(key=sort_key)
    batch = ExchangeBatch(
        export=ExchangeExport(mode=mode, since=since, until=until, records=len(records),
                              sha256=digest(records), exported_by=actor.login, exported_at=at),
        records=tuple(records))
    write(batch)
    with env.uow() as uow:
        stored = uow.exchange.add(batch.export)
        uow.commit()
    return replace(batch, export=stored)


def list_exports(env: Env, actor: Actor, *, now: datetime | None = None) -> list[ExchangeExport]:
    """The exports made so far, the latest first."""
    require(env, actor, Action.EXPORT_EXCHANGE, target="exchange exports", now=now)
    with env.uow() as uow:
        return uow.exchange.list()
