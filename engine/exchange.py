"""The provincial exchange (省级政务服务平台数据交换, DOMAIN-REFERENCE 8b): a case's history as
the exchange's status changes, one record per change, each with the status code the platforms
use (1 收件 … 15 撤销).

A change is read from the case's audit events (engine/audit.py), never from the case's present
state, so that exporting the same period again later gives the same records: each record says
what was true at its change (the deadlines then running), and names the case, its power and its
unit as the case file does. Which event is which change:

====================================  ====================================================
event                                 status code
====================================  ====================================================
``received``                          1 收件
``withdrawn``                         2 撤件
``accepted``                          3 受理 (also accepted with gaps, or deemed accepted)
``terminated``                        4 退件 (容缺 materials not made up)
``supplement_requested``              6 补正开始 (the window's one-time notice)
``supplement_received``               7 补正结束
``clock_stopped`` kind supplement     6 补正开始 (补正 during review)
``clock_resumed`` kind supplement     7 补正结束
``clock_stopped`` kind special        9 特别程序开始
``clock_resumed`` kind special        10 特别程序结束
``case_closed``                       the closing state's code (CaseState.platform_code):
                                      4 退件, 5 不予受理, 11 办结（通过）, 12 容缺办结,
                                      13 办结（不通过）, 15 撤销
====================================  ====================================================

Codes the engine never reaches are listed in :data:`UNREACHED` with the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from engine.model import AuditEvent, CaseState

STATUS_NAMES: dict[int, str] = {
    1: "收件", 2: "撤件", 3: "受理", 4: "退件", 5: "不予受理", 6: "补正开始", 7: "补正结束",
    8: "部门受理", 9: "特别程序开始", 10: "特别程序结束", 11: "办结（通过）", 12: "容缺办结",
    13: "办结（不通过）", 14: "撤回", 15: "撤销",
}
UNREACHED: dict[int, str] = {
    8: "部门受理: the window's acceptance (受理) is the organ's own (ALL Art. 32); a case is not "
       "accepted a second time by the department, so there is no separate event for it",
    14: "撤回: no use case lets the organ recall a case (CaseState.RECALLED is never entered)",
}
STATUS_EVENTS = frozenset({"received", "withdrawn", "accepted", "terminated",
                           "supplement_requested", "supplement_received", "clock_stopped",
                           "clock_resumed", "case_closed"})  # the events that may change status
_SIMPLE = {"received": 1, "withdrawn": 2, "accepted": 3, "terminated": 4,
           "supplement_requested": 6, "supplement_received": 7}
_STOPS = {("clock_stopped", "supplement"): 6, ("clock_resumed", "supplement"): 7,
          ("clock_stopped", "special"): 9, ("clock_resumed", "special"): 10}
# a run of digits long enough to be an ID, a phone or an account number (a reason typed by an
# official may quote one): masked in the record as the public lookup masks them
_LONG_NUMBER = re.compile(r"\d{7,}[\dXx]?")


class ExchangeCase(NamedTuple):
    """A case with a status change in the exported span: what names it in every record."""

    case_id: int
    number: str
    power_code: str
    definition_id: int
    applicant: str


@dataclass(frozen=True)
class ExchangeExport:
    """One export to the provincial platform, kept so that the next incremental export goes on
    from where this one ended (table exchange_exports). Changes exported: ``since <= at <
    until`` (``since`` None: from the first)."""

    mode: str  # period, incremental
    since: datetime | None
    until: datetime
    records: int
    sha256: str  # of the records' canonical JSON (:func:`digest`)
    exported_by: str
    exported_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class ExchangeRecord:
    """One status change of a case in the exchange's shape. Times are local with their offset
    (2026-03-02T09:00:00+08:00), days YYYY-MM-DD; the applicant masked as the public sees it."""

    record_id: str  # case number and the event's sequence number: unique, stable
    case_number: str
    status_code: int
    status_name: str
    changed_at: str
    power_code: str
    power_name: str
    unit: str
    applicant: str
    received_at: str
    accepted_at: str | None
    promised_limit_days: int | None  # 承诺时限, working days
    statutory_limit_days: int | None  # 法定时限, working days
    promised_deadline: str | None  # 承诺办结日期 as it stood at the change
    statutory_deadline: str | None
    result: str | None  # the decision at a closing change: approved, deemed_approved, refused …
    deemed: bool  # 超时默许
    detail: str  # the reason, the missing materials, the special procedure …

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExchangeRecord:
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data]
        extra = [k for k in data if k not in names]
        if missing or extra:
            raise ValueError(f"exchange record: missing {missing}, unknown {extra}")
        return cls(**{n: data[n] for n in names})


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ExchangeRecord))


def status_code(event: AuditEvent) -> int | None:
    """The status code an event enters, or None when it changes no status."""
    if event.kind in _SIMPLE:
        return _SIMPLE[event.kind]
    if event.kind in ("clock_stopped", "clock_resumed"):
        return _STOPS.get((event.kind, str(event.payload.get("kind"))))
    if event.kind == "case_closed":
        try:
            return CaseState(str(event.payload.get("state"))).platform_code
        except ValueError:
            return None
    return None


def mask_numbers(text: str) -> str:
    """Long digit runs (ID, phone) as their first three and last four digits."""
    return _LONG_NUMBER.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 7) + m.group()[-4:],
                            text)


def _detail(event: AuditEvent) -> str:
    p = event.payload
    if event.kind == "supplement_requested":
        return "补正材料：" + "、".join(str(i) for i in p.get("items") or [])
    if event.kind in ("clock_stopped", "clock_resumed"):
        special = p.get("special") or ""
        text = p.get("reason") or ""
        if event.kind == "clock_resumed" and p.get("result"):
            text = f"{text}；结果：{p['result']}" if text else str(p["result"])
        return f"{special}：{text}" if special and special not in text else str(text)
    if event.kind in ("withdrawn", "terminated"):
        return str(p.get("reason") or "")
    if event.kind == "accepted":
        return str(p.get("note") or "")
    if event.kind == "supplement_received":
        return str(p.get("note") or "")
    return ""


def records_of(case: ExchangeCase, events: Sequence[AuditEvent], power: Mapping[str, Any], *,
               since: datetime | None, until: datetime, mask: Callable[[str], str],
               local: Callable[[datetime], str]) -> list[ExchangeRecord]:
    """The case's status changes with ``since <= at < until``, in order. ``events`` is the
    case's whole history (the deadlines and the acceptance come from before the span);
    ``power`` its version's catalogue entry; ``mask`` masks the applicant's name; ``local``
    writes an instant in local time with its offset."""
    out: list[ExchangeRecord] = []
    received_at: datetime | None = None
    accepted_at: datetime | None = None
    deadlines: dict[str, str | None] = {"promised": None, "statutory": None}
    not_accepted_reason = ""
    for ev in events:
        if ev.at >= until:
            break
        p = ev.payload
        for name in ("promised", "statutory"):
            if p.get(f"{name}_due"):
                deadlines[name] = str(p[f"{name}_due"])
        changes = p.get("changes") if ev.kind == "deadlines_recomputed" else None
        if isinstance(changes, dict):
            for name in ("promised", "statutory"):
                if isinstance(changes.get(name), list) and len(changes[name]) == 2:
                    deadlines[name] = str(changes[name][1])
        if ev.kind == "received":
            received_at = ev.at
        if ev.kind == "accepted":
            accepted_at = datetime.fromisoformat(p["accepted_at"]) if p.get(
                "accepted_at") else ev.at
        if ev.kind == "not_accepted":
            not_accepted_reason = str(p.get("reason") or "")
        code = status_code(ev)
        if code is None or (since is not None and ev.at < since):
            continue
        result = str(p["result"]) if ev.kind == "case_closed" and p.get("result") else None
        detail = _detail(ev)
        if code == 5 and not detail:
            detail = not_accepted_reason
        out.append(ExchangeRecord(
            record_id=f"{case.number}:{ev.seq}", case_number=case.number, status_code=code,
            status_name=STATUS_NAMES[code], changed_at=local(ev.at),
            power_code=case.power_code, power_name=str(power.get("name") or case.power_code),
            unit=str(power.get("unit") or ""), applicant=mask(case.applicant),
            received_at=local(received_at or ev.at),
            accepted_at=local(accepted_at) if accepted_at else None,
            promised_limit_days=_int(power.get("promised_limit")),
            statutory_limit_days=_int(power.get("statutory_limit")),
            promised_deadline=deadlines["promised"], statutory_deadline=deadlines["statutory"],
            result=result, deemed=result == "deemed_approved",
            detail=mask_numbers(detail)[:500]))
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sort_key(record: ExchangeRecord) -> tuple[str, str, int]:
    """Records in the order they happened (then by case and sequence)."""
    number, _, seq = record.record_id.rpartition(":")
    return (record.changed_at, number, int(seq))


def digest(records: Sequence[ExchangeRecord]) -> str:
    """SHA-256 of the records' canonical JSON: the receiver checks the file with it."""
    text = json.dumps([r.to_dict() for r in records], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
