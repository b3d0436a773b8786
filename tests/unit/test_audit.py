"""The audit trail (engine.audit): every event carries the hash of the one before it, so editing,
deleting or reordering stored events is detected and ``verify_chain`` names the event."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from adapters.memory import FakeClock, memory_env
from engine.audit import GENESIS, next_event, verify_chain
from engine.model import AuditEvent
from engine.services import cases
from engine.services.catalogue_admin import deploy
from engine.services.supervision import case_record
from tests.staff import CLERK, A, person  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def chain(n: int = 4, case_id: int = 7) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    kinds = ["received", "accepted", "step_completed", "case_closed", "card_issued"]
    for i in range(n):
        events.append(next_event(events[-1] if events else None, case_id,
                                 T0 + dt.timedelta(hours=i), f"官员{i}", kinds[i % len(kinds)],
                                 {"step": f"环节{i}", "amount": i * 10, "at": T0}))
    return events


def test_a_chain_as_written_is_intact() -> None:
    events = chain()
    assert verify_chain(events) == []
    assert events[0].prev_hash == GENESIS
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))


def test_an_empty_chain_is_intact() -> None:
    assert verify_chain([]) == []


def test_payloads_are_stored_as_json_so_the_hash_survives_a_database_round_trip() -> None:
    event = chain(1)[0]
    assert event.payload["at"] == str(T0)  # a datetime in a payload is stored as its text
    assert verify_chain([dataclasses.replace(event, payload=dict(event.payload))]) == []


def test_an_edited_payload_is_named_as_altered() -> None:
    events = chain()
    events[1] = dataclasses.replace(events[1], payload={**events[1].payload, "amount": 999})
    assert verify_chain(events) == ["event 2 (accepted) was altered after it was written"]


@pytest.mark.parametrize("field,value", [("actor", "别人"), ("kind", "refused"),
                                         ("at", T0 + dt.timedelta(days=1))])
def test_an_edited_actor_kind_or_time_is_named_as_altered(field: str, value: object) -> None:
    events = chain()
    events[2] = dataclasses.replace(events[2], **{field: value})
    problems = verify_chain(events)
    assert len(problems) == 1 and problems[0].startswith("event 3 (") and "altered" in problems[0]


def test_an_edit_with_a_recomputed_hash_still_breaks_the_next_link() -> None:
    events = chain()
    forged = next_event(events[0], 7, events[1].at, events[1].actor, events[1].kind,
                        {"step": "伪造"})
    events[1] = forged
    assert verify_chain(events) == ["event 3 (step_completed) does not follow event 2 (accepted) "
                                    "before it"]


def test_a_deleted_event_is_named_as_missing() -> None:
    events = chain()
    del events[1]
    problems = verify_chain(events)
    assert problems[0].startswith("event 2 is missing")
    assert "event 3 (step_completed) does not follow event 1 (received) before it" in problems
    assert len(problems) == 2  # nothing said about the events after it


def test_a_deleted_first_event_is_named() -> None:
    problems = verify_chain(chain()[1:])
    assert problems[0].startswith("event 1 is missing")
    assert "event 2 (accepted) does not follow the start before it" in problems


def test_reordered_events_are_named_as_out_of_order() -> None:
    events = chain()
    events[1], events[2] = events[2], events[1]
    problems = verify_chain(events)
    assert "event 2 (accepted) is out of order: it is stored after event 3" in problems
    assert any(p.startswith("event 3 (step_completed) does not follow") for p in problems)
    assert not any("altered" in p for p in problems)


def test_swapped_sequence_numbers_are_named() -> None:
    events = chain()
    a, b = events[1], events[2]
    events[1], events[2] = dataclasses.replace(b, seq=2), dataclasses.replace(a, seq=3)
    problems = verify_chain(events)
    assert any(p.startswith("event 2 (step_completed) was altered") for p in problems)
    assert any(p.startswith("event 3 (accepted) was altered") for p in problems)


def test_an_event_from_another_case_spliced_in_is_detected() -> None:
    mine, other = chain(case_id=7), chain(case_id=8)
    mine[2] = other[2]
    assert any(p.startswith("event 3") for p in verify_chain(mine))


# -- on a real case, through the stored rows ---------------------------------------------------


@pytest.fixture
def env_with_case() -> tuple:
    clock = FakeClock("2026-03-02T09:00")
    env = memory_env(clock)
    deploy(env, [str(ROOT / "processes" / "food_business_licence.bpmn")], actor=A("designer"))
    case = cases.start_case(env, "XK-SPJY-001", person("张三餐饮店"), actor=A(CLERK))
    cases.accept(env, case.number, actor=A("李窗口"))
    return env, cases.find_case(env, case.number)


def test_a_real_case_record_shows_an_intact_chain(env_with_case: tuple) -> None:
    env, case = env_with_case
    record = case_record(env, case.number)
    assert record["audit_chain"] == "intact"
    assert [h["seq"] for h in record["history"]] == list(range(1, len(record["history"]) + 1))


def test_tampering_with_a_stored_event_shows_in_the_case_record(env_with_case: tuple) -> None:
    env, case = env_with_case
    table = env.uow.tables["audit"]
    key = (case.id, 2)
    table[key] = dataclasses.replace(table[key], actor="冒名顶替")
    chain_state = case_record(env, case.number)["audit_chain"]
    assert chain_state != "intact"
    assert chain_state[0].startswith("event 2 (") and "altered" in chain_state[0]


def test_deleting_a_stored_event_shows_in_the_case_record(env_with_case: tuple) -> None:
    env, case = env_with_case
    del env.uow.tables["audit"][(case.id, 3)]
    chain_state = case_record(env, case.number)["audit_chain"]
    assert chain_state[0].startswith("event 3 is missing")
