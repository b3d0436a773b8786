"""Time rules around a case: extensions (延期), special procedures (特别程序), accept with gaps
(容缺受理) and its make-up. The rules are the case's own (engine/case_clock.py); each use case
here checks the permission table, loads the case, calls one method and saves it.
"""

from __future__ import annotations

from datetime import datetime

from engine.case import Case
from engine.case_clock import ART45_BASIS
from engine.errors import InvalidAction
from engine.identity import Action, Actor
from engine.services.cases import allow, handlers, in_case
from engine.services.context import Env
from engine.services.views import CaseView, ExtensionView

__all__ = ["ART45_BASIS", "ART45_KINDS", "request_extension", "decide_extension",
           "start_special", "end_special", "accept_with_gaps", "gaps_made_up"]

# The legal grounds on which time is not counted (ALL Art. 45): a special procedure names one.
ART45_KINDS = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审")


def request_extension(env: Env, number: str, *, actor: Actor, reason: str, days: int,
                      now: datetime | None = None) -> ExtensionView:
    """延期: the handler of the case's current step asks the head of the organ."""
    def run(case: Case, at: datetime) -> ExtensionView:
        allow(actor, Action.REQUEST_EXTENSION, case, steps=handlers(case))
        return ExtensionView.of(case.request_extension(now=at, actor=actor.login, reason=reason,
                                                       days=days))
    return in_case(env, number, now, run, actor=actor)


def decide_extension(env: Env, number: str, *, approve: bool, actor: Actor, reason: str,
                     now: datetime | None = None) -> ExtensionView:
    """The head of the organ (本行政机关负责人), never the asker, approves or refuses; the
    applicant is told why."""
    def run(case: Case, at: datetime) -> ExtensionView:
        pending = next((e for e in reversed(case.extensions) if e.decision is None), None)
        allow(actor, Action.DECIDE_EXTENSION, case,
              asker=pending.requested_by if pending else None, unit=case.power.unit)
        return ExtensionView.of(case.decide_extension(now=at, actor=actor.login,
                                                      approve=approve, reason=reason))
    return in_case(env, number, now, run, actor=actor)


def start_special(env: Env, number: str, *, actor: Actor, kind: str, reason: str,
                  expected_days: int, basis: str = ART45_BASIS,
                  now: datetime | None = None) -> CaseView:
    """特别程序: only on a legal ground of Art. 45 and with an expected duration told to the
    applicant; the clock stops, and a stop that overruns is warned and carded."""
    if kind not in ART45_KINDS:
        raise InvalidAction(f"特别程序须依据行政许可法第四十五条的法定情形：{'、'.join(ART45_KINDS)}；"
                            f"“{kind}”不是 (not a ground of ALL Art. 45)", field="kind")

    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.START_SPECIAL, case, steps=handlers(case))
        case.start_special(now=at, actor=actor.login, kind=kind, reason=reason,
                           expected_days=expected_days, basis=basis)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def end_special(env: Env, number: str, *, actor: Actor, result: str,
                now: datetime | None = None) -> CaseView:
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.END_SPECIAL, case, steps=handlers(case))
        case.end_special(now=at, actor=actor.login, result=result)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def accept_with_gaps(env: Env, number: str, *, actor: Actor, missing: list[str],
                     commitment_signed: bool, makeup_days: int | None = None,
                     now: datetime | None = None) -> CaseView:
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.ACCEPT_WITH_GAPS, case)
        with env.uow() as uow:  # a read of the applicant's record, before the write
            flags = uow.flags.for_applicant(case.applicant_key)
        case.accept_with_gaps(now=at, actor=actor.login, missing=missing,
                              commitment_signed=commitment_signed, flags=flags,
                              makeup_days=makeup_days)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)


def gaps_made_up(env: Env, number: str, *, actor: Actor,
                 now: datetime | None = None) -> CaseView:
    def run(case: Case, at: datetime) -> CaseView:
        allow(actor, Action.GAPS_MADE_UP, case)
        case.gaps_made_up(now=at, actor=actor.login)
        return CaseView.of(case)
    return in_case(env, number, now, run, actor=actor)
