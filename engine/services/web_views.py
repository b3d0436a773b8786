"""What the supervision, designer and publisher pages read that no other service gives them.

Each function is one use case for one page: it checks that the person may see it (电子监察:
a supervisor; 流程设计: a designer; 公开: a publisher), records a refusal like every other
(``Forbidden``, 权限不足), and returns frozen views built from the other services' reads.

Reading is not in the permission table (engine/identity.py ``RULES`` lists acts); the pages
name the role here, in one place, until the table has reading actions of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.catalogue import Power
from engine.diagram import Diagram, StepStats, extract
from engine.errors import InvalidAction, NotFound, SunshineError
from engine.identity import Action, Actor
from engine.lint import Finding, lint_bytes
from engine.model import Breach, Card, ClockState, Measure
from engine.read_models import OPEN_STATES, UnitOverview
from engine.services.catalogue_admin import (
    PowerVersion,
    list_powers,
    power_source,
    power_versions,
    version_source,
)
from engine.services.catalogue_admin import publication as _sources
from engine.services.context import Env
from engine.services.identity import require
from engine.services.overview import NEAR_DAYS, near_horizon, overdue_by_unit
from engine.services.supervision import list_breaches, step_statistics
from engine.services.views import list_cards
from engine.xmlsafe import parse_bpmn_bytes

# Who may read each group of pages: rows of the permission table (engine/identity.py)
SUPERVISION = Action.VIEW_SUPERVISION
DESIGN = Action.CHECK_DEFINITION
PUBLISHING = Action.PUBLISH


def require_role(env: Env, actor: Actor, action: Action, *, target: str = "",
                 now: datetime | None = None) -> None:
    """The permission table's answer for these pages (a refusal is recorded, 权限不足)."""
    require(env, actor, action, target=target[:100], now=now)


# -- 电子监察 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisionPage:
    """The supervisors' page: open cases by unit and power, cards, breaches, and the powers
    whose live flowchart can be drawn."""

    at: datetime
    near_days: int
    near_last_day: Any  # the last local day counted as near the deadline (a date)
    units: tuple[UnitOverview, ...]
    cards: tuple[tuple[Card, str], ...]  # (card, case number), newest first
    breaches: tuple[Breach, ...]  # undecided first, then the decided, newest first
    powers: tuple[tuple[str, str, str], ...]  # (code, name, unit) of the deployed powers
    measures: tuple[Measure, ...]

    @property
    def undecided(self) -> int:
        return sum(1 for b in self.breaches if b.measure is None)


def supervision_page(env: Env, actor: Actor, *, card_kind: str | None = None,
                     near_days: int = NEAR_DAYS, now: datetime | None = None) -> SupervisionPage:
    require_role(env, actor, SUPERVISION, now=now)
    at = env.now(now)
    units = overdue_by_unit(env, now=at, near_days=near_days)
    last = near_horizon(env, at, near_days) - timedelta(microseconds=1)
    cards = list_cards(env, kind=card_kind or None)
    breaches = list_breaches(env)
    breaches.sort(key=lambda b: (b.measure is not None, -(b.id or 0)))
    powers = tuple((p["code"], p["name"], p["unit"]) for p in list_powers(env))
    return SupervisionPage(at=at, near_days=near_days,
                           near_last_day=env.calendar().local_date(last), units=tuple(units),
                           cards=tuple(cards), breaches=tuple(breaches), powers=powers,
                           measures=tuple(Measure))


@dataclass(frozen=True)
class StepFigure:
    """One step of the live flowchart: cases waiting there, overdue, average working days."""

    id: str
    name: str
    post: str | None
    waiting: int
    overdue: int
    avg_days: float | None


@dataclass(frozen=True)
class LiveChart:
    power: Power
    diagram: Diagram  # the flowchart with the figures in its steps' labels, for the renderer
    steps: tuple[StepFigure, ...]
    at: datetime


def live_flowchart(env: Env, actor: Actor, code: str, *,
                   now: datetime | None = None) -> LiveChart:
    """A power's flowchart with, per step, the cases waiting now and how many are overdue
    (the supervisors' live flowchart, as the CLI draws it)."""
    require_role(env, actor, SUPERVISION, target=code, now=now)
    at = env.now(now)
    power, xml = power_source(env, code)
    figures = step_statistics(env, power.code, at)
    stats = {k: StepStats(**v) for k, v in figures.items()}
    diagram = extract(parse_bpmn_bytes(xml, f"{power.code}.bpmn"), stats)
    steps = tuple(StepFigure(s.id, s.name, s.post, figures.get(s.id, {}).get("waiting", 0),
                             figures.get(s.id, {}).get("overdue", 0),
                             figures.get(s.id, {}).get("avg_days"))
                  for s in power.steps)
    return LiveChart(power=power, diagram=diagram, steps=steps, at=at)


WHICH = {"overdue": "超期", "near": "临近承诺时限", "open": "在办"}


@dataclass(frozen=True)
class CaseLine:
    """A case behind a figure, with what the figure counted it for."""

    number: str
    power_code: str
    power_name: str
    unit: str
    applicant: str
    state: str
    steps: str  # the steps it waits at now
    promised_due: datetime | None
    due: datetime | None = None  # the step's own limit, for a figure of a step


@dataclass(frozen=True)
class CasesBehind:
    title: str
    lines: tuple[CaseLine, ...]
    at: datetime
    limited: bool  # more cases than shown


def cases_behind(env: Env, actor: Actor, *, which: str = "open", unit: str | None = None,
                 power: str | None = None, step: str | None = None, near_days: int = NEAR_DAYS,
                 limit: int = 300, now: datetime | None = None) -> CasesBehind:
    """The open cases a figure of the supervision page counts: of a unit or a power, overdue
    (the same test as ``overdue_by_unit``), near the promised deadline, or open; or the cases
    waiting at one step of a power (``step``: its id; ``which="overdue"``: past the step's
    limit, as ``step_statistics`` counts)."""
    if which not in WHICH:
        raise InvalidAction(f"“{which}”不是可选的统计口径：overdue、near、open (unknown figure)",
                            field="which")
    if step and not power:
        raise InvalidAction("查看环节的办件须同时指定事项 (a step needs its power)", field="power")
    require_role(env, actor, SUPERVISION, target=power or unit or "", now=now)
    at = env.now(now)
    if step and power:
        return _cases_at_step(env, power, step, which, at, limit)
    near_until = near_horizon(env, at, near_days)
    with env.uow() as uow:
        rows = uow.definitions.current()
        entries = {p.code: p for p in (Power.from_dict(r.power) for r in rows)}
        codes = [p.code for p in entries.values()
                 if (power is None or p.code == power) and (unit is None or p.unit == unit)]
        if power is not None and not codes:
            raise NotFound(f"事项 {power} 未部署 (power {power} is not deployed)")
        found = []
        limited = False
        for code in codes:
            for state in OPEN_STATES:
                batch = uow.cases.list(state=state, power_code=code, limit=limit + 1)
                limited = limited or len(batch) > limit
                found.extend(c for c in batch if _counted(c, which, at, near_until))
    found.sort(key=lambda c: (c.promised_due is None, c.promised_due or at, c.number))
    lines = tuple(CaseLine(number=c.number, power_code=c.power_code,
                           power_name=entries[c.power_code].name,
                           unit=entries[c.power_code].unit, applicant=c.applicant,
                           state=c.state.label,
                           steps="、".join(s.name for s in c.open_steps()),
                           promised_due=c.promised_due) for c in found[:limit])
    where = power or unit or "全部单位"
    title = f"{where} · {WHICH[which]}"
    return CasesBehind(title=title, lines=lines, at=at, limited=limited or len(found) > limit)


def _counted(case: Any, which: str, at: datetime, near_until: datetime) -> bool:
    """The overview's own tests (adapters/sql/read_models.py), on a loaded case."""
    if which == "open":
        return True
    due = case.promised_due
    if due is None:
        return False
    if which == "overdue":
        return (case.clock != ClockState.STOPPED and due <= at
                and (case.clock != ClockState.SUSPENDED
                     or (case.suspended_since is not None and due <= case.suspended_since)))
    return (case.clock not in (ClockState.STOPPED, ClockState.SUSPENDED)
            and at < due <= near_until)


def _cases_at_step(env: Env, code: str, step: str, which: str, at: datetime,
                   limit: int) -> CasesBehind:
    power, _ = power_source(env, code)
    spec = next((s for s in power.steps if s.id == step), None)
    if spec is None:
        raise NotFound(f"事项 {code} 没有环节 {step} (no such step)")
    with env.uow() as uow:
        rows = uow.steps.list(power_code=code, status="ready", limit=100_000)
    rows = [r for r in rows if r.spec_id == step
            and (which != "overdue" or (r.due_at is not None and r.due_at <= at))]
    rows.sort(key=lambda r: (r.due_at is None, r.due_at or at, r.case_number))
    lines = tuple(CaseLine(number=r.case_number, power_code=power.code, power_name=power.name,
                           unit=power.unit, applicant="", state="", steps=r.name,
                           promised_due=None, due=r.due_at)
                  for r in rows[:limit])
    label = "超过环节时限" if which == "overdue" else "在办"
    return CasesBehind(title=f"{power.code} {power.name} · 环节“{spec.name}” · {label}",
                       lines=lines, at=at, limited=len(rows) > limit)


# -- 流程设计 ---------------------------------------------------------------------------------


def designer_catalogue(env: Env, actor: Actor) -> list[dict[str, Any]]:
    """Every deployed power with its current version and status (withdrawn ones too)."""
    require_role(env, actor, DESIGN)
    return list_powers(env)


def designer_versions(env: Env, actor: Actor, code: str) -> list[PowerVersion]:
    """A power's deployed versions, for the designer."""
    require_role(env, actor, DESIGN, target=code)
    return power_versions(env, code)


def designer_version_source(env: Env, actor: Actor, code: str,
                            version: int) -> tuple[Power, bytes]:
    require_role(env, actor, DESIGN, target=code)
    return version_source(env, code, version)


@dataclass(frozen=True)
class UploadCheck:
    """What lint says of an uploaded BPMN file, and its flowchart when it can be drawn."""

    file: str
    size: int
    findings: tuple[Finding, ...]
    powers: tuple[Power, ...]
    current: dict[str, int | None]  # power code → its deployed version now (None: new)
    diagram: Diagram | None
    preview_error: str | None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity != "error")


def check_upload(env: Env, actor: Actor, file: str, data: bytes) -> UploadCheck:
    """Lint an uploaded file (findings with element ids) and extract its flowchart; nothing
    is stored. Deploying is ``catalogue_admin.deploy_bytes``, which lints again."""
    from engine.services.called import DeployedProcesses

    require_role(env, actor, DESIGN, target=file)
    with env.uow() as uow:
        # a call activity may call a process deployed with another power, as deploy finds it
        findings, powers = lint_bytes(data, file, DeployedProcesses(uow))
        current = {}
        for p in powers:
            row = uow.definitions.latest(p.code)
            current[p.code] = row.version if row is not None else None
    diagram, problem = None, None
    try:
        diagram = extract(parse_bpmn_bytes(data, file))
    except SunshineError as err:
        problem = str(err)
    return UploadCheck(file=file, size=len(data), findings=tuple(findings), powers=tuple(powers),
                       current=current, diagram=diagram, preview_error=problem)


# -- 公开 -------------------------------------------------------------------------------------


def publication(env: Env, actor: Actor, code: str | None = None) -> list[tuple[Power, bytes]]:
    """The publisher's sources (engine/services/catalogue_admin.py ``publication``)."""
    return _sources(env, actor, code)


__all__ = ["CaseLine", "CasesBehind", "LiveChart", "StepFigure", "SupervisionPage",
           "UploadCheck", "WHICH", "cases_behind", "check_upload", "designer_catalogue",
           "live_flowchart", "publication", "require_role", "supervision_page"]
