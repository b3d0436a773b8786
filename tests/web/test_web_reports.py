"""监察报告 in the browser's pages (adapters/web/routes_reports.py): a supervisor signs a finished
month, finds it listed, downloads its PDF and Excel file drawn from the archived figures; an
unfinished period is refused beside the form with nothing archived; figures altered in the
archive give an error page, not a file; other staff are refused."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa

from engine.services import cases, identity, reports
from tests.staff import person
from tests.web.conftest import FOOD, ORIGIN, Site, csrf_of, login


def march_with_a_case(site: Site) -> str:
    clerk = identity.resolve(site.env, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张小三"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    site.clock.at = dt.datetime(2026, 4, 2, 1, 0, tzinfo=dt.UTC)  # Thursday 2 April, 09:00
    return number


def sign(client: Any, start: str, end: str) -> Any:
    page = client.get("/supervision/reports")
    return client.post("/supervision/reports", data={"from": start, "to": end,
                                                     "csrf_token": csrf_of(page.text)},
                       headers=ORIGIN, follow_redirects=False)


def test_a_supervisor_signs_a_finished_month_and_downloads_its_pdf_and_excel(
        site: Site, client: Any) -> None:
    march_with_a_case(site)
    login(client, "jiancha")
    page = client.get("/supervision/reports")
    assert page.status_code == 200, page.text
    assert "还没有签发的报告" in page.text
    # the last finished month is offered first, and the quarter
    assert 'value="2026-03-01"' in page.text and 'value="2026-03-31"' in page.text
    assert "2026 年第 1 季度" in page.text and "2025 年度" in page.text

    answer = sign(client, "2026-03-01", "2026-03-31")
    assert answer.status_code == 303
    assert "第 1 号报告已签发" in unquote(answer.headers["location"])
    page = client.get(answer.headers["location"])
    html = page.text
    assert "第 1 号报告已签发并存档" in html
    assert "2026 年 3 月电子监察报告" in html and "孙监察（jiancha）" in html
    assert 'href="/supervision/reports/1.pdf"' in html
    assert 'href="/supervision/reports/1.xlsx"' in html

    pdf = client.get("/supervision/reports/1.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "sunshine-report-1-2026-03-01-2026-03-31.pdf" in pdf.headers["content-disposition"]
    xlsx = client.get("/supervision/reports/1.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "2026 年 3 月电子监察报告"
    total = [r for r in sheet.iter_rows(values_only=True) if r and r[1] == "合计"]
    assert total and total[0][2:5] == (1, 1, 0)  # received, accepted, decided
    # the same figures as the archive, however often it is drawn
    report = reports.get_report(site.env, identity.resolve(site.env, "jiancha"), 1)
    assert report.table.total.n("received") == 1


def test_a_period_not_yet_ended_is_refused_beside_the_form_and_nothing_is_archived(
        site: Site, client: Any) -> None:
    march_with_a_case(site)
    login(client, "jiancha")
    answer = sign(client, "2026-04-01", "2026-04-30")
    assert answer.status_code == 409
    assert "还没有结束" in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="2026-04-30"' in answer.text  # what was typed stays in the form
    answer = sign(client, "2026-03-31", "2026-03-01")
    assert answer.status_code == 409 and "早于开始日" in answer.text
    assert reports.list_reports(site.env, identity.resolve(site.env, "jiancha")) == []


def test_figures_altered_in_the_archive_give_an_error_page_and_no_file(
        site: Site, client: Any) -> None:
    march_with_a_case(site)
    login(client, "jiancha")
    assert sign(client, "2026-03-01", "2026-03-31").status_code == 303
    with site.env.engine.begin() as conn:
        figures = conn.execute(sa.text("SELECT figures FROM reports WHERE id = 1")).scalar_one()
        figures = figures if isinstance(figures, dict) else json.loads(figures)
        figures["total"]["received"]["count"] = 0  # someone edits the archive
        conn.execute(sa.text("UPDATE reports SET figures = :f WHERE id = 1"),
                     {"f": json.dumps(figures, ensure_ascii=False)})
    for kind in ("pdf", "xlsx"):
        page = client.get(f"/supervision/reports/1.{kind}")
        assert page.status_code == 409
        assert page.headers["content-type"].startswith("text/html")
        assert "报告存档已被改动" in page.text
        assert "第 1 号报告的数字与签发时不符" in page.text
    assert client.get("/supervision/reports").status_code == 200  # the list still shows


def test_staff_other_than_supervisors_are_refused_the_reports(site: Site, client: Any) -> None:
    march_with_a_case(site)
    login(client, "chuangkou")
    page = client.get("/supervision/reports")
    assert page.status_code == 403 and "权限不足" in page.text
    assert client.get("/supervision/reports/1.pdf").status_code == 403
    page = client.get("/")
    token = csrf_of(page.text)
    answer = client.post("/supervision/reports", data={"from": "2026-03-01", "to": "2026-03-31",
                                                       "csrf_token": token}, headers=ORIGIN)
    assert answer.status_code == 403 and re.search("签发监察报告", answer.text)


# -- the two further charts ------------------------------------------------------------------------

def test_the_statistics_page_draws_cards_by_unit_and_days_used_per_power(
        site: Site, client: Any) -> None:
    from engine.services.sweep import sweep

    clerk = identity.resolve(site.env, "chuangkou")
    number = cases.start_case(site.env, FOOD, person("张小三"), actor=clerk).number
    cases.accept(site.env, number, actor=clerk)
    site.clock.at += dt.timedelta(days=40)
    sweep(site.env)  # past the step and case limits: a warning, yellow and red cards
    login(client, "jiancha")
    page = client.get("/supervision/stats?from=2026-03-01&to=2026-04-30&by=power")
    assert page.status_code == 200, page.text
    cards = page.text.split('id="chart-cards"', 1)[1].split("</svg>", 1)[0]
    assert "黄红牌和预警，按单位" in cards and "县市场监督管理局" in cards
    assert re.search(r"<title>县市场监督管理局: 红牌 \d+</title>", cards)
    days = page.text.split('id="chart-days"', 1)[1].split("</svg>", 1)[0]
    assert "平均用时与承诺时限" in days and "（无 none）" in days  # nothing decided yet


def test_every_label_in_the_charts_is_escaped() -> None:
    from adapters.charts import paired_bar_chart, stacked_bar_chart

    hostile = '<script>alert("x")</script>&'
    svg = stacked_bar_chart([(hostile, [1, 2])], series=[(hostile, "#000"), ("黄牌", "#ff0")],
                            title=hostile)
    svg += paired_bar_chart([(hostile, 10, 7.5)], title=hostile, names=(hostile, hostile))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp;" in svg
    import xml.dom.minidom

    for part in svg.split("</svg>")[:-1]:
        xml.dom.minidom.parseString(part + "</svg>")  # well-formed, whatever the labels
