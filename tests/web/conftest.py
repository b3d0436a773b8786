"""The web's fixtures: a test installation on SQLite with the food licence deployed and a few
of the county's staff registered with passwords, its clock fixed (and moved by the tests), and
the application over it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
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


# -- more powers and their staff (the window workbench, the task list, the journeys) -----------

ROAD = "XK-DLWJ-001"  # 城市道路挖掘占用审批: 受理 → 现场勘查 → 市政设施审查 ‖ 交通安全意见 → 审批决定 → 制证发证
ZJJ = "县住房和城乡建设局"
JJDD = "县公安局交警大队"

# login → (name, unit, roles, posts, leads): the road permit's posts, each held in its unit; the
# municipal review post has a leader (股长) and a second holder, for 交回 and 转办
ROAD_STAFF: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "shizheng": ("刘市政", ZJJ, ("handler",), ("市政设施审查岗",), ()),
    "shizheng2": ("何市政", ZJJ, ("handler",), ("市政设施审查岗",), ()),
    "guzhang": ("郑股长", ZJJ, ("handler",), ("市政设施审查岗",), ("市政设施审查岗",)),
    "jiaojing": ("马交警", JJDD, ("handler",), ("交通安全审查岗",), ()),
    "fenguan": ("黄分管", ZJJ, ("approver",), ("审批岗",), ()),
    "zhizheng": ("林制证", ZJJ, ("handler",), ("制证发证岗",), ()),
}


@pytest.fixture(scope="session")
def _road_template_db(_template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installation above with the road excavation permit deployed and its staff."""
    import shutil

    from engine.identity import Actor, Role
    from engine.services.catalogue_admin import deploy
    from engine.services.identity import add_user, resolve

    path = tmp_path_factory.mktemp("web-road-template") / "web.db"
    shutil.copyfile(_template_db, path)
    env = make_env(f"sqlite:///{path}", MovableClock(_start()))
    designer = Actor(login="sheji", name="sheji", unit=CENTRE, roles=frozenset({Role.DESIGNER}))
    deploy(env, [str(PROCESSES / "road_excavation_permit.bpmn")], actor=designer)
    admin = resolve(env, "admin")
    for login_name, (name, unit, roles, posts, leads) in ROAD_STAFF.items():
        add_user(env, by=admin, login=login_name, name=name, unit=unit, roles=roles, posts=posts,
                 leads=leads, password=PASSWORD)
    env.engine.dispose()
    return path


@pytest.fixture
def road_site(_road_template_db: Path, tmp_path: Path) -> Site:
    """A test installation with the food licence and the road permit deployed (use it as the
    module's ``site``: ``@pytest.fixture def site(road_site): return road_site``)."""
    import shutil

    path = tmp_path / "web.db"
    shutil.copyfile(_road_template_db, path)
    clock = MovableClock(_start())
    url = f"sqlite:///{path}"
    return Site(env=make_env(url, clock), clock=clock, url=url)


# -- a real browser (Debian's chromium) on the application served by uvicorn ----------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    """The application served by uvicorn on a free port, in a thread of the test process."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(500):
        if srv.started:
            break
        time.sleep(0.01)
    assert srv.started, "uvicorn did not start"
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium, driven by Playwright. Missing, it FAILS the test (the setup installs
    it with apt-get): a browser test is never silently skipped."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/ensure-system-deps.sh (apt-get install chromium)")

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def sign_in(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(f"{base}/")
