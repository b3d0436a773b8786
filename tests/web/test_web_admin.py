"""系统管理 through the ASGI test client: users (list, add, disable, grant, revoke, a password),
API keys (shown once, revoked), refused attempts and signed-in sessions — and everyone but an
administrator refused (403, recorded), with nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from engine.services import identity
from tests.web.conftest import ORIGIN, PASSWORD, Site, csrf_of, login


@pytest.fixture
def other(app: Any) -> Iterator[Any]:
    """A second browser."""
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as c:
        yield c


def admin_csrf(client: Any, path: str = "/admin/users") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def post(client: Any, path: str, csrf: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf, **data}, headers=ORIGIN)


def test_the_users_page_lists_every_user_with_roles_and_posts(client: Any) -> None:
    login(client, "admin")
    r = client.get("/admin")
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    page = client.get("/admin/users").text
    for who in ("chuangkou", "hecha", "shenhe", "juzhang", "王核查", "现场核查岗"):
        assert who in page
    assert 'name="roles" value="window"' in page and "<option>审核岗</option>" in page


def test_an_administrator_adds_a_user_who_then_signs_in(site: Site, client: Any,
                                                        other: Any) -> None:
    login(client, "admin")
    csrf = admin_csrf(client)
    r = client.post("/admin/users", data={
        "csrf_token": csrf, "login": "liuhecha", "name": "刘核查", "unit": "县市场监督管理局",
        "roles": ["handler"], "posts": ["现场核查岗"], "password": "a-long-password-1"},
        headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/users/liuhecha?done=")
    page = client.get(r.headers["location"]).text
    assert "已登记用户 刘核查（liuhecha）" in page and "现场核查岗" in page
    user = identity.show_user(site.env, "liuhecha")
    assert user.created_by == "admin" and user.posts == ("现场核查岗",) and user.has_password
    r = login(other, "liuhecha", "a-long-password-1")
    assert r.status_code == 303 and "刘核查" in other.get("/").text


def test_adding_a_user_with_a_bad_login_shows_the_error_beside_it_and_keeps_the_form(
        site: Site, client: Any) -> None:
    login(client, "admin")
    csrf = admin_csrf(client)
    r = client.post("/admin/users", data={
        "csrf_token": csrf, "login": "wang fang", "name": "王芳", "unit": "县政务服务中心",
        "roles": ["window", "handler"], "password": "secret-password-9"}, headers=ORIGIN)
    assert r.status_code == 409
    assert '<p class="field-msg" role="alert">登录名“wang fang”无效' in r.text
    assert 'value="王芳"' in r.text  # what was typed is kept
    assert 'value="window" checked' in r.text and 'value="handler" checked' in r.text
    assert "secret-password-9" not in r.text  # a password is never sent back
    r = post(client, "/admin/users", csrf, login="wangfang", name="王芳", unit="县政务服务中心",
             roles="window", posts="没有这个岗")
    assert r.status_code == 409 and "不在任何已部署事项的泳道中" in r.text
    assert not any(u.login == "wangfang" for u in identity.list_users(site.env))


def test_someone_not_an_administrator_is_refused_every_admin_page_and_action(
        site: Site, client: Any) -> None:
    login(client, "hecha")
    for path in ("/admin/users", "/admin/users/shenhe", "/admin/keys", "/admin/sessions",
                 "/admin/denials"):
        r = client.get(path)
        assert r.status_code == 403 and "权限不足" in r.text, path
    csrf = csrf_of(client.get("/").text)
    r = post(client, "/admin/users", csrf, login="sneaky", name="某人", unit="县政务服务中心",
             roles="admin", password="another-password")
    assert r.status_code == 403 and "权限不足：管理用户须由系统管理员进行" in r.text
    r = post(client, "/admin/users/shenhe/disable", csrf, reason="试试")
    assert r.status_code == 403
    r = post(client, "/admin/users/hecha/grant", csrf, roles="admin")
    assert r.status_code == 403
    assert identity.show_user(site.env, "shenhe").active
    assert "admin" not in identity.show_user(site.env, "hecha").roles
    assert not any(u.login == "sneaky" for u in identity.list_users(site.env))
    assert len(identity.denials(site.env, login="hecha")) >= 8  # every attempt is on record


def test_an_admin_action_without_the_csrf_token_or_from_another_site_changes_nothing(
        site: Site, client: Any) -> None:
    login(client, "admin")
    csrf = admin_csrf(client)
    r = client.post("/admin/users/shenhe/disable", data={"reason": "调离"}, headers=ORIGIN)
    assert r.status_code == 403
    r = client.post("/admin/users/shenhe/disable", data={"csrf_token": csrf, "reason": "调离"},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert identity.show_user(site.env, "shenhe").active


def test_a_disabled_user_is_signed_out_at_once_and_stays_listed(site: Site, client: Any,
                                                                other: Any) -> None:
    login(other, "shenhe")
    assert other.get("/").status_code == 200
    login(client, "admin")
    csrf = admin_csrf(client, "/admin/users/shenhe")
    r = post(client, "/admin/users/shenhe/disable", csrf, reason="")
    assert r.status_code == 409 and "停用用户须写明原因" in r.text
    r = post(client, "/admin/users/shenhe/disable", csrf, reason="调离本单位")
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "已停用" in page and "调离本单位" in page
    assert other.get("/").status_code == 303  # signed out at the next request
    assert 'class="row-off"' in client.get("/admin/users").text
    r = post(client, "/admin/users/admin/disable", csrf, reason="试试")
    assert r.status_code == 409 and "不能停用自己" in r.text


def test_grant_and_revoke_posts_and_roles(site: Site, client: Any) -> None:
    login(client, "admin")
    csrf = admin_csrf(client, "/admin/users/hecha")
    r = client.post("/admin/users/hecha/grant", data={
        "csrf_token": csrf, "posts": ["审核岗"], "leads": ["审核岗"], "roles": ["approver"]},
        headers=ORIGIN)
    assert r.status_code == 303
    user = identity.show_user(site.env, "hecha")
    assert set(user.posts) == {"现场核查岗", "审核岗"} and user.leads == ("审核岗",)
    assert "approver" in user.roles
    r = post(client, "/admin/users/hecha/grant", csrf, leads="审批岗")
    assert r.status_code == 409 and "负责的岗位也须是其所在岗位" in r.text
    r = client.post("/admin/users/hecha/revoke", data={
        "csrf_token": csrf, "posts": ["审核岗"], "roles": ["approver"]}, headers=ORIGIN)
    assert r.status_code == 303
    user = identity.show_user(site.env, "hecha")
    assert user.posts == ("现场核查岗",) and user.leads == () and "approver" not in user.roles
    r = post(client, "/admin/users/admin/revoke", csrf, roles="admin")
    assert r.status_code == 409 and "不能撤销自己的系统管理员角色" in r.text


def test_setting_a_password(site: Site, client: Any, other: Any) -> None:
    login(client, "admin")
    csrf = admin_csrf(client, "/admin/users/hecha")
    r = post(client, "/admin/users/hecha/password", csrf, password="new-password-2026",
             password2="new-password-2027")
    assert r.status_code == 400 and "两次输入的密码不一致" in r.text
    r = post(client, "/admin/users/hecha/password", csrf, password="short", password2="short")
    assert r.status_code == 409 and "密码至少 10 个字符" in r.text
    r = post(client, "/admin/users/hecha/password", csrf, password="new-password-2026",
             password2="new-password-2026")
    assert r.status_code == 303
    assert login(other, "hecha", PASSWORD).status_code == 403
    assert login(other, "hecha", "new-password-2026").status_code == 303


def test_an_api_key_is_shown_once_works_and_is_revoked(site: Site, client: Any) -> None:
    login(client, "admin")
    csrf = admin_csrf(client, "/admin/users/juzhang")
    r = post(client, "/admin/users/juzhang/keys", csrf, name="")
    assert r.status_code == 409 and "API 密钥须有名称" in r.text
    r = post(client, "/admin/users/juzhang/keys", csrf, name="省政务服务平台")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r"ssk_[0-9a-f]{12}_[A-Za-z0-9_-]+", r.text)
    assert secret is not None
    key = secret.group(0)
    prefix = key.split("_")[1]
    page = client.get("/admin/users/juzhang").text
    assert key not in page and f"ssk_{prefix}_…" in page  # never shown again
    keys = client.get("/admin/keys").text
    assert "省政务服务平台" in keys and "赵局长（juzhang）" in keys and key not in keys
    bearer = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/tasks", headers=bearer).status_code == 200
    r = post(client, f"/admin/keys/{prefix}/revoke", csrf, back="/admin/users/juzhang")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/users/juzhang?")
    from fastapi.testclient import TestClient

    with TestClient(client.app) as api:  # no cookie: the key alone
        r = api.get("/api/tasks", headers=bearer)
        assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = post(client, f"/admin/keys/{prefix}/revoke", csrf)
    assert r.status_code == 409 and "已撤销" in r.text


def test_refused_attempts_are_listed_newest_first_and_by_login(site: Site, client: Any,
                                                               other: Any) -> None:
    login(other, "chuangkou")
    assert other.get("/admin/keys").status_code == 403
    login(client, "admin")
    page = client.get("/admin/denials").text
    assert "chuangkou" in page and "manage_users" in page and "权限不足" in page
    page = client.get("/admin/denials", params={"login": "hecha"}).text
    assert "没有被拒绝的操作" in page
    assert "manage_users" in client.get("/admin/users/chuangkou").text


def test_sessions_are_listed_and_an_administrator_ends_one(site: Site, client: Any,
                                                           other: Any) -> None:
    login(other, "hecha")
    login(client, "admin")
    page = client.get("/admin/sessions").text
    assert "王核查（hecha）" in page and "本会话" in page
    sid = re.search(r'/admin/sessions/([0-9a-f]{64})/revoke', page.split("王核查（hecha）", 1)[1])
    assert sid is not None
    csrf = csrf_of(page)
    r = post(client, f"/admin/sessions/{sid.group(1)}/revoke", csrf)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/sessions?done=")
    assert other.get("/").status_code == 303  # sent to the login page
    assert "王核查（hecha）" not in client.get("/admin/sessions").text
    r = post(client, f"/admin/sessions/{sid.group(1)}/revoke", csrf)
    assert r.status_code == 409
    r = post(client, "/admin/sessions/not-a-session/revoke", csrf)
    assert r.status_code == 404


def test_an_administrator_ends_every_session_of_a_user(site: Site, client: Any, app: Any,
                                                       other: Any) -> None:
    from fastapi.testclient import TestClient

    login(other, "shenhe")
    with TestClient(app, follow_redirects=False) as third:
        login(third, "shenhe")
        login(client, "admin")
        page = client.get("/admin/users/shenhe").text
        assert page.count("<tr><td class=\"mono\">") == 2
        r = post(client, "/admin/users/shenhe/sessions/revoke", csrf_of(page))
        assert r.status_code == 303 and "2%20" in r.headers["location"]
        assert other.get("/").status_code == 303 and third.get("/").status_code == 303
    assert client.get("/admin/users").status_code == 200  # the administrator's own goes on


def test_expired_sessions_are_not_listed(site: Site, client: Any, other: Any) -> None:
    import datetime as dt

    login(other, "hecha")
    site.clock.at += dt.timedelta(minutes=31)
    login(client, "admin")
    assert "王核查（hecha）" not in client.get("/admin/sessions").text
