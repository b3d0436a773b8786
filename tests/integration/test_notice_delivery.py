"""Notices reach the applicant: queued with the change that caused them, delivered by print
queue, e-mail and SMS, retried when a channel fails, never sent twice.

A real SMTP server (aiosmtpd) listens on loopback; a closed port stands for a mail server that is
down. The print queue writes real PDFs (read back with pdftotext). Every time is fixed.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from adapters.bootstrap import build_env, upgrade_database
from adapters.config import Settings
from adapters.delivery import build_senders
from engine.applicants import Applicant, id_card_check
from engine.documents import Channel, NoticeStatus, notices_for
from engine.identity import Actor, Role
from engine.services import cases as svc
from engine.services.catalogue_admin import deploy
from engine.services.context import Env
from engine.services.notices import case_notices, deliver_due, queue
from tests.conftest import PROCESSES, MovableClock

FOOD = "XK-SPJY-001"
UNIT = "县市场监督管理局"
ID_NUMBER = "11010519491231002" + id_card_check("11010519491231002")
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # Mon 09:00 in Shanghai
DESIGNER = Actor(login="sheji", name="设计员", unit=UNIT, roles=frozenset({Role.DESIGNER}))
WINDOW = Actor(login="wang", name="王窗口", unit=UNIT, roles=frozenset({Role.WINDOW}))


# -- an SMTP server on loopback -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=email.policy.default))
        return "250 OK"


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    controller, inbox = smtp_server(port)
    yield port, inbox
    controller.stop()


def settings(url: str, tmp_path: Path, smtp_port: int) -> Settings:
    return Settings(database_url=url, mode="test", smtp_host="127.0.0.1", smtp_port=smtp_port,
                    smtp_from="notices@county.example", smtp_starttls=False,
                    print_dir=str(tmp_path / "notices"), sms_gateway="log",
                    sms_log=str(tmp_path / "notices" / "sms.log"))


def make(url: str, tmp_path: Path, smtp_port: int) -> Env:
    env = build_env(settings(url, tmp_path, smtp_port), MovableClock(T0))
    upgrade_database(env.engine)
    deploy(env, sorted(str(p) for p in PROCESSES.glob("*.bpmn")), actor=DESIGNER)
    return env


def start(env: Env, **contact: str) -> str:
    return svc.start_case(env, FOOD, Applicant("张三", "身份证", ID_NUMBER, **contact),
                          actor=WINDOW).number


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    return path.read_bytes().decode("latin-1")  # the title is in the document information


# -- through the CLI, on SQLite -------------------------------------------------------------------


def test_a_change_queues_its_notices_and_one_pass_prints_mails_and_texts_them_once(
        run_cli, sqlite_url, tmp_path, monkeypatch, smtp) -> None:
    port, inbox = smtp
    print_dir = tmp_path / "notices"
    for key, value in {"SUNSHINE_MODE": "test", "SUNSHINE_PRINT_DIR": str(print_dir),
                       "SUNSHINE_SMTP_HOST": "127.0.0.1", "SUNSHINE_SMTP_PORT": str(port),
                       "SUNSHINE_SMTP_FROM": "notices@county.example",
                       "SUNSHINE_SMTP_STARTTLS": "false", "SUNSHINE_SMS_GATEWAY": "log"}.items():
        monkeypatch.setenv(key, value)
    env = make(sqlite_url, tmp_path, port)
    from engine.services.identity import add_user

    add_user(env, by=None, login="admin", name="管理员", unit=UNIT, roles=["admin"])
    admin = Actor(login="admin", name="管理员", unit=UNIT, roles=frozenset({Role.ADMIN}))
    add_user(env, by=admin, login="wang", name="王窗口", unit=UNIT, roles=["window"])
    env.engine.dispose()

    def cli(*args: str, now: str = "2026-03-02T09:00") -> Any:
        r = run_cli("--db", sqlite_url, "--now", now, *args)
        assert r.code == 0, r.err
        return r

    number = cli("case", "start", FOOD, "--applicant", "张三", "--id-number", ID_NUMBER,
                 "--email", "zhangsan@example.com", "--phone", "13812345678",
                 "--as", "wang").out.strip()
    cli("case", "supplement", number, "--as", "wang", "--item", "营业执照复印件",
        "--item", "从业人员健康证明", now="2026-03-03T10:00")
    rows = json.loads(cli("notice", "list", "--case", number, "--json").out)
    assert [(r["kind"], r["channel"], r["status"]) for r in rows] == [
        (kind, channel, "pending") for kind in ("receipt", "supplement_notice")
        for channel in ("print", "email", "sms")]
    assert {r["recipient"] for r in rows} == {"窗口领取", "zh***@example.com", "138****5678"}

    out = cli("notice", "deliver", now="2026-03-03T10:01").out
    assert "sent 6, failed 0" in out
    assert "sent 0, failed 0" in cli("notice", "deliver", now="2026-03-03T11:00").out

    subjects = [m["Subject"] for m in inbox.messages]
    assert len(subjects) == 2 and subjects[0].startswith("收件回执") and number in subjects[0]
    assert subjects[1].startswith("补正材料通知书（一次性告知）")
    body = inbox.messages[1].get_content()
    assert "1. 营业执照复印件；2. 从业人员健康证明" in body and "县市场监督管理局" in body
    assert inbox.messages[1]["To"] == "zhangsan@example.com"

    pdfs = sorted(print_dir.glob("*.pdf"))
    assert [p.name.split("_", 1)[1].rsplit("_", 1)[0] for p in pdfs] == ["receipt",
                                                                         "supplement_notice"]
    assert all(p.name.startswith(number) for p in pdfs)
    assert number in pdf_text(pdfs[1]) and "营业执照复印件" in pdf_text(pdfs[1])
    texts = [json.loads(line) for line in (print_dir / "sms.log").read_text().splitlines()]
    assert [t["phone"] for t in texts] == ["13812345678"] * 2
    assert all(number in t["text"] for t in texts)

    shown = cli("case", "show", number).out
    assert "通知 notices:" in shown and "补正材料通知书（一次性告知）  电子邮件 zh***@example.com  已送达" in shown
    receipt = cli("case", "receipt", number).out
    assert "补正材料通知书（一次性告知）" in receipt and "2. 从业人员健康证明" in receipt


# -- the services, on SQLite and PostgreSQL -------------------------------------------------------------


def test_a_mail_server_that_is_down_is_retried_with_backoff_and_the_print_notice_goes_out(
        db_url, tmp_path) -> None:
    port = free_port()  # nothing listens there yet: the mail server is down
    env = make(db_url, tmp_path, port)
    number = start(env, email="zhangsan@example.com")
    senders, notes = build_senders(settings(db_url, tmp_path, port))
    assert notes == []
    t1 = T0 + dt.timedelta(minutes=1)
    report = deliver_due(env, senders, now=t1)
    assert (report.sent, report.retrying, report.gave_up) == (1, 1, 0)
    assert "ConnectionRefusedError" in report.errors[0]
    assert len(list((tmp_path / "notices").glob(f"{number}_receipt_*.pdf"))) == 1
    [mail] = [n for n in case_notices(env, number) if n.channel == "email"]
    assert (mail.status, mail.attempts) == ("pending", 1) and "Connection" in (mail.last_error or "")
    assert mail.next_attempt == t1 + dt.timedelta(minutes=1)
    assert deliver_due(env, senders, now=t1 + dt.timedelta(seconds=30)).retrying == 0  # waits
    assert deliver_due(env, senders, now=t1 + dt.timedelta(minutes=1)).retrying == 1
    [mail] = [n for n in case_notices(env, number) if n.channel == "email"]
    assert mail.attempts == 2 and mail.next_attempt == t1 + dt.timedelta(minutes=6)
    controller, inbox = smtp_server(port)  # the mail server is back
    try:
        assert deliver_due(env, senders, now=t1 + dt.timedelta(minutes=6)).sent == 1
        assert deliver_due(env, senders, now=t1 + dt.timedelta(hours=3)).sent == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and inbox.messages[0]["Subject"].startswith("收件回执")
    assert {n.status for n in case_notices(env, number)} == {"sent"}


def test_notice_rows_commit_with_their_change_or_not_at_all(db_url, tmp_path) -> None:
    env = make(db_url, tmp_path, free_port())
    number = start(env, phone="13812345678")
    with env.uow() as uow:
        case = svc.load(env, uow, number)
        case.accept(now=T0 + dt.timedelta(hours=1), actor="wang")
        notices = notices_for(case)
        uow.cases.save(case)
        queue(uow, case, notices, T0)
        # no commit: the change and its notices are dropped together
    assert [n.kind for n in case_notices(env, number)] == ["receipt", "receipt"]
    with env.uow() as uow:
        case = svc.load(env, uow, number)
        case.accept(now=T0 + dt.timedelta(hours=1), actor="wang")
        notices = notices_for(case)
        uow.cases.save(case)
        queue(uow, case, notices, T0)
        queue(uow, case, notices, T0)  # the same notices again: skipped
        uow.commit()
    assert [(n.kind, n.channel) for n in case_notices(env, number)][2:] == [
        ("acceptance_notice", "print"), ("acceptance_notice", "sms")]


def test_a_claimed_notice_is_never_claimed_by_a_second_worker(db_url, tmp_path) -> None:
    env = make(db_url, tmp_path, free_port())
    for _ in range(3):
        start(env, email="a@example.com")
    t1 = T0 + dt.timedelta(minutes=1)
    with env.uow() as first:
        mine = first.outbox.due(t1, 100)
        assert len(mine) == 6 and {n.attempts for n in mine} == {1}
        if db_url.startswith("postgresql"):
            with env.uow() as second:  # rows locked by the first claim are skipped, not waited on
                assert second.outbox.due(t1, 100) == []
        first.commit()
    with env.uow() as second:  # committed: the claim's lease keeps them from a second worker
        assert second.outbox.due(t1 + dt.timedelta(minutes=9), 100) == []
        second.commit()
    with env.uow() as later:  # a worker that died holding them: due again after the lease
        again = later.outbox.due(t1 + dt.timedelta(minutes=10), 100)
        assert len(again) == 6 and {n.attempts for n in again} == {2}
        assert {n.status for n in again} == {NoticeStatus.PENDING}
        assert {n.channel for n in again} == {Channel.PRINT, Channel.EMAIL}


def test_on_sqlite_notices_are_queued_after_the_save_never_before(sqlite_url, tmp_path) -> None:
    env = make(sqlite_url, tmp_path, free_port())
    number = start(env)
    with env.uow() as uow:
        case = svc.load(env, uow, number)
        case.accept(now=T0 + dt.timedelta(hours=1), actor="wang")
        with pytest.raises(RuntimeError, match="after the case is saved"):
            queue(uow, case, notices_for(case), T0)


def test_a_notice_sent_again_after_its_success_was_lost_is_texted_once_and_keeps_its_message_id(
        sqlite_url, tmp_path, smtp) -> None:
    """The worker killed after the gateway accepted a message and before the row was marked sent:
    the next pass sends it again with the same notice key; the SMS gateway drops the repeat and the
    e-mail goes out with the same Message-ID (docs/reliability.md, the kill campaign)."""
    import sqlalchemy as sa

    from engine.services.notices import deliver_due

    port, inbox = smtp
    env = make(sqlite_url, tmp_path, port)
    start(env, email="zhangsan@example.com", phone="13812345678")
    senders, _ = build_senders(settings(sqlite_url, tmp_path, port), clock=env.clock)
    assert deliver_due(env, senders).sent == 3
    with env.engine.begin() as conn:  # the marks of success never reached the database
        conn.execute(sa.text("UPDATE outbox SET status = 'pending', sent_at = NULL"))
    assert deliver_due(env, senders, now=T0 + dt.timedelta(hours=1)).sent == 3
    texts = (tmp_path / "notices" / "sms.log").read_text(encoding="utf-8").splitlines()
    assert len(texts) == 1 and json.loads(texts[0])["key"].endswith(":sms")
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 2 and ids[0] == ids[1]  # a mail reader shows the repeat once
