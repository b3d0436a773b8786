"""流程设计 › 建模器: the web modeler over HTTP and in a real Chromium (Debian's, through
Playwright's ``executable_path``).

A designer opens a power in the modeler (bpmn-js served from /static, no internet), selects a
step and changes its limit through the side form (the server writes the XML), sees lint's
findings as markers on the diagram, saves (refused, naming what, if sunshine: content would be
lost) and deploys a new version; the comparison of the two versions says what changed and
colours it on the flowcharts. Every shipped process goes through the modeler and back — an
element moved, the file saved — with its sunshine: content and process graph unchanged.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from engine.modeler import outline, sunshine_content
from engine.services import catalogue_admin
from engine.xmlsafe import parse_bpmn_bytes
from tests.conftest import PROCESSES
from tests.web.conftest import FOOD, ORIGIN, Site, csrf_of, login, sign_in

MODELER = f"/designer/modeler/{FOOD}"


def opened(client: Any, path: str = MODELER) -> tuple[str, str]:
    """The modeler page's CSRF token and the XML it opened."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    xml = page.text.split('<textarea id="modeler-source" hidden>', 1)[1].split("</textarea>")[0]
    return csrf_of(page.text), html.unescape(xml)


def post(client: Any, path: str, token: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": token, **data}, headers=ORIGIN)


def test_the_modeler_page_serves_bpmn_js_and_its_fonts_from_this_site(client: Any) -> None:
    login(client, "shejishi")
    page = client.get(MODELER)
    assert page.status_code == 200
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    assert "/static/vendor/bpmn-js/bpmn-modeler.production.min.js" in page.text
    assert "/static/modeler-zh.js" in page.text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # nothing from elsewhere
    css = client.get("/static/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css").text
    assert "../font/bpmn.woff2" in css
    assert client.get("/static/vendor/bpmn-js/assets/bpmn-font/font/bpmn.woff2").status_code == 200
    assert "食品经营许可" in page.text and "打开的是第 1 版" in page.text


def test_the_side_form_of_a_step_writes_its_limit_into_the_xml(client: Any) -> None:
    login(client, "shejishi")
    token, xml = opened(client)
    form = post(client, "/designer/modeler/form", token, xml=xml, element="decision")
    assert form.status_code == 200, form.text
    assert 'name="timeLimit" type="text" value="1"' in form.text and "审批岗" in form.text
    done = post(client, "/designer/modeler/apply", token, xml=xml, element="decision",
                kind="step", name="审批决定", timeLimit="2", counted="true", step="decision",
                **{"field-0-name": "decision", "field-0-label": "决定", "field-0-type": "choice",
                   "field-0-required": "true", "field-0-options": "approve=准予许可\nrefuse=不予许可",
                   "field-1-name": "opinion", "field-1-label": "意见", "field-1-type": "text"})
    assert done.status_code == 200, done.text
    new = html.unescape(done.text.split('<textarea id="side-xml" hidden>', 1)[1]
                        .split("</textarea>")[0])
    node = outline(parse_bpmn_bytes(new.encode()).getroot()).nodes["decision"]
    assert dict(node.settings)["timeLimit"] == "2"
    assert '["decision@timeLimit"]' in done.text  # the key a save may now change
    assert "已写入流程图" in done.text


def test_the_side_form_checks_as_you_type_with_lint_s_rules(client: Any) -> None:
    login(client, "shejishi")
    token, xml = opened(client)
    r = post(client, "/designer/modeler/validate", token, xml=xml, element="", kind="power",
             code="XK SPJY 1", name="食品经营许可", shortName="食品", category="行政许可",
             unit="县市场监督管理局", mode="承诺件", statutoryLimit="20", promisedLimit="15",
             public="true")
    assert r.status_code == 200, r.text
    assert "[power-code]" in r.text and "[promised-over-two-thirds]" in r.text
    r = post(client, "/designer/modeler/validate", token, xml=xml, element="end_refused",
             kind="end", name="不予许可", result="granted")
    assert "[end-result]" in r.text and "granted" in r.text


def test_a_save_that_would_lose_sunshine_content_is_refused_naming_it(client: Any) -> None:
    login(client, "shejishi")
    token, xml = opened(client)
    lossy = re.sub(r"<sunshine:legalBasis>.*?</sunshine:legalBasis>", "", xml, flags=re.S)
    lossy = re.sub(r'(id="check"[^>]*?) sunshine:timeLimit="\d+"', r"\1", lossy)
    r = post(client, "/designer/modeler/save", token, xml=lossy, code=FOOD, version="1",
             file="food_business_licence.bpmn")
    assert r.status_code == 422, r.text
    assert "保存会丢失 sunshine: 内容" in r.text and "sunshine:legalBasis" in r.text
    assert "元素 check 的 sunshine:timeLimit" in r.text and "食品安全法" in html.unescape(r.text)
    # the drawing as it was opened saves, byte for byte
    r = post(client, "/designer/modeler/save", token, xml=xml, code=FOOD, version="1",
             file="food_business_licence.bpmn")
    assert r.status_code == 200 and r.content == xml.encode()
    assert "food_business_licence.bpmn" in r.headers["content-disposition"]


def test_deploying_from_the_modeler_makes_the_next_version_and_compare_says_what_changed(
        site: Site, client: Any) -> None:
    login(client, "shejishi")
    token, xml = opened(client)
    changed = xml.replace('sunshine:timeLimit="1"', 'sunshine:timeLimit="2"', 1)
    r = post(client, "/designer/modeler/deploy", token, xml=changed, code=FOOD, version="1",
             file="food_business_licence.bpmn", edited='["acceptance@timeLimit"]')
    assert r.status_code == 204, r.text
    assert r.headers["x-sunshine-location"].startswith(f"{MODELER}?done=")
    versions = catalogue_admin.power_versions(site.env, FOOD)
    assert [v.version for v in versions] == [2, 1] and versions[0].current
    assert "钱设计" in versions[0].deployed_by
    page = client.get(f"/designer/powers/{FOOD}/compare?a=1&b=2")
    assert page.status_code == 200, page.text
    assert "环节“受理”（acceptance）：时限由“1”改为“2”" in page.text
    assert '"changed": ["acceptance"]' in page.text
    assert page.text.count('class="flowchart compare-chart"') == 2
    assert f'/designer/powers/{FOOD}/compare?a=1&amp;b=2' in client.get(
        f"/designer/powers/{FOOD}").text  # linked from the versions page


def test_a_clerk_can_neither_open_the_modeler_nor_deploy_from_it(site: Site, client: Any) -> None:
    login(client, "chuangkou")
    assert client.get(MODELER).status_code == 403
    assert client.get(f"/designer/powers/{FOOD}/compare?a=1&b=1").status_code == 403
    token = csrf_of(client.get("/").text)
    xml = (PROCESSES / "food_business_licence.bpmn").read_text(encoding="utf-8")
    r = post(client, "/designer/modeler/deploy", token, xml=xml + "<!-- v2 -->",
             file="food.bpmn", base_xml=xml)
    assert r.status_code == 403 and "权限不足" in r.text
    login(client, "shejishi")
    r = client.post("/designer/modeler/deploy", data={"xml": xml, "file": "a.bpmn"},
                    headers=ORIGIN)  # no CSRF token
    assert r.status_code == 403
    assert [v.version for v in catalogue_admin.power_versions(site.env, FOOD)] == [1]


# -- in Chromium -------------------------------------------------------------------------------


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#modeler[data-ready=true]")
    page.wait_for_selector("#side-form")
    page.wait_for_selector("#modeler[data-checked]")


def test_a_designer_edits_a_step_in_chromium_sees_the_markers_deploys_and_compares(
        site: Site, server: str, browser: Any, shots: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, "shejishi")
    _open(page, f"{server}{MODELER}")
    assert page.locator(".djs-palette").count() == 1
    assert page.get_attribute(".djs-palette [data-action=create\\.start-event]", "aria-label") \
        == "开始事件"  # the palette in Chinese
    assert page.locator(".bjs-powered-by").is_visible()  # the bpmn.io watermark
    assert "检查通过" in page.inner_text("#modeler-check")
    assert page.locator("#modeler-preview svg").count() == 1  # the public flowchart
    page.screenshot(path=shots / "01-modeler.png")

    # 现场核查: its limit cleared → the rule, as the designer types and as a marker
    page.click("g[data-element-id=inspection]")
    page.wait_for_selector("#side-form[data-element=inspection]")
    assert page.input_value("#f-timeLimit") == "4"
    page.fill("#f-timeLimit", "")
    page.wait_for_selector("#side-findings >> text=step-time-limit")
    page.click("#side-form button[type=submit]")
    page.wait_for_selector("text=已写入流程图")
    page.wait_for_selector(".lint-marker-error")
    assert "step-time-limit" in page.inner_text("#modeler-check")
    assert page.locator("g[data-element-id=inspection].lint-error").count() == 1
    page.hover(".lint-marker-error .lint-badge")
    assert "step-time-limit" in page.inner_text(".lint-marker-error .lint-pop")
    page.screenshot(path=shots / "02-marker.png")

    # a limit of 3: clean again, and deployed as version 2
    page.fill("#f-timeLimit", "3")
    page.click("#side-form button[type=submit]")
    page.wait_for_selector(".lint-marker", state="detached")
    page.wait_for_selector("#modeler-check >> text=检查通过")
    page.screenshot(path=shots / "03-side-form.png")
    page.click("#modeler-deploy")
    page.wait_for_url(re.compile(r"done="))
    assert "第 2 版" in page.inner_text("#messages")
    assert [v.version for v in catalogue_admin.power_versions(site.env, FOOD)] == [2, 1]

    page.goto(f"{server}/designer/powers/{FOOD}/compare?a=1&b=2")
    assert "环节“现场核查”（inspection）：时限由“4”改为“3”" in page.inner_text(".changes")
    assert page.locator("figure[data-side=new] g#bpmn-inspection.diff-changed").count() == 1
    page.screenshot(path=shots / "04-compare.png", full_page=True)
    assert not errors, errors  # no script error, no CSP refusal
    ctx.close()


def _shape_x(xml: bytes, element: str) -> float:
    root = parse_bpmn_bytes(xml).getroot()
    shape = next(s for s in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")
                 if s.get("bpmnElement") == element)
    return float(shape[0].get("x"))  # type: ignore[arg-type]


# Every shipped process carries its diagram (a file without one gets it from `sunshine layout`;
# tests/integration/test_bpmn_layout.py checks that each has one), so each must round-trip.
@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_a_shipped_process_round_trips_through_the_modeler_unchanged_in_meaning(
        path: Path, server: str, browser: Any, tmp_path: Path) -> None:
    original = path.read_bytes()
    root = parse_bpmn_bytes(original).getroot()
    assert root.find("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is not None, (
        f"{path.name} has no <bpmndi:BPMNDiagram>: no modeler can draw it — open it in Camunda "
        f"Modeler (or lay it out) and save it with its diagram")
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN",
                              accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, "shejishi")
    page.goto(f"{server}/designer")
    page.set_input_files("#bpmn", str(path))
    page.click("button:has-text('在建模器中打开')")
    page.wait_for_selector("#modeler[data-ready=true]")
    page.wait_for_selector("#modeler[data-checked]")
    # move a step a little to the right (a real drag), staying in its lane: the first one
    # the palette does not cover
    palette = page.locator(".djs-palette").bounding_box()
    for el in root.iter("{*}userTask"):
        task = el.get("id")
        box = page.locator(f"g.djs-shape[data-element-id='{task}']").bounding_box()
        if box["x"] > palette["x"] + palette["width"] + 10:
            break
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y, steps=3)
    page.mouse.move(x + 20, y, steps=3)
    page.mouse.up()
    page.wait_for_selector("#modeler-status >> text=有未保存的修改")
    with page.expect_download() as download:
        page.click("#modeler-save")
    saved_path = tmp_path / path.name
    download.value.save_as(saved_path)
    saved = saved_path.read_bytes()
    assert _shape_x(saved, task) > _shape_x(original, task), "the step was not moved"
    after = parse_bpmn_bytes(saved).getroot()
    assert sunshine_content(after) == sunshine_content(root)
    before_graph, after_graph = outline(root), outline(after)
    assert after_graph.nodes == before_graph.nodes  # kinds, names, lanes, settings, timers
    assert after_graph.flows == before_graph.flows  # ends, conditions, default flows
    assert after_graph == before_graph
    assert not errors, errors
    ctx.close()
