"""The periodic supervision report, drawn from a signed report's archived figures: an A4
landscape PDF (reportlab, a CJK font) and an Excel workbook (openpyxl) with the columns county
supervision reports use. Both are made from the same rows (adapters/stats_export.py), so the
PDF and the spreadsheet always show the same numbers; every text cell is neutralised against
formula injection in the workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from adapters.stats_export import HEADER, percent, table_rows
from engine.model import BREACH_LABELS
from engine.stats import LABELS, SignedReport

MEASURE_LABELS = {"none": "不予追究", "pending": "待决定"}


def title_of(report: SignedReport) -> str:
    import calendar

    start, end = report.start, report.end
    last = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and end == start.replace(day=last):
        return f"{start.year} 年 {start.month} 月电子监察报告"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year} 年度电子监察报告"
    return f"{start} 至 {end} 电子监察报告"


def write_pdf(report: SignedReport, out: str | Path, *, signer: str, local_time: str,
              font_path: str | None = None) -> Path:
    """The report as a PDF: summary, the unit table (ranked), a bar per unit's on-time rate,
    breaches by kind and measure, and the sign-off with the figures' digest."""
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from adapters.publish.card import register_cjk_font

    font = register_cjk_font(font_path)
    table = report.table
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11)
    cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10)
    t = table.total
    story: list[Any] = [
        Paragraph(escape(title_of(report)), h1),
        Paragraph(escape(f"统计期间 {report.start} 至 {report.end}（含，按本地日期）· 第 {report.id} 号报告"),
                  base),
        Spacer(1, 3 * mm),
        Paragraph(escape(
            f"收件 {t.n('received')} 件，受理 {t.n('accepted')} 件，办结 {t.n('decided')} 件，其中按时办结 "
            f"{t.n('on_time')} 件（按时办结率 {percent(t.on_time_rate) or '—'}），提前办结 {t.n('early')} 件"
            f"（提前办结率 {percent(t.early_rate) or '—'}），超期办结 {t.n('overdue')} 件，超时默许 "
            f"{t.n('deemed')} 件；办结件平均用去承诺时限的 {percent(t.share_used) or '—'}。期间发出预警 "
            f"{t.n('warning')} 次、黄牌 {t.n('yellow')} 张、红牌 {t.n('red')} 张，记录违诺 {t.breaches} 起。"),
            base),
        Paragraph("一、各单位办件情况（按按时办结率排名）", h2),
    ]
    rows = table_rows(table)
    body = [[Paragraph(escape(str(c)), cell) for c in rows[0]]]
    body += [[Paragraph(escape(str(c)), cell) for c in r] for r in rows[1:]]
    widths = ([10 * mm, 36 * mm] + [11 * mm] * 7 + [14 * mm] * 3 + [11 * mm] * 9)[:len(HEADER)]
    grid = Table(body, colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f7f7f7")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [grid, Paragraph("二、按时办结率", h2)]
    rated = [r for r in table.rows if r.on_time_rate is not None]
    bar_w, label_w, bar_h = 150 * mm, 60 * mm, 5 * mm
    chart = Drawing(label_w + bar_w + 30 * mm, max(1, len(rated)) * (bar_h + 2 * mm))
    for i, r in enumerate(reversed(rated)):
        y = i * (bar_h + 2 * mm)
        rate = r.on_time_rate or 0.0
        colour = "#2e7d32" if rate >= 0.9 else "#f9a825" if rate >= 0.7 else "#c62828"
        chart.add(String(label_w - 2 * mm, y + 1.2 * mm, r.label[:20], fontName=font,
                         fontSize=8, textAnchor="end"))
        chart.add(Rect(label_w, y, bar_w, bar_h, fillColor=colors.HexColor("#eef1f4"),
                       strokeColor=None))
        chart.add(Rect(label_w, y, bar_w * rate, bar_h, fillColor=colors.HexColor(colour),
                       strokeColor=None))
        chart.add(String(label_w + bar_w + 2 * mm, y + 1.2 * mm,
                         f"{percent(rate)}（{r.n('on_time')}/{r.n('decided')}）", fontName=font,
                         fontSize=8))
    story += [chart, Paragraph("三、黄红牌和预警（按单位）", h2),
              _cards_drawing(table, font)]
    entries = report.figures.get("time_by_power")
    if entries is not None:  # archived per power (engine/services/time_used.py)
        story += [Paragraph("四、平均用时与承诺时限（按事项，工作日）", h2),
                  _days_drawing(entries, font)]
    else:
        story.append(Paragraph("四、用时占承诺时限（按单位）", h2))
  # the archive holds units only: each unit's average share of its promised time
        story += [_days_drawing([{"name": r.label, "promised_limit": 100,
                                  "days_used": round(r.share_used * 100, 1)}
                                 for r in table.rows if r.share_used is not None], font,
                                names=("承诺时限（100%）", "平均用时（%）")),
                  Paragraph("按单位：已办结承诺件平均用去承诺时限的百分比（扣除停止计时）。", small)]
    story += [Paragraph("五、违诺记录：按类型和处理", h2)]
    kinds = "；".join(f"{BREACH_LABELS.get(k, k)} {f.count} 起" for k, f in
                     t.breaches_by_kind.items()) or "无"
    measures = "；".join(f"{MEASURE_LABELS.get(k, k)} {f.count} 起" for k, f in
                        t.breaches_by_measure.items()) or "无"
    story += [Paragraph(escape(f"按类型：{kinds}。"), base),
              Paragraph(escape(f"按处理：{measures}。"), base),
              Spacer(1, 6 * mm),
              Paragraph(escape(f"签发：{signer}　　签发时间：{local_time}"), base),
              Paragraph(escape(
                  f"口径：{'、'.join(LABELS[k] for k in ('received', 'accepted', 'decided'))}等按期间内的本地日期计；"
                  "办结为作出决定（准予、不予、办结）；按时为办结日不晚于承诺办结日期且非超时默许。"
                  f"本报告数字存档于签发时，SHA-256 {report.sha256}；重印：`sunshine report --id "
                  f"{report.id} -o FILE.pdf`，数字不变。"), small)]
    path = Path(out)
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=title_of(report), author="阳光审批")
    doc.build(story)
    return path


def _cards_drawing(table: Any, font: str) -> Any:
    """Cards by unit as stacked bars (the web's chart, adapters/stats_charts.py, in ReportLab)."""
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    from adapters.stats_charts import CARD_COLOURS, card_items
    from engine.stats import CARD_KINDS

    items = card_items(table)
    label_w, bar_w, bar_h = 60 * mm, 150 * mm, 5 * mm
    most = max((sum(c) for _, c in items), default=0) or 1
    drawing = Drawing(label_w + bar_w + 30 * mm, (max(1, len(items)) + 1) * (bar_h + 2 * mm))
    top = len(items) * (bar_h + 2 * mm)
    x = label_w
    for kind in CARD_KINDS:  # the legend, above the bars
        drawing.add(Rect(x, top + 1 * mm, 3 * mm, 3 * mm, strokeColor=None,
                         fillColor=colors.HexColor(CARD_COLOURS[kind])))
        drawing.add(String(x + 4 * mm, top + 1.4 * mm, LABELS[kind], fontName=font, fontSize=8))
        x += 28 * mm
    if not items:
        drawing.add(String(label_w, 1.2 * mm, "本期没有预警和黄红牌", fontName=font, fontSize=8))
    for i, (label, counts) in enumerate(reversed(items)):
        y = i * (bar_h + 2 * mm)
        drawing.add(String(label_w - 2 * mm, y + 1.2 * mm, label[:20], fontName=font,
                           fontSize=8, textAnchor="end"))
        left = label_w
        for kind, n in zip(CARD_KINDS, counts, strict=True):
            w = bar_w * n / most
            if n:
                drawing.add(Rect(left, y, w, bar_h, strokeColor=None,
                                 fillColor=colors.HexColor(CARD_COLOURS[kind])))
            left += w
        drawing.add(String(left + 2 * mm, y + 1.2 * mm, "，".join(
            f"{LABELS[k]} {n}" for k, n in zip(CARD_KINDS, counts, strict=True) if n),
            fontName=font, fontSize=8))
    return drawing


def _days_drawing(entries: Any, font: str,
                  names: tuple[str, str] = ("承诺时限", "平均用时")) -> Any:
    """Working days used against promised per power, paired bars (as on the web)."""
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    from adapters.stats_charts import day_items

    items = day_items(entries)
    label_w, bar_w, bar_h = 60 * mm, 150 * mm, 3.2 * mm
    row = 2 * bar_h + 2.5 * mm
    most = max((max(limit, used) for _, limit, used in items), default=0) or 1
    drawing = Drawing(label_w + bar_w + 30 * mm, (max(1, len(items)) + 1) * row)
    top = len(items) * row
    for i, (name, fill) in enumerate(((names[0], "#b0b8c1"), (names[1], "#2e7d32"))):
        drawing.add(Rect(label_w + i * 35 * mm, top + 1 * mm, 3 * mm, 3 * mm, strokeColor=None,
                         fillColor=colors.HexColor(fill)))
        drawing.add(String(label_w + i * 35 * mm + 4 * mm, top + 1.4 * mm, name, fontName=font,
                           fontSize=8))
    if not items:
        drawing.add(String(label_w, 1.2 * mm, "本期没有办结的承诺件", fontName=font,
                           fontSize=8))
    for i, (label, limit, used) in enumerate(reversed(items)):
        y = i * row
        share = used / limit if limit else 0.0
        colour = "#2e7d32" if share <= 0.7 else "#f9a825" if share <= 1 else "#c62828"
        drawing.add(String(label_w - 2 * mm, y + bar_h - 1 * mm, label[:20], fontName=font,
                           fontSize=8, textAnchor="end"))
        for j, (value, fill) in enumerate(((limit, "#b0b8c1"), (used, colour))):
            bottom = y + (1 - j) * bar_h
            w = bar_w * max(0.0, value) / most
            drawing.add(Rect(label_w, bottom, w, bar_h - 0.4 * mm, strokeColor=None,
                             fillColor=colors.HexColor(fill)))
            drawing.add(String(label_w + w + 1.5 * mm, bottom + 0.6 * mm, f"{value:g}",
                               fontName=font, fontSize=7))
    return drawing


def write_xlsx(report: SignedReport, out: str | Path, *, signer: str, local_time: str) -> Path:
    """The same rows as the PDF, as a workbook: 各单位 (the table), 违诺 (by kind and measure)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from adapters.stats_export import safe_cell

    table = report.table
    book = Workbook()
    sheet = book.active
    sheet.title = "各单位"
    sheet.append([safe_cell(title_of(report))])
    sheet.append([f"统计期间 {report.start} 至 {report.end}", f"签发 {signer} {local_time}",
                  f"SHA-256 {report.sha256}"])
    for row in table_rows(table):
        sheet.append(row)
    for c in sheet[3]:
        c.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 34
    breaches = book.create_sheet("违诺")
    breaches.append(["类型", "起数", "办件"])
    for kind, f in table.total.breaches_by_kind.items():
        breaches.append([BREACH_LABELS.get(kind, kind), f.count, " ".join(f.cases)])
    breaches.append([])
    breaches.append(["处理", "起数", "办件"])
    for measure, f in table.total.breaches_by_measure.items():
        breaches.append([MEASURE_LABELS.get(measure, measure), f.count, " ".join(f.cases)])
    path = Path(out)
    book.save(str(path))
    return path
