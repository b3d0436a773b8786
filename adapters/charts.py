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
