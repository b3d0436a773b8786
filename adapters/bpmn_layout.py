"""Giving a BPMN file without a diagram (bpmndi:BPMNDiagram) one, laid out by graphviz ``dot``.

bpmn-js and Camunda Modeler draw a process only from its diagram interchange: a shape with bounds
for each flow node, an edge with waypoints for each flow. Files written by hand or by other tools
sometimes have none, and no modeler can open them. Here ``dot`` (rankdir=LR) places the flow
nodes of each process and sub-process; the lanes become horizontal bands holding their nodes, the
pool encloses them, and each sequence flow gets right-angled waypoints. Only generated node names
(n0, n1 …) and numbers reach DOT, never text from the file. The diagram is spliced in before the
closing root tag, so every other byte of the file stays as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lxml import etree

from engine.errors import DefinitionError
from engine.xmlsafe import BPMN_NS, BPMNDI_NS, bpmn

DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
            "complexGateway"}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask",
              "receiveTask", "businessRuleTask", "callActivity"}
SIZES = {"event": (36.0, 36.0), "gateway": (50.0, 50.0), "task": (100.0, 80.0)}
LABEL_ROOM = 30.0  # events and gateways carry their name below the shape
LANE_PAD = 40.0    # above and below the nodes of a lane
POOL_HEADER = 30.0  # the pool's name, written sideways on its left
MARGIN = 50.0      # between a band's left edge and its first node
INCH = 72.0


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    kind: str = "task"
    expanded: bool | None = None

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def move(self, dx: float, dy: float) -> None:
        self.x += dx
        self.y += dy


@dataclass
class Drawing:
    """Shapes and edges of one plane, in the plane's coordinates."""

    shapes: dict[str, Box] = field(default_factory=dict)  # element id → bounds
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    lanes: set[str] = field(default_factory=set)  # participant and lane shapes (horizontal)
    inside: dict[str, set[str]] = field(default_factory=dict)  # sub-process → what it holds

    def move(self, dx: float, dy: float, ids: set[str] | None = None) -> None:
        for i, box in self.shapes.items():
            if ids is None or i in ids:
                box.move(dx, dy)
        for i, points in self.edges.items():
            if ids is None or i in ids:
                self.edges[i] = [(x + dx, y + dy) for x, y in points]

    def take(self, other: Drawing) -> None:
        self.shapes.update(other.shapes)
        self.edges.update(other.edges)
        self.lanes |= other.lanes
        self.inside.update(other.inside)

    def right(self) -> float:
        return max((b.x + b.w for b in self.shapes.values() if b.kind != "lane"), default=0.0)


@dataclass
class Result:
    """What ``lay_out`` did: the new bytes (None if the file already had a diagram)."""

    data: bytes | None
    shapes: int = 0
    edges: int = 0


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _kind(el: etree._Element) -> str | None:
    if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
        return None
    name = _local(el)
    if name in EVENTS or name == "boundaryEvent":
        return "event"
    if name in GATEWAYS:
        return "gateway"
    if name in CONTAINERS:
        return "container"
    if name in ACTIVITIES or name.endswith("Task"):
        return "task"
    return None


def has_diagram(root: etree._Element) -> bool:
    return next(root.iter(f"{{{BPMNDI_NS}}}BPMNShape"), None) is not None


def _dot_layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]],
                groups: list[list[int]], file: str) -> list[tuple[float, float]]:
    """Centres of the nodes (top-down coordinates), as graphviz dot places them."""
    from adapters.flowchart import run_dot

    lines = ["digraph G {", "  graph [rankdir=LR, newrank=true, nodesep=0.5, ranksep=0.7, splines=false];",
             '  node [shape=box, fixedsize=true, label=""];']
    lines += [f"  n{i} [width={w / INCH:.3f}, height={h / INCH:.3f}];"
              for i, (w, h) in enumerate(sizes)]
    for g, members in enumerate(groups):
        lines.append(f"  subgraph cluster_{g} {{ {' '.join(f'n{i};' for i in members)} }}")
    lines += [f"  n{a} -> n{b};" for a, b in edges if a != b]
    lines.append("}")
    out = json.loads(run_dot("\n".join(lines), "json"))
    top = float(out["bb"].split(",")[3])
    centres: list[tuple[float, float]] = [(0.0, 0.0)] * len(sizes)
    for obj in out.get("objects", []):
        name = obj.get("name", "")
        if name.startswith("n") and name[1:].isdigit() and "pos" in obj:
            x, y = (float(v) for v in obj["pos"].split(","))
            centres[int(name[1:])] = (x, top - y)
    return centres


def _lanes(process: etree._Element) -> list[tuple[str, list[str]]]:
    """Leaf lanes of the process's lane set, in file order, with the nodes each holds."""
    out: list[tuple[str, list[str]]] = []

    def walk(lane_set: etree._Element) -> None:
        for lane in lane_set.findall(bpmn("lane")):
            child = lane.find(bpmn("childLaneSet"))
            if child is not None and child.findall(bpmn("lane")):
                walk(child)
            else:
                refs = [(r.text or "").strip() for r in lane.findall(bpmn("flowNodeRef"))]
                out.append((str(lane.get("id")), refs))

    for lane_set in process.findall(bpmn("laneSet")):
        walk(lane_set)
    return out


def _container(el: etree._Element, d: Drawing, file: str, with_lanes: bool) -> float:
    """Lay out the flow nodes and sequence flows directly inside ``el`` (a process or a
    sub-process) into ``d``: nodes from x=0 (x=MARGIN in lanes), the top at y=0. Returns the
    height used (the lanes' total height when there are lanes)."""
    nodes = [c for c in el if _kind(c) and _local(c) != "boundaryEvent"]
    ids = [str(n.get("id")) for n in nodes]
    index = {i: k for k, i in enumerate(ids)}
    host_of = {str(c.get("id")): str(c.get("attachedToRef")) for c in el
               if _kind(c) and _local(c) == "boundaryEvent"}
    for b, host in host_of.items():
        if host not in index:
            raise DefinitionError(f"the boundary event is attached to '{host}', which is not an "
                                  f"activity of the same process — fix its attachedToRef",
                                  file=file, element=b)
    sizes: list[tuple[float, float]] = []
    for n, i in zip(nodes, ids, strict=True):
        kind = _kind(n)
        if kind == "container":
            inner = Drawing()
            h = _container(n, inner, file, with_lanes=False)
            if inner.shapes:
                inner.move(MARGIN / 2, LANE_PAD)
                d.shapes[i] = Box(0, 0, max(inner.right() + MARGIN / 2, 100.0),
                                  max(h + 2 * LANE_PAD, 80.0), "task", expanded=True)
                d.inside[i] = set(inner.shapes) | set(inner.edges) | {
                    k for v in inner.inside.values() for k in v}
                d.take(inner)
            else:
                d.shapes[i] = Box(0, 0, *SIZES["task"], "task", expanded=False)
        else:
            d.shapes[i] = Box(0, 0, *SIZES[kind or "task"], kind or "task")
        box = d.shapes[i]
        # Centred on dot's node, with room for a name below (and as much above, so that a
        # gateway and the tasks around it stay on one line) and for boundary events.
        sizes.append((max(box.w, 100.0), box.h + (2 * LABEL_ROOM if box.kind != "task" else 0.0)
                      + (40.0 if i in host_of.values() else 0.0)))
    ends: dict[str, tuple[str, str]] = {}
    for f in el.findall(bpmn("sequenceFlow")):
        src, tgt = str(f.get("sourceRef")), str(f.get("targetRef"))
        for end, attr in ((src, "sourceRef"), (tgt, "targetRef")):
            if end not in index and end not in host_of:
                raise DefinitionError(f"the sequence flow's {attr} '{end}' is not a flow node of "
                                      f"the same process — fix the {attr}", file=file,
                                      element=str(f.get("id")))
        ends[str(f.get("id"))] = (src, tgt)
    lanes = _lanes(el) if with_lanes else []
    groups = [[index[r] for r in refs if r in index] for _, refs in lanes]
    centres = _dot_layout(sizes, [(index[host_of.get(s, s)], index[host_of.get(t, t)])
                                  for s, t in ends.values()], [g for g in groups if g], file)
    for i, (cx, cy) in zip(ids, centres, strict=True):
        box = d.shapes[i]
        d.move(cx - box.w / 2 - box.x, cy - box.h / 2 - box.y,
               {i} | d.inside.get(i, set()))
    left = min((d.shapes[i].x for i in ids), default=0.0)
    top = min((d.shapes[i].y for i in ids), default=0.0)
    d.move(-left, -top, set(ids).union(*(d.inside.get(i, set()) for i in ids)))
    height = _bands(d, lanes, ids) if lanes else max(
        (d.shapes[i].bottom + (LABEL_ROOM if d.shapes[i].kind != "task" else 0.0) for i in ids),
        default=0.0)
    for b, host in host_of.items():  # on the lower edge of its activity, from the right
        h, nth = d.shapes[host], [k for k, v in host_of.items() if v == host].index(b)
        d.shapes[b] = Box(h.x + h.w - 46.0 - 46.0 * nth, h.bottom - 18.0, 36.0, 36.0, "event")
    for f, (s, t) in ends.items():
        d.edges[f] = _route(d.shapes[s], d.shapes[t], s in host_of)
    return height


def _bands(d: Drawing, lanes: list[tuple[str, list[str]]], ids: list[str]) -> float:
    """Stack the lanes as horizontal bands from y=0, each node moved into its lane's band, its
    x kept (after MARGIN); lane shapes start at x=0, their width set by the caller. Returns the
    total height."""
    placed: set[str] = set()
    rows = list(lanes)
    loose = [i for i in ids if all(i not in refs for _, refs in lanes)]
    if loose:  # nodes no lane names: a band of their own, without a lane shape
        rows.append(("", loose))
    y = 0.0
    for lane_id, refs in rows:
        members = [r for r in refs if r in ids and r not in placed]
        placed.update(members)
        height = 120.0
        if members:
            top = min(d.shapes[m].y for m in members)
            bottom = max(d.shapes[m].bottom + (LABEL_ROOM if d.shapes[m].kind != "task" else 0.0)
                         for m in members)
            d.move(MARGIN, y + LANE_PAD - top,
                   set(members).union(*(d.inside.get(m, set()) for m in members)))
            height = max(bottom - top + 2 * LANE_PAD, height)
        if lane_id:
            d.shapes[lane_id] = Box(0.0, y, 0.0, height, "lane")
            d.lanes.add(lane_id)
        y += height
    return y


def _route(s: Box, t: Box, from_boundary: bool) -> list[tuple[float, float]]:
    """Right-angled waypoints from ``s`` to ``t``."""
    scx, scy, tcx, tcy = s.x + s.w / 2, s.y + s.h / 2, t.x + t.w / 2, t.y + t.h / 2
    low = max(s.bottom, t.bottom) + 25  # a way back runs under both …
    if scy < tcy - 1:  # … or over both, when it goes back up
        high = min(s.y, t.y) - 25
        back = [(scx, s.y), (scx, high), (tcx, high), (tcx, t.y)]
    else:
        back = [(scx, s.bottom), (scx, low), (tcx, low), (tcx, t.bottom)]
    if from_boundary:  # leaves downwards
        if t.x > scx and tcy > s.bottom:
            return [(scx, s.bottom), (scx, tcy), (t.x, tcy)]
        if t.x > scx + 40:
            bend = t.x - 20
            return [(scx, s.bottom), (scx, s.bottom + 20), (bend, s.bottom + 20), (bend, tcy),
                    (t.x, tcy)]
        return back
    if t.x >= s.x + s.w + 10:  # forward
        level = (scy + tcy) / 2  # nearly level: one straight line, if it meets both
        if abs(tcy - scy) < 15 and max(s.y, t.y) + 5 <= level <= min(s.bottom, t.bottom) - 5:
            return [(s.x + s.w, level), (t.x, level)]
        if s.kind == "gateway":  # a split leaves from the gateway's top or bottom corner
            return [(scx, s.y if tcy < scy else s.bottom), (scx, tcy), (t.x, tcy)]
        if t.kind == "gateway":  # a join enters at the gateway's top or bottom corner
            return [(s.x + s.w, scy), (tcx, scy), (tcx, t.y if scy < tcy else t.bottom)]
        mid = (s.x + s.w + t.x) / 2
        return [(s.x + s.w, scy), (mid, scy), (mid, tcy), (t.x, tcy)]
    return back


# --- pools, planes and the XML ------------------------------------------------------------------
ORIGIN = (160.0, 80.0)


def _process(proc: etree._Element, file: str) -> tuple[Drawing, float, float]:
    """A process laid out with its lanes from (0, 0), lanes' width set; its width, height."""
    d = Drawing()
    height = _container(proc, d, file, with_lanes=True)
    if not d.lanes:
        d.move(MARGIN, LANE_PAD)
        height += 2 * LANE_PAD
    width = d.right() + MARGIN
    for lane in d.lanes:
        d.shapes[lane].w = width
    return d, width, height


def _collaboration(collab: etree._Element, procs: dict[str, etree._Element],
                   file: str) -> Drawing:
    d = Drawing()
    y = ORIGIN[1]
    for part in collab.findall(bpmn("participant")):
        pid = str(part.get("id"))
        proc = procs.get(str(part.get("processRef")))
        if proc is None:  # a black-box pool
            width, height, inner = 600.0, 100.0, Drawing()
        else:
            inner, width, height = _process(proc, file)
            inner.move(ORIGIN[0] + POOL_HEADER, y)
            width += POOL_HEADER
        inner.shapes = {pid: Box(ORIGIN[0], y, width, height, "lane"), **inner.shapes}
        inner.lanes.add(pid)
        d.take(inner)
        y += height + 40
    for mf in collab.findall(bpmn("messageFlow")):
        s, t = d.shapes.get(str(mf.get("sourceRef"))), d.shapes.get(str(mf.get("targetRef")))
        if s is None or t is None:
            raise DefinitionError("the message flow's sourceRef or targetRef is not a pool or a "
                                  "flow node of this file — fix it", file=file,
                                  element=str(mf.get("id")))
        down = s.y < t.y
        sy, ty = (s.bottom, t.y) if down else (s.y, t.bottom)
        mid = (sy + ty) / 2
        d.edges[str(mf.get("id"))] = [(s.x + s.w / 2, sy), (s.x + s.w / 2, mid),
                                      (t.x + t.w / 2, mid), (t.x + t.w / 2, ty)]
    return d


def _diagram_xml(planes: list[tuple[str, Drawing]], taken: set[str], root: etree._Element,
                 ) -> str:
    def new_id(base: str) -> str:
        cand, n = base, 1
        while cand in taken:
            n += 1
            cand = f"{base}_{n}"
        taken.add(cand)
        return cand

    nsmap = {"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
    parts = []
    for k, (element, d) in enumerate(planes):
        suffix = "" if k == 0 else f"_{k + 1}"
        diagram = etree.Element(f"{{{BPMNDI_NS}}}BPMNDiagram", nsmap=nsmap,  # type: ignore[arg-type]
                                id=new_id(f"BPMNDiagram_layout{suffix}"))
        plane = etree.SubElement(diagram, f"{{{BPMNDI_NS}}}BPMNPlane",
                                 id=new_id(f"BPMNPlane_layout{suffix}"), bpmnElement=element)
        for i, box in d.shapes.items():
            shape = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", id=new_id(f"{i}_di"),
                                     bpmnElement=i)
            if i in d.lanes:
                shape.set("isHorizontal", "true")
            if box.expanded is not None:
                shape.set("isExpanded", "true" if box.expanded else "false")
            etree.SubElement(shape, f"{{{DC_NS}}}Bounds", x=_n(box.x), y=_n(box.y), width=_n(box.w),
                             height=_n(box.h))
        for i, points in d.edges.items():
            edge = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=new_id(f"{i}_di"),
                                    bpmnElement=i)
            for x, y in points:
                etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=_n(x), y=_n(y))
        etree.indent(diagram, space="  ", level=1)
        text = etree.tostring(diagram, encoding="unicode")
        for prefix, uri in nsmap.items():  # declared on the root already: not again
            if root.nsmap.get(prefix) == uri:
                text = text.replace(f' xmlns:{prefix}="{uri}"', "", 1)
        parts.append("  " + text + "\n")
    return "".join(parts)


def _n(v: float) -> str:
    return str(round(v))


def lay_out(data: bytes, file: str = "<bpmn>") -> Result:
    """The file with a diagram for every process, or ``Result(None)`` if it already has one."""
    from engine.xmlsafe import parse_bpmn_bytes

    tree = parse_bpmn_bytes(data, file)
    root = tree.getroot()
    if has_diagram(root):
        return Result(None)
    procs = {str(p.get("id")): p for p in root.findall(bpmn("process"))}
    planes: list[tuple[str, Drawing]] = []
    drawn: set[str] = set()
    for collab in root.findall(bpmn("collaboration")):
        planes.append((str(collab.get("id")), _collaboration(collab, procs, file)))
        drawn |= {str(p.get("processRef")) for p in collab.findall(bpmn("participant"))}
    for pid, proc in procs.items():
        if pid not in drawn:
            d, _, _ = _process(proc, file)
            d.move(*ORIGIN)
            planes.append((pid, d))
    if not planes:
        raise DefinitionError("the file has no process to lay out — a BPMN file for Sunshine "
                              "holds a <bpmn:process>", file=file)
    taken = {str(e.get("id")) for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    xml = _diagram_xml(planes, taken, root)
    shapes = sum(len(d.shapes) for _, d in planes)
    edges = sum(len(d.edges) for _, d in planes)
    return Result(_splice(data, tree, xml, file), shapes, edges)


def _splice(data: bytes, tree: etree._ElementTree, xml: str, file: str) -> bytes:
    """``data`` with ``xml`` inserted before the closing root tag (empty diagrams a tool left
    are dropped first); every other byte as it was."""
    from engine.xmlsafe import parse_bpmn_bytes

    root = tree.getroot()
    empty = root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram")
    encoding = (tree.docinfo.encoding or "UTF-8").upper()
    if not empty and encoding in ("UTF-8", "US-ASCII", "ASCII"):
        text = data.decode("utf-8")
        close = f"</{root.prefix + ':' if root.prefix else ''}definitions"
        at = text.rfind(close)
        if at > 0:
            line = text.rfind("\n", 0, at) + 1
            at = line if not text[line:at].strip() else at
            out = (text[:at] + xml + text[at:]).encode("utf-8")
            if has_diagram(parse_bpmn_bytes(out, file).getroot()):
                return out
    for el in empty:
        root.remove(el)
    fresh = etree.fromstring(f"<x>{xml}</x>".replace(
        "<x>", f'<x xmlns:bpmndi="{BPMNDI_NS}" xmlns:dc="{DC_NS}" xmlns:di="{DI_NS}">', 1))
    for el in fresh:
        root.append(el)
    return etree.tostring(tree, encoding=tree.docinfo.encoding or "UTF-8", xml_declaration=True)
