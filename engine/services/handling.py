"""Time rules around a case: extensions (延期), special procedures (特别程序), accept with gaps
(容缺受理) and its make-up. The rules are the case's own (engine/case_clock.py); each use case
here loads the case, calls one method and saves it.
"""

from __future__ import annotations

from datetime import datetime

from engine.case import Case
from engine.case_clock import ART45_BASIS
from engine.model import Extension
from engine.services.cases import in_case
from engine.services.context import Env

__all__ = ["ART45_BASIS", "request_extension", "decide_extension", "start_special",
           "end_special", "accept_with_gaps", "gaps_made_up"]


def request_extension(env: Env, number: str, *, actor: str, reason: str, days: int,
                      now: datetime | None = None) -> Extension:
    return in_case(env, number, now, lambda case, at: case.request_extension(
        now=at, actor=actor, reason=reason, days=days))


def decide_extension(env: Env, number: str, *, approve: bool, by: str, reason: str,
                     now: datetime | None = None) -> Extension:
    """The head of the organ (本行政机关负责人) approves or refuses; the applicant is told why."""
    return in_case(env, number, now, lambda case, at: case.decide_extension(
        now=at, actor=by, approve=approve, reason=reason))


def start_special(env: Env, number: str, *, actor: str, kind: str, reason: str,
                  expected_days: int, basis: str = ART45_BASIS,
                  now: datetime | None = None) -> Case:
    def run(case: Case, at: datetime) -> Case:
        case.start_special(now=at, actor=actor, kind=kind, reason=reason,
                           expected_days=expected_days, basis=basis)
        return case
    return in_case(env, number, now, run)


def end_special(env: Env, number: str, *, actor: str, result: str,
                now: datetime | None = None) -> Case:
    def run(case: Case, at: datetime) -> Case:
        case.end_special(now=at, actor=actor, result=result)
        return case
    return in_case(env, number, now, run)


def accept_with_gaps(env: Env, number: str, *, actor: str, missing: list[str],
                     commitment_signed: bool, makeup_days: int | None = None,
                     now: datetime | None = None) -> Case:
    at = env.now(now)
    with env.uow() as uow:
        from engine.services.cases import load

        case = load(env, uow, number)
        flags = uow.flags.for_applicant(case.applicant)
        case.accept_with_gaps(now=at, actor=actor, missing=missing,
                              commitment_signed=commitment_signed, flags=flags,
                              makeup_days=makeup_days)
        uow.cases.save(case)
        uow.commit()
    return case


def gaps_made_up(env: Env, number: str, *, actor: str, now: datetime | None = None) -> Case:
    def run(case: Case, at: datetime) -> Case:
        case.gaps_made_up(now=at, actor=actor)
        return case
    return in_case(env, number, now, run)
