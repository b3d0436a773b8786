"""个人信息保存期限 on SQLite and PostgreSQL: a closed case's ID number, phone, e-mail and address
are erased five years after it closed — from its row, its steps, its workflow, its audit events,
its notices and its complaints — while its trail, its replay and the signed seal made before
still verify; tampering afterwards is still found; a case with an open matter is kept and says
why; one case that cannot be erased does not stop the others; `sunshine data retention` shows
what is due and erases it as an administrator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.sealing import generate_key, load_signer, read_public_key, verify
from engine.errors import InvalidAction
from engine.personal import NOT_SENT
from engine.services import anchoring
from engine.services import cases as svc
from engine.services.audit_check import check
from engine.services.complaints import decide_complaint, record_complaint
from engine.services.retention import run_retention
from engine.services.supervision import case_record
from tests.e2e.helpers import Sunshine, one_line_error
from tests.staff import CLERK, A, id_number, person

FOOD = "XK-SPJY-001"
PHONE, AGENT, MAIL = "13912345678", "13800001111", "zhangsan@example.cn"
ADMIN, SUPERVISOR = A("admin"), A("另一人")


def at(text: str) -> dt.datetime:
    from adapters.cli.common import parse_now

    return parse_now(text)


def _refused(env: Any, name: str = "张三", day: str = "2026-03-02") -> str:
    """A case received with the applicant's phone and e-mail and an agent's phone in the
    application, then not accepted (不予受理): closed on ``day``."""
    number = svc.start_case(env, FOOD, person(name, phone=PHONE, email=MAIL),
                            {"agent_phone": AGENT, "business_name": f"{name}小吃"},
                            actor=A(CLERK), now=at(f"{day}T09:00")).number
    svc.refuse_acceptance(env, number, actor=A(CLERK), reason="不属于本机关职权",
                          now=at(f"{day}T10:00"))
    return number


def _dump(env: Any, number: str) -> str:
    """Every stored row of the case (and its complaints) as text, as a database dump shows it;
    the workflow state, a sealed blob as a whole, is read opened (``_workflow``)."""
    out = []
    with env.engine.connect() as conn:
        cid = conn.execute(sa.text("SELECT id FROM cases WHERE number = :n"), {"n": number}).scalar()
        for table, where in (("cases", "id = :c"), ("steps", "case_id = :c"),
                             ("audit_events", "case_id = :c"), ("outbox", "case_id = :c"),
                             ("complaints", "case_number = :n")):
            for row in conn.execute(sa.text(f"SELECT * FROM {table} WHERE {where}"),  # noqa: S608
                                    {"c": cid, "n": number}):
                out.append(" ".join(str(v) for v in row if not isinstance(v, bytes)))
    return "\n".join(out)


def _workflow(env: Any, number: str) -> str:
    with env.uow() as uow:
        return json.dumps(uow.cases.get(number).workflow_state, ensure_ascii=False)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "seal.pem", tmp_path / "seal.pub"
    generate_key(private, public)
    return private, public


def test_a_closed_case_is_erased_after_five_years_and_its_trail_still_verifies(
        env: Any, keys: tuple[Path, Path]) -> None:
    number = _refused(env)
    ident = id_number("张三")
    before = _dump(env, number)
    assert PHONE not in before and ident not in before and "enc:v1:" in before  # sealed at rest
    assert AGENT in _workflow(env, number)
    sealed = anchoring.seal(env, load_signer(keys[0]), now=at("2026-03-03T09:00"))

    # kept through the fifth anniversary of its closing, due the day after
    assert run_retention(env, ADMIN, apply=True, now=at("2031-03-02T23:00")).due == []
    listed = run_retention(env, ADMIN, apply=False, now=at("2031-03-03T09:00"))
    assert listed.due == [number] and listed.erased == [] and _dump(env, number) == before
    run = run_retention(env, ADMIN, apply=True, now=at("2031-03-03T09:00"))
    assert [(e.number, e.events) for e in run.erased] == [(number, 1)]  # the 收件 event

    after = _dump(env, number)
    for value in (PHONE, AGENT, MAIL, ident):
        assert value not in after and value not in _workflow(env, number)
    assert "enc:v1:" not in after  # nothing personal is left, not even sealed
    record = case_record(env, number)
    assert record["applicant_certificate"] is None and record["application"] == {
        "agent_phone": "erased:", "business_name": "张三小吃"}
    assert record["personal_data_erased_at"].startswith("2031-03-03")
    last = record["history"][-1]
    assert last["kind"] == "personal_data_erased" and last["actor"] == "admin"
    counts = last["payload"]["values"]  # applicant_id, contact, the application's agent_phone
    assert counts["case"] == 3 and counts["workflow"] >= 1  # the workflow's copy of it
    assert sum(counts.values()) == run.erased[0].values
    # the notices keep a masked recipient; none waits to be sent to an address now gone
    for notice in record["notices"]:
        assert PHONE not in notice["recipient"] and MAIL not in notice["recipient"]
        assert notice["status"] != "pending"
        if notice["channel"] != "print":
            assert notice["last_error"] == NOT_SENT or notice["status"] == "sent"

    # the chain, the replay and the seal made five years before all still verify
    assert record["audit_chain"] == "intact"
    (found,) = list(check(env, [number]))
    assert found.status == "matches" and not found.problems
    assert anchoring.check(env, sealed, verify, trusted_key=read_public_key(keys[1])) == []

    # once only
    assert run_retention(env, ADMIN, apply=True, now=at("2031-03-04T09:00")).due == []
    with env.uow() as uow:
        case = uow.cases.get(number)
        with pytest.raises(InvalidAction, match="erased already"):
            case.erase_personal_data(now=at("2031-03-03T09:00"), actor="admin", events=[],
                                     years=5, basis="")


def test_an_edit_after_the_erasure_is_still_found(env: Any) -> None:
    number = _refused(env)
    run_retention(env, ADMIN, apply=True, now=at("2031-03-03T09:00"))
    with env.engine.begin() as conn:
        cid = conn.execute(sa.text("SELECT id FROM cases WHERE number = :n"), {"n": number}).scalar()
        payload = conn.execute(sa.text("SELECT payload FROM audit_events WHERE case_id = :c AND "
                                       "seq = 1"), {"c": cid}).scalar()
        payload = payload if isinstance(payload, dict) else json.loads(payload)
        payload["data"]["business_name"] = "李四小吃"
        conn.execute(sa.text("UPDATE audit_events SET payload = :p WHERE case_id = :c AND seq = 1"),
                     {"p": json.dumps(payload, ensure_ascii=False), "c": cid})
    assert case_record(env, number)["audit_chain"] == [
        "event 1 (received) was altered after it was written"]


def test_a_case_with_an_open_complaint_is_kept_until_the_complaint_is_decided(env: Any) -> None:
    kept, other = _refused(env, "张三"), _refused(env, "李四")
    complaint = record_complaint(env, complainant="张三", contact="13700002222", channel="phone",
                                 facts="窗口不收材料", actor=A(CLERK), case=kept,
                                 now=at("2026-03-03T09:00"))
    with env.engine.connect() as conn:  # the complainant's phone is sealed at rest too
        stored = conn.execute(sa.text("SELECT contact FROM complaints")).scalar()
    assert stored.startswith("enc:v1:")

    listed = run_retention(env, ADMIN, apply=False, now=at("2031-03-03T09:00"), limit=1)
    # the held case is listed apart and takes no place in the batch: the other is due
    assert listed.due == [other] and [k.number for k in listed.kept] == [kept]
    run = run_retention(env, ADMIN, apply=True, now=at("2031-03-03T09:00"))
    assert [e.number for e in run.erased] == [other]
    assert [(k.number, k.reasons) for k in run.kept] == [
        (kept, ("1 complaint(s) on it still under investigation",))]
    assert case_record(env, kept)["personal_data_erased_at"] is None

    decide_complaint(env, complaint.number, upheld=False, findings="经查，材料不齐",
                     actor=SUPERVISOR, now=at("2031-03-04T09:00"))
    run = run_retention(env, ADMIN, apply=True, now=at("2031-03-05T09:00"))
    assert [e.number for e in run.erased] == [kept]
    assert "13700002222" not in _dump(env, kept)


def test_one_case_that_cannot_be_erased_does_not_stop_the_others(env: Any) -> None:
    broken, fine = _refused(env, "张三"), _refused(env, "李四")
    with env.engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET workflow_state = :b WHERE number = :n"),
                     {"b": b"not a workflow", "n": broken})
    run = run_retention(env, ADMIN, apply=True, now=at("2031-03-03T09:00"))
    assert [e.number for e in run.erased] == [fine]
    assert [n for n, _ in run.failed] == [broken]
    assert case_record(env, fine)["audit_chain"] == "intact"


# -- the CLI --------------------------------------------------------------------------------------


@pytest.fixture
def sun(run_cli: Any, db_url: str) -> Sunshine:
    s = Sunshine(run_cli, db_url)
    s.setup()
    return s


def test_the_cli_lists_then_erases_and_refuses_anyone_but_an_administrator(
        sun: Sunshine, monkeypatch: pytest.MonkeyPatch) -> None:
    number = sun.start(FOOD, "王五", "agent_phone=13800001111", now="2026-03-02T09:00")
    sun.ok("case", "refuse", number, "--reason", "不属于本机关职权", "--as", "李窗口",
           now="2026-03-02T10:00")

    listed = sun.ok("data", "retention", "--as", "admin", now="2031-03-03T09:00").out
    assert "办结后 5 年" in listed and number in listed and "--apply" in listed
    assert sun.show(number)["personal_data_erased_at"] is None

    denied = sun.fails("data", "retention", "--apply", "--as", "李窗口", now="2031-03-03T09:00")
    assert denied.code == 9 and "系统管理员" in one_line_error(denied)

    done = sun.json("data", "retention", "--apply", "--as", "admin", now="2031-03-03T09:00")
    assert [e["number"] for e in done["erased"]] == [number] and done["failed"] == []
    shown = sun.ok("case", "show", number).out
    assert "按保存期限删除" in shown and "13800001111" not in shown
    assert sun.json("data", "retention", "--as", "admin", now="2031-03-04T09:00")["due"] == []

    monkeypatch.setenv("SUNSHINE_PERSONAL_DATA_YEARS", "forever")
    bad = sun.fails("data", "retention", "--as", "admin", now="2031-03-04T09:00")
    assert bad.code == 2 and "SUNSHINE_PERSONAL_DATA_YEARS" in one_line_error(bad)
    monkeypatch.setenv("SUNSHINE_PERSONAL_DATA_YEARS", "3")  # a shorter period: due sooner
    other = sun.start(FOOD, "赵六", now="2026-03-02T09:00")
    sun.ok("case", "refuse", other, "--reason", "不属于本机关职权", "--as", "李窗口",
           now="2026-03-02T10:00")
    assert sun.json("data", "retention", "--as", "admin", now="2029-03-03T09:00")["due"] == [other]
