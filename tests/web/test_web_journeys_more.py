"""Two more journeys in a real headless Chromium (issue 14's list), screenshotted at 1366×768
into the test's screenshots/ folder:

a. 超时默许: the outdoor-advertising permit (XK-HWGG-001, deemed approval) is worked to its
   decision step, the decision post sits on it past the promised deadline, and a time-travelled
   sweep approves it; the supervisor then finds the case among the breaches (超时默许, naming
   审批岗 and the person) and its case file shows the deemed approval;
b. CSRF: a signed-in page posting a form without its token (fetch) is refused, and a form
   submitted from another origin (about:blank) is refused; the case does not change either way.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from engine.model import CaseState
from engine.services import cases
from engine.services.sweep import sweep
from tests.conftest import PROCESSES
from tests.staff import A, person
from tests.web.conftest import CENTRE, FOOD, Site, sign_in

ADVERTISING = "XK-HWGG-001"  # 户外广告设施设置许可: promised 10 working days, deemedApproval
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def advertising_site(site: Site) -> Site:
    """The web installation with the outdoor-advertising permit deployed as well."""
    from engine.identity import Actor, Role
    from engine.services.catalogue_admin import deploy

    designer = Actor(login="sheji", name="sheji", unit=CENTRE, roles=frozenset({Role.DESIGNER}))
    deploy(site.env, [str(PROCESSES / "outdoor_advertising_permit.bpmn")], actor=designer)
    return site


def open_steps(site: Site, number: str) -> list[Any]:
    with site.env.uow() as uow:
        return uow.steps.list(case_id=uow.cases.get(number).id, status="ready")


def complete(site: Site, number: str, name: str, user: str, when: str) -> Any:
    site.clock.at = local(when)
    [step] = [s for s in open_steps(site, number) if s.name == name]
    return cases.complete_task(site.env, step.id, actor=A(user), data={})


def deemed_case(site: Site) -> str:
    """Registered and accepted on Monday 2 March (promised: Mon 16 March), 现场勘查 and 审查 by
    the review post, 审批决定 claimed by 王局长 and left; swept a second after the promised
    limit runs out (00:00 on 17 March, Shanghai)."""
    number = cases.start_case(site.env, ADVERTISING, person("某广告公司"), actor=A("收件员")).number
    cases.accept(site.env, number, actor=A("李窗口"))
    complete(site, number, "现场勘查", "甲勘查", "2026-03-03T10:00")
    complete(site, number, "审查", "乙审查", "2026-03-04T10:00")
    [decide] = open_steps(site, number)
    assert decide.name == "审批决定"
    cases.claim(site.env, decide.id, actor=A("王局长"))
    site.clock.at = local("2026-03-17T00:00:01")
    report = sweep(site.env)
    assert report.fired and not report.errors
    assert [s.name for s in open_steps(site, number)] == ["制证（视为准予）"]
    return number


def test_a_deemed_approval_after_the_sweep_is_on_the_supervision_page_and_in_the_case_file(
        advertising_site: Site, server: str, browser: Any, shots: Path) -> None:
    number = deemed_case(advertising_site)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, server, "jiancha")
    page.click("nav >> text=电子监察")
    page.wait_for_url(f"{server}/supervision")
    page.screenshot(path=shots / "d01-supervision-top.png")
    page.screenshot(path=shots / "d02-supervision-full.png", full_page=True)
    row = page.locator("table.breaches tr[id^=breach-]", has_text="超时默许")
    assert row.count() == 1, page.inner_text("#breaches")
    text = row.inner_text()
    assert number in text and "审批决定" in text and "审批岗" in text and "王局长" in text
    assert "户外广告" in page.inner_text("main")
    cards = page.inner_text("table.cards")  # the red card of the promised limit, too
    assert "红牌" in cards and number in cards
    row.scroll_into_view_if_needed()
    page.screenshot(path=shots / "d03-deemed-breach.png")

    # the breach → the case file: deemed approved, the history says so
    row.locator(f"a[href='/cases/{number}'], a[href='/cases/{quote(number)}']").first.click()
    page.wait_for_url(re.compile(r"/cases/"))
    facts = page.inner_text("dl.facts")
    assert re.search(r"结果\s*办理中（超时默许）", facts), facts
    body = page.inner_text("main")
    assert "超时默许（视为准予）" in body  # the history's event
    assert "制证（视为准予）" in body  # the step now open
    page.screenshot(path=shots / "d04-case-file.png")
    page.screenshot(path=shots / "d05-case-file-full.png", full_page=True)
    assert errors == []
    ctx.close()


def state_of(site: Site, number: str) -> tuple[CaseState, str | None, int]:
    with site.env.uow() as uow:
        case = uow.cases.get(number)
        steps = uow.steps.list(case_id=case.id)
    return case.state, case.accepted_at, len(steps)


def test_a_form_without_its_token_or_from_another_origin_is_refused_in_the_browser(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    number = cases.start_case(site.env, FOOD, person("王五"), actor=A("收件员")).number
    before = state_of(site, number)
    assert before[0] == CaseState.RECEIVED

    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    sign_in(page, server, "chuangkou")
    page.goto(f"{server}/cases/{quote(number)}")
    assert page.locator("#acceptance form").count() >= 1  # the clerk may accept it, with a token

    # same origin, signed in, but no csrf_token in the body and no X-CSRF-Token header
    status, body = page.evaluate(
        """async (url) => {
             const r = await fetch(url, {method: 'POST', body: new URLSearchParams({note: 'x'})});
             return [r.status, await r.text()];
           }""", f"/cases/{quote(number)}/accept")
    assert status in (400, 403), (status, body[:500])
    assert "安全校验码" in body or "CSRF" in body, body[:500]
    assert state_of(site, number) == before

    # a page of another origin (about:blank) with a form posting to the site, submitted
    other = ctx.new_page()
    other.goto("about:blank")
    other.set_content(
        f'<form id="f" method="post" action="{server}/cases/{quote(number)}/accept">'
        '<input name="note" value="cross-site"><input name="csrf_token" value="forged">'
        '<button type="submit">go</button></form>')
    with other.expect_navigation() as nav:
        other.click("button")
    response = nav.value
    assert response is not None and response.status in (400, 403), response
    refused = other.inner_text("body")
    assert "已拒绝" in refused or "安全校验码" in refused, refused[:500]
    other.screenshot(path=shots / "c01-cross-site-refused.png")
    assert state_of(site, number) == before

    # the case file, reloaded: still waiting for acceptance
    page.reload()
    assert page.locator("#acceptance form").count() >= 1
    page.screenshot(path=shots / "c02-case-unchanged.png")
    ctx.close()
