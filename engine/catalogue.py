"""The power catalogue (职权目录): a power's metadata, read from its own BPMN file.

A power's catalogue entry lives in the process's ``extensionElements`` as ``sunshine:power``
(see docs/designer-guide.md), so that what is published is what runs. This module turns that
XML into frozen values; it does not judge them (lint does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.xmlsafe import NS, bpmn, sun

CATEGORIES = (
    "行政许可", "行政处罚", "行政征收", "行政给付", "行政确认", "行政裁决",
    "行政奖励", "行政强制", "行政检查", "行政事业性收费", "其他行政权力", "公共服务",
)
MODES = ("即办件", "承诺件", "上报件", "联办件")
STEP_ROLES = (
    "acceptance", "supplement", "review", "inspection", "check", "decision",
    "certificate", "followup", "makeup", "special",
)
# ALL Art. 45 and OGI Art. 32: procedures whose time is not counted toward the limit.
SPECIAL_KINDS = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审", "征求第三方意见")
RESULTS = (
    "approved", "refused", "not_accepted", "deemed_approved", "terminated", "revoked", "completed",
)
DEADLINE_KINDS = ("promised", "statutory", "step", "renewal", "period")


@dataclass(frozen=True)
class Material:
    """An application material (申请材料)."""

    name: str
    key: bool = True  # key material: 容缺受理 may not skip it
    commitment: bool = False  # replaced by a written commitment under 告知承诺制


@dataclass(frozen=True)
class Fee:
    """A fee and its legal basis (收费标准 / 依据)."""

    name: str
    basis: str = ""


@dataclass(frozen=True)
class Post:
    """A post (岗位) and its duties; one per lane."""

    name: str
    duties: str = ""


@dataclass(frozen=True)
class NonPublic:
    """Why a power is not published and its filing (备案) record."""

    reason: str
    basis: str
    filing_no: str
    filed_with: str
    filed_on: str


@dataclass(frozen=True)
class Step:
    """A step (环节) of a power: one user task with its post and time limit."""

    id: str
    name: str
    post: str | None
    time_limit: int | None  # working days; None when the file does not say
    role: str | None = None  # one of STEP_ROLES
    counted: bool = True  # False: time not counted (ALL Art. 45)
    special: str | None = None
    department: str | None = None
    absent_consent: bool = False
    organ: str | None = None


@dataclass(frozen=True)
class DeadlineTimer:
    """A timer boundary event the engine fires itself (超时默许, 视为准予延续 …)."""

    id: str
    name: str
    attached_to: str
    deadline: str | None  # one of DEADLINE_KINDS
    interrupting: bool = True


@dataclass(frozen=True)
class Power:
    """An administrative power (行政权力) as the catalogue publishes it."""

    process_id: str
    code: str
    name: str
    short_name: str
    category: str
    unit: str
    mode: str = "承诺件"
    statutory_limit: int | None = None  # None: law sets no limit
    promised_limit: int | None = None
    deemed_approval: bool = False
    public: bool = True
    renewal: bool = False
    kind: str = "power"
    legal_basis: str = ""
    conditions: str = ""
    materials: tuple[Material, ...] = ()
    fees: tuple[Fee, ...] = ()
    leader: str = ""
    section: str = ""
    address: str = ""
    hours: str = ""
    consult_phone: str = ""
    complaint_phone: str = ""
    result_name: str = ""
    validity_years: int | None = None
    posts: tuple[Post, ...] = ()
    non_public: NonPublic | None = None
    steps: tuple[Step, ...] = ()
    timers: tuple[DeadlineTimer, ...] = ()
    end_results: tuple[tuple[str, str | None], ...] = ()  # (end event id, sunshine:result)
    raw: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def steps_with_role(self, role: str) -> list[Step]:
        return [s for s in self.steps if s.role == role]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for storage, JSON output and publishing)."""
        from dataclasses import asdict

        data = asdict(self)
        data.pop("raw", None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Power:
        d = dict(data)
        d["materials"] = tuple(Material(**m) for m in d.get("materials", ()))
        d["fees"] = tuple(Fee(**f) for f in d.get("fees", ()))
        d["posts"] = tuple(Post(**p) for p in d.get("posts", ()))
        d["steps"] = tuple(Step(**s) for s in d.get("steps", ()))
        d["timers"] = tuple(DeadlineTimer(**t) for t in d.get("timers", ()))
        d["end_results"] = tuple(tuple(e) for e in d.get("end_results", ()))
        d["non_public"] = NonPublic(**d["non_public"]) if d.get("non_public") else None
        return cls(**d)


def _text(el: etree._Element | None, name: str) -> str:
    if el is None:
        return ""
    child = el.find(sun(name))
    return (child.text or "").strip() if child is not None else ""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("true", "1", "yes", "是")


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    return None


def power_element(process: etree._Element) -> etree._Element | None:
    """The ``sunshine:power`` element of a process, if any."""
    return process.find(f"{bpmn('extensionElements')}/{sun('power')}")


def lane_of(process: etree._Element) -> dict[str, str]:
    """Map flow-node id → lane name, walking nested lane sets (the innermost lane wins)."""
    result: dict[str, str] = {}

    def walk(lane_set: etree._Element) -> None:
        for lane in lane_set.findall(bpmn("lane")):
            name = (lane.get("name") or lane.get("id") or "").strip()
            for ref in lane.findall(bpmn("flowNodeRef")):
                if ref.text:
                    result[ref.text.strip()] = name
            child = lane.find(bpmn("childLaneSet"))
            if child is not None:
                walk(child)  # children after the parent, so the innermost lane wins

    for lane_set in process.findall(bpmn("laneSet")):
        walk(lane_set)
    return result


def read_steps(process: etree._Element) -> tuple[Step, ...]:
    """Every user task of the process (including inside subprocesses), in document order."""
    lanes = lane_of(process)
    steps = []
    for task in process.iter(bpmn("userTask")):
        tid = task.get("id", "")
        steps.append(
            Step(
                id=tid,
                name=(task.get("name") or tid).strip(),
                post=lanes.get(tid),
                time_limit=_int_or_none(task.get(sun("timeLimit"))),
                role=task.get(sun("step")),
                counted=_bool(task.get(sun("counted")), default=True),
                special=task.get(sun("special")),
                department=task.get(sun("department")),
                absent_consent=_bool(task.get(sun("absentConsent"))),
                organ=task.get(sun("organ")),
            )
        )
    return tuple(steps)


def read_timers(process: etree._Element) -> tuple[DeadlineTimer, ...]:
    timers = []
    for ev in process.iter(bpmn("boundaryEvent")):
        if ev.find(bpmn("timerEventDefinition")) is None:
            continue
        timers.append(
            DeadlineTimer(
                id=ev.get("id", ""),
                name=(ev.get("name") or "").strip(),
                attached_to=ev.get("attachedToRef", ""),
                deadline=ev.get(sun("deadline")),
                interrupting=_bool(ev.get("cancelActivity"), default=True),
            )
        )
    return tuple(timers)


def read_power(process: etree._Element) -> Power | None:
    """The Power declared by a ``bpmn:process`` element, or None if it declares none."""
    el = power_element(process)
    if el is None:
        return None
    a = el.attrib
    non_public = None
    np_el = el.find(sun("nonPublic"))
    if np_el is not None:
        non_public = NonPublic(
            reason=np_el.get("reason", "").strip(),
            basis=np_el.get("basis", "").strip(),
            filing_no=np_el.get("filingNo", "").strip(),
            filed_with=np_el.get("filedWith", "").strip(),
            filed_on=np_el.get("filedOn", "").strip(),
        )
    result_el = el.find(sun("result"))
    return Power(
        process_id=process.get("id", ""),
        code=a.get("code", "").strip(),
        name=(a.get("name") or process.get("name") or "").strip(),
        short_name=a.get("shortName", "").strip(),
        category=a.get("category", "").strip(),
        unit=a.get("unit", "").strip(),
        mode=(a.get("mode") or "承诺件").strip(),
        statutory_limit=_int_or_none(a.get("statutoryLimit")),
        promised_limit=_int_or_none(a.get("promisedLimit")),
        deemed_approval=_bool(a.get("deemedApproval")),
        public=_bool(a.get("public"), default=True),
        renewal=_bool(a.get("renewal")),
        kind=(a.get("kind") or "power").strip(),
        legal_basis=_text(el, "legalBasis"),
        conditions=_text(el, "conditions"),
        materials=tuple(
            Material(
                name=m.get("name", "").strip() or (m.text or "").strip(),
                key=_bool(m.get("key"), default=True),
                commitment=_bool(m.get("commitment")),
            )
            for m in el.findall(sun("material"))
        ),
        fees=tuple(
            Fee(name=f.get("name", "").strip() or (f.text or "").strip(), basis=f.get("basis", ""))
            for f in el.findall(sun("fee"))
        ),
        leader=_text(el, "leader"),
        section=_text(el, "section"),
        address=_text(el, "address"),
        hours=_text(el, "hours"),
        consult_phone=_text(el, "consultPhone"),
        complaint_phone=_text(el, "complaintPhone"),
        result_name=result_el.get("name", "").strip() if result_el is not None else "",
        validity_years=_int_or_none(result_el.get("validityYears")) if result_el is not None else None,
        posts=tuple(
            Post(name=p.get("name", "").strip(), duties=(p.text or "").strip())
            for p in el.findall(sun("post"))
        ),
        non_public=non_public,
        steps=read_steps(process),
        timers=read_timers(process),
        end_results=tuple(
            (e.get("id", ""), e.get(sun("result"))) for e in process.iter(bpmn("endEvent"))
        ),
        raw={k: v for k, v in a.items()},
    )


def executable_processes(tree: etree._ElementTree) -> list[etree._Element]:
    return [
        p for p in tree.getroot().findall(bpmn("process"))
        if _bool(p.get("isExecutable"), default=False)
    ]


def processes(tree: etree._ElementTree) -> list[etree._Element]:
    return list(tree.getroot().findall(bpmn("process")))


__all__ = [
    "CATEGORIES", "MODES", "STEP_ROLES", "SPECIAL_KINDS", "RESULTS", "DEADLINE_KINDS",
    "Material", "Fee", "Post", "NonPublic", "Step", "DeadlineTimer", "Power",
    "read_power", "read_steps", "read_timers", "lane_of", "power_element",
    "executable_processes", "processes", "NS",
]
