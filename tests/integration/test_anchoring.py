"""The audit trail sealed outside the database (issue 17): a seal signed with the operator's
Ed25519 key proves that no sealed event was altered, removed or reordered since — even by
someone who rewrites a whole chain consistently in the database, which the chain alone cannot
show. On SQLite and PostgreSQL, with real keys and real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.sealing import generate_key, load_signer, read_public_key, read_seal, verify, write_seal
from adapters.sql import pii
from adapters.sql import tables as t
from engine.audit import event_hash
from engine.services import anchoring
from engine.services import cases as svc
from engine.services.supervision import case_record
from tests.staff import CLERK, A, person


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "seal.pem", tmp_path / "seal.pub"
    generate_key(private, public)
    return private, public


def _cases(env, n=3):  # noqa: ANN001, ANN202
    numbers = []
    for i in range(n):
        case = svc.start_case(env, "XK-SPJY-001", person(f"申请人{i}"), actor=A(CLERK))
        svc.accept(env, case.number, actor=A(CLERK))
        numbers.append(case.number)
    return numbers


def _sealed(env, keys, tmp_path):  # noqa: ANN001, ANN202
    path = write_seal(anchoring.seal(env, load_signer(keys[0])), tmp_path / "seals")
    return read_seal(path)


def _check(env, seal, keys):  # noqa: ANN001, ANN202
    return anchoring.check(env, seal, verify, trusted_key=read_public_key(keys[1]))


def _rewrite_consistently(env, number: str, seq: int, actor: str) -> None:
    """What someone with write access to the database can do: edit one event and recompute the
    hashes of it and every event after it, and the head the case keeps, so the chain is whole."""
    with env.engine.begin() as conn:
        cid = conn.execute(sa.text("SELECT id FROM cases WHERE number = :n"), {"n": number}).scalar()
        ev = t.audit_events
        rows = conn.execute(sa.select(ev).where(ev.c.case_id == cid).order_by(ev.c.seq)).all()
        prev = None
        for row in rows:
            at, payload = row.at, row.payload
            who = actor if row.seq == seq else row.actor
            prev_hash = prev if prev is not None else row.prev_hash
            salt = pii.reveal(row.salt, pii.key_for(conn))  # sealed at rest, like the payload
            digest = event_hash(cid, row.seq, at, who, row.kind, pii.reveal(payload, pii.key_for(
                conn)), prev_hash, hash_version=row.hash_version, salt=salt)
            conn.execute(sa.text("UPDATE audit_events SET actor = :a, prev_hash = :p, hash = :h "
                                 "WHERE case_id = :c AND seq = :s"),
                         {"a": who, "p": prev_hash, "h": digest, "c": cid, "s": row.seq})
            prev = digest
        data = conn.execute(sa.text("SELECT data FROM cases WHERE id = :c"), {"c": cid}).scalar()
        data = data if isinstance(data, dict) else json.loads(data)
        data["audit_head"] = [rows[-1].seq, prev]
        conn.execute(sa.text("UPDATE cases SET data = :d WHERE id = :c"),
                     {"d": json.dumps(data, ensure_ascii=False), "c": cid})


def test_an_untouched_trail_matches_its_seal_and_later_events_are_not_a_problem(
        env, keys, tmp_path):
    numbers = _cases(env)
    seal = _sealed(env, keys, tmp_path)
    assert [h.case for h in seal.heads] == sorted(numbers)
    assert all(h.seq >= 2 for h in seal.heads) and seal.events == sum(h.seq for h in seal.heads)
    svc.start_case(env, "XK-SPJY-001", person("后来者"), actor=A(CLERK))  # after the seal
    assert _check(env, seal, keys) == []


def test_a_chain_rewritten_consistently_looks_intact_but_not_to_the_seal(env, keys, tmp_path):
    numbers = _cases(env)
    seal = _sealed(env, keys, tmp_path)
    _rewrite_consistently(env, numbers[1], 2, "冒名者")
    assert case_record(env, numbers[1])["audit_chain"] == "intact"  # the chain alone is fooled
    problems = _check(env, seal, keys)
    assert len(problems) == 1 and problems[0].startswith(f"case {numbers[1]}:")
    assert "rewritten" in problems[0]


def test_removed_reordered_and_deleted_trails_are_each_named(env, keys, tmp_path):
    a, b, c = _cases(env)
    seal = _sealed(env, keys, tmp_path)
    with env.engine.begin() as conn:
        ids = {n: conn.execute(sa.text("SELECT id FROM cases WHERE number = :n"), {"n": n}).scalar()
               for n in (a, b, c)}
        last = conn.execute(sa.text("SELECT max(seq) FROM audit_events WHERE case_id = :c"),
                            {"c": ids[a]}).scalar()
        conn.execute(sa.text("DELETE FROM audit_events WHERE case_id = :c AND seq = :s"),
                     {"c": ids[a], "s": last})  # the latest event: the chain alone cannot see it
        conn.execute(sa.text("UPDATE audit_events SET seq = -1 WHERE case_id = :c AND seq = 1"),
                     {"c": ids[b]})
        conn.execute(sa.text("UPDATE audit_events SET seq = 1 WHERE case_id = :c AND seq = 2"),
                     {"c": ids[b]})
        conn.execute(sa.text("UPDATE audit_events SET seq = 2 WHERE case_id = :c AND seq = -1"),
                     {"c": ids[b]})  # events 1 and 2 swapped
        conn.execute(sa.text("DELETE FROM audit_events WHERE case_id = :c"), {"c": ids[c]})
    problems = _check(env, seal, keys)
    assert any(p.startswith(f"case {a}:") and f"event {last}" in p and "gone" in p
               for p in problems), problems
    assert any(p.startswith(f"case {b}:") for p in problems), problems
    assert any(p.startswith(f"case {c}:") and "now it has none" in p for p in problems), problems


def test_an_altered_seal_file_or_another_key_is_refused(env, keys, tmp_path):
    numbers = _cases(env, 2)
    path = write_seal(anchoring.seal(env, load_signer(keys[0])), tmp_path / "seals")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["heads"][0][1] -= 1  # claim fewer events were sealed, to hide a deletion
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc), encoding="utf-8")
    problems = _check(env, read_seal(forged), keys)
    assert any("signature does not match" in p for p in problems)
    assert any("do not give its root" in p for p in problems)
    other = (tmp_path / "other.pem", tmp_path / "other.pub")
    generate_key(*other)
    resigned = write_seal(anchoring.seal(env, load_signer(other[0])), tmp_path / "other")
    problems = _check(env, read_seal(resigned), keys)  # pinned to the published key
    assert problems and "not with the published key" in problems[0]
    assert numbers


def test_keys_are_never_overwritten_and_the_private_key_is_private(keys):
    from engine.errors import ConfigError

    with pytest.raises(ConfigError, match="never overwritten"):
        generate_key(keys[0], keys[1].with_name("new.pub"))
    assert keys[0].stat().st_mode & 0o077 == 0


def test_the_worker_seals_once_a_day(env, keys, tmp_path, clock):
    import datetime as dt

    from adapters.scheduler import seal_if_due

    _cases(env, 1)
    seals = tmp_path / "daily"
    first = seal_if_due(env, str(keys[0]), str(seals))
    assert first is not None and (seals / "latest.json").exists()
    clock.at += dt.timedelta(hours=23)
    assert seal_if_due(env, str(keys[0]), str(seals)) is None
    clock.at += dt.timedelta(hours=1, seconds=1)
    second = seal_if_due(env, str(keys[0]), str(seals))
    assert second is not None and second != first
    assert _check(env, read_seal(second), keys) == []
