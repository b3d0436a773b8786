"""The case's window rules (窗口): acceptance (受理), refusal to accept (不予受理), the one-time
notice of missing materials (一次性告知, ALL Art. 32), the supplement received, and withdrawal
(撤件). These are methods of the ``Case`` aggregate (engine/case.py), grouped here by idea.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.deadlines import compute
from engine.errors import InvalidAction
from engine.formfields import check_step_data
from engine.model import BreachKind, CaseState, ClockState, StepRecord, TaskStatus, TimerKind

if TYPE_CHECKING:
    from engine.case import Case


# 送达方式: in person at the window, by post, electronically (电子证照)
HAND_OUT_METHODS = ("窗口领取", "邮寄送达", "电子送达")


class WindowRules:
    """Mixin of ``Case``: what the window does with an application."""

    def acceptance_step(self: Case) -> StepRecord:
        step = self.open_step_with_role("acceptance")
        if step is None:
            raise InvalidAction(
                f"case {self.number} is not waiting for acceptance (it is {self.state.label})")
        return step

    def accept(self: Case, *, now: datetime, actor: str, note: str = "",
               data: dict[str, Any] | None = None, deemed_from_receipt: bool = False) -> None:
        """受理: the clock starts; the case gets its promised and statutory deadlines."""
        self._act(now, actor)
        self.require_open()
        step = self.acceptance_step()
        # the window's form, typed and checked against the step's declared fields first
        form = check_step_data(self.setting, step, {
            **(data or {}), "acceptance": "accept",
            "opinion": note or (data or {}).get("opinion") or "受理"})
        power, cal = self.power, self.calendar
        self.accepted_at = self.received_at if deemed_from_receipt else self._now
        self.deemed_accepted = deemed_from_receipt
        self.clock = ClockState.RUNNING
        self.state = CaseState.ACCEPTED
        self.promised = compute(cal, self.accepted_at, power.promised_limit or 0, "承诺时限")
        if power.statutory_limit is not None:
            self.statutory = compute(cal, self.accepted_at, power.statutory_limit, "法定时限")
        self.cancel_timers(kind=TimerKind.ACCEPTANCE_DUE)
        self.event("accepted", note=note, deemed_from_receipt=deemed_from_receipt,
                   accepted_at=self.accepted_at.isoformat(),
                   promised_due=self.promised.day.isoformat(),
                   statutory_due=self.statutory.day.isoformat() if self.statutory else None,
                   provisional=self.provisional)
        self.schedule_case_timers()
        form["promised_deadline"] = self.promised.at.isoformat()
        self.complete_step(step, form)

    def refuse_acceptance(self: Case, *, now: datetime, actor: str, reason: str) -> None:
        """不予受理, with reasons (ALL Art. 32)."""
        self._act(now, actor)
        if not reason.strip():
            raise InvalidAction("a refusal to accept needs its reasons", field="reason")
        self.require_open()
        step = self.acceptance_step()
        self.cancel_timers(kind=TimerKind.ACCEPTANCE_DUE)
        self.event("not_accepted", reason=reason)
        self.complete_step(step, {"acceptance": "refuse", "opinion": reason})

    def request_supplement(self: Case, *, now: datetime, actor: str, items: list[str],
                           why_not_in_first_notice: str = "") -> None:
        """一次性告知: ask once, listing every missing item (ALL Art. 32)."""
        self._act(now, actor)
        items = [i.strip() for i in items if i.strip()]
        if not items:
            raise InvalidAction("a supplement notice must list every missing material, all of "
                                "them at once (一次性告知)", field="items")
        self.require_open()
        step = self.acceptance_step()
        notices = self.data.setdefault("supplement_notices", [])
        if notices and not why_not_in_first_notice.strip():
            raise InvalidAction(
                f"case {self.number} already had its one-time notice (一次性告知) on "
                f"{notices[0]['at'][:10]}; a second request is refused unless you record why the "
                f"first notice could not have known of it, which is recorded as a breach of "
                f"一次性告知", field="why_not_in_first_notice")
        notices.append({"at": self._now.isoformat(), "items": items, "by": actor,
                        "why_not_in_first": why_not_in_first_notice or None})
        self.cancel_timers(kind=TimerKind.ACCEPTANCE_DUE)
        self.event("supplement_requested", items=items, notice_no=len(notices),
                   why_not_in_first_notice=why_not_in_first_notice or None)
        if len(notices) > 1:
            self.breach(BreachKind.SECOND_NOTICE,
                        f"第{len(notices)}次补正告知（违反一次性告知）：{'、'.join(items)}；"
                        f"理由：{why_not_in_first_notice}", step, person=actor)
        self.complete_step(step, {"acceptance": "supplement", "missing": items,
                                  "opinion": "一次性告知补正：" + "、".join(items)})
        self.state = CaseState.IN_CORRECTION

    def supplement_received(self: Case, *, now: datetime, actor: str, note: str = "") -> None:
        """补正结束: the applicant brought the missing materials."""
        self._act(now, actor)
        step = self.open_step_with_role("supplement")
        if step is None and self.clock == ClockState.SUSPENDED and any(
                s.kind == "supplement" and s.ended_at is None for s in self.stops):
            # 补正 during review: the materials arrived, the clock runs again
            self.end_stop(kind="supplement", result=note or "材料已补齐")
            return
        if step is None:
            raise InvalidAction(f"case {self.number} is not waiting for supplementary materials")
        self.event("supplement_received", note=note)
        self.complete_step(step, {"supplemented": True, "opinion": note or "材料已补齐"})
        if self.state == CaseState.IN_CORRECTION:
            self.state = CaseState.RECEIVED if self.accepted_at is None else CaseState.ACCEPTED

    def hand_out(self: Case, *, now: datetime, actor: str, method: str, received_by: str,
                 note: str = "") -> None:
        """送达: the decision (and certificate) is handed to the applicant, recorded with how
        and to whom; once only. A case still open has nothing to hand out."""
        self._act(now, actor)
        if self.state.is_open:
            raise InvalidAction(f"办件 {self.number} 尚未办结（{self.state.label}），没有可送达的结果 "
                                f"(the case is not decided yet)")
        if self.result in ("withdrawn",):
            raise InvalidAction(f"办件 {self.number} 已撤件，没有结果可送达 (withdrawn)")
        if self.data.get("handed_out"):
            done = self.data["handed_out"]
            raise InvalidAction(f"办件 {self.number} 的结果已于 {done['at'][:16]} 送达（{done['method']}，"
                                f"签收人 {done['received_by']}） (already handed out)")
        if method not in HAND_OUT_METHODS:
            raise InvalidAction(f"送达方式“{method}”不在可选范围：{'、'.join(HAND_OUT_METHODS)} "
                                f"(unknown method)", field="method")
        if not received_by.strip():
            raise InvalidAction("须写明签收人（申请人本人或其代理人的姓名） (who received it)",
                                field="received_by")
        self.data["handed_out"] = {"at": self._now.isoformat(), "method": method,
                                   "received_by": received_by.strip(), "by": actor,
                                   "note": note}
        self.event("result_handed_out", method=method, received_by=received_by.strip(),
                   result=self.result, note=note)

    def withdraw(self: Case, *, now: datetime, actor: str, reason: str = "") -> None:
        """撤件: the applicant withdraws the application."""
        self._act(now, actor)
        self.require_open()
        self.runtime.cancel()
        for row in self.open_steps():
            row.status, row.outcome, row.completed_at = TaskStatus.CANCELLED, "withdrawn", self._now
        for stop in [s for s in self.stops if s.ended_at is None]:
            stop.ended_at, stop.ended_by, stop.result = self._now, actor, "撤件"
        self.cancel_timers()
        self.state = CaseState.WITHDRAWN
        self.result = "withdrawn"
        self.clock = ClockState.STOPPED
        self.closed_at = self._now
        self.event("withdrawn", reason=reason)
