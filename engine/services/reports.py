"""Periodic supervision reports (月报、季报、年报) for 人大, 纪委 and the leading group: a
supervisor signs off a finished period's figures; the report is archived with them, so that it
prints the same numbers later, whatever happens to the cases afterwards (a breach decided next
month does not change last month's signed report). The PDF and the Excel file are drawn from
the archived figures (adapters/report.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from engine.errors import InvalidAction, SunshineError
from engine.identity import Action, Actor
from engine.services.context import Env
from engine.services.identity import require
from engine.services.stats import parse_period, statistics
from engine.stats import SignedReport, to_dict


class ReportAltered(SunshineError):
    """An archived report's figures no longer match the digest it was signed with."""

    code = "report_altered"


def digest(figures: dict[str, Any]) -> str:
    """SHA-256 of the figures' canonical JSON."""
    text = json.dumps(figures, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sign_report(env: Env, actor: Actor, start: str | date, end: str | date, *,
                now: datetime | None = None) -> SignedReport:
    """Sign off and archive the figures of a finished period, by unit."""
    first, last = parse_period(start, end)
    at = env.now(now)
    require(env, actor, Action.SIGN_REPORT, target=f"report {first}..{last}", now=now)
    today = env.calendar().local_date(at)
    if last >= today:
        raise InvalidAction(f"统计期间到 {last} 还没有结束（今天是 {today}），只能签发已结束期间的报告 "
                            f"(sign a report only for a period that has ended)", field="to")
    from engine.services.time_used import time_by_power

    figures = to_dict(statistics(env, actor, first, last, "unit", now=now))
    figures["time_by_power"] = time_by_power(env, actor, first, last, now=now)  # the PDF's chart
    report = SignedReport(start=first, end=last, figures=figures, sha256=digest(figures),
                          signed_by=actor.login, signed_at=at, written_at=env.written_at())
    with env.uow() as uow:
        stored = uow.reports.add(report)
        uow.commit()
    return stored


def get_report(env: Env, actor: Actor, report_id: int, *,
               now: datetime | None = None) -> SignedReport:
    """An archived report, its figures checked against the digest it was signed with."""
    require(env, actor, Action.VIEW_SUPERVISION, target=f"report {report_id}", now=now)
    with env.uow() as uow:
        report = uow.reports.get(report_id)
    if digest(report.figures) != report.sha256:
        raise ReportAltered(f"第 {report_id} 号报告的数字与签发时不符（摘要不一致），存档已被改动 "
                            f"(the archived figures were altered since they were signed)")
    return report


def list_reports(env: Env, actor: Actor, *, now: datetime | None = None) -> list[SignedReport]:
    require(env, actor, Action.VIEW_SUPERVISION, target="reports", now=now)
    with env.uow() as uow:
        return uow.reports.list()
