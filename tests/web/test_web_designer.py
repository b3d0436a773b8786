"""流程设计 and 公开 in the browser: a designer uploads a bad BPMN file and sees each finding
with its element id, uploads a good one, previews its flowchart and deploys it as a new version;
withdraws a power with a reason (shown in the list) and reinstates it; a clerk can neither see
the page nor deploy (403, nothing deployed); uploads are size-limited and need the CSRF token.
A publisher downloads the public site, a flowchart and a card."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from engine.services import catalogue_admin, identity
from tests.conftest import FIXTURES, PROCESSES
from tests.web.conftest import FOOD, ORIGIN, Site, csrf_of, login

LINT = FIXTURES / "bpmn" / "lint"
ADVERT = "XK-HWGG-001"  # 户外广告设施设置许可, not deployed in the test installation


def page_token(client: Any, path: str = "/designer") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def upload(client: Any, path: str, name: str, data: bytes, token: str) -> Any:
    return client.post(path, data={"csrf_token": token},
                       files={"bpmn": (name, data, "application/xml")}, headers=ORIGIN)


def deployed(site: Site) -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in catalogue_admin.list_powers(site.env)}


def test_the_designer_page_lists_the_powers_with_their_versions(client: Any) -> None:
    login(client, "shejishi")
    page = client.get("/designer")
    assert page.status_code == 200
    assert FOOD in page.text and "食品经营许可" in page.text and "第 1 版" in page.text
    assert '<a href="/designer">流程设计</a>' in page.text  # in the navigation


def test_a_bad_file_shows_each_finding_with_its_element_id_and_cannot_be_deployed(
        site: Site, client: Any) -> None:
    login(client, "shejishi")
    token = page_token(client)
    data = (LINT / "user_task_without_time_limit.bpmn").read_bytes()
    r = upload(client, "/designer/check", "C:\\Users\\x\\审批.bpmn", data, token)
    assert r.status_code == 200, r.text
    assert "Activity_decide" in r.text and "step-time-limit" in r.text
    assert "发现 1 个错误" in r.text
    assert "部署为新版本" not in r.text  # no deploy form for a file with an error
    assert "审批.bpmn" in r.text and "Users" not in r.text  # the name, never its folders
    # deploying it anyway is refused with the same findings
    r = upload(client, "/designer/deploy", "bad.bpmn", data, token)
    assert r.status_code == 422
    assert "Activity_decide" in r.text and "step-time-limit" in r.text
    assert set(deployed(site)) == {FOOD}


def test_a_file_that_is_not_xml_is_a_finding_about_the_whole_file(client: Any) -> None:
    login(client, "shejishi")
    token = page_token(client)
    r = upload(client, "/designer/check", "broken.bpmn",
               (LINT / "malformed_xml.bpmn").read_bytes(), token)
    assert r.status_code == 200
    assert "not well-formed XML" in r.text and "（整个文件）" in r.text
    assert "无法绘制流程图" in r.text


def test_a_good_file_is_previewed_and_deployed_as_a_new_power(site: Site, client: Any) -> None:
    login(client, "shejishi")
    token = page_token(client)
    data = (PROCESSES / "outdoor_advertising_permit.bpmn").read_bytes()
    r = upload(client, "/designer/check", "outdoor_advertising_permit.bpmn", data, token)
    assert r.status_code == 200, r.text
    assert "检查通过" in r.text and "新事项，第 1 版" in r.text
    assert "<figure class=\"flowchart\"" in r.text and "<svg" in r.text
    assert "<?xml" not in r.text
    assert ADVERT not in deployed(site)  # checking stores nothing
    content = r.text.split('name="content_b64" value="', 1)[1].split('"', 1)[0]
    r = client.post("/designer/deploy", data={"csrf_token": token, "content_b64": content,
                                              "file_name": "outdoor_advertising_permit.bpmn"},
                    files={"bpmn": ("", b"", "application/octet-stream")}, headers=ORIGIN)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "已部署" in page.text and ADVERT in page.text and "第 1 版" in page.text
    assert deployed(site)[ADVERT]["version"] == 1


def test_a_changed_file_becomes_the_next_version(site: Site, client: Any) -> None:
    login(client, "shejishi")
    token = page_token(client)
    data = (PROCESSES / "food_business_licence.bpmn").read_bytes()
    changed = data.replace(b"</bpmn:definitions>", b"<!-- v2 -->\n</bpmn:definitions>")
    assert changed != data
    r = upload(client, "/designer/check", "food.bpmn", changed, token)
    assert "第 2 版（现为第 1 版）" in r.text
    r = upload(client, "/designer/deploy", "food.bpmn", changed, token)
    assert r.status_code == 303, r.text
    assert deployed(site)[FOOD]["version"] == 2


def test_a_power_s_versions_with_who_deployed_them_and_each_version_s_flowchart(
        site: Site, client: Any) -> None:
    from engine.services import cases
    from tests.staff import person

    clerk = identity.resolve(site.env, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张三"), actor=clerk).number
    login(client, "shejishi")
    data = (PROCESSES / "food_business_licence.bpmn").read_bytes()
    renamed = data.replace(b'name="\xe5\xae\xa1\xe6\xa0\xb8"', "name=\"复核\"".encode())
    assert renamed != data
    r = upload(client, "/designer/deploy", "food-v2.bpmn", renamed, page_token(client))
    assert r.status_code == 303, r.text
    page = client.get(f"/designer/powers/{FOOD}")
    assert page.status_code == 200
    v2 = page.text.split('id="version-2"', 1)[1].split("</tr>", 1)[0]
    v1 = page.text.split('id="version-1"', 1)[1].split("</tr>", 1)[0]
    assert "当前" in v2 and "food-v2.bpmn" in v2 and "钱设计（shejishi）" in v2
    assert "当前" not in v1 and ">1</td>" in v1  # the case received on version 1 runs on it
    assert page.text.index('id="version-2"') < page.text.index('id="version-1"')  # newest first
    assert "复核" in page.text.split('id="flowchart"', 1)[1]  # the current one is drawn
    old = client.get(f"/designer/powers/{FOOD}?v=1")
    chart = old.text.split('id="flowchart"', 1)[1]
    assert "第 1 版的流程图" in chart and "审核" in chart and "复核" not in chart
    assert client.get("/designer/powers/XK-NONE-999").status_code == 404
    assert cases.case_view(site.env, number).state.value == "received"
    login(client, "chuangkou")
    assert client.get(f"/designer/powers/{FOOD}").status_code == 403


def test_a_clerk_can_neither_open_the_designer_nor_deploy(site: Site, client: Any) -> None:
    login(client, "chuangkou")
    home = client.get("/")
    assert "/designer" not in home.text
    r = client.get("/designer")
    assert r.status_code == 403 and "权限不足" in r.text
    data = (PROCESSES / "outdoor_advertising_permit.bpmn").read_bytes()
    r = upload(client, "/designer/check", "a.bpmn", data, csrf_of(home.text))
    assert r.status_code == 403 and "权限不足" in r.text
    r = upload(client, "/designer/deploy", "a.bpmn", data, csrf_of(home.text))
    assert r.status_code == 403 and "权限不足" in r.text and "流程设计人员" in r.text
    r = client.post(f"/designer/powers/{FOOD}/withdraw",
                    data={"csrf_token": csrf_of(home.text), "reason": "试试"}, headers=ORIGIN)
    assert r.status_code == 403 and "权限不足" in r.text
    assert set(deployed(site)) == {FOOD} and deployed(site)[FOOD]["status"] == "active"
    actions = {d.action for d in identity.denials(site.env, login="chuangkou")}
    assert {"check_definition", "deploy", "withdraw_power"} <= actions


def test_withdraw_with_a_reason_shows_in_the_list_and_reinstate_puts_it_back(
        site: Site, client: Any) -> None:
    login(client, "shejishi")
    token = page_token(client)
    r = client.post(f"/designer/powers/{FOOD}/withdraw", data={"csrf_token": token, "reason": " "},
                    headers=ORIGIN)
    assert r.status_code == 409 and "须写明理由" in r.text and 'aria-invalid="true"' in r.text
    assert deployed(site)[FOOD]["status"] == "active"
    reason = "依据县政府〔2026〕3号文件调整为备案管理"
    r = client.post(f"/designer/powers/{FOOD}/withdraw",
                    data={"csrf_token": token, "reason": reason}, headers=ORIGIN)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "已撤回事项" in page.text and "已撤回" in page.text and reason in page.text
    assert f'action="/designer/powers/{FOOD}/reinstate"' in page.text
    r = client.post(f"/designer/powers/{FOOD}/reinstate",
                    data={"csrf_token": token, "reason": "文件废止，恢复许可"}, headers=ORIGIN)
    assert r.status_code == 303
    assert deployed(site)[FOOD]["status"] == "active"
    assert "恢复许可" in client.get("/designer").text


def test_an_upload_is_size_limited_and_needs_the_csrf_token(site: Site, client: Any) -> None:
    from adapters.web.routes_designer import UPLOAD_LIMIT

    login(client, "shejishi")
    token = page_token(client)
    big = b"<x>" + b" " * (UPLOAD_LIMIT * 2) + b"</x>"
    r = upload(client, "/designer/check", "big.bpmn", big, token)
    assert r.status_code == 413 and "不能超过 2 MB" in r.text
    data = (PROCESSES / "outdoor_advertising_permit.bpmn").read_bytes()
    r = upload(client, "/designer/deploy", "a.bpmn", data, "not-the-token")
    assert r.status_code == 403 and ADVERT not in deployed(site)
    r = client.post("/designer/check", data={"csrf_token": token}, headers=ORIGIN)
    assert r.status_code == 400 and "请选择" in r.text


# -- 公开 -------------------------------------------------------------------------------------


def test_a_publisher_downloads_the_public_site_a_flowchart_and_a_card(client: Any) -> None:
    login(client, "gongkai")
    page = client.get("/publisher")
    assert page.status_code == 200 and "食品经营许可" in page.text
    assert '<a href="/publisher">公开发布</a>' in page.text
    r = client.get("/publisher/site.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["x-sunshine-published"] == "1"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "index.html" in names and any(n.startswith("powers/") for n in names)
    svg = client.get(f"/publisher/flowcharts/{FOOD}.svg")
    assert svg.status_code == 200 and svg.content.lstrip().startswith(b"<?xml")
    assert "attachment" in svg.headers["content-disposition"]
    card = client.get(f"/publisher/cards/{FOOD}.pdf")
    assert card.status_code == 200 and card.content.startswith(b"%PDF")


def test_a_non_publisher_is_refused_the_exports(client: Any) -> None:
    login(client, "hecha")
    for path in ("/publisher", "/publisher/site.zip", f"/publisher/cards/{FOOD}.pdf"):
        r = client.get(path)
        assert r.status_code == 403 and "权限不足" in r.text, path


def _finish(job_id: str) -> None:
    """Wait for the export's thread (the page polls; the test joins it)."""
    import threading

    [worker] = [t for t in threading.enumerate() if t.name == f"export-{job_id}"] or [None]
    if worker is not None:
        worker.join(timeout=120)
        assert not worker.is_alive()


def test_the_whole_export_runs_as_a_job_with_progress_then_offers_the_zip(client: Any) -> None:
    login(client, "gongkai")
    token = page_token(client, "/publisher")
    r = client.post("/publisher/exports", data={"csrf_token": token}, headers=ORIGIN)
    assert r.status_code == 303
    job_id = r.headers["location"].split("job=", 1)[1].split("#", 1)[0]
    page = client.get(f"/publisher?job={job_id}")
    assert page.status_code == 200 and 'id="export-job"' in page.text
    _finish(job_id)
    done = client.get(f"/publisher/exports/{job_id}")
    assert done.status_code == 200 and "导出完成：1 个公开事项" in done.text
    assert "hx-trigger" not in done.text  # finished: the page stops polling
    download = client.get(f"/publisher/exports/{job_id}/sunshine-export.zip")
    assert download.status_code == 200 and download.headers["x-sunshine-published"] == "1"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert {"index.html", f"powers/{FOOD}.html", f"cards/{FOOD}.pdf", f"flowcharts/{FOOD}.png",
            f"flowcharts/{FOOD}.svg"} == set(names)
    # the job is its starter's: another publisher, or anyone else, does not see it
    login(client, "shejishi")
    assert client.get(f"/publisher/exports/{job_id}").status_code == 404
    assert client.get(f"/publisher/exports/{job_id}/sunshine-export.zip").status_code == 404
    r = client.post("/publisher/exports", data={"csrf_token": page_token(client, "/designer")},
                    headers=ORIGIN)
    assert r.status_code == 403 and "权限不足" in r.text
    assert client.post("/publisher/exports", headers=ORIGIN).status_code == 403  # no CSRF token
