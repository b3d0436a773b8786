"""Copy a whole installation (the SQLite file) into an empty PostgreSQL database, verified.

``copy_database(source_url, target_url)`` runs in ONE transaction on the target: it creates the
schema with the project's Alembic migrations, refuses a target that already holds data, copies
every table of ``tables.metadata`` in dependency order (1,000 rows per INSERT, primary keys
kept), moves each id sequence past the copied ids, and then verifies before it commits:

- the row count of every table is the same on both sides;
- a checksum of every table (sha256 over its rows in primary-key order, values normalised:
  datetimes as UTC ISO text, JSON re-dumped with sorted keys, bytes as hex) is the same on
  both sides; the first row that differs is named;
- every case's audit chain, recomputed from the target's events (``engine.audit.verify_chain``),
  is intact and ends at the head kept on the case row (``data["audit_head"]``).

Any error or difference rolls the whole transaction back: the target is left as it was (a
fresh PostgreSQL database is left without tables). The source is read in one transaction too;
on SQLite that transaction is ``BEGIN IMMEDIATE`` (adapters/sql/uow.py), so nothing can write
the file while it is copied. Memory stays bounded: rows are streamed (``yield_per``) and
written a batch at a time, chains are checked a few hundred cases at a time.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby, zip_longest
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from adapters.sql import pii
from adapters.sql import tables as t
from adapters.sql.repositories import event_from_row
from adapters.sql.uow import make_engine
from engine.audit import verify_chain
from engine.errors import ConfigError, SunshineError
from engine.model import AuditEvent

BATCH = 1_000  # rows per INSERT (executemany) and per fetch from the source
CHAIN_BATCH = 200  # cases whose events are checked together
MAX_REPORTED = 10  # differences named in a failure message


class CopyRefused(ConfigError):
    """The copy cannot start: a bad or unreachable URL, a source that is not current, a
    target that already holds data. Nothing was written (exit code 2)."""


class CopyFailed(SunshineError):
    """The copy ran but failed, or did not verify; the target transaction was rolled back."""

    code = "copy_not_verified"  # exit 10, as `case show` on a broken audit chain


@dataclass
class CopyReport:
    source: str
    target: str
    tables: list[tuple[str, int]] = field(default_factory=list)  # (table, rows) in copy order
    cases: int = 0
    events: int = 0
    checksums: dict[str, str] = field(default_factory=dict)  # table → sha256 hex (both sides)
    seconds: float = 0.0


def tables_in_order() -> list[sa.Table]:
    """Every table of the schema, parents before children (alembic_version is not one)."""
    return [tb for tb in t.metadata.sorted_tables if tb.name != "alembic_version"]


def _label(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def copy_database(source_url: str, target_url: str, *, batch: int = BATCH,
                  progress: Callable[[str], None] | None = None,
                  data_key: pii.DataKey | None = None) -> CopyReport:
    """Copy the installation at ``source_url`` into the empty PostgreSQL at ``target_url``;
    verify it, then commit. Raises CopyRefused before anything is written, CopyFailed when
    the copy or its verification fails (rolled back)."""
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    source = make_engine(source_url)
    target = make_engine(_with_connect_timeout(target_url))
    for engine in (source, target):  # sealed personal data is copied as it is, opened to verify
        pii.attach(engine, data_key)
    shown = target.url
    if "connect_timeout" not in sa.engine.make_url(target_url).query:
        shown = shown.difference_update_query(["connect_timeout"])
    report = CopyReport(_label(source), shown.render_as_string(hide_password=True))
    try:
        _check_urls(source, target)
        _check_source(source)
        try:
            tgt = target.connect()
        except sa_exc.DBAPIError as err:
            raise CopyRefused(
                f"cannot connect to the target {report.target}: {_reason(err)} — check the host, "
                f"port, user and password, and that the database exists (`createdb NAME`)"
            ) from None
        with source.connect() as src, tgt:
            # SQLite: BEGIN IMMEDIATE (nobody writes the file while it is copied); PostgreSQL:
            # one snapshot for every table.
            if src.dialect.name == "postgresql":
                src = src.execution_options(isolation_level="REPEATABLE READ")
            with src.begin():
                tx = tgt.begin()
                try:
                    _refuse_data(tgt, report.target)
                    _migrate(tgt, report.target)
                    _lock(tgt)
                    say(f"copying {report.source} → {report.target}")
                    for table in tables_in_order():
                        rows = _copy_table(src, tgt, table, batch)
                        report.tables.append((table.name, rows))
                        say(f"  {table.name:<16} {rows:>9,} rows")
                    _reset_sequences(tgt)
                    say("verifying: row counts, checksums, audit chains …")
                    _verify_tables(src, tgt, report, batch)
                    report.cases, report.events = _verify_chains(src, tgt)
                    tx.commit()
                except BaseException:
                    tx.rollback()
                    raise
    except sa_exc.DBAPIError as err:
        raise CopyFailed(f"the copy failed: {_reason(err)}; nothing was written to the target "
                         f"{report.target} (rolled back)") from err
    finally:
        source.dispose()
        target.dispose()
    report.seconds = time.perf_counter() - started
    return report


# -- before anything is written ---------------------------------------------------------------


def _with_connect_timeout(url: str) -> str:
    """The target URL, checked, with a 10 s connect timeout unless it names one (a host that
    does not answer should not hang the command for minutes)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa_exc.ArgumentError:
        raise CopyRefused(f"--to {url!r} is not a database URL: give "
                          f"postgresql://USER:PASSWORD@HOST:5432/DBNAME") from None
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": "10"})
    return parsed.render_as_string(hide_password=False)


def _check_urls(source: Engine, target: Engine) -> None:
    if target.dialect.name != "postgresql":
        raise CopyRefused(f"--to {_label(target)} is not a PostgreSQL URL: give "
                          f"postgresql://USER:PASSWORD@HOST:5432/DBNAME (back up a SQLite file with "
                          f"`sqlite3 sunshine.db \".backup FILE\"` instead)")
    bare = [e.url.difference_update_query(["connect_timeout"]) for e in (source, target)]
    if bare[0] == bare[1]:
        raise CopyRefused(f"the source and the target are the same database ({_label(target)}): "
                          f"pass the installation with --db and the new database with --to")


def _check_source(source: Engine) -> None:
    from adapters.bootstrap import schema_problem

    if source.dialect.name == "sqlite":
        path = source.url.database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise CopyRefused(f"there is no SQLite database at {_label(source)} — pass the "
                              f"installation to copy with --db sqlite:///PATH "
                              f"(or SUNSHINE_DATABASE_URL)")
    problem = schema_problem(source)
    if problem:
        raise CopyRefused(f"the source cannot be copied: {problem}")
    with source.connect() as conn:
        unknown = sorted(set(sa.inspect(conn).get_table_names()) - {tb.name for tb in tables_in_order()}
                         - {"alembic_version"})
    if unknown:
        raise CopyRefused(f"the source {_label(source)} has table(s) this version of Sunshine does "
                          f"not know: {', '.join(unknown)} — they would not be copied; remove them "
                          f"or copy with the version that made them")


def _refuse_data(tgt: Connection, where: str) -> None:
    """Refuse a target that holds anything in a Sunshine table: the copy never merges."""
    inspector = sa.inspect(tgt)
    holding = [tb for tb in tables_in_order() if inspector.has_table(tb.name)
               and tgt.execute(sa.select(sa.exists().select_from(tb))).scalar()]
    if not holding:
        return
    cases = (tgt.execute(sa.select(sa.func.count()).select_from(t.cases)).scalar()
             if t.cases in holding else 0)
    what = f"{cases:,} case(s)" if cases else "no cases but other data"
    raise CopyRefused(
        f"the target {where} already holds data ({what}; tables: "
        f"{', '.join(tb.name for tb in holding)}) — `db copy` only fills an empty database and "
        f"never merges; nothing was written. Copy into a new, empty database "
        f"(`createdb sunshine_new`, then `--to` that), or empty this one first if what it holds "
        f"may go (back it up with `pg_dump -Fc`)"
    )


def _migrate(tgt: Connection, where: str) -> None:
    """The project's migrations, on the copy's own connection: inside its transaction."""
    from alembic import command
    from alembic.util import CommandError

    from adapters.bootstrap import alembic_config

    cfg = alembic_config(tgt.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = tgt
    try:
        command.upgrade(cfg, "head")
    except CommandError as err:
        raise CopyRefused(f"cannot create the Sunshine schema in {where}: {err}") from None


def _lock(tgt: Connection) -> None:
    """Others may read the target while it fills, but nobody writes it."""
    prep = tgt.dialect.identifier_preparer
    names = ", ".join(prep.format_table(tb) for tb in tables_in_order())
    tgt.exec_driver_sql(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


# -- the copy ---------------------------------------------------------------------------------


def _ordered(table: sa.Table, dialect: str) -> sa.Select[Any]:
    """All rows in primary-key order; text keys in byte order on both sides (SQLite's BINARY
    collation, PostgreSQL's "C"), so that the two sides list rows the same way."""
    keys = [c.collate("C") if dialect == "postgresql" and isinstance(c.type, sa.String) else c
            for c in table.primary_key.columns]
    return sa.select(table).order_by(*keys)


def _stream(conn: Connection, query: sa.Select[Any], batch: int) -> Iterator[Sequence[sa.Row[Any]]]:
    result = conn.execution_options(yield_per=batch).execute(query)
    try:
        yield from result.partitions(batch)
    finally:
        result.close()


def _copy_table(src: Connection, tgt: Connection, table: sa.Table, batch: int) -> int:
    copied = 0
    insert = table.insert()
    for rows in _stream(src, _ordered(table, src.dialect.name), batch):
        values = [dict(row._mapping) for row in rows]
        try:
            tgt.execute(insert, values)
        except (sa_exc.DBAPIError, sa_exc.StatementError) as err:
            first = _key(table, rows[0])
            raise CopyFailed(
                f"copying table {table.name} failed in the rows from {first} on "
                f"(rows {copied + 1}–{copied + len(values)}): {_reason(err)}; nothing was "
                f"written to the target (rolled back)"
            ) from None
        copied += len(values)
    return copied


def _reset_sequences(tgt: Connection) -> None:
    """New rows on the target get ids after the copied ones (the copy kept the ids)."""
    prep = tgt.dialect.identifier_preparer
    for table in tables_in_order():
        col = table.autoincrement_column
        if col is None:
            continue
        name, column = prep.format_table(table), prep.quote(col.name)
        seq = tgt.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                          {"t": name, "c": col.name}).scalar()
        if seq is None:
            raise CopyFailed(f"table {table.name}: column {col.name} has no sequence in the target; "
                             f"nothing was written to the target (rolled back)")
        tgt.execute(sa.text(f"SELECT setval(:seq, COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) "
                            f"FROM {name}"), {"seq": seq})


# -- verification -----------------------------------------------------------------------------


def _utc_iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _normaliser(col: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """How a column's values are written for the checksum: one form on every backend."""
    kind = col.type
    if isinstance(kind, sa.JSON):
        return _json
    if isinstance(kind, t.UTCDateTime | sa.DateTime):
        return _utc_iso
    if isinstance(kind, sa.Date):
        return date.isoformat
    if isinstance(kind, sa.LargeBinary):
        return lambda v: bytes(v).hex()
    return None


def _plain(table: sa.Table) -> Callable[[sa.Row[Any]], list[Any]]:
    """A row of ``select(table)`` (columns in table order) as its normalised values."""
    steps = [_normaliser(c) for c in table.columns]

    def plain(row: sa.Row[Any]) -> list[Any]:
        return [v if f is None or v is None else f(v) for f, v in zip(steps, row, strict=True)]

    return plain


def _line(plain: Callable[[sa.Row[Any]], list[Any]], row: sa.Row[Any] | None) -> bytes:
    if row is None:
        return b""
    return json.dumps(plain(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _key(table: sa.Table, row: sa.Row[Any]) -> str:
    return ", ".join(f"{c.name}={row._mapping[c.name]!r}" for c in table.primary_key.columns)


def _rows(conn: Connection, table: sa.Table, batch: int) -> Iterator[sa.Row[Any]]:
    for rows in _stream(conn, _ordered(table, conn.dialect.name), batch):
        yield from rows


def _verify_tables(src: Connection, tgt: Connection, report: CopyReport, batch: int) -> None:
    """Same row count and the same checksum per table; else name the first rows that differ."""
    problems: list[str] = []
    for table, copied in report.tables:
        tb = t.metadata.tables[table]
        count = sa.select(sa.func.count()).select_from(tb)
        n_src, n_tgt = src.execute(count).scalar(), tgt.execute(count).scalar()
        if not n_src == n_tgt == copied:
            problems.append(f"table {table}: {n_src} row(s) in the source, {copied} copied, "
                            f"{n_tgt} in the target")
            continue
        h_src, h_tgt = hashlib.sha256(), hashlib.sha256()
        plain = _plain(tb)
        first_difference = None
        for a, b in zip_longest(_rows(src, tb, batch), _rows(tgt, tb, batch)):
            la, lb = _line(plain, a), _line(plain, b)
            h_src.update(la)
            h_tgt.update(lb)
            if la != lb and first_difference is None:
                first_difference = _describe(tb, plain, a, b)
        if h_src.hexdigest() != h_tgt.hexdigest():
            problems.append(f"table {table}: checksum {h_src.hexdigest()[:12]}… in the source, "
                            f"{h_tgt.hexdigest()[:12]}… in the target; first difference: "
                            f"{first_difference}")
        report.checksums[table] = h_tgt.hexdigest()
    _fail_if(problems, "the copy does not match the source")


def _describe(table: sa.Table, plain: Callable[[sa.Row[Any]], list[Any]],
              a: sa.Row[Any] | None, b: sa.Row[Any] | None) -> str:
    if a is None or b is None:
        return (f"row {_key(table, a)} is only in the source" if a is not None
                else f"row {_key(table, b)} is only in the target")  # type: ignore[arg-type]
    if _key(table, a) != _key(table, b):
        return f"row {_key(table, a)} in the source where the target has row {_key(table, b)}"
    columns = [c.name for c, x, y in zip(table.columns, plain(a), plain(b), strict=True) if x != y]
    return f"row {_key(table, a)}, column(s) {', '.join(columns)}"


def _verify_chains(src: Connection, tgt: Connection) -> tuple[int, int]:
    """Every case's chain, recomputed from the target's events, is intact and ends at the
    head on its case row. Returns (cases, events)."""
    ce = t.audit_events.c
    n_cases = n_events = 0
    problems: list[str] = []
    last_id = 0
    while True:
        cases = tgt.execute(sa.select(t.cases.c.id, t.cases.c.number, t.cases.c.data)
                            .where(t.cases.c.id > last_id).order_by(t.cases.c.id)
                            .limit(CHAIN_BATCH)).all()
        if not cases:
            break
        last_id = cases[-1].id
        rows = tgt.execute(sa.select(t.audit_events).where(ce.case_id.between(cases[0].id, last_id))
                           .order_by(ce.case_id, ce.seq))
        key = pii.key_for(tgt)
        events = {cid: [event_from_row(r, key) for r in group]
                  for cid, group in groupby(rows, lambda r: r.case_id)}
        for case in cases:
            n_cases += 1
            chain = events.pop(case.id, [])
            n_events += len(chain)
            found = _chain_problems(case.data or {}, chain)
            if found:
                problems.append(f"case {case.number}: {'; '.join(found)}"
                                + _in_source(src, case.id, case.number, found))
        if events:  # events of no case in this range (the foreign key makes this impossible)
            problems.extend(f"case id {cid}: events without a case row" for cid in events)
    _fail_if(problems, "audit chains do not verify on the target")
    return n_cases, n_events


def _chain_problems(data: dict[str, Any], chain: list[AuditEvent]) -> list[str]:
    found = verify_chain(chain)
    head = data.get("audit_head")
    last = [chain[-1].seq, chain[-1].hash] if chain else None
    if head is None and last is not None:
        found.append(f"the case row keeps no chain head but there are {len(chain)} event(s)")
    elif head is not None and last != list(head):
        where = f"event {last[0]} ({last[1][:12]}…)" if last else "no event"
        found.append(f"the chain ends at {where} but the case row's head is event {head[0]} "
                     f"({str(head[1])[:12]}…)")
    return found


def _in_source(src: Connection, case_id: int, number: str, found: list[str]) -> str:
    """Whether the source has the same problem (then the copy is faithful, the data is not)."""
    ce = t.audit_events.c
    chain = [event_from_row(r, pii.key_for(src)) for r in src.execute(sa.select(t.audit_events).where(ce.case_id == case_id)
                                            .order_by(ce.seq))]
    data = src.execute(sa.select(t.cases.c.data).where(t.cases.c.id == case_id)).scalar() or {}
    if _chain_problems(data, chain) == found:
        return (f" (the source has the same problem, see `sunshine case show {number}` on it: the "
                f"copy does not carry a broken chain; investigate it first, docs/supervisor-guide.md)")
    return " (the source's chain is different: the copy changed it)"


def _fail_if(problems: list[str], what: str) -> None:
    if not problems:
        return
    shown = problems[:MAX_REPORTED]
    more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    raise CopyFailed(f"verification failed, {what}: {'; '.join(shown)}{more} — nothing was "
                     f"written to the target (rolled back)")


def _reason(err: BaseException) -> str:
    """The driver's own words, on one line."""
    orig = getattr(err, "orig", None) or err
    return " ".join(str(orig).split())
