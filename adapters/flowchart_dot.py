"""The DOT document of a flowchart: ``engine.diagram.Diagram`` → graphviz source text.

The writer half of adapters/flowchart.py (which runs ``dot``). Shapes people recognise: events
are circles (an end event has a thick border), steps are rounded boxes, gateways are diamonds
marked ×, +, ○, ◎ or *, posts (lanes) are labelled bands, and the legend is a table with the
power's catalogue facts and the key of markings.

How BPMN's own drawing conventions are kept without BPMNDI coordinates:
- a pool's lanes are bands of one grid: every leaf lane holds an invisible node on the first
  rank and one on the last, so all bands run the full length of the chart; ``Layout.band_span``
  (measured by a first layout) makes them equally wide across the flow; labels sit top left;
- a boundary event is a small rounded mark on its host's lower border: the host becomes an
  HTML-like table whose second row overlaps the box by half a mark (negative cell spacing), and
  each mark is a port the event's outgoing flows leave from (a boundary event on an expanded
  sub-process, drawn as a box of its own, stays a separate circle tied to the box);
- a text annotation is pinned to the rank of the element it annotates (``rank=same``) and sits
  in that element's lane (see engine/diagram.py), joined by a dotted line.

Every text from the BPMN file is written through adapters/dot_text.py (``quoted``/``esc``),
never as an attribute name, a node name or a port; node, cluster and port names are numbered
here in document order, so the same diagram always gives the same source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from adapters.dot_text import Html, attrs, esc, html_lines, safe_id, wrap
from engine.diagram import TASK_KINDS, TRIGGER_TEXT, Cluster, Diagram, Edge, Legend, Node


@dataclass(frozen=True)
class RenderOptions:
    """How flowcharts are drawn; the defaults suit a notice board (公开栏)."""

    fontname: str = "WenQuanYi Zen Hei"  # a CJK font known to fontconfig (`fc-list :lang=zh`)
    rankdir: str = "TB"  # TB: top to bottom, posts are columns (portrait, notice boards);
    # LR: left to right, posts are horizontal bands (the BPMN modelers' convention)
    dpi: int = 150  # PNG resolution
    dot_binary: str = "dot"
    timeout_seconds: float = 60.0  # wall-clock time one `dot` run may take
    memory_mb: int = 1024  # address space one `dot` run may use (RLIMIT_AS)
    show_title: bool = True  # the title above the chart (a card states it already)


@dataclass(frozen=True)
class Layout:
    """How dot is asked to lay a chart out; the renderer falls back to plainer ones when dot
    fails (graphviz 2.43 loses some message flows between pools under ``newrank``)."""

    newrank: bool = True  # rank across clusters (aligned bands); off: dot's older ranking
    pins: bool = True  # rank=same pins: band ends, annotations beside their element
    free_messages: bool = True  # message flows and associations leave ranks alone
    splines: str = "spline"  # "line": straight edges, which dot can always route
    band_span: Mapping[str, float] = field(default_factory=dict)  # lane id → points across


@dataclass(frozen=True)
class DotDocument:
    """DOT source with the names it gave to the diagram's parts, to read dot's answers."""

    source: str
    nodes: Mapping[str, str]  # DOT node name → BPMN element id
    clusters: Mapping[str, str]  # DOT cluster name → diagram cluster id
    edges: Mapping[tuple[str, str], tuple[str, ...]]  # (tail, head) DOT names → edge ids
    bands: Mapping[str, str]  # leaf lane id → pool id, for lanes drawn as one grid


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
EVENT_KINDS = ("start", "end", "intermediate_catch", "intermediate_throw", "boundary")
MARK = 24  # points: the side of a boundary event's mark on its host's border


def _lines(n: Node) -> list[str]:
    return n.label.split("\n") if n.label else [""]


def _colour(n: Node) -> tuple[bool, str]:
    marked = "deemed" in n.markers or "renewal" in n.markers
    return marked, DEEMED if marked else SUPPLEMENT if "supplement" in n.markers else INK


def is_activity(n: Node) -> bool:
    """Drawn as a rounded box (a task, call activity or collapsed sub-process)."""
    return (n.kind in TASK_KINDS.values() or n.kind in (
        "subprocess", "transaction", "adhoc_subprocess", "event_subprocess"))


# --- nodes ------------------------------------------------------------------------------------
def _event_attrs(n: Node) -> dict[str, object]:
    lines = _lines(n)
    marked, color = _colour(n)
    small = n.kind == "boundary"
    a: dict[str, object] = {}
    if lines[0] and len(wrap(lines[0], 10)) > 2:
        # A long name would blow the circle up: it goes beside the circle instead.
        a["xlabel"] = html_lines([lines[0]], 18, first_bold=False)
        lines = lines[1:] or [" "]
    a.update(shape="doublecircle" if n.kind in ("intermediate_catch", "intermediate_throw",
                                                "boundary") else "circle",
             label=html_lines(lines, 10, first_bold=False, size=9),
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


def _activity_box(n: Node) -> tuple[str, str, str, str]:
    """(inner label, fill, border colour, border width) of a step's rounded box."""
    lines = _lines(n)
    marked, color = _colour(n)
    fill = NOT_COUNTED if not n.counted else STEP_FILL if n.kind == "user_task" else "#ffffff"
    if "collapsed" in n.markers:
        lines = [*lines, "[+]"]
    live = ""
    if n.stats is not None:  # the supervisors' figures, set apart in colour under the step
        lines, figures = lines[:-2], lines[-2:]
        tint = DEEMED if n.stats.overdue > 0 else "#1565c0"
        live = "<br/>" + "<br/>".join(f'<font point-size="10" color="{tint}">{esc(f)}</font>'
                                      for f in figures)
    pen = "1"
    if n.kind == "call_activity":
        pen = "3"
    if marked or "supplement" in n.markers:
        pen = "2"
    if n.stats is not None and n.stats.overdue > 0:
        color, pen = DEEMED, "3"
    return str(html_lines(lines, 16)) + live, fill, color, pen


def _mark_text(b: Node) -> str:
    return TRIGGER_TEXT.get(b.trigger or "none", "")[:2] or " "


def _caption(b: Node) -> str:
    """What a boundary event's mark does not say: its name and markings (not its trigger)."""
    trigger = TRIGGER_TEXT.get(b.trigger or "none", "")
    return "".join(line for line in _lines(b) if line and line != trigger)


def _host_table(n: Node, marks: list[Node], captions: list[str]) -> Html:
    """A step with boundary events on its lower border; mark k is port ``b{k}``, the box
    itself port ``main``.

    ``captions`` are the names of marks that no outgoing flow carries, listed under the box.
    """
    inner, fill, color, pen = _activity_box(n)
    edge = MARK + 12  # end cells: the marks' row is reported at least as wide as it is drawn
    cells = [f'<td width="{edge}"></td>']
    for k, b in enumerate(marks):
        marked, b_color = _colour(b)
        style = "rounded,dashed" if "non_interrupting" in b.markers else "rounded"
        if k:
            cells.append(f'<td width="{MARK + 8}"></td>')
        cells.append(
            f'<td port="b{k}" style="{style}" border="1" color="{b_color}" '
            f'bgcolor="{"#fdecea" if marked else "#ffffff"}" width="{MARK}" height="{MARK}" '
            f'fixedsize="true"><font point-size="7" color="{b_color}">{esc(_mark_text(b))}'
            f"</font></td>")
    cells.append(f'<td width="{edge}"></td>')
    body = (f'<table border="0" cellborder="0" cellspacing="0" cellpadding="0"><tr><td>{inner}'
            f'</td></tr><tr><td height="{MARK // 2 - 2}"></td></tr></table>')
    rows = [
        f'<tr><td port="main" style="rounded" border="{pen}" color="{color}" bgcolor="{fill}" '
        f'cellpadding="6">{body}</td></tr>',
        # Negative spacing pulls the marks up by half their height, onto the box's border.
        f'<tr><td><table border="0" cellborder="0" cellspacing="-{MARK // 2}" cellpadding="0">'
        f'<tr>{"".join(cells)}</tr></table></td></tr>',
        f'<tr><td height="{MARK // 2 + 2}"></td></tr>',
    ]
    if captions:
        text = "<br/>".join(esc(p) for p in wrap("　".join(captions), 24))
        rows.append(f'<tr><td><font point-size="9">{text}</font></td></tr>')
    return Html('<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
                + "".join(rows) + "</table>")


def node_attrs(n: Node, marks: list[Node] | None = None,
               captions: list[str] | None = None) -> dict[str, object]:
    """The DOT attributes of one node (``marks``: the boundary events on its border, and the
    ``captions`` of those whose name no flow carries)."""
    lines = _lines(n)
    if n.kind in EVENT_KINDS:
        return _event_attrs(n)
    if n.kind in GATEWAY_SYMBOL:
        a: dict[str, object] = dict(
            shape="diamond", label=Html(f'<font point-size="20">{GATEWAY_SYMBOL[n.kind]}</font>'),
            width="0.6", height="0.6", fixedsize="true", style="filled", fillcolor="#fff8e1",
            color=INK)
        if lines[0]:
            a["xlabel"] = html_lines([lines[0]], 16, first_bold=False)
        return a
    if n.kind in ("data_object", "data_input", "data_output", "data_store"):
        return dict(shape="cylinder" if n.kind == "data_store" else "note",
                    label=html_lines(lines, 14, first_bold=False), fontsize="10",
                    style="filled", fillcolor="#ffffff", color="#607d8b")
    if n.kind == "annotation":
        # BPMN's open bracket: a box with only its left side drawn is not in dot's shapes;
        # a light box with dashed border reads as a note beside the step.
        return dict(shape="box", style="dashed", color="#9e9e9e", fontcolor="#424242",
                    fontsize="10", label=html_lines(lines, 24, first_bold=False))
    if n.kind == "group":
        return dict(shape="box", style="dashed,rounded", color="#9e9e9e", fontsize="10",
                    label=html_lines([f"分组：{lines[0] or '（未命名）'}"], 24, False))
    if n.kind == "participant":
        return dict(shape="box", style="filled", fillcolor="#eceff1", penwidth="1.5",
                    height="0.6", label=html_lines(lines, 24), color=INK)
    if n.kind == "unknown" or not is_activity(n):
        return dict(shape="box", style="dashed", color="#9e9e9e", fontsize="10",
                    label=html_lines(lines, 20, first_bold=False))
    if marks:
        return dict(shape="plain", label=_host_table(n, marks, captions or []))
    inner, fill, color, pen = _activity_box(n)
    return dict(shape="box", style="rounded,filled", fillcolor=fill, color=color,
                penwidth=pen, label=Html(inner), margin="0.12,0.06")


def _legend_label(legend: Legend, fontsize: int) -> Html:
    def row(k: str, v: str, color: str | None = None, bg: str | None = None) -> str:
        text = "<br/>".join(esc(p) for p in wrap(v, 60))
        if color:
            text = f'<font color="{color}">{text}</font>'
        bgattr = f' bgcolor="{bg}"' if bg else ""
        return (f'<tr><td align="left" valign="top"{bgattr}><b>{esc(k)}</b></td>'
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
                          "环节下缘的小框 = 附着事件（定时、消息、错误等）\n"
                          "色带 = 岗位（泳道）　虚线框 = 注释"))
    samples = {
        "deemed": ("┅┅▶ 超时默许", DEEMED, None),
        "supplement": ("┅┅▶ 补正", SUPPLEMENT, None),
        "not_counted": ("不计时环节", None, NOT_COUNTED),
        "live": ("实时统计", None, None),
    }
    for marker, text in legend.key:
        sample, color, bg = samples.get(marker, (marker, None, None))
        rows.append(row(sample, text.split("：", 1)[-1], color, bg))
    return Html('<table border="0" cellborder="1" cellspacing="0" cellpadding="5" '
                'bgcolor="white" color="#90a4ae">' + "".join(rows) + "</table>")


# --- edges ------------------------------------------------------------------------------------
def edge_attrs(e: Edge, layout: Layout = Layout()) -> dict[str, object]:
    a: dict[str, object] = {}
    if e.label:
        a["label"] = Html("<br/>".join(esc(p) for p in wrap(e.label, 16)))
    free = "false" if layout.free_messages else None
    if e.kind == "sequence":
        a.update(color=INK)
        if e.default:
            a.update(dir="both", arrowtail="tee")
    elif e.kind == "message":
        a.update(style="dashed", color="#1565c0", dir="both", arrowtail="odot",
                 arrowhead="empty", constraint=free)
    elif e.kind == "association":
        a.update(style="dotted", color="#9e9e9e", arrowhead="vee" if e.directed else "none",
                 constraint=free)
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
def _band_pools(diagram: Diagram) -> dict[str, str]:
    """Leaf lanes (and pools without lanes) drawn as bands: band id → its pool's id.

    Bands run the chart's full length; with fewer than two there is nothing to line up.
    """
    parent = {c.id: c.parent for c in diagram.clusters}
    has_child = {c.parent for c in diagram.clusters if c.kind == "lane"}
    bands = [c for c in diagram.clusters if c.kind in ("lane", "pool") and c.id not in has_child]
    if len(bands) < 2:
        return {}
    out = {}
    for c in bands:
        pool: str | None = c.id
        while pool is not None and parent.get(pool) is not None:
            pool = parent[pool]
        out[c.id] = pool or c.id
    return out


def dot_document(diagram: Diagram, options: RenderOptions | None = None,
                 layout: Layout | None = None) -> DotDocument:
    """The DOT source of a diagram and the names it gave; deterministic."""
    o = options or RenderOptions()
    lay = layout or Layout()
    font = o.fontname
    node_ids = {n.id: f"n{i}" for i, n in enumerate(diagram.nodes)}
    cluster_ids = {c.id: f"cluster_{i}" for i, c in enumerate(diagram.clusters)}
    empties = {Diagram.placeholder(c.id): f"e{i}" for i, c in enumerate(diagram.clusters)}
    by_id = {n.id: n for n in diagram.nodes}
    expanded = set(cluster_ids)  # sub-processes drawn as clusters are not drawn as nodes
    children: dict[str | None, list[Cluster]] = {}
    for c in diagram.clusters:
        children.setdefault(c.parent if c.parent in cluster_ids else None, []).append(c)

    # Boundary events on a step drawn as a box become marks on its border (ports b0, b1 …).
    marks: dict[str, list[Node]] = {}
    for n in diagram.nodes:
        host = by_id.get(n.attached_to or "")
        if (n.kind == "boundary" and host is not None and host.id not in expanded
                and host.kind != "boundary" and is_activity(host)):
            marks.setdefault(host.id, []).append(n)
    ports = {b.id: f"{node_ids[h]}:b{k}:s" for h, bs in marks.items() for k, b in enumerate(bs)}
    # A mark's name goes on its first outgoing flow (the deemed-approval arrow reads 超时默许);
    # a mark with no unlabelled flow out has its name listed under its host.
    said: dict[str, str] = {}
    for e in diagram.edges:
        if e.source in ports and e.source not in said.values() and not e.label \
                and e.kind == "sequence" and _caption(by_id[e.source]):
            said[e.id] = e.source
    captions = {h: [c for b in bs if b.id not in said.values() and (c := _caption(b))]
                for h, bs in marks.items()}
    members: dict[str | None, list[Node]] = {}
    for n in diagram.nodes:
        if n.id in expanded or n.id in ports:
            continue
        members.setdefault(n.cluster if n.cluster in cluster_ids else None, []).append(n)

    title = esc(diagram.title)
    is_power = bool(diagram.legend and diagram.legend.code)
    kind = "办理流程图" if is_power else "流程图"
    sub = "本流程图由系统根据实际运行的流程定义自动生成" if is_power else "BPMN 流程预览"
    if is_power and diagram.legend:
        sub = f"事项编码 {esc(diagram.legend.code)}　·　{sub}"
    if diagram.legend and diagram.legend.live:
        sub = f"实时统计版　·　{sub}"
    graph_attrs = attrs(charset="UTF-8", rankdir=o.rankdir, compound="true", fontname=font,
                        newrank="true" if lay.newrank else "false", nodesep="0.35",
                        ranksep="0.45", pad="0.3", fontsize="11", forcelabels="true",
                        outputorder="edgesfirst", labelloc="b", labeljust="c",
                        splines=None if lay.splines == "spline" else lay.splines)
    node_defaults = attrs(fontname=font, fontsize="11", color=INK, fontcolor=INK)
    edge_defaults = attrs(fontname=font, fontsize="10", color=INK, fontcolor="#37474f",
                          arrowsize="0.8")
    out = ["digraph flowchart {", f"  graph {graph_attrs}", f"  node {node_defaults}",
           f"  edge {edge_defaults}"]
    if diagram.legend is not None:
        # The legend is the picture's own label, under the chart, where it never moves nodes.
        out.append(f"  graph {attrs(label=_legend_label(diagram.legend, 11))}")
    # The title is the label of a borderless frame around the whole chart, above it.
    frame_label = Html(f'<font point-size="22"><b>{title or " "}</b>  {kind}</font><br/>'
                       f'<font point-size="11">{sub}</font>') if o.show_title else ""
    frame = attrs(label=frame_label, labelloc="t", labeljust="c", color="transparent",
                  margin="12")
    out += ["  subgraph cluster_frame {", f"    graph {frame}"]
    lane_index = [0]
    band_pool = _band_pools(diagram) if lay.pins else {}
    band_ids = {cid: f"band{i}" for i, cid in enumerate(band_pool)}
    rank_cross = "width" if o.rankdir.upper() == "TB" else "height"

    def emit_node(n: Node, pad: str) -> None:
        a = node_attrs(n, marks.get(n.id), captions.get(n.id))
        a["id"] = "bpmn-" + safe_id(n.id, node_ids[n.id])
        out.append(f"{pad}{node_ids[n.id]} {attrs(**a)}")

    def emit_cluster(c: Cluster, depth: int) -> None:
        pad = "  " * depth
        out.append(f"{pad}subgraph {cluster_ids[c.id]} {{")
        label = Html("<b>" + "<br/>".join(esc(p) for p in wrap(c.label, 40)) + "</b>") \
            if c.label else ""
        style: dict[str, object] = {"label": label, "labeljust": "l", "fontname": font}
        if c.kind == "pool":
            style.update(style="filled", fillcolor="#fbfbfb", color="#455a64", penwidth="1.5",
                         fontsize="14")
        elif c.kind == "lane":
            style.update(style="filled", fillcolor=LANE_FILLS[lane_index[0] % 2],
                         color="#90a4ae", fontsize="13", fontcolor="#1a4d8f")
            lane_index[0] += 1
        else:
            marks_text = {"transaction": "（事务）", "adhoc_subprocess": " ~"}
            style.update(style="rounded,dashed" if c.kind == "event_subprocess" else "rounded",
                         color="#1565c0", fontsize="11",
                         penwidth="3" if c.kind == "transaction" else "1.2",
                         label=Html("<b>" + esc(c.label) + "</b>"
                                    + esc(marks_text.get(c.kind, ""))))
        out.append(f"{pad}  graph {attrs(**style)}")
        for n in members.get(c.id, []):
            emit_node(n, pad + "  ")
        for child in _sibling_order(children.get(c.id, []), o.rankdir):
            emit_cluster(child, depth + 1)
        if c.id in band_ids:
            span = lay.band_span.get(c.id)
            pin = attrs(shape="point", style="invis", width="0")
            head = pin if not span else attrs(
                shape="box", style="invis", label="", fixedsize="true",
                **{"width": "0.02", "height": "0.02", rank_cross: f"{span / 72:.3f}"})
            out.append(f"{pad}  {band_ids[c.id]}h {head}")
            out.append(f"{pad}  {band_ids[c.id]}t {pin}")
        if not diagram.nodes_in(c.id):
            out.append(f"{pad}  {empties[Diagram.placeholder(c.id)]} [shape=point, style=invis]")
        out.append(f"{pad}}}")

    for n in members.get(None, []):
        emit_node(n, "    ")
    for c in _sibling_order(children.get(None, []), o.rankdir):
        emit_cluster(c, 2)
    if not diagram.nodes and not diagram.clusters:
        out.append(f"    empty {attrs(shape='plain', label='（流程定义中没有可绘制的元素）')}")
    out.append("  }")

    def endpoint(ref: str, head: bool) -> tuple[str | None, str | None]:
        nid, clip = diagram.anchor(ref, head)
        name = ports.get(nid) or node_ids.get(nid) or empties.get(nid)
        if nid in marks:  # a step with marks: its own flows touch the box, not the marks
            name = f"{name}:main"
        return name, cluster_ids.get(clip) if clip else None

    edge_names: dict[tuple[str, str], tuple[str, ...]] = {}
    edge_ids = {e.id for e in diagram.edges}
    notes: list[tuple[str, str]] = []
    for e in diagram.edges:
        if e.kind == "attachment" and e.target in ports:
            continue  # drawn as the mark on its host's border
        src, ltail = endpoint(e.source, head=False)
        dst, lhead = endpoint(e.target, head=True)
        if src is None or dst is None:
            continue  # a hand-made diagram naming nothing drawn; extract() never does this
        if e.id in said:
            e = replace(e, label=_caption(by_id[said[e.id]]))
        a = edge_attrs(e, lay)
        if ltail and ltail != lhead:
            a["ltail"] = ltail
        if lhead and ltail != lhead:
            a["lhead"] = lhead
        out.append(f"  {src} -> {dst} {attrs(**a)}")
        key = (src.split(":")[0], dst.split(":")[0])
        edge_names[key] = (*edge_names.get(key, ()), e.id)
        if e.kind == "association" and lay.pins:
            for note, ref, other in ((e.target, e.source, src), (e.source, e.target, dst)):
                if note in by_id and by_id[note].kind == "annotation":
                    if ref in by_id or ref in edge_ids:  # beside a node or a flow, not a pool
                        notes.append((other.split(":")[0], node_ids[note]))
                    break

    if band_ids:
        # Pin the band ends to the first and the last rank: a head precedes the band's sources
        # and a tail follows its sinks (only those, so the invisible edges stay short).
        has_in = {diagram.anchor(e.target, True)[0] for e in diagram.edges}
        has_out = {diagram.anchor(e.source, False)[0] for e in diagram.edges}
        for cid, band in band_ids.items():
            for n in diagram.nodes_in(cid):
                if n.id in expanded or n.id in ports:
                    continue
                if n.id not in has_in:
                    out.append(f"  {band}h -> {node_ids[n.id]} [style=invis]")
                if n.id not in has_out:
                    out.append(f"  {node_ids[n.id]} -> {band}t [style=invis]")
        out.append(f"  {{ rank=same; {'; '.join(f'{b}h' for b in band_ids.values())} }}")
        out.append(f"  {{ rank=same; {'; '.join(f'{b}t' for b in band_ids.values())} }}")
    seen: set[str] = set()
    for other, note in notes:  # an annotation beside what it annotates, on the same rank
        if note not in seen and other != note:
            seen.add(note)
            out.append(f"  {{ rank=same; {other}; {note} }}")
    out.append("}")
    return DotDocument(
        source="\n".join(out) + "\n",
        nodes={v: k for k, v in node_ids.items()},
        clusters={v: k for k, v in cluster_ids.items()},
        edges=edge_names,
        bands=band_pool,
    )


def to_dot(diagram: Diagram, options: RenderOptions | None = None,
           layout: Layout | None = None) -> str:
    """The DOT source of a diagram; deterministic for a given diagram and options."""
    return dot_document(diagram, options, layout).source


__all__ = ["RenderOptions", "Layout", "DotDocument", "dot_document", "to_dot", "node_attrs",
           "edge_attrs", "is_activity"]
