"""Use cases for what supervision asks back of the units: replies (回告) and appeals (申诉) to
cards and the supervisor's decision on them; supervision orders (督办) and their replies; the
lists of both, for supervisors and for the staff of the unit addressed.

Each change is one transaction on the case (``in_case``): the permission table is asked first
(REPLY_CARD, APPEAL_CARD, DECIDE_CARD, ORDER_CASE, REPLY_ORDER), then the case's own rule
(engine/case_answers.py) changes it and records the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.case import Case
from engine.case_answers import CARD_STATES, Order, card_state
from engine.errors import InvalidAction, NotFound
from engine.identity import Action, Actor, decide
from engine.model import Card, CardDecision
from engine.ports import UnitOfWork
from engine.services.cases import allow, in_case, prepare
from engine.services.context import Env
from engine.services.identity import require


@dataclass(frozen=True)
class CardView:
    """A card with its case, the unit it is against and where it stands."""

    card: Card
    case_number: str
    unit: str
    state: str  # engine.case_answers.CARD_STATES

    @property
    def state_label(self) -> str:
        return CARD_STATES[self.state]

    @property
    def open(self) -> bool:
        """Waiting for the unit (a reply) or for a supervisor (a decision)."""
        return self.state in ("issued", "replied", "appealed", "returned")


@dataclass(frozen=True)
class OrderView:
    """An order with where it stands at ``at``."""

    order: Order
    state: str  # overdue, open, answered, answered_late, closed
    power_name: str

    @property
    def state_label(self) -> str:
        return ORDER_STATES[self.state]


ORDER_STATES = {"overdue": "逾期未回复", "open": "待回复", "answered": "已回复",
                "answered_late": "逾期后回复", "closed": "办件已办结，未回复"}
DECISIONS = {"uphold": CardDecision.UPHELD, "withdraw": CardDecision.WITHDRAWN,
             "return": CardDecision.RETURNED}


def _card_views(env: Env, uow: UnitOfWork, rows: list[Card]) -> list[CardView]:
    """Each card with its case's number and the unit it is against (one load per case)."""
    cases: dict[int, Case] = {}
    out = []
    for card in rows:
        if card.case_id not in cases:
            cases[card.case_id] = prepare(env, uow, uow.cases.get_by_id(card.case_id))
        case = cases[card.case_id]
        out.append(CardView(card, case.number, case.card_unit(card), card_state(card)))
    return out


def list_card_views(env: Env, *, kind: str | None = None, limit: int = 500) -> list[CardView]:
    """Cards, newest first, with where each stands (reply, appeal, decision)."""
    with env.uow() as uow:
        return _card_views(env, uow, uow.cards.list(kind=kind, limit=limit))


def _card_case(env: Env, card_id: int) -> str:
    with env.uow() as uow:
        card = uow.cards.get(card_id)
        return uow.cases.numbers({card.case_id})[card.case_id]


def _view(case: Case, card: Card) -> CardView:
    return CardView(card, case.number, case.card_unit(card), card_state(card))


def reply_card(env: Env, card_id: int, *, reason: str, actor: Actor,
               now: datetime | None = None) -> CardView:
    """回告: the carded unit's staff say why and what they have done about it."""
    def run(case: Case, when: datetime) -> CardView:
        card = case.card_of(card_id)
        allow(actor, Action.REPLY_CARD, case, unit=case.card_unit(card), post=card.post)
        return _view(case, case.reply_card(card_id, now=when, actor=actor.login, reason=reason))
    return in_case(env, _card_case(env, card_id), now, run, actor=actor)


def appeal_card(env: Env, card_id: int, *, reason: str, actor: Actor,
                now: datetime | None = None) -> CardView:
    """申诉: the unit's head or the post's leader asks for the card to be withdrawn."""
    def run(case: Case, when: datetime) -> CardView:
        card = case.card_of(card_id)
        allow(actor, Action.APPEAL_CARD, case, unit=case.card_unit(card), post=card.post)
        return _view(case, case.appeal_card(card_id, now=when, actor=actor.login, reason=reason))
    return in_case(env, _card_case(env, card_id), now, run, actor=actor)


def decide_card(env: Env, card_id: int, *, decision: str, reasons: str, actor: Actor,
                now: datetime | None = None) -> CardView:
    """A supervisor upholds (维持), withdraws (撤销) or returns (退回) a replied card — never
    one against themselves or a post they hold in the carded unit."""
    chosen = DECISIONS.get(decision) or next(
        (d for d in CardDecision if decision in (d.value, d.label)), None)
    if chosen is None:
        raise InvalidAction(f"决定“{decision}”无效：只能是维持（uphold）、撤销（withdraw）或退回（return） "
                            f"(unknown decision)", field="decision")

    def run(case: Case, when: datetime) -> CardView:
        card = case.card_of(card_id)
        unit = case.card_unit(card)
        against = [card.person]
        if card.post and actor.holds(card.post, unit):
            against.append(actor.login)  # a card on a post the supervisor holds is theirs too
        allow(actor, Action.DECIDE_CARD, case, against=against)
        return _view(case, case.decide_card(card_id, now=when, actor=actor.login,
                                            decision=chosen, reasons=reasons))
    return in_case(env, _card_case(env, card_id), now, run, actor=actor)


# -- 督办 ---------------------------------------------------------------------------------------

def _day(value: str | date, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidAction(f"“{value}”不是日期，请写成 YYYY-MM-DD (not a date)",
                            field=field) from None


def order_case(env: Env, number: str, *, by: str | date, do: str, actor: Actor,
               now: datetime | None = None) -> Order:
    """督办: a supervisor orders the unit handling an open case to ``do`` something by the end
    of the day ``by``; unanswered by then, the sweep cards it."""
    day = _day(by, "by")

    def run(case: Case, when: datetime) -> Order:
        allow(actor, Action.ORDER_CASE, case)
        return case.order(now=when, actor=actor.login, by=day, do=do)
    return in_case(env, number.strip(), now, run, actor=actor)


def reply_order(env: Env, number: str, no: int, *, text: str, actor: Actor,
                now: datetime | None = None) -> Order:
    """The unit addressed answers an order with what it did."""
    def run(case: Case, when: datetime) -> Order:
        order = next((o for o in case.orders() if o.no == no), None)
        if order is None:
            raise NotFound(f"办件 {case.number} 没有第 {no} 号督办 (no such order; see "
                           f"`sunshine supervise orders`)")
        allow(actor, Action.REPLY_ORDER, case, unit=order.unit)
        return case.reply_order(no, now=when, actor=actor.login, text=text)
    return in_case(env, number.strip(), now, run, actor=actor)


def _order_state(case: Case, order: Order, at: datetime) -> str:
    if order.answered:
        return "answered_late" if order.carded_at else "answered"
    if not case.state.is_open and order.carded_at is None:
        return "closed"
    return "overdue" if order.overdue(at) else "open"


def list_orders(env: Env, *, now: datetime | None = None, cases: list[Case] | None = None,
                actor: Actor | None = None) -> list[OrderView]:
    """Every order: overdue first (the longest overdue first), then those still open by their
    date, then the answered ones, newest first. With ``actor``: for a supervisor only (the
    console, ``None``, holds the database itself)."""
    at = env.now(now)
    if actor is not None:
        require(env, actor, Action.VIEW_SUPERVISION, target="orders", now=now)
    if cases is None:
        with env.uow() as uow:
            cases = [prepare(env, uow, uow.cases.get(n)) for n in uow.reads.ordered_cases()]
    views = [OrderView(o, _order_state(c, o, at), c.power.name) for c in cases
             for o in c.orders()]
    rank = {"overdue": 0, "open": 1, "closed": 2, "answered_late": 3, "answered": 3}

    def key(v: OrderView) -> tuple[Any, ...]:
        if v.state in ("overdue", "open"):
            return (rank[v.state], v.order.due_at.timestamp(), v.order.case_number, v.order.no)
        return (rank[v.state], -v.order.ordered_at.timestamp(), v.order.case_number, v.order.no)
    return sorted(views, key=key)


def case_orders(env: Env, number: str, *, now: datetime | None = None) -> list[OrderView]:
    """One case's orders (the case page shows them)."""
    with env.uow() as uow:
        case = prepare(env, uow, uow.cases.get(number))
    return list_orders(env, now=now, cases=[case])


@dataclass(frozen=True)
class UnitMatters:
    """What supervision asks of one person's unit (本单位督查事项): the cards against it and the
    orders addressed to it that they may answer."""

    cards: tuple[CardView, ...]
    orders: tuple[OrderView, ...]
    may_appeal: frozenset[int]  # the cards this person may appeal (head or post leader)


def unit_matters(env: Env, actor: Actor, *, now: datetime | None = None) -> UnitMatters:
    """The cards (not warnings) and orders this person's unit must answer, as the permission
    table decides who answers for which unit."""
    cards = [v for v in list_card_views(env)
             if v.state != "warning"
             and decide(actor, Action.REPLY_CARD, unit=v.unit, post=v.card.post).allowed]
    orders = [v for v in list_orders(env, now=now)
              if decide(actor, Action.REPLY_ORDER, unit=v.order.unit).allowed]
    appeal = frozenset(v.card.id or 0 for v in cards
                       if decide(actor, Action.APPEAL_CARD, unit=v.unit,
                                 post=v.card.post).allowed)
    return UnitMatters(cards=tuple(cards), orders=tuple(orders), may_appeal=appeal)
