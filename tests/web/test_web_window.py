"""The window workbench and the task list through the ASGI client: the catalogue searched by
name, code or unit with the guide beside the form; 收件 with an agent, the channel and the
materials checklist; the unchecked rows as the 一次性告知; 容缺受理 and its make-up; 撤件; 送达
once; the clerk's queue; 我的待办's views, 交回 and 转办 (the post's leader only)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import unquote

import pytest

from engine.services import cases, identity, views
from engine.services.supervision import case_record
from tests.staff import id_number, person
from tests.web.conftest import FOOD, ORIGIN, ROAD, Site, csrf_of, login

ROAD_MATERIALS = ("城市道路挖掘（占用）申请表", "申请人身份证明或者营业执照",
                  "挖掘位置平面图（标明挖掘范围、面积、深度）",
                  "施工设计图纸和施工组织方案（含交通疏导方案、安全防护措施）",
                  "规划部门批准文件（因工程建设挖掘的）", "地下管线权属单位意见", "道路恢复承诺书",
                  "委托他人办理的，提交授权委托书及代理人身份证明")


@pytest.fixture
def site(road_site: Site) -> Site:
    return road_site


def as_(site: Site, login_name: str) -> Any:
    return identity.resolve(site.env, login_name)


def register_form(csrf: str, *, missing: dict[int, str] | None = None, name: str = "陈建国",
                  **extra: str) -> dict[str, Any]:
    """The 收件 form for the road permit, every material 已收 except those in ``missing``."""
    form: dict[str, Any] = {"csrf_token": csrf, "power": ROAD, "applicant": name,
                            "id_type": "身份证", "id_number": id_number(name),
                            "phone": "13900002222", "channel": "window",
                            "material": list(ROAD_MATERIALS)}
    for i in range(len(ROAD_MATERIALS)):
        form[f"state_{i}"] = (missing or {}).get(i, "received")
    form.update(extra)
    return form


def registered(client: Any, **kw: Any) -> str:
    csrf = csrf_of(client.get("/window").text)
    r = client.post("/window", data=register_form(csrf, **kw), headers=ORIGIN)
    assert r.status_code == 303, r.text
    return unquote(r.headers["location"].split("/cases/")[1].split("?")[0])


def post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    csrf = csrf_of(client.get("/window").text)
    return client.post(url, data={"csrf_token": csrf, **(data or {})}, headers=ORIGIN)


def checklist_post(number: str, client: Any, states: dict[int, str],
                   **extra: str) -> dict[str, Any]:
    page = client.get(f"/cases/{number}").text
    names = re.findall(r'name="material" value="([^"]+)"', page)
    data: dict[str, Any] = {"csrf_token": csrf_of(page), "material": names}
    for i in range(len(names)):
        data[f"state_{i}"] = states.get(i, "received")
    return {**data, **extra}


# -- the catalogue at the window ------------------------------------------------------------------


def test_the_search_finds_a_power_by_name_code_or_unit_and_shows_its_guide_beside_the_form(
        client: Any) -> None:
    login(client, "chuangkou")
    for q in ("挖掘", "xk-dlwj", "住房和城乡"):
        page = client.get("/window", params={"q": q}).text
        results = page.split('id="power-results"', 1)[1].split("</div>", 1)[0]
        assert "城市道路挖掘占用审批" in results and "食品经营许可" not in results, q
    page = client.get("/window", params={"q": "没有这种事项"}).text
    assert "没有找到" in page
    page = client.get("/window", params={"power": ROAD}).text
    guide = page.split('id="guide"', 1)[1]
    assert "承诺时限" in guide and "10 个工作日" in guide and "45 个工作日" in guide
    assert "城市道路挖掘修复费" in guide  # the fee with its basis
    assert guide.count('class="tag tag-key"') == 5 and guide.count('class="tag tag-follow"') == 3
    # the checklist in the form: one row per material, 已收 / 缺 / 需补正
    form = page.split('method="post" action="/window"', 1)[1].split("</form>", 1)[0]
    assert form.count('name="material"') == len(ROAD_MATERIALS)
    assert 'name="state_7" value="correct"' in form
    # chosen in the form with htmx: the checklist alone, the guide swapped beside it
    part = client.get("/window", params={"power": FOOD},
                      headers={"HX-Request": "true", "HX-Target": "checklist"}).text
    assert "<html" not in part and 'id="checklist"' in part
    assert 'hx-swap-oob="true"' in part and "食品经营许可" in part


def test_registering_keeps_the_agent_masked_the_channel_and_the_checklist(
        site: Site, client: Any) -> None:
    login(client, "chuangkou")
    number = registered(client, missing={5: "missing"}, agent_name="王代理",
                        agent_id_type="身份证", agent_id_number=id_number("王代理"),
                        agent_phone="13700001111", channel="mail", received_on="2026-02-27")
    record = case_record(site.env, number)
    agent = record["application"]["agent"]
    assert agent["name"] == "王代理" and agent["id_number"] != id_number("王代理")
    assert agent["id_number"].startswith(id_number("王代理")[:6]) and "*" in agent["id_number"]
    assert record["application"]["checklist"]["地下管线权属单位意见"] == "missing"
    assert record["channel"] == "mail" and record["received_at"].startswith("2026-02-27")
    page = client.get(f"/cases/{number}").text
    assert "王代理" in page and id_number("王代理") not in page
    # the case page's checklist is the one the clerk marked at registration
    assert re.search(r'name="state_5" value="missing" checked', page)


def test_a_wrong_agent_number_comes_back_beside_its_field(client: Any) -> None:
    login(client, "chuangkou")
    csrf = csrf_of(client.get("/window").text)
    r = client.post("/window", data=register_form(csrf, agent_name="王代理",
                                                  agent_id_number="123"), headers=ORIGIN)
    assert r.status_code == 409
    assert 'class="field field-error"' in r.text and "代理人" in r.text
    assert 'value="陈建国"' in r.text  # what the clerk typed is kept
    assert re.search(r'name="state_0" value="received" checked', r.text)  # and the checklist


# -- 受理, 一次性告知, 容缺受理 -------------------------------------------------------------------------


def test_the_unchecked_rows_are_the_one_time_notice_and_accept_is_refused_while_they_are(
        site: Site, client: Any) -> None:
    login(client, "chuangkou")
    number = registered(client)
    data = checklist_post(number, client, {2: "missing", 6: "correct"})
    r = client.post(f"/cases/{number}/accept", data=data, headers=ORIGIN)
    assert r.status_code == 409 and "材料未收齐" in r.text and "field-error" in r.text
    r = client.post(f"/cases/{number}/supplement", data={**data, "items": "申请表须加盖公章"},
                    headers=ORIGIN)
    assert r.status_code == 303
    items = case_record(site.env, number)["supplement_notices"][0]["items"]
    assert items == [ROAD_MATERIALS[2], ROAD_MATERIALS[6] + "（需补正）", "申请表须加盖公章"]
    page = client.get(f"/cases/{number}").text
    assert "补正材料已收" in page and 'id="acceptance"' not in page
    r = post(client, f"/cases/{number}/supplement-received", {"note": "已补交"})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "补正材料已收" in page and 'id="acceptance"' in page
    # the rows asked for came in: all 已收 now
    assert len(re.findall(r'value="received" checked', page)) == len(ROAD_MATERIALS)
    r = client.post(f"/cases/{number}/accept", data=checklist_post(number, client, {}),
                    headers=ORIGIN)
    assert r.status_code == 303 and "已受理" in unquote(r.headers["location"])


def test_accept_with_gaps_for_non_key_materials_only_and_the_gaps_made_up(
        site: Site, client: Any) -> None:
    login(client, "chuangkou")
    number = registered(client, missing={0: "missing", 5: "missing"})
    data = checklist_post(number, client, {0: "missing", 5: "missing"}, commitment_signed="true")
    r = client.post(f"/cases/{number}/accept-with-gaps", data=data, headers=ORIGIN)
    assert r.status_code == 409 and "key material" in r.text  # 申请表 is a key material
    data = checklist_post(number, client, {5: "missing"})
    r = client.post(f"/cases/{number}/accept-with-gaps", data=data, headers=ORIGIN)
    assert r.status_code == 409 and "commitment" in r.text  # not signed
    r = client.post(f"/cases/{number}/accept-with-gaps",
                    data={**data, "commitment_signed": "true", "makeup_days": "3"}, headers=ORIGIN)
    assert r.status_code == 303
    record = case_record(site.env, number)
    assert record["state"] == "accepted" and record["gaps"]["items"] == [ROAD_MATERIALS[5]]
    page = client.get(f"/cases/{number}").text
    assert "容缺待补齐" in page and "容缺材料已补齐" in page
    assert post(client, f"/cases/{number}/gaps-made-up").status_code == 303
    assert case_record(site.env, number)["gaps"]["made_up_at"]
    assert "容缺待补齐" not in client.get(f"/cases/{number}").text


def test_withdraw_needs_its_reason_and_closes_the_case(site: Site, client: Any) -> None:
    login(client, "chuangkou")
    number = registered(client)
    r = post(client, f"/cases/{number}/withdraw", {"reason": ""})
    assert r.status_code == 400 and "撤件须写明" in r.text
    r = post(client, f"/cases/{number}/withdraw", {"reason": "申请人书面申请撤回"})
    assert r.status_code == 303
    assert case_record(site.env, number)["state"] == "withdrawn"
    page = client.get(f"/cases/{number}").text
    assert "已撤件" in page and 'action="/cases/' + number + '/hand-out"' not in page


# -- 送达 and the queue -------------------------------------------------------------------------


def decided(site: Site, number: str) -> None:
    """Work the road permit's steps to the end, each by its post's holder."""
    cases.accept(site.env, number, actor=as_(site, "chuangkou"))
    data = {"shizheng": {"opinion": "同意"}, "jiaojing": {"consent": "true", "opinion": "同意"},
            "fenguan": {"decision": "approve", "opinion": "准予"},
            "zhizheng": {"certificate_no": "挖许 2026-001"}}
    for who in ("shizheng", "shizheng", "jiaojing", "fenguan", "zhizheng"):
        site.clock.at += dt.timedelta(hours=1)
        step = next(t for t in views.work_list(site.env, as_(site, who)) if t.case_number == number)
        cases.complete_task(site.env, step.id, actor=as_(site, who), data=data[who])


def test_the_queue_shows_todays_intake_correction_and_results_to_hand_out(
        site: Site, client: Any) -> None:
    login(client, "chuangkou")
    waiting = registered(client, name="甲申请人")
    correcting = registered(client, name="乙申请人")
    done = registered(client, name="丙申请人")
    cases.request_supplement(site.env, correcting, actor=as_(site, "chuangkou"),
                             items=["地下管线权属单位意见"])
    decided(site, done)  # five hours later: the clerk signs in again
    login(client, "chuangkou")
    page = client.get("/window/queue").text
    sections = {key: page.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
                for key in ("to-hand-out", "correcting", "waiting", "intake")}
    assert done in sections["to-hand-out"] and "办结（准予）" in sections["to-hand-out"]
    assert correcting in sections["correcting"] and "地下管线权属单位意见" in sections["correcting"]
    assert "2026-03-09" in sections["correcting"]  # 5 working days from Monday 2 March
    assert waiting in sections["waiting"] and correcting not in sections["waiting"]
    assert all(n in sections["intake"] for n in (waiting, correcting, done))
    # 送达 once, with how and who signed
    r = post(client, f"/cases/{done}/hand-out", {"method": "窗口领取", "received_by": ""})
    assert r.status_code == 409 and "签收人" in r.text
    r = post(client, f"/cases/{done}/hand-out", {"method": "窗口领取", "received_by": "丙申请人"})
    assert r.status_code == 303
    handed = case_record(site.env, done)["handed_out"]
    assert handed["method"] == "窗口领取" and handed["received_by"] == "丙申请人"
    page = client.get(f"/cases/{done}").text
    assert "已送达" in page and "签收人 丙申请人" in page
    assert done not in client.get("/window/queue").text.split('id="to-hand-out"')[1].split(
        "</section>")[0]
    r = post(client, f"/cases/{done}/hand-out", {"method": "窗口领取", "received_by": "丙申请人"})
    assert r.status_code == 409  # once only


def test_a_handler_is_refused_the_windows_buttons_with_a_403_page(site: Site,
                                                                  client: Any) -> None:
    number = cases.start_case(site.env, ROAD, person("丁申请人"), actor=as_(site, "chuangkou")).number
    login(client, "shizheng")
    page = client.get(f"/cases/{number}").text
    assert 'id="acceptance"' not in page  # the window's panel is the window's
    r = post(client, f"/cases/{number}/withdraw", {"reason": "试试"})
    assert r.status_code == 403 and "权限不足" in r.text
    assert case_record(site.env, number)["state"] == "received"
    assert identity.denials(site.env, login="shizheng")


# -- 我的待办: views, 交回, 转办 ------------------------------------------------------------------------


def at_review(site: Site, name: str) -> str:
    number = cases.start_case(site.env, ROAD, person(name), actor=as_(site, "chuangkou")).number
    cases.accept(site.env, number, actor=as_(site, "chuangkou"))
    return number


def row_of(page: str, number: str) -> str:
    return page.split(f"/cases/{number}\"", 1)[1].split('class="panel-row"', 1)[0]


def test_the_task_list_views_are_kept_in_the_address(site: Site, client: Any) -> None:
    first, second = at_review(site, "戊申请人"), at_review(site, "己申请人")
    step = next(t for t in views.work_list(site.env, as_(site, "shizheng"))
                if t.case_number == first)
    cases.claim(site.env, step.id, actor=as_(site, "shizheng"))
    site.clock.at += dt.timedelta(days=5)  # 现场勘查 has 2 working days: both overdue
    login(client, "shizheng")
    page = client.get("/").text
    assert first in page and second in page and "我已认领 1" in page and "待认领 1" in page
    mine = client.get("/", params={"view": "mine"}).text
    assert first in mine and second not in mine and 'aria-current="page">我已认领' in mine
    unclaimed = client.get("/", params={"view": "unclaimed"}).text
    assert second in unclaimed and first not in unclaimed
    overdue = client.get("/", params={"view": "overdue"}).text
    assert first in overdue and second in overdue and "超期" in overdue
    # 交回 from a filtered view comes back to it
    csrf = csrf_of(mine)
    r = client.post(f"/tasks/{step.id}/release", data={"csrf_token": csrf, "view": "mine"},
                    headers=ORIGIN)
    assert r.status_code == 303 and r.headers["location"].startswith("/?view=mine&done=")
    assert "已交回" in client.get(r.headers["location"]).text
    assert views.work_list(site.env, as_(site, "shizheng"))[0].assignee is None


def test_the_posts_leader_reassigns_a_claimed_step_to_another_holder(site: Site,
                                                                       client: Any) -> None:
    number = at_review(site, "庚申请人")
    step = next(t for t in views.work_list(site.env, as_(site, "shizheng"))
                if t.case_number == number)
    cases.claim(site.env, step.id, actor=as_(site, "shizheng"))
    # a holder who does not lead the post sees no 转办, and is refused if he tries
    login(client, "shizheng2")
    page = client.get("/").text
    assert number not in page  # claimed by someone else, and he does not lead the post
    r = client.post(f"/tasks/{step.id}/reassign",
                    data={"csrf_token": csrf_of(page), "to": "shizheng2", "reason": "我来"},
                    headers=ORIGIN)
    assert r.status_code == 403 and "权限不足" in r.text and "负责人" in r.text
    # the leader sees the step claimed by 刘市政, with 交回 and 转办 to the post's other holders
    login(client, "guzhang")
    page = client.get("/").text
    row = row_of(page, number)
    assert "已由 刘市政 认领" in row and "交回" in row and "转办" in row
    assert 'value="shizheng2"' in row and 'value="shizheng"' not in row  # not the claimant
    r = client.post(f"/tasks/{step.id}/reassign", data={"csrf_token": csrf_of(page),
                                                        "to": "shizheng2", "reason": ""},
                    headers=ORIGIN)
    assert r.status_code == 409 and "转办须写明原因" in r.text
    r = client.post(f"/tasks/{step.id}/reassign", data={"csrf_token": csrf_of(page),
                                                        "to": "shizheng2", "reason": "刘市政出差"},
                    headers=ORIGIN)
    assert r.status_code == 303
    assert next(t for t in views.work_list(site.env, as_(site, "shizheng2"))
                if t.case_number == number).assignee == "shizheng2"
    login(client, "shizheng2")
    assert "我已认领" in row_of(client.get("/").text, number)


def test_an_htmx_claim_gives_the_claimants_buttons(site: Site, client: Any) -> None:
    number = at_review(site, "辛申请人")
    step = next(t for t in views.work_list(site.env, as_(site, "shizheng"))
                if t.case_number == number)
    login(client, "shizheng")
    csrf = csrf_of(client.get("/").text)
    r = client.post(f"/tasks/{step.id}/claim", data={"csrf_token": csrf, "view": "unclaimed"},
                    headers={**ORIGIN, "HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert "我已认领" in r.text and "/release" in r.text and 'value="unclaimed"' in r.text
