"""The case file of a case whose personal data was erased (个人信息保存期限), as the window sees it:
the note on the erasure, the erasure in the history, the recipients masked, and why the notices
still waiting were never sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from engine.identity import Actor, Role
from engine.personal import NOT_SENT
from engine.services import cases as svc
from engine.services.retention import run_retention
from tests.staff import CLERK, A, person
from tests.web.conftest import FOOD, Site, login


def test_the_case_file_of_an_erased_case_says_so_and_why_its_notices_were_not_sent(
        site: Site, client: Any) -> None:
    """Five years after 不予受理 the window clerk opens the case."""
    number = svc.start_case(site.env, FOOD, person("张三", phone="13912345678"),
                            actor=A(CLERK)).number
    svc.refuse_acceptance(site.env, number, actor=A(CLERK), reason="不属于本机关职权")
    admin = Actor(login="admin", name="系统管理员", unit="县政务服务中心",
                  roles=frozenset({Role.ADMIN}))
    later = site.clock.now() + timedelta(days=5 * 366)
    assert [e.number for e in run_retention(site.env, admin, apply=True, now=later).erased] == [
        number]
    login(client, "chuangkou")
    html = client.get(f"/cases/{quote(number)}").text
    assert "个人信息已按保存期限删除" in html and "个人信息保存期满删除" in html
    assert "13912345678" not in html and "139****5678" in html
    assert NOT_SENT in html
