"""取水许可 (XK-QSXK-001): 上报件, a lower organ reviews and forwards, a higher one decides.

县水利局: 受理 → 初审 → 上报; 市水利局: 审查 → 审批决定 → 制证发证. The higher organ's
statutory limit (20 working days) runs from its receipt (ALL Art. 43); promised 13.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "XK-QSXK-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_a_forwarded_application_is_approved_by_the_higher_organ(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某水厂")
    record = supplement_then_accept(sun, number, "水资源论证报告书")
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-19", "2026-03-30")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("初审", "县水利局初审岗")]
    sun.complete(number, "初审", "县初审员", "opinion=同意上报", now="2026-03-04T10:00")
    sun.complete(number, "上报", "县初审员", now="2026-03-05T10:00")

    record = sun.show(number)
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审查", "市水利局审查岗")]
    # the higher organ received it on Thursday 5 March: 20 working days → Thursday 2 April
    assert record["statutory_deadline"] == "2026-04-02"
    assert "forwarded_to_higher_organ" in [e["kind"] for e in record["history"]]

    sun.complete(number, "审查", "市审查员", now="2026-03-06T10:00")
    sun.complete(number, "审批决定", "市局长", "decision=approve", now="2026-03-09T10:00")
    sun.complete(number, "制证发证", "市制证员", now="2026-03-10T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    for name, post, person in [("初审", "县水利局初审岗", "县初审员"), ("上报", "县水利局初审岗", "县初审员"),
                               ("审查", "市水利局审查岗", "市审查员"), ("审批决定", "市水利局审批岗", "市局长"),
                               ("制证发证", "市水利局制证发证岗", "市制证员")]:
        s = step(record, name)
        assert (s["post"], s["person"]) == (post, person)
    assert record["audit_chain"] == "intact"


def test_an_application_refused_by_the_higher_organ_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某矿业")
    sun.accept(number, "县窗口")
    sun.complete(number, "初审", "县初审员")
    sun.complete(number, "上报", "县初审员")
    sun.complete(number, "审查", "市审查员")
    sun.complete(number, "审批决定", "市局长", "decision=refuse", "opinion=区域取水总量已达控制指标")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert step(record, "审批决定")["post"] == "市水利局审批岗"
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_county_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某农户")
    sun.ok("case", "refuse", number, "--as", "县窗口", "--reason", "家庭生活少量取水无需申请")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert (step(record, "受理")["post"], step(record, "受理")["person"]) == ("县水利局窗口受理岗", "县窗口")
    assert record["audit_chain"] == "intact"
