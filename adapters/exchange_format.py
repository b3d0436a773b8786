"""The provincial exchange file (`sunshine exchange export`): a batch of exchange records
(engine/exchange.py) as JSON — a header and the records, the shape docs/exchange.schema.json
describes — and as CSV, one row per record, for a spreadsheet (UTF-8 with a byte-order mark;
cells that a spreadsheet would run as a formula are neutralised with adapters/stats_export.py's
safe_cell). Both read back to the same records (``read_json``, ``read_csv``).

Files are written whole or not at all: each goes to a temporary file beside its target, and
only when every file is written are they renamed into place (``write_files``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any

from adapters.stats_export import FORMULA_START, safe_cell
from engine.exchange import FIELDS, ExchangeRecord
from engine.services.exchange import ExchangeBatch

FORMAT = "sunshine-exchange/1"
SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "exchange.schema.json"
# fields that may be empty (null in JSON, an empty cell in CSV); integers and true/false
NULLABLE = frozenset({"accepted_at", "promised_limit_days", "statutory_limit_days",
                      "promised_deadline", "statutory_deadline", "result"})
INTEGERS = frozenset({"status_code", "promised_limit_days", "statutory_limit_days"})
BOOLEANS = frozenset({"deemed"})


def to_document(batch: ExchangeBatch, tz: tzinfo) -> dict[str, Any]:
    """The JSON document: what was exported (the span, when, how many, the digest) and the
    records. Who exported it stays in the installation's own log (exchange_exports)."""
    e = batch.export
    local = lambda v: v.astimezone(tz).isoformat(timespec="seconds") if v else None  # noqa: E731
    return {"format": FORMAT, "mode": e.mode, "since": local(e.since), "until": local(e.until),
            "exported_at": local(e.exported_at), "count": len(batch.records),
            "sha256": e.sha256, "records": [r.to_dict() for r in batch.records]}


def to_json(batch: ExchangeBatch, tz: tzinfo) -> bytes:
    return (json.dumps(to_document(batch, tz), ensure_ascii=False, indent=1) + "\n").encode()


def read_json(data: bytes) -> tuple[dict[str, Any], list[ExchangeRecord]]:
    """The header and the records of an exchange JSON file."""
    doc = json.loads(data.decode("utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"not an exchange file of format {FORMAT}: {doc.get('format')!r}")
    records = [ExchangeRecord.from_dict(r) for r in doc["records"]]
    header = {k: v for k, v in doc.items() if k != "records"}
    return header, records


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name in BOOLEANS:
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith("'"):
        return "'" + value  # so that reading back strips exactly the apostrophe added here
    return safe_cell(value)


def to_csv(batch: ExchangeBatch) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for record in batch.records:
        row = record.to_dict()
        writer.writerow([_cell(name, row[name]) for name in FIELDS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _value(name: str, text: str) -> Any:
    if text == "" and name in NULLABLE:
        return None
    if name in INTEGERS:
        return int(text)
    if name in BOOLEANS:
        return {"true": True, "false": False}[text]
    if text.startswith("'") and (text[1:].startswith(FORMULA_START) or text[1:].startswith("'")):
        return text[1:]
    return text


def read_csv(data: bytes) -> list[ExchangeRecord]:
    """The records of an exchange CSV file, typed as in the JSON."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if not rows or tuple(rows[0]) != FIELDS:
        raise ValueError(f"the first row must name the fields: {', '.join(FIELDS)}")
    return [ExchangeRecord.from_dict({n: _value(n, v) for n, v in zip(FIELDS, r, strict=True)})
            for r in rows[1:]]


def check_targets(paths: Sequence[str | Path]) -> list[Path]:
    """The output files, checked before anything is exported: their folders exist, no two are
    the same, none is a folder."""
    from engine.errors import InvalidAction

    out = [Path(p) for p in paths]
    if len({p.resolve() for p in out}) != len(out):
        raise InvalidAction("JSON 和 CSV 不能写到同一个文件 (the JSON and CSV files must differ)",
                            field="output")
    for p in out:
        if p.is_dir():
            raise InvalidAction(f"{p} 是一个文件夹，请给出文件名 (a folder; give a file name)",
                                field="output")
        if not p.parent.is_dir():
            raise InvalidAction(f"文件夹 {p.parent} 不存在，请先建立它 (the folder does not exist)",
                                field="output")
    return out


def write_files(contents: Mapping[Path, bytes]) -> None:
    """Write every file, or none: each to a temporary file beside it, then all renamed."""
    written: list[tuple[str, Path]] = []
    try:
        for path, data in contents.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
            written.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        for tmp, _ in written:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in written:
        os.replace(tmp, path)
