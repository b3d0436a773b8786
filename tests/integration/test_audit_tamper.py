"""Tampering with a case's stored audit trail is detected, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from engine.services import cases as svc
from engine.services.supervision import case_record
from tests.staff import CLERK, A, person  # noqa: F401


def _case(env):  # noqa: ANN001, ANN202
    case = svc.start_case(env, "XK-SPJY-001", person("张三"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"))
    return case


def test_an_untouched_trail_is_intact(env):
    assert case_record(env, _case(env).number)["audit_chain"] == "intact"


def test_editing_a_stored_event_is_detected(env):
    case = _case(env)
    with env.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET actor = '某人' WHERE seq = 2 AND case_id = "
                             "(SELECT id FROM cases WHERE number = :n)"), {"n": case.number})
    problems = case_record(env, case.number)["audit_chain"]
    assert problems != "intact" and any("event 2" in p for p in problems)


def test_deleting_the_latest_events_is_detected(env):
    case = _case(env)
    with env.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE case_id = (SELECT id FROM cases "
                             "WHERE number = :n) AND seq >= 3"), {"n": case.number})
    problems = case_record(env, case.number)["audit_chain"]
    assert problems != "intact" and any("deleted" in p for p in problems)


def test_the_public_lookup_needs_the_query_code_and_masks_the_name(env):
    import pytest

    from engine.errors import NotFound
    from engine.services.supervision import public_lookup

    case = svc.start_case(env, "XK-SPJY-001", person("欧阳小明"), actor=A(CLERK))
    svc.accept(env, case.number, actor=A("王窗口"))
    view = public_lookup(env, case.number, case.query_code)
    assert view["applicant"] == "欧**明"
    assert view["promised_deadline"] and view["statutory_deadline"]
    assert "欧阳小明" not in str(view) and case.query_code not in str(view)
    with pytest.raises(NotFound):
        public_lookup(env, case.number, "WRONGCOD")
