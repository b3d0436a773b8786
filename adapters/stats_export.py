"""The statistics table as rows for a spreadsheet (CSV here, and the report's Excel sheet): the
columns county supervision reports use. Every cell that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, a tab or a carriage return first) is neutralised with a leading
apostrophe: a unit, person or power name comes from people and files we do not control."""

from __future__ import annotations

import csv
import io
from typing import Any

from engine.stats import Row, Table

HEADER = ("名次", "单位/事项/岗位/人员", "收件", "受理", "办结", "按时办结", "提前办结", "超期办结",
          "超时默许", "按时办结率", "提前办结率", "用时占承诺时限", "办理环节", "环节超时", "预警", "黄牌",
          "红牌", "违诺", "违诺处理（已决定）", "差评", "投诉属实")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as text, never runs: numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def row_cells(row: Row, *, case_figures: bool = True) -> list[Any]:
    decided_measures = sum(f.count for k, f in row.breaches_by_measure.items() if k != "pending")
    cases = ([row.n("received"), row.n("accepted"), row.n("decided"), row.n("on_time"),
              row.n("early"), row.n("overdue"), row.n("deemed"), percent(row.on_time_rate),
              percent(row.early_rate), percent(row.share_used)]
             if case_figures else [""] * 10)
    return [safe_cell(v) for v in (
        row.rank or "", row.label, *cases, row.n("steps_done"), row.n("steps_late"),
        row.n("warning"), row.n("yellow"), row.n("red"), row.breaches, decided_measures,
        row.n("bad_ratings"), row.n("complaints_upheld"))]


def table_rows(table: Table) -> list[list[Any]]:
    """Header, one row per group, then the total."""
    case_level = table.by in ("unit", "power")
    return [list(HEADER), *(row_cells(r, case_figures=case_level) for r in table.rows),
            row_cells(table.total)]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"统计期间 {table.start} 至 {table.end}"])
    writer.writerows(table_rows(table))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
