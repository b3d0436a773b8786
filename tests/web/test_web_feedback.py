"""好差评 and 投诉 in the pages: the applicant rates a closed case on the public page (the link
on the lookup page and the receipt), with the form's token and from this site only; the unit's
staff answer the bad rating; supervisors see the counts and the overdue reviews, and decide a
complaint the window recorded; the others are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from engine.services import cases, identity
from engine.services.sweep import sweep
from tests.staff import person
from tests.web.conftest import FOOD, ORIGIN, SCJG, Site, csrf_of, login


def as_(site: Site, login_name: str) -> Any:
    return identity.resolve(site.env, login_name)


def closed_case(site: Site) -> tuple[str, str]:
    """A food licence refused at the window (不予受理): closed with a result, so it can be rated."""
    clerk = as_(site, "chuangkou")
    view = cases.start_case(site.env, FOOD, person("张评价"), actor=clerk)
    cases.refuse_acceptance(site.env, view.number, actor=clerk, reason="不属于本机关职权")
    return view.number, cases.find_case(site.env, view.number).query_code


def token_of(html: str) -> str:
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


def rate(client: Any, number: str, code: str, score: str, words: str = "",
         headers: dict[str, str] | None = ORIGIN) -> Any:
    page = client.get(f"/rate/{quote(number)}?code={code}")
    assert page.status_code == 200, page.text
    return client.post("/rate", data={"token": token_of(page.text), "channel": "qr",
                                      "number": number, "code": code, "score": score,
                                      "words": words}, headers=headers or {})


def test_the_applicant_rates_a_closed_case_once_from_the_lookup_page(
        site: Site, client: Any) -> None:
    number, code = closed_case(site)
    lookup = client.get(f"/lookup?number={quote(number)}&code={code}")
    link = f'href="/rate/{quote(number)}?code={code}"'
    assert lookup.status_code == 200 and link in lookup.text
    page = client.get(f"/rate/{quote(number)}?code={code}")
    assert f'value="{number}"' in page.text and "非常不满意" in page.text

    wrong = rate(client, number, "ZZZZZZ", "1")
    assert wrong.status_code == 404 and "没有与该办件编号和查询码相符的办件" in wrong.text
    too_long = rate(client, number, code, "1", "慢" * 501)
    assert too_long.status_code == 409 and "最多 500 字" in too_long.text
    assert "慢" * 501 in too_long.text  # the form comes back with what was typed
    no_origin = rate(client, number, code, "1", headers={})
    assert no_origin.status_code == 403
    no_token = client.post("/rate", data={"number": number, "code": code, "score": "1"},
                           headers=ORIGIN)
    assert no_token.status_code == 403 and "评价表单已过期" in no_token.text

    done = rate(client, number, code, "1", "理由<b>没讲清</b>")
    assert done.status_code == 200, done.text
    assert "感谢您的评价" in done.text and "2026-03-23" in done.text  # 15 working days
    again = rate(client, number, code, "5")
    assert again.status_code == 409 and "已于 2026-03-02 评价（非常不满意）" in again.text

    # the unit's staff see it and answer; the window (another unit) is refused
    login(client, "hecha")
    reviews = client.get("/reviews")
    assert number in reviews.text and "理由&lt;b&gt;没讲清&lt;/b&gt;" in reviews.text
    assert "<b>没讲清</b>" not in reviews.text  # escaped
    replied = client.post(f"/reviews/{quote(number)}/reply",
                          data={"csrf_token": csrf_of(reviews.text), "text": "已电话说明理由"},
                          headers=ORIGIN)
    assert replied.status_code == 303, replied.text
    assert "已电话说明理由" in client.get("/reviews").text
    login(client, "chuangkou")
    page = client.get("/reviews")
    assert number not in page.text and "本单位没有差评" in page.text
    refused = client.post(f"/reviews/{quote(number)}/reply",
                          data={"csrf_token": csrf_of(page.text), "text": "x"}, headers=ORIGIN)
    assert refused.status_code == 403 and "差评整改回复" in refused.text


def test_a_supervisor_sees_an_unanswered_review_carded_and_the_others_are_refused(
        site: Site, client: Any) -> None:
    number, code = closed_case(site)
    assert rate(client, number, code, "2").status_code == 200
    site.clock.at += dt.timedelta(days=30)
    assert sweep(site.env).by_kind.get("review_overdue") == 1
    login(client, "jiancha")
    board = client.get("/supervision/ratings?show=overdue")
    assert board.status_code == 200, board.text
    assert number in board.text and "逾期未回复" in board.text and "已亮黄牌" in board.text
    assert '<a href="/supervision/ratings">好差评</a>' in board.text  # in the navigation
    login(client, "hecha")
    assert client.get("/supervision/ratings").status_code == 403


def test_the_window_records_a_complaint_and_a_supervisor_upholds_it(
        site: Site, client: Any) -> None:
    clerk = as_(site, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张投诉"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    [step] = cases.find_case(site.env, number).open_steps()
    cases.claim(site.env, step.id, actor=as_(site, "hecha"))

    login(client, "chuangkou")
    form = client.get(f"/feedback/new?case={quote(number)}")
    assert form.status_code == 200 and f'value="{number}"' in form.text
    data = {"csrf_token": csrf_of(form.text), "against": "case", "target": number,
            "step": "现场核查", "channel": "phone", "complainant": "张投诉",
            "contact": "13800000000", "facts": ""}
    missing = client.post("/feedback/complaints", data=data, headers=ORIGIN)
    assert missing.status_code == 409 and "投诉事实不能为空" in missing.text
    assert 'value="13800000000"' in missing.text  # the form keeps what was typed
    recorded = client.post("/feedback/complaints", data={**data, "facts": "核查时态度恶劣"},
                           headers=ORIGIN)
    assert recorded.status_code == 303 and "TS2026-00001" in recorded.headers["location"]
    assert client.get("/supervision/complaints").status_code == 403  # the window may not list

    login(client, "jiancha")
    listing = client.get("/supervision/complaints")
    assert "TS2026-00001" in listing.text and "核查时态度恶劣" in listing.text
    page = client.get("/supervision/complaints/TS2026-00001")
    assert "hecha" in page.text and "现场核查岗" in page.text
    no_measure = client.post("/supervision/complaints/TS2026-00001/decide",
                             data={"csrf_token": csrf_of(page.text), "outcome": "upheld",
                                   "measure": "", "findings": "属实"}, headers=ORIGIN)
    assert no_measure.status_code == 409 and "须选处理措施" in no_measure.text
    decided = client.post("/supervision/complaints/TS2026-00001/decide",
                          data={"csrf_token": csrf_of(page.text), "outcome": "upheld",
                                "measure": "诫勉教育", "findings": "经调查属实"}, headers=ORIGIN)
    assert decided.status_code == 303, decided.text
    shown = client.get(decided.headers["location"])
    assert "属实" in shown.text and "诫勉教育" in shown.text and "违诺记录 #" in shown.text
    [breach] = cases.find_case(site.env, number).breaches
    assert (breach.person, breach.ref) == ("hecha", "complaint:TS2026-00001")
    assert SCJG in shown.text


def test_the_receipt_prints_the_rating_link(site: Site, client: Any) -> None:
    number, code = closed_case(site)
    login(client, "chuangkou")
    receipt = client.get(f"/cases/{quote(number)}/receipt")
    assert receipt.status_code == 200
    assert f"/rate/{quote(number)}?code={code}" in receipt.text
