"""Who a breach is against (责任人), when the case itself cannot say.

The aggregate names the claimant of the step (``claimant``) or the person a supervisor named
(``named``). A step nobody claimed belongs to its post: the breach then names the post's holder
on duty — the only active user holding that post in that unit (``sole_holder``); with several
holders (or none), the post's leader — the only active user who leads it there (``leader``);
else nobody (``none``: the post is unstaffed, shared by several people with no single leader,
or the breach concerns no step). Asking the user registry is the service layer's part: the
save path calls :func:`name_people` for the breaches a unit of work recorded.
"""

from __future__ import annotations

from engine.case import Case
from engine.identity import User
from engine.ports import UnitOfWork


def responsible(users: list[User], post: str | None, unit: str) -> tuple[str | None, str]:
    """(login, basis) for a breach of ``post`` in ``unit`` that no claimant answers for."""
    if not post:
        return None, "none"
    active = [u for u in users if u.active]
    holders = [u.login for u in active if u.actor().holds(post, unit)]
    if len(holders) == 1:
        return holders[0], "sole_holder"
    leaders = [u.login for u in active if u.actor().leads_post(post, unit)]
    if len(leaders) == 1:
        return leaders[0], "leader"
    return None, "none"


def name_people(uow: UnitOfWork, case: Case) -> None:
    """Name the person of each breach this unit of work recorded on ``case`` without one (the
    registry is read only when there is such a breach)."""
    pending = case.unnamed_breaches()
    if not pending:
        return
    users = uow.users.list(include_disabled=False)
    for breach, post, unit in pending:
        person, basis = responsible(users, post, unit)
        case.name_person(breach, person, basis)
