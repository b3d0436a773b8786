"""Sealing personal data written before the data key (``sunshine data-key encrypt-existing``),
and re-sealing what an earlier key sealed under the current one (``sunshine data-key rotate``).

Each table is read in batches by id; each batch is one transaction that seals the rows still
holding plain personal data (adapters/sql/pii.py), re-seals those holding values sealed under a
previous key (SUNSHINE_DATA_KEY_PREVIOUS), and skips the rest. A run stopped halfway is
resumed by running it again; a second run changes nothing. Only the stored form changes: every
value reads back the same, so audit chains and seals verify as before (the chain hashes the
plain payload). Run it with the worker and the web stopped (a case saved meanwhile by a process
without the key would be written plain again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from adapters.sql import pii
from adapters.sql import tables as t
from engine.errors import ConfigError
from engine.personal import is_erased

BATCH = 500


@dataclass
class Sealed:
    """How many rows each table had sealed."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def tables(self) -> str:
        """``cases 1, audit_events 3 …``, as the verbs print it."""
        return ", ".join(f"{name} {n}" for name, n in self.rows.items())


def _case(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    state = bytes(row.workflow_state)
    change: dict[str, Any] = {}
    if pii.needs_reseal(row.data, key):
        change["data"] = pii.reseal(row.data, key)
    if not state.startswith(pii.BLOB_PREFIX):
        change["workflow_state"] = key.seal_bytes(state)
    elif key.is_stale(state):
        change["workflow_state"] = key.seal_bytes(key.open_bytes(state))
    return change or None


def _json(column: str) -> Callable[[Any, pii.DataKey], dict[str, Any] | None]:
    def seal(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
        value = getattr(row, column)
        return {column: pii.reseal(value, key)} if pii.needs_reseal(value, key) else None
    return seal


def _value(value: str | None, key: pii.DataKey) -> str | None:
    """One stored value brought to the current key: sealed if plain, re-sealed if stale; None
    when it is as it should be (empty, erased or sealed under the current key)."""
    if not value or is_erased(value):
        return None
    if not pii.is_sealed(value):
        return key.seal(value)
    return key.seal(key.open(value)) if key.is_stale(value) else None


def _flag(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    if row.applicant.startswith(pii.LOOKUP_PREFIX):
        return None  # a keyed hash: re-keyed from its case's certificate (rekey_flags)
    return {"applicant": key.lookup(row.applicant)}


def _notice(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    from adapters.sql.outbox import SEALED_RECIPIENT
    from engine.documents import AT_THE_WINDOW

    sealed = row.document.get(SEALED_RECIPIENT)
    if sealed is not None:
        again = _value(sealed, key)
        return None if again is None else {"document": {**row.document, SEALED_RECIPIENT: again}}
    if row.recipient == AT_THE_WINDOW or "*" in row.recipient:  # masked: erased, or sealed
        return None
    return {"recipient": pii.mask(row.recipient)[:200],
            "document": {**row.document, SEALED_RECIPIENT: key.seal(row.recipient)}}


def _event(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    change = _json("payload")(row, key) or {}
    salt = _value(row.salt, key)  # the salt of its personal values' commitments
    if salt is not None:
        change["salt"] = salt
    return change or None


def _complaint(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    contact = _value(row.contact, key)
    return {"contact": contact} if contact is not None else None


# (table, the columns read, how a row is sealed); ids are integers in every one of them
_TABLES: tuple[tuple[sa.Table, tuple[str, ...], Any], ...] = (
    (t.cases, ("data", "workflow_state"), _case),
    (t.audit_events, ("payload", "salt"), _event),
    (t.complaints, ("contact",), _complaint),
    (t.outbox, ("recipient", "document"), _notice),
    (t.applicant_flags, ("applicant",), _flag),
)


def encrypt_existing(engine: Engine, key: pii.DataKey | None, *, batch: int = BATCH,
                     progress: Callable[[str], None] | None = None) -> Sealed:
    """Seal every plain personal value in the database under ``key``, and re-seal under it every
    value a previous key sealed."""
    if key is None:
        raise ConfigError("encrypt-existing needs the data key: set SUNSHINE_DATA_KEY to the key "
                          f"file (`sunshine data-key generate --out FILE` makes one) ({pii.DOCS})")
    say = progress or (lambda _line: None)
    done = Sealed()
    tables = (*_TABLES, (t.steps, ("data",), _json("data")))
    for table, columns, seal in tables:
        done.rows[table.name] = _table(engine, key, table, columns, seal, batch, say)
    return done


@dataclass
class Rotated:
    sealed: Sealed
    flags_rekeyed: int = 0
    # applicant flags still named under a previous key: their case's certificate was erased
    # or their case is gone, so the new key's hash cannot be made
    flags_left: list[str] = field(default_factory=list)
    stale_left: int = 0  # values still sealed under a previous key (0 after a whole run)


def rotate(engine: Engine, key: pii.DataKey | None, *, batch: int = BATCH,
           progress: Callable[[str], None] | None = None) -> Rotated:
    """Bring every sealed value, state and flag to the current key (``sunshine data-key
    rotate``); afterwards the previous keys are needed no more, except for ``flags_left``."""
    if key is None or not key.previous:
        raise ConfigError("rotate needs the new key in SUNSHINE_DATA_KEY and the old one(s) in "
                          f"SUNSHINE_DATA_KEY_PREVIOUS (comma-separated key files) ({pii.DOCS})")
    done = Rotated(encrypt_existing(engine, key, batch=batch, progress=progress))
    done.flags_rekeyed, done.flags_left = rekey_flags(engine, key)
    done.stale_left = stale_values(engine, key)
    return done


def rekey_flags(engine: Engine, key: pii.DataKey) -> tuple[int, list[str]]:
    """Applicant flags name their applicant by a keyed hash: made again under the current key
    from the certificate of the case that raised the flag."""
    f, c = t.applicant_flags.c, t.cases.c
    rekeyed, left = 0, []
    with engine.begin() as conn:
        rows = conn.execute(sa.select(f.id, f.applicant, f.case_number, c.data)
                            .join_from(t.applicant_flags, t.cases, c.number == f.case_number,
                                       isouter=True)
                            .where(f.applicant.startswith(pii.LOOKUP_PREFIX))).all()
        for row in rows:
            cert = pii.reveal((row.data or {}).get("applicant_id"), key)
            applicant = f"{cert['type']}:{cert['number']}" if isinstance(cert, dict) else None
            if applicant is not None and row.applicant == key.lookup(applicant):
                continue
            if applicant is None or row.applicant not in key.lookups(applicant):
                left.append(f"flag #{row.id} ({row.case_number})")
                continue
            conn.execute(t.applicant_flags.update().where(f.id == row.id)
                         .values(applicant=key.lookup(applicant)))
            rekeyed += 1
    return rekeyed, left


def stale_values(engine: Engine, key: pii.DataKey) -> int:
    """How many rows still hold a value not sealed under ``key`` (sealed under a previous key,
    or plain): the rows a run would change."""
    n = 0
    tables = (*_TABLES, (t.steps, ("data",), _json("data")))
    with engine.connect() as conn:
        for table, columns, seal in tables:
            if table is not t.applicant_flags:
                rows = conn.execute(sa.select(*(table.c[col] for col in columns)))
                n += sum(1 for row in rows if seal(row, key) is not None)
    return n


def _table(engine: Engine, key: pii.DataKey, table: sa.Table, columns: tuple[str, ...],
           seal: Any, batch: int, say: Callable[[str], None]) -> int:
    pk = table.c.id
    last: Any = None
    count = 0
    while True:
        with engine.begin() as conn:
            query = sa.select(pk, *(table.c[c] for c in columns)).order_by(pk).limit(batch)
            if last is not None:
                query = query.where(pk > last)
            rows = conn.execute(query).all()
            if not rows:
                break
            last = rows[-1].id
            changes = [(row.id, seal(row, key)) for row in rows]
            for row_id, change in changes:
                if change:
                    conn.execute(table.update().where(pk == row_id).values(**change))
                    count += 1
        say(f"{table.name}: {count} row(s) sealed so far (up to id {last})")
    return count
