"""公共场所卫生许可 (XK-GGWS-001), with 告知承诺制 (commitment).

Ordinary procedure: 受理 → 现场审查 → 审批决定 → 制证发证 → approved.
Commitment (`commitment=true`, a field of the acceptance step, recorded when the applicant signs
the 告知承诺书 at the window): 受理 → 审批决定 at once (no inspection) → 制证发证 →
事后核查; the follow-up either finds the commitment true (approved) or false → 撤销许可决定 →
revoked.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Sunshine, step, supplement_then_accept

CODE = "XK-GGWS-001"


@pytest.fixture
def sun(run_cli, sqlite_url: str) -> Sunshine:
    s = Sunshine(run_cli, sqlite_url)
    s.setup()
    return s


def accept_with_commitment(sun: Sunshine, number: str) -> None:
    """受理 with the signed 告知承诺书: the acceptance step's boolean field commitment."""
    acceptance = sun.task(number, "受理")["id"]
    sun.ok("task", "complete", acceptance, "--as", "李窗口", "--data", "acceptance=accept",
           "--data", "commitment=true")


def test_an_ordinary_application_is_inspected_then_approved(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某宾馆", "commitment=false")
    record = supplement_then_accept(sun, number, "卫生管理制度")
    assert (record["promised_deadline"], record["statutory_deadline"]) == ("2026-03-16", "2026-03-30")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("现场审查", "现场审查岗")]
    sun.complete(number, "现场审查", "卫监督", "opinion=符合卫生要求", now="2026-03-04T10:00")
    sun.complete(number, "审批决定", "陈主任", "decision=approve", now="2026-03-05T10:00")
    sun.complete(number, "制证发证", "褚制证", now="2026-03-06T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    assert (step(record, "现场审查")["post"], step(record, "现场审查")["person"]) == ("现场审查岗", "卫监督")
    assert (step(record, "审批决定")["post"], step(record, "审批决定")["person"]) == ("审批岗", "陈主任")
    assert not [s for s in record["steps"] if s["name"] == "事后核查"]
    assert record["audit_chain"] == "intact"


def test_an_application_that_does_not_mention_commitment_takes_the_ordinary_procedure(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "某某浴室")
    sun.accept(number)
    assert [t["name"] for t in sun.tasks(number)] == ["现场审查"]


def test_a_commitment_recorded_at_acceptance_skips_the_inspection(sun: Sunshine) -> None:
    # the acceptance step's documentation: the window records commitment = true when the
    # applicant signs the 告知承诺书 at the window
    number = sun.start(CODE, "某某理发店")
    acceptance = sun.task(number, "受理")["id"]
    sun.ok("task", "complete", acceptance, "--as", "李窗口", "--data", "acceptance=accept",
           "--data", "commitment=true")
    assert sun.show(number)["state"] == "accepted"
    assert [t["name"] for t in sun.tasks(number)] == ["审批决定"]


def test_a_commitment_is_decided_without_inspection_and_a_true_followup_keeps_it_approved(
        sun: Sunshine) -> None:
    number = sun.start(CODE, "某某美容店")
    accept_with_commitment(sun, number)
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("审批决定", "审批岗")]
    sun.complete(number, "审批决定", "陈主任", "decision=approve", "opinion=告知承诺，当场准予")
    sun.complete(number, "制证发证", "褚制证")
    record = sun.show(number)
    assert record["state"] == "accepted" and record["result"] is None  # follow-up still to come
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("事后核查", "事后核查岗")]

    sun.complete(number, "事后核查", "卫监督", "followup_ok=true", "opinion=承诺属实",
                 now="2026-03-20T10:00")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("approved", "approved")
    assert not [s for s in record["steps"] if s["name"] == "现场审查"]
    assert (step(record, "事后核查")["post"], step(record, "事后核查")["person"]) == ("事后核查岗", "卫监督")
    assert record["audit_chain"] == "intact"


def test_a_commitment_found_false_at_the_followup_is_revoked(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某游泳馆")
    accept_with_commitment(sun, number)
    sun.complete(number, "审批决定", "陈主任", "decision=approve")
    sun.complete(number, "制证发证", "褚制证")
    sun.complete(number, "事后核查", "卫监督", "followup_ok=false", "opinion=水质消毒设施与承诺不符",
                 now="2026-03-20T10:00")
    assert [(t["name"], t["post"]) for t in sun.tasks(number)] == [("撤销许可决定", "审批岗")]
    sun.complete(number, "撤销许可决定", "陈主任", "opinion=撤销许可，记入信用记录",
                 now="2026-03-23T10:00")

    record = sun.show(number)
    assert (record["state"], record["result"]) == ("revoked", "revoked")
    assert step(record, "事后核查")["opinion"] == "水质消毒设施与承诺不符"
    assert (step(record, "撤销许可决定")["post"], step(record, "撤销许可决定")["person"]) == (
        "审批岗", "陈主任")
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_decision_ends_refused(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某网吧", "commitment=false")
    sun.accept(number)
    sun.complete(number, "现场审查", "卫监督", "opinion=通风设施不达标")
    sun.complete(number, "审批决定", "陈主任", "decision=refuse", "opinion=不符合卫生标准")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("refused", "refused")
    assert sun.tasks(number) == []
    assert record["audit_chain"] == "intact"


def test_an_application_refused_at_the_window_is_not_accepted(sun: Sunshine) -> None:
    number = sun.start(CODE, "某某茶馆", "commitment=false")
    sun.ok("case", "refuse", number, "--as", "李窗口", "--reason", "不属于公共场所卫生许可范围")
    record = sun.show(number)
    assert (record["state"], record["result"]) == ("not_accepted", "not_accepted")
    assert record["audit_chain"] == "intact"
