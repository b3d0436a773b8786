"""The web application through the ASGI test client: sign-in and sessions, the CSRF token and
the Origin check, the pages' status codes, errors shown beside their field, a clerk refused a
decision (403, 权限不足), and the JSON API's errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.services import cases, identity, views
from tests.staff import id_number, person
from tests.web.conftest import FOOD, ORIGIN, PASSWORD, Site, csrf_of, login


def as_(site: Site, login_name: str) -> Any:
    return identity.resolve(site.env, login_name)


def started(site: Site, name: str = "张小三") -> str:
    return cases.start_case(site.env, FOOD, person(name), actor=as_(site, "chuangkou")).number


def task_of(site: Site, login_name: str, number: str) -> Any:
    return next(t for t in views.work_list(site.env, as_(site, login_name))
                if t.case_number == number)


def at_decision(site: Site) -> tuple[str, str]:
    """A case accepted, inspected and checked: waiting for 审批决定. (number, step id)"""
    number = started(site)
    cases.accept(site.env, number, actor=as_(site, "chuangkou"))
    for who in ("hecha", "shenhe"):
        cases.complete_task(site.env, task_of(site, who, number).id, actor=as_(site, who),
                            data={"opinion": "同意"})
    return number, task_of(site, "juzhang", number).id


def form_page(client: Any, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


# -- signing in ---------------------------------------------------------------------------


def test_a_page_for_staff_sends_an_anonymous_visitor_to_the_login_page(client: Any) -> None:
    r = client.get("/cases/2026-食品-000001")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=%2Fcases%2F")


def test_a_wrong_password_is_refused_with_one_message_and_no_session(client: Any) -> None:
    r = login(client, "hecha", "not-the-password")
    assert r.status_code == 403
    assert "登录名或密码不正确" in r.text
    assert "sunshine_session" not in r.cookies
    r = login(client, "nobody", PASSWORD)
    assert r.status_code == 403 and "登录名或密码不正确" in r.text  # no hint the login exists


def test_signing_in_sets_an_httponly_samesite_cookie_and_opens_my_tasks(client: Any) -> None:
    r = login(client, "hecha")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "sunshine_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    page = client.get("/")
    assert page.status_code == 200 and "我的待办" in page.text and "王核查" in page.text


def test_over_https_the_session_cookie_is_secure(app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/login")
        token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
        r = c.post("/login", data={"login": "hecha", "password": PASSWORD, "login_token": token},
                   headers={"Origin": "https://testserver"})
    assert r.status_code == 303
    assert "secure" in r.headers["set-cookie"].lower()


def test_the_login_form_without_its_token_is_refused(client: Any) -> None:
    client.get("/login")
    r = client.post("/login", data={"login": "hecha", "password": PASSWORD}, headers=ORIGIN)
    assert r.status_code == 403 and "登录表单已过期" in r.text


def test_signing_out_revokes_the_session_on_the_server(client: Any) -> None:
    login(client, "hecha")
    token = client.cookies.get("sunshine_session")
    csrf = form_page(client, "/")
    r = client.post("/logout", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    client.cookies.set("sunshine_session", token)  # a copy of the old cookie opens nothing
    assert client.get("/").status_code == 303


# -- sessions expire --------------------------------------------------------------------


def test_a_session_unused_for_30_minutes_ends(site: Site, client: Any) -> None:
    login(client, "hecha")
    site.clock.at += dt.timedelta(minutes=29)
    assert client.get("/").status_code == 200  # used: the idle time starts again
    site.clock.at += dt.timedelta(minutes=29)
    assert client.get("/").status_code == 200
    site.clock.at += dt.timedelta(minutes=30)
    r = client.get("/")
    assert r.status_code == 303
    assert "30%20%E5%88%86%E9%92%9F" in r.headers["location"]  # “30 分钟未操作…”


def test_a_session_ends_10_hours_after_signing_in_however_busy(site: Site, client: Any) -> None:
    login(client, "hecha")
    for _ in range(39):  # every 15 minutes for 9 h 45 min
        site.clock.at += dt.timedelta(minutes=15)
        assert client.get("/").status_code == 200
    site.clock.at += dt.timedelta(minutes=15)
    r = client.get("/")
    assert r.status_code == 303 and "10%20%E5%B0%8F%E6%97%B6" in r.headers["location"]


def test_a_user_disabled_after_signing_in_is_signed_out(site: Site, client: Any) -> None:
    login(client, "hecha")
    assert client.get("/").status_code == 200
    identity.disable_user(site.env, "hecha", by=as_(site, "admin"), reason="调离")
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


# -- cross-site requests ------------------------------------------------------------------


def _register_form(csrf: str, name: str = "张小三", key: str = "req-1") -> dict[str, str]:
    return {"csrf_token": csrf, "power": FOOD, "applicant": name, "id_type": "身份证",
            "id_number": id_number(name), "phone": "13800001234", "channel": "window",
            "request_key": key}


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(site: Site,
                                                                      client: Any) -> None:
    login(client, "chuangkou")
    form = _register_form("")
    r = client.post("/window", data=form, headers=ORIGIN)
    assert r.status_code == 403 and "安全校验码" in r.text
    r = client.post("/window", data={**form, "csrf_token": "0" * 64}, headers=ORIGIN)
    assert r.status_code == 403
    assert views.list_cases(site.env) == []


def test_a_post_from_another_site_is_refused_even_with_the_token(site: Site, client: Any) -> None:
    login(client, "chuangkou")
    csrf = form_page(client, "/window")
    form = _register_form(csrf)
    r = client.post("/window", data=form, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "不是来自本系统" in r.text
    r = client.post("/window", data=form)  # neither Origin nor Referer
    assert r.status_code == 403
    r = client.post("/window", data=form, headers={"Referer": "http://evil.example/x"})
    assert r.status_code == 403
    assert views.list_cases(site.env) == []
    r = client.post("/window", data=form, headers={"Referer": "http://testserver/window"})
    assert r.status_code == 303  # a browser that sends only the Referer, from our own page


# -- the window ---------------------------------------------------------------------------


def test_registering_twice_with_one_request_key_makes_one_case(site: Site, client: Any) -> None:
    login(client, "chuangkou")
    csrf = form_page(client, "/window")
    first = client.post("/window", data=_register_form(csrf), headers=ORIGIN)
    again = client.post("/window", data=_register_form(csrf), headers=ORIGIN)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    assert len(views.list_cases(site.env)) == 1
    page = client.get(again.headers["location"])
    assert "此申请已登记过" in page.text


def test_a_wrong_id_number_is_shown_beside_its_field_with_the_form_kept(client: Any) -> None:
    login(client, "chuangkou")
    csrf = form_page(client, "/window")
    good = id_number("张小三")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")  # a mistyped check digit
    form = {**_register_form(csrf), "id_number": wrong}
    r = client.post("/window", data=form, headers=ORIGIN)
    assert r.status_code == 409
    assert 'class="field field-error"' in r.text and "校验码不符" in r.text
    assert 'value="张小三"' in r.text  # what the clerk typed is kept


def test_the_clerk_accepts_on_the_case_page_and_the_case_file_shows_the_record(
        site: Site, client: Any) -> None:
    number = started(site)
    login(client, "chuangkou")
    csrf = form_page(client, f"/cases/{number}")
    site.clock.at += dt.timedelta(minutes=10)
    r = client.post(f"/cases/{number}/accept", data={"csrf_token": csrf, "note": "齐全"},
                    headers=ORIGIN)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "已受理" in page.text and "现场核查" in page.text and "记录链完整" in page.text
    assert "受理通知书" in page.text and "待送达" in page.text  # the notice and its delivery
    assert "2026-03-02 09:10" in page.text  # the acting time, local, from the clock
    r = client.post(f"/cases/{number}/accept", data={"csrf_token": csrf}, headers=ORIGIN)
    assert r.status_code == 409  # accepted already: the page comes back with the message


def test_a_refusal_to_accept_needs_its_reasons_named_beside_the_form(site: Site,
                                                                     client: Any) -> None:
    number = started(site)
    login(client, "chuangkou")
    csrf = form_page(client, f"/cases/{number}")
    r = client.post(f"/cases/{number}/refuse", data={"csrf_token": csrf, "reason": " "},
                    headers=ORIGIN)
    assert r.status_code == 409 and "须写明理由" in r.text
    r = client.post(f"/cases/{number}/supplement",
                    data={"csrf_token": csrf, "items": "从业人员健康证明\n授权委托书"},
                    headers=ORIGIN)
    assert r.status_code == 303
    assert "从业人员健康证明、授权委托书" in client.get(f"/cases/{number}").text


def test_the_receipt_prints_with_a_qr_code_to_the_public_lookup(site: Site,
                                                               client: Any) -> None:
    number = started(site)
    login(client, "chuangkou")
    r = client.get(f"/cases/{number}/receipt")
    assert r.status_code == 200 and "<svg" in r.text and "收件回执" in r.text


# -- my tasks -----------------------------------------------------------------------------


def test_claim_and_complete_as_htmx_partials_and_as_plain_forms(site: Site, client: Any) -> None:
    number = started(site)
    cases.accept(site.env, number, actor=as_(site, "chuangkou"))
    step = task_of(site, "hecha", number).id
    login(client, "hecha")
    csrf = form_page(client, "/")
    hx = {**ORIGIN, "HX-Request": "true"}
    r = client.post(f"/tasks/{step}/claim", data={"csrf_token": csrf}, headers=hx)
    assert r.status_code == 200 and "我已认领" in r.text and "<html" not in r.text
    r = client.post(f"/tasks/{step}/claim", data={"csrf_token": csrf}, headers=hx)
    assert r.status_code == 200  # claiming one's own step again is harmless
    form = client.get(f"/cases/{number}/steps/{step}", headers={"HX-Request": "true"})
    assert "<html" not in form.text and 'name="opinion"' in form.text
    r = client.post(f"/cases/{number}/steps/{step}", data={"csrf_token": csrf, "opinion": "符合"},
                    headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"].startswith("/?done=")
    assert all(t.case_number != number for t in views.work_list(site.env, as_(site, "hecha")))


def test_a_clerk_completing_the_decision_is_refused_403_and_nothing_changes(
        site: Site, client: Any) -> None:
    number, step = at_decision(site)
    login(client, "chuangkou")
    csrf = form_page(client, "/")
    r = client.post(f"/cases/{number}/steps/{step}",
                    data={"csrf_token": csrf, "decision": "approve"}, headers=ORIGIN)
    assert r.status_code == 403 and "权限不足" in r.text
    assert task_of(site, "juzhang", number).id == step  # still waiting for the approver
    assert identity.denials(site.env, login="chuangkou")  # the attempt is on record


def test_the_decision_without_its_required_field_is_refused_naming_the_field(
        site: Site, client: Any) -> None:
    number, step = at_decision(site)
    login(client, "juzhang")
    csrf = form_page(client, f"/cases/{number}/steps/{step}")
    r = client.post(f"/cases/{number}/steps/{step}", data={"csrf_token": csrf, "opinion": "同意"},
                    headers=ORIGIN)
    assert r.status_code == 409
    assert 'class="field field-error"' in r.text and "决定" in r.text
    assert "同意" in r.text  # the opinion typed is kept
    r = client.post(f"/cases/{number}/steps/{step}",
                    data={"csrf_token": csrf, "decision": "approve", "opinion": "同意"},
                    headers=ORIGIN)
    assert r.status_code == 303


# -- errors -------------------------------------------------------------------------------


def test_an_unknown_case_is_a_404_page_and_a_404_json_error(site: Site, client: Any) -> None:
    login(client, "hecha")
    r = client.get("/cases/2026-食品-999999")
    assert r.status_code == 404 and "没有找到" in r.text
    r = client.get("/api/cases/2026-食品-999999")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.get("/no/such/page").status_code == 404


def test_the_public_lookup_needs_no_login_and_masks_the_name(site: Site, client: Any) -> None:
    number = started(site, "张小三")
    code = cases.case_view(site.env, number).query_code
    r = client.get("/lookup", params={"number": number, "code": code})
    assert r.status_code == 200 and "张*三" in r.text and "张小三" not in r.text
    assert id_number("张小三") not in r.text and "13800001234" not in r.text
    r = client.get("/lookup", params={"number": number, "code": "WRONG"})
    assert r.status_code == 404 and "没有查到" in r.text


@pytest.fixture
def api_key(site: Site) -> Any:
    def make(login_name: str) -> dict[str, str]:
        _, secret = identity.create_api_key(site.env, login_name, "省平台",
                                            by=as_(site, "admin"))
        return {"Authorization": f"Bearer {secret}"}
    return make


def test_the_api_answers_errors_as_code_message_field(site: Site, client: Any,
                                                      api_key: Any) -> None:
    r = client.get("/api/tasks")
    assert r.status_code == 401 and r.json()["code"] == "not_signed_in"
    r = client.get("/api/tasks", headers={"Authorization": "Bearer ssk_nope_nope"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    number, step = at_decision(site)
    clerk = api_key("chuangkou")
    r = client.post(f"/api/tasks/{step}/complete", json={"data": {"decision": "approve"}},
                    headers=clerk)
    assert r.status_code == 403 and "权限不足" in r.json()["message"]
    boss = api_key("juzhang")
    assert [t["case_number"] for t in client.get("/api/tasks", headers=boss).json()] == [number]
    r = client.post(f"/api/tasks/{step}/complete", json={"data": {"decision": "maybe"}},
                    headers=boss)
    assert r.status_code == 409 and r.json()["field"] == "decision"
    r = client.post(f"/api/tasks/{step}/complete", json={"data": {"decision": "approve"}},
                    headers=boss)
    assert r.status_code == 200 and r.json()["number"] == number


def test_the_api_with_a_session_cookie_still_needs_the_origin_and_the_csrf_header(
        site: Site, client: Any) -> None:
    number = started(site)
    cases.accept(site.env, number, actor=as_(site, "chuangkou"))
    step = task_of(site, "hecha", number).id
    login(client, "hecha")
    csrf = form_page(client, "/")
    assert client.post(f"/api/tasks/{step}/claim", headers=ORIGIN).status_code == 403
    r = client.post(f"/api/tasks/{step}/claim", headers={**ORIGIN, "X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["assignee"] == "hecha"


def test_on_sqlite_every_unit_of_work_of_the_app_queues_on_one_lock(app: Any) -> None:
    from adapters.web.app import _LockedUnitOfWork

    assert isinstance(app.state.env.uow(), _LockedUnitOfWork)
