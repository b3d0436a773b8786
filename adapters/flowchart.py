"""Flowcharts (流程图) on paper and screen: ``engine.diagram.Diagram`` → DOT → SVG / PNG / PDF.

The renderer of the extract → model → renderer path (see engine/diagram.py). It writes DOT
itself (small, deterministic, no graphviz Python bindings needed) and runs graphviz ``dot``.
Shapes people recognise: events are circles (an end event has a thick border), steps are
rounded boxes, gateways are diamonds marked ×, +, ○, ◎ or *, posts (lanes) are labelled
bands, and the legend is a table with the power's catalogue facts and the key of markings.
Chinese needs a CJK font named explicitly (default WenQuanYi Zen Hei, Debian package
fonts-wqy-zenhei), or graphviz draws boxes for every character.

The same diagram gives byte-identical SVG: ids are numbered in document order and nothing
that varies (time, paths, random seeds) reaches the DOT source.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from engine.diagram import Cluster, Diagram, Edge, Legend, Node, StepStats, extract
from engine.errors import ConfigError, SunshineError
from engine.xmlsafe import read_bpmn_file

FORMATS = ("svg", "png", "pdf")


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


@dataclass(frozen=True)
class RenderOptions:
    """How flowcharts are drawn; the defaults suit a notice board (公开栏)."""

    fontname: str = "WenQuanYi Zen Hei"  # a CJK font known to fontconfig (`fc-list :lang=zh`)
    rankdir: str = "TB"  # TB: top to bottom, posts are columns (portrait, notice boards);
    # LR: left to right, posts are horizontal bands (the BPMN modelers' convention)
    dpi: int = 150  # PNG resolution
    dot_binary: str = "dot"
    timeout_seconds: float = 120.0
    show_title: bool = True  # the title above the chart (a card states it already)


# --- colours ----------------------------------------------------------------------------------
INK = "#263238"
DEEMED = "#c62828"
SUPPLEMENT = "#ef6c00"
NOT_COUNTED = "#d9d9d9"
STEP_FILL = "#e8f1fb"
LANE_FILLS = ("#ffffff", "#f2f6fa")
GATEWAY_SYMBOL = {
    "gateway_exclusive": "×", "gateway_parallel": "+", "gateway_inclusive": "○",
    "gateway_event": "◎", "gateway_complex": "*",
}


# --- text helpers -----------------------------------------------------------------------------
def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


_CLOSING = set("）)」』》〉】、，。；：！？,.;:!?”’")


def wrap(text: str, limit: int) -> list[str]:
    """Wrap text at ``limit`` columns (a Chinese character is two), with balanced lines.

    Breaks at spaces when a line has them; never starts a line with closing punctuation.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        total = sum(_width(c) for c in para)
        width = limit
        if total > limit:  # balance: 9 + 9 columns rather than 16 + 2
            count = -(-total // limit)
            width = min(limit, -(-total // count) + 1)
        cur, cur_w, last_space = "", 0, -1
        for ch in para:
            if cur_w + _width(ch) > width and cur and ch not in _CLOSING:
                if last_space > 0 and ch != " ":
                    lines.append(cur[:last_space].rstrip())
                    cur = cur[last_space + 1:]
                else:
                    lines.append(cur.rstrip())
                    cur = ""
                cur_w = sum(_width(c) for c in cur)
                last_space = -1
                if ch == " " and not cur:
                    continue
            if ch == " ":
                last_space = len(cur)
            cur += ch
            cur_w += _width(ch)
        lines.append(cur.rstrip())
    return [ln for ln in lines if ln] or [""]


def _esc(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _q(text: str) -> str:
    """A DOT quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _html_lines(lines: list[str], limit: int, first_bold: bool = True, size: int = 10) -> str:
    out: list[str] = []
    for i, line in enumerate(lines):
        for part in wrap(line, limit if i == 0 else limit + 6):
            if i == 0 and first_bold:
                out.append(f"<b>{_esc(part)}</b>")
            elif i == 0:
                out.append(_esc(part))
            else:
                out.append(f'<font point-size="{size}">{_esc(part)}</font>')
    return "<br/>".join(out)


def _attrs(**kw: object) -> str:
    parts = []
    for k, v in kw.items():
        if v is None:
            continue
        if isinstance(v, str) and v.startswith("<") and v.endswith(">"):
            parts.append(f"{k}={v}")  # an HTML-like label
        else:
            parts.append(f"{k}={_q(str(v))}")
    return "[" + ", ".join(parts) + "]"


# --- nodes ------------------------------------------------------------------------------------
def _node_attrs(n: Node) -> dict[str, object]:
    lines = n.label.split("\n") if n.label else [""]
    a: dict[str, object] = {"id": f"bpmn-{n.id}", "tooltip": n.name or n.id}
    marked = "deemed" in n.markers or "renewal" in n.markers
    color = DEEMED if marked else SUPPLEMENT if "supplement" in n.markers else INK
    if n.kind in ("start", "end", "intermediate_catch", "intermediate_throw", "boundary"):
        small = n.kind == "boundary"
        if n.name and len(wrap(n.name, 10)) > 2:
            # A long name would blow the circle up: it goes beside the circle instead.
            a["xlabel"] = "<" + _html_lines([n.name], 18, first_bold=False) + ">"
            lines = lines[1:] if lines and lines[0] == n.name else lines
            lines = lines or [" "]
        a.update(shape="doublecircle" if n.kind in ("intermediate_catch", "intermediate_throw",
                                                    "boundary") else "circle",
                 label="<" + _html_lines(lines, 10, first_bold=False, size=9) + ">",
                 margin="0.02", width="0.35" if small else "0.5",
                 fontsize="10" if small else "11", color=color, style="filled",
                 fillcolor="#fdecea" if marked else "#ffffff")
        if n.kind == "start":
            a.update(fillcolor="#e8f5e9", penwidth="1.5")
        if n.kind == "end":
            a.update(penwidth="4", fillcolor="#fdecea" if marked else "#f5f5f5")
        if "non_interrupting" in n.markers:
            a["style"] = "filled,dashed"
        return a
    if n.kind in GATEWAY_SYMBOL:
        a.update(shape="diamond", label=f'<<font point-size="20">{GATEWAY_SYMBOL[n.kind]}</font>>',
                 width="0.6",
                 height="0.6", fixedsize="true", style="filled", fillcolor="#fff8e1",
                 color=INK)
        if n.name:
            a["xlabel"] = "<" + _html_lines([n.name], 16, first_bold=False) + ">"
        return a
    if n.kind in ("data_object", "data_input", "data_output"):
        a.update(shape="note", label="<" + _html_lines(lines, 14, first_bold=False) + ">",
                 fontsize="10", style="filled", fillcolor="#ffffff", color="#607d8b")
        return a
    if n.kind == "data_store":
        a.update(shape="cylinder", label="<" + _html_lines(lines, 14, first_bold=False) + ">",
                 fontsize="10", style="filled", fillcolor="#ffffff", color="#607d8b")
        return a
    if n.kind == "annotation":
        a.update(shape="box", style="dashed", color="#9e9e9e", fontcolor="#424242",
                 fontsize="10", label="<" + _html_lines(lines, 24, first_bold=False) + ">")
        return a
    if n.kind == "group":
        a.update(shape="box", style="dashed,rounded", color="#9e9e9e", fontsize="10",
                 label="<" + _html_lines([f"分组：{n.name or '（未命名）'}"], 24, False) + ">")
        return a
    if n.kind == "participant":
        a.update(shape="box", style="filled", fillcolor="#eceff1", penwidth="1.5",
                 height="0.6", label="<" + _html_lines(lines, 24) + ">", color=INK)
        return a
    if n.kind == "unknown":
        a.update(shape="box", style="dashed", color="#9e9e9e", fontsize="10",
                 label="<" + _html_lines(lines, 20, first_bold=False) + ">")
        return a
    # activities: tasks, call activities, collapsed sub-processes
    fill = NOT_COUNTED if not n.counted else STEP_FILL if n.kind == "user_task" else "#ffffff"
    if "collapsed" in n.markers:
        lines = [*lines, "[+]"]
    live = ""
    if n.stats is not None:  # the supervisors' figures, set apart in colour under the step
        lines, figures = lines[:-2], lines[-2:]
        tint = DEEMED if n.stats.overdue > 0 else "#1565c0"
        live = "<br/>" + "<br/>".join(f'<font point-size="10" color="{tint}">{_esc(f)}</font>'
                                      for f in figures)
    a.update(shape="box", style="rounded,filled", fillcolor=fill, color=color,
             label="<" + _html_lines(lines, 16) + live + ">", margin="0.12,0.06")
    if n.kind == "call_activity":
        a["penwidth"] = "3"
    if marked or "supplement" in n.markers:
        a["penwidth"] = "2"
    if n.stats is not None and n.stats.overdue > 0:
        a.update(color=DEEMED, penwidth="3")
    return a


def _legend_label(legend: Legend, fontsize: int) -> str:
    def row(k: str, v: str, color: str | None = None, bg: str | None = None) -> str:
        text = "<br/>".join(_esc(p) for p in wrap(v, 60))
        if color:
            text = f'<font color="{color}">{text}</font>'
        bgattr = f' bgcolor="{bg}"' if bg else ""
        return (f'<tr><td align="left" valign="top"{bgattr}><b>{_esc(k)}</b></td>'
                f'<td align="left" balign="left">{text}</td></tr>')

    rows = [f'<tr><td colspan="2" bgcolor="#1a4d8f"><font color="white" '
            f'point-size="{fontsize + 3}"><b>图例与事项信息</b></font></td></tr>']
    if legend.power_name:
        rows += [row("事项名称", legend.power_name), row("事项编码", legend.code)]
        if legend.category:
            rows.append(row("事项类别", legend.category))
        rows += [row("实施主体", legend.unit), row("办件类型", legend.mode),
                 row("法定时限", legend.statutory_text), row("承诺时限", legend.promised_text),
                 row("超时默许", legend.deemed_rule,
                     DEEMED if legend.deemed_approval else None)]
    rows.append(row("图形", "○ 开始（细边）　● 结束（粗边）　◎ 定时等中间事件\n"
                          "▭ 办理环节（岗位、时限）　◇ 判断（× 择一　+ 并行　○ 包容）\n"
                          "色带 = 岗位（泳道）"))
    samples = {
        "deemed": ("┅┅▶ 超时默许", DEEMED, None),
        "supplement": ("┅┅▶ 补正", SUPPLEMENT, None),
        "not_counted": ("不计时环节", None, NOT_COUNTED),
        "live": ("实时统计", None, None),
    }
    for marker, text in legend.key:
        sample, color, bg = samples.get(marker, (marker, None, None))
        rows.append(row(sample, text.split("：", 1)[-1], color, bg))
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="5" '
            'bgcolor="white" color="#90a4ae">' + "".join(rows) + "</table>>")


# --- edges ------------------------------------------------------------------------------------
def _edge_attrs(e: Edge) -> dict[str, object]:
    a: dict[str, object] = {}
    if e.label:
        a["label"] = "<" + "<br/>".join(_esc(p) for p in wrap(e.label, 16)) + ">"
    if e.kind == "sequence":
        a.update(color=INK)
        if e.default:
            a.update(dir="both", arrowtail="tee")
    elif e.kind == "message":
        a.update(style="dashed", color="#1565c0", dir="both", arrowtail="odot",
                 arrowhead="empty", constraint="false")
    elif e.kind == "association":
        a.update(style="dotted", color="#9e9e9e", arrowhead="vee" if e.directed else "none",
                 constraint="false")
    elif e.kind == "data":
        a.update(style="dotted", color="#607d8b", arrowhead="vee")
    elif e.kind == "attachment":
        a.update(style="dotted", color="#757575", arrowhead="none", weight="8")
    if e.marked == "deemed":
        a.update(color=DEEMED, fontcolor=DEEMED, style="dashed", penwidth="2.2")
    elif e.marked == "supplement":
        a.update(color=SUPPLEMENT, fontcolor=SUPPLEMENT, style="dashed", penwidth="2.2")
    return a


def _sibling_order(clusters: list[Cluster], rankdir: str) -> list[Cluster]:
    """Sibling clusters in the order that makes dot draw them in document order.

    dot orders clusters to reduce crossings and ignores invisible flat edges between them;
    measured on the shipped processes, top-to-bottom layouts come out mirrored (the first lane
    right-most) and left-to-right ones in input order, so TB emits siblings reversed. Posts then
    read left to right (or top to bottom) as the designer listed them, window first.
    """
    return list(reversed(clusters)) if rankdir.upper() == "TB" else list(clusters)


# --- the DOT document -------------------------------------------------------------------------
def to_dot(diagram: Diagram, options: RenderOptions | None = None) -> str:
    """The DOT source of a diagram; deterministic for a given diagram and options."""
    o = options or RenderOptions()
    font = o.fontname
    node_ids = {n.id: f"n{i}" for i, n in enumerate(diagram.nodes)}
    cluster_ids = {c.id: f"cluster_{i}" for i, c in enumerate(diagram.clusters)}
    expanded = set(cluster_ids)  # sub-processes drawn as clusters are not drawn as nodes
    children: dict[str | None, list[Cluster]] = {}
    for c in diagram.clusters:
        children.setdefault(c.parent if c.parent in cluster_ids else None, []).append(c)
    members: dict[str | None, list[Node]] = {}
    for n in diagram.nodes:
        if n.id in expanded:
            continue
        members.setdefault(n.cluster if n.cluster in cluster_ids else None, []).append(n)

    title = _esc(diagram.title)
    is_power = bool(diagram.legend and diagram.legend.code)
    kind = "办理流程图" if is_power else "流程图"
    sub = "本流程图由系统根据实际运行的流程定义自动生成" if is_power else "BPMN 流程预览"
    if is_power and diagram.legend:
        sub = f"事项编码 {_esc(diagram.legend.code)}　·　{sub}"
    if diagram.legend and diagram.legend.live:
        sub = f"实时统计版　·　{sub}"
    graph_attrs = _attrs(charset="UTF-8", rankdir=o.rankdir, compound="true", fontname=font,
                         newrank="true", nodesep="0.35", ranksep="0.45", pad="0.3",
                         fontsize="11", forcelabels="true", outputorder="edgesfirst",
                         labelloc="b", labeljust="c")
    node_attrs = _attrs(fontname=font, fontsize="11", color=INK, fontcolor=INK)
    edge_attrs = _attrs(fontname=font, fontsize="10", color=INK, fontcolor="#37474f",
                        arrowsize="0.8")
    out = [
        "digraph flowchart {",
        f"  graph {graph_attrs}",
        f"  node {node_attrs}",
        f"  edge {edge_attrs}",
    ]
    if diagram.legend is not None:
        # The legend is the picture's own label, under the chart, where it never moves nodes.
        out.append(f"  graph [label={_legend_label(diagram.legend, 11)}]")
    # The title is the label of a borderless frame around the whole chart, above it.
    frame_label = (f'<<font point-size="22"><b>{title}</b>  {kind}</font><br/>'
                   f'<font point-size="11">{sub}</font>>') if o.show_title else '""'
    out += [
        "  subgraph cluster_frame {",
        f"    label={frame_label}",
        '    labelloc="t"', '    labeljust="c"', '    color="transparent"', '    margin="12"',
    ]
    lane_index = [0]
    # Bands: every leaf lane (and every pool without lanes) holds an invisible node on the
    # first rank and one on the last, so the bands run the full length of the chart, stacked
    # in document order, as posts are drawn on a swimlane chart.
    has_child = {c.parent for c in diagram.clusters if c.kind == "lane"}
    bands = [c for c in diagram.clusters
             if c.kind in ("lane", "pool") and c.id not in has_child]
    if len(bands) < 2:
        bands = []
    band_ids = {c.id: f"band{i}" for i, c in enumerate(bands)}

    def emit_cluster(c: Cluster, depth: int) -> None:
        pad = "  " * depth
        out.append(f"{pad}subgraph {cluster_ids[c.id]} {{")
        style: dict[str, object] = {"label": "<<b>" + "<br/>".join(
            _esc(p) for p in wrap(c.label, 40)) + "</b>>", "labeljust": "l", "fontname": font}
        if c.kind == "pool":
            style.update(style="filled", fillcolor="#fbfbfb", color="#455a64", penwidth="1.5",
                         fontsize="14")
        elif c.kind == "lane":
            style.update(style="filled", fillcolor=LANE_FILLS[lane_index[0] % 2],
                         color="#90a4ae", fontsize="13", fontcolor="#1a4d8f")
            lane_index[0] += 1
        else:
            marks = {"transaction": "（事务）", "adhoc_subprocess": " ~", "event_subprocess": ""}
            style.update(style="rounded,dashed" if c.kind == "event_subprocess" else "rounded",
                         color="#1565c0", fontsize="11",
                         penwidth="3" if c.kind == "transaction" else "1.2",
                         label="<<b>" + _esc(c.label) + "</b>" + _esc(marks.get(c.kind, "")) + ">")
        for k, v in style.items():
            out.append(f"{pad}  {k}={v if str(v).startswith('<') else _q(str(v))}")
        for n in members.get(c.id, []):
            out.append(f"{pad}  {node_ids[n.id]} {_attrs(**_node_attrs(n))}")
        for child in _sibling_order(children.get(c.id, []), o.rankdir):
            emit_cluster(child, depth + 1)
        if c.id in band_ids:
            for end in ("h", "t"):
                out.append(f"{pad}  {band_ids[c.id]}{end} [shape=point, style=invis, width=0]")
        if not diagram.nodes_in(c.id):
            out.append(f"{pad}  {_q(Diagram.placeholder(c.id))} [shape=point, style=invis]")
        out.append(f"{pad}}}")

    for n in members.get(None, []):
        out.append(f"    {node_ids[n.id]} {_attrs(**_node_attrs(n))}")
    for c in _sibling_order(children.get(None, []), o.rankdir):
        emit_cluster(c, 2)
    if not diagram.nodes and not diagram.clusters:
        out.append('    empty [shape=plain, label="（流程定义中没有可绘制的元素）"]')
    out.append("  }")

    def endpoint(ref: str, head: bool) -> tuple[str, str | None]:
        nid, clip = diagram.anchor(ref, head)
        name = node_ids.get(nid) or _q(nid)
        return name, cluster_ids.get(clip) if clip else None

    for e in diagram.edges:
        src, ltail = endpoint(e.source, head=False)
        dst, lhead = endpoint(e.target, head=True)
        attrs = _edge_attrs(e)
        if ltail and ltail != lhead:
            attrs["ltail"] = ltail
        if lhead and ltail != lhead:
            attrs["lhead"] = lhead
        out.append(f"  {src} -> {dst} {_attrs(**attrs)}")

    heads = [f"{band_ids[c.id]}h" for c in bands]
    tails = [f"{band_ids[c.id]}t" for c in bands]
    if bands:
        # Pin the band ends to the first and the last rank: a head precedes the band's sources
        # and a tail follows its sinks (only those, so the invisible edges stay short).
        has_in = {diagram.anchor(e.target, True)[0] for e in diagram.edges}
        has_out = {diagram.anchor(e.source, False)[0] for e in diagram.edges}
        for c in bands:
            for n in diagram.nodes_in(c.id):
                if n.id in expanded:
                    continue
                if n.id not in has_in:
                    out.append(f"  {band_ids[c.id]}h -> {node_ids[n.id]} [style=invis]")
                if n.id not in has_out:
                    out.append(f"  {node_ids[n.id]} -> {band_ids[c.id]}t [style=invis]")
        out.append(f"  {{ rank=same; {'; '.join(heads)} }}")
        out.append(f"  {{ rank=same; {'; '.join(tails)} }}")
    out.append("}")
    return "\n".join(out) + "\n"


# --- running dot ------------------------------------------------------------------------------
def _format_of(path: str | os.PathLike[str]) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ConfigError(
            f"cannot tell the picture format from '{Path(path).name}': name the output file "
            f"*.svg, *.png or *.pdf"
        )
    return ext


def run_dot(dot_source: str, fmt: str, options: RenderOptions | None = None) -> bytes:
    """Run graphviz ``dot`` on DOT source and return the picture's bytes."""
    o = options or RenderOptions()
    if fmt not in (*FORMATS, "plain"):
        raise ConfigError(f"unknown picture format {fmt!r}: use one of {', '.join(FORMATS)}")
    binary = shutil.which(o.dot_binary)
    if binary is None:
        raise GraphvizNotFound(o.dot_binary)
    args = [binary, f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={o.dpi}")
    # Cairo writes the PDF creation date; pin it so the same chart gives the same file.
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    try:
        done = subprocess.run(args, input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=o.timeout_seconds, env=env, check=False)
    except FileNotFoundError:
        raise GraphvizNotFound(o.dot_binary) from None
    except subprocess.TimeoutExpired:
        raise RenderError(f"graphviz took longer than {o.timeout_seconds:.0f} s to draw the "
                          f"flowchart — the process may be too large for one picture") from None
    if done.returncode != 0 or not done.stdout:
        msg = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"graphviz could not draw the flowchart: {msg[-1] if msg else 'no output'}")
    return _pin_pdf_dates(done.stdout) if fmt == "pdf" else done.stdout


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})")


def _pin_pdf_dates(data: bytes) -> bytes:
    """Cairo stamps the PDF with the time of drawing (older cairo ignores SOURCE_DATE_EPOCH);
    overwrite the digits in place, so byte offsets (the xref table) stay valid."""
    return _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:19700101000000", data)


def render_bytes(diagram: Diagram, fmt: str, options: RenderOptions | None = None) -> bytes:
    """The picture of a diagram as bytes in ``fmt`` (svg, png or pdf)."""
    return run_dot(to_dot(diagram, options), fmt, options)


def layout_size(diagram: Diagram, options: RenderOptions | None = None) -> tuple[float, float]:
    """The width and height (inches) dot would give the picture, without drawing it."""
    first = run_dot(to_dot(diagram, options), "plain", options).split(b"\n", 1)[0].split()
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
    "RenderOptions", "RenderError", "GraphvizNotFound", "FORMATS", "to_dot", "run_dot",
    "render_bytes", "to_svg_bytes", "layout_size", "render", "render_tree", "render_file", "wrap",
]

