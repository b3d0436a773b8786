"""The flowchart (流程图) of a definition as a plain graph: BPMN tree (+ live counts) → dataclasses.

Rendering is extract → model → renderer: this module reads a parsed BPMN tree and returns a
``Diagram`` of frozen values (clusters, nodes, edges, legend) that knows nothing of graphviz;
``adapters/flowchart.py`` turns it into DOT and pictures. Layout comes from the process graph,
never from BPMNDI coordinates, which many files lack.

Rules the extractor keeps:
- every BPMN element inside a process, sub-process or collaboration is shown; an element it
  does not know becomes a node of kind ``unknown`` whose label names the tag — never dropped;
- a node sits in exactly one cluster (pool → lane → nested lane → sub-process), the innermost;
- everything is in document order, so the same file always gives the same model;
- labels speak to citizens: step name, post (岗位), time limit in working days (环节时限),
  不计时 for steps the law does not count (ALL Art. 45), and the deemed-approval (超时默许) and
  supplement (补正) paths are marked;
- a label is bounded: a name longer than ``NAME_LIMIT`` characters (an annotation's text longer
  than ``TEXT_LIMIT``) is cut and ends in "…"; ``Node.name`` keeps the whole name;
- a boundary event sits in its host's lane, and a text annotation in the lane of what it
  annotates, so that the renderer can draw each beside its element.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from lxml import etree

from engine.catalogue import Power, processes, read_power
from engine.xmlsafe import BPMN_NS, sun

# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepStats:
    """Live figures for one step (环节), for the supervisors' flowchart."""

    waiting: int  # cases waiting at this step now (在办)
    overdue: int  # of which past the step's limit (超期)
    avg_days: float | None = None  # average working days taken (平均用时); None: no data yet


@dataclass(frozen=True)
class Cluster:
    """A box that holds nodes: a pool (泳池), a lane (岗位泳道) or an expanded sub-process."""

    id: str
    kind: str  # pool | lane | subprocess | transaction | adhoc_subprocess | event_subprocess
    label: str
    parent: str | None  # enclosing cluster id; None at the top


@dataclass(frozen=True)
class Node:
    """One drawn element: event, activity, gateway, data, artifact, black-box pool or unknown."""

    id: str
    kind: str  # see NODE_KINDS
    label: str  # the full text shown, lines joined by "\n"; the first line is the name
    name: str = ""
    post: str | None = None  # lane (岗位) the element lies in, inherited into sub-processes
    time_limit: int | None = None  # sunshine:timeLimit, working days
    counted: bool = True  # False: sunshine:counted="false" (不计时)
    special: str | None = None  # sunshine:special (听证, 专家评审 …)
    markers: tuple[str, ...] = ()  # see MARKERS
    element_tag: str = ""  # local name of the BPMN element, e.g. "userTask"
    cluster: str | None = None  # innermost enclosing cluster id
    trigger: str | None = None  # events: none | timer | message | … (see TRIGGER_TEXT)
    attached_to: str | None = None  # boundary events: the host activity
    role: str | None = None  # sunshine:step (acceptance, supplement, decision …)
    result: str | None = None  # end events: sunshine:result
    deadline: str | None = None  # timer boundary events: sunshine:deadline (promised …)
    stats: StepStats | None = None


@dataclass(frozen=True)
class Edge:
    """A connection: sequence flow, message flow, association, data association or attachment."""

    id: str
    source: str  # a node id, or a cluster id (pool, lane, expanded sub-process): see anchor()
    target: str
    kind: str  # sequence | message | association | data | attachment
    label: str = ""
    marked: str | None = None  # "deemed" (超时默许 path) | "supplement" (补正 path) | None
    default: bool = False  # the gateway's or activity's default flow
    conditional: bool = False  # carries a condition expression
    directed: bool = True  # False for undirected associations


@dataclass(frozen=True)
class Legend:
    """What the flowchart promises: the power's catalogue facts and the key of its markings."""

    power_name: str = ""
    code: str = ""
    category: str = ""
    unit: str = ""
    mode: str = ""
    statutory_limit: int | None = None
    promised_limit: int | None = None
    statutory_text: str = ""  # "20 个工作日", "法律未规定"
    promised_text: str = ""  # "10 个工作日", "当场办结 / 即办"
    deemed_approval: bool = False
    deemed_rule: str = ""  # "适用：…" or "不适用"
    key: tuple[tuple[str, str], ...] = ()  # (marker, explanation) for markings in this chart
    live: bool = False


@dataclass(frozen=True)
class Diagram:
    """The flowchart of one BPMN definition, ready for any renderer."""

    title: str
    clusters: tuple[Cluster, ...]  # parents before children, document order
    nodes: tuple[Node, ...]  # document order
    edges: tuple[Edge, ...]
    legend: Legend | None = None

    @property
    def pools(self) -> tuple[Cluster, ...]:
        return tuple(c for c in self.clusters if c.kind == "pool")

    @property
    def lanes(self) -> tuple[Cluster, ...]:
        return tuple(c for c in self.clusters if c.kind == "lane")

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def cluster(self, cluster_id: str) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)

    def nodes_in(self, cluster_id: str) -> list[Node]:
        """Nodes inside a cluster, at any depth, in document order."""
        inside = {cluster_id}
        for c in self.clusters:  # parents come before children, so one pass suffices
            if c.parent in inside:
                inside.add(c.id)
        return [n for n in self.nodes if n.cluster in inside]

    def without_bands(self) -> Diagram:
        """The same chart without pool and lane boxes, for small prints (the A4 card).

        Nothing is lost: every step's label still names its post; sub-processes stay boxed.
        """
        kinds = ("pool", "lane")
        parent = {c.id: c.parent for c in self.clusters}
        kind = {c.id: c.kind for c in self.clusters}

        def up(cid: str | None) -> str | None:
            while cid is not None and kind.get(cid) in kinds:
                cid = parent.get(cid)
            return cid

        clusters = tuple(replace(c, parent=up(c.parent)) for c in self.clusters
                         if c.kind not in kinds)
        nodes = tuple(replace(n, cluster=up(n.cluster)) for n in self.nodes)
        return replace(self, clusters=clusters, nodes=nodes)

    @staticmethod
    def placeholder(cluster_id: str) -> str:
        """The id a renderer gives the invisible node that keeps an empty cluster drawn."""
        return f"{cluster_id}::empty"

    def anchor(self, ref: str, head: bool = True) -> tuple[str, str | None]:
        """Where an edge touching ``ref`` is attached: (node id, cluster to clip at or None).

        A node that is also an expanded cluster (a sub-process) and a pool or lane are reached
        through one of their nodes, and the edge is clipped at the cluster's border; ``head``
        says whether the edge enters (first start event) or leaves (first end event).
        """
        cluster = self.cluster(ref)
        if cluster is None:
            edge = next((e for e in self.edges if e.id == ref), None)
            if edge is not None and edge.target != ref:  # an annotation on a flow
                return self.anchor(edge.target, head)
            return ref, None
        inside = self.nodes_in(ref)
        if not inside:
            return self.placeholder(ref), ref
        wanted = "start" if head else "end"
        direct = [n for n in inside if n.cluster == ref and n.kind == wanted]
        return (direct[0] if direct else inside[0]).id, ref


# --- vocabularies ---------------------------------------------------------------------------

TASK_KINDS = {
    "task": "task", "userTask": "user_task", "manualTask": "manual_task",
    "serviceTask": "service_task", "scriptTask": "script_task", "sendTask": "send_task",
    "receiveTask": "receive_task", "businessRuleTask": "business_rule_task",
    "callActivity": "call_activity",
}
CONTAINER_KINDS = {
    "subProcess": "subprocess", "transaction": "transaction", "adHocSubProcess": "adhoc_subprocess",
}
GATEWAY_KINDS = {
    "exclusiveGateway": "gateway_exclusive", "parallelGateway": "gateway_parallel",
    "inclusiveGateway": "gateway_inclusive", "eventBasedGateway": "gateway_event",
    "complexGateway": "gateway_complex",
}
EVENT_KINDS = {
    "startEvent": "start", "endEvent": "end", "intermediateCatchEvent": "intermediate_catch",
    "intermediateThrowEvent": "intermediate_throw", "implicitThrowEvent": "intermediate_throw",
    "boundaryEvent": "boundary",
}
ARTIFACT_KINDS = {
    "dataObjectReference": "data_object", "dataStoreReference": "data_store",
    "dataObject": "data_object", "textAnnotation": "annotation", "group": "group",
}
FLOW_NODE_TAGS = (*TASK_KINDS, *CONTAINER_KINDS, *GATEWAY_KINDS, *EVENT_KINDS)
NODE_KINDS = (
    *TASK_KINDS.values(), *CONTAINER_KINDS.values(), "event_subprocess",
    *GATEWAY_KINDS.values(), *EVENT_KINDS.values(), "data_object", "data_store", "data_input",
    "data_output", "annotation", "group", "participant", "unknown",
)
TRIGGERS = {
    "timerEventDefinition": "timer", "messageEventDefinition": "message",
    "signalEventDefinition": "signal", "errorEventDefinition": "error",
    "escalationEventDefinition": "escalation", "conditionalEventDefinition": "conditional",
    "compensateEventDefinition": "compensation", "linkEventDefinition": "link",
    "terminateEventDefinition": "terminate", "cancelEventDefinition": "cancel",
}
TRIGGER_TEXT = {
    "none": "", "timer": "定时", "message": "消息", "signal": "信号", "error": "错误",
    "escalation": "升级", "conditional": "条件", "compensation": "补偿", "link": "链接",
    "terminate": "终止", "cancel": "取消", "multiple": "多重", "parallel_multiple": "并行多重",
}
TYPE_TEXT = {
    "manual_task": "人工任务", "service_task": "服务任务", "script_task": "脚本任务",
    "send_task": "发送任务", "receive_task": "接收任务", "business_rule_task": "业务规则任务",
    "call_activity": "调用活动", "subprocess": "子流程", "transaction": "事务",
    "adhoc_subprocess": "临时子流程", "event_subprocess": "事件子流程",
}
DEFAULT_NAME = {
    "start": "开始", "end": "结束", "data_object": "数据对象", "data_store": "数据存储",
    "data_input": "输入数据", "data_output": "输出数据", "group": "分组", "participant": "参与方",
}
RESULT_TEXT = {
    "approved": "准予", "refused": "不予", "not_accepted": "不予受理",
    "deemed_approved": "视为准予", "terminated": "终止", "revoked": "撤销", "completed": "办结",
}
MARKERS = {  # marker → the words shown on the node
    "deemed": "超时默许", "renewal": "视为准予延续", "supplement": "补正",
    "not_counted": "不计时", "loop": "循环", "mi_parallel": "多实例·并行",
    "mi_sequential": "多实例·顺序", "compensation": "补偿", "non_interrupting": "非中断",
    "collapsed": "已折叠",
}
# The designer guide's conditions, in words a citizen reads on the arrow.
CONDITION_TEXT = {
    ("acceptance", "accept"): "受理", ("acceptance", "supplement"): "补正",
    ("acceptance", "refuse"): "不予受理", ("decision", "approve"): "准予",
    ("decision", "refuse"): "不予",
}
DEEMED_DEADLINES = ("promised", "statutory", "renewal")
KEY_TEXT = {
    "deemed": "红色虚线：超时默许路径——承诺时限届满仍未作出决定的，视为准予，并追究超时岗位责任",
    "supplement": "橙色虚线：补正路径——材料不全的一次性告知补正，补正期间不计入办理时限",
    "not_counted": "灰色环节：不计时——听证、检验、检测、鉴定、专家评审等所需时间不计入时限"
    "（《行政许可法》第四十五条）",
    "live": "实时统计：在办=当前停留件数，超期=已超环节时限件数，平均=平均用时（工作日）",
}
_IGNORED = frozenset({
    "extensionElements", "documentation", "laneSet", "ioSpecification", "ioBinding", "property",
    "sequenceFlow", "association", "auditing", "monitoring", "supports", "performer",
    "humanPerformer", "potentialOwner", "resourceRole", "correlationSubscription",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "dataInputAssociation",
    "dataOutputAssociation", "incoming", "outgoing", "completionCondition", "messageFlow",
    "participant", "correlationKey", "participantAssociation", "messageFlowAssociation",
    "conversationAssociation", "conversationLink", "categoryValueRef", "lane", "flowNodeRef",
})
_ROOT_KNOWN = frozenset({
    "process", "collaboration", "import", "extension", "itemDefinition", "message", "error",
    "escalation", "signal", "interface", "dataStore", "resource", "category",
    "correlationProperty", "endPoint", "partnerEntity", "partnerRole", "relationship",
    "documentation", "extensionElements", "globalTask", "globalUserTask", "globalScriptTask",
    "globalManualTask", "globalBusinessRuleTask", *TRIGGERS,
})
NAME_LIMIT = 60  # characters of a name shown on the chart; the rest is cut, ending in "…"
TEXT_LIMIT = 240  # characters of a text annotation shown
UNNAMED = "（未命名）"  # an activity without a name, e.g. as bpmn.io writes a new task


def clip(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


_CONDITION = re.compile(r"""^\s*\$?\{?\s*(\w+)\s*==\s*["'](\w+)["']\s*\}?\s*$""")


def _local(el: etree._Element) -> str | None:
    """The local name of a BPMN-namespace element; None for vendor elements and comments."""
    if not isinstance(el.tag, str):
        return None
    q = etree.QName(el)
    return q.localname if q.namespace == BPMN_NS else None


def _name(el: etree._Element) -> str:
    return " ".join((el.get("name") or "").split())


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def limit_text(days: int | None, none_text: str = "") -> str:
    """A time limit in the words of the service guide: "时限 N 个工作日" style, 0 → on the spot."""
    if days is None:
        return none_text
    return "当场办结 / 即办" if days == 0 else f"{days} 个工作日"


def stats_text(s: StepStats) -> str:
    """Two label lines: cases waiting and overdue now, and the average working days taken."""
    avg = "—" if s.avg_days is None else f"{s.avg_days:.1f} 个工作日"
    return f"在办 {s.waiting} 件 · 超期 {s.overdue} 件\n平均用时 {avg}"


def deemed_rule_text(power: Power) -> str:
    if power.deemed_approval:
        return ("适用：承诺时限届满仍未作出决定、且无法定停止计时事由的，视为准予（超时默许），"
                "并追究超时岗位和人员的责任")
    if power.renewal:
        return "适用：有效期届满前未作出是否准予延续决定的，视为准予延续（《行政许可法》第五十条）"
    return "不适用"


# --- extraction -----------------------------------------------------------------------------


class _Builder:
    """Walks one tree once, in document order, collecting clusters, nodes and edges."""

    def __init__(self, root: etree._Element, stats: Mapping[str, StepStats] | None) -> None:
        self.root = root
        self.stats = stats or {}
        self.by_id: dict[str, etree._Element] = {}
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") and el.get("id") not in self.by_id:
                self.by_id[el.get("id", "")] = el
        self.object_ref: dict[str, str] = {}  # dataObject id → its first reference's id
        for el in root.iter(f"{{{BPMN_NS}}}dataObjectReference"):
            obj = (el.get("dataObjectRef") or "").strip()
            if obj and obj not in self.object_ref:
                self.object_ref[obj] = (el.get("id") or "").strip()
        self.referenced_objects = set(self.object_ref)
        self.clusters: list[Cluster] = []
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.anon = 0

    # ids ---------------------------------------------------------------------------------
    def _id(self, el: etree._Element, local: str) -> str:
        raw = (el.get("id") or "").strip()
        if raw and raw not in self.nodes and all(c.id != raw for c in self.clusters):
            return raw
        self.anon += 1
        return f"{raw or local}~{self.anon}"  # missing or duplicate id: still drawn

    # containers --------------------------------------------------------------------------
    def lanes(self, container: etree._Element, parent: str) -> dict[str, tuple[str, str]]:
        """Lane clusters of a process or sub-process; node id → (lane id, lane name)."""
        placed: dict[str, tuple[str, str]] = {}

        def walk(lane_set: etree._Element, parent_id: str) -> None:
            for lane in lane_set:
                if _local(lane) != "lane":
                    continue
                lid = self._id(lane, "lane")
                name = _name(lane)  # an unnamed lane is drawn without a label, and is no post
                self.clusters.append(Cluster(lid, "lane", clip(name), parent_id))
                for ref in lane:
                    if _local(ref) == "flowNodeRef" and ref.text and ref.text.strip():
                        placed[ref.text.strip()] = (lid, name)
                for child in lane:
                    if _local(child) == "childLaneSet":
                        walk(child, lid)  # after the parent's refs: the innermost lane wins

        for child in container:
            if _local(child) == "laneSet":
                walk(child, parent)
        return placed

    def container(self, el: etree._Element, cluster: str, post: str | None) -> None:
        lanes = self.lanes(el, cluster)
        for child in el:
            local = _local(child)
            if local is None:
                continue
            cid = (child.get("id") or "").strip()
            lane = lanes.get(cid)
            where, here_post = (lane[0], lane[1] or None) if lane else (cluster, post)
            if local in FLOW_NODE_TAGS:
                self.flow_node(child, local, where, here_post)
            elif local == "sequenceFlow":
                self.sequence_flow(child)
            elif local == "association":
                self.association(child)
            elif local in ARTIFACT_KINDS:
                if local == "dataObject" and cid in self.referenced_objects:
                    continue  # drawn through its dataObjectReference
                self.artifact(child, local, where, here_post)
            elif local == "ioSpecification" and _local(el) == "process":
                for io in child:
                    io_local = _local(io)
                    if io_local in ("dataInput", "dataOutput"):
                        kind = "data_input" if io_local == "dataInput" else "data_output"
                        self.add(io, kind, io_local, where, here_post)
            elif local not in _IGNORED:
                self.add(child, "unknown", local, where, here_post)

    # nodes -------------------------------------------------------------------------------
    def add(self, el: etree._Element, kind: str, local: str, cluster: str | None,
            post: str | None, **extra: object) -> Node:
        nid = self._id(el, local)
        node = Node(id=nid, kind=kind, label="", name=_name(el), post=post, element_tag=local,
                    cluster=cluster, **extra)  # type: ignore[arg-type]
        self.nodes[nid] = node
        return node

    def flow_node(self, el: etree._Element, local: str, cluster: str, post: str | None) -> None:
        markers: list[str] = []
        extra: dict[str, object] = {}
        if local in EVENT_KINDS:
            kind = EVENT_KINDS[local]
            extra["trigger"] = self.trigger(el)
            if local == "boundaryEvent":
                extra["attached_to"] = (el.get("attachedToRef") or "").strip() or None
                if (el.get("cancelActivity") or "true").strip().lower() == "false":
                    markers.append("non_interrupting")
            if local == "startEvent" and (el.get("isInterrupting") or "").lower() == "false":
                markers.append("non_interrupting")
            extra["result"] = el.get(sun("result"))
            extra["deadline"] = el.get(sun("deadline"))
        elif local in GATEWAY_KINDS:
            kind = GATEWAY_KINDS[local]
        else:
            kind = TASK_KINDS.get(local) or CONTAINER_KINDS[local]
            if local == "subProcess" and (el.get("triggeredByEvent") or "").lower() == "true":
                kind = "event_subprocess"
            for child in el:
                loop = _local(child)
                if loop == "standardLoopCharacteristics":
                    markers.append("loop")
                elif loop == "multiInstanceLoopCharacteristics":
                    seq = (child.get("isSequential") or "").lower() == "true"
                    markers.append("mi_sequential" if seq else "mi_parallel")
            if (el.get("isForCompensation") or "").lower() == "true":
                markers.append("compensation")
            counted = (el.get(sun("counted")) or "true").strip().lower() not in ("false", "0", "no")
            if not counted:
                markers.append("not_counted")
            extra.update(time_limit=_int(el.get(sun("timeLimit"))), counted=counted,
                         special=el.get(sun("special")), role=el.get(sun("step")))
        node = self.add(el, kind, local, cluster, post, markers=tuple(markers), **extra)
        if node.id in self.stats:
            self.nodes[node.id] = replace(node, stats=self.stats[node.id])
        self.data_associations(el, node.id)
        if node.attached_to:
            self.edges.append(Edge(f"{node.id}::attached", node.attached_to, node.id, "attachment",
                                   directed=False))
        if local in CONTAINER_KINDS:
            inner = [c for c in el if _local(c) in (*FLOW_NODE_TAGS, *ARTIFACT_KINDS)]
            if inner:
                label = clip(node.name) or TYPE_TEXT[kind]
                self.clusters.append(Cluster(node.id, kind, label, cluster))
                self.container(el, node.id, post)
            else:
                self.nodes[node.id] = replace(node, markers=(*node.markers, "collapsed"))

    def trigger(self, el: etree._Element) -> str:
        found: list[str] = []
        for child in el:
            local = _local(child)
            if local in TRIGGERS:
                found.append(TRIGGERS[local])
            elif local == "eventDefinitionRef" and child.text:
                ref = self.by_id.get(child.text.strip())
                ref_local = _local(ref) if ref is not None else None
                if ref_local in TRIGGERS:
                    found.append(TRIGGERS[ref_local])
        if not found:
            return "none"
        if len(found) > 1:
            parallel = (el.get("parallelMultiple") or "").lower() == "true"
            return "parallel_multiple" if parallel else "multiple"
        return found[0]

    def artifact(self, el: etree._Element, local: str, cluster: str | None,
                 post: str | None) -> None:
        kind = ARTIFACT_KINDS[local]
        node = self.add(el, kind, local, cluster, None)
        if kind == "annotation":
            text = el.find(f"{{{BPMN_NS}}}text")
            words = " ".join((text.text or "").split()) if text is not None else ""
            self.nodes[node.id] = replace(node, name=words or node.name)
        elif kind == "group":
            ref = self.by_id.get((el.get("categoryValueRef") or "").strip())
            value = (ref.get("value") or "").strip() if ref is not None else ""
            self.nodes[node.id] = replace(node, name=node.name or value)
        elif local == "dataObjectReference" and not node.name:
            obj = self.by_id.get((el.get("dataObjectRef") or "").strip())
            if obj is not None:
                self.nodes[node.id] = replace(node, name=_name(obj))

    # edges -------------------------------------------------------------------------------
    def sequence_flow(self, el: etree._Element) -> None:
        fid = (el.get("id") or "").strip()
        cond = el.find(f"{{{BPMN_NS}}}conditionExpression")
        cond_text = (cond.text or "").strip() if cond is not None else ""
        label = clip(_name(el))
        m = _CONDITION.match(cond_text)
        if not label and m:
            label = CONDITION_TEXT.get((m.group(1), m.group(2)), "")
        source = (el.get("sourceRef") or "").strip()
        src_el = self.by_id.get(source)
        is_default = bool(fid) and src_el is not None and (src_el.get("default") or "") == fid
        self.edges.append(Edge(fid or f"flow~{len(self.edges)}", source,
                               (el.get("targetRef") or "").strip(), "sequence", label=label,
                               default=is_default, conditional=bool(cond_text)))

    def association(self, el: etree._Element, kind: str = "association") -> None:
        direction = (el.get("associationDirection") or "None").strip()
        self.edges.append(Edge((el.get("id") or "").strip() or f"assoc~{len(self.edges)}",
                               (el.get("sourceRef") or "").strip(),
                               (el.get("targetRef") or "").strip(), kind, label=clip(_name(el)),
                               directed=direction in ("One", "Both")))

    def data_associations(self, el: etree._Element, node_id: str) -> None:
        """Data in and out of an element; refs to an activity's own ioSpecification are
        internal to it and not drawn (bpmn-js writes a ``__targetRef_placeholder`` property)."""
        for child in el:
            local = _local(child)
            if local not in ("dataInputAssociation", "dataOutputAssociation"):
                continue
            aid = (child.get("id") or "").strip() or f"data~{len(self.edges)}"
            wanted = "sourceRef" if local == "dataInputAssociation" else "targetRef"
            refs = [self.data_node(r.text.strip()) for r in child
                    if _local(r) == wanted and r.text and r.text.strip()]
            pairs = [(ref, node_id) if wanted == "sourceRef" else (node_id, ref)
                     for ref in refs if ref is not None]
            for i, (source, target) in enumerate(pairs):
                self.edges.append(Edge(aid if i == 0 else f"{aid}~{i}", source, target, "data"))

    def data_node(self, ref: str) -> str | None:
        """The drawn node a data association points at, or None for activity-internal data."""
        el = self.by_id.get(ref)
        local = _local(el) if el is not None else None
        if local in ("dataObjectReference", "dataStoreReference"):
            return ref
        if local == "dataObject":  # drawn itself, or through its first reference
            return self.object_ref.get(ref, ref)
        if local in ("dataInput", "dataOutput") and el is not None:
            spec = el.getparent()
            owner = spec.getparent() if spec is not None else None
            return ref if owner is not None and _local(owner) == "process" else None
        return None

    # collaboration -----------------------------------------------------------------------
    def collaboration(self, collab: etree._Element, drawn: set[str]) -> None:
        for child in collab:
            local = _local(child)
            if local is None:
                continue
            if local == "participant":
                pid = (child.get("id") or "").strip()
                if pid not in drawn:  # a black-box pool, or a process with nothing to draw
                    self.add(child, "participant", local, None, None)
            elif local == "messageFlow":
                self.association(child, "message")
            elif local == "association":
                self.association(child)
            elif local == "conversationLink":
                self.association(child)
            elif local in ARTIFACT_KINDS:
                self.artifact(child, local, None, None)
            elif local not in _IGNORED:
                self.add(child, "unknown", local, None, None)


def _has_content(process: etree._Element) -> bool:
    return any(_local(c) in (*FLOW_NODE_TAGS, *ARTIFACT_KINDS) for c in process)


def extract(
    tree: etree._ElementTree,
    stats: Mapping[str, StepStats] | None = None,
    process_id: str | None = None,
) -> Diagram:
    """The flowchart of a parsed BPMN definition (all its pools, or the one ``process_id``).

    ``stats`` (step id → StepStats) adds the live figures to each step's label.
    """
    root = tree.getroot()
    b = _Builder(root, stats)
    procs = [p for p in processes(tree) if process_id in (None, p.get("id"))]
    collabs = [] if process_id else [c for c in root if _local(c) == "collaboration"]
    participant_of: dict[str, etree._Element] = {}
    for collab in [c for c in root if _local(c) == "collaboration"]:
        for part in collab:
            ref = (part.get("processRef") or "").strip()
            if _local(part) == "participant" and ref and ref not in participant_of:
                participant_of[ref] = part
    power = next((p for p in (read_power(proc) for proc in procs) if p is not None), None)

    drawn: set[str] = set()
    for proc in procs:
        part = participant_of.get(proc.get("id", ""))
        if not _has_content(proc) and part is not None:
            continue  # drawn as a black-box participant
        cid = b._id(part if part is not None else proc, "process")
        own = read_power(proc)
        label = clip((_name(part) if part is not None else "") or (own.name if own else "")
                     or _name(proc) or cid)
        b.clusters.append(Cluster(cid, "pool", label, None))
        drawn.add(cid)
        b.container(proc, cid, None)
    for collab in collabs:
        b.collaboration(collab, drawn)
    if not process_id:
        for child in root:
            local = _local(child)
            if local is not None and local not in _ROOT_KNOWN and local not in _IGNORED:
                b.add(child, "unknown", local, None, None)

    _resolve_missing(b)
    for n in list(b.nodes.values()):  # a boundary event sits beside its host, in its lane
        host = b.nodes.get(n.attached_to or "")
        if host is not None and host.cluster != n.cluster:
            b.nodes[n.id] = replace(n, cluster=host.cluster, post=host.post)
    _place_annotations(b)
    nodes, edges = _mark_paths(list(b.nodes.values()), b.edges)
    legend = _legend(power, nodes, bool(stats))
    nodes = [replace(n, label=_label(n)) for n in nodes]
    pools = [c.label for c in b.clusters if c.kind == "pool"]
    named = [_name(p) for p in procs if _name(p)]
    collab_names = [_name(c) for c in collabs if _name(c)]
    title = (power.name if power else "") or (named[0] if len(procs) == 1 and named else "") \
        or _name(root) or (collab_names[0] if collab_names else "") \
        or " · ".join(pools[:3]) or "BPMN"
    return Diagram(clip(title), tuple(b.clusters), tuple(nodes), tuple(edges), legend)


def _place_annotations(b: _Builder) -> None:
    """A text annotation goes into the cluster of the first element it is associated with,
    so that it is drawn beside that element rather than wherever its pool has room (a pool
    or lane it annotates keeps it where the file put it)."""
    edges = {e.id: e for e in b.edges}
    placed: set[str] = set()
    for e in b.edges:
        if e.kind != "association":
            continue
        for note_id, other in ((e.target, e.source), (e.source, e.target)):
            note = b.nodes.get(note_id)
            if note is None or note.kind != "annotation" or note_id in placed:
                continue
            placed.add(note_id)
            for _ in range(len(edges)):  # an annotation on a flow sits by the flow's target
                if other not in edges:
                    break
                other = edges[other].target
            target = b.nodes.get(other)  # an expanded sub-process: beside its box
            if target is not None and target.kind != "annotation":
                b.nodes[note_id] = replace(note, cluster=target.cluster)
            break


def _resolve_missing(b: _Builder) -> None:
    """An edge naming an element that is not in the file still shows where it points."""
    known = set(b.nodes) | {c.id for c in b.clusters} | {e.id for e in b.edges}
    edges = []
    for e in b.edges:
        ends = []
        for ref in (e.source, e.target):
            if ref not in known:
                rid = ref or f"missing~{len(b.nodes)}"
                label = f"未找到的元素 {ref}" if ref else "未指明的元素"
                b.nodes[rid] = Node(rid, "unknown", "", name=label, element_tag="missing")
                known.add(rid)
                ref = rid
            ends.append(ref)
        edges.append(replace(e, source=ends[0], target=ends[1]) if ends != [e.source, e.target]
                     else e)
    b.edges = edges


def _mark_paths(nodes: list[Node], edges: list[Edge]) -> tuple[list[Node], list[Edge]]:
    """Mark the deemed-approval (超时默许) and supplement (补正) paths, nodes and edges."""
    seq = [e for e in edges if e.kind == "sequence"]
    out: dict[str, list[str]] = {}
    for e in seq:
        out.setdefault(e.source, []).append(e.target)

    def reach(starts: list[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(out.get(n, ()))
        return seen

    def is_deemed_timer(n: Node) -> bool:
        return n.kind == "boundary" and (
            n.deadline in DEEMED_DEADLINES or "默许" in n.name or "视为准予" in n.name)

    timers = [n.id for n in nodes if is_deemed_timer(n)]
    deemed_ends = {n.id for n in nodes if n.result == "deemed_approved"}
    targets = {e.target for e in seq}
    roots = [n.id for n in nodes if n.kind in EVENT_KINDS.values() or n.kind in TASK_KINDS.values()
             or n.kind.startswith("gateway") or n.kind in CONTAINER_KINDS.values()]
    roots = [r for r in roots if r not in targets and r not in timers]
    normal = reach(roots)
    deemed_reach = reach(timers)
    deemed_only = (deemed_reach - normal) | set(timers) | deemed_ends
    supplement = {n.id for n in nodes if n.role == "supplement"
                  or (n.kind in TASK_KINDS.values() and "补正" in n.name)}

    new_edges = []
    for e in edges:
        if e.kind == "sequence":
            if e.source in deemed_only - deemed_ends or e.target in deemed_ends:
                e = replace(e, marked="deemed")
            elif e.source in supplement or e.target in supplement or "补正" in e.label:
                e = replace(e, marked="supplement")
        new_edges.append(e)
    new_nodes = []
    for n in nodes:
        extra: tuple[str, ...] = ()
        if n.id in deemed_only:
            renewal = n.deadline == "renewal" or "延续" in n.name
            extra = ("renewal",) if renewal else ("deemed",)
        elif n.id in supplement:
            extra = ("supplement",)
        new_nodes.append(replace(n, markers=(*n.markers, *extra)) if extra else n)
    return new_nodes, new_edges


def _legend(power: Power | None, nodes: list[Node], live: bool) -> Legend | None:
    present = {m for n in nodes for m in n.markers}
    key = [(m, KEY_TEXT[m]) for m in ("deemed", "supplement", "not_counted") if m in present
           or (m == "deemed" and "renewal" in present)]
    if live:
        key.append(("live", KEY_TEXT["live"]))
    if power is None:
        return Legend(key=tuple(key), live=live) if key else None
    return Legend(
        power_name=clip(power.name), code=clip(power.code), category=clip(power.category),
        unit=clip(power.unit), mode=clip(power.mode), statutory_limit=power.statutory_limit,
        promised_limit=power.promised_limit,
        statutory_text=limit_text(power.statutory_limit, "法律未规定"),
        promised_text=limit_text(power.promised_limit, "未承诺"),
        deemed_approval=power.deemed_approval, deemed_rule=deemed_rule_text(power),
        key=tuple(key), live=live,
    )


def _label(n: Node) -> str:
    """The text a citizen reads on the node, first line the name."""
    if n.kind == "unknown":
        lines = [clip(n.name or n.id), f"〈{clip(n.element_tag)}〉"]
        return "\n".join(lines)
    if n.kind == "annotation":
        return clip(n.name, TEXT_LIMIT)
    activity = n.kind in TASK_KINDS.values() or n.kind in TYPE_TEXT
    name = clip(n.name) or DEFAULT_NAME.get(n.kind, "") or (UNNAMED if activity else "")
    if n.kind in ("end",) and not n.name and n.result in RESULT_TEXT:
        name = RESULT_TEXT[n.result or ""]
    lines = [name] if name else []
    if n.trigger and n.trigger != "none":
        lines.append(TRIGGER_TEXT[n.trigger])
    if n.kind in TYPE_TEXT and (n.kind != "subprocess" or "collapsed" in n.markers):
        lines.append(f"〔{TYPE_TEXT[n.kind]}〕")
    if n.post and activity:
        lines.append(f"岗位：{clip(n.post)}")
    if n.time_limit is not None:
        lines.append("当场办结 / 即办" if n.time_limit == 0 else f"时限 {n.time_limit} 个工作日")
    for m in n.markers:
        if m == "not_counted":
            lines.append(f"不计时（{clip(n.special, 20)}）" if n.special else "不计时")
        elif m in ("deemed", "renewal") and n.kind in ("boundary", "end"):
            if MARKERS[m] not in name:
                lines.append(MARKERS[m])
        elif m == "supplement":
            lines.append("【补正】")
        elif m in ("loop", "mi_parallel", "mi_sequential", "compensation", "non_interrupting"):
            lines.append(f"（{MARKERS[m]}）")
    if n.stats is not None:
        lines.append(stats_text(n.stats))
    return "\n".join(lines)


__all__ = [
    "StepStats", "Cluster", "Node", "Edge", "Legend", "Diagram", "extract",
    "NODE_KINDS", "FLOW_NODE_TAGS", "TRIGGER_TEXT", "MARKERS", "KEY_TEXT",
    "limit_text", "stats_text", "deemed_rule_text",
]
