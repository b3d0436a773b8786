"""The documents the core writes to the applicant, and the notices a change causes: each kind's
content (the refusal's reasons and remedies, every missing item of the one-time notice, the
extension's reasons and new date …), the channels a contact allows, the dedupe keys; then the
outbox on the in-memory fake: queued once, delivered once, retried with backoff, given up.

Cases are built as the aggregate alone (no unit of work), with the shipped BPMN files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.calendar_files import schedules_from_chinese_calendar
from adapters.memory import FakeClock, memory_env
from engine.calendar import WorkingCalendar
from engine.case import Case, Setting
from engine.definitions import load_definitions
from engine.documents import (
    Channel,
    Document,
    NoticeStatus,
    current_document,
    notices_for,
    recipients,
    render_text,
    sms_text,
)
from engine.model import Rules, TimerKind
from engine.services.context import Env
from engine.services.notices import (
    BACKOFF,
    MAX_ATTEMPTS,
    deliver_due,
    mask_recipient,
    notice_views,
    queue,
    retry_after,
)

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTACT = {"email": "zhangsan@example.com", "phone": "13812345678", "address": "XX县城关镇人民路1号"}
_DEFS: dict[str, object] = {}
_CAL: list[WorkingCalendar] = []


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


def setting(file: str) -> Setting:
    if file not in _DEFS:
        [_DEFS[file]] = load_definitions((ROOT / "processes" / file).read_bytes(), file)
    if not _CAL:
        _CAL.append(WorkingCalendar({y: s for y, s in schedules_from_chinese_calendar().items()
                                     if y <= 2026}))
    d = _DEFS[file]
    return Setting(power=d.power, spec=d.spec, calendar=_CAL[0], rules=Rules())  # type: ignore[attr-defined]


def received(file: str = "food_business_licence.bpmn", when: str = "2026-03-02T09:00",
             contact: dict[str, str] | None = None) -> Case:
    case = Case.receive(setting(file), number="2026-测试-000001", definition_id=1,
                        applicant="张三", data={}, channel="window", received_at=at(when))
    case.id = 1
    if contact is not None:
        case.data["contact"] = contact
    case.start(now=at(when), actor="wang", version=1)
    return case


def accepted(file: str = "food_business_licence.bpmn", when: str = "2026-03-02T09:00",
             contact: dict[str, str] | None = None) -> Case:
    case = received(file, when, contact)
    case.accept(now=at(when), actor="wang")
    return case


def fresh(case: Case) -> Case:
    """As if saved: the next change's events only."""
    case.new_events.clear()
    return case


def printed(case: Case) -> list[Document]:
    return [n.document for n in notices_for(case) if n.channel == Channel.PRINT]


def text_of(doc: Document) -> str:
    return render_text(doc)


def fire(case: Case, kind: TimerKind, when: str) -> None:
    for i, t in enumerate(case.timers, 1):
        t.id = t.id or i
    timer = next(t for t in case.pending_timers() if t.kind == kind)
    case.fire(timer, now=at(when))


def to_decision(case: Case, decision: str, opinion: str) -> None:
    """Complete the steps before the decision, then decide."""
    for day in range(3, 9):
        [step] = case.open_steps()[:1]
        data = {"opinion": "同意"}
        if step.role == "decision":
            data = {"decision": decision, "opinion": opinion}
        case.complete(step.id, now=at(f"2026-03-0{day}T10:00"), user="li", data=data)
        if step.role == "decision":
            return
    raise AssertionError("no decision step reached")


# -- channels and dedupe ------------------------------------------------------------------------


def test_every_notice_is_printed_and_also_mailed_and_texted_when_the_applicant_gave_both() -> None:
    case = received(contact=CONTACT)
    notices = notices_for(case)
    assert [(n.channel, n.recipient) for n in notices] == [
        (Channel.PRINT, CONTACT["address"]), (Channel.EMAIL, CONTACT["email"]),
        (Channel.SMS, CONTACT["phone"])]
    assert {n.kind for n in notices} == {"receipt"}
    received_seq = case.new_events[0].seq
    assert [n.dedupe for n in notices] == [f"2026-测试-000001#{received_seq}:{c}"
                                           for c in ("print", "email", "sms")]


def test_without_a_contact_a_notice_goes_to_the_print_queue_for_collection_at_the_window() -> None:
    assert [(n.channel, n.recipient) for n in notices_for(received())] == [(Channel.PRINT, "窗口领取")]
    assert recipients(received(contact={"email": "not-an-address", "phone": "12"})) == [
        (Channel.PRINT, "窗口领取")]


def test_an_event_that_concerns_no_one_outside_causes_no_notice() -> None:
    case = fresh(accepted())
    case.claim(case.open_steps()[0].id, now=at("2026-03-03T09:00"), user="li")
    assert notices_for(case) == []


# -- each kind's content --------------------------------------------------------------------------


def test_the_receipt_gives_the_number_query_code_and_how_to_check_progress() -> None:
    [doc] = printed(received())
    assert doc.kind == "receipt" and doc.title == "收件回执" and doc.unit == "县市场监督管理局"
    text = text_of(doc)
    assert "2026-测试-000001" in text and doc.query_code in text and "查询码" in text
    assert "收件时间：2026-03-02 09:00" in text and "0000-12345699" in text


def test_the_acceptance_notice_gives_both_deadlines() -> None:
    [doc] = printed(_accept(received()))
    text = text_of(doc)
    assert doc.kind == "acceptance_notice" and doc.title == "受理通知书"
    assert "承诺办结时限：2026-03-16 前（10 个工作日）" in text
    assert "法定办结时限：2026-03-30 前（20 个工作日）" in text


def _accept(case: Case) -> Case:
    fresh(case).accept(now=at("2026-03-02T10:00"), actor="wang")
    return case


def test_the_non_acceptance_notice_gives_the_reasons_and_the_remedies_with_their_time_limits() -> None:
    case = fresh(received())
    case.refuse_acceptance(now=at("2026-03-02T10:00"), actor="wang", reason="不属于本机关职权范围，请向县卫生健康局申请")
    [doc] = printed(case)
    text = text_of(doc)
    assert doc.kind == "non_acceptance_notice" and doc.title == "不予受理通知书"
    assert "不予受理理由：不属于本机关职权范围，请向县卫生健康局申请" in text
    assert "行政复议" in text and "六十日" in text and "行政诉讼" in text and "六个月" in text
    assert "第三十二条" in text
    assert "不属于" not in sms_text(doc)  # reasons go in writing, never in a text message


def test_the_supplement_notice_lists_every_item_and_the_five_working_day_rule() -> None:
    case = fresh(received())
    items = ["营业执照复印件", "食品安全管理制度", "从业人员健康证明"]
    case.request_supplement(now=at("2026-03-03T10:00"), actor="wang", items=items)
    [doc] = printed(case)
    text = text_of(doc)
    assert doc.kind == "supplement_notice" and doc.title == "补正材料通知书（一次性告知）"
    assert "1. 营业执照复印件；2. 食品安全管理制度；3. 从业人员健康证明" in text
    assert "5个工作日内（本案为 2026-03-09 前）一次性告知" in text
    assert "即为受理" in text and "不再要求补正" in text
    assert "3项材料" in sms_text(doc)


def test_a_second_supplement_notice_says_which_it_is_and_why() -> None:
    case = received()
    case.request_supplement(now=at("2026-03-03T10:00"), actor="wang", items=["营业执照复印件"])
    case.supplement_received(now=at("2026-03-04T10:00"), actor="wang")
    fresh(case).request_supplement(now=at("2026-03-04T11:00"), actor="wang", items=["场所平面图"],
                                   why_not_in_first_notice="首次提交的材料中无法看出场所布局")
    [doc] = printed(case)
    assert doc.title == "补正材料通知书（第2次）"
    assert "1. 场所平面图" in text_of(doc) and "无法看出场所布局" in text_of(doc)


def test_the_extension_notice_gives_the_reasons_and_the_new_date() -> None:
    case = accepted()
    case.request_extension(now=at("2026-03-10T10:00"), actor="li", reason="需要补充现场核查", days=10)
    fresh(case).decide_extension(now=at("2026-03-11T10:00"), actor="head", approve=True,
                                 reason="情况属实")
    [doc] = printed(case)  # one notice, though the change also records "applicant_notified"
    text = text_of(doc)
    assert doc.kind == "extension_notice" and doc.title == "延期告知书"
    assert "延期理由：需要补充现场核查" in text and "延长 10 个工作日" in text and "情况属实" in text
    assert "承诺 2026-03-30 前；法定 2026-04-14 前" in text and "第四十二条" in text
    assert "2026-03-30" in sms_text(doc)


def test_the_special_procedure_notice_tells_the_time_it_takes_is_not_counted() -> None:
    case = fresh(accepted())
    case.start_special(now=at("2026-03-04T10:00"), actor="li", kind="专家评审", reason="技术复杂",
                       expected_days=5)
    [doc] = printed(case)
    text = text_of(doc)
    assert doc.kind == "special_procedure_notice"
    assert "专家评审：技术复杂" in text and "预计 5 个工作日" in text and "不计入办理期限" in text


def test_the_decision_to_approve_and_the_decision_to_refuse_with_reasons_and_remedies() -> None:
    case = fresh(accepted())
    to_decision(case, "approve", "符合条件")
    [doc] = [d for d in printed(case) if d.kind == "decision"]
    assert doc.title == "准予行政许可决定书" and "准予食品经营许可" in text_of(doc)
    case = fresh(accepted())
    to_decision(case, "refuse", "经营场所与有毒有害场所距离不足25米")
    [doc] = printed(case)
    text = text_of(doc)
    assert doc.title == "不予行政许可决定书"
    assert "理由：经营场所与有毒有害场所距离不足25米" in text and "六十日" in text and "六个月" in text


def test_a_deemed_approval_is_notified_as_a_decision_deemed_to_approve() -> None:
    case = accepted("outdoor_advertising_permit.bpmn")
    for step in list(case.open_steps()):
        if step.role != "decision":
            case.complete(step.id, now=at("2026-03-03T10:00"), user="li", data={"opinion": "同意"})
    while not any(s.role == "decision" for s in case.open_steps()):
        step = case.open_steps()[0]
        case.complete(step.id, now=at("2026-03-04T10:00"), user="li", data={"opinion": "同意"})
    fire(fresh(case), TimerKind.CASE_OVERDUE, "2026-03-17T00:00")
    [doc] = [d for d in printed(case) if d.kind == "decision"]
    assert doc.title == "视为准予决定书" and "超时默许" in text_of(doc)


def test_the_termination_notice_names_the_materials_not_made_up() -> None:
    case = received()
    case.accept_with_gaps(now=at("2026-03-02T10:00"), actor="wang", missing=["从业人员健康证明"],
                          commitment_signed=True, flags=[], makeup_days=3)
    [acceptance] = printed(case)[1:]  # the receipt, then the acceptance with its 容缺 items
    assert "须于 2026-03-05 前补齐" in text_of(acceptance) and "从业人员健康证明" in text_of(acceptance)
    fire(fresh(case), TimerKind.MAKEUP_DUE, "2026-03-06T00:00")
    [doc] = printed(case)
    assert doc.kind == "termination_notice" and doc.title == "终止办理告知书"
    assert "未补齐的材料：从业人员健康证明" in text_of(doc) and "行政复议" in text_of(doc)


def test_the_current_document_follows_the_case_as_the_receipt_verb_printed_it() -> None:
    case = received()
    power = case.power
    assert current_document(case, power).kind == "receipt"
    case.request_supplement(now=at("2026-03-03T10:00"), actor="wang", items=["营业执照复印件"])
    assert current_document(case, power).kind == "supplement_notice"
    case.supplement_received(now=at("2026-03-04T10:00"), actor="wang")
    assert current_document(case, power).kind == "supplement_notice"  # until acceptance
    case.accept(now=at("2026-03-04T11:00"), actor="wang")
    doc = current_document(case, power)
    assert doc.kind == "acceptance_notice" and doc.seq is None
    refused = received()
    refused.refuse_acceptance(now=at("2026-03-02T10:00"), actor="wang", reason="材料虚假")
    assert "不予受理理由：材料虚假" in text_of(current_document(refused, power))


def test_a_document_survives_its_stored_form_and_the_sms_is_short() -> None:
    [doc] = printed(received())
    assert Document.from_dict(doc.to_dict()) == doc
    text = sms_text(doc)
    assert doc.case_number in text and doc.query_code in text and len(text) < 120


def test_recipients_are_masked_for_display() -> None:
    assert mask_recipient(Channel.SMS, "13812345678") == "138****5678"
    assert mask_recipient(Channel.EMAIL, "zhangsan@example.com") == "zh***@example.com"
    assert mask_recipient(Channel.PRINT, "XX县城关镇人民路1号") == "XX县城关镇…"


# -- the outbox on the in-memory fake ---------------------------------------------------------------


class Recorder:
    def __init__(self, fail: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail  # fail this many times, then succeed

    def send(self, document: Document, recipient: str, *, key: str = "") -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionRefusedError("[Errno 111] Connection refused")
        self.sent.append((document.kind, recipient))


@pytest.fixture
def env() -> Env:
    return memory_env(FakeClock("2026-03-02T09:00"))


def _queued(env: Env, case: Case, when: str = "2026-03-02T09:00") -> None:
    with env.uow() as uow:
        queue(uow, case, notices_for(case), at(when))
        uow.commit()


def test_a_notice_is_queued_once_however_often_the_same_events_are_queued(env: Env) -> None:
    case = received(contact=CONTACT)
    _queued(env, case)
    _queued(env, case)
    with env.uow() as uow:
        rows = uow.outbox.for_case(1)
    assert len(rows) == 3 and {r.status for r in rows} == {NoticeStatus.PENDING}


def test_nothing_is_queued_when_the_unit_of_work_is_not_committed(env: Env) -> None:
    case = received(contact=CONTACT)
    with env.uow() as uow:
        queue(uow, case, notices_for(case), at("2026-03-02T09:00"))
    with env.uow() as uow:
        assert uow.outbox.for_case(1) == []


def test_each_due_notice_is_delivered_once_through_its_channel(env: Env) -> None:
    _queued(env, received(contact=CONTACT))
    printer, mail, sms = Recorder(), Recorder(), Recorder()
    senders = {Channel.PRINT: printer, Channel.EMAIL: mail, "sms": sms}
    report = deliver_due(env, senders, now=at("2026-03-02T09:01"))
    assert (report.sent, report.retrying, report.gave_up) == (3, 0, 0)
    assert deliver_due(env, senders, now=at("2026-03-05T09:00")).sent == 0
    assert printer.sent == [("receipt", CONTACT["address"])]
    assert mail.sent == [("receipt", CONTACT["email"])] and sms.sent == [("receipt", CONTACT["phone"])]
    with env.uow() as uow:
        views = notice_views(uow.outbox.for_case(1))
    assert {v.status for v in views} == {"sent"} and {v.attempts for v in views} == {1}
    assert views[0].sent == at("2026-03-02T09:01")


def test_a_failing_channel_is_retried_with_backoff_and_never_holds_up_the_others(env: Env) -> None:
    _queued(env, received(contact=CONTACT))
    printer, mail = Recorder(), Recorder(fail=2)
    t0 = at("2026-03-02T09:01")
    report = deliver_due(env, {"print": printer, "email": mail}, now=t0)
    assert (report.sent, report.retrying) == (1, 1) and "ConnectionRefusedError" in report.errors[0]
    assert printer.sent and not mail.sent
    with env.uow() as uow:
        [email] = [n for n in uow.outbox.for_case(1) if n.channel == Channel.EMAIL]
    assert email.status == NoticeStatus.PENDING and email.attempts == 1
    assert email.next_attempt_at == t0 + dt.timedelta(minutes=1) and "refused" in (email.last_error or "")
    # not due before its pause is over; then a second failure waits 5 minutes
    assert deliver_due(env, {"email": mail}, now=t0 + dt.timedelta(seconds=59)).retrying == 0
    assert deliver_due(env, {"email": mail}, now=t0 + dt.timedelta(minutes=1)).retrying == 1
    assert deliver_due(env, {"email": mail}, now=t0 + dt.timedelta(minutes=5)).sent == 0
    assert deliver_due(env, {"email": mail}, now=t0 + dt.timedelta(minutes=6)).sent == 1
    assert mail.sent == [("receipt", CONTACT["email"])]


def test_after_the_last_attempt_a_notice_is_given_up_and_shows_as_failed(env: Env) -> None:
    _queued(env, received(contact={"email": CONTACT["email"]}))
    mail = Recorder(fail=100)
    when = at("2026-03-02T09:01")
    for _ in range(MAX_ATTEMPTS):
        deliver_due(env, {"email": mail}, now=when)
        when += dt.timedelta(days=2)
    with env.uow() as uow:
        [email] = [n for n in uow.outbox.for_case(1) if n.channel == Channel.EMAIL]
    assert email.status == NoticeStatus.FAILED and email.attempts == MAX_ATTEMPTS
    assert deliver_due(env, {"email": mail}, now=when + dt.timedelta(days=30)).retrying == 0
    assert [retry_after(n) for n in (1, 2, 3, 4)] == list(BACKOFF[:4])
    assert BACKOFF[:4] == (dt.timedelta(minutes=1), dt.timedelta(minutes=5),
                           dt.timedelta(minutes=30), dt.timedelta(hours=2))


def test_a_channel_without_a_sender_waits_untouched(env: Env) -> None:
    _queued(env, received(contact=CONTACT))
    deliver_due(env, {"print": Recorder()}, now=at("2026-03-02T09:01"))
    with env.uow() as uow:
        waiting = [n for n in uow.outbox.for_case(1) if n.channel != Channel.PRINT]
    assert {(n.status, n.attempts) for n in waiting} == {(NoticeStatus.PENDING, 0)}
