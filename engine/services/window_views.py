"""What the window's pages and the task list read (窗口工作台, 我的待办): the catalogue searched
by name, code or unit with the chosen power's guide, the materials checklist, the case page's
window facts, the clerk's queue (today's intake, 补正 under way, results to hand out) and the task
list's views with who may hand a step back or on (交回, 转办).

Each read is a few queries over the read models (case summaries, the step list, the users), never
a load of every case: a case is loaded only when a queue line needs what only the case holds
(its 补正 notice, whether its result was handed out), and those lines are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.applicants import check_certificate, mask_number
from engine.case_window import HAND_OUT_METHODS
from engine.catalogue import Material, Power
from engine.errors import InvalidAction, NotFound, PowerNotAvailable
from engine.identity import Actor
from engine.model import StepRecord
from engine.services.catalogue_admin import list_powers
from engine.services.context import Env
from engine.services.views import (
    CaseSummary,
    StepView,
    TaskView,
    list_cases,
    task_line,
    work_list,
)

# A material on the checklist is received (已收), missing (缺) or handed in but to be corrected
# (需补正); a row the clerk left unmarked has not been checked.
RECEIVED, MISSING, CORRECT = "received", "missing", "correct"
MATERIAL_STATES = {RECEIVED: "已收", MISSING: "缺", CORRECT: "需补正"}

__all__ = ["CORRECT", "HAND_OUT_METHODS", "MATERIAL_STATES", "MISSING", "RECEIVED", "CasePage",
           "ChecklistRow", "Handed", "QueueLine", "QueuePage", "TaskPage", "TaskRow", "WindowPage",
           "application_data", "case_page", "find_powers", "power_guide", "reassign_step",
           "task_page", "window_page", "window_queue"]


# -- the catalogue at the window ---------------------------------------------------------------


def find_powers(env: Env, q: str = "") -> list[dict[str, Any]]:
    """Powers in service (public or not: the window handles both), matching ``q`` in their
    name, code or implementing unit; all of them when ``q`` is empty."""
    words = q.strip().casefold().split()
    found = []
    for p in list_powers(env, include_withdrawn=False):
        text = f"{p['name']} {p['code']} {p['unit']}".casefold()
        if all(w in text for w in words):
            found.append(p)
    return found


def power_guide(env: Env, code: str) -> Power:
    """The catalogue entry of a power in service, as its latest version declares it."""
    with env.uow() as uow:
        row = uow.definitions.latest(code.strip())
    if row is None:
        raise NotFound(f"事项 {code} 不在权力清单中，请从列表中选择 (no such power)", field="power")
    if row.status != "active":
        raise PowerNotAvailable(f"事项 {code} 已撤回，不能受理新的申请 (withdrawn)", field="power")
    return Power.from_dict(row.power)


@dataclass(frozen=True)
class ChecklistRow:
    """One material of the checklist, with its marks and the state the clerk gave it."""

    name: str
    key: bool  # a key material: 容缺受理 may not go without it
    commitment: bool  # may be replaced by a written commitment (告知承诺)
    state: str = ""  # RECEIVED, MISSING, CORRECT, or "" (not checked yet)

    @property
    def may_follow(self) -> bool:
        return not self.key


def _rows(materials: tuple[Material, ...], states: dict[str, str]) -> tuple[ChecklistRow, ...]:
    return tuple(ChecklistRow(m.name, m.key, m.commitment, states.get(m.name, ""))
                 for m in materials)


@dataclass(frozen=True)
class WindowPage:
    """The 收件 page: the powers matching the search, the chosen one's guide and checklist."""

    q: str
    powers: tuple[dict[str, Any], ...]  # matching the search (all when there is none)
    all_powers: tuple[dict[str, Any], ...]
    chosen: Power | None
    checklist: tuple[ChecklistRow, ...]


def window_page(env: Env, *, q: str = "", code: str = "") -> WindowPage:
    everything = find_powers(env)
    matching = find_powers(env, q) if q.strip() else everything
    chosen = None
    if code.strip():
        chosen = power_guide(env, code)
    elif q.strip() and len(matching) == 1:
        chosen = power_guide(env, matching[0]["code"])
    return WindowPage(q=q.strip(), powers=tuple(matching), all_powers=tuple(everything),
                      chosen=chosen, checklist=_rows(chosen.materials, {}) if chosen else ())


def application_data(*, agent: dict[str, str], checklist: list[tuple[str, str]]) -> dict[str, Any]:
    """What the 收件 form records with the application besides the applicant: the agent (代理人)
    who hands it in, identified by certificate (its number kept masked: the authorisation and
    the agent's ID are materials on paper), and the materials checklist as the clerk marked it.
    """
    data: dict[str, Any] = {}
    given = {k: v.strip() for k, v in agent.items() if v and v.strip()}
    if any(given.get(k) for k in ("name", "id_number", "phone")):  # the type has a default
        if not given.get("name"):
            raise InvalidAction("填写了代理人的信息，须写明代理人姓名 (the agent's name)",
                                field="agent_name")
        if not given.get("id_number"):
            raise InvalidAction("代理人须写明证件号码（核对其身份证明） (the agent's certificate "
                                "number)", field="agent_id_number")
        try:
            kind, number = check_certificate(given.get("id_type") or "身份证", given["id_number"])
        except InvalidAction as err:
            raise InvalidAction(f"代理人{err}", field="agent_" + (err.field or "id_number")) from None
        phone = given.get("phone", "")
        if phone and not all(c.isdigit() or c in "-+ ()" for c in phone):
            raise InvalidAction(f"代理人联系电话“{phone}”只能含数字和 - + ( ) (invalid phone)",
                                field="agent_phone")
        data["agent"] = {"name": given["name"][:100], "id_type": kind,
                         "id_number": mask_number(number), **({"phone": phone} if phone else {})}
    marked = {name: state for name, state in checklist if state in MATERIAL_STATES}
    if marked:
        data["checklist"] = marked
    return data


# -- the case page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePage:
    """The case file (case_record) with what the window needs beside it."""

    case: dict[str, Any]
    power: Power
    checklist: tuple[ChecklistRow, ...]
    agent: dict[str, str] | None
    hand_out_methods: tuple[str, ...]
    may_hand_out: bool  # decided, not withdrawn, not handed out yet
    supplement_open: bool  # the applicant is bringing materials (补正 at the window or in review)
    gaps_open: bool  # accepted with gaps (容缺), not made up yet


def case_page(env: Env, number: str, *, reader: Actor | None = None) -> CasePage:
    from engine.services.supervision import case_record
    from engine.services.views import power_of_definition

    record = case_record(env, number, reader=reader)
    power = power_of_definition(env, record["definition_id"])
    application = record.get("application") or {}
    states = dict(application.get("checklist") or {})
    notices = record.get("supplement_notices") or []
    if notices and record["state"] == "received":  # 补正 received: what was asked for came in
        asked = [i for n in notices for i in n.get("items", [])]
        for m in power.materials:
            if any(i.startswith(m.name) for i in asked):
                states[m.name] = RECEIVED
    is_open = record["state"] in ("received", "accepted", "in_correction", "in_special")
    stops = record.get("clock_stops") or []
    supplement_open = record["state"] == "in_correction" or any(
        s.get("kind") == "supplement" and not s.get("ended_at") for s in stops)
    gaps = record.get("gaps") or {}
    return CasePage(
        case=record, power=power, checklist=_rows(power.materials, states),
        agent=application.get("agent"), hand_out_methods=HAND_OUT_METHODS,
        may_hand_out=(not is_open and record["result"] != "withdrawn"
                      and not record.get("handed_out")),
        supplement_open=is_open and supplement_open,
        gaps_open=is_open and bool(gaps) and not gaps.get("made_up_at"))


# -- the clerk's queue -------------------------------------------------------------------------

DECIDED_STATES = ("approved", "approved_with_gaps", "refused", "completed")
QUEUE_LIMIT = 100  # lines per list; the newest first


@dataclass(frozen=True)
class QueueLine:
    """A case in one of the queue's lists."""

    case: CaseSummary
    since: datetime | None = None  # notice given / case closed
    due: date | None = None  # the 补正 step's last day
    items: tuple[str, ...] = ()  # what the notice asked for


@dataclass(frozen=True)
class QueuePage:
    today: date
    intake: tuple[CaseSummary, ...]  # received today
    waiting: tuple[CaseSummary, ...]  # received, not yet accepted or refused
    correcting: tuple[QueueLine, ...]  # 补正 asked at the window, materials not back yet
    to_hand_out: tuple[QueueLine, ...]  # decided, not yet handed out (送达)
    power_names: dict[str, str]
    limit: int = QUEUE_LIMIT


def window_queue(env: Env, *, now: datetime | None = None) -> QueuePage:
    cal = env.calendar()
    today = cal.local_date(env.now(now))
    recent = list_cases(env, limit=500)
    intake = tuple(c for c in recent if cal.local_date(c.received_at) == today)
    waiting = tuple(list_cases(env, state="received", limit=QUEUE_LIMIT))
    correcting: list[QueueLine] = []
    handing: list[QueueLine] = []
    with env.uow() as uow:
        for summary in list_cases(env, state="in_correction", limit=QUEUE_LIMIT):
            case = uow.cases.get(summary.number)
            notice = (case.data.get("supplement_notices") or [{}])[-1]
            step = case.open_step_with_role("supplement")
            correcting.append(QueueLine(
                summary, since=datetime.fromisoformat(notice["at"]) if notice.get("at") else None,
                due=step.due_day if step is not None else None,
                items=tuple(notice.get("items", ()))))
        for state in DECIDED_STATES:
            for summary in list_cases(env, state=state, limit=QUEUE_LIMIT):
                case = uow.cases.get(summary.number)
                if not case.data.get("handed_out"):
                    handing.append(QueueLine(summary, since=case.closed_at))
    handing.sort(key=lambda line: line.since or line.case.received_at, reverse=True)
    correcting.sort(key=lambda line: (line.due or date.max, line.case.number))
    names = {p["code"]: p["name"] for p in list_powers(env)}
    return QueuePage(today=today, intake=intake, waiting=waiting, correcting=tuple(correcting),
                     to_hand_out=tuple(handing[:QUEUE_LIMIT]), power_names=names)


# -- the task list ------------------------------------------------------------------------------

TASK_VIEWS = {"all": "全部", "mine": "我已认领", "unclaimed": "待认领", "overdue": "超期"}


@dataclass(frozen=True)
class TaskRow:
    """A line of 我的待办 (the fields of ``TaskView``), with who claimed it and, for the post's
    leader, the other holders of the post it may be handed on to (转办)."""

    id: str
    case_number: str
    power_code: str
    name: str
    post: str | None
    assignee: str | None
    ready_at: datetime
    due_day: date | None
    working_days_left: int | None
    mark: str | None
    assignee_name: str | None = None
    leader: bool = False  # the viewer leads this step's post: may hand it back or on
    holders: tuple[tuple[str, str], ...] = ()  # (login, name) of the post's other holders


@dataclass(frozen=True)
class TaskPage:
    view: str
    rows: tuple[TaskRow, ...]
    counts: dict[str, int]
    views: dict[str, str]


def _row(t: TaskView, **extra: Any) -> TaskRow:
    return TaskRow(t.id, t.case_number, t.power_code, t.name, t.post, t.assignee, t.ready_at,
                   t.due_day, t.working_days_left, t.mark, **extra)


def _line(env: Env, s: StepRecord, today: date) -> TaskView:
    """A step of a post one leads, claimed by someone else, as the task list shows a line."""
    return task_line(env.calendar(), s, today)


def _matches(view: str, row: TaskRow, login: str) -> bool:
    if view == "mine":
        return row.assignee == login
    if view == "unclaimed":
        return row.assignee is None
    if view == "overdue":
        return row.mark == "red"
    return True


def task_page(env: Env, actor: Actor, view: str = "all") -> TaskPage:
    """我的待办 in one of its views (全部 / 我已认领 / 待认领 / 超期): the steps of one's posts and
    those one claimed (``work_list``) and, for a post's leader, the post's steps others claimed;
    least working time left first."""
    from engine.services.cases import step_unit_of
    from engine.services.identity import list_users

    view = view if view in TASK_VIEWS else "all"
    tasks = work_list(env, actor)
    led: dict[str, tuple[StepRecord, str]] = {}  # step id → (step, its unit), posts one leads
    if actor.leads:
        with env.uow() as uow:
            for post in sorted({p.partition("@")[0] for p in actor.leads}):
                for s in uow.steps.list(post=post, status="ready", limit=500):
                    unit = s.department or step_unit_of(uow, s.power_code)
                    if actor.leads_post(s.post, unit):
                        led[s.id] = (s, unit)
    users = list_users(env, include_disabled=False)
    names = {u.login: u.name for u in users}
    today = env.calendar().local_date(env.now())
    seen = {t.id for t in tasks}
    tasks += [_line(env, s, today) for s, _ in led.values() if s.id not in seen]
    rows = []
    for t in tasks:
        extra: dict[str, Any] = {"assignee_name": names.get(t.assignee or "", t.assignee)}
        if t.id in led:
            step, unit = led[t.id]
            holders = tuple((u.login, u.name) for u in users if u.login != t.assignee and Actor(
                login=u.login, name=u.name, unit=u.unit, posts=frozenset(u.posts)).holds(
                    step.post, unit))
            extra.update(leader=True, holders=holders)
        rows.append(_row(t, **extra))
    rows.sort(key=lambda r: (r.working_days_left is None, r.working_days_left or 0, r.ready_at))
    counts = {v: sum(1 for r in rows if _matches(v, r, actor.login)) for v in TASK_VIEWS}
    return TaskPage(view=view, rows=tuple(r for r in rows if _matches(view, r, actor.login)),
                    counts=counts, views=TASK_VIEWS)


@dataclass(frozen=True)
class Handed:
    """A step handed on (转办): the step as it is now, and the name of whom it went to."""

    step: StepView
    to_name: str


def reassign_step(env: Env, task_ref: str, to: str, *, actor: Actor, reason: str,
                  now: datetime | None = None) -> Handed:
    """转办: the post's leader hands a step to another holder of the post, named by login."""
    from engine.services.cases import reassign
    from engine.services.identity import resolve

    if not to.strip():
        raise InvalidAction("请选择转办给本岗位的哪一位人员 (choose whom to hand it to)", field="to")
    try:
        target = resolve(env, to)
    except NotFound:
        raise NotFound(f"没有用户“{to}” (no such user)", field="to") from None
    return Handed(reassign(env, task_ref, target, actor=actor, reason=reason, now=now),
                  target.name)
