"""The JSON API against its own description (/openapi.json), with schemathesis: for every
operation under /api/, data that fits the schema and data that does not, sent by a window
clerk's API key, an approver's and no key at all. No answer may be a 500, and every answer —
its status, content type and body — must be one the schema declares.

Examples are bounded (a few dozen per operation and caller) so the whole file takes seconds, not
minutes; a fresh installation per operation, with one case waiting at the window and one at
审批决定, so that real case numbers and step ids are among the values tried.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.services import cases, identity, views
from tests.staff import person
from tests.web.conftest import FOOD, Site

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CALLERS = ("chuangkou", "juzhang", "anonymous")  # a window clerk, an approver, nobody


def _seed(site: Site) -> dict[str, str]:
    """A case at the window and one waiting for 审批决定: real numbers and step ids."""
    def as_(login: str) -> Any:
        return identity.resolve(site.env, login)

    fresh = cases.start_case(site.env, FOOD, person("张小三"), actor=as_("chuangkou")).number
    number = cases.start_case(site.env, FOOD, person("李四"), actor=as_("chuangkou")).number
    cases.accept(site.env, number, actor=as_("chuangkou"))
    for who in ("hecha", "shenhe"):
        step = next(t for t in views.work_list(site.env, as_(who)) if t.case_number == number)
        cases.complete_task(site.env, step.id, actor=as_(who), data={"opinion": "同意"})
    decision = next(t for t in views.work_list(site.env, as_("juzhang")))
    return {"fresh": fresh, "number": number, "step": decision.id,
            "query_code": cases.case_view(site.env, number).query_code}


@pytest.fixture
def keys(site: Site, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    """The Authorization header of each caller (none for nobody). The keys are hashed with
    argon2id at its lowest cost: every request still verifies its key in full, in well under
    a millisecond instead of the 0.3 s the production parameters take on this machine."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(identity, "_hash", cheap.hash)
    out: dict[str, dict[str, str]] = {"anonymous": {}}
    for login_name in CALLERS:
        if login_name != "anonymous":
            _, secret = identity.create_api_key(site.env, login_name, "schemathesis",
                                                by=identity.resolve(site.env, "admin"))
            out[login_name] = {"Authorization": f"Bearer {secret}"}
    return out


def _described() -> Any:
    """The API's description as the application gives it (no database needed to describe)."""
    from types import SimpleNamespace

    from adapters.web.app import create_app

    return schemathesis.openapi.from_dict(create_app(SimpleNamespace()).openapi())  # type: ignore[arg-type]


schema = _described()
SEEDED: dict[str, str] = {}  # this test's real case numbers and step id (see ``seeded``)


@schema.hook
def flatmap_path_parameters(ctx: Any, path_parameters: dict[str, Any] | None) -> Any:
    """As well as what was generated, the real case numbers, step id and power code, so that
    actions get past 404 to the services' own checks."""
    if not path_parameters or not SEEDED:
        return st.just(path_parameters)
    real = []
    for number in (SEEDED["fresh"], SEEDED["number"]):
        values = dict(path_parameters)
        if "number" in values:
            values["number"] = number
        if "task_id" in values:
            values["number"], values["task_id"] = SEEDED["number"], SEEDED["step"]
        if "code" in values:
            values["code"] = FOOD
        real.append(values)
    return st.sampled_from([path_parameters, *real])


@pytest.fixture
def seeded(site: Site) -> Any:
    SEEDED.update(_seed(site))
    yield SEEDED
    SEEDED.clear()


FUZZ = settings(max_examples=15, deadline=None, derandomize=True,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_a_window_clerks_key_gets_no_500_and_nothing_outside_the_schema(
        case: Any, app: Any, seeded: Any, keys: dict[str, dict[str, str]]) -> None:
    case.call_and_validate(app=app, headers=keys["chuangkou"], checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_an_approvers_key_gets_no_500_and_nothing_outside_the_schema(
        case: Any, app: Any, seeded: Any, keys: dict[str, dict[str, str]]) -> None:
    case.call_and_validate(app=app, headers=keys["juzhang"], checks=CHECKS)


@schema.parametrize()
@settings(FUZZ, max_examples=6)  # nearly every answer is a 401 or a 400: fewer are enough
def test_no_key_gets_no_500_and_nothing_outside_the_schema(
        case: Any, app: Any, seeded: Any, keys: dict[str, dict[str, str]]) -> None:
    case.call_and_validate(app=app, headers=keys["anonymous"], checks=CHECKS)


def test_the_schema_declares_every_api_operation_with_its_errors(app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert all(p.startswith("/api/") for _, p in operations)  # the pages are not in it
    for expected in (("POST", "/api/cases"), ("GET", "/api/cases/{number}"),
                     ("POST", "/api/cases/{number}/accept"), ("POST", "/api/cases/{number}/refuse"),
                     ("POST", "/api/cases/{number}/supplement"), ("GET", "/api/tasks"),
                     ("POST", "/api/tasks/{task_id}/claim"),
                     ("POST", "/api/tasks/{task_id}/complete"), ("GET", "/api/lookup"),
                     ("GET", "/api/catalogue"), ("GET", "/api/catalogue/{code}")):
        assert expected in operations, expected
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status in ("400", "404"):
                body = op["responses"][status]["content"]["application/json"]["schema"]
                assert body == error, (method, path, status)
            if path not in ("/api/lookup", "/api/catalogue", "/api/catalogue/{code}"):
                assert {"401", "403", "409"} <= set(op["responses"]), (method, path)
                assert op.get("security") == [{"ApiKey": []}], (method, path)
    assert set(spec["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message"}
