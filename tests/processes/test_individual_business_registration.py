"""个体工商户登记 (QR-GTDJ-001): 即办件, decided on the spot (promised 0, statutory 3).

受理（形式审查） → 登记审核 → 发照.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "QR-GTDJ-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def test_an_on_the_spot_registration_is_promised_the_same_day_and_approved(sun: Sunshine) -> None:
    number = sun.start(CODE, "孔某（孔记面馆）")
    assert number.startswith("2026-个体-")
    record = supplement_then_accept(sun, number, "经营场所使用证明")
    assert record["mode"] == "即办件"
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-02", "2026-03-05")
    assert [(t["name"], t["post"], t["due"]) for t in sun.tasks(number)] == [
        ("登记审核", "登记审核岗", "2026-03-02")]
    sun.complete(number, "登记审核", "曹登记", "decision=approve", now="2026-03-02T09:20")
    sun.complete(number, "发照", "严发照", now="2026-03-02T09:30")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    assert (step(record, "登记审核")["post"], step(record, "登记审核")["person"]) == ("登记审核岗", "曹登记")
    assert (step(record, "发照")["post"], step(record, "发照")["person"]) == ("发照岗", "严发照")
    assert record["audit_chain"] == "intact"


def test_a_registration_left_overnight_gets_a_yellow_and_a_red_card(sun: Sunshine) -> None:
    number = sun.start(CODE, "华某")
    sun.accept(number)
    sun.sweep("2026-03-03T09:00")
    record = sun.show(number)
    kinds = sorted(c["kind"] for c in record["cards"])
    assert "yellow" in kinds and "red" in kinds
    assert sorted(b["kind"] for b in record["breaches"]) == ["overdue_case", "overdue_step"]
    assert all(b["post"] == "登记审核岗" for b in record["breaches"])
    assert record["state"] == "accepted"


def test_a_registration_refused_at_review_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "金某")
    sun.accept(number)
    sun.complete(number, "登记审核", "曹登记", "decision=refuse", "opinion=名称与已登记字号相同")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert step(record, "登记审核")["opinion"] == "名称与已登记字号相同"
    assert record["audit_chain"] == "intact"


def test_a_registration_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "魏某")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "经营范围属于禁止类项目")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["audit_chain"] == "intact"
