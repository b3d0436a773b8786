"""``sunshine publish all``: every public power's flowchart (SVG + PNG), guide page and card.

One pass over the powers, one graphviz run per picture, so the time grows with the number of
powers; ``progress(i, n, code)`` is called after each power for the CLI's progress bar.

A power whose flowchart cannot be drawn is exported without it (its page and card say why) and
listed in ``ExportResult.undrawn``; the export goes on with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.flowchart import FlowchartError, RenderOptions, render_bytes
from adapters.publish.card import write_card
from adapters.publish.common import Entry, diagram_for, public_only, slugs, tree_of
from adapters.publish.site import SITE_TITLE, Downloads, render_index, render_power_page

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ExportResult:
    """What ``export_all`` wrote."""

    index: Path
    count: int  # public powers exported
    files: tuple[Path, ...]
    undrawn: tuple[tuple[str, str], ...] = ()  # (power code, why) for charts not drawn


def export_all(powers: Sequence[Entry], outdir: str | Path, progress: Progress | None = None,
               *, options: RenderOptions | None = None, title: str = SITE_TITLE,
               font_path: str | None = None) -> ExportResult:
    """Write the site, plus ``flowcharts/CODE.svg|png`` and ``cards/CODE.pdf``, for every
    public power; non-public powers are skipped before anything is drawn.

    Layout: ``index.html``, ``powers/CODE.html``, ``flowcharts/CODE.svg``,
    ``flowcharts/CODE.png``, ``cards/CODE.pdf``.
    """
    out = Path(outdir)
    for sub in ("powers", "flowcharts", "cards"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    entries = public_only(powers)
    names = slugs([p for p, _ in entries])
    files: list[Path] = []
    undrawn: dict[str, str] = {}  # slug → why
    undrawn_codes: list[tuple[str, str]] = []
    n = len(entries)
    for i, ((power, source), slug) in enumerate(zip(entries, names, strict=True), start=1):
        tree = tree_of(source, power.code)
        diagram = diagram_for(power, tree)
        chart: bytes | str
        try:
            chart = render_bytes(diagram, "svg", options)
            png = render_bytes(diagram, "png", options)
        except FlowchartError as err:
            chart = undrawn[slug] = err.public_reason
            undrawn_codes.append((power.code, str(err)))
        else:
            svg_path = out / "flowcharts" / f"{slug}.svg"
            png_path = out / "flowcharts" / f"{slug}.png"
            svg_path.write_bytes(chart)
            png_path.write_bytes(png)
            files += [svg_path, png_path]
        card = write_card(power, tree, out / "cards" / f"{slug}.pdf", options=options,
                          font_path=font_path, undrawn=undrawn.get(slug))
        page = out / "powers" / f"{slug}.html"
        links = Downloads(svg=f"../flowcharts/{slug}.svg", png=f"../flowcharts/{slug}.png",
                          card=f"../cards/{slug}.pdf")
        page.write_text(render_power_page(power, chart, links, title), encoding="utf-8")
        files += [card, page]
        if progress is not None:
            progress(i, n, power.code)
    index = out / "index.html"
    index.write_text(render_index(list(zip([p for p, _ in entries], names, strict=True)), title,
                                  undrawn), encoding="utf-8")
    files.append(index)
    return ExportResult(index=index, count=n, files=tuple(files), undrawn=tuple(undrawn_codes))


__all__ = ["export_all", "ExportResult", "Progress"]
