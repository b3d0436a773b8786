"""电子监察 in the browser: after a time-travelled sweep a supervisor sees the overdue case by
unit and power, its cards and breaches, each figure linking to the cases behind it; decides a
breach; is refused one against himself; a non-supervisor is refused every supervision page
(403, recorded). And one journey in Chromium, with screenshots."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from engine.services import cases, identity, supervision
from engine.services.sweep import sweep
from tests.staff import person
from tests.web.conftest import FOOD, ORIGIN, SCJG, Site, csrf_of, login, sign_in


def as_(site: Site, login_name: str) -> Any:
    return identity.resolve(site.env, login_name)


def overdue_case(site: Site) -> str:
    """A food licence accepted on Monday 2 March and left alone for 40 days, then swept: past
    its step limit (黄牌), its promised limit (红牌) and its statutory limit."""
    clerk = as_(site, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张小三"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    site.clock.at += dt.timedelta(days=40)
    report = sweep(site.env)
    assert report.fired and not report.errors
    return number


def test_a_supervisor_sees_the_overdue_case_by_unit_with_its_cards_and_breaches(
        site: Site, client: Any) -> None:
    number = overdue_case(site)
    login(client, "jiancha")
    page = client.get("/supervision")
    assert page.status_code == 200, page.text
    html = page.text
    assert SCJG in html and "食品经营许可" in html
    # the unit's overdue figure links to the cases behind it
    link = "/supervision/cases?which=overdue&amp;unit=" + quote(SCJG, safe="")
    assert link in html
    assert "红牌" in html and "黄牌" in html and f'href="/cases/{number}"' in html
    assert "超过承诺时限" in html and "待处理" in html  # the breach, undecided
    assert '<a href="/supervision">电子监察</a>' in html  # in the navigation, for a supervisor


def test_every_figure_opens_the_cases_behind_it_and_each_its_case_file(
        site: Site, client: Any) -> None:
    number = overdue_case(site)
    login(client, "jiancha")
    for query in (f"which=overdue&unit={quote(SCJG)}", f"which=overdue&power={FOOD}",
                  f"which=open&power={FOOD}", f"which=overdue&power={FOOD}&step=inspection"):
        page = client.get("/supervision/cases?" + query)
        assert page.status_code == 200, (query, page.text)
        assert f'href="/cases/{number}"' in page.text, query
    near = client.get(f"/supervision/cases?which=near&power={FOOD}")
    assert near.status_code == 200 and number not in near.text  # overdue is not near
    assert client.get(f"/cases/{quote(number)}").status_code == 200
    bad = client.get("/supervision/cases?which=everything")
    assert bad.status_code == 409 and "统计口径" in bad.text


def test_the_live_flowchart_is_inline_svg_with_the_counts_per_step(site: Site,
                                                                  client: Any) -> None:
    overdue_case(site)
    login(client, "jiancha")
    page = client.get(f"/supervision/flowchart/{FOOD}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<svg" in html and "<?xml" not in html and "<!DOCTYPE svg" not in html
    assert "在办 1 件 · 超期 1 件" in html  # the renderer's own label in the step's box
    assert (f"/supervision/cases?which=overdue&amp;power={FOOD}&amp;step=inspection"
            in html)
    assert client.get("/supervision/flowchart/NO-SUCH-POWER").status_code == 404


def test_a_supervisor_decides_a_breach_and_the_decision_is_shown(site: Site,
                                                                client: Any) -> None:
    overdue_case(site)
    breach = next(b for b in supervision.list_breaches(site.env) if b.kind.value == "overdue_case")
    login(client, "jiancha")
    token = csrf_of(client.get("/supervision").text)
    r = client.post(f"/supervision/breaches/{breach.id}/decide",
                    data={"csrf_token": token, "measure": "通报批评",
                          "reasons": "超过承诺时限 20 个工作日，未申请延期"}, headers=ORIGIN)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "已对违诺记录" in page.text and "通报批评" in page.text
    assert "未申请延期" in page.text
    decided = next(b for b in supervision.list_breaches(site.env) if b.id == breach.id)
    assert decided.measure is not None and decided.decided_by == "jiancha"


def test_a_decision_without_reasons_comes_back_beside_its_form(site: Site, client: Any) -> None:
    overdue_case(site)
    breach = supervision.list_breaches(site.env)[0]
    login(client, "jiancha")
    token = csrf_of(client.get("/supervision").text)
    r = client.post(f"/supervision/breaches/{breach.id}/decide",
                    data={"csrf_token": token, "measure": "诫勉教育", "reasons": " "},
                    headers=ORIGIN)
    assert r.status_code == 409 and "须写明理由" in r.text
    assert 'aria-invalid="true"' in r.text  # the form again, its field marked
    assert supervision.list_breaches(site.env, decided=True) == []


def test_a_breach_against_oneself_is_refused_with_the_permission_message(
        site: Site, client: Any) -> None:
    overdue_case(site)
    step_breach = next(b for b in supervision.list_breaches(site.env)
                       if b.kind.value == "overdue_step")
    assert step_breach.post == "现场核查岗"
    login(client, "jianhe")  # a supervisor who holds 现场核查岗 himself
    token = csrf_of(client.get("/supervision").text)
    r = client.post(f"/supervision/breaches/{step_breach.id}/decide",
                    data={"csrf_token": token, "measure": "none", "reasons": "情有可原"},
                    headers=ORIGIN)
    assert r.status_code == 403
    assert "权限不足" in r.text and "本人" in r.text
    assert supervision.list_breaches(site.env, decided=True) == []


def test_a_non_supervisor_is_refused_every_supervision_page(site: Site, client: Any) -> None:
    overdue_case(site)
    breach = supervision.list_breaches(site.env)[0]
    login(client, "hecha")
    home = client.get("/")
    assert "/supervision" not in home.text  # no link in the navigation
    for path in ("/supervision", f"/supervision/flowchart/{FOOD}",
                 f"/supervision/cases?which=overdue&power={FOOD}"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "权限不足" in r.text and "监察人员" in r.text
    r = client.post(f"/supervision/breaches/{breach.id}/decide",
                    data={"csrf_token": csrf_of(home.text), "measure": "none",
                          "reasons": "x"}, headers=ORIGIN)
    assert r.status_code == 403 and "权限不足" in r.text
    assert supervision.list_breaches(site.env, decided=True) == []
    refused = identity.denials(site.env, login="hecha")
    assert {d.action for d in refused} >= {"view_supervision", "decide_breach"}


def test_an_htmx_request_gets_the_refusal_in_the_message_area(site: Site, client: Any) -> None:
    login(client, "hecha")
    r = client.get("/supervision", headers={"HX-Request": "true"})
    assert r.status_code == 403 and r.headers["HX-Retarget"] == "#messages"


# -- in Chromium ----------------------------------------------------------------------------


def test_after_a_sweep_the_supervisor_sees_the_red_card_and_follows_it_to_the_case(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    number = overdue_case(site)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, server, "jiancha")
    page.click("nav >> text=电子监察")
    page.wait_for_url(f"{server}/supervision")
    page.screenshot(path=shots / "s01-supervision-top.png")
    page.screenshot(path=shots / "s02-supervision-full.png", full_page=True)
    cards = page.inner_text("table.cards")
    assert "红牌" in cards and number in cards
    overview = page.locator("table.overview tr.unit-row", has_text=SCJG)
    assert overview.locator("a.fig-overdue").inner_text().strip() == "1"

    # decide the breach of the case's promised limit
    row = page.locator("table.breaches tr", has_text="超过承诺时限").first
    form_row = row.locator("xpath=following-sibling::tr[1]")
    form_row.locator("select[name=measure]").select_option("效能告诫")
    form_row.locator("input[name=reasons]").fill("超过承诺时限未办结，且未申请延期")
    form_row.locator("button:has-text('作出决定')").click()
    page.wait_for_url(re.compile(r"done="))
    assert "已对违诺记录" in page.inner_text("#messages")
    page.screenshot(path=shots / "s03-breach-decided.png")

    # the figure → the cases behind it → the case file
    page.locator("table.overview tr.unit-row a.fig-overdue").click()
    page.wait_for_url(re.compile(r"/supervision/cases\?"))
    page.screenshot(path=shots / "s04-cases-behind.png", full_page=True)
    page.click(f"text={number}")
    page.wait_for_url(re.compile(r"/cases/"))
    assert unquote(page.url).endswith(number)

    # the live flowchart, drawn by graphviz with the counts in the steps
    page.goto(f"{server}/supervision/flowchart/{FOOD}")
    assert page.locator("figure.flowchart svg").count() == 1
    assert "在办 1 件" in page.inner_text("figure.flowchart")
    page.screenshot(path=shots / "s05-live-flowchart.png")
    page.screenshot(path=shots / "s06-live-flowchart-full.png", full_page=True)
    page.goto(f"{server}/supervision")
    page.set_viewport_size({"width": 800, "height": 1280})  # a 10-inch tablet, upright
    page.screenshot(path=shots / "s07-supervision-tablet.png", full_page=True)
    assert errors == []
    ctx.close()


def refused_on_time(site: Site) -> str:
    """A food licence worked by its posts and refused at the decision, well within its limit."""
    clerk = as_(site, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("李四"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    for login_name, data in (("hecha", {"opinion": "属实"}), ("shenhe", {"opinion": "同意"}),
                             ("juzhang", {"decision": "refuse", "opinion": "场所不符合要求"})):
        [step] = [s for s in cases.find_case(site.env, number).open_steps()]
        site.clock.at += dt.timedelta(hours=2)
        cases.complete_task(site.env, step.id, actor=as_(site, login_name), data=data)
    assert cases.case_view(site.env, number).state.value == "refused"
    return number


def test_the_statistics_page_counts_rates_and_opens_the_cases_behind_each_figure(
        site: Site, client: Any) -> None:
    on_time = refused_on_time(site)  # Monday 2 March
    late = overdue_case(site)  # accepted 2 March, swept 40 days later: carded, still open
    login(client, "jiancha")
    query = "from=2026-03-01&to=2026-04-30&by=unit"
    page = client.get(f"/supervision/stats?{query}")
    assert page.status_code == 200, page.text
    html = page.text
    row = html.split(f"<td>{SCJG}</td>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    counts = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    # received 2, accepted 2, decided 1, on time 1, early 1, overdue 0, deemed 0, rate 100 %
    assert counts[:8] == ["2", "2", "1", "1", "1", "0", "0", "100.0%"], counts
    assert "<svg" in html and "按时办结率，按月" in html  # the charts, drawn on the server
    decided = re.search(r'href="(/supervision/stats/cases\?[^"]*figure=decided)"', row)
    assert decided
    behind = client.get(decided.group(1).replace("&amp;", "&"))
    assert behind.status_code == 200 and f'href="/cases/{quote(on_time)}"' in behind.text
    assert late not in behind.text
    red = client.get(f"/supervision/stats/cases?{query}&key={quote(SCJG)}&figure=red")
    assert red.status_code == 200 and late in red.text and on_time not in red.text
    csv = client.get(f"/supervision/stats.csv?{query}")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert SCJG in csv.content.decode("utf-8-sig") and "100.0%" in csv.content.decode("utf-8")
    # the columns county reports use end with the ratings and the complaints upheld
    header = csv.content.decode("utf-8-sig").splitlines()[1].split(",")
    assert header[-2:] == ["差评", "投诉属实"] and "<th class=\"num\">差评</th>" in html
    total = csv.content.decode("utf-8-sig").splitlines()[-1].split(",")
    assert len(total) == len(header) and total[-2:] == ["0", "0"]  # none in this county yet


def test_a_bad_period_comes_back_beside_the_form_and_non_supervisors_are_refused(
        site: Site, client: Any) -> None:
    login(client, "jiancha")
    bad = client.get("/supervision/stats?from=2026-04-01&to=2026-03-01")
    assert bad.status_code == 409 and "早于开始日" in bad.text and 'name="from"' in bad.text
    assert client.get("/supervision/stats?from=someday&to=2026-03-01").status_code == 409
    login(client, "chuangkou")
    for path in ("/supervision/stats", "/supervision/stats.csv?from=2026-03-01&to=2026-03-31"):
        r = client.get(path)
        assert r.status_code == 403 and "权限不足" in r.text, path


def test_a_name_that_looks_like_a_formula_is_text_in_the_csv() -> None:
    from adapters.stats_export import safe_cell

    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [safe_cell(v) for v in ("+1", "-1", "@SUM(A1)", "\tx", "县水利局", 3)] == [
        "'+1", "'-1", "'@SUM(A1)", "'\tx", "县水利局", 3]
