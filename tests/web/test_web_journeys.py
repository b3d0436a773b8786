"""Journeys in a real headless Chromium (Debian's ``chromium`` through Playwright's
``executable_path``), each page screenshotted at 1366×768 into the test's screenshots/ folder:

a. the road excavation permit (XK-DLWJ-001) from the window to the window: found by searching,
   registered with two materials unchecked → 一次性告知 → 补正 received → 受理 → 现场勘查 and
   市政设施审查 by the municipal post while the traffic police give their opinion in parallel →
   审批决定 (approve) → 制证发证 → 送达 at the window from the queue; the case file then shows
   every step with who and when, and 已送达;
b. the public lookup opened from the receipt's QR code shows the masked name, no phone and no ID
   number.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from engine.services import cases, identity
from tests.staff import id_number, person
from tests.web.conftest import ROAD, Site, sign_in

APPLICANT = "陈建国"
PHONE = "13900002222"


@pytest.fixture
def site(road_site: Site) -> Site:
    return road_site


class Journey:
    """One browser tab, its screenshots numbered in the order they were taken."""

    def __init__(self, page: Any, base: str, folder: Path, site: Site) -> None:
        self.page, self.base, self.folder, self.site = page, base, folder, site
        self.taken: list[Path] = []

    def shot(self, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=True)
        self.taken.append(path)

    def later(self, **delta: int) -> None:
        self.site.clock.at += dt.timedelta(**delta)

    def as_(self, login: str) -> None:
        """Sign out whoever is signed in, and sign in as ``login``."""
        if self.page.locator("button:has-text('退出')").count():
            self.page.click("button:has-text('退出')")
            self.page.wait_for_url(re.compile(r"/login"))
        sign_in(self.page, self.base, login)

    def work(self, number: str, step: str, shot: str, fill: Any) -> None:
        """From 我的待办: claim the case's step (htmx), open its form in place, fill, complete."""
        page = self.page
        page.goto(f"{self.base}/")
        row = page.locator("tr[id^=task-]", has_text=number).filter(has_text=step)
        assert row.count() == 1, f"{step} of {number} is not in the list"
        self.shot(f"{shot}-tasks")
        row.locator("button:has-text('认领')").click()
        row.locator(".claimed").wait_for()
        row.locator("a:has-text('办理')").click()
        form = page.locator(".step-form form")
        form.wait_for()
        fill(form)
        self.shot(f"{shot}-form")
        form.locator("button:has-text('办理完成')").click()
        page.wait_for_selector("text=已办理")


def test_a_road_permit_from_the_window_through_two_posts_in_parallel_to_its_hand_out(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    j = Journey(page, server, shots, site)

    # 收件: the clerk finds the power by searching, its guide beside the form
    j.as_("chuangkou")
    page.click("nav >> text=收件")
    page.fill("input[name=q]", "挖掘")
    page.locator("#power-results a", has_text="城市道路挖掘占用审批").wait_for()  # htmx, live
    j.shot("window-search")
    page.click("#power-results a:has-text('城市道路挖掘占用审批')")
    page.wait_for_url(re.compile(r"power=XK-DLWJ-001"))
    assert "城市道路挖掘修复费" in page.inner_text("#guide")
    assert page.locator("#checklist tr").count() == 8
    page.fill("input[name=applicant]", APPLICANT)
    page.fill("input[name=id_number]", id_number(APPLICANT))
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=agent_name]", "王代理")
    page.fill("input[name=agent_id_number]", id_number("王代理"))
    rows = page.locator("#checklist tbody tr")
    for i in range(8):  # every material 已收 but two: one missing, one to correct
        state = {2: "correct", 5: "missing"}.get(i, "received")
        rows.nth(i).locator(f"input[value={state}]").check()
    j.shot("window-register")
    page.set_viewport_size({"width": 800, "height": 1280})  # a 10-inch tablet, upright
    j.shot("window-register-tablet")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("button:has-text('登记收件')")
    page.wait_for_url(re.compile(r"/cases/2026-"))
    number = unquote(page.url.split("/cases/")[1].split("?")[0])
    assert "已收件" in page.inner_text("#messages")
    assert "王代理" in page.inner_text("dl.facts")
    j.shot("case-received")
    page.set_viewport_size({"width": 800, "height": 1280})
    j.shot("case-received-tablet")
    page.set_viewport_size({"width": 1366, "height": 768})

    # 一次性告知: the two unchecked rows are the notice
    page.click("button:has-text('一次性告知')")
    page.wait_for_url(re.compile(r"done="))
    notice = page.inner_text("#correction")
    assert "地下管线权属单位意见" in notice and "挖掘位置平面图（标明挖掘范围、面积、深度）（需补正）" in notice
    j.shot("case-supplement-notice")
    page.click("text=打印回执 / 通知书")
    assert "补正" in page.inner_text("article.document h1")
    j.shot("receipt-supplement")

    # two days later the applicant brings them: 补正材料已收, then 受理
    j.later(days=2)
    j.as_("chuangkou")
    page.goto(f"{server}/window/queue")
    assert number in page.inner_text("#correcting")
    j.shot("queue-correcting")
    page.click(f"#correcting a[href='/cases/{number}#correction']")
    page.fill("#correction input[name=note]", "已补交管线权属单位意见和修改后的平面图")
    page.click("button:has-text('补正材料已收')")
    page.wait_for_url(re.compile(r"done="))
    assert page.locator("#checklist input[value=received]:checked").count() == 8
    j.shot("case-supplement-received")
    j.later(minutes=10)
    page.fill("input[name=note]", "材料齐全，符合法定形式")
    page.click("#acceptance button:has-text('受理')")
    page.wait_for_url(re.compile(r"done="))
    assert "已受理" in page.inner_text("#messages")
    j.shot("case-accepted")

    # the municipal post works its two steps while the traffic police give their opinion
    j.later(hours=1)
    j.as_("shizheng")
    j.work(number, "现场勘查", "survey",
           lambda f: f.locator("textarea[name=opinion]").fill("现场与平面图一致，管线已标明"))
    j.later(hours=1)
    j.as_("shizheng")  # an hour later: the session has ended, he signs in again
    j.work(number, "市政设施审查", "municipal",
           lambda f: f.locator("textarea[name=opinion]").fill("挖掘及恢复方案可行，修复费已核定"))
    j.later(minutes=30)
    j.as_("jiaojing")
    j.work(number, "交通安全意见", "traffic", lambda f: (
        f.locator("input[name=consent]").check(),
        f.locator("textarea[name=opinion]").fill("同意，施工期间设置围挡和导向标志")))
    j.later(hours=1)
    j.as_("fenguan")
    j.work(number, "审批决定", "decision", lambda f: (
        f.locator("input[name=decision][value=approve]").check(),
        f.locator("textarea[name=opinion]").fill("准予许可")))
    j.later(hours=1)
    j.as_("zhizheng")
    j.work(number, "制证发证", "certificate",
           lambda f: f.locator("input[name=certificate_no]").fill("挖许〔2026〕001 号"))

    # 送达 at the window, from the queue
    j.later(hours=1)
    j.as_("chuangkou")
    page.goto(f"{server}/window/queue")
    assert number in page.inner_text("#to-hand-out")
    j.shot("queue-to-hand-out")
    page.click(f"#to-hand-out a[href='/cases/{number}#hand-out']")
    page.select_option("#hand-out select[name=method]", "窗口领取")
    page.fill("#hand-out input[name=received_by]", "王代理")
    page.fill("#hand-out input[name=note]", "核对代理人身份证和授权委托书后领取")
    j.shot("case-hand-out-form")
    page.click("#hand-out button:has-text('送达')")
    page.wait_for_url(re.compile(r"done="))
    assert "已送达" in page.inner_text("dl.facts") and "已送达" in page.inner_text("#hand-out")

    # the case file: every step with who and when, and 已送达
    steps = page.inner_text("table.steps")
    for step, who in (("受理", "李窗口"), ("补正材料", "李窗口"), ("现场勘查", "刘市政"),
                      ("市政设施审查", "刘市政"), ("交通安全意见", "马交警"), ("审批决定", "黄分管"),
                      ("制证发证", "林制证")):
        line = next((r for r in steps.splitlines() if r.startswith(step) and who in r), None)
        assert line is not None, (step, who, steps)
        assert re.search(r"2026-03-0\d \d\d:\d\d\s+2026-03-0\d \d\d:\d\d", line), line
    assert "2026-03-04 09:10" in steps  # 受理, two days and ten minutes after 收件
    assert "办结（准予）" in page.inner_text("h1")
    history = page.inner_text("table.history")
    assert "送达：窗口领取，签收人 王代理" in history
    j.shot("case-file-handed-out")
    page.goto(f"{server}/window/queue")
    assert number not in page.inner_text("#to-hand-out")

    assert not errors, errors  # no script or CSP error in the console
    ctx.close()
    assert len(j.taken) >= 20


def test_the_posts_leader_hands_a_claimed_step_on_from_the_task_list(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    clerk = identity.resolve(site.env, "chuangkou")
    number = cases.start_case(site.env, ROAD, person(APPLICANT), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    step = next(s for s in cases.find_case(site.env, number).open_steps() if s.name == "现场勘查")
    cases.claim(site.env, step.id, actor=identity.resolve(site.env, "shizheng"))
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(page, server, "guzhang")
    row = page.locator(f"tr#task-{step.id}")
    assert "已由 刘市政 认领" in row.inner_text()
    row.locator("summary:has-text('转办')").click()
    popover = row.locator("form.popover")
    popover.wait_for()
    box = popover.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
    page.screenshot(path=shots / "01-leader-reassign.png", full_page=True)
    popover.locator("select[name=to]").select_option("shizheng2")
    popover.locator("input[name=reason]").fill("刘市政出差，由何市政办理")
    popover.locator("button:has-text('确认转办')").click()
    page.wait_for_url(re.compile(r"done="))
    assert "转办给 何市政" in page.inner_text("#messages")
    assert "已由 何市政 认领" in page.locator(f"tr#task-{step.id}").inner_text()
    page.screenshot(path=shots / "02-leader-reassigned.png", full_page=True)
    page.close()


def test_the_public_lookup_from_the_receipts_qr_code_shows_a_masked_name_only(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    import segno

    clerk = identity.resolve(site.env, "chuangkou")
    view = cases.start_case(site.env, ROAD, person(APPLICANT, phone=PHONE), actor=clerk)
    cases.accept(site.env, view.number, actor=clerk)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    sign_in(page, server, "chuangkou")
    page.goto(f"{server}/cases/{view.number}/receipt")
    assert "受理通知书" in page.inner_text("article.document h1")
    page.screenshot(path=shots / "01-receipt-accepted.png", full_page=True)
    # the QR code on the receipt is exactly the public lookup's address with the query code
    link = f"{server}/lookup?number={quote(view.number)}&code={quote(view.query_code)}"
    body = page.request.get(f"{server}/cases/{view.number}/receipt").text()
    assert segno.make(link, error="m").svg_inline(scale=3, omitsize=False) in body
    ctx.close()

    public = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = public.new_page()  # a phone scanning the code: no session
    page.goto(link)
    result = page.inner_text(".lookup-result")
    assert "陈*国" in result and APPLICANT not in page.content()
    assert PHONE not in page.content() and id_number(APPLICANT) not in page.content()
    assert id_number(APPLICANT)[-4:] not in page.content()
    assert "城市道路挖掘占用审批" in result and "现场勘查" in result
    page.screenshot(path=shots / "02-public-lookup.png", full_page=True)
    public.close()
