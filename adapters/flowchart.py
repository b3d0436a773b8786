"""Flowcharts (流程图) on paper and screen: ``engine.diagram.Diagram`` → DOT → SVG / PNG / PDF.

The renderer of the extract → model → renderer path (see engine/diagram.py). The DOT source is
written by adapters/flowchart_dot.py (every text from the file escaped by adapters/dot_text.py);
this module runs graphviz ``dot`` on it, within bounds, and says clearly when it cannot.
Chinese needs a CJK font named explicitly (default WenQuanYi Zen Hei, Debian package
fonts-wqy-zenhei), or graphviz draws boxes for every character.

What one file may cost, and what happens past it:
- at most ``MAX_ELEMENTS`` drawn elements (nodes and boxes): graphviz's layout grows much
  faster than the graph (400 steps with crossing flows take 20 s, 800 take more than ten
  minutes), so a larger chart is refused before graphviz runs (``FlowchartTooLarge``);
- each ``dot`` run gets ``RenderOptions.timeout_seconds`` of wall-clock time and
  ``RenderOptions.memory_mb`` of address space (``setrlimit`` in the child) and is stopped
  past them (``FlowchartTooLarge``, naming the bound);
- graphviz 2.43 sometimes cannot route an edge ("lost n3 n7 edge", mostly message flows
  between pools under ``newrank``), exits 1 and writes the chart without it: that is never
  accepted. The chart is drawn again with plainer layouts (``LAYOUTS``: without newrank, then
  with message flows ranking, then with straight edges); if all fail, ``FlowchartRefused``
  names the BPMN element and what to change.

``FlowchartError`` (its subclasses above) concerns one chart: publishing lists that power as
not drawn and goes on. ``GraphvizNotFound`` concerns the installation and stops everything.

The same diagram gives byte-identical output: ids are numbered in document order and nothing
that varies (time, paths, random seeds) reaches the DOT source.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from lxml import etree

from adapters.dot_text import wrap
from adapters.flowchart_dot import DotDocument, Layout, RenderOptions, dot_document, to_dot
from engine.diagram import Diagram, StepStats, extract
from engine.errors import ConfigError, SunshineError
from engine.xmlsafe import read_bpmn_file

FORMATS = ("svg", "png", "pdf")
MAX_ELEMENTS = 400  # nodes and boxes one flowchart may draw
# Tried in order until dot draws the chart with every edge.
LAYOUTS = (
    Layout(),
    Layout(newrank=False, pins=False),
    Layout(newrank=False, pins=False, free_messages=False),
    Layout(newrank=False, pins=False, free_messages=False, splines="line"),
)


class RenderError(SunshineError):
    """A flowchart or publication could not be drawn (graphviz or a font is missing, or failed)."""

    code = "render_error"


class GraphvizNotFound(RenderError):
    """The graphviz ``dot`` program is not installed."""

    def __init__(self, binary: str = "dot") -> None:
        super().__init__(
            f"graphviz is not installed (the `{binary}` program was not found) — install "
            f"graphviz: apt-get install graphviz (Debian/Ubuntu), dnf install graphviz, or "
            f"brew install graphviz; then check with `dot -V`"
        )


class FlowchartError(RenderError):
    """This one flowchart cannot be drawn; other powers' charts can (publishing goes on).

    ``public_reason`` says why in the words shown on the public page (Chinese).
    """

    def __init__(self, message: str, public_reason: str) -> None:
        super().__init__(message)
        self.public_reason = public_reason


class FlowchartTooLarge(FlowchartError):
    """The chart has more elements than one picture may hold, or dot ran out of time or memory."""


class FlowchartRefused(FlowchartError):
    """graphviz refused the chart in every layout it was offered."""


# --- running dot ------------------------------------------------------------------------------
def _format_of(path: str | os.PathLike[str]) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ConfigError(
            f"cannot tell the picture format from '{Path(path).name}': name the output file "
            f"*.svg, *.png or *.pdf"
        )
    return ext


class _DotFailed(Exception):
    """dot exited with an error: its last message lines."""

    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def _limits(memory_mb: int, cpu_seconds: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec: setrlimit calls only
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    return apply


def _run(dot_source: str, fmt: str, o: RenderOptions) -> bytes:
    """One dot run within the time and memory bounds; ``_DotFailed`` on dot's own errors."""
    binary = shutil.which(o.dot_binary)
    if binary is None:
        raise GraphvizNotFound(o.dot_binary)
    args = [binary, f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={o.dpi}")
    # Cairo writes the PDF creation date; pin it so the same chart gives the same file.
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    try:
        done = subprocess.run(
            args, input=dot_source.encode("utf-8"), capture_output=True,
            timeout=o.timeout_seconds, env=env, check=False,
            preexec_fn=_limits(o.memory_mb, int(o.timeout_seconds) + 1),  # noqa: PLW1509
        )
    except FileNotFoundError:
        raise GraphvizNotFound(o.dot_binary) from None
    except subprocess.TimeoutExpired:
        raise FlowchartTooLarge(
            f"graphviz took longer than {o.timeout_seconds:g} s to draw the flowchart and was "
            f"stopped — the process is too tangled for one picture: split it into smaller "
            f"processes or sub-processes",
            f"流程过于复杂，绘图超过 {o.timeout_seconds:g} 秒未完成") from None
    if done.returncode < 0:  # killed: out of memory (RLIMIT_AS) or CPU time (SIGXCPU)
        sig = -done.returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGXCPU:
            raise FlowchartTooLarge(
                f"graphviz used more than {o.timeout_seconds:g} s of processor time and was "
                f"stopped — split the process into smaller processes or sub-processes",
                f"流程过于复杂，绘图超过 {o.timeout_seconds:g} 秒未完成")
        raise FlowchartTooLarge(
            f"graphviz stopped ({name}) while drawing the flowchart, most likely because it "
            f"needed more than the {o.memory_mb} MiB of memory it may use — split the process "
            f"into smaller processes or sub-processes",
            f"流程过于复杂，绘图所需内存超过 {o.memory_mb} MiB")
    if done.returncode != 0 or not done.stdout:
        raise _DotFailed(done.stderr.decode("utf-8", "replace"))
    return done.stdout


def run_dot(dot_source: str, fmt: str, options: RenderOptions | None = None) -> bytes:
    """Run graphviz ``dot`` once on DOT source and return the picture's bytes."""
    o = options or RenderOptions()
    if fmt not in (*FORMATS, "plain", "json"):
        raise ConfigError(f"unknown picture format {fmt!r}: use one of {', '.join(FORMATS)}")
    try:
        data = _run(dot_source, fmt, o)
    except _DotFailed as err:
        lines = err.stderr.strip().splitlines()
        raise FlowchartRefused(f"graphviz could not draw the flowchart: "
                               f"{lines[-1] if lines else 'no output'}",
                               "绘图程序无法绘制该流程图") from None
    return _pin_pdf_dates(data) if fmt == "pdf" else data


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})")


def _pin_pdf_dates(data: bytes) -> bytes:
    """Cairo stamps the PDF with the time of drawing (older cairo ignores SOURCE_DATE_EPOCH);
    overwrite the digits in place, so byte offsets (the xref table) stay valid."""
    return _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:19700101000000", data)


def check_size(diagram: Diagram) -> None:
    """Refuse a chart with more than ``MAX_ELEMENTS`` drawn elements, before graphviz runs."""
    count = len(diagram.nodes) + len(diagram.clusters)
    if count > MAX_ELEMENTS:
        raise FlowchartTooLarge(
            f"the flowchart would have {count} elements (steps, events, gateways, data, lanes "
            f"and boxes); one picture holds at most {MAX_ELEMENTS} — split the process into "
            f"smaller processes, one per power",
            f"流程元素过多（{count} 个，单张流程图最多 {MAX_ELEMENTS} 个）")


def _band_spans(doc: DotDocument, o: RenderOptions) -> dict[str, float]:
    """How wide (across the flow, in points) each band must be for a pool's lanes to line up.

    A layout-only run measures every lane; each then spans its pool's widest, less the
    cluster margins (8 points each side), through its first-rank pin.
    """
    pools = set(doc.bands.values())
    if len(pools) == len(doc.bands):
        return {}  # no pool with two bands
    layout = json.loads(_run(doc.source, "json", o))
    across = 2 if o.rankdir.upper() == "TB" else 3
    size: dict[str, float] = {}
    for obj in layout.get("objects", ()):
        cid = doc.clusters.get(obj.get("name", ""))
        if cid in doc.bands and obj.get("bb"):
            box = [float(x) for x in obj["bb"].split(",")]
            size[cid] = box[across] - box[across - 2]
    widest: dict[str, float] = {}
    for cid, s in size.items():
        widest[doc.bands[cid]] = max(widest.get(doc.bands[cid], 0.0), s)
    return {cid: widest[pool] - 16 for cid, pool in doc.bands.items() if pool in widest}


_LOST = re.compile(r"lost (\S+) (\S+) edge")
_IN_LABEL = re.compile(r"in label of (?:node|graph|edge) (\S+)")


def _refusal(doc: DotDocument, diagram: Diagram, stderr: str) -> FlowchartRefused:
    """What graphviz refused, named as the BPMN element, with what to change."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    lost = _LOST.search(stderr)
    if lost:
        ids = doc.edges.get((lost.group(1), lost.group(2))) \
            or doc.edges.get((lost.group(2), lost.group(1))) or ()
        edge = next((e for e in diagram.edges if e.id in ids), None)
        if edge is not None:
            kind = {"message": "message flow", "sequence": "sequence flow",
                    "association": "association", "data": "data association"}.get(
                        edge.kind, "connection")
            return FlowchartRefused(
                f"graphviz could not route {kind} '{edge.id}' (from '{edge.source}' to "
                f"'{edge.target}') in any layout — connect it to a step or event inside the "
                f"pool rather than to the pool's border, or remove it from the file; the rest "
                f"of the file is fine",
                f"绘图程序无法绘制连线 {edge.id}")
    where = _IN_LABEL.search(stderr)
    if where:
        element = doc.nodes.get(where.group(1))
        if element is not None:
            return FlowchartRefused(
                f"graphviz refused the label of element '{element}': {last} — rename the "
                f"element in the modeler", f"绘图程序无法绘制元素 {element}")
    return FlowchartRefused(f"graphviz could not draw the flowchart in any layout: {last}",
                            "绘图程序无法绘制该流程图")


def render_bytes(diagram: Diagram, fmt: str, options: RenderOptions | None = None) -> bytes:
    """The picture of a diagram as bytes in ``fmt`` (svg, png, pdf; plain for the layout)."""
    o = options or RenderOptions()
    if fmt not in (*FORMATS, "plain"):
        raise ConfigError(f"unknown picture format {fmt!r}: use one of {', '.join(FORMATS)}")
    check_size(diagram)
    failure: tuple[DotDocument, str] | None = None
    for layout in LAYOUTS:
        doc = dot_document(diagram, o, layout)
        try:
            if layout.pins and doc.bands:
                spans = _band_spans(doc, o)
                if spans:
                    doc = dot_document(diagram, o, replace(layout, band_span=spans))
            data = _run(doc.source, fmt, o)
        except _DotFailed as err:
            failure = failure or (doc, err.stderr)
            continue
        return _pin_pdf_dates(data) if fmt == "pdf" else data
    assert failure is not None
    raise _refusal(failure[0], diagram, failure[1])


def layout_size(diagram: Diagram, options: RenderOptions | None = None) -> tuple[float, float]:
    """The width and height (inches) dot would give the picture, without drawing it."""
    first = render_bytes(diagram, "plain", options).split(b"\n", 1)[0].split()
    return float(first[2]), float(first[3])  # "graph scale width height"


def to_svg_bytes(diagram: Diagram, options: RenderOptions | None = None) -> bytes:
    """The diagram as SVG; byte-identical for the same diagram."""
    return render_bytes(diagram, "svg", options)


def render(diagram: Diagram, path: str | os.PathLike[str],
           options: RenderOptions | None = None) -> Path:
    """Draw a diagram to ``path``; the extension (.svg, .png, .pdf) chooses the format."""
    fmt = _format_of(path)
    data = render_bytes(diagram, fmt, options)
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def render_tree(tree: etree._ElementTree, out_path: str | os.PathLike[str],
                stats: Mapping[str, StepStats] | None = None,
                options: RenderOptions | None = None, process_id: str | None = None) -> Path:
    """Draw a parsed BPMN definition (with live ``stats`` for the supervisors' variant)."""
    _format_of(out_path)  # fail on a bad name before the work
    return render(extract(tree, stats, process_id=process_id), out_path, options)


def render_file(bpmn_path: str | os.PathLike[str], out_path: str | os.PathLike[str],
                stats: Mapping[str, StepStats] | None = None,
                options: RenderOptions | None = None) -> Path:
    """Draw a BPMN file (deployed or not: `sunshine flowchart FILE.bpmn -o out.svg`)."""
    _format_of(out_path)
    _, tree = read_bpmn_file(str(bpmn_path))
    return render_tree(tree, out_path, stats, options)


__all__ = [
    "RenderOptions", "Layout", "RenderError", "GraphvizNotFound", "FlowchartError",
    "FlowchartTooLarge", "FlowchartRefused", "FORMATS", "MAX_ELEMENTS", "LAYOUTS", "to_dot",
    "run_dot", "render_bytes", "to_svg_bytes", "layout_size", "render", "render_tree",
    "render_file", "check_size", "wrap",
]
