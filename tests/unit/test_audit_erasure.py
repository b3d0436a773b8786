"""Erasing personal values from audit events keeps the chain verifying (engine/audit.py,
engine/personal.py): version 2 events keep their own hash; version 1 events (written before)
are vouched for by the hash the erasure event records. Tampering is still found afterwards."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from engine.audit import ERASED_KIND, GENESIS, erased, event_hash, next_event, verify_chain
from engine.model import AuditEvent
from engine.personal import ERASED, blanked, committed, has_personal, mask

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
PHONE, ID = "13912345678", "110101199003070011"
APPLICATION = {"business_name": "张记小吃", "agent_phone": PHONE,
               "legal": {"name": "张三", "id_number": ID}, "lines": [{"tel": "010-5555666"}]}


def _chain() -> list[AuditEvent]:
    first = next_event(None, 7, AT, "chuangkou", "received", {"data": APPLICATION})
    second = next_event(first, 7, AT + dt.timedelta(hours=1), "chuangkou", "accepted", {})
    return [first, second]


def _text(ev: AuditEvent) -> str:
    return json.dumps(ev.payload, ensure_ascii=False)


def test_an_event_with_personal_values_gets_a_salt_and_one_without_none() -> None:
    first, second = _chain()
    assert first.hash_version == 2 and first.salt and len(first.salt) == 32
    assert second.salt is None
    assert verify_chain([first, second]) == []


def test_erasing_keeps_the_hash_and_leaves_no_personal_value() -> None:
    first, second = _chain()
    out, digest = erased(first)
    assert digest is None and out.hash == first.hash and out.salt is None
    assert not has_personal(out.payload)
    for value in (PHONE, ID, "010-5555666"):
        assert value not in _text(out)
    assert out.payload["data"]["business_name"] == "张记小吃"  # not personal: kept
    assert out.payload["data"]["legal"]["name"] == "张三"
    assert out.payload["data"]["agent_phone"].startswith(ERASED)
    assert verify_chain([out, second]) == []
    assert erased(out) == (out, None)  # nothing left to erase


def test_commitments_depend_on_the_salt_and_the_place() -> None:
    a = committed({"phone": PHONE, "agent_phone": PHONE}, "s1")
    b = committed({"phone": PHONE}, "s2")
    assert a["phone"] != a["agent_phone"]  # the same number in two places is not linkable
    assert a["phone"] != b["phone"]
    assert committed(a, "other") == a  # erased values stay as they are


def test_an_erased_event_edited_afterwards_is_reported() -> None:
    first, second = _chain()
    out, _ = erased(first)
    out.payload["data"]["business_name"] = "李记小吃"
    assert verify_chain([out, second]) == ["event 1 (received) was altered after it was written"]
    out, _ = erased(first)
    out.payload["data"]["agent_phone"] = ERASED + "0" * 64
    assert verify_chain([out, second]) == ["event 1 (received) was altered after it was written"]


def test_a_salt_removed_while_the_values_are_kept_is_reported() -> None:
    first, second = _chain()
    (problem,) = verify_chain([dataclasses.replace(first, salt=None), second])
    assert "salt is gone" in problem and problem.startswith("event 1 (received)")


def _v1(prev: AuditEvent | None, seq: int, kind: str, payload: dict[str, object]) -> AuditEvent:
    prev_hash = prev.hash if prev else GENESIS
    at = AT + dt.timedelta(minutes=seq)
    return AuditEvent(7, seq, at, "chuangkou", kind, payload, prev_hash,
                      event_hash(7, seq, at, "chuangkou", kind, payload, prev_hash))


def test_a_version_1_event_is_vouched_for_by_the_erasure_event() -> None:
    old = _v1(None, 1, "received", {"data": dict(APPLICATION)})
    accepted = _v1(old, 2, "accepted", {})
    assert verify_chain([old, accepted]) == []
    out, digest = erased(old)
    assert digest is not None and out.hash == old.hash and PHONE not in _text(out)
    record = next_event(accepted, 7, AT + dt.timedelta(days=1900), "admin", ERASED_KIND,
                        {"events": [1], "rewritten": {"1": digest}})
    assert verify_chain([out, accepted, record]) == []
    # without the erasure event's word for it, the erased version 1 event does not verify
    assert verify_chain([out, accepted]) == ["event 1 (received) was altered after it was written"]
    # and an edit after the erasure is found
    assert verify_chain([dataclasses.replace(out, actor="someone"), accepted, record]) == [
        "event 1 (received) was altered after its personal data was erased"]


def test_blanking_case_data_counts_what_it_erased() -> None:
    data = {"application": APPLICATION, "applicant_id": {"type": "身份证", "number": ID},
            "contact": {"phone": PHONE}, "audit_head": [3, "ab"], "empty_phone": ""}
    out, n = blanked(data)
    assert n == 5 and out["applicant_id"] == ERASED and out["audit_head"] == [3, "ab"]
    assert ID not in json.dumps(out) and PHONE not in json.dumps(out)
    assert blanked(out) == (out, 0)


def test_masking_is_stable() -> None:
    assert mask(PHONE) == "139****5678" and mask(mask(PHONE)) == "139****5678"
    assert mask("zhang@example.cn") == "z***@example.cn"
