"""Sealing personal data written before the data key (``sunshine data-key encrypt-existing``).

Each table is read in batches by id; each batch is one transaction that seals the rows still
holding plain personal data (adapters/sql/pii.py) and skips the rest. A run stopped halfway is
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


def _case(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    state = bytes(row.workflow_state)
    change: dict[str, Any] = {}
    if pii.has_plain_personal(row.data):
        change["data"] = pii.protect(row.data, key)
    if not state.startswith(pii.BLOB_PREFIX):
        change["workflow_state"] = key.seal_bytes(state)
    return change or None


def _json(column: str) -> Callable[[Any, pii.DataKey], dict[str, Any] | None]:
    def seal(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
        value = getattr(row, column)
        return {column: pii.protect(value, key)} if pii.has_plain_personal(value) else None
    return seal


def _flag(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    if row.applicant.startswith(pii.LOOKUP_PREFIX):
        return None
    return {"applicant": key.lookup(row.applicant)}


def _notice(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    from adapters.sql.outbox import SEALED_RECIPIENT
    from engine.documents import AT_THE_WINDOW

    if SEALED_RECIPIENT in row.document or row.recipient == AT_THE_WINDOW:
        return None
    return {"recipient": pii.mask(row.recipient)[:200],
            "document": {**row.document, SEALED_RECIPIENT: key.seal(row.recipient)}}


def _event(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    change = _json("payload")(row, key) or {}
    if row.salt and not pii.is_sealed(row.salt):  # the salt of its personal values' commitments
        change["salt"] = key.seal(row.salt)
    return change or None


def _complaint(row: Any, key: pii.DataKey) -> dict[str, Any] | None:
    plain = row.contact and not pii.is_sealed(row.contact) and not is_erased(row.contact)
    return {"contact": key.seal(row.contact)} if plain else None


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
    """Seal every plain personal value in the database under ``key``."""
    if key is None:
        raise ConfigError("encrypt-existing needs the data key: set SUNSHINE_DATA_KEY to the key "
                          f"file (`sunshine data-key generate --out FILE` makes one) ({pii.DOCS})")
    say = progress or (lambda _line: None)
    done = Sealed()
    tables = (*_TABLES, (t.steps, ("data",), _json("data")))
    for table, columns, seal in tables:
        done.rows[table.name] = _table(engine, key, table, columns, seal, batch, say)
    return done


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
