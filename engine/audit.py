"""Audit events, append-only and hash-chained per case.

Every change to a case writes events in the same transaction. Each event carries the hash of
the one before it in the same case, so deleting, reordering or editing a stored event breaks
the chain and ``verify_chain`` says where.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from engine.model import AuditEvent

GENESIS = "0" * 64


def event_hash(case_id: int, seq: int, at: datetime, actor: str, kind: str,
               payload: dict[str, Any], prev_hash: str) -> str:
    at_utc = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    body = json.dumps(
        [case_id, seq, at_utc.isoformat(), actor, kind, payload, prev_hash],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def next_event(previous: AuditEvent | None, case_id: int, at: datetime, actor: str, kind: str,
               payload: dict[str, Any]) -> AuditEvent:
    seq = previous.seq + 1 if previous else 1
    prev = previous.hash if previous else GENESIS
    clean = json.loads(json.dumps(payload, ensure_ascii=False, default=str))
    return AuditEvent(case_id, seq, at, actor, kind, clean, prev,
                      event_hash(case_id, seq, at, actor, kind, clean, prev))


def verify_chain(events: Sequence[AuditEvent]) -> list[str]:
    """Problems with a case's stored chain, in order; [] when intact.

    Each problem names the event: one that was edited ("altered"), one whose predecessor is not
    the event before it ("does not follow"), a gap in the sequence numbers ("missing"), and an
    event stored out of sequence ("out of order"). Removing the latest events leaves a shorter
    chain that is still intact: that needs the last hash kept elsewhere to detect.
    """
    problems = []
    present = {ev.seq for ev in events}
    last = max(present, default=0)
    for seq in range(1, last + 1):
        if seq not in present:
            problems.append(f"event {seq} is missing: it was deleted (the events after it "
                            f"still carry its hash)")
    prev: AuditEvent | None = None
    for ev in events:
        if prev is not None and ev.seq <= prev.seq:
            problems.append(f"event {ev.seq} ({ev.kind}) is out of order: it is stored after "
                            f"event {prev.seq}")
        expected_prev = prev.hash if prev is not None else GENESIS
        if ev.prev_hash != expected_prev:
            before = f"event {prev.seq} ({prev.kind})" if prev is not None else "the start"
            problems.append(f"event {ev.seq} ({ev.kind}) does not follow {before} before it")
        if event_hash(ev.case_id, ev.seq, ev.at, ev.actor, ev.kind, ev.payload, ev.prev_hash) != ev.hash:
            problems.append(f"event {ev.seq} ({ev.kind}) was altered after it was written")
        prev = ev
    return problems
