"""The JSON API through the ASGI test client, called as another government system would: with
API keys. A case from 收件 to 办结 (idempotent start, accept, refuse, 一次性告知, claim,
complete), every error as {code, message, field?}, bad input a 400 and never a 500, and every
permission refusal the pages make made here too (403 permission_denied, recorded) — a clerk's
key cannot complete 审批决定, and nobody's task list holds another post's steps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.services import cases, identity
from tests.staff import id_number
from tests.web.conftest import FOOD, Site

APPLICATION = {"power": FOOD, "applicant": "张小三", "id_type": "身份证",
               "id_number": id_number("张小三"), "phone": "13800001234"}


@pytest.fixture
def api(app: Any) -> Iterator[Any]:
    """A caller with no cookies: only what each request carries."""
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def key(site: Site, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``key("chuangkou")``: the Authorization header of an API key acting as that user
    (argon2id at its lowest cost: verified in full, quickly)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(identity, "_hash", PasswordHasher(time_cost=1, memory_cost=8,
                                                          parallelism=1).hash)
    made: dict[str, dict[str, str]] = {}

    def make(login_name: str) -> dict[str, str]:
        if login_name not in made:
            _, secret = identity.create_api_key(site.env, login_name, "省政务服务平台",
                                                by=identity.resolve(site.env, "admin"))
            made[login_name] = {"Authorization": f"Bearer {secret}"}
        return made[login_name]
    return make


def error(r: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message"], body
    assert set(body) <= {"code", "message", "field"}
    if field is not None:
        assert body.get("field") == field, body
    return body  # type: ignore[no-any-return]


def start(api: Any, key: Any, **extra: Any) -> Any:
    return api.post("/api/cases", json={**APPLICATION, **extra}, headers=key("chuangkou"))


def my_task(api: Any, key: Any, login_name: str, number: str) -> str:
    r = api.get("/api/tasks", headers=key(login_name))
    assert r.status_code == 200
    return next(t["id"] for t in r.json() if t["case_number"] == number)  # type: ignore[no-any-return]


# -- a case from 收件 to 办结 ------------------------------------------------------------------


def test_a_case_worked_to_the_end_through_the_api(site: Site, api: Any, key: Any) -> None:
    r = start(api, key, request_key="prov-0001")
    assert r.status_code == 201, r.text
    case = r.json()
    number = case["number"]
    assert case["state"] == "received" and case["existing"] is False and case["query_code"]
    r = api.post(f"/api/cases/{number}/accept", json={"note": "材料齐全"},
                 headers=key("chuangkou"))
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    assert r.json()["promised_day"] and r.json()["statutory_day"]
    for who in ("hecha", "shenhe"):
        step = my_task(api, key, who, number)
        r = api.post(f"/api/tasks/{step}/claim", headers=key(who))
        assert r.status_code == 200 and r.json()["assignee"] == who
        r = api.post(f"/api/tasks/{step}/complete", json={"data": {"opinion": "同意"}},
                     headers=key(who))
        assert r.status_code == 200, r.text
    step = my_task(api, key, "juzhang", number)
    form = api.get(f"/api/cases/{number}/steps/{step}", headers=key("juzhang")).json()
    decision = next(f for f in form["fields"] if f["name"] == "decision")
    assert decision["type"] == "choice" and "approve" in [o["value"] for o in decision["options"]]
    r = api.post(f"/api/tasks/{step}/complete", json={"data": {"decision": "approve",
                                                               "opinion": "准予许可"}},
                 headers=key("juzhang"))
    assert r.status_code == 200, r.text
    record = api.get(f"/api/cases/{number}", headers=key("hecha")).json()
    assert record["number"] == number and len(record["steps"]) >= 4
    assert {"chuangkou", "hecha", "shenhe", "juzhang"} <= {s["person"] for s in record["steps"]}
    assert record["audit_chain"] == "intact"


def test_a_retried_start_with_the_same_request_key_returns_the_first_case(
        site: Site, api: Any, key: Any) -> None:
    first = start(api, key, request_key="prov-0002")
    again = start(api, key, request_key="prov-0002")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"] and again.json()["existing"] is True
    other = start(api, key, request_key="prov-0002", applicant="李四", id_number=id_number("李四"))
    error(other, 409, "invalid_action", "request_key")
    assert len(cases.find_case(site.env, first.json()["number"]).steps) >= 1
    r = start(api, key)  # without a key: a new case each time
    assert r.status_code == 201 and r.json()["number"] != first.json()["number"]


def test_refusing_and_asking_once_for_missing_materials(site: Site, api: Any, key: Any) -> None:
    number = start(api, key).json()["number"]
    error(api.post(f"/api/cases/{number}/refuse", json={"reason": "  "},
                   headers=key("chuangkou")), 409, "invalid_action", "reason")
    r = api.post(f"/api/cases/{number}/supplement",
                 json={"items": ["从业人员健康证明", "经营场所平面图"]}, headers=key("chuangkou"))
    assert r.status_code == 200 and r.json()["state"] == "in_correction"
    r = api.post(f"/api/cases/{number}/supplement-received", json={"note": "已补齐"},
                 headers=key("chuangkou"))
    assert r.status_code == 200 and r.json()["state"] == "received"
    other = start(api, key, applicant="王五", id_number=id_number("王五")).json()["number"]
    r = api.post(f"/api/cases/{other}/refuse", json={"reason": "不属于本机关职权范围"},
                 headers=key("chuangkou"))
    assert r.status_code == 200 and r.json()["state"] == "not_accepted"
    error(api.post(f"/api/cases/{other}/accept", json={}, headers=key("chuangkou")),
          409, "invalid_action")


# -- the same permissions as the pages --------------------------------------------------------


def at_decision(api: Any, key: Any) -> tuple[str, str]:
    number = start(api, key).json()["number"]
    api.post(f"/api/cases/{number}/accept", json={}, headers=key("chuangkou"))
    for who in ("hecha", "shenhe"):
        api.post(f"/api/tasks/{my_task(api, key, who, number)}/complete",
                 json={"data": {"opinion": "同意"}}, headers=key(who))
    return number, my_task(api, key, "juzhang", number)


def test_a_clerks_key_cannot_complete_the_decision(site: Site, api: Any, key: Any) -> None:
    number, step = at_decision(api, key)
    before = len(identity.denials(site.env, login="chuangkou"))
    r = api.post(f"/api/tasks/{step}/complete", json={"data": {"decision": "approve"}},
                 headers=key("chuangkou"))
    body = error(r, 403, "permission_denied")
    assert "权限不足" in body["message"] and "审批岗" in body["message"]
    error(api.post(f"/api/tasks/{step}/claim", headers=key("chuangkou")), 403,
          "permission_denied")
    assert len(identity.denials(site.env, login="chuangkou")) == before + 2  # recorded
    assert cases.case_view(site.env, number).state.value == "accepted"  # nothing changed


def test_only_the_window_receives_accepts_refuses_and_asks_for_materials(
        site: Site, api: Any, key: Any) -> None:
    error(api.post("/api/cases", json=APPLICATION, headers=key("hecha")), 403,
          "permission_denied")
    number = start(api, key).json()["number"]
    for action, body in (("accept", {}), ("refuse", {"reason": "理由"}),
                         ("supplement", {"items": ["材料"]}), ("supplement-received", {})):
        error(api.post(f"/api/cases/{number}/{action}", json=body, headers=key("juzhang")),
              403, "permission_denied")
    assert cases.case_view(site.env, number).state.value == "received"


def test_a_task_list_holds_only_the_callers_steps(site: Site, api: Any, key: Any) -> None:
    number = start(api, key).json()["number"]
    api.post(f"/api/cases/{number}/accept", json={}, headers=key("chuangkou"))
    step = my_task(api, key, "hecha", number)
    for other in ("shenhe", "juzhang", "chuangkou"):  # not "all tasks": only their own
        assert step not in [t["id"] for t in api.get("/api/tasks", headers=key(other)).json()]
    error(api.post(f"/api/tasks/{step}/claim", headers=key("shenhe")), 403, "permission_denied")
    error(api.post(f"/api/tasks/{step}/complete", json={"data": {"opinion": "同意"}},
                   headers=key("shenhe")), 403, "permission_denied")
    assert api.post(f"/api/tasks/{step}/claim", headers=key("hecha")).status_code == 200
    error(api.post(f"/api/tasks/{step}/claim", headers=key("juzhang")), 403, "permission_denied")


def test_a_revoked_key_and_a_disabled_users_key_open_nothing(site: Site, api: Any,
                                                             key: Any) -> None:
    admin = identity.resolve(site.env, "admin")
    clerk = key("chuangkou")
    assert api.get("/api/tasks", headers=clerk).status_code == 200
    prefix = clerk["Authorization"].split("_")[1]
    identity.revoke_api_key(site.env, prefix, by=admin)
    error(api.get("/api/tasks", headers=clerk), 403, "permission_denied")
    hecha = key("hecha")
    identity.disable_user(site.env, "hecha", by=admin, reason="调离")
    error(api.get("/api/tasks", headers=hecha), 403, "permission_denied")


def test_without_a_key_or_with_a_wrong_one(site: Site, api: Any) -> None:
    error(api.get("/api/tasks"), 401, "not_signed_in")
    error(api.get("/api/cases/2026-食品-000001"), 401, "not_signed_in")
    for bad in ("Bearer ssk_nope_nope", "Bearer nothing", "Bearer ssk_0123456789ab_x"):
        error(api.get("/api/tasks", headers={"Authorization": bad}), 403, "permission_denied")
    # a POST with neither key nor cookie is refused before anything (no Origin, no key)
    r = api.post("/api/cases", json=APPLICATION)
    assert r.status_code in (401, 403) and r.json()["code"] in ("not_signed_in", "bad_origin")


# -- bad input is a 4xx with the field, never a 500 ---------------------------------------------


def test_bad_input_is_a_400_naming_the_field(site: Site, api: Any, key: Any) -> None:
    clerk = key("chuangkou")
    missing = {k: v for k, v in APPLICATION.items() if k != "id_number"}
    error(api.post("/api/cases", json=missing, headers=clerk), 400, "invalid_input", "id_number")
    error(api.post("/api/cases", json={**APPLICATION, "channel": "pigeon"}, headers=clerk),
          400, "invalid_input", "channel")
    error(api.post("/api/cases", json={**APPLICATION, "colour": "red"}, headers=clerk),
          400, "invalid_input", "colour")
    error(api.post("/api/cases", json={**APPLICATION, "received_on": "0001-01-01",
                                       "channel": "mail"}, headers=clerk),
          400, "invalid_input", "received_on")
    error(api.post("/api/cases", content=b"{not json", headers={
        **clerk, "Content-Type": "application/json"}), 400, "invalid_input")
    error(api.post("/api/cases", json=[1, 2], headers=clerk), 400, "invalid_input")
    error(api.post("/api/cases", json={**APPLICATION, "request_key": "x" * 65}, headers=clerk),
          400, "invalid_input", "request_key")
    error(api.post("/api/tasks/not-a-uuid!/claim", headers=clerk), 400, "invalid_input",
          "task_id")


def test_input_the_service_refuses_is_a_4xx_naming_the_field(site: Site, api: Any,
                                                             key: Any) -> None:
    wrong = id_number("张小三")[:-1] + ("0" if id_number("张小三")[-1] != "0" else "1")
    error(start(api, key, id_number=wrong), 409, "invalid_action", "id_number")
    error(start(api, key, power="XK-NONE-999"), 404, "power_not_available", "power")
    error(start(api, key, channel="mail"), 409, "invalid_action", "received_on")
    error(api.get("/api/cases/2026-食品-999999", headers=key("hecha")), 404, "not_found")
    error(api.post("/api/tasks/0123456789abcdef/claim", headers=key("hecha")), 404, "not_found")
    number, step = at_decision(api, key)
    error(api.post(f"/api/tasks/{step}/complete", json={"data": {"decision": "maybe"}},
                   headers=key("juzhang")), 409, "invalid_action", "decision")


# -- public: the lookup and the catalogue ------------------------------------------------------


def test_the_public_lookup_needs_no_key_and_masks_the_applicant(site: Site, api: Any,
                                                                key: Any) -> None:
    case = start(api, key).json()
    r = api.get("/api/lookup", params={"number": case["number"], "code": case["query_code"]})
    assert r.status_code == 200
    body = r.json()
    assert body["applicant"] == "张*三" and "张小三" not in r.text
    assert id_number("张小三") not in r.text and "13800001234" not in r.text
    error(api.get("/api/lookup", params={"number": case["number"], "code": "WRONG"}),
          404, "not_found")
    error(api.get("/api/lookup", params={"number": case["number"]}), 400, "invalid_input",
          "code")


def test_the_public_catalogue_lists_public_powers_only(site: Site, api: Any) -> None:
    from engine.identity import Actor, Role
    from engine.services.catalogue_admin import deploy
    from tests.conftest import PROCESSES
    from tests.web.conftest import CENTRE

    designer = Actor(login="sheji", name="sheji", unit=CENTRE, roles=frozenset({Role.DESIGNER}))
    deploy(site.env, [str(PROCESSES / "classified_document_review.bpmn")], actor=designer)
    r = api.get("/api/catalogue")
    assert r.status_code == 200
    codes = [p["code"] for p in r.json()]
    assert FOOD in codes and "XK-BMZT-001" not in codes
    food = next(p for p in r.json() if p["code"] == FOOD)
    assert food["promised_limit"] == 10 and food["statutory_limit"] == 20
    assert food["deemed_approval"] is False
    guide = api.get(f"/api/catalogue/{FOOD}").json()
    assert guide["materials"][0] == {"name": "食品经营许可申请书", "key": True, "commitment": False}
    assert guide["complaint_phone"] == "0000-12345699"
    error(api.get("/api/catalogue/XK-BMZT-001"), 404, "not_found")


def test_a_case_file_is_read_only_by_those_the_rule_lets(site: Site, api: Any, key: Any,
                                                         client: Any) -> None:
    """The API and the pages apply the same rule: the case file holds the applicant's number
    and the officials' opinions, so a designer or a publisher does not read it."""
    from tests.web.conftest import login

    number = start(api, key).json()["number"]
    for reader in ("chuangkou", "hecha", "jiancha"):
        r = api.get(f"/api/cases/{number}", headers=key(reader))
        assert r.status_code == 200 and r.json()["number"] == number
    for outsider in ("shejishi", "gongkai"):
        body = error(api.get(f"/api/cases/{number}", headers=key(outsider)), 403,
                     "permission_denied")
        assert "查阅案卷" in body["message"]
    assert login(client, "shejishi").status_code == 303
    for page in (f"/cases/{number}", f"/cases/{number}/receipt"):
        r = client.get(page)
        assert r.status_code == 403 and "查阅案卷" in r.text and id_number("张小三") not in r.text
    assert [d.action for d in identity.denials(site.env, login="shejishi")][:2] == [
        "read_case", "read_case"]
