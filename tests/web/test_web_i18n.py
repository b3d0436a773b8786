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
