"""What a case's supervision asks back of the people on it: the carded unit's reply (回告) and
appeal (申诉) and the supervisor's decision on a card (维持 / 撤销 / 退回); supervision orders
(督办: do this by that date, carded when unanswered); findings a supervisor records as breaches
(投诉属实 …, several of one kind on one step, told apart by ``ref``); and naming the person a
breach is against when the engine itself could not (the service layer knows the users).

These are methods of the ``Case`` aggregate (engine/case.py), through ``SupervisionRules``
(engine/case_supervision.py). Every change records its event in the case's trail.

A card's life: issued → replied → (appealed) → decided. ``returned`` sends it back: the unit
replies again (the reply, appeal and decision of the earlier round stay in the trail) and the
supervisor decides again. ``upheld`` and ``withdrawn`` are final; a withdrawn card no longer
counts in the statistics. A warning (预警) is a reminder, not a card against anyone: it has no
reply.

An order (督办) lives in ``case.data["orders"]`` (numbered from 1) with a due row of its own
(``TimerKind.ORDER_DUE`` at the end of its last day): an order not answered by then is carded
(yellow, ``against="order{n}"``) against the unit it was addressed to. Like every due row of
the case it waits while the case clock is stopped (补正: the applicant holds the case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from engine.deadlines import end_of_day
from engine.errors import InvalidAction, NotFound
from engine.model import (
    Breach,
    BreachKind,
    Card,
    CardDecision,
    CardKind,
    StepRecord,
    Timer,
    TimerKind,
)

if TYPE_CHECKING:
    from engine.case import Case

PERSON_BASES = ("claimant", "sole_holder", "leader", "named", "none")
MAX_TEXT = 2000  # a reply, an appeal, reasons, what an order asks


CARD_STATES = {
    "warning": "预警，无需回告", "issued": "待回告", "replied": "已回告，待决定",
    "appealed": "已申诉，待决定", "returned": "已退回，待重新回告", "upheld": "维持",
    "withdrawn": "已撤销，不再计入统计",
}  # card_state code → how the lists name it


def card_state(card: Card) -> str:
    """Where a card stands: one of ``CARD_STATES``."""
    if card.kind == CardKind.WARNING:
        return "warning"
    if card.decision:
        return card.decision
    if card.appeal is not None:
        return "appealed"
    return "replied" if card.reply is not None else "issued"


def _text(value: str, what: str, field: str) -> str:
    """A required free text: stripped, not empty, not longer than a page."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidAction(f"{what}不能为空 ({field} is empty)", field=field)
    if len(cleaned) > MAX_TEXT:
        raise InvalidAction(f"{what}最多 {MAX_TEXT} 字，现有 {len(cleaned)} 字 ({field} too long)",
                            field=field)
    return cleaned


@dataclass(frozen=True)
class Order:
    """督办: a supervisor's order to the unit handling a case to act by a date."""

    case_number: str
    no: int  # 1, 2 … within the case
    by: date  # the last day (local)
    due_at: datetime  # the end of that day, UTC: the due row fires then
    do: str  # what the unit must do
    unit: str  # the unit addressed
    ordered_by: str
    ordered_at: datetime
    reply: str | None = None
    replied_by: str | None = None
    replied_at: datetime | None = None
    carded_at: datetime | None = None  # not answered by its date: carded then

    @property
    def answered(self) -> bool:
        return self.replied_at is not None

    def overdue(self, now: datetime) -> bool:
        """Not answered and past its date (carded, or about to be by the next sweep)."""
        return not self.answered and now >= self.due_at

    @property
    def answered_late(self) -> bool:
        return self.answered and self.carded_at is not None

    @classmethod
    def from_dict(cls, number: str, d: dict[str, Any]) -> Order:
        when = lambda k: datetime.fromisoformat(d[k]) if d.get(k) else None  # noqa: E731
        return cls(case_number=number, no=int(d["no"]), by=date.fromisoformat(d["by"]),
                   due_at=datetime.fromisoformat(d["due_at"]), do=str(d["do"]),
                   unit=str(d["unit"]), ordered_by=str(d["ordered_by"]),
                   ordered_at=datetime.fromisoformat(d["ordered_at"]), reply=d.get("reply"),
                   replied_by=d.get("replied_by"), replied_at=when("replied_at"),
                   carded_at=when("carded_at"))


class AnswerRules:
    """Mixin of ``Case`` (through ``SupervisionRules``): replies, appeals, decisions, orders."""

    # -- cards: reply, appeal, decision -----------------------------------------------------

    def _local(self: Case, at: datetime | None) -> str:
        """An instant as people read it in messages: local time, to the minute."""
        return at.astimezone(self.calendar.tz).strftime("%Y-%m-%d %H:%M") if at else "—"

    def card_of(self: Case, card_id: int) -> Card:
        card = next((c for c in self.cards if c.id == card_id), None)
        if card is None:
            raise NotFound(f"办件 {self.number} 没有第 {card_id} 号牌 (no card #{card_id} on this "
                           f"case; see `sunshine card list`)")
        return card

    def card_unit(self: Case, card: Card) -> str:
        """The unit a card is against: an order's addressee, else the carded step's unit (its
        lane's department, else the power's unit), else the power's unit."""
        if card.against.startswith("order"):
            order = self._order_dict(int(card.against[len("order"):] or 0))
            if order is not None:
                return str(order["unit"])
        step = next((s for s in self.steps if s.id == card.task_id), None)
        return (step.department if step is not None and step.department else None) \
            or self.power.unit

    def _answerable(self: Case, card: Card) -> None:
        if card.kind == CardKind.WARNING:
            raise InvalidAction(f"第 {card.id} 号是预警，不是对单位的亮牌，无需回告或申诉 (a warning "
                                f"is not answered)")
        if card.decision in (CardDecision.UPHELD.value, CardDecision.WITHDRAWN.value):
            raise InvalidAction(
                f"第 {card.id} 号牌已由 {card.decided_by} 于 {self._local(card.decided_at)} 决定"
                f"{CardDecision(card.decision).label}，不能再回告或申诉 (the card was decided)")

    def reply_card(self: Case, card_id: int, *, now: datetime, actor: str, reason: str) -> Card:
        """回告: the carded unit says why; once per round (again only after 退回)."""
        self._act(now, actor)
        text = _text(reason, "回告内容（超时原因和整改情况）", "reason")
        card = self.card_of(card_id)
        self._answerable(card)
        if card.reply is not None and card.decision != CardDecision.RETURNED.value:
            raise InvalidAction(
                f"第 {card.id} 号牌已由 {card.replied_by} 于 {self._local(card.replied_at)} 回告，"
                f"正等待监察人员决定；被退回后才能再次回告 (already replied; reply again only "
                f"after the supervisor returns it)")
        again = card.decision == CardDecision.RETURNED.value
        card.reply, card.replied_by, card.replied_at = text, actor, now
        card.appeal = card.appealed_by = card.appealed_at = None
        card.decision = card.decided_by = card.decided_at = card.decision_reasons = None
        self.event("card_replied", card=card.id, kind=card.kind.value, against=card.against,
                   reply=text, again=again)
        return card

    def appeal_card(self: Case, card_id: int, *, now: datetime, actor: str, reason: str) -> Card:
        """申诉: the unit's head (or the post's leader) asks for the card to be withdrawn, after
        the unit has replied and before the supervisor decides; once per round."""
        self._act(now, actor)
        text = _text(reason, "申诉理由", "reason")
        card = self.card_of(card_id)
        self._answerable(card)
        if card.reply is None or card.decision == CardDecision.RETURNED.value:
            raise InvalidAction(f"第 {card.id} 号牌还没有回告：请先回告，再申诉 (reply before "
                                f"appealing)")
        if card.appeal is not None:
            raise InvalidAction(f"第 {card.id} 号牌已由 {card.appealed_by} 于 "
                                f"{self._local(card.appealed_at)} 申诉，正等待决定 (already "
                                f"appealed)")
        card.appeal, card.appealed_by, card.appealed_at = text, actor, now
        self.event("card_appealed", card=card.id, kind=card.kind.value, against=card.against,
                   appeal=text)
        return card

    def decide_card(self: Case, card_id: int, *, now: datetime, actor: str,
                    decision: CardDecision, reasons: str) -> Card:
        """维持, 撤销 or 退回 a replied card. 维持 and 撤销 are final; 退回 reopens it for a new
        reply."""
        self._act(now, actor)
        text = _text(reasons, "决定理由", "reasons")
        card = self.card_of(card_id)
        self._answerable(card)
        if card.decision == CardDecision.RETURNED.value:
            raise InvalidAction(f"第 {card.id} 号牌已退回，单位尚未重新回告；待其回告后再决定 "
                                f"(returned: wait for the new reply)")
        if card.reply is None:
            raise InvalidAction(f"第 {card.id} 号牌还没有回告，不能作出决定；可先督促单位回告 "
                                f"(no reply to decide on yet)")
        card.decision, card.decided_by, card.decided_at = decision.value, actor, now
        card.decision_reasons = text
        self.event("card_decided", card=card.id, kind=card.kind.value, against=card.against,
                   decision=decision.value, reasons=text, person=card.person, post=card.post)
        return card

    # -- 督办 -----------------------------------------------------------------------------

    def _orders(self: Case) -> list[dict[str, Any]]:
        return list(self.data.get("orders") or [])

    def _order_dict(self: Case, no: int) -> dict[str, Any] | None:
        return next((o for o in self._orders() if int(o["no"]) == no), None)

    def orders(self: Case) -> list[Order]:
        return [Order.from_dict(self.number, o) for o in self._orders()]

    def handling_unit(self: Case) -> str:
        """The unit holding the case now: the unit of its earliest open step (its lane's
        department), else the power's unit."""
        steps = self.open_steps()
        return (steps[0].department if steps and steps[0].department else None) \
            or self.power.unit

    def order(self: Case, *, now: datetime, actor: str, by: date, do: str) -> Order:
        """督办: order the unit handling the case to ``do`` something by the end of ``by``."""
        self._act(now, actor)
        if not self.state.is_open:
            raise InvalidAction(f"办件 {self.number} 已{self.state.label}，不能再督办 (the case is "
                                f"closed; orders are for cases still being handled)")
        what = _text(do, "督办事项（要求单位做什么）", "do")
        today = self.calendar.local_date(now)
        if by < today:
            raise InvalidAction(f"办结期限 {by} 已经过去（今天是 {today}），请给出今天或以后的日期 "
                                f"(the date is in the past)", field="by")
        due = end_of_day(self.calendar, by)
        orders = self._orders()
        no = max((int(o["no"]) for o in orders), default=0) + 1
        unit = self.handling_unit()
        orders.append({"no": no, "by": by.isoformat(), "due_at": due.isoformat(), "do": what,
                       "unit": unit, "ordered_by": actor, "ordered_at": now.isoformat(),
                       "reply": None, "replied_by": None, "replied_at": None,
                       "carded_at": None})
        self.data["orders"] = orders
        self.add_timer(TimerKind.ORDER_DUE, due)
        self.event("case_ordered", order=no, by=by.isoformat(), do=what, unit=unit)
        return Order.from_dict(self.number, orders[-1])

    def reply_order(self: Case, no: int, *, now: datetime, actor: str, text: str) -> Order:
        """The unit answers an order: what it did. Once; an answer after the date is taken and
        the card issued for lateness stands."""
        self._act(now, actor)
        answer = _text(text, "督办回复（已做了什么）", "text")
        orders = self._orders()
        found = next((o for o in orders if int(o["no"]) == no), None)
        if found is None:
            raise NotFound(f"办件 {self.number} 没有第 {no} 号督办 (no such order; see "
                           f"`sunshine supervise orders`)")
        if found.get("replied_at"):
            raise InvalidAction(f"第 {no} 号督办已由 {found['replied_by']} 于 "
                                f"{self._local(datetime.fromisoformat(found['replied_at']))} "
                                f"回复，不能再次回复 (already answered)")
        found.update(reply=answer, replied_by=actor, replied_at=now.isoformat())
        self.data["orders"] = orders
        self.event("order_replied", order=no, reply=answer, late=bool(found.get("carded_at")))
        return Order.from_dict(self.number, found)

    def _on_order_due(self: Case, timer: Timer) -> bool:
        """An order's date passed: each order due by now and not answered is carded (yellow)
        against the unit it was addressed to."""
        orders = self._orders()
        fired = False
        for o in orders:
            if o.get("replied_at") or o.get("carded_at"):
                continue
            if datetime.fromisoformat(o["due_at"]) > timer.due_at:
                continue
            added = self.card(CardKind.YELLOW, f"order{o['no']}", None,
                              f"第 {o['no']} 号督办要求 {o['unit']} 于 {o['by']} 前办理并回复"
                              f"（{o['do']}），逾期未回复")
            if added:
                o["carded_at"] = self.now.isoformat()
                fired = True
        self.data["orders"] = orders
        return fired

    # -- findings and the person a breach names --------------------------------------------

    def finding(self: Case, kind: BreachKind, facts: str, *, now: datetime, recorded_by: str,
                step: StepRecord | str | None = None, person: str | None = None,
                ref: str | None = None) -> Breach:
        """A breach a supervisor found (投诉属实 and the like), recorded on this case.

        ``step``: the step (or its id) it concerns, if any; ``person``: the login it is against
        (basis ``named``), else the step's claimant (``claimant``), else the service layer names
        one from the user registry when the case is saved; ``ref``: what it answers to, e.g.
        ``"complaint:TS2026-00001"`` — several findings of one kind on one step are each kept
        when their refs differ. Recording the same (kind, step, ref) again returns the breach
        already recorded (a retried request records nothing twice).

        Call it inside a use case that loads and saves the case (``in_case``); the returned
        breach has its ``id`` once that has committed.
        """
        self._act(now, recorded_by)
        text = _text(facts, "违诺事实", "facts")
        row = self.step(step) if isinstance(step, str) else step
        existing = self._same_breach(kind, row, ref)
        if existing is not None:
            return existing
        added = self._add_breach(kind, text, row, person, ref=ref, recorded_by=recorded_by)
        assert added is not None
        return added

    def _same_breach(self: Case, kind: BreachKind, step: StepRecord | None,
                     ref: str | None) -> Breach | None:
        task_id = step.id if step else None
        return next((b for b in self.breaches
                     if b.kind == kind and b.task_id == task_id and b.ref == ref), None)

    def _add_breach(self: Case, kind: BreachKind, facts: str, step: StepRecord | None,
                    person: str | None, *, ref: str | None = None,
                    recorded_by: str | None = None) -> Breach | None:
        """Record a breach once per (step, kind, ref); None if it was recorded before."""
        if self._same_breach(kind, step, ref) is not None:
            return None
        if person:
            who, basis = person, "named"
        elif step is not None and step.assignee:
            who, basis = step.assignee, "claimant"
        else:
            who, basis = None, None  # named by the service layer before saving (name_person)
        breach = Breach(
            case_id=self.id or 0, case_number=self.number, kind=kind, occurred_at=self.now,
            facts=facts, task_id=step.id if step else None,
            step_name=step.name if step else None, post=step.post if step else None,
            person=who, ref=ref, person_basis=basis, power_code=self.power_code,
            unit=(step.department if step is not None and step.department else None)
            or self.power.unit, recorded_by=recorded_by)
        self.breaches.append(breach)
        self.event("breach_recorded", kind=kind.value, facts=facts,
                   step=breach.step_name, post=breach.post, person=who, basis=basis, ref=ref,
                   recorded_by=recorded_by)
        return breach

    def unnamed_breaches(self: Case) -> list[tuple[Breach, str | None, str]]:
        """Breaches recorded in this unit of work that name nobody yet, each with its post and
        unit: what the service layer resolves against the user registry."""
        out = []
        for b in self.breaches:
            if b.id is None and b.person_basis is None:
                step = next((s for s in self.steps if s.id == b.task_id), None)
                unit = (step.department if step is not None and step.department else None) \
                    or self.power.unit
                out.append((b, b.post, unit))
        return out

    def name_person(self: Case, breach: Breach, person: str | None, basis: str) -> None:
        """Say who a breach is against and how that was decided (the trail keeps both)."""
        if basis not in PERSON_BASES:
            raise ValueError(f"basis: one of {', '.join(PERSON_BASES)}")
        breach.person, breach.person_basis = person, basis
        self.event("breach_person_named", kind=breach.kind.value, step=breach.step_name,
                   post=breach.post, person=person, basis=basis)
