"""Notices to the applicant: queued with the change that caused them, delivered by the worker.

``queue`` writes the notices a change causes (``engine.documents.notices_for``) into the outbox
in the same unit of work as the case, so a notice exists exactly when its change committed.
``deliver_due`` is one delivery pass: it claims the due rows in a short transaction, sends each
through its channel's sender outside any transaction, and marks it sent, or failed with a retry
after a growing pause (1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h); after the eighth failed
attempt it gives up and the row stays ``failed`` for a person to deliver another way. One
failing notice never stops the others. A worker killed between sending and marking sends that
notice again after the claim's lease (at least once; the dedupe key keeps the queue itself
free of doubles).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.case import Case
from engine.documents import Channel, Document, Notice, current_document
from engine.identity import Actor
from engine.ports import Sender, UnitOfWork
from engine.services.context import Env

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=10)  # a claimed row is due again after this if its worker died
CHANNEL_LABELS = {"print": "书面", "email": "电子邮件", "sms": "短信"}
STATUS_LABELS = {"pending": "待送达", "sent": "已送达", "failed": "送达失败"}


def queue(uow: UnitOfWork, case: Case, notices: Sequence[Notice], now: datetime) -> None:
    """Write ``notices`` (from ``notices_for(case)``, taken before the save) into the outbox, in
    the unit of work that saved ``case`` — call it after ``uow.cases.save(case)`` and before the
    commit. A notice whose dedupe key is stored already is skipped."""
    if notices:
        uow.outbox.add([n if n.case_id is not None else _with_case_id(n, case) for n in notices],
                       now)


def _with_case_id(notice: Notice, case: Case) -> Notice:
    from dataclasses import replace

    return replace(notice, case_id=case.id)


def retry_after(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0  # failed this time, tried again later
    gave_up: int = 0  # failed for the last time: status failed
    errors: tuple[str, ...] = ()  # "case number kind channel: error", one per failure


def deliver_due(env: Env, senders: Mapping[Any, Sender], now: datetime | None = None,
                limit: int = 100) -> DeliveryReport:
    """One delivery pass over the due notices of the channels that have a sender (the others
    wait, e.g. e-mail with no mail server configured)."""
    by_channel = {str(getattr(k, "value", k)): s for k, s in senders.items()}
    if not by_channel:
        return DeliveryReport()
    with env.uow() as uow:
        rows = uow.outbox.due(env.now(now), limit, channels=sorted(by_channel), lease=LEASE)
        uow.commit()
    sent = retrying = gave_up = 0
    errors: list[str] = []
    for row in rows:
        assert row.id is not None
        try:
            by_channel[row.channel.value].send(row.document, row.recipient, key=row.dedupe)
        except Exception as err:  # any failure of a channel is this notice's, never the pass's
            at = env.now(now)
            give_up = row.attempts >= MAX_ATTEMPTS
            text = f"{type(err).__name__}: {err}"[:1000]
            with env.uow() as uow:
                uow.outbox.mark_failed(row.id, at, text, at + retry_after(row.attempts), give_up)
                uow.commit()
            gave_up += give_up
            retrying += not give_up
            errors.append(f"{row.case_number} {row.kind} {row.channel.value}: {text}")
            continue
        with env.uow() as uow:
            uow.outbox.mark_sent(row.id, env.now(now))
            uow.commit()
        sent += 1
    return DeliveryReport(sent=sent, retrying=retrying, gave_up=gave_up, errors=tuple(errors))


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeView:
    """A notice and its delivery state as the case file and `notice list` show it; the recipient
    masked (个人信息保护法)."""

    id: int
    case_number: str
    kind: str
    title: str
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    created: datetime | None
    sent: datetime | None
    next_attempt: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "case_number": self.case_number, "kind": self.kind,
                "title": self.title, "channel": self.channel,
                "channel_label": CHANNEL_LABELS.get(self.channel, self.channel),
                "recipient": self.recipient, "status": self.status,
                "status_label": STATUS_LABELS.get(self.status, self.status),
                "attempts": self.attempts, "last_error": self.last_error,
                "created": _iso(self.created), "sent": _iso(self.sent),
                "next_attempt": _iso(self.next_attempt) if self.status == "pending" else None}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def mask_recipient(channel: Channel | str, recipient: str) -> str:
    """138****1234; zh***@example.com; an address's first six characters."""
    kind = str(getattr(channel, "value", channel))
    if kind == "sms":
        digits = recipient.strip()
        return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****" + digits[-2:]
    if kind == "email" and "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:2]}***@{domain}"
    return recipient if len(recipient) <= 6 else recipient[:6] + "…"


def notice_views(rows: Sequence[Notice]) -> list[NoticeView]:
    return [NoticeView(id=n.id or 0, case_number=n.case_number, kind=n.kind,
                       title=n.document.title, channel=n.channel.value,
                       recipient=mask_recipient(n.channel, n.recipient), status=n.status.value,
                       attempts=n.attempts, last_error=n.last_error, created=n.created_at,
                       sent=n.sent_at, next_attempt=n.next_attempt_at) for n in rows]


def case_notices(env: Env, number: str) -> list[NoticeView]:
    """The notices of one case, oldest first (the case file)."""
    with env.uow() as uow:
        case = uow.cases.get(number)
        return notice_views(uow.outbox.for_case(case.id or 0))


def list_notices(env: Env, *, case_number: str | None = None, status: str | None = None,
                 limit: int = 200) -> list[NoticeView]:
    """Notices, newest first (`notice list`)."""
    with env.uow() as uow:
        return notice_views(uow.outbox.list(case_number=case_number, status=status, limit=limit))


def receipt_document(env: Env, number: str, *, reader: Actor | None = None) -> Document:
    """The notice that applies to the case now (`case receipt`), for a reader who may read
    the case (``None``: the operator's console)."""
    from engine.catalogue import Power
    from engine.services.cases import check_reader

    calendar = env.calendar()  # loaded before the unit of work opens (SQLite: one writer)
    with env.uow() as uow:
        case = uow.cases.get(number)
        power = Power.from_dict(uow.definitions.get(case.definition_id).power)
    check_reader(env, case, reader, power.unit)
    return current_document(case, power, calendar)
