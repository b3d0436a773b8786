"""Personal data at rest (adapters/sql/pii.py), on SQLite and PostgreSQL: a dump of the database
shows no ID number, phone, e-mail or postal address in clear, while those allowed still read
them (the case record, the receipt, the notices delivered); plain rows written before the key
read and are sealed by `sunshine data-key encrypt-existing`; production refuses to start the
web and the worker with no key."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.bootstrap import build_env, upgrade_database
from adapters.config import Settings
from adapters.delivery import build_senders
from adapters.sql import pii
from adapters.sql import tables as t
from adapters.sql.pii_rewrite import encrypt_existing
from engine.applicants import Applicant, mask_number
from engine.services import cases as svc
from engine.services.catalogue_admin import deploy
from engine.services.notices import deliver_due, receipt_document
from engine.services.supervision import case_record
from tests.conftest import DATA_KEY, PROCESSES, MovableClock
from tests.staff import CLERK, A

FOOD = "XK-SPJY-001"
ID_NUMBER = "11010119900307803X"  # a valid 身份证 number (check digit X)
PHONE = "13912345678"
EMAIL = "zhang.secret@example.cn"
ADDRESS = "幸福路门牌七七号院"
AGENT_PHONE = "13698765432"
SECRETS = (ID_NUMBER, PHONE, EMAIL, ADDRESS, AGENT_PHONE, "98765432")


def _env(url: str, tmp_path: Path, key: str = str(DATA_KEY)):  # noqa: ANN202
    settings = Settings(database_url=url, mode="test", data_key=key,
                        print_dir=str(tmp_path / "notices"), sms_gateway="log",
                        sms_log=str(tmp_path / "notices" / "sms.log"))
    env = build_env(settings, MovableClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)))
    upgrade_database(env.engine)  # type: ignore[attr-defined]
    return env, settings


def _receive(env) -> str:  # noqa: ANN001
    deploy(env, sorted(str(p) for p in PROCESSES.glob("*.bpmn")), actor=A("designer"))
    applicant = Applicant("张三", "身份证", ID_NUMBER, phone=PHONE, email=EMAIL, address=ADDRESS)
    case = svc.start_case(env, FOOD, applicant, actor=A(CLERK), request_key="req-1",
                          data={"agent": {"name": "李四", "phone": AGENT_PHONE}})
    svc.accept(env, case.number, actor=A("王窗口"))
    return case.number


def _every_stored_text(engine: sa.Engine) -> str:
    """Every column of every table, read with plain SQL, as one text (blobs as latin-1)."""
    out: list[str] = []
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            for row in conn.execute(sa.text(f"SELECT * FROM {table.name}")):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        out.append(bytes(value).decode("latin-1"))
                    elif isinstance(value, (dict, list)):
                        out.append(json.dumps(value, ensure_ascii=False))
                    else:
                        out.append(str(value))
    return "\n".join(out)


def _dump(url: str) -> str:
    """What the database's own dump tool writes (sqlite3 .dump, pg_dump)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return "\n".join(conn.iterdump())
    schema = url.rpartition("search_path%3D")[2]
    base = url.partition("?")[0]
    assert shutil.which("pg_dump"), "pg_dump is part of the test environment"
    return subprocess.run(["pg_dump", "--schema", schema, base], capture_output=True, text=True,
                          check=True).stdout


def _clear(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_a_dump_shows_no_id_number_or_phone_while_those_allowed_still_read_them(
        db_url, tmp_path) -> None:
    env, settings = _env(db_url, tmp_path)
    number = _receive(env)

    assert _clear(_every_stored_text(env.engine)) == []
    assert _clear(_dump(db_url)) == []

    # the case file (the window may read it): the certificate as the card shows it, the agent's
    # phone as given; the chain verifies over the plain payloads
    record = case_record(env, number, reader=A("王窗口"))
    assert record["applicant_certificate"] == {"type": "身份证", "number": mask_number(ID_NUMBER)}
    assert record["application"]["agent"]["phone"] == AGENT_PHONE
    assert record["audit_chain"] == "intact"
    assert "张三" in receipt_document(env, number).applicant
    # the same request again finds the first case by its applicant (the key compares numbers)
    again = svc.start_case(env, FOOD, Applicant("张三", "身份证", ID_NUMBER, phone=PHONE),
                           actor=A(CLERK), request_key="req-1")
    assert again.number == number
    # the notices reach the real phone and address
    senders, _ = build_senders(settings, clock=env.clock)
    report = deliver_due(env, {k: v for k, v in senders.items() if k.value == "sms"})
    assert report.sent >= 1
    assert PHONE in (tmp_path / "notices" / "sms.log").read_text(encoding="utf-8")
    with env.uow() as uow:
        recipients = {n.recipient for n in uow.outbox.list(case_number=number)}
    assert {PHONE, EMAIL, ADDRESS} <= recipients
    assert _clear(_every_stored_text(env.engine)) == []


def test_plain_rows_still_read_and_encrypt_existing_seals_them_once(db_url, tmp_path) -> None:
    plain, _ = _env(db_url, tmp_path, key=pii.NONE)
    number = _receive(plain)
    assert ID_NUMBER in _every_stored_text(plain.engine)  # written before the key
    env, _ = _env(db_url, tmp_path)
    assert case_record(env, number)["applicant_certificate"]["number"] == mask_number(ID_NUMBER)

    done = encrypt_existing(env.engine, pii.load(str(DATA_KEY)), batch=2)
    assert done.rows["cases"] == 1 and done.rows["audit_events"] >= 1
    assert done.rows["applicant_flags"] == 0 and done.rows["outbox"] >= 3
    assert _clear(_every_stored_text(env.engine)) == []
    assert encrypt_existing(env.engine, pii.load(str(DATA_KEY))).total == 0  # idempotent
    record = case_record(env, number)
    assert record["applicant_certificate"]["number"] == mask_number(ID_NUMBER)
    assert record["audit_chain"] == "intact"
    with env.uow() as uow:
        assert ADDRESS in {n.recipient for n in uow.outbox.list(case_number=number)}


def test_a_sealed_value_is_named_when_no_key_or_another_key_is_configured(
        sqlite_url, tmp_path) -> None:
    from engine.errors import ConfigError

    env, _ = _env(sqlite_url, tmp_path)
    number = _receive(env)
    blind, _ = _env(sqlite_url, tmp_path, key="")
    with pytest.raises(ConfigError, match="SUNSHINE_DATA_KEY"):
        case_record(blind, number)
    other = tmp_path / "other.key"
    pii.generate(other)
    wrong, _ = _env(sqlite_url, tmp_path, key=str(other))
    with pytest.raises(ConfigError, match="sealed with data key"):
        case_record(wrong, number)


def test_rotating_the_data_key_reseals_everything_and_then_the_old_key_can_go(
        db_url, tmp_path, run_cli, monkeypatch) -> None:
    from adapters.sql.pii_rewrite import rotate
    from engine.errors import ConfigError
    from engine.services.audit_check import check
    from engine.services.cases import load, save_case
    from engine.services.complaints import record_complaint

    env, _ = _env(db_url, tmp_path)  # the old key: tests/fixtures/data.key
    number = _receive(env)
    with env.uow() as uow:  # a 失信 flag, named by a keyed hash of the certificate
        case = load(env, uow, number)
        case.flag_applicant("false_commitment", "承诺不实")
        save_case(uow, case, env.now())
        uow.commit()
    complaint = record_complaint(env, complainant="张三", contact="13700002222", channel="phone",
                                 facts="窗口不收材料", actor=A(CLERK), case=number)
    old = pii.load(str(DATA_KEY))
    new_file = tmp_path / "new.key"
    new = pii.generate(new_file)

    alone, _ = _env(db_url, tmp_path, key=str(new_file))  # the new key without the old one
    with pytest.raises(ConfigError, match=f"sealed with data key {old.kid}.*PREVIOUS"):
        case_record(alone, number)

    both = build_env(Settings(database_url=db_url, mode="test", data_key=str(new_file),
                              data_key_previous=str(DATA_KEY)),
                     MovableClock(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)))
    assert case_record(both, number)["applicant_flags"]  # read under the old key meanwhile
    done = rotate(both.engine, pii.load(str(new_file), str(DATA_KEY)), batch=2)
    assert done.sealed.rows["cases"] == 1 and done.sealed.rows["audit_events"] >= 1
    assert done.sealed.rows["outbox"] >= 3 and done.sealed.rows["complaints"] == 1
    assert (done.flags_rekeyed, done.flags_left, done.stale_left) == (1, [], 0)

    stored = _every_stored_text(env.engine)
    assert f"enc:v1:{old.kid}:" not in stored and f"enc:v1:{new.kid}:" in stored
    assert f"enc:v1:{old.kid}:" not in _dump(db_url)
    assert _clear(stored) == []
    alone, _ = _env(db_url, tmp_path, key=str(new_file))  # the old key is needed no more
    record = case_record(alone, number)
    assert record["applicant_certificate"]["number"] == mask_number(ID_NUMBER)
    assert record["application"]["agent"]["phone"] == AGENT_PHONE
    assert [f["kind"] for f in record["applicant_flags"]] == ["false_commitment"]
    assert record["audit_chain"] == "intact"
    (found,) = list(check(alone, [number]))
    assert found.status == "matches", found.problems
    with alone.uow() as uow:
        assert uow.complaints.get(complaint.number).contact == "13700002222"
        assert ADDRESS in {n.recipient for n in uow.outbox.list(case_number=number)}
    again = rotate(both.engine, pii.load(str(new_file), str(DATA_KEY)))
    assert again.sealed.total == 0 and again.flags_rekeyed == 0  # once only

    # the verb: refused without the old key named, then nothing left to do
    monkeypatch.setenv("SUNSHINE_DATA_KEY", str(new_file))
    bad = run_cli("--db", db_url, "data-key", "rotate")
    assert bad.code == 2 and "SUNSHINE_DATA_KEY_PREVIOUS" in bad.err
    monkeypatch.setenv("SUNSHINE_DATA_KEY_PREVIOUS", str(DATA_KEY))
    ok = run_cli("--db", db_url, "data-key", "rotate")
    assert ok.code == 0 and "no longer needed" in ok.out, ok.out + ok.err


def test_data_key_generate_writes_a_private_file_and_never_overwrites(run_cli, tmp_path) -> None:
    out = tmp_path / "data.key"
    first = run_cli("data-key", "generate", "--out", out)
    assert first.code == 0, first.err
    assert os.stat(out).st_mode & 0o777 == 0o600
    content = out.read_bytes()
    second = run_cli("data-key", "generate", "--out", out)
    assert second.code != 0 and "never overwritten" in second.err
    assert out.read_bytes() == content


def test_production_refuses_the_web_the_worker_and_every_verb_without_a_data_key(
        run_cli, sqlite_url, monkeypatch) -> None:
    monkeypatch.setenv("SUNSHINE_MODE", "production")
    monkeypatch.delenv("SUNSHINE_DATA_KEY")
    for verb in (("worker", "--once"), ("web", "--port", "0"), ("case", "list")):
        result = run_cli("--db", sqlite_url, *verb)
        assert result.code != 0 and "SUNSHINE_DATA_KEY" in result.err
        assert "docs/operations.md" in result.err


def test_no_public_page_or_export_shows_an_applicants_number_phone_or_full_name(
        sqlite_url, tmp_path) -> None:
    """Cases with distinctive names, numbers and phones; then what the public and the province
    see: the lookup (service and page), the exchange export (JSON and CSV), the rating page."""
    from fastapi.testclient import TestClient

    from adapters.exchange_format import to_csv, to_json
    from adapters.web.app import create_app
    from engine.services.exchange import export_exchange
    from engine.services.supervision import public_lookup

    env, _ = _env(sqlite_url, tmp_path)
    number = _receive(env)
    code = case_record(env, number)["query_code"]
    # the name is not a secret to the case's staff, but the public sees it masked
    secrets = (*SECRETS, "张三")
    shown = [json.dumps(public_lookup(env, number, code), ensure_ascii=False, default=str)]
    with TestClient(create_app(env), follow_redirects=True) as client:
        for path in ("/", f"/lookup?number={number}&code={code}", f"/rate/{number}?code={code}"):
            page = client.get(path)
            if page.status_code == 200:
                shown.append(page.text)
        assert number in shown[-1] or any(number in s for s in shown[1:])
    batches: list = []
    env.clock.set("2026-04-01T09:00")  # type: ignore[attr-defined]
    export_exchange(env, A("监察员"), since_last=True, write=batches.append)
    assert batches and batches[0].records
    shown += [to_json(batches[0], env.calendar().tz).decode(), to_csv(batches[0]).decode()]
    assert [s for s in secrets if any(s in text for text in shown)] == []
