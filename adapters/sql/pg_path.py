"""PostgreSQL: a case step in two round trips, one to read and one to write.

Each statement to PostgreSQL is a round trip (≈ 0.3–0.6 ms here), so the case repository talks
to it differently from SQLite (where a statement is a function call):

* **One read.** A case comes back in one statement: its row, and its steps, pending due rows,
  stops, extensions, cards and breaches aggregated as JSON (``json_agg``), found by number, by
  id, or by the id of one of its steps. When it is the unit of work's first statement it runs
  outside the transaction (no BEGIN round trip): one statement is one consistent snapshot, and
  the version check in the write guards against anything that changed since.
* **One write.** ``save`` only plans the writes; the unit of work's ``commit`` sends BEGIN, them
  and the COMMIT as one pipeline. The optimistic version check is inside the first write: an UPDATE of
  the case row that must touch exactly one row, or the statement divides by zero, which aborts
  the transaction, so the COMMIT that follows becomes a ROLLBACK and nothing is written. That
  error, and a unique-key violation, become ``Conflict``. New rows' ids come back from their
  INSERTs and are set on the records after the COMMIT.

The stored formats are exactly those of adapters/sql/repositories.py; only the way they travel
differs. The sweep, which claims due rows with ``FOR UPDATE SKIP LOCKED``, keeps the ordinary
path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from adapters.sql import tables as t

_JSON_COLUMNS = {(table.name, col.name) for table in t.metadata.sorted_tables
                 for col in table.columns if isinstance(col.type, sa.JSON)}
_PARTS = (("steps", t.steps, "s.ready_at, s.id", ""),
          ("timers", t.timers, "s.id", " AND s.status IN ('pending', 'paused', 'failed')"),
          ("clock_stops", t.clock_stops, "s.id", ""),
          ("extensions", t.extensions, "s.id", ""),
          ("cards", t.cards, "s.id", ""),
          ("breaches", t.breaches, "s.id", ""))


def _aggregate(name: str, order: str, extra: str) -> str:
    return (f"(SELECT coalesce(json_agg(row_to_json(s) ORDER BY {order}), '[]'::json) "
            f"FROM {name} s WHERE s.case_id = c.id{extra}) AS _{name}")


_SELECT = ("SELECT c.*, " + ", ".join(_aggregate(n, o, e) for n, _, o, e in _PARTS)
           + " FROM cases c WHERE ")
LOAD_BY = {
    "number": _SELECT + "c.number = %(key)s",
    "id": _SELECT + "c.id = %(key)s",
    "step": _SELECT + "c.id = (SELECT case_id FROM steps WHERE id = %(key)s)",
}


def _converters(table: sa.Table) -> dict[str, Callable[[Any], Any]]:
    """How a column's value comes back from row_to_json: timestamps and dates as ISO text."""
    out: dict[str, Callable[[Any], Any]] = {}
    for col in table.columns:
        if isinstance(col.type, t.UTCDateTime):
            out[col.name] = lambda v: None if v is None else (
                dt.datetime.fromisoformat(v).astimezone(dt.UTC))
        elif isinstance(col.type, sa.Date):
            out[col.name] = lambda v: None if v is None else dt.date.fromisoformat(v)
    return out


_CONVERT = {name: _converters(table) for name, table, _, _ in _PARTS}


def load_row(conn: sa.Connection, by: str, key: Any, *, lock: bool = False) -> dict[str, Any] | None:
    """The case row as a mapping, with ``_steps``, ``_timers`` … as lists of row mappings.
    ``lock``: the case row stays locked to the end of the transaction (the sweep's firing)."""
    from psycopg.pq import TransactionStatus

    raw = conn.connection.driver_connection
    # First statement of the unit of work: read outside a transaction (no BEGIN round trip).
    # One statement is one consistent snapshot; the write's version check guards the rest.
    idle = raw.info.transaction_status == TransactionStatus.IDLE and not lock
    if idle:
        raw.autocommit = True
    try:
        with raw.cursor() as cur:
            cur.execute(LOAD_BY[by] + (" FOR UPDATE OF c" if lock else ""), {"key": key})
            found = cur.fetchone()
            names = [d.name for d in cur.description] if found is not None else []
    finally:
        if idle:
            raw.autocommit = False
    if found is None:
        return None
    row = dict(zip(names, found, strict=True))
    for name, _, _, _ in _PARTS:
        convert = _CONVERT[name]
        parts = []
        for item in row.pop(f"_{name}"):
            for col, fn in convert.items():
                item[col] = fn(item[col])
            parts.append(SimpleNamespace(_mapping=item))
        row[f"_{name}"] = parts
    row["workflow_state"] = bytes(row["workflow_state"])
    for col in ("received_at", "accepted_at", "promised_due", "statutory_due",
                "suspended_since", "closed_at"):
        if row[col] is not None:
            row[col] = row[col].astimezone(dt.UTC)
    return row


# -- writes -----------------------------------------------------------------------------------


def _json(table: str, values: dict[str, Any]) -> dict[str, Any]:
    from psycopg.types.json import Jsonb

    return {k: (Jsonb(v) if (table, k) in _JSON_COLUMNS and v is not None else v)
            for k, v in values.items()}


def _insert_sql(table: sa.Table, columns: list[str], returning: bool) -> str:
    cols = ", ".join(columns)
    params = ", ".join(f"%({c})s" for c in columns)
    return (f"INSERT INTO {table.name} ({cols}) VALUES ({params})"
            + (" RETURNING id" if returning else ""))


def _update_sql(table: sa.Table, columns: list[str]) -> str:
    sets = ", ".join(f"{c} = %({c})s" for c in columns)
    return f"UPDATE {table.name} SET {sets} WHERE id = %(_id)s"


@dataclass
class WritePlan:
    """The writes of one ``save``, sent with the COMMIT as one pipeline."""

    case_number: str = ""
    statements: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    returning: list[tuple[str, dict[str, Any], Any]] = field(default_factory=list)  # set id on
    after: list[Callable[[], None]] = field(default_factory=list)

    def execute(self, table: sa.Table, values: dict[str, Any]) -> None:
        self.many(table, [values])

    def many(self, table: sa.Table, rows: list[dict[str, Any]], *, update: bool = False) -> None:
        if not rows:
            return
        columns = [c for c in rows[0] if c != "_id"]
        sql = _update_sql(table, columns) if update else _insert_sql(table, columns, False)
        self.statements.append((sql, [_json(table.name, r) for r in rows]))

    def delete(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.statements.append((f"DELETE FROM {table.name} WHERE id = %(_id)s", rows))

    def insert_returning(self, table: sa.Table, values: dict[str, Any], record: Any) -> None:
        sql = _insert_sql(table, list(values), True)
        self.returning.append((sql, _json(table.name, values), record))

    def check_version(self, values: dict[str, Any]) -> None:
        columns = [c for c in values if c not in ("_id", "_version")]
        sets = ", ".join(f"{c} = %({c})s" for c in columns)
        sql = (f"WITH u AS (UPDATE cases SET {sets} WHERE id = %(_id)s AND version = "
               f"%(_version)s RETURNING 1) SELECT 1 / (SELECT count(*) FROM u)::int")
        self.statements.insert(0, (sql, [_json("cases", values)]))


def run_plans(conn: sa.Connection, plans: list[WritePlan], *, commit: bool) -> None:
    """Send every planned write (and the COMMIT) in one pipeline; raise the first error."""
    raw = conn.connection.driver_connection
    pending: list[tuple[Any, Any]] = []
    with raw.pipeline():
        cur = raw.cursor()
        for plan in plans:
            for sql, rows in plan.statements:
                if len(rows) == 1:
                    cur.execute(sql, rows[0])
                else:
                    cur.executemany(sql, rows)
            for sql, values, record in plan.returning:
                rc = raw.cursor()
                rc.execute(sql, values)
                pending.append((rc, record))
        if commit:
            raw.execute("COMMIT")
    for rc, record in pending:
        record.id = rc.fetchone()[0]
    for plan in plans:
        for fn in plan.after:
            fn()
