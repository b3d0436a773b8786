"""Small server-rendered SVG charts for supervisors (no JavaScript, nothing fetched): a bar per
unit (or power, post, person) and a line over months. Every label is escaped; values are
numbers the code computed. Used by the web's statistics page and by the PDF report's pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "'WenQuanYi Zen Hei','Noto Sans CJK SC','Microsoft YaHei',sans-serif"


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start",
          fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}">{escape(text)}</text>')


def bar_chart(items: Sequence[tuple[str, float | None, str]], *, title: str,
              width: int = 640) -> str:
    """Horizontal bars of shares (0..1): (label, value or None, the note after the bar)."""
    label_w, bar_h, gap = 210, 18, 8
    height = 34 + len(items) * (bar_h + gap) + 10
    plot = width - label_w - 130
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" font-family="{FONT}">',
             f"<title>{escape(title)}</title>", _text(0, 16, title, size=14)]
    for i, (label, value, note) in enumerate(items):
        y = 30 + i * (bar_h + gap)
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(_text(label_w - 8, y + 13, short, anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y}" width="{plot}" height="{bar_h}" fill="#eef1f4"/>')
        if value is not None:
            w = max(0.0, min(1.0, value)) * plot
            colour = "#2e7d32" if value >= 0.9 else "#f9a825" if value >= 0.7 else "#c62828"
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                         f'fill="{colour}"><title>{escape(label)}: {escape(note)}</title></rect>')
        parts.append(_text(label_w + plot + 6, y + 13, note))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(points: Sequence[tuple[str, float | None]], *, title: str,
               width: int = 640, height: int = 220) -> str:
    """A share (0..1) over periods (months): a gap where a period has no value."""
    left, right, top, bottom = 44, 12, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(points) - 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" font-family="{FONT}">',
             f"<title>{escape(title)}</title>", _text(0, 16, title, size=14)]
    for share in (0, 0.5, 1):
        y = top + plot_h * (1 - share)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ccd" stroke-width="1"/>')
        parts.append(_text(left - 6, y + 4, f"{share:.0%}", size=11, anchor="end", fill="#555"))
    path: list[str] = []
    for i, (label, value) in enumerate(points):
        x = left + i * step
        parts.append(_text(x, height - 12, label, size=11, anchor="middle", fill="#555"))
        if value is None:
            if path:
                parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#1565c0" '
                             f'stroke-width="2"/>')
            path = []
            continue
        y = top + plot_h * (1 - max(0.0, min(1.0, value)))
        path.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1565c0">'
                     f"<title>{escape(label)}: {value:.1%}</title></circle>")
    if path:
        parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#1565c0" '
                     f'stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(items: Sequence[tuple[str, Sequence[int]]], *,
                      series: Sequence[tuple[str, str]], title: str, width: int = 640) -> str:
    """Horizontal bars of counts, each split into ``series`` (label, colour) in order, scaled to
    the largest total (e.g. cards by unit: 预警, 黄牌, 红牌, 超法定时限)."""
    label_w, bar_h, gap = 210, 18, 8
    height = 56 + max(1, len(items)) * (bar_h + gap) + 10
    plot = width - label_w - 60
    most = max((sum(counts) for _, counts in items), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" font-family="{FONT}">',
             f"<title>{escape(title)}</title>", _text(0, 16, title, size=14)]
    x = 0.0
    for label, colour in series:  # the legend
        parts.append(f'<rect x="{x:.1f}" y="26" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, 36, label, size=11))
        x += 28 + 13 * len(label)
    for i, (label, counts) in enumerate(items):
        y = 52 + i * (bar_h + gap)
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(_text(label_w - 8, y + 13, short, anchor="end"))
        left = float(label_w)
        for (name, colour), n in zip(series, counts, strict=True):
            if not n:
                continue
            w = n / most * plot
            parts.append(f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                         f'fill="{colour}"><title>{escape(label)}: {escape(name)} {n}</title></rect>')
            left += w
        parts.append(_text(left + 6, y + 13, str(sum(counts))))
    if not items:
        parts.append(_text(label_w, 65, "（无 none）", fill="#555"))
    parts.append("</svg>")
    return "".join(parts)


def paired_bar_chart(items: Sequence[tuple[str, float, float]], *, title: str,
                     names: tuple[str, str] = ("承诺时限", "平均用时"), unit: str = "个工作日",
                     width: int = 640) -> str:
    """Two bars per row on one scale: a limit (grey) and what was used (green when at most
    70 % of it, amber up to 100 %, red beyond) — e.g. working days promised and used per power."""
    label_w, bar_h, gap = 210, 11, 10
    height = 56 + max(1, len(items)) * (2 * bar_h + gap) + 10
    plot = width - label_w - 80
    most = max((max(limit, used) for _, limit, used in items), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" font-family="{FONT}">',
             f"<title>{escape(title)}</title>", _text(0, 16, title, size=14),
             '<rect x="0" y="26" width="12" height="12" fill="#b0b8c1"/>',
             _text(16, 36, names[0], size=11),
             '<rect x="110" y="26" width="12" height="12" fill="#2e7d32"/>',
             _text(126, 36, f"{names[1]}（{unit}）", size=11)]
    for i, (label, limit, used) in enumerate(items):
        y = 52 + i * (2 * bar_h + gap)
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(_text(label_w - 8, y + bar_h + 4, short, anchor="end"))
        share = used / limit if limit else 0.0
        colour = "#2e7d32" if share <= 0.7 else "#f9a825" if share <= 1 else "#c62828"
        for row, (value, fill, name) in enumerate(((limit, "#b0b8c1", names[0]),
                                                   (used, colour, names[1]))):
            top = y + row * bar_h
            w = max(0.0, value) / most * plot
            parts.append(f'<rect x="{label_w}" y="{top}" width="{w:.1f}" height="{bar_h - 1}" '
                         f'fill="{fill}"><title>{escape(label)}: {escape(name)} {value:g} '
                         f'{escape(unit)}</title></rect>')
            parts.append(_text(label_w + w + 5, top + bar_h - 2, f"{value:g}", size=10,
                               fill="#333"))
    if not items:
        parts.append(_text(label_w, 65, "（无 none）", fill="#555"))
    parts.append("</svg>")
    return "".join(parts)
