"""Audit events, append-only and hash-chained per case.

Every change to a case writes events in the same transaction. Each event carries the hash of
the one before it in the same case, so deleting, reordering or editing a stored event breaks
the chain and ``verify_chain`` says where.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from engine.model import AuditEvent

GENESIS = "0" * 64


def event_hash(case_id: int, seq: int, at: datetime, actor: str, kind: str,
               payload: dict[str, Any], prev_hash: str) -> str:
    at_utc = (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
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
    """Problems with a case's stored chain, in order; [] when intact."""
    problems = []
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            problems.append(f"event {expected_seq} is missing (found seq {ev.seq})")
        if ev.prev_hash != prev:
            problems.append(f"event {ev.seq} does not follow the event before it")
        if event_hash(ev.case_id, ev.seq, ev.at, ev.actor, ev.kind, ev.payload, ev.prev_hash) != ev.hash:
            problems.append(f"event {ev.seq} ({ev.kind}) was altered after it was written")
        prev = ev.hash
    return problems
