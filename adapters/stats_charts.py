"""The statistics' two further pictures, for the web's statistics page and the signed report:
cards by unit (a stacked bar per unit: 预警, 黄牌, 红牌, 超法定时限) and working days used against
promised per power (paired bars). The items are read from a statistics table by unit and from
engine/services/time_used.py's entries, so that each picture shows the table's own figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.charts import paired_bar_chart, stacked_bar_chart
from engine.stats import CARD_KINDS, LABELS, Table

CARD_COLOURS = {"warning": "#1565c0", "yellow": "#f9a825", "red": "#c62828",
                "statutory": "#4a148c"}
CARDS_TITLE = "黄红牌和预警，按单位"
DAYS_TITLE = "平均用时与承诺时限，按事项（工作日）"


def card_items(table: Table, limit: int = 25) -> list[tuple[str, list[int]]]:
    """(unit, counts per card kind) for the units with any card, the most carded first."""
    rows = [(r.label, [r.n(k) for k in CARD_KINDS]) for r in table.rows if r.cards]
    rows.sort(key=lambda item: (-sum(item[1]), item[0]))
    return rows[:limit]


def day_items(entries: Sequence[Mapping[str, Any]], limit: int = 25
              ) -> list[tuple[str, float, float]]:
    """(power, promised working days, average working days used), as ranked."""
    return [(str(e["name"]), float(e["promised_limit"]), float(e["days_used"]))
            for e in entries[:limit]]


def cards_svg(table: Table) -> str:
    return stacked_bar_chart(card_items(table),
                             series=[(LABELS[k], CARD_COLOURS[k]) for k in CARD_KINDS],
                             title=CARDS_TITLE)


def days_svg(entries: Sequence[Mapping[str, Any]]) -> str:
    return paired_bar_chart(day_items(entries), title=DAYS_TITLE)


def stats_page_charts(env: Any, actor: Any, table: Table) -> dict[str, Any]:
    """The statistics page's two further charts for the table's period (by unit whatever the
    page's grouping), as markup safe to put in the page: every label is escaped."""
    from markupsafe import Markup

    from engine.services.stats import statistics
    from engine.services.time_used import time_by_power

    by_unit = table if table.by == "unit" else statistics(env, actor, table.start, table.end,
                                                          "unit")
    entries = time_by_power(env, actor, table.start, table.end)
    return {"cards_chart": Markup(cards_svg(by_unit)), "days_chart": Markup(days_svg(entries))}
