"""Documents to the applicant (文书) and the notices that carry them (送达).

A :class:`Document` is what the organ hands or sends the applicant: the receipt (收件回执), the
acceptance notice (受理通知书), the refusal to accept with its reasons and remedies (不予受理通知书,
ALL Art. 32), the one-time notice of every missing material (一次性告知), the extension notice
with its reasons and the new date (延期告知书, Art. 42), the special-procedure notice (Art. 45),
the decision (准予 / 不予 / 视为准予 决定书, Arts. 38 and 50) and the termination notice. It is
decided here, in the core, from the case; adapters only lay it out (text, e-mail, PDF).

``notices_for(case)`` reads the audit events the current unit of work raised
(``case.new_events``) and returns the :class:`Notice` each one causes, one per channel: every
formal notice to the print queue (书面), also by e-mail when an address is known, and a short
SMS with the number and query code when a phone is known. Each notice carries a ``dedupe``
key (case number, event sequence number, channel): the outbox stores a key once, so a notice
is never queued twice. ``current_document(case, power)`` is the notice that applies to the case
now (`case receipt`). Nothing here does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from engine.model import AuditEvent, CaseState, Rules

if TYPE_CHECKING:
    from engine.calendar import WorkingCalendar
    from engine.case import Case
    from engine.catalogue import Power

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_32 = "《中华人民共和国行政许可法》第三十二条"
ALL_42 = "《中华人民共和国行政许可法》第四十二条"
ALL_45 = "《中华人民共和国行政许可法》第四十五条"
# Art. 38 (and Art. 32 for a refusal to accept): a refusal states the right to reconsideration
# and to sue. Time limits: 行政复议法 (2023) Art. 20, 60 days; 行政诉讼法 Art. 46, six months.
REMEDIES = ("如不服本决定，可以自收到本文书之日起六十日内依法申请行政复议，或者自收到本文书之日起"
            "六个月内依法向人民法院提起行政诉讼（《中华人民共和国行政复议法》第二十条、"
            "《中华人民共和国行政诉讼法》第四十六条）。")
LOOKUP = "凭办件编号和查询码可查询办理进度。"
AT_THE_WINDOW = "窗口领取"  # the print recipient when no postal address is known


class Channel(str, enum.Enum):
    """How a notice reaches the applicant (送达方式)."""

    PRINT = "print"  # 书面: a PDF in the print queue, printed, sealed, handed over or mailed
    EMAIL = "email"  # 电子邮件: when the applicant gave an address
    SMS = "sms"  # 短信: a short text with the case number and query code


class NoticeStatus(str, enum.Enum):
    """A notice's delivery state in the outbox."""

    PENDING = "pending"  # waiting for its first attempt, or its next one after a failure
    SENT = "sent"  # handed to the channel (printed file written, mail accepted, SMS accepted)
    FAILED = "failed"  # given up after the last retry: deliver it another way and note it


@dataclass(frozen=True)
class Document:
    """A document to the applicant (文书): a title, the issuing unit, the case, and its text as
    ordered sections of (label, text). ``kind`` is a stable English code; ``seq`` the audit
    event that caused it (None for one printed on demand)."""

    kind: str
    title: str
    unit: str
    case_number: str
    query_code: str
    applicant: str
    dated: date
    sections: tuple[tuple[str, str], ...] = ()
    phones: tuple[tuple[str, str], ...] = ()  # (咨询电话, …), (监督投诉电话, …)
    address: str = ""  # where the applicant goes (办理地点)
    summary: str = ""  # one line, for the SMS
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "unit": self.unit,
                "case_number": self.case_number, "query_code": self.query_code,
                "applicant": self.applicant, "dated": self.dated.isoformat(),
                "sections": [list(s) for s in self.sections],
                "phones": [list(p) for p in self.phones], "address": self.address,
                "summary": self.summary, "seq": self.seq}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(**{**data, "dated": date.fromisoformat(data["dated"]),
                      "sections": tuple((str(a), str(b)) for a, b in data.get("sections", ())),
                      "phones": tuple((str(a), str(b)) for a, b in data.get("phones", ()))})


@dataclass(frozen=True)
class Notice:
    """A document on its way to the applicant by one channel (送达): one row of the outbox.
    The fields after ``dedupe`` are the stored row's (id, delivery state)."""

    case_id: int | None
    case_number: str
    kind: str
    channel: Channel
    recipient: str  # postal address (or 窗口领取), e-mail address, phone number
    document: Document
    dedupe: str
    id: int | None = None
    status: NoticeStatus = NoticeStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None


# -- rendering (plain text; the adapters lay out the same sections as e-mail and PDF) --------------


def render_text(doc: Document) -> str:
    lines = [doc.unit, doc.title, "", f"办件编号：{doc.case_number}        查询码：{doc.query_code}",
             f"申请人：{doc.applicant}"]
    lines += [f"{label}：{text}" if label else text for label, text in doc.sections]
    lines.append("")
    if doc.phones:
        lines.append("  ".join(f"{label}：{phone}" for label, phone in doc.phones if phone))
    if doc.address:
        lines.append(f"办理地点：{doc.address}")
    lines += ["", f"{doc.unit}    {doc.dated.year}年{doc.dated.month}月{doc.dated.day}日"]
    return "\n".join(lines) + "\n"


def email_subject(doc: Document) -> str:
    return f"{doc.title}（办件编号 {doc.case_number}）— {doc.unit}"


def sms_text(doc: Document) -> str:
    """A short text: who sends it, what it is, the number and query code (never a reason)."""
    return (f"【{doc.unit}】{doc.applicant}：{doc.title}。{doc.summary}"
            f"办件编号{doc.case_number}，查询码{doc.query_code}，可凭此查询进度。")


# -- the documents ---------------------------------------------------------------------------------


def _tz(case: Case, calendar: WorkingCalendar | None) -> tzinfo:
    if calendar is not None:
        return calendar.tz
    setting = getattr(case, "_setting", None)
    return setting.calendar.tz if setting is not None else SHANGHAI


def _t(value: datetime | None, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _last_day(due: datetime, tz: tzinfo) -> str:
    """A due instant (00:00 after the last day) as the last day itself."""
    return (due - timedelta(seconds=1)).astimezone(tz).date().isoformat()


def _doc(case: Case, power: Power, kind: str, title: str, at: datetime, tz: tzinfo,
         sections: list[tuple[str, str]], summary: str, seq: int | None) -> Document:
    head = [("申请事项", f"{power.name}（{power.code}）  办件类型：{case.mode}")]
    return Document(
        kind=kind, title=title, unit=power.unit, case_number=case.number,
        query_code=case.query_code, applicant=case.applicant, dated=at.astimezone(tz).date(),
        sections=tuple(head + [(a, b) for a, b in sections if b]),
        phones=(("咨询电话", power.consult_phone), ("监督投诉电话", power.complaint_phone)),
        address=power.address, summary=summary, seq=seq)


def receipt(case: Case, power: Power, tz: tzinfo, seq: int | None = None) -> Document:
    return _doc(case, power, "receipt", "收件回执", case.received_at, tz,
                [("收件时间", _t(case.received_at, tz)), ("", LOOKUP)],
                "您的申请材料已收到。", seq)


def acceptance_notice(case: Case, power: Power, tz: tzinfo, seq: int | None = None) -> Document:
    assert case.accepted_at is not None
    if power.promised_limit == 0:
        promised = f"当场办结（即办件），最迟 {case.promised_day} 当日"
    else:
        promised = f"{case.promised_day} 前（{power.promised_limit} 个工作日）"
    statutory = (f"{case.statutory_day} 前（{power.statutory_limit} 个工作日）"
                 if case.statutory_day else "法律未规定")
    gaps = case.data.get("gaps")
    return _doc(case, power, "acceptance_notice", "受理通知书", case.accepted_at, tz, [
        ("收件时间", _t(case.received_at, tz)),
        ("受理时间", _t(case.accepted_at, tz) + ("（依法视为受理）" if case.deemed_accepted else "")),
        ("承诺办结时限", promised), ("法定办结时限", statutory),
        ("容缺受理", f"以下材料须于 {_last_day(datetime.fromisoformat(gaps['due_at']), tz)} 前补齐，"
                     f"逾期未补齐的终止办理：" + "、".join(gaps["items"]) if gaps else ""),
        ("", "（注：所涉年度的国务院节假日安排尚未公布，以上时限按《全国年节及纪念日放假办法》估算，"
             "仅供参考；安排公布并导入后，时限将重新计算，以重新计算后的为准）"
         if case.provisional else ""),
        ("", LOOKUP)], f"您的申请已受理，承诺于{case.promised_day}前办结。", seq)


def non_acceptance_notice(case: Case, power: Power, tz: tzinfo, reason: str, at: datetime,
                          seq: int | None = None) -> Document:
    return _doc(case, power, "non_acceptance_notice", "不予受理通知书", at, tz, [
        ("收件时间", _t(case.received_at, tz)),
        ("不予受理理由", reason),
        ("依据", ALL_32),
        ("救济途径", REMEDIES)], "您的申请不予受理，理由及救济途径见书面通知书。", seq)


def supplement_notice(case: Case, power: Power, tz: tzinfo, notice: dict[str, Any],
                      number: int, calendar: WorkingCalendar | None = None,
                      rules: Rules | None = None, seq: int | None = None) -> Document:
    """一次性告知 (ALL Art. 32): every missing item at once, and the five-working-day rule."""
    items = [str(i) for i in notice["items"]]
    days = (rules or Rules()).acceptance_notice_days
    by = ""
    if calendar is not None:
        from engine.deadlines import compute

        by = f"（本案为 {compute(calendar, case.received_at, days).day} 前）"
    rule = (f"依照{ALL_32}，材料不齐全或者不符合法定形式的，本机关应当场或者在收到申请材料之日起"
            f"{days}个工作日内{by}一次性告知需要补正的全部内容；逾期不告知的，自收到申请材料之日起即为受理。"
            f"本通知所列以外的材料，本机关不再要求补正。")
    title = "补正材料通知书（一次性告知）" if number == 1 else f"补正材料通知书（第{number}次）"
    return _doc(case, power, "supplement_notice", title, datetime.fromisoformat(notice["at"]), tz, [
        ("收件时间", _t(case.received_at, tz)),
        ("请一次性补正以下材料", "；".join(f"{n}. {item}" for n, item in enumerate(items, 1))),
        ("补充告知的原因", str(notice.get("why_not_in_first") or "") if number > 1 else ""),
        ("告知规则", rule),
        ("补正方式", f"请补齐上述全部材料后到{power.address or '原受理窗口'}提交，本机关依法作出是否受理的决定。")],
        f"请一次性补正{len(items)}项材料（详见补正材料通知书）。", seq)


def _extension_notice(case: Case, power: Power, tz: tzinfo, ev: AuditEvent) -> Document:
    p = ev.payload
    approved = p.get("decision") == "approved"
    ext = next((e for e in reversed(case.extensions) if e.decision == p.get("decision")), None)
    days = ext.days if ext else 0
    new = p.get("promised_due") or p.get("statutory_due")
    return _doc(case, power, "extension_notice", "延期告知书" if approved else "不予延期告知书",
                ev.at, tz, [
                    ("延期理由", ext.reason if ext else ""),
                    ("决定", (f"经本机关负责人批准，办理期限延长 {days} 个工作日" if approved
                              else "不予延长办理期限") + f"；{p.get('reason', '')}"),
                    ("延长后的办结时限" if approved else "办结时限",
                     f"承诺 {p.get('promised_due')} 前；法定 {p.get('statutory_due')} 前"),
                    ("依据", ALL_42)],
                f"办理期限延长至{new}。" if approved else f"办理期限不延长，仍为{new}前。", ev.seq)


def _special_notice(case: Case, power: Power, tz: tzinfo, ev: AuditEvent) -> Document | None:
    p = ev.payload
    if p.get("kind") != "special":
        return None
    what = p.get("special") or p.get("reason") or "特别程序"
    days = p.get("expected_days")
    return _doc(case, power, "special_procedure_notice", "特别程序告知书", ev.at, tz, [
        ("特别程序", f"{what}：{p.get('reason', '')}"),
        ("所需时间", f"预计 {days} 个工作日" + (f"（至 {p['expected_end']}）" if p.get("expected_end") else "")
         if days else "以实际所需为准"),
        ("说明", f"所需时间不计入办理期限（{p.get('basis') or ALL_45}）。")],
        f"本案需进行{what}，所需时间不计入办理期限。", ev.seq)


def _decision(case: Case, power: Power, tz: tzinfo, at: datetime, outcome: str,
              seq: int | None) -> Document:
    licence = power.category == "行政许可"
    if outcome == "approve":
        result = f"；本机关将于作出决定之日起十个工作日内颁发、送达{power.result_name}" if power.result_name else ""
        return _doc(case, power, "decision", "准予行政许可决定书" if licence else "准予决定书", at, tz,
                    [("决定", f"经审查，准予{power.name}{result}。")],
                    "已作出准予决定。", seq)
    if outcome == "refuse":
        step = next((s for s in sorted(case.steps, key=lambda s: s.completed_at or at, reverse=True)
                     if s.role == "decision" and s.completed_at is not None), None)
        return _doc(case, power, "decision", "不予行政许可决定书" if licence else "不予决定书", at, tz,
                    [("决定", f"经审查，不予{power.name}。"),
                     ("理由", (step.opinion if step else None) or "见审查意见"),
                     ("救济途径", REMEDIES)], "已作出不予决定，理由及救济途径见决定书。", seq)
    renewal = outcome == "renewal"
    basis = ("有效期届满前本机关未作出是否准予延续的决定，依照《中华人民共和国行政许可法》第五十条视为准予延续"
             if renewal else f"本机关未在承诺时限（{case.promised_day}）内作出决定，依本事项公开承诺的超时默许规则视为准予")
    return _doc(case, power, "decision", "视为准予延续决定书" if renewal else "视为准予决定书", at, tz,
                [("决定", f"{basis}。"), ("证照", f"{power.result_name}将依法颁发、送达。"
                                          if power.result_name else "")],
                "视为准予延续。" if renewal else "视为准予。", seq)


def _termination(case: Case, power: Power, tz: tzinfo, ev: AuditEvent) -> Document:
    items = ev.payload.get("items") or []
    return _doc(case, power, "termination_notice", "终止办理告知书", ev.at, tz, [
        ("终止理由", str(ev.payload.get("reason") or "")),
        ("未补齐的材料", "、".join(items)), ("救济途径", REMEDIES)], "本案已终止办理。", ev.seq)


def _generic(case: Case, power: Power, tz: tzinfo, ev: AuditEvent) -> Document | None:
    """An ``applicant_notified`` event no other document covers: its title and text as written."""
    title = str(ev.payload.get("notice") or "告知书")
    if title in COVERED_ELSEWHERE:
        return None
    return _doc(case, power, "notice", title, ev.at, tz, [("", str(ev.payload.get("text") or ""))],
                f"{title}已发出。", ev.seq)


# Titles of ``applicant_notified`` events whose document comes from another event of the same
# change: 延期 (extension_decided), 特别程序 (clock_stopped), 容缺 (accepted), 终止 (terminated).
COVERED_ELSEWHERE = frozenset({"延期决定告知书", "不予延期告知书", "特别程序告知书", "容缺受理告知书",
                               "终止办理告知书"})


# The audit events that may cause a document (``_from_event`` decides on the payload).
NOTIFYING = frozenset({"received", "accepted", "not_accepted", "supplement_requested",
                       "extension_decided", "clock_stopped", "decided", "deemed_approved",
                       "deemed_renewed", "case_closed", "terminated", "applicant_notified"})


def _from_event(case: Case, power: Power, tz: tzinfo, ev: AuditEvent) -> Document | None:
    kind = ev.kind
    if kind == "received":
        return receipt(case, power, tz, ev.seq)
    if kind == "accepted":
        return acceptance_notice(case, power, tz, ev.seq)
    if kind == "not_accepted":
        return non_acceptance_notice(case, power, tz, str(ev.payload.get("reason", "")), ev.at, ev.seq)
    if kind == "supplement_requested":
        number = int(ev.payload.get("notice_no") or 1)
        notices = case.data.get("supplement_notices") or []
        notice = (notices[number - 1] if len(notices) >= number else
                  {"at": ev.at.isoformat(), "items": ev.payload.get("items", []),
                   "why_not_in_first": ev.payload.get("why_not_in_first_notice")})
        return supplement_notice(case, power, tz, notice, number, case.calendar, case.rules, ev.seq)
    if kind == "extension_decided":
        return _extension_notice(case, power, tz, ev)
    if kind == "clock_stopped":
        return _special_notice(case, power, tz, ev)
    if kind == "decided" and ev.payload.get("decision") in ("approve", "refuse"):
        return _decision(case, power, tz, ev.at, str(ev.payload["decision"]), ev.seq)
    if kind in ("deemed_approved", "deemed_renewed"):
        return _decision(case, power, tz, ev.at, "renewal" if kind == "deemed_renewed" else "deemed",
                         ev.seq)
    if kind == "case_closed" and ev.payload.get("result") in ("approved", "refused") and not any(
            s.role == "decision" for s in case.steps):
        # a process with no decision step: the end itself is the decision
        return _decision(case, power, tz, ev.at, "approve" if ev.payload["result"] == "approved"
                         else "refuse", ev.seq)
    if kind == "terminated":
        return _termination(case, power, tz, ev)
    if kind == "applicant_notified":
        return _generic(case, power, tz, ev)
    return None


def current_document(case: Case, power: Power, calendar: WorkingCalendar | None = None) -> Document:
    """The notice that applies to the case now (`case receipt`): 不予受理通知书 if refused at
    acceptance, 受理通知书 once accepted (for the rest of the case's life), the latest 补正材料通知书
    while not accepted after a one-time notice, otherwise the 收件回执."""
    tz = _tz(case, calendar)
    if case.state == CaseState.NOT_ACCEPTED:
        step = next((s for s in case.steps if s.role == "acceptance"
                     and (s.data or {}).get("acceptance") == "refuse"), None)
        return non_acceptance_notice(case, power, tz, (step.opinion if step else None) or "",
                                     (step.completed_at if step else None) or case.received_at)
    if case.accepted_at is not None:
        return acceptance_notice(case, power, tz)
    notices = case.data.get("supplement_notices") or []
    if notices:
        return supplement_notice(case, power, tz, notices[-1], len(notices), calendar)
    return receipt(case, power, tz)


# -- the notices a change causes ---------------------------------------------------------------------


def recipients(case: Case) -> list[tuple[Channel, str]]:
    """Where the applicant's notices go: always the print queue (书面: the postal address, or
    collected at the window); e-mail and SMS when the applicant gave an address or a phone."""
    contact = case.data.get("contact") or {}
    if not isinstance(contact, dict):
        contact = {}
    email = str(contact.get("email") or "").strip()
    phone = str(contact.get("phone") or "").strip()
    address = str(contact.get("address") or "").strip()
    out = [(Channel.PRINT, address[:200] or AT_THE_WINDOW)]
    if "@" in email.strip("@"):
        out.append((Channel.EMAIL, email[:200]))
    if sum(c.isdigit() for c in phone) >= 5:
        out.append((Channel.SMS, phone[:40]))
    return out


def notices_for(case: Case) -> list[Notice]:
    """The notices the events raised in this unit of work cause (``case.new_events``, not yet
    saved): one per event that makes a document, per channel, each with its dedupe key."""
    found: list[Notice] = []
    events = [ev for ev in case.new_events if ev.kind in NOTIFYING]
    if not events:  # most changes (a step claimed or completed) notify no one: stay cheap
        return found
    power, tz = case.power, case.calendar.tz
    to = recipients(case)
    for ev in events:
        doc = _from_event(case, power, tz, ev)
        if doc is None:
            continue
        for channel, recipient in to:
            found.append(Notice(case_id=case.id, case_number=case.number, kind=doc.kind,
                                channel=channel, recipient=recipient, document=doc,
                                dedupe=f"{case.number}#{ev.seq}:{channel.value}"))
    return found


__all__ = ["Channel", "Document", "Notice", "NoticeStatus", "current_document", "email_subject",
           "notices_for", "recipients", "render_text", "sms_text"]
