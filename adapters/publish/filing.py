"""The filing list (备案清单) of non-public powers, for the supervising office only.

A power that cannot be published is registered (备案) item by item with its reason and legal
basis; it runs like any other but never appears in public output. ``write_filing`` lists
exactly those powers — and nothing public — as HTML, CSV or Markdown, by the file's extension.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from engine.catalogue import Power
from engine.errors import ConfigError

COLUMNS = ("事项编码", "事项名称", "事项类别", "实施主体", "不公开理由", "法律依据",
           "备案编号", "备案机关", "备案日期")
FORMATS = (".html", ".htm", ".csv", ".md")
MISSING = "（未登记）"


def _power(item: Power | tuple[Power, Any]) -> Power:
    return item[0] if isinstance(item, tuple) else item


def filing_rows(powers: Sequence[Power | tuple[Power, Any]]) -> list[tuple[str, ...]]:
    """One row per non-public power, sorted by code; a missing filing field says so."""
    rows = []
    for p in sorted((_power(x) for x in powers), key=lambda p: (p.code, p.process_id)):
        if p.public:
            continue
        np = p.non_public
        rows.append((
            p.code, p.name, p.category, p.unit,
            (np.reason if np else "") or MISSING, (np.basis if np else "") or MISSING,
            (np.filing_no if np else "") or MISSING, (np.filed_with if np else "") or MISSING,
            (np.filed_on if np else "") or MISSING,
        ))
    return rows


def _csv(rows: list[tuple[str, ...]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def _markdown(rows: list[tuple[str, ...]]) -> str:
    def cell(v: str) -> str:
        return v.replace("|", "\\|").replace("\n", " ")

    lines = ["# 不予公开事项备案清单", "", f"共 {len(rows)} 项。内部资料，仅供监督机关使用，不得公开。", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _html(rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        "<title>不予公开事项备案清单</title>\n<style>body{font-family:\"WenQuanYi Zen Hei\","
        "sans-serif;margin:2rem;color:#263238}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #b0bec5;padding:.4rem .6rem;text-align:left;vertical-align:top}"
        "th{background:#eceff1}</style>\n</head>\n<body>\n<h1>不予公开事项备案清单</h1>\n"
        f"<p>共 {len(rows)} 项。内部资料，仅供监督机关使用，不得公开。</p>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n</body>\n</html>\n"
    )


def write_filing(powers: Sequence[Power | tuple[Power, Any]], out: str | Path) -> Path:
    """List the non-public powers with reason, basis, filing number, body and date.

    ``out`` ends in .html, .csv (UTF-8 with BOM, so spreadsheet programs read the Chinese) or
    .md. ``powers`` may be Power values or the (Power, BPMN) pairs the other publishers take.
    """
    path = Path(out)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ConfigError(f"cannot tell the filing list's format from '{path.name}': name it "
                          f"*.html, *.csv or *.md")
    rows = filing_rows(powers)
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".csv":
        path.write_text(_csv(rows), encoding="utf-8-sig", newline="")
    elif ext == ".md":
        path.write_text(_markdown(rows), encoding="utf-8")
    else:
        path.write_text(_html(rows), encoding="utf-8")
    return path


__all__ = ["write_filing", "filing_rows", "COLUMNS"]
