"""Values and records that cross layers: the case's parts (step, due row, card, breach, clock
stop, extension), the audit event, the applicant flag, the enums for their states, and the local
rules. The case itself, the aggregate that owns these parts and every rule on them, is
engine/case.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.deadlines import Deadline


class CaseState(str, enum.Enum):
    """A case's state, one to one with the status codes provincial platforms exchange (8b)."""

    RECEIVED = "received"  # 1 收件: application received, awaiting acceptance
    WITHDRAWN = "withdrawn"  # 2 撤件: withdrawn by the applicant
    ACCEPTED = "accepted"  # 3 窗口受理: accepted, clock running
    TERMINATED = "terminated"  # 4 退件: ended without decision (容缺 materials not made up)
    NOT_ACCEPTED = "not_accepted"  # 5 不予受理
    IN_CORRECTION = "in_correction"  # 6 补正开始 (7 补正结束 returns to received/accepted)
    IN_SPECIAL = "in_special"  # 9 特别程序开始 (10 特别程序结束 returns to accepted)
    APPROVED = "approved"  # 11 办结通过 (also deemed approval, flagged on the case)
    APPROVED_WITH_GAPS = "approved_with_gaps"  # 12 容缺办结
    REFUSED = "refused"  # 13 办结不通过
    RECALLED = "recalled"  # 14 撤回: the organ recalled the case
    REVOKED = "revoked"  # 15 撤销: a decision revoked (e.g. false commitment)
    COMPLETED = "completed"  # 11 办结 for procedures and information answers

    @property
    def platform_code(self) -> int:
        return _PLATFORM_CODES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in (CaseState.RECEIVED, CaseState.ACCEPTED, CaseState.IN_CORRECTION,
                        CaseState.IN_SPECIAL)


_PLATFORM_CODES = {
    CaseState.RECEIVED: 1, CaseState.WITHDRAWN: 2, CaseState.ACCEPTED: 3,
    CaseState.TERMINATED: 4, CaseState.NOT_ACCEPTED: 5, CaseState.IN_CORRECTION: 6,
    CaseState.IN_SPECIAL: 9, CaseState.APPROVED: 11, CaseState.APPROVED_WITH_GAPS: 12,
    CaseState.REFUSED: 13, CaseState.RECALLED: 14, CaseState.REVOKED: 15,
    CaseState.COMPLETED: 11,
}
_LABELS = {
    CaseState.RECEIVED: "已收件", CaseState.WITHDRAWN: "已撤件", CaseState.ACCEPTED: "已受理",
    CaseState.TERMINATED: "已终止", CaseState.NOT_ACCEPTED: "不予受理",
    CaseState.IN_CORRECTION: "补正中", CaseState.IN_SPECIAL: "特别程序中",
    CaseState.APPROVED: "办结（准予）", CaseState.APPROVED_WITH_GAPS: "容缺办结",
    CaseState.REFUSED: "办结（不予）", CaseState.RECALLED: "已撤回", CaseState.REVOKED: "已撤销",
    CaseState.COMPLETED: "已办结",
}

RESULT_TO_STATE = {
    "approved": CaseState.APPROVED,
    "deemed_approved": CaseState.APPROVED,
    "refused": CaseState.REFUSED,
    "not_accepted": CaseState.NOT_ACCEPTED,
    "terminated": CaseState.TERMINATED,
    "revoked": CaseState.REVOKED,
    "completed": CaseState.COMPLETED,
}


class ClockState(str, enum.Enum):
    """The case clock (DOMAIN-REFERENCE 1.2)."""

    NOT_STARTED = "not_started"  # received, awaiting acceptance
    RUNNING = "running"  # from acceptance
    SUSPENDED = "suspended"  # 补正 during review, special procedure (ALL Art. 45), manual stop
    STOPPED = "stopped"  # decided or closed


class TaskStatus(str, enum.Enum):
    """A step's row state."""

    READY = "ready"  # waiting for someone at its post
    COMPLETED = "completed"  # done by a person
    CANCELLED = "cancelled"  # interrupted (deemed approval, withdrawal) or no longer needed


class TimerKind(str, enum.Enum):
    """What a due row does when it fires."""

    STEP_WARNING = "step_warning"  # share of a step's time used
    STEP_OVERDUE = "step_overdue"  # step past its limit: yellow card (or 缺席默认)
    CASE_WARNING = "case_warning"  # share of the case's time used
    CASE_OVERDUE = "case_overdue"  # promised deadline passed: red card / deemed approval
    STATUTORY_OVERDUE = "statutory_overdue"  # statutory deadline passed: always recorded
    ACCEPTANCE_DUE = "acceptance_due"  # ALL Art. 32: no notice within 5 working days
    MAKEUP_DUE = "makeup_due"  # 容缺: materials not made up in time
    RENEWAL_EXPIRY = "renewal_expiry"  # ALL Art. 50: licence expires before the decision
    STOP_WARNING = "stop_warning"  # share of a clock stop's expected duration used
    STOP_OVERDUE = "stop_overdue"  # a clock stop ran past its expected end
    ORDER_DUE = "order_due"  # 督办: a supervision order's date passed unanswered → yellow card


class TimerStatus(str, enum.Enum):
    PENDING = "pending"
    PAUSED = "paused"  # clock stopped
    FIRED = "fired"
    CANCELLED = "cancelled"
    FAILED = "failed"  # firing raised (e.g. a calendar year missing); `timers retry` requeues


class CardKind(str, enum.Enum):
    """Electronic-supervision signals (电子监察)."""

    WARNING = "warning"  # 预警
    YELLOW = "yellow"  # 黄牌: a step past its limit
    RED = "red"  # 红牌: a case past its deadline
    STATUTORY = "statutory"  # the statutory deadline passed (always recorded)


class CardDecision(str, enum.Enum):
    """A supervisor's decision on a card the unit replied to (回告) or appealed (申诉)."""

    UPHELD = "upheld"  # 维持: the card stands
    WITHDRAWN = "withdrawn"  # 撤销: the card is withdrawn and no longer counts
    RETURNED = "returned"  # 退回: the reply is not good enough; the unit replies again

    @property
    def label(self) -> str:
        return CARD_DECISION_LABELS[self.value]


CARD_DECISION_LABELS: dict[str, str] = {"upheld": "维持", "withdrawn": "撤销", "returned": "退回"}

PERSON_BASIS_LABELS: dict[str, str] = {
    "claimant": "环节认领人", "sole_holder": "岗位唯一在岗人员", "leader": "岗位负责人",
    "named": "监察人员指明", "none": "无法确定到人",
}  # Breach.person_basis code → how the record says the person was named


class BreachKind(str, enum.Enum):
    """Kinds of breach of a public commitment (违诺)."""

    OVERDUE_STEP = "overdue_step"  # 环节超时
    OVERDUE_CASE = "overdue_case"  # 办件超过承诺时限
    DEEMED_APPROVAL = "deemed_approval"  # 超时默许
    ABSENT_CONSENT = "absent_consent"  # 缺席默认 in joint handling
    LATE_EXTENSION = "late_extension"  # 延期申请逾期
    SECOND_NOTICE = "second_notice"  # 违反一次性告知
    COMPLAINT_UPHELD = "complaint_upheld"  # 投诉属实
    OFF_SYSTEM = "off_system"  # 体外审批
    DEEMED_RENEWAL = "deemed_renewal"  # 视为准予延续 (ALL Art. 50)


BREACH_LABELS: dict[str, str] = {
    "overdue_step": "环节超时", "overdue_case": "超过承诺时限", "deemed_approval": "超时默许",
    "absent_consent": "缺席默认", "late_extension": "延期申请逾期", "second_notice": "违反一次性告知",
    "complaint_upheld": "投诉属实", "off_system": "体外审批", "deemed_renewal": "视为准予延续",
}  # BreachKind code → how supervisors and reports name it


class Measure(str, enum.Enum):
    """Accountability measures (违诺追究), mildest first."""

    NONE = "none"  # 不予追究
    ADMONITION = "诫勉教育"
    CIRCULATED_CRITICISM = "通报批评"
    EFFICIENCY_WARNING = "效能告诫"
    BONUS_WITHHELD = "扣发奖金"
    TRANSFER = "调离工作岗位"
    SUSPENSION_RETRAINING = "停职离岗培训"
    DISMISSAL = "辞退"


@dataclass
class StepRecord:
    """A step of a case (one SpiffWorkflow user task) as the task list and the record show it."""

    id: str  # SpiffWorkflow task id
    case_id: int
    case_number: str
    spec_id: str
    name: str
    post: str | None
    role: str | None
    ready_at: datetime
    limit_days: int | None
    counted: bool = True
    due: Deadline | None = None  # the step's own limit (环节时限)
    status: TaskStatus = TaskStatus.READY
    assignee: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None  # done, deemed, absent_consent, cancelled
    opinion: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    department: str | None = None
    power_code: str = ""

    @property
    def due_at(self) -> datetime | None:
        return self.due.at if self.due else None

    @property
    def due_day(self) -> date | None:
        return self.due.day if self.due else None

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.READY


@dataclass
class Timer:
    """A due deadline row: the sweep fires it once."""

    case_id: int
    kind: TimerKind
    due_at: datetime
    task_id: str | None = None
    status: TimerStatus = TimerStatus.PENDING
    fired_at: datetime | None = None
    id: int | None = None


@dataclass
class Card:
    """A supervision card (预警 / 黄牌 / 红牌); never deleted, only annotated."""

    case_id: int
    kind: CardKind
    against: str  # step, promised, statutory
    issued_at: datetime
    task_id: str | None = None
    post: str | None = None
    person: str | None = None
    note: str = ""
    id: int | None = None
    # the carded unit's answer (回告), its appeal (申诉) and the supervisor's decision on it
    reply: str | None = None
    replied_by: str | None = None
    replied_at: datetime | None = None
    appeal: str | None = None
    appealed_by: str | None = None
    appealed_at: datetime | None = None
    decision: str | None = None  # upheld (维持), withdrawn (撤销), returned (退回)
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reasons: str | None = None


@dataclass
class Breach:
    """A breach of a public commitment (违诺) and the supervisor's decision on it. Most belong to
    a case; an off-system approval (体外审批) or a complaint upheld against a person with no case
    in the system has none (``case_id`` None) and names its power and unit itself."""

    case_id: int | None
    case_number: str | None
    kind: BreachKind
    occurred_at: datetime
    facts: str
    task_id: str | None = None
    step_name: str | None = None
    post: str | None = None
    person: str | None = None
    measure: Measure | None = None
    reasons: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    id: int | None = None
    ref: str | None = None  # what it answers to beyond its step: complaint:TS…, order:2, offsystem
    person_basis: str | None = None  # how the person was named: claimant, sole_holder, leader, named, none
    power_code: str | None = None  # for a breach with no case
    unit: str | None = None
    recorded_by: str | None = None  # the supervisor who recorded a finding; None: the engine


@dataclass
class Rating:
    """好差评: the applicant's rating of a finished case, once per case. A bad one (score ≤ 2)
    opens a review for the unit: 整改 and a reply due by ``review_due``."""

    case_id: int
    case_number: str
    power_code: str
    unit: str
    score: int  # 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意
    rated_at: datetime
    channel: str  # qr, web, window, phone
    words: str = ""
    review_due: date | None = None
    reply: str | None = None
    replied_by: str | None = None
    replied_at: datetime | None = None
    carded_at: datetime | None = None  # the review ran past its limit and was carded
    id: int | None = None


@dataclass
class Complaint:
    """投诉: recorded against a case, a person or a unit, investigated by a deadline; upheld →
    a breach (投诉属实) against the named person with a measure; not upheld → the reasons."""

    number: str  # TS2026-00001
    received_at: datetime
    received_by: str
    channel: str  # phone (12345), web, letter, visit
    complainant: str
    contact: str
    facts: str
    due_day: date
    case_number: str | None = None
    task_id: str | None = None
    step_name: str | None = None
    against_unit: str | None = None
    against_post: str | None = None
    against_person: str | None = None
    status: str = "open"  # open, upheld, not_upheld
    findings: str | None = None
    measure: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    breach_id: int | None = None
    id: int | None = None


@dataclass
class ClockStop:
    """A period the clock stood still: 补正, special procedure (ALL Art. 45) or a manual stop."""

    case_id: int
    kind: str  # supplement, special, manual
    reason: str
    started_at: datetime
    started_by: str
    basis: str = ""
    special: str | None = None  # 听证, 检测 … for special procedures
    expected_days: int | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    result: str | None = None
    working_days: int | None = None
    task_id: str | None = None
    id: int | None = None


@dataclass
class Extension:
    """An extension of the statutory limit (延期, ALL Art. 42)."""

    case_id: int
    requested_by: str
    requested_at: datetime
    reason: str
    days: int
    decision: str | None = None  # approved, refused
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class AuditEvent:
    """One append-only, hash-chained event in a case's history."""

    case_id: int
    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    # 2: hashed over the payload with personal values as commitments (engine/personal.py), so
    # they can be erased when their retention ends; 1: events written before, hashed plain
    hash_version: int = 1
    salt: str | None = None  # the commitments' salt (version 2, while personal data is kept)


@dataclass
class ApplicantFlag:
    """A mark against an applicant (e.g. a false commitment, 容缺 materials not made up)."""

    applicant: str
    kind: str  # false_commitment, gaps_not_made_up
    case_number: str
    at: datetime
    reason: str
    id: int | None = None


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
    renewal_notice_days: int = 30  # ALL Art. 50: apply 30 days before the licence expires
    max_form_bytes: int = 64 * 1024  # one step's form data, as JSON
    max_form_depth: int = 8  # nesting of lists and objects in one step's form data
    # years a closed case's personal data is kept (docs/operations.md, 个人信息保存期限): five,
    # the longest time after a decision in which a court still hears a suit against it
    # (行政诉讼法 Art. 46, other than real property)
    personal_data_years: int = 5
