"""Who may do what: users' roles and posts, the acting ``Actor``, and the one permission table.

Every use case names an ``Actor`` resolved from a real, active user (services/identity.py); the
case's methods and the services ask ``authorize(actor, action, …)`` before they change
anything. The same table answers the CLI, the web and the API. A refusal is ``Forbidden``: it
names the rule (``权限不足：…``) and the attempt is recorded (``access_denials``).

Posts (岗位) are the lanes of the BPMN files; a step is worked by a holder of its post in the
step's unit (the lane's department, else the power's unit). The sweep acts as ``SYSTEM``, which
may do only what the law does by itself (deemed approval, cards, breaches).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.errors import Forbidden, InvalidAction


class Role(StrEnum):
    WINDOW = "window"          # 窗口：收件、受理、不予受理、补正告知、容缺受理、送达
    HANDLER = "handler"        # 承办：办理本岗位的环节
    APPROVER = "approver"      # 审批／分管领导：办理本岗位的审批环节，可在本岗位内转办
    HEAD = "head"              # 本行政机关负责人：决定延期
    SUPERVISOR = "supervisor"  # 电子监察／纪检：处理违诺，批准停止计时
    DESIGNER = "designer"      # 流程设计：部署、撤回事项
    PUBLISHER = "publisher"    # 公开：导出流程图和公开目录
    ADMIN = "admin"            # 系统管理：用户、日历

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Role:
        value = text.strip()
        for role in cls:
            if value in (role.value, role.label):
                return role
        choices = "、".join(f"{r.value}（{r.label}）" for r in cls)
        raise InvalidAction(f"没有角色“{value}” (no such role); 可选 one of: {choices}",
                            field="role")


ROLE_LABELS = {
    Role.WINDOW: "窗口", Role.HANDLER: "承办", Role.APPROVER: "审批", Role.HEAD: "机关负责人",
    Role.SUPERVISOR: "监察", Role.DESIGNER: "流程设计", Role.PUBLISHER: "公开",
    Role.ADMIN: "系统管理",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user as the identity port resolved them, at the moment of acting."""

    login: str
    name: str
    unit: str
    roles: frozenset[Role] = frozenset()
    posts: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()  # posts this user leads (may reassign within them)
    id: int | None = None
    system: bool = False

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def label(self) -> str:
        """How a record names them: 王芳（wangfang）."""
        return self.name if self.system else f"{self.name}（{self.login}）"

    def holds(self, post: str | None, unit: str | None) -> bool:
        """Holds this post (a lane name) in this unit: a bare post is in the user's own unit;
        ``岗位@单位`` is a post in another unit (staff seconded, or a 行政审批局 that exercises
        other units' powers)."""
        return _in(self.posts, self.unit, post, unit)

    def leads_post(self, post: str | None, unit: str | None) -> bool:
        return _in(self.leads, self.unit, post, unit)

    def handles(self, steps: Iterable[tuple[str | None, str | None, str | None]]) -> bool:
        """Handles one of these open steps (post, unit, claimant): its claimant, or a holder
        of its post while nobody has claimed it."""
        return any(assignee == self.login if assignee else self.holds(post, unit)
                   for post, unit, assignee in steps)


SYSTEM = Actor(login="system", name="系统（时限监控）", unit="", system=True)


def _in(held: frozenset[str], own_unit: str, post: str | None, unit: str | None) -> bool:
    if not post:
        return False
    if post in held and _same_unit(own_unit, unit):
        return True
    return any(h.startswith(post + "@") and _same_unit(h[len(post) + 1:], unit) for h in held)


def _same_unit(mine: str, theirs: str | None) -> bool:
    """A step's unit is the lane's department or the power's unit. A joint power's unit text
    names several (县水利局（初审）/ 市水利局（决定）): holding a post in any of them counts.
    Units are compared whole, as the powers name them (县市场监督管理局 is not 市场监督管理局)."""
    if not theirs:
        return True
    if not mine:
        return False
    parts = {re.sub(r"（[^）]*）|\([^)]*\)", "", part).strip() for part in theirs.split("/")}
    return mine == theirs or mine in parts


class Action(StrEnum):
    REGISTER = "register"
    ACCEPT = "accept"
    REFUSE_ACCEPTANCE = "refuse_acceptance"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT_RECEIVED = "supplement_received"
    ACCEPT_WITH_GAPS = "accept_with_gaps"
    GAPS_MADE_UP = "gaps_made_up"
    WITHDRAW_CASE = "withdraw_case"
    HAND_OUT = "hand_out"
    READ_CASE = "read_case"
    CLAIM = "claim"
    COMPLETE = "complete"
    RELEASE = "release"
    REASSIGN = "reassign"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    START_SPECIAL = "start_special"
    END_SPECIAL = "end_special"
    STOP_FOR_SUPPLEMENT = "stop_for_supplement"
    STOP_CLOCK = "stop_clock"
    RESUME_CLOCK = "resume_clock"
    DECIDE_BREACH = "decide_breach"
    VIEW_SUPERVISION = "view_supervision"
    SIGN_REPORT = "sign_report"
    RECORD_RATING = "record_rating"
    REPLY_REVIEW = "reply_review"
    RECORD_COMPLAINT = "record_complaint"
    DECIDE_COMPLAINT = "decide_complaint"
    REPLY_CARD = "reply_card"
    APPEAL_CARD = "appeal_card"
    DECIDE_CARD = "decide_card"
    ORDER_CASE = "order_case"
    REPLY_ORDER = "reply_order"
    RECORD_OFF_SYSTEM = "record_off_system"
    EXPORT_EXCHANGE = "export_exchange"
    ERASE_PERSONAL_DATA = "erase_personal_data"
    CHECK_DEFINITION = "check_definition"
    PUBLISH = "publish"
    DEPLOY = "deploy"
    WITHDRAW_POWER = "withdraw_power"
    IMPORT_CALENDAR = "import_calendar"
    MANAGE_USERS = "manage_users"


@dataclass(frozen=True)
class Rule:
    """One row of the permission table: who may (in words, for the refusal) and the check."""

    action: Action
    label: str  # the action, as the refusal names it: 受理
    who: str  # who may, in words: 窗口人员
    check: Callable[..., str | None]  # (actor, **context) → why not, or None


def _role(*roles: Role) -> Callable[..., str | None]:
    def check(actor: Actor, **_: Any) -> str | None:
        if any(actor.has(r) for r in roles):
            return None
        return f"{actor.label}不是{'或'.join(r.label for r in roles)}人员"
    return check


def _step_holder(actor: Actor, *, post: str | None = None, unit: str | None = None,
                 **_: Any) -> str | None:
    if not (actor.has(Role.HANDLER) or actor.has(Role.APPROVER) or actor.has(Role.WINDOW)):
        return f"{actor.label}没有办理环节的角色（承办、审批或窗口）"
    if actor.holds(post, unit):
        return None
    where = f"{unit}的" if unit else ""
    return f"{actor.label}不在{where}“{post or '未指定'}”岗位"


def _window_step(actor: Actor, **context: Any) -> str | None:
    """A window step (收件、受理) is the window's, whatever the lane says."""
    if actor.has(Role.WINDOW):
        return None
    return _step_holder(actor, **context)


def _release(actor: Actor, *, assignee: str | None = None, post: str | None = None,
             unit: str | None = None, **_: Any) -> str | None:
    if assignee == actor.login:
        return None
    if actor.leads_post(post, unit):
        return None
    return (f"{actor.label}既不是认领人，也不是“{post or ''}”岗位的负责人（只有本人或岗位负责人可交回、"
            f"转办）")


def _reassign(actor: Actor, *, post: str | None = None, unit: str | None = None,
              to: Actor | None = None, **_: Any) -> str | None:
    if not actor.leads_post(post, unit):
        return f"{actor.label}不是“{post or ''}”岗位的负责人"
    if to is not None and not to.holds(post, unit):
        return f"{to.label}不在“{post or ''}”岗位，不能转办给他"
    return None


def _handler(actor: Actor, *, steps: Iterable[Any] = (), **_: Any) -> str | None:
    if actor.handles(steps):
        return None
    return f"{actor.label}不是本案当前环节的承办人（当前环节的认领人，未认领时为该岗位的人员）"


def _decide_extension(actor: Actor, *, asker: str | None = None, unit: str | None = None,
                      **_: Any) -> str | None:
    if not actor.has(Role.HEAD):
        return f"{actor.label}不是本行政机关负责人"
    if not _same_unit(actor.unit, unit):
        return f"{actor.label}是{actor.unit}的负责人，不是本案所属机关（{unit}）的负责人"
    if asker is not None and asker == actor.login:
        return f"{actor.label}是延期的申请人，不能决定自己的申请"
    return None


def _reads_case(actor: Actor, *, units: Iterable[str] = (), people: Iterable[str] = (),
                **_: Any) -> str | None:
    """A case file holds the applicant's certificate number, phone and the officials' opinions:
    the window (which receives every unit's cases), supervisors, whoever acted on the case, and
    the staff of the units that handle it may read it."""
    if actor.has(Role.WINDOW) or actor.has(Role.SUPERVISOR):
        return None
    if actor.login in set(people):
        return None
    named = [u for u in units if u]
    seconded = {p.partition("@")[2] for p in actor.posts | actor.leads if "@" in p}
    if any(_same_unit(actor.unit, u) or any(_same_unit(s, u) for s in seconded) for u in named):
        return None
    return (f"{actor.label}不是窗口或监察人员，也不在办理本案的单位（{'、'.join(named) or '—'}），"
            f"没有办理过本案")


def _handler_or(*roles: Role) -> Callable[..., str | None]:
    def check(actor: Actor, *, steps: Iterable[Any] = (), **_: Any) -> str | None:
        if actor.handles(steps) or any(actor.has(r) for r in roles):
            return None
        return (f"{actor.label}既不是本案当前环节的承办人，也不是"
                f"{'或'.join(r.label for r in roles)}人员")
    return check


def _unit_staff(actor: Actor, *, unit: str | None = None, post: str | None = None,
                **_: Any) -> str | None:
    """The unit a card, a bad rating or a 督办 is addressed to answers for itself: its staff (or
    those holding the named post there, seconded staff included)."""
    seconded = {p.partition("@")[2] for p in actor.posts | actor.leads if "@" in p}
    if unit and (_same_unit(actor.unit, unit) or any(_same_unit(s, unit) for s in seconded)):
        return None
    if post and actor.holds(post, unit):
        return None
    return f"{actor.label}不是{unit or '被督查单位'}的人员"


def _unit_leader(actor: Actor, *, unit: str | None = None, post: str | None = None,
                 **_: Any) -> str | None:
    """An appeal speaks for the unit: its head (负责人) or the leader of the carded post."""
    if actor.has(Role.HEAD) and unit and _same_unit(actor.unit, unit):
        return None
    if post and actor.leads_post(post, unit):
        return None
    return f"{actor.label}不是{unit or '被督查单位'}的负责人，也不是“{post or '—'}”岗位的负责人"


def _decide_breach(actor: Actor, *, against: Iterable[str | None] = (), **_: Any) -> str | None:
    if not actor.has(Role.SUPERVISOR):
        return f"{actor.label}不是监察人员"
    if actor.login in {a for a in against if a} or actor.name in {a for a in against if a}:
        return f"违诺记录针对的是{actor.label}本人，须由其他监察人员决定"
    return None


RULES: dict[Action, Rule] = {r.action: r for r in (
    Rule(Action.REGISTER, "收件登记", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.ACCEPT, "受理", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.REFUSE_ACCEPTANCE, "不予受理", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.REQUEST_SUPPLEMENT, "一次性告知补正", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.SUPPLEMENT_RECEIVED, "补正材料接收", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.ACCEPT_WITH_GAPS, "容缺受理", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.GAPS_MADE_UP, "容缺材料接收", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.WITHDRAW_CASE, "撤件", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.HAND_OUT, "送达结果", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.READ_CASE, "查阅案卷", "窗口人员、监察人员、办理本案的单位的人员或办理过本案的人员",
         _reads_case),
    Rule(Action.CLAIM, "认领环节", "本环节岗位的人员", _step_holder),
    Rule(Action.COMPLETE, "办理环节", "本环节岗位的人员", _step_holder),
    Rule(Action.RELEASE, "交回环节", "认领人本人或岗位负责人", _release),
    Rule(Action.REASSIGN, "转办环节", "岗位负责人（转给本岗位的人员）", _reassign),
    Rule(Action.REQUEST_EXTENSION, "申请延期", "当前环节的承办人", _handler),
    Rule(Action.DECIDE_EXTENSION, "决定延期", "本行政机关负责人（不是申请人本人）",
         _decide_extension),
    Rule(Action.START_SPECIAL, "启动特别程序", "当前环节的承办人或监察人员",
         _handler_or(Role.SUPERVISOR)),
    Rule(Action.END_SPECIAL, "结束特别程序", "当前环节的承办人或监察人员",
         _handler_or(Role.SUPERVISOR)),
    Rule(Action.STOP_FOR_SUPPLEMENT, "审查中补正停止计时", "当前环节的承办人", _handler),
    Rule(Action.STOP_CLOCK, "其他停止计时", "监察人员（写明理由和预计结束日期）",
         _role(Role.SUPERVISOR)),
    Rule(Action.RESUME_CLOCK, "恢复计时", "当前环节的承办人、窗口人员或监察人员",
         _handler_or(Role.WINDOW, Role.SUPERVISOR)),
    Rule(Action.DECIDE_BREACH, "决定违诺处理", "监察人员（不是被记录人本人）", _decide_breach),
    Rule(Action.VIEW_SUPERVISION, "查看电子监察", "监察人员", _role(Role.SUPERVISOR)),
    Rule(Action.SIGN_REPORT, "签发监察报告", "监察人员", _role(Role.SUPERVISOR)),
    Rule(Action.RECORD_RATING, "代为登记好差评", "窗口人员", _role(Role.WINDOW)),
    Rule(Action.REPLY_REVIEW, "差评整改回复", "被评价单位的人员", _unit_staff),
    Rule(Action.RECORD_COMPLAINT, "登记投诉", "窗口人员或监察人员",
         _role(Role.WINDOW, Role.SUPERVISOR)),
    Rule(Action.DECIDE_COMPLAINT, "作出投诉调查结论", "监察人员（不是被投诉人本人）",
         _decide_breach),
    Rule(Action.REPLY_CARD, "回告", "被亮牌单位的人员", _unit_staff),
    Rule(Action.APPEAL_CARD, "申诉", "被亮牌单位的负责人或该岗位的负责人", _unit_leader),
    Rule(Action.DECIDE_CARD, "维持、撤销或退回黄红牌", "监察人员（不是被亮牌人本人）",
         _decide_breach),
    Rule(Action.ORDER_CASE, "督办", "监察人员", _role(Role.SUPERVISOR)),
    Rule(Action.REPLY_ORDER, "督办回复", "被督办单位的人员", _unit_staff),
    Rule(Action.RECORD_OFF_SYSTEM, "记录体外审批", "监察人员", _role(Role.SUPERVISOR)),
    Rule(Action.EXPORT_EXCHANGE, "导出省级数据交换", "监察人员或系统管理员",
         _role(Role.SUPERVISOR, Role.ADMIN)),
    Rule(Action.CHECK_DEFINITION, "检查和预览流程文件", "流程设计人员", _role(Role.DESIGNER)),
    Rule(Action.PUBLISH, "导出公开内容", "公开（发布）人员", _role(Role.PUBLISHER)),
    Rule(Action.DEPLOY, "部署事项", "流程设计人员", _role(Role.DESIGNER)),
    Rule(Action.WITHDRAW_POWER, "撤回事项", "流程设计人员", _role(Role.DESIGNER)),
    Rule(Action.IMPORT_CALENDAR, "导入节假日安排", "系统管理员", _role(Role.ADMIN)),
    Rule(Action.MANAGE_USERS, "管理用户", "系统管理员", _role(Role.ADMIN)),
    Rule(Action.ERASE_PERSONAL_DATA, "删除保存期满的个人信息", "系统管理员", _role(Role.ADMIN)),
)}

@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: Rule
    reason: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


def decide(actor: Actor, action: Action, **context: Any) -> Decision:
    rule = RULES[action]
    if actor.system:  # the sweep acts by law (deemed approval, cards), never through the table
        return Decision(False, rule, "系统（时限监控）不能代替人员作出此行为")
    why = rule.check(actor, **context)
    return Decision(why is None, rule, why)


def authorize(actor: Actor, action: Action, *, target: str = "", **context: Any) -> None:
    """Raise ``Forbidden`` naming the rule unless ``actor`` may do ``action`` here."""
    decision = decide(actor, action, **context)
    if not decision.allowed:
        rule = decision.rule
        raise Forbidden(f"权限不足：{rule.label}须由{rule.who}进行；{decision.reason}"
                        f" (permission denied: {action.value})",
                        action=action.value, target=target, login=actor.login)


def permission_table() -> list[tuple[str, str, str]]:
    """(action code, action, who may) for the guides and `sunshine user rules`."""
    return [(r.action.value, r.label, r.who) for r in RULES.values()]


# -- the stored user --------------------------------------------------------------------------

@dataclass
class User:
    """A person who may act, as the user registry keeps them. Never deleted: disabled."""

    login: str
    name: str
    unit: str
    roles: list[str] = field(default_factory=list)  # Role codes
    posts: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    active: bool = True
    password_hash: str | None = None
    created_at: Any = None
    created_by: str = ""
    disabled_at: Any = None
    disabled_by: str | None = None
    disabled_reason: str | None = None
    id: int | None = None

    def actor(self) -> Actor:
        return Actor(login=self.login, name=self.name, unit=self.unit,
                     roles=frozenset(Role(r) for r in self.roles),
                     posts=frozenset(self.posts), leads=frozenset(self.leads), id=self.id)


@dataclass
class ApiKey:
    """A key another government system uses to act as a user; only its hash is kept."""

    user_id: int
    name: str
    prefix: str
    secret_hash: str
    created_at: Any
    created_by: str
    revoked_at: Any = None
    revoked_by: str | None = None
    last_used_at: Any = None
    id: int | None = None


@dataclass(frozen=True)
class Denial:
    """A refused attempt, kept as evidence: who tried what, where, and the rule that said no."""

    at: Any
    written_at: Any
    login: str
    action: str
    rule: str
    target: str
    message: str
    id: int | None = None


LOGIN_MARKS = "._-"
RESERVED_LOGINS = frozenset({"system", "root", "anonymous", "public"})


def check_login(login: str) -> str:
    """A login is what records name a person by, for ever: letters (pinyin such as wangfang, a
    staff number, or Chinese), digits and . _ -, 1–64 characters, no spaces; never reused
    (users are disabled, not deleted)."""
    value = login.strip()
    if not 1 <= len(value) <= 64 or any(not (c.isalnum() or c in LOGIN_MARKS) for c in value):
        raise InvalidAction(f"登录名“{login}”无效：只能用字母、汉字、数字或 . _ -，不超过 64 个字符，不含空格"
                            f"（如拼音 wangfang 或工号） (invalid login)", field="login")
    if value in RESERVED_LOGINS:
        raise InvalidAction(f"登录名“{value}”为系统保留 (reserved login)", field="login")
    return value
