"""A field projected since a later version (a step's form data) is compared only where the trail
recorded it: steps completed before are not reported, steps recorded since are."""

from __future__ import annotations

from engine.audit_replay import _differences

STEP = {"name": "审核", "status": "completed", "completed_by": "qian"}


def test_a_step_whose_trail_never_recorded_its_data_is_not_compared_on_it() -> None:
    actual = {"step:t1": {**STEP, "data": {"decision": "approve"}}}
    assert _differences({"step:t1": dict(STEP)}, actual, {}, {}) == []


def test_a_step_whose_trail_recorded_its_data_is_compared_on_it() -> None:
    expected = {"step:t1": {**STEP, "data": {"decision": "approve"}}}
    actual = {"step:t1": {**STEP, "data": {"decision": "refuse"}}}
    (problem,) = _differences(expected, actual, {"step:t1": 5}, {})
    assert problem == ('step 审核 (t1): data is {"decision": "refuse"} but the trail recorded '
                       '{"decision": "approve"} (event 5)')


def test_other_fields_missing_from_the_trail_are_still_reported() -> None:
    actual = {"step:t1": {**STEP, "assignee": "qian"}}
    (problem,) = _differences({"step:t1": dict(STEP)}, actual, {}, {})
    assert 'assignee is "qian" but the trail recorded null' in problem
