"""The web's fixtures: a test installation on SQLite with the food licence deployed and a few
of the county's staff registered with passwords, its clock fixed (and moved by the tests), and
the application over it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROCESSES, MovableClock, make_env

PASSWORD = "yangguang-2026"
FOOD = "XK-SPJY-001"  # 食品经营许可: 受理 → 现场核查 → 审核 → 审批决定 → 制证发证
SCJG = "县市场监督管理局"
CENTRE = "县政务服务中心"

# login → (name, unit, roles, posts)
STAFF: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "admin": ("系统管理员", CENTRE, ("admin",), ()),
    "chuangkou": ("李窗口", CENTRE, ("window",), ()),
    "hecha": ("王核查", SCJG, ("handler",), ("现场核查岗",)),
    "shenhe": ("陈审核", SCJG, ("handler",), ("审核岗",)),
    "juzhang": ("赵局长", SCJG, ("approver",), ("审批岗",)),
    "jiancha": ("孙监察", CENTRE, ("supervisor",), ()),
    # a supervisor who also holds the inspection post: a breach of that post is against him
    "jianhe": ("周监核", SCJG, ("supervisor", "handler"), ("现场核查岗",)),
    "shejishi": ("钱设计", CENTRE, ("designer",), ()),
    "gongkai": ("吴公开", CENTRE, ("publisher",), ()),
}


@dataclass
class Site:
    env: Any
    clock: MovableClock
    url: str  # the database


def _start() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # Monday 09:00 in Shanghai


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One installation made once (deploy, staff, argon2 hashes), copied for every test."""
    from engine.identity import Actor, Role
    from engine.services.catalogue_admin import deploy
    from engine.services.identity import add_user, resolve

    path = tmp_path_factory.mktemp("web-template") / "web.db"
    env = make_env(f"sqlite:///{path}", MovableClock(_start()))
    designer = Actor(login="sheji", name="sheji", unit=CENTRE, roles=frozenset({Role.DESIGNER}))
    deploy(env, [str(PROCESSES / "food_business_licence.bpmn")], actor=designer)
    admin = None
    for login_name, (name, unit, roles, posts) in STAFF.items():
        add_user(env, by=admin, login=login_name, name=name, unit=unit, roles=roles, posts=posts,
                 password=PASSWORD)
        if admin is None:
            admin = resolve(env, "admin")
    env.engine.dispose()  # closes the connections: the WAL is written back into the file
    return path


@pytest.fixture
def site(_template_db: Path, tmp_path: Path) -> Site:
    import shutil

    path = tmp_path / "web.db"
    shutil.copyfile(_template_db, path)
    clock = MovableClock(_start())
    url = f"sqlite:///{path}"
    return Site(env=make_env(url, clock), clock=clock, url=url)


@pytest.fixture
def app(site: Site) -> Any:
    from adapters.web.app import create_app

    return create_app(site.env)


ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def client(app: Any) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as c:
        yield c


def login(client: Any, who: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/login", data={"login": who, "password": password, "login_token": token,
                                       "next": "/"}, headers=ORIGIN)


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
