"""`sunshine audit keygen|seal|verify` as an operator and an auditor type them."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.e2e.helpers import Sunshine


def test_seal_then_verify_and_a_deleted_event_is_named(run_cli, sqlite_url, tmp_path):
    cli = Sunshine(run_cli, sqlite_url, now="2026-03-01T09:00")
    cli.setup()
    number = cli.start("XK-SPJY-001", "张三")
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    out = cli.ok("audit", "keygen", "--private", private, "--public", public).out
    assert public.read_text().strip() in out
    again = cli.fails("audit", "keygen", "--private", private, "--public", tmp_path / "x.pub")
    assert again.code == 2 and "never overwritten" in again.err
    sealed = cli.ok("audit", "seal", "--key", private, "--out", tmp_path / "seals").out
    seal_file = tmp_path / "seals" / "latest.json"
    assert "sealed" in sealed and seal_file.exists()
    ok = cli.ok("audit", "verify", "--against", seal_file, "--public-key", public)
    assert "trail matches the seal" in ok.out
    report = json.loads(cli.ok("audit", "verify", "--against", seal_file, "--public-key", public,
                               "--json").out)
    assert report["problems"] == [] and report["key_pinned"] and report["cases"] >= 1

    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 1 AND case_id = (SELECT id "
                             "FROM cases WHERE number = :n)"), {"n": number})
    engine.dispose()
    bad = cli.fails("audit", "verify", "--against", seal_file, "--public-key", public)
    assert bad.code == 12 and f"case {number}" in bad.out and "event 1 is missing" in bad.out
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    refused = cli.fails("audit", "verify", "--against", junk)
    assert refused.code == 5 and "not a seal file" in refused.err
