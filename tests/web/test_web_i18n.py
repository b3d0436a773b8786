"""The pages in Chinese by default and in English on request: ``?lang=en`` (kept in the cookie
``lang``), or the browser's Accept-Language; the English catalogue's .mo agrees with its .po."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import login


def test_default_is_chinese(client: Any) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "登录名" in page.text and "Password" not in page.text
    assert 'href="/login?lang=en"' in page.text  # the switch to English
    assert "lang" not in page.cookies


def test_login_page_in_english_and_kept_by_the_cookie(client: Any) -> None:
    page = client.get("/login?lang=en")
    assert '<html lang="en">' in page.text
    assert "Password" in page.text and "Sign in" in page.text
    assert "密码" not in page.text and "登录名" not in page.text
    cookie = page.headers["set-cookie"]
    assert "lang=en" in cookie and "samesite=lax" in cookie.lower()
    again = client.get("/lookup")  # the cookie keeps English
    assert "Case progress lookup" in again.text and "办件进度查询" not in again.text
    assert 'href="/lookup?lang=zh"' in again.text
    back = client.get("/lookup?lang=zh")
    assert "办件进度查询" in back.text and "Case progress lookup" not in back.text
    assert "lang=zh" in back.headers["set-cookie"]


def test_task_list_in_english(client: Any) -> None:
    assert login(client, "hecha").status_code == 303
    chinese = client.get("/")
    assert "我的待办" in chinese.text and "My tasks" not in chinese.text
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert "My tasks" in page.text and "Sign out" in page.text
    assert "我的待办" not in page.text and "退出" not in page.text
    assert "No steps to handle." in page.text or "Working days left" in page.text
    mine = client.get("/?view=mine")  # the cookie keeps it; the view's label is translated
    assert "Claimed by me" in mine.text or "No steps claimed by me" in mine.text
    assert "我已认领" not in mine.text
    assert 'href="/?view=mine&amp;lang=zh"' in mine.text


def test_accept_language(client: Any) -> None:
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.5"})
    assert '<html lang="en">' in english.text and "Password" in english.text
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in chinese.text and "密码" in chinese.text
    other = client.get("/login", headers={"Accept-Language": "fr-FR,fr"})
    assert '<html lang="zh-CN">' in other.text
    client.cookies.set("lang", "zh")  # the cookie wins over the browser
    chosen = client.get("/login", headers={"Accept-Language": "en"})
    assert "密码" in chosen.text


def test_error_page_in_english(client: Any) -> None:
    page = client.get("/no-such-page?lang=en")
    assert page.status_code == 404
    assert "Not found" in page.text and "没有找到" not in page.text


def test_catalogue_compiled_and_complete() -> None:
    from babel.messages.pofile import read_po

    from adapters.web import i18n

    folder = i18n.TRANSLATIONS / "en" / "LC_MESSAGES"
    assert (folder / "messages.mo").read_bytes() == i18n.compile_catalogue("en"), \
        "messages.mo is older than messages.po: run python -m adapters.web.i18n"
    with (folder / "messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert not untranslated
    assert len(catalog) > 50


def test_every_marked_string_is_in_the_catalogue() -> None:
    """Every string marked in the templates has its English line."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from adapters.web import i18n
    from adapters.web.render import TEMPLATES

    with (i18n.TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    options = {"trimmed": "true", "extensions": "jinja2.ext.i18n", "trim_blocks": "true",
               "lstrip_blocks": "true"}
    marked = {m[2] if isinstance(m[2], str) else m[2][0]
              for m in extract_from_dir(str(TEMPLATES), method_map=[("*.html", "jinja2")],
                                        options_map={"*.html": options})}
    missing = sorted(m for m in marked if catalog.get(m) is None or not catalog.get(m).string)
    assert not missing


def test_window_page_in_english(client: Any) -> None:
    assert login(client, "chuangkou").status_code == 303
    page = client.get("/window?lang=en")
    assert page.status_code == 200
    assert "Register intake" in page.text and "Intake" in page.text
    assert "收件登记" not in page.text and "申请人姓名或单位名称" not in page.text


def test_case_page_in_english(road_site: Any) -> None:
    from fastapi.testclient import TestClient

    from adapters.web.app import create_app
    from tests.web.test_web_window import registered

    with TestClient(create_app(road_site.env), follow_redirects=False) as c:
        assert login(c, "chuangkou").status_code == 303
        number = registered(c)
        page = c.get(f"/cases/{number}?lang=en")
        assert page.status_code == 200
        assert "Acceptance at the window" in page.text and "Refuse (不予受理)" in page.text
        assert "核对材料后" not in page.text and "办理记录" not in page.text
        assert page.text.count("Accept (受理)") >= 2  # heading and button


# -- the supervision, queue, catalogue, admin, publisher and receipt pages ---------------------


def test_supervision_pages_in_english(site: Any, client: Any) -> None:
    from tests.web.conftest import FOOD
    from tests.web.test_web_supervision import overdue_case

    number = overdue_case(site)
    assert login(client, "jiancha").status_code == 303
    page = client.get("/supervision?lang=en")
    assert page.status_code == 200
    for english in ("Cases in progress by unit", "Near deadline", "Breaches", "Warnings and cards",
                    "Red card", "Yellow card", "Past the promised time limit", "To decide",
                    "Live flowcharts of the matters"):
        assert english in page.text, english
    for chinese in ("各单位在办件", "违诺记录", "预警与亮牌", "红牌", "黄牌", "待处理", "处理措施",
                    "事项实时流程图"):
        assert chinese not in page.text, chinese
    assert f'href="/cases/{number}"' in page.text
    behind = client.get(f"/supervision/cases?which=overdue&power={FOOD}")
    assert "Current step" in behind.text and "当前环节" not in behind.text
    live = client.get(f"/supervision/flowchart/{FOOD}")
    assert "Average time (working days)" in live.text and "点件数查看背后的办件" not in live.text


def test_window_queue_in_english(site: Any, client: Any) -> None:
    from engine.services import cases, identity
    from tests.staff import person
    from tests.web.conftest import FOOD

    clerk = identity.resolve(site.env, "chuangkou")
    waiting = cases.start_case(site.env, FOOD, person("张小三"), actor=clerk).number
    assert login(client, "chuangkou").status_code == 303
    page = client.get("/window/queue?lang=en")
    assert page.status_code == 200
    for english in ("Window queue", "To hand out", "Supplementing", "To accept", "Received today",
                    "No results to hand out."):
        assert english in page.text, english
    for chinese in ("窗口队列", "待送达", "补正中", "待受理", "今日收件", "没有待送达的结果"):
        assert chinese not in page.text, chinese
    assert waiting in page.text and "Accept (受理)" in page.text


def test_public_catalogue_in_english(client: Any) -> None:
    from tests.web.conftest import FOOD

    page = client.get("/catalogue?lang=en")  # no signing in
    assert page.status_code == 200
    assert "Catalogue of powers" in page.text and "Matter code" in page.text
    assert "Time limits are in working days" in page.text
    assert "职权目录" not in page.text and "事项编码" not in page.text
    assert "时限均为工作日" not in page.text
    assert "食品经营许可" in page.text  # the power's name is not translated
    guide = client.get(f"/catalogue/{FOOD}")  # the cookie keeps English
    assert guide.status_code == 200
    for english in ("Service guide", "Legal basis", "Fees and their basis", "Where to apply",
                    "Flowchart of 食品经营许可", "Download SVG"):
        assert english in guide.text, english
    for chinese in ("设定依据", "收费标准及依据", "办理地点", "下载 SVG", "无需提交材料"):
        assert chinese not in guide.text, chinese


def test_admin_pages_in_english(client: Any) -> None:
    assert login(client, "admin").status_code == 303
    page = client.get("/admin/users?lang=en")
    assert page.status_code == 200
    for english in ("Users", "API keys", "Sign-in sessions", "Refusals", "Register a user",
                    "Initial password"):
        assert english in page.text, english
    for chinese in ("用户管理", "登录会话", "拒绝记录", "登记用户", "初始密码", "负责的岗位"):
        assert chinese not in page.text, chinese
    one = client.get("/admin/users/hecha")
    assert "User hecha" in one.text and "Registered" in one.text
    assert "Posts and roles" in one.text and "Disable the user" in one.text
    assert "岗位与角色" not in one.text and "停用用户" not in one.text
    assert "王核查" in one.text and "现场核查岗" in one.text  # names and posts as they are


def test_publisher_page_in_english(client: Any) -> None:
    assert login(client, "gongkai").status_code == 303
    page = client.get("/publisher?lang=en")
    assert page.status_code == 200
    for english in ("Publishing", "Public catalogue website", "Download the website (zip)",
                    "Export everything", "Flowchart SVG", "Clarity card PDF"):
        assert english in page.text, english
    for chinese in ("公开目录网站", "下载网站", "全部导出", "单个事项", "明白卡 PDF"):
        assert chinese not in page.text, chinese


def test_receipt_in_english(site: Any, client: Any) -> None:
    from engine.services import cases, identity
    from tests.staff import person
    from tests.web.conftest import FOOD

    clerk = identity.resolve(site.env, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张小三"), actor=clerk).number
    assert login(client, "chuangkou").status_code == 303
    page = client.get(f"/cases/{number}/receipt?lang=en")
    assert page.status_code == 200 and "<svg" in page.text
    assert "Back to the case file" in page.text and "Scan to follow the progress" in page.text
    assert f"Case number: {number}" in page.text and "Lookup code: " in page.text
    assert "返回案卷" not in page.text and "扫码查询办理进度" not in page.text
    assert "2026-3-2" in page.text and "2026 年" not in page.text
    assert "收件回执" in page.text  # the document itself is the engine's, in Chinese


# -- the designer's pages ----------------------------------------------------------------------


def test_designer_pages_in_english(client: Any) -> None:
    from tests.conftest import FIXTURES
    from tests.web.conftest import FOOD
    from tests.web.test_web_designer import page_token, upload

    assert login(client, "shejishi").status_code == 303
    page = client.get("/designer?lang=en")
    assert page.status_code == 200
    for english in ("Process design", "Deployed matters", "Responsible unit", "Version 1",
                    "Check and preview", "Deploy directly", "Withdraw", "Reason for withdrawing"):
        assert english in page.text, english
    for chinese in ("已部署的事项", "上传 BPMN 文件", "检查并预览", "直接部署", "第 1 版", "撤回理由"):
        assert chinese not in page.text, chinese
    assert "食品经营许可" in page.text  # the power's name is not translated
    versions = client.get(f"/designer/powers/{FOOD}")  # the cookie keeps English
    assert versions.status_code == 200
    for english in ("Versions", "Deployed by", "Cases in progress", "Current",
                    "Flowchart of version 1"):
        assert english in versions.text, english
    for chinese in ("部署人", "在办件", "第 1 版的流程图", "新的申请按当前版本办理"):
        assert chinese not in versions.text, chinese
    data = (FIXTURES / "bpmn" / "lint" / "user_task_without_time_limit.bpmn").read_bytes()
    check = upload(client, "/designer/check", "审批.bpmn", data, page_token(client))
    assert check.status_code == 200
    for english in ("Check result", "Errors found: 1", "Problem and how to fix it",
                    "Flowchart preview", "Upload again"):
        assert english in check.text, english
    for chinese in ("检查结果", "发现 1 个错误", "问题与改法", "流程图预览", "重新上传"):
        assert chinese not in check.text, chinese
    assert "Activity_decide" in check.text and "审批.bpmn" in check.text
