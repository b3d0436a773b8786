"""Forged requests and stolen sessions, tried against the running application:

- every state-changing POST (pages and the API through a session), sent by a person allowed to
  do it, but without the CSRF token or with the token of another person's session: 403, and no
  table changes;
- session fixation: a session cookie planted before sign-in is not the one after it, and never
  becomes a session; signing out ends the session server-side (the old cookie no longer works);
- an API key does not submit a form page;
- the public rating form: without its token, or with another browser's, nothing is recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from adapters.web import sessions
from adapters.web.app import create_app
from engine.services import identity
from tests.web import test_access_matrix as matrix
from tests.web.conftest import ORIGIN, Site, csrf_of, login
from tests.web.test_access_matrix import ACCESS, PUBLIC, ROLES, _rows, _site, _url, every_route

seeded = matrix.seeded  # the access matrix's installation (a case at 现场核查, everyone's session)


def _allowed(route: str) -> str:
    rule = ACCESS[route]
    return next(r for r in ROLES if r in rule)


def test_no_post_goes_through_without_the_sessions_csrf_token(seeded: dict[str, Any],
                                                              tmp_path: Path) -> None:
    site = _site(seeded, tmp_path / "csrf")
    db = site.url.removeprefix("sqlite:///")
    before = _rows(db)
    wrong, tried = [], 0
    with TestClient(create_app(site.env), follow_redirects=False) as client:
        posts = [p for m, p in every_route(client.app)
                 if m == "POST" and ACCESS.get(f"POST {p}") not in (None, PUBLIC)]
        for path in posts:
            role = _allowed(f"POST {path}")
            token = seeded["cookies"][role]
            other = seeded["cookies"]["admin" if role != "admin" else "window"]
            for label, csrf in (("no token", None), ("another session's token",
                                                     sessions.csrf_for(other))):
                tried += 1
                client.cookies.clear()
                client.cookies.set(sessions.COOKIE, token)
                headers = dict(ORIGIN)
                url = _url(path, seeded)
                if path.startswith("/api/"):
                    if csrf:
                        headers["X-CSRF-Token"] = csrf
                    response = client.post(url, json={}, headers=headers)
                else:
                    response = client.post(url, data={"csrf_token": csrf} if csrf else {},
                                           headers=headers)
                if response.status_code != 403:
                    wrong.append(f"POST {path} as {role}, {label}: {response.status_code}")
    print(f"\nCSRF: {tried} forged POSTs on {len(posts)} routes")
    assert wrong == [], "\n".join(wrong)
    assert _rows(db) == before  # nothing written (the refusals are in access_denials only)


def test_a_cookie_planted_before_sign_in_is_not_the_session_after_it(client: Any,
                                                                     site: Site) -> None:
    planted = "attacker-chosen-session-token"
    client.cookies.set(sessions.COOKIE, planted, domain="testserver.local")
    assert login(client, "chuangkou").status_code == 303
    after = client.cookies.get(sessions.COOKIE)
    assert after and after != planted
    with site.env.uow() as uow:
        assert uow.web_sessions.get(sessions.token_hash(planted)) is None
    # the attacker's browser, holding the planted value, is not signed in
    with TestClient(client.app, follow_redirects=False) as attacker:
        attacker.cookies.set(sessions.COOKIE, planted)
        assert attacker.get("/").headers["location"].startswith("/login")


def test_signing_in_again_changes_the_session_and_ends_the_old_one(client: Any) -> None:
    login(client, "chuangkou")
    first = client.cookies.get(sessions.COOKIE)
    login(client, "chuangkou")
    second = client.cookies.get(sessions.COOKIE)
    assert second != first
    with TestClient(client.app, follow_redirects=False) as other:
        other.cookies.set(sessions.COOKIE, first)
        assert other.get("/").headers["location"].startswith("/login")


def test_a_cookie_from_a_signed_out_session_no_longer_works(client: Any) -> None:
    login(client, "chuangkou")
    stolen = client.cookies.get(sessions.COOKIE)
    csrf = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": csrf}, headers=ORIGIN).status_code == 303
    with TestClient(client.app, follow_redirects=False) as thief:
        thief.cookies.set(sessions.COOKIE, stolen)
        assert thief.get("/").headers["location"].startswith("/login")
        assert thief.get("/api/tasks").status_code == 401
        response = thief.post("/window", data={"csrf_token": csrf}, headers=ORIGIN)
        assert response.status_code in (303, 401)
        assert "location" not in response.headers or response.headers["location"].startswith("/login")


def test_an_api_key_does_not_submit_a_form_page(seeded: dict[str, Any], tmp_path: Path) -> None:
    site = _site(seeded, tmp_path / "key")
    db = site.url.removeprefix("sqlite:///")
    _, secret = identity.create_api_key(site.env, "chuangkou", "forms?",
                                        by=identity.resolve(site.env, "admin"))
    before = _rows(db)
    number = seeded["fresh"]
    with TestClient(create_app(site.env), follow_redirects=False) as client:
        key = {"Authorization": f"Bearer {secret}"}
        for path in (f"/cases/{number}/accept", f"/cases/{number}/refuse", "/window"):
            for headers in (key, {**key, **ORIGIN}):
                response = client.post(path, data={"reason": "x"}, headers=headers)
                assert response.status_code in (401, 403) or (
                    response.status_code == 303
                    and response.headers["location"].startswith("/login")), (path, response)
        assert _rows(db) == before  # nothing done
        # the same key on the API does act (it is a good key)
        assert client.post(f"/api/cases/{number}/accept", json={},
                           headers=key).status_code == 200


def test_the_public_rating_form_needs_its_own_token(client: Any, site: Site) -> None:
    page = client.get("/rate")
    token = page.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    form = {"number": "2026-食品-000001", "code": "ABCD", "score": "5", "words": "好",
            "channel": "web"}
    before = _rows(site.url.removeprefix("sqlite:///"))
    assert client.post("/rate", data=form, headers=ORIGIN).status_code == 403
    with TestClient(client.app, follow_redirects=False) as other:
        other.get("/rate")  # another browser, its own token cookie
        assert other.post("/rate", data={**form, "token": token},
                          headers=ORIGIN).status_code == 403
    # and from another site, even with the token: the Origin check
    assert client.post("/rate", data={**form, "token": token},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert _rows(site.url.removeprefix("sqlite:///")) == before
