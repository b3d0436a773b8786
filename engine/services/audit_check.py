"""Replaying the audit trail against the rows supervisors read (engine/audit_replay.py).

``check_one`` is one case inside a unit of work (the case record uses it); ``check`` checks the
named cases, or every case a page at a time (each page its own short read, so memory stays
bounded however many cases there are).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from engine.audit_replay import CaseCheck, appended_parts, case_parts, check_case, row_ids
from engine.case import Case
from engine.errors import NotFound
from engine.model import AuditEvent
from engine.ports import UnitOfWork
from engine.services.context import Env

PAGE = 200  # cases per read when checking every case


def check_one(uow: UnitOfWork, case: Case, events: list[AuditEvent] | None = None) -> CaseCheck:
    """The case's trail (``events``, when the caller read them already) replayed against its
    rows as loaded now."""
    cid = case.id or 0
    events = uow.audit.for_case(cid) if events is None else events
    flags = [f for f in uow.flags.for_applicant(case.applicant_key)
             if f.case_number == case.number]
    actual = case_parts(case) | appended_parts(flags, uow.outbox.for_case(cid))
    return check_case(case.number, events, case.data.get("audit_head"), actual, row_ids(case))


def check(env: Env, numbers: Sequence[str] = ()) -> Iterator[CaseCheck]:
    """Each named case's check (NotFound for a number with no case), or every case's, by id."""
    if numbers:
        for number in numbers:
            with env.uow() as uow:
                try:
                    case = uow.cases.get(number.strip())
                except NotFound:
                    raise NotFound(f"没有办件 {number}，请核对办件编号 (no such case)") from None
                yield check_one(uow, case)
        return
    after = 0
    while True:
        with env.uow() as uow:
            page = uow.trail.case_page(after, PAGE)
            checks = [check_one(uow, uow.cases.get_by_id(cid)) for cid, _ in page]
        yield from checks
        if len(page) < PAGE:
            return
        after = page[-1][0]
