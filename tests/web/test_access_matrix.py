"""Every route of the application (pages and /api, GET and POST) against every role, from one
declared table (ACCESS below). A route missing from the table fails the test: a new route must be
classified.

Each role is one signed-in member of staff (tests/web/conftest.py's STAFF, plus a head of a unit);
the API is called with the same people's sessions (and the session's CSRF header on a POST). Path
parameters are real objects of a seeded installation: a case at the window, a case at 现场核查
and its step, the food licence, a user; ids of things the seed does not make (a breach, a card,
a report, an export job) are ids that do not exist, so an allowed role may get a 404 there but a
refused one must still get its 403 first. Every POST is sent with the session's CSRF token and no
fields: an allowed role gets 2xx/3xx or a 4xx about the missing data (never 401/403); a refused
one gets 403; anonymous gets 401 on the API and a redirect to the login page on a page. Public
routes answer everybody alike.

Each POST runs on a fresh copy of the installation (refused roles first, and a refusal must
leave every table but the refusal log and the sessions as it was).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.web import sessions
from engine.services import cases, identity, views
from tests.conftest import MovableClock, make_env
from tests.staff import person
from tests.web.conftest import FOOD, ORIGIN, PASSWORD, SCJG, Site, _start

# the person signed in for each role (anonymous: nobody)
ROLES: dict[str, str | None] = {
    "anonymous": None, "window": "chuangkou", "handler": "hecha", "approver": "juzhang",
    "head": "juzhang.fz", "supervisor": "jiancha", "designer": "shejishi", "publisher": "gongkai",
    "admin": "admin",
}
PUBLIC = "public"
EVERY_STAFF = frozenset(r for r in ROLES if r != "anonymous")
W, H, A, HD, S, D, P, AD = ("window", "handler", "approver", "head", "supervisor", "designer",
                            "publisher", "admin")
# read_case: the window, supervisors, and the people of the units handling the case (the seeded
# case is with 县市场监督管理局: its handler, approver and head all read it)
CASE_READERS = frozenset({W, S, H, A, HD})
UNIT_STAFF = EVERY_STAFF  # pages of one's own unit (整改回复、亮牌回告、督办): each sees their unit's


def _(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# METHOD path → PUBLIC, or the roles that get past the permission check (everyone else: 403)
ACCESS: dict[str, Any] = {
    "GET /login": PUBLIC, "POST /login": PUBLIC, "POST /logout": EVERY_STAFF,
    "GET /": EVERY_STAFF,
    "POST /tasks/{task_id}/claim": _(H),
    "POST /tasks/{task_id}/release": _(H),
    "POST /tasks/{task_id}/reassign": _(H),
    "GET /cases/{number}/steps/{step_id}": CASE_READERS,
    "POST /cases/{number}/steps/{step_id}": _(H),
    "GET /cases/{number}": CASE_READERS,
    "POST /cases/{number}/accept": _(W), "POST /cases/{number}/refuse": _(W),
    "POST /cases/{number}/supplement": _(W),
    "GET /cases/{number}/receipt": CASE_READERS,
    "GET /window": _(W), "POST /window": _(W),
    "GET /window/queue": _(W),  # applicants' names: the window's, not every member of staff's
    "POST /cases/{number}/accept-with-gaps": _(W),
    "POST /cases/{number}/supplement-received": _(W),
    "POST /cases/{number}/gaps-made-up": _(W), "POST /cases/{number}/withdraw": _(W),
    "POST /cases/{number}/hand-out": _(W),
    "GET /lookup": PUBLIC, "GET /seals": PUBLIC, "GET /seals/{name}": PUBLIC,
    "GET /admin": _(AD), "GET /admin/users": _(AD), "POST /admin/users": _(AD),
    "GET /admin/users/{login}": _(AD), "POST /admin/users/{login}/disable": _(AD),
    "POST /admin/users/{login}/grant": _(AD), "POST /admin/users/{login}/revoke": _(AD),
    "POST /admin/users/{login}/password": _(AD),
    "POST /admin/users/{login}/sessions/revoke": _(AD),
    "POST /admin/users/{login}/keys": _(AD), "GET /admin/keys": _(AD),
    "POST /admin/keys/{prefix}/revoke": _(AD), "GET /admin/denials": _(AD),
    "GET /admin/sessions": _(AD), "POST /admin/sessions/{session_id}/revoke": _(AD),
    "GET /catalogue": PUBLIC, "GET /catalogue/{code}": PUBLIC,
    "GET /catalogue/{code}/flowchart.svg": PUBLIC,
    "GET /supervision": _(S), "GET /supervision/cases": _(S),
    "GET /supervision/flowchart/{code}": _(S),
    "POST /supervision/breaches/{breach_id}/decide": _(S),
    "POST /supervision/cards/{card_id}/decide": _(S),
    "GET /matters": UNIT_STAFF,
    "POST /supervision/cards/{card_id}/reply": _(H, A, HD),
    "POST /supervision/cards/{card_id}/appeal": _(HD),
    "GET /supervision/orders": _(S), "POST /supervision/orders": _(S),
    "POST /supervision/orders/{number}/{no}/reply": _(H, A, HD),
    "POST /supervision/off-system": _(S),
    "GET /supervision/stats": _(S), "GET /supervision/stats/cases": _(S),
    "GET /supervision/stats.csv": _(S),
    "GET /designer/modeler/new": _(D), "POST /designer/modeler/open": _(D),
    "GET /designer/modeler/{code}": _(D), "POST /designer/modeler/form": _(D),
    "POST /designer/modeler/apply": _(D), "POST /designer/modeler/validate": _(D),
    "POST /designer/modeler/check": _(D), "POST /designer/modeler/save": _(D),
    "POST /designer/modeler/deploy": _(D), "GET /designer/powers/{code}/compare": _(D),
    "GET /designer": _(D), "POST /designer/check": _(D), "POST /designer/deploy": _(D),
    "GET /designer/powers/{code}": _(D), "POST /designer/powers/{code}/withdraw": _(D),
    "POST /designer/powers/{code}/reinstate": _(D),
    "GET /publisher": _(P), "GET /publisher/site.zip": _(P), "GET /publisher/export.zip": _(P),
    "POST /publisher/exports": _(P), "GET /publisher/exports/{job_id}": _(P),
    "GET /publisher/exports/{job_id}/sunshine-export.zip": _(P),
    "GET /publisher/flowcharts/{code}.svg": _(P), "GET /publisher/cards/{code}.pdf": _(P),
    "GET /rate": PUBLIC, "GET /rate/{number}": PUBLIC, "POST /rate": PUBLIC,
    "GET /reviews": UNIT_STAFF, "POST /reviews/{number}/reply": _(H, A, HD),
    "GET /feedback/new": EVERY_STAFF,  # the empty form (nothing recorded is shown)
    "POST /feedback/ratings": _(W),
    "POST /feedback/complaints": _(W, S),
    "GET /supervision/ratings": _(S), "GET /supervision/complaints": _(S),
    "GET /supervision/complaints/{number}": _(S),
    "POST /supervision/complaints/{number}/decide": _(S),
    "GET /supervision/reports": _(S), "POST /supervision/reports": _(S),
    "GET /supervision/reports/{report_id}.pdf": _(S),
    "GET /supervision/reports/{report_id}.xlsx": _(S),
    "POST /api/cases": _(W), "GET /api/cases/{number}": CASE_READERS,
    "POST /api/cases/{number}/accept": _(W), "POST /api/cases/{number}/refuse": _(W),
    "POST /api/cases/{number}/supplement": _(W),
    "POST /api/cases/{number}/supplement-received": _(W),
    "GET /api/cases/{number}/steps/{task_id}": CASE_READERS,
    "GET /api/tasks": EVERY_STAFF,
    "POST /api/tasks/{task_id}/claim": _(H), "POST /api/tasks/{task_id}/complete": _(H),
    "GET /api/lookup": PUBLIC, "GET /api/catalogue": PUBLIC, "GET /api/catalogue/{code}": PUBLIC,
    "GET /openapi.json": PUBLIC,
}

MISSING = "999999"  # the id of a breach, card, report, export job, key or session that is not there


def every_route(app: Any) -> Iterator[tuple[str, str]]:
    """(METHOD, path) of every route the application serves (HEAD goes with GET)."""
    def walk(routes: Any) -> Iterator[Any]:
        for r in routes:
            if hasattr(r, "effective_candidates"):  # FastAPI's included routers
                yield from walk(r.effective_candidates())
            else:
                yield r

    for route in walk(app.routes):
        for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD"}):
            yield method, route.path


@pytest.fixture(scope="module")
def seeded(_template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The installation with a head of unit, a case at the window, a case at 现场核查, and a
    session for each member of staff (its cookie known here)."""
    from adapters.sql.web_sessions import WebSessionRow

    path = tmp_path_factory.mktemp("access-matrix") / "web.db"
    shutil.copyfile(_template_db, path)
    env = make_env(f"sqlite:///{path}", MovableClock(_start()))
    admin = identity.resolve(env, "admin")
    identity.add_user(env, by=admin, login="juzhang.fz", name="钱负责", unit=SCJG, roles=("head",),
                      password=PASSWORD)
    clerk = identity.resolve(env, "chuangkou")
    fresh = cases.start_case(env, FOOD, person("张小三"), actor=clerk).number
    number = cases.start_case(env, FOOD, person("李四"), actor=clerk).number
    cases.accept(env, number, actor=clerk)
    step = next(t for t in views.work_list(env, identity.resolve(env, "hecha"))
                if t.case_number == number)
    cookies = {}
    with env.uow() as uow:
        for role, login in ROLES.items():
            if login:
                token = f"matrix-{role}-token"
                uow.web_sessions.add(WebSessionRow(id=sessions.token_hash(token), login=login,
                                                   created_at=env.now(), last_seen_at=env.now()))
                cookies[role] = token
        uow.commit()
    env.engine.dispose()
    query_code = cases.case_view(make_env(f"sqlite:///{path}", MovableClock(_start())),
                                 number).query_code
    values = {"number": number, "step_id": step.id, "task_id": step.id, "code": FOOD,
              "login": "shenhe", "prefix": MISSING, "session_id": MISSING, "breach_id": MISSING,
              "card_id": MISSING, "no": "1", "job_id": MISSING, "report_id": MISSING,
              "name": "latest.json"}
    return {"path": path, "cookies": cookies, "values": values, "fresh": fresh,
            "query": {"number": number, "code": query_code}}


def _url(path: str, seeded: dict[str, Any]) -> str:
    url = path.format(**seeded["values"])
    if path in ("/lookup", "/api/lookup"):
        url += f"?number={seeded['query']['number']}&code={seeded['query']['code']}"
    return url


def _site(seeded: dict[str, Any], folder: Path) -> Site:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "web.db"
    shutil.copyfile(seeded["path"], path)
    clock = MovableClock(_start())
    return Site(env=make_env(f"sqlite:///{path}", clock), clock=clock, url=f"sqlite:///{path}")


def _call(client: Any, method: str, path: str, role: str, seeded: dict[str, Any]) -> Any:
    client.cookies.clear()
    headers = dict(ORIGIN)
    if role != "anonymous":
        token = seeded["cookies"][role]
        client.cookies.set(sessions.COOKIE, token)
        headers["X-CSRF-Token"] = sessions.csrf_for(token)
    url = _url(path, seeded)
    if method == "GET":
        return client.get(url, headers=headers)
    if path.startswith("/api/"):
        return client.post(url, json={}, headers=headers)
    data = {"csrf_token": headers.get("X-CSRF-Token", "")}
    return client.post(url, data=data, headers=headers)


def _verdict(route: str, role: str, response: Any) -> str | None:
    """What is wrong with this answer for this role (None: as the table says)."""
    rule = ACCESS[route]
    status = response.status_code
    method, path = route.split(" ", 1)
    api = path.startswith("/api/")
    if status >= 500:
        return f"{status} (a server error)"
    if rule == PUBLIC:  # a public form without its own token (login, rating) is a 403 for all
        return None if status not in (401, 403) or method == "POST" else f"{status} on a public route"
    if role == "anonymous":
        if api:
            return None if status == 401 else f"{status}, expected 401"
        location = response.headers.get("location", "")
        ok = status in (303, 302, 307) and location.startswith("/login") or status == 401
        return None if ok else f"{status} {location}, expected a redirect to /login"
    if role in rule:
        return None if status not in (401, 403) else f"{status}, expected it allowed"
    if status == 403:
        return None
    location = response.headers.get("location", "")
    if status == 303 and not location.startswith("/login"):
        return None  # sent elsewhere (/admin → /admin/users, itself a 403): nothing shown
    if status in (400, 404, 409, 413, 422):
        PRE_CHECKED.add(route)  # the input refused before the permission: nothing done
        return None
    return f"{status}, expected 403"


PRE_CHECKED: set[str] = set()  # routes that refuse bad input before asking who is asking


def _rows(path: str) -> dict[str, int]:
    """Row count of every table but the refusal log and the sessions."""
    with sqlite3.connect(path) as db:
        names = [n for (n,) in db.execute("select name from sqlite_master where type='table'")
                 if n not in ("access_denials", "web_sessions", "audit_events")]
        return {n: db.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}


def test_every_route_is_in_the_access_table(app: Any) -> None:
    served = {f"{m} {p}" for m, p in every_route(app) if not p.startswith("/static")}
    assert sorted(served - set(ACCESS)) == [], "classify these routes in ACCESS"
    assert sorted(set(ACCESS) - served) == [], "these routes are gone: remove them from ACCESS"


def test_every_role_against_every_route(seeded: dict[str, Any], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from adapters.web.app import create_app

    wrong: list[str] = []
    tried = 0
    shared = _site(seeded, tmp_path / "reads")
    with TestClient(create_app(shared.env), follow_redirects=False) as reader:
        routes = list(every_route(reader.app))
        for method, path in routes:
            route = f"{method} {path}"
            if path.startswith("/static") or route not in ACCESS:
                continue
            if method == "GET":
                for role in ROLES:
                    tried += 1
                    why = _verdict(route, role, _call(reader, method, path, role, seeded))
                    if why:
                        wrong.append(f"{route} as {role}: {why}")
                continue
            site = _site(seeded, tmp_path / f"post{tried}")
            rule = ACCESS[route]
            order = sorted(ROLES, key=lambda r: rule != PUBLIC and r in rule)  # refusals first
            with TestClient(create_app(site.env), follow_redirects=False) as client:
                before = _rows(site.url.removeprefix("sqlite:///"))
                for role in order:
                    tried += 1
                    response = _call(client, method, path, role, seeded)
                    why = _verdict(route, role, response)
                    if why:
                        wrong.append(f"{route} as {role}: {why}")
                    elif rule != PUBLIC and role not in rule and route != "POST /logout":
                        after = _rows(site.url.removeprefix("sqlite:///"))
                        if after != before:
                            changed = {k for k in after if after[k] != before.get(k)}
                            wrong.append(f"{route} as {role}: refused but changed {changed}")
            site.env.engine.dispose()
    print(f"\naccess matrix: {tried} requests, {len(ACCESS)} routes × {len(ROLES)} roles; "
          f"{len(PRE_CHECKED)} routes answer a refused role's empty request with a 4xx about "
          f"its input before the 403: {sorted(PRE_CHECKED)}")
    assert wrong == [], "\n".join(wrong)
