"""The JSON API as a sequence of calls (schemathesis' state machine over the OpenAPI links in
/openapi.json): a case started by ``POST /api/cases`` leads to its record, accept, refuse,
supplement, the public lookup with its query code; ``GET /api/tasks`` leads to a step, its claim
and its completion, and a completion back to the case. Each call goes with the key of a user who
holds every post of the food licence (so chains can run to the decision), or a window clerk's
key, or no key at all, in turn.

Every answer: no 500; a status, content type and body the schema declares; an error body is
``{code, message, field}`` and nothing else. The run in ``make test`` is bounded (≈ 20 s); the
long one is marked ``reliability`` (``pytest -m reliability tests/web/test_web_fuzz.py``).
The figures each run prints are in docs/reliability.md.
"""

from __future__ import annotations

import collections
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from engine.services import cases, identity, views
from tests.staff import person
from tests.web.conftest import FOOD, SCJG, Site
from tests.web.test_web_schema import CHECKS

ALL_ROUND = "quanneng"  # window, handler and approver, holding every post of the food licence
OPERATIONS = 13


def error_body_is_code_message_field(ctx: Any, response: Any, case: Any) -> bool | None:
    """A refusal's body is exactly ``{code, message, field}`` (field may be null or absent)."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert {"code", "message"} <= set(body) <= {"code", "message", "field"}, body
    assert isinstance(body["code"], str) and body["code"] and isinstance(body["message"], str), body
    return None


def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """API keys hashed with argon2id at its lowest cost (every request still verifies in full)."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(identity, "_hash", cheap.hash)


def _callers(site: Site) -> list[dict[str, str]]:
    admin = identity.resolve(site.env, "admin")
    identity.add_user(site.env, by=admin, login=ALL_ROUND, name="全能", unit=SCJG,
                      roles=("window", "handler", "approver"),
                      posts=("窗口受理岗", "现场核查岗", "审核岗", "审批岗", "制证发证岗"))
    keys = {}
    for who in (ALL_ROUND, "chuangkou"):
        _, secret = identity.create_api_key(site.env, who, "state machine", by=admin)
        keys[who] = {"Authorization": f"Bearer {secret}"}
    # a case already waiting at 现场核查, so that the task list is never empty
    clerk = identity.resolve(site.env, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("王五"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    assert views.work_list(site.env, identity.resolve(site.env, ALL_ROUND))
    all_round = keys[ALL_ROUND]
    return [all_round, all_round, keys["chuangkou"], all_round, {}]


def _snapshot(site: Site) -> str:
    """A copy of the installation's database as it is now (SQLite's online backup)."""
    import sqlite3

    path = site.url.removeprefix("sqlite:///")
    copy = path + ".snapshot"
    with sqlite3.connect(path) as live, sqlite3.connect(copy) as out:
        live.backup(out)
    return copy


def _restore(site: Site, snapshot: str) -> None:
    """The installation back to the snapshot, under the application's feet (same file)."""
    import sqlite3

    with sqlite3.connect(snapshot) as copy, sqlite3.connect(site.url.removeprefix("sqlite:///")) as live:
        copy.backup(live)


def run_state_machine(site: Site, app: Any, monkeypatch: pytest.MonkeyPatch,
                      scenarios: int, steps: int) -> dict[str, Any]:
    _cheap_hashes(monkeypatch)
    rota = _callers(site)
    snapshot = _snapshot(site)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    @schema.hook
    def flatmap_body(ctx: Any, body: Any) -> Any:
        """A new case is, as often as not, for the power in service with a valid ID number:
        the chains that follow then start from a real case."""
        if ctx.operation.path != "/api/cases" or not isinstance(body, dict):
            return st.just(body)
        real = {**body, "power": FOOD, "id_type": "身份证", "id_number": "110101199003070011",
                "received_on": None}
        return st.sampled_from([real, body])
    stats: dict[str, Any] = {"requests": 0, "operations": collections.Counter(),
                             "statuses": collections.Counter(), "ok": collections.Counter()}
    checks = [*CHECKS, error_body_is_code_message_field]

    class APIWorkflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            """Each scenario starts from the same installation, its callers in the same turn
            (Hypothesis replays a scenario and needs the same answers)."""
            _restore(site, snapshot)
            self.calls = 0

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            headers = rota[self.calls % len(rota)]
            self.calls += 1
            stats["requests"] += 1
            return {"headers": dict(headers)}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            label = f"{case.method.upper()} {case.path}"
            stats["operations"][label] += 1
            stats["statuses"][response.status_code] += 1
            if response.status_code < 300:
                stats["ok"][label] += 1

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, checks=checks)

    # What Hypothesis draws differs between this file alone and the whole suite; a bounded run
    # that left an operation uncalled (the public lookup or the case record are reached only
    # through a created case's links) goes on, three times as long, rather than pass untested.
    for examples in (scenarios, 3 * scenarios):
        APIWorkflow.run(settings=settings(
            max_examples=examples, stateful_step_count=steps, deadline=None, derandomize=True,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck)))
        if len(stats["operations"]) == OPERATIONS:
            break
    print(f"\nstate machine: {stats['requests']} requests, "
          f"{len(stats['operations'])}/{OPERATIONS} operations, statuses {dict(stats['statuses'])}, "
          f"calls by operation {dict(stats['operations'])}, 2xx by operation {dict(stats['ok'])}")
    return stats


def test_chains_of_api_calls_get_no_500_and_nothing_outside_the_schema(
        site: Site, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stats = run_state_machine(site, app, monkeypatch, scenarios=40, steps=8)
    assert stats["statuses"][500] == 0
    assert len(stats["operations"]) == OPERATIONS, stats["operations"]
    # the links carried real numbers: the chains went past 404. (How deep a short run gets —
    # a step claimed through a link — depends on what Hypothesis draws, which differs between
    # a run of this file alone and the whole suite; the long run below asserts the claims.)
    for label in ("POST /api/cases", "GET /api/cases/{number}", "GET /api/tasks"):
        assert stats["ok"][label] > 0, (label, stats["ok"])


@pytest.mark.reliability
def test_a_long_run_of_chained_api_calls(site: Site, app: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    stats = run_state_machine(site, app, monkeypatch, scenarios=600, steps=20)
    assert stats["statuses"][500] == 0
    assert len(stats["operations"]) == OPERATIONS
    for label in ("POST /api/tasks/{task_id}/claim", "POST /api/tasks/{task_id}/complete"):
        assert stats["ok"][label] > 0, (label, stats["ok"])  # the chains reached the steps
