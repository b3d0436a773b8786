"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright through
``executable_path``; no browser download): a window clerk registers an application and accepts
it, the inspector finds it in 我的待办 and completes 现场核查, and the public lookup shows the
applicant's name masked. Screenshots of every page go to the test's tmp folder (screenshots/):
look at them when a page changes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.staff import id_number
from tests.web.conftest import Site, sign_in


def test_a_clerk_registers_and_accepts_the_inspector_completes_and_the_public_sees_a_masked_name(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{server}/login")
    page.screenshot(path=shots / "01-login.png")
    sign_in(page, server, "chuangkou")

    # 收件
    page.click("nav >> text=收件")
    page.select_option("select[name=power]", "XK-SPJY-001")
    page.fill("input[name=applicant]", "张小三")
    page.fill("input[name=id_number]", id_number("张小三"))
    page.fill("input[name=phone]", "13800001234")
    page.screenshot(path=shots / "02-window-register.png", full_page=True)
    page.click("button:has-text('登记收件')")
    page.wait_for_url(re.compile(r"/cases/2026-"))
    number = unquote(page.url.split("/cases/")[1].split("?")[0])
    assert "已收件" in page.inner_text("#messages")
    query_code = page.inner_text("dd.mono").strip()
    page.screenshot(path=shots / "03-case-received.png", full_page=True)

    # 受理, ten minutes later (the product reads the time from the test's clock)
    site.clock.at += dt.timedelta(minutes=10)
    page.fill("input[name=note]", "材料齐全，符合法定形式")
    page.click("form[action$='/accept'] button")
    page.wait_for_url(re.compile(r"done="))
    assert "已受理" in page.inner_text("#messages")
    assert "现场核查" in page.inner_text("table.list")
    page.screenshot(path=shots / "04-case-accepted.png", full_page=True)
    page.click("text=打印回执 / 通知书")
    assert "受理通知书" in page.inner_text("article.document h1")
    page.screenshot(path=shots / "05-receipt.png", full_page=True)
    page.click("button:has-text('退出')")
    page.wait_for_url(re.compile(r"/login"))

    # the next morning, the inspector: 我的待办 → 认领 (htmx) → 办理 (htmx) 现场核查
    site.clock.at += dt.timedelta(days=1, hours=1)
    sign_in(page, server, "hecha")
    row = page.locator("tr", has_text=number)
    assert row.count() == 1
    assert "现场核查" in row.inner_text()
    page.screenshot(path=shots / "06-my-tasks.png", full_page=True)
    row.locator("button:has-text('认领')").click()
    page.wait_for_selector("text=我已认领")
    assert page.url == f"{server}/"  # no reload: htmx replaced the row's buttons
    row.locator("a:has-text('办理')").click()
    page.wait_for_selector("textarea[name=opinion]")
    page.fill("textarea[name=opinion]", "经营场所、设备设施与申请材料一致，符合要求")
    page.screenshot(path=shots / "07-complete-form.png", full_page=True)
    page.click("button:has-text('办理完成')")
    page.wait_for_selector("text=已办理")
    page.screenshot(path=shots / "08-completed.png", full_page=True)
    page.goto(f"{server}/cases/{number}")
    steps = page.inner_text("table.list")
    assert "王核查" in steps and "2026-03-02 09:10" in steps and "2026-03-03 10:10" in steps
    assert "记录链完整" in page.inner_text("body")
    page.screenshot(path=shots / "09-case-file.png", full_page=True)
    page.set_viewport_size({"width": 800, "height": 1280})  # a 10-inch tablet, upright
    page.screenshot(path=shots / "09b-case-file-tablet.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("button:has-text('退出')")

    # the public: 进度查询, no sign-in, the name masked
    public = ctx.new_page()
    public.goto(f"{server}/lookup")
    public.fill("input[name=number]", number)
    public.fill("input[name=code]", query_code)
    public.click("button:has-text('查询')")
    result = public.inner_text(".lookup-result")
    assert "张*三" in result and "张小三" not in result
    assert "13800001234" not in public.content()
    assert "审核" in result
    public.screenshot(path=shots / "10-public-lookup.png", full_page=True)

    assert not errors, errors  # no script or CSP error in the console
    ctx.close()


def test_a_clerk_opening_the_decision_is_refused_with_the_permission_message(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    from engine.services import cases, identity, views
    from tests.staff import person

    def who(login: str) -> Any:
        return identity.resolve(site.env, login)

    number = cases.start_case(site.env, "XK-SPJY-001", person("李四"), actor=who("chuangkou")).number
    cases.accept(site.env, number, actor=who("chuangkou"))
    for login in ("hecha", "shenhe"):
        step = next(t for t in views.work_list(site.env, who(login)) if t.case_number == number)
        cases.complete_task(site.env, step.id, actor=who(login), data={"opinion": "同意"})
    decision = next(t for t in views.work_list(site.env, who("juzhang")))
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    sign_in(page, server, "chuangkou")
    page.goto(f"{server}/cases/{number}/steps/{decision.id}")
    page.check("input[name=decision][value=approve]")
    page.click("button:has-text('办理完成')")
    page.wait_for_selector(".msg-error")
    assert "权限不足" in page.inner_text(".msg-error")
    page.screenshot(path=shots / "11-clerk-refused.png", full_page=True)
    page.close()
