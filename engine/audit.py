"""Audit events, append-only and hash-chained per case.

Every change to a case writes events in the same transaction. Each event carries the hash of
the one before it in the same case, so deleting, reordering or editing a stored event breaks
the chain and ``verify_chain`` says where.

Events are written in hash version 2: the hash covers the payload with each personal value
(engine/personal.py) replaced by a salted commitment, so the values can be erased when their
retention ends (engine/services/retention.py) and the event still hashes as it was written.
Events of version 1 (written before) hash the plain payload; erasing one records its new
content's hash in the ``personal_data_erased`` event that follows it in the chain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from engine.model import AuditEvent
from engine.personal import committed, has_personal

GENESIS = "0" * 64
VERSION = 2  # the hash version new events are written in
ERASED_KIND = "personal_data_erased"


def event_hash(case_id: int, seq: int, at: datetime, actor: str, kind: str,
               payload: dict[str, Any], prev_hash: str, *, hash_version: int = 1,
               salt: str | None = None) -> str:
    at_utc = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    fields: list[Any] = [case_id, seq, at_utc.isoformat(), actor, kind, payload, prev_hash]
    if hash_version == 2:  # no salt: no personal value (or erased ones only) to commit
        fields = [2, *fields[:5], committed(payload, salt) if salt else payload, prev_hash]
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hash_of(ev: AuditEvent) -> str:
    """The hash ``ev``'s stored content gives (equal to ``ev.hash`` when it is intact)."""
    return event_hash(ev.case_id, ev.seq, ev.at, ev.actor, ev.kind, ev.payload, ev.prev_hash,
                      hash_version=ev.hash_version, salt=ev.salt)


def next_event(previous: AuditEvent | None, case_id: int, at: datetime, actor: str, kind: str,
               payload: dict[str, Any]) -> AuditEvent:
    seq = previous.seq + 1 if previous else 1
    prev = previous.hash if previous else GENESIS
    clean = json.loads(json.dumps(payload, ensure_ascii=False, default=str))
    salt = secrets.token_hex(16) if has_personal(clean) else None
    return AuditEvent(case_id, seq, at, actor, kind, clean, prev,
                      event_hash(case_id, seq, at, actor, kind, clean, prev,
                                 hash_version=VERSION, salt=salt),
                      hash_version=VERSION, salt=salt)


def erased(ev: AuditEvent) -> tuple[AuditEvent, str | None]:
    """``ev`` with its personal values erased, and — for a version 1 event, whose hash covered
    the plain values — the hash of its erased content, for the ``personal_data_erased`` event
    to record (version 2 events keep their hash: they were hashed over the commitments)."""
    if not has_personal(ev.payload):
        return ev, None
    if ev.hash_version == 2:
        return dataclasses.replace(ev, payload=committed(ev.payload, ev.salt or ""), salt=None), None
    out = dataclasses.replace(ev, payload=committed(ev.payload, secrets.token_hex(16)), salt=None)
    return out, hash_of(dataclasses.replace(out, hash_version=2))


def rewritten(events: Sequence[AuditEvent]) -> dict[int, str]:
    """Version 1 events erased since, by seq: the hash of their erased content, as recorded."""
    found: dict[int, str] = {}
    for ev in events:
        if ev.kind == ERASED_KIND:
            for seq, digest in (ev.payload.get("rewritten") or {}).items():
                found[int(seq)] = str(digest)
    return found


def verify_chain(events: Sequence[AuditEvent], *,
                 vouched: Mapping[int, str] | None = None) -> list[str]:
    """Problems with a case's stored chain, in order; [] when intact.

    Each problem names the event: one that was edited ("altered"), one whose predecessor is not
    the event before it ("does not follow"), a gap in the sequence numbers ("missing"), and an
    event stored out of sequence ("out of order"). Removing the latest events leaves a shorter
    chain that is still intact: that needs the last hash kept elsewhere to detect.
    """
    problems = []
    erased_v1 = rewritten(events) if vouched is None else vouched
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
        if ev.hash_version == 2 and ev.salt is None and has_personal(ev.payload):
            problems.append(f"event {ev.seq} ({ev.kind}) holds personal data whose salt is gone: "
                            f"it was altered after it was written")
        elif ev.hash_version == 1 and ev.seq in erased_v1:  # erased under retention
            if event_hash(ev.case_id, ev.seq, ev.at, ev.actor, ev.kind, ev.payload, ev.prev_hash,
                          hash_version=2) != erased_v1[ev.seq]:
                problems.append(f"event {ev.seq} ({ev.kind}) was altered after its personal "
                                f"data was erased")
        elif hash_of(ev) != ev.hash:
            problems.append(f"event {ev.seq} ({ev.kind}) was altered after it was written")
        prev = ev
    return problems
