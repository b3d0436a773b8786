"""``sunshine publish all``: every public power's flowchart (SVG + PNG), guide page and card.

One pass over the powers, one graphviz run per picture, so the time grows with the number of
powers; ``progress(i, n, code)`` is called after each power for the CLI's progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.flowchart import RenderOptions, render_bytes
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
    n = len(entries)
    for i, ((power, source), slug) in enumerate(zip(entries, names, strict=True), start=1):
        tree = tree_of(source, power.code)
        diagram = diagram_for(power, tree)
        svg = render_bytes(diagram, "svg", options)
        png = render_bytes(diagram, "png", options)
        svg_path = out / "flowcharts" / f"{slug}.svg"
        png_path = out / "flowcharts" / f"{slug}.png"
        svg_path.write_bytes(svg)
        png_path.write_bytes(png)
        card = write_card(power, tree, out / "cards" / f"{slug}.pdf", options=options,
                          font_path=font_path)
        page = out / "powers" / f"{slug}.html"
        links = Downloads(svg=f"../flowcharts/{slug}.svg", png=f"../flowcharts/{slug}.png",
                          card=f"../cards/{slug}.pdf")
        page.write_text(render_power_page(power, svg, links, title), encoding="utf-8")
        files += [svg_path, png_path, card, page]
        if progress is not None:
            progress(i, n, power.code)
    index = out / "index.html"
    index.write_text(render_index(list(zip([p for p, _ in entries], names, strict=True)), title),
                     encoding="utf-8")
    files.append(index)
    return ExportResult(index=index, count=n, files=tuple(files))


__all__ = ["export_all", "ExportResult", "Progress"]
