"""Supervision matters in the web pages: the carded unit's staff see the cards against their unit
and the orders addressed to it (本单位督查事项, in their navigation) and reply; the post's leader
appeals; a supervisor decides the card on the supervision page, issues a 督办 from the case page
and records an off-system approval (体外审批), which is then decided like any breach. Errors come
back beside the form that failed, refusals are 403, and every form needs its CSRF token."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from engine.services import cases, identity
from engine.services import supervision_answers as answers
from engine.services.supervision import case_record, list_breaches
from engine.services.sweep import sweep
from tests.staff import person
from tests.web.conftest import FOOD, ORIGIN, PASSWORD, SCJG, Site, csrf_of, login


def as_(site: Site, login_name: str) -> Any:
    return identity.resolve(site.env, login_name)


def carded_case(site: Site) -> str:
    """A food licence accepted on Monday 2 March and left alone for 40 days, then swept: carded
    (yellow on 现场核查, red, statutory). 现场核查岗 gets a leader, who may appeal."""
    identity.add_user(site.env, by=as_(site, "admin"), login="kezhang", name="钱科长", unit=SCJG,
                      roles=["handler"], posts=["现场核查岗"], leads=["现场核查岗"],
                      password=PASSWORD)
    clerk = as_(site, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张小三"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    site.clock.at += dt.timedelta(days=40)
    assert not sweep(site.env).errors
    return number


def yellow(site: Site, number: str) -> dict[str, Any]:
    return next(c for c in case_record(site.env, number)["cards"]
                if c["kind"] == "yellow" and c["against"] == "step")


def post(client: Any, path: str, page: str, **data: str) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data}, headers=ORIGIN)


def test_the_unit_replies_its_leader_appeals_and_the_supervisor_withdraws_the_card(
        site: Site, client: Any) -> None:
    number = carded_case(site)
    card = yellow(site, number)
    login(client, "hecha")
    home = client.get("/")
    assert '<a href="/matters">本单位督查事项</a>' in home.text
    page = client.get("/matters")
    assert page.status_code == 200 and f'id="card-{card["id"]}"' in page.text
    assert f'href="/cases/{number}"' in page.text and "待回告" in page.text
    # an empty reply comes back beside its form
    bad = post(client, f"/supervision/cards/{card['id']}/reply", "/matters", reason=" ")
    assert bad.status_code == 409 and "不能为空" in bad.text and 'aria-invalid="true"' in bad.text
    assert yellow(site, number)["reply"] is None
    done = post(client, f"/supervision/cards/{card['id']}/reply", "/matters",
                reason="核查人员外出培训<script>")
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "已回告第" in page.text and "已回告，待决定" in page.text
    assert "外出培训&lt;script&gt;" in page.text  # the unit's words, escaped
    assert f'action="/supervision/cards/{card["id"]}/appeal"' not in page.text  # not a leader
    # the post's leader appeals
    client.cookies.clear()
    login(client, "kezhang")
    appealed = post(client, f"/supervision/cards/{card['id']}/appeal", "/matters",
                    reason="培训经局里批准")
    assert appealed.status_code == 303, appealed.text
    assert yellow(site, number)["appealed_by"] == "kezhang"
    # the supervisor sees reply and appeal beside the card and withdraws it
    client.cookies.clear()
    login(client, "jiancha")
    page = client.get("/supervision")
    assert '<a href="/matters">' not in page.text  # not a unit's staff
    assert "培训经局里批准" in page.text and "已申诉，待决定" in page.text
    assert f'action="/supervision/cards/{card["id"]}/decide"' in page.text
    empty = post(client, f"/supervision/cards/{card['id']}/decide", "/supervision",
                 decision="withdraw", reasons="")
    assert empty.status_code == 409 and "不能为空" in empty.text
    decided = post(client, f"/supervision/cards/{card['id']}/decide", "/supervision",
                   decision="withdraw", reasons="培训为上级统一安排")
    assert decided.status_code == 303
    page = client.get(decided.headers["location"])
    assert "已撤销" in page.text and "培训为上级统一安排" in page.text
    assert yellow(site, number)["decision"] == "withdrawn"


def test_a_unit_cannot_decide_and_a_supervisor_cannot_reply(site: Site, client: Any) -> None:
    number = carded_case(site)
    card = yellow(site, number)
    answers.reply_card(site.env, card["id"], reason="忙", actor=as_(site, "hecha"))
    login(client, "hecha")
    token = csrf_of(client.get("/matters").text)
    refused = client.post(f"/supervision/cards/{card['id']}/decide",
                          data={"csrf_token": token, "decision": "withdraw", "reasons": "自撤"},
                          headers=ORIGIN)
    assert refused.status_code == 403 and "权限不足" in refused.text
    no_token = client.post(f"/supervision/cards/{card['id']}/reply", data={"reason": "x"},
                           headers=ORIGIN)
    assert no_token.status_code == 403
    client.cookies.clear()
    login(client, "jiancha")
    unit = client.get("/matters")
    assert unit.status_code == 200 and "没有对本单位的亮牌" in unit.text
    assert yellow(site, number)["decision"] is None


def test_a_supervisor_orders_from_the_case_page_and_the_unit_replies(
        site: Site, client: Any) -> None:
    number = carded_case(site)
    login(client, "jiancha")
    case_page = client.get(f"/cases/{quote(number)}")
    link = f"/supervision/orders?case={quote(number)}#issue"
    assert link.replace("&", "&amp;") in case_page.text or link in case_page.text
    form = client.get(f"/supervision/orders?case={quote(number)}")
    assert f'value="{number}"' in form.text
    past = post(client, "/supervision/orders", "/supervision/orders", case=number,
                by="2026-03-01", do="补齐核查")
    assert past.status_code == 409 and "已经过去" in past.text and 'aria-invalid="true"' in past.text
    assert f'value="{number}"' in past.text  # the form again, filled in
    issued = post(client, "/supervision/orders", "/supervision/orders", case=number,
                  by="2026-04-20", do="4 月 20 日前完成现场核查并回复")
    assert issued.status_code == 303
    assert issued.headers["location"].startswith(f"/cases/{quote(number)}")
    shown = client.get(issued.headers["location"])
    assert "已督办（第 1 号）" in shown.text and "4 月 20 日前完成现场核查" in shown.text
    listing = client.get("/supervision/orders")
    assert "待回复" in listing.text and f'href="/cases/{number}"' in listing.text
    # the unit replies
    client.cookies.clear()
    login(client, "hecha")
    refused = post(client, "/supervision/orders", "/matters", case=number,
                   by="2026-04-20", do="x")
    assert refused.status_code == 403
    assert client.get("/supervision/orders").status_code == 403
    unit = client.get("/matters")
    action = f"/supervision/orders/{quote(number)}/1/reply"
    assert f'action="{action}"' in unit.text
    replied = post(client, action, "/matters", text="已于 4 月 13 日完成核查")
    assert replied.status_code == 303, replied.text
    again = post(client, action, "/matters", text="再说一次")
    assert again.status_code == 409 and "不能再次回复" in again.text
    [order] = case_record(site.env, number)["orders"]
    assert order["replied_by"] == "hecha" and order["reply"] == "已于 4 月 13 日完成核查"


def test_an_off_system_approval_is_recorded_and_decided_on_the_supervision_page(
        site: Site, client: Any) -> None:
    login(client, "jiancha")
    page = client.get("/supervision")
    assert 'action="/supervision/off-system"' in page.text
    future = post(client, "/supervision/off-system", "/supervision", power=FOOD, person="hecha",
                  applicant="某超市", decided_on="2027-01-01", facts="未经系统发证")
    assert future.status_code == 409 and "在将来" in future.text
    assert 'aria-invalid="true"' in future.text and "<details open>" in future.text
    unknown = post(client, "/supervision/off-system", "/supervision", power=FOOD,
                   person="nobody", applicant="某超市", decided_on="2026-02-27", facts="x")
    assert unknown.status_code == 404 and "nobody" in unknown.text
    done = post(client, "/supervision/off-system", "/supervision", power=FOOD, person="hecha",
                applicant="某超市", decided_on="2026-02-27", facts="群众举报：未经系统直接发证")
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "offsystem:2026-0001" in page.text and "体外审批" in page.text
    assert "hecha（监察人员指明）" in page.text
    [breach] = list_breaches(site.env)
    behind = client.get("/supervision/stats/cases?key=*&figure=breach:off_system"
                        "&from=2026-03-01&to=2026-03-31")
    assert behind.status_code == 200, behind.text
    assert ('<a class="mono" href="/supervision#breaches" title="没有办件的违诺记录">'
            'offsystem:2026-0001</a>') in behind.text
    decided = post(client, f"/supervision/breaches/{breach.id}/decide", "/supervision",
                   measure="通报批评", reasons="体外审批属实")
    assert decided.status_code == 303
    assert "通报批评" in client.get(decided.headers["location"]).text
    assert list_breaches(site.env, decided=True)[0].decided_by == "jiancha"
    client.cookies.clear()
    login(client, "hecha")
    refused = post(client, "/supervision/off-system", "/", power=FOOD, person="hecha",
                   applicant="x", decided_on="2026-02-27", facts="x")
    assert refused.status_code == 403


def test_each_breach_shows_how_its_person_was_named(site: Site, client: Any) -> None:
    carded_case(site)  # 现场核查岗: hecha and jianhe hold it, kezhang leads it
    login(client, "jiancha")
    page = client.get("/supervision")
    assert "kezhang（岗位负责人）" in page.text
