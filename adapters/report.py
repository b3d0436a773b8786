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
    widths = ([10 * mm, 40 * mm] + [12 * mm] * 7 + [15 * mm] * 3 + [12 * mm] * 7)[:len(HEADER)]
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
    story += [chart, Paragraph("三、违诺记录：按类型和处理", h2)]
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
