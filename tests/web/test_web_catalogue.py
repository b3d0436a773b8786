"""The public catalogue (职权目录) through the ASGI test client, without signing in: public
powers in service with their limits and deemed approval, each guide with its flowchart inline,
and never a non-public (备案) or withdrawn power — not in the list, the search, the guide or the
flowchart."""

from __future__ import annotations

from typing import Any

import pytest

from engine.identity import Actor, Role
from engine.services.catalogue_admin import deploy, withdraw_power
from tests.conftest import PROCESSES
from tests.web.conftest import CENTRE, FOOD, Site

SECRET = "XK-BMZT-001"  # 国家秘密载体制作、复制审批: public="false"
ADS = "outdoor_advertising_permit.bpmn"  # deemed approval applies
DRAINAGE = "XK-PSXK-001"

DESIGNER = Actor(login="sheji", name="sheji", unit=CENTRE, roles=frozenset({Role.DESIGNER}))


@pytest.fixture
def catalogue(site: Site) -> Site:
    deploy(site.env, [str(PROCESSES / name) for name in (
        "classified_document_review.bpmn", ADS, "drainage_permit.bpmn")], actor=DESIGNER)
    return site


def test_the_catalogue_lists_public_powers_with_limits_and_deemed_approval(
        catalogue: Site, client: Any) -> None:
    r = client.get("/catalogue")
    assert r.status_code == 200
    page = r.text
    assert "食品经营许可" in page and FOOD in page and "县市场监督管理局" in page
    assert "10 个工作日" in page and "20 个工作日" in page  # promised and statutory
    assert "户外广告" in page and '<span class="deemed">适用</span>' in page
    assert "城镇污水排入排水管网许可" in page
    assert SECRET not in page and "国家秘密" not in page and "县国家保密局" not in page


def test_a_non_public_power_never_appears_anywhere(catalogue: Site, client: Any) -> None:
    for path in (f"/catalogue/{SECRET}", f"/catalogue/{SECRET}/flowchart.svg"):
        r = client.get(path)
        assert r.status_code == 404 and "国家秘密" not in r.text, path
    for q in ("保密", SECRET, "涉密"):
        page = client.get("/catalogue", params={"q": q}).text
        assert "国家秘密" not in page and f"没有找到与“{q}”相符的事项" in page


def test_a_withdrawn_power_leaves_the_catalogue(catalogue: Site, client: Any) -> None:
    withdraw_power(catalogue.env, DRAINAGE, actor=DESIGNER, reason="县政府令第 3 号取消")
    assert "城镇污水排入排水管网许可" not in client.get("/catalogue").text
    assert client.get(f"/catalogue/{DRAINAGE}").status_code == 404


def test_the_search_finds_by_name_code_or_unit(catalogue: Site, client: Any) -> None:
    page = client.get("/catalogue", params={"q": "食品"}).text
    assert "食品经营许可" in page and "城镇污水" not in page
    page = client.get("/catalogue", params={"q": DRAINAGE.lower()}).text
    assert "城镇污水排入排水管网许可" in page and "食品经营许可" not in page
    page = client.get("/catalogue", params={"q": "县住房和城乡建设局"}).text
    assert "城镇污水排入排水管网许可" in page and "食品经营许可" not in page


def test_a_guide_shows_materials_fees_basis_conditions_address_phones_and_the_flowchart(
        site: Site, client: Any) -> None:
    r = client.get(f"/catalogue/{FOOD}")
    assert r.status_code == 200
    page = r.text
    for text in ("食品经营许可申请书", "从业人员健康证明", "可容缺后补", "不收费",
                 "《中华人民共和国食品安全法》第三十五条", "具有与经营的食品品种",
                 "XX县政务服务中心一楼市场监管专区 12 号窗口", "0000-12345601", "0000-12345699",
                 "食品经营许可证（有效期 5 年）", "承诺时限", "10 个工作日", "法定时限",
                 "20 个工作日", "现场核查", "审批决定"):
        assert text in page, text
    assert page.count("<svg") == 1 and "<?xml" not in page  # the flowchart, inline
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "审批决定" in svg and "<script" not in svg
    r = client.get(f"/catalogue/{FOOD}/flowchart.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.content.lstrip().startswith(b"<?xml") and "审批决定".encode() in r.content


def test_the_catalogue_needs_no_login_and_an_unknown_power_is_a_404(client: Any) -> None:
    assert client.get("/catalogue").status_code == 200
    r = client.get("/catalogue/NO-SUCH-001")
    assert r.status_code == 404 and "没有找到" in r.text
    assert "sunshine_session" not in client.cookies
