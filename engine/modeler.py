"""What the web modeler needs to know about a BPMN file beyond lint: its ``sunshine:`` content as
flat keys, its outline (steps, posts, limits, catalogue entry, flows, timers), and what changed
between two outlines, in a designer's words.

bpmn-js keeps an extension element only if its moddle descriptor declares it
(adapters/web/static/modeler-sunshine.json) and drops the rest without a word on save. So a
save from the modeler is compared key by key with the file it came from (``lost_content``): any
``sunshine:`` attribute, element or text that is gone or different — and that the designer did
not change through the side form — refuses the save, naming the element and what would be lost.

Keys look like ``decision@timeLimit`` (an attribute on the element with id ``decision``),
``food_business_licence/power@code``, ``food_business_licence/power/material[2]@key`` and
``food_business_licence/power/legalBasis`` (text): the id of the nearest element that has one,
then the ``sunshine:`` elements below it, numbered among siblings of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from engine.catalogue import lane_of, read_power
from engine.errors import DefinitionError
from engine.formfields import read_fields
from engine.xmlsafe import BPMN_NS, SUNSHINE_NS, bpmn


class ContentLost(DefinitionError):
    """A save would lose ``sunshine:`` content the designer did not change (``lost``)."""

    code = "content_lost"

    def __init__(self, lost: list[Loss], file: str | None = None) -> None:
        self.lost = lost
        shown = "；".join(str(x) for x in lost[:8])
        more = f"（另有 {len(lost) - 8} 处）" if len(lost) > 8 else ""
        super().__init__(
            f"保存会丢失 sunshine: 内容，已拒绝保存 (the save would lose sunshine: content): "
            f"{shown}{more} — 模型器未保留这些内容，请重新打开原文件，在右侧表单中修改后再保存",
            file=file)


@dataclass(frozen=True)
class Loss:
    """One ``sunshine:`` value the saved file no longer has as the stored one had it."""

    key: str
    before: str
    after: str | None  # None: gone

    def __str__(self) -> str:
        return f"{describe_key(self.key)}" + (
            f"（“{_short(self.before)}”）将被删除" if self.after is None else
            f"将由“{_short(self.before)}”变为“{_short(self.after)}”")


def describe_key(key: str) -> str:
    """``decision@timeLimit`` → 元素 decision 的 sunshine:timeLimit; a nested key names its
    path: 元素 p 的 sunshine:power/sunshine:material[2] 的 key."""
    owner = re.split(r"[/@]", key, maxsplit=1)[0]
    rest = key[len(owner):]
    if rest.startswith("@"):
        return f"元素 {owner} 的 sunshine:{rest[1:]} "
    path, _, attr = rest[1:].partition("@")
    where = "/".join("sunshine:" + part for part in path.split("/"))
    return f"元素 {owner} 的 {where} 的" + (f" {attr} " if attr else "文字")


def _short(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"


def _owner(el: etree._Element) -> str:
    node: etree._Element | None = el
    while node is not None:
        if node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return "definitions"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def sunshine_content(root: etree._Element) -> dict[str, str]:
    """Every ``sunshine:`` attribute, element attribute and text of a file, as flat keys."""
    out: dict[str, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace == SUNSHINE_NS:
            continue  # read with its topmost sunshine: ancestor below
        for name, value in el.attrib.items():
            q = etree.QName(name)
            if q.namespace == SUNSHINE_NS:
                out[f"{_owner(el)}@{q.localname}"] = value
        counts: dict[str, int] = {}
        for child in el.iter():
            if child is el or not isinstance(child.tag, str):
                continue
            if etree.QName(child).namespace != SUNSHINE_NS:
                continue
            parent = child.getparent()
            if parent is not None and etree.QName(parent).namespace == SUNSHINE_NS:
                continue  # nested: written by its sunshine: parent
            if _owner(child) != _owner(el) or not _under_only_bpmn(child, el):
                continue
            name = _local(child)
            counts[name] = counts.get(name, 0) + 1
            _element_keys(child, f"{_owner(el)}/{_indexed(child, name, counts[name])}", out)
    return out


def _under_only_bpmn(child: etree._Element, el: etree._Element) -> bool:
    """True if ``child`` hangs off ``el`` through BPMN elements without ids of their own
    (``extensionElements``), so it is read once, with the nearest element that has an id."""
    node = child.getparent()
    while node is not None and node is not el:
        if node.get("id") or etree.QName(node).namespace != BPMN_NS:
            return False
        node = node.getparent()
    return node is el


def _indexed(el: etree._Element, name: str, n: int) -> str:
    parent = el.getparent()
    same = [c for c in parent if isinstance(c.tag, str) and c.tag == el.tag] if parent is not None \
        else [el]
    return name if len(same) == 1 else f"{name}[{n}]"


def _element_keys(el: etree._Element, path: str, out: dict[str, str]) -> None:
    for name, value in el.attrib.items():
        out[f"{path}@{etree.QName(name).localname}"] = value
    text = (el.text or "").strip()
    if text:
        out[path] = text
    counts: dict[str, int] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        counts[name] = counts.get(name, 0) + 1
        _element_keys(child, f"{path}/{_indexed(child, name, counts[name])}", out)


def element_ids(root: etree._Element) -> set[str]:
    return {str(el.get("id")) for el in root.iter() if isinstance(el.tag, str) and el.get("id")}


def lost_content(before: dict[str, str], after: dict[str, str], after_ids: set[str], *,
                 edited: Iterable[str] = ()) -> list[Loss]:
    """What ``after`` lost or changed of ``before``: keys the designer did not edit through the
    side form (``edited``), on elements that are still in the file (deleting a step in the
    diagram takes its settings with it, deliberately)."""
    skip = set(edited)
    lost = []
    for key, value in before.items():
        owner = key.split("/")[0].split("@")[0]
        if key in skip or (owner not in after_ids and owner != "definitions"):
            continue
        now = after.get(key)
        if now is None or now.strip() != value.strip():
            lost.append(Loss(key, value, now))
    return lost


def changed_keys(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The keys whose value differs (added, removed or changed): what a side-form edit did."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


# -- the outline: what a version of a power is, for comparing two ------------------------------


@dataclass(frozen=True)
class Node:
    """A flow node: its kind (userTask, exclusiveGateway …), name, lane and Sunshine settings."""

    id: str
    kind: str
    name: str
    lane: str | None
    settings: tuple[tuple[str, str], ...] = ()  # sunshine: attributes, sorted
    attached_to: str | None = None  # boundary events
    timer: str | None = None  # a timer's expression (timeDate / timeDuration / timeCycle)
    fields: tuple[str, ...] = ()  # a user task's form fields, "name:type[!]{options}"


@dataclass(frozen=True)
class Flow:
    """A sequence flow: its ends, name and condition; ``default`` if its gateway's default."""

    id: str
    source: str
    target: str
    name: str
    condition: str
    default: bool = False


@dataclass(frozen=True)
class Outline:
    """What one BPMN file says, as the modeler compares it: the catalogue entry, posts, nodes
    and flows of its processes (every process of the file, keyed by element id)."""

    power: dict[str, str] = field(default_factory=dict)  # sunshine:power, flat keys
    posts: dict[str, str] = field(default_factory=dict)  # post name → duties
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)


_NODE_KINDS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
_TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")


def outline(root: etree._Element) -> Outline:
    """The outline of a parsed BPMN file (``parse_bpmn_bytes(...).getroot()``)."""
    power: dict[str, str] = {}
    posts: dict[str, str] = {}
    nodes: dict[str, Node] = {}
    flows: dict[str, Flow] = {}
    content = sunshine_content(root)
    for process in root.findall(bpmn("process")):
        pid = process.get("id") or ""
        prefix = f"{pid}/power"
        power.update({k[len(pid) + 1:]: v for k, v in content.items()
                      if k.startswith(prefix + "@") or k.startswith(prefix + "/")})
        p = read_power(process)
        if p is not None:
            posts.update({post.name: post.duties for post in p.posts})
        lanes = lane_of(process)
        defaults = {el.get("default") for el in process.iter() if el.get("default")}
        for el in process.iter():
            if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
                continue
            kind = _local(el)
            eid = el.get("id") or ""
            if kind in _NODE_KINDS:
                settings = tuple(sorted((etree.QName(k).localname, v) for k, v in el.attrib.items()
                                        if etree.QName(k).namespace == SUNSHINE_NS))
                timer = None
                definition = el.find(bpmn("timerEventDefinition"))
                if definition is not None:
                    parts = [f"{_local(c)}={(c.text or '').strip()}" for c in definition
                             if isinstance(c.tag, str) and _local(c) in _TIMER_PARTS]
                    timer = "; ".join(parts) or "timer"
                fields = tuple(
                    f"{f.name}:{f.type}{'!' if f.required else ''}"
                    + ("{" + ",".join(f"{o.value}={o.label}" for o in f.options) + "}"
                       if f.options else "") + (f"({f.label})" if f.label else "")
                    for f in read_fields(el)) if kind == "userTask" else ()
                nodes[eid] = Node(eid, kind, (el.get("name") or "").strip(), lanes.get(eid),
                                  settings, el.get("attachedToRef"), timer, fields)
            elif kind == "sequenceFlow":
                cond = el.find(bpmn("conditionExpression"))
                flows[eid] = Flow(eid, el.get("sourceRef") or "", el.get("targetRef") or "",
                                  (el.get("name") or "").strip(),
                                  (cond.text or "").strip() if cond is not None else "",
                                  eid in defaults)
    return Outline(power=power, posts=posts, nodes=nodes, flows=flows)


# -- comparing two outlines ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between two versions, in words: ``area`` is 事项信息, 岗位, 环节, 节点 or
    连线; ``kind`` is added, removed or changed; ``element`` the id to highlight, if any."""

    area: str
    kind: str
    element: str | None
    text: str


POWER_LABELS = {
    "power@code": "事项编码", "power@name": "事项名称", "power@shortName": "简称",
    "power@category": "权力类别", "power@unit": "实施主体", "power@mode": "办件类型",
    "power@statutoryLimit": "法定时限", "power@promisedLimit": "承诺时限",
    "power@deemedApproval": "超时默许", "power@public": "是否公开", "power@renewal": "延续事项",
    "power@kind": "事项种类", "power/legalBasis": "设定依据", "power/conditions": "申请条件",
    "power/leader": "分管领导", "power/section": "承办机构", "power/address": "办理地点",
    "power/hours": "办理时间", "power/consultPhone": "咨询电话", "power/complaintPhone": "投诉电话",
    "power/result@name": "审批结果", "power/result@validityYears": "证件有效期（年）",
}
SETTING_LABELS = {"timeLimit": "时限", "step": "环节角色", "counted": "计时", "special": "特别程序",
                  "department": "部门", "absentConsent": "缺席默认", "organ": "上报机关",
                  "result": "办结结果", "deadline": "触发时限"}
KIND_LABELS = {"userTask": "环节", "startEvent": "开始事件", "endEvent": "结束事件",
               "boundaryEvent": "边界事件", "exclusiveGateway": "排他网关",
               "parallelGateway": "并行网关", "inclusiveGateway": "包容网关"}


def _q(text: str) -> str:
    return f"“{_short(text, 60)}”"


def _node_words(n: Node) -> str:
    label = KIND_LABELS.get(n.kind, n.kind)
    words = f"{label}{_q(n.name or n.id)}（{n.id}）"
    if n.kind == "userTask":
        limit = dict(n.settings).get("timeLimit")
        words += f"，岗位 {n.lane or '（无）'}" + (f"，时限 {limit} 个工作日" if limit else "")
    return words


def _power_label(key: str) -> str:
    if key in POWER_LABELS:
        return POWER_LABELS[key]
    group = key.split("/")[1].split("[")[0].split("@")[0] if "/" in key else key
    return {"material": "申请材料", "fee": "收费", "post": "岗位职责", "nonPublic": "不公开备案",
            }.get(group, key)


def compare_outlines(a: Outline, b: Outline) -> list[Change]:
    """What changed from version ``a`` to version ``b``: metadata, posts, steps and other
    nodes, flows — each added, removed or changed, in words."""
    out: list[Change] = []
    for key in sorted(set(a.power) | set(b.power)):
        group = key.split("/")[1].split("[")[0].split("@")[0] if "/" in key else ""
        if group in ("material", "fee", "post") or a.power.get(key) == b.power.get(key):
            continue  # repeated entries are compared by name below; posts with the lanes
        label = _power_label(key)
        before, after = a.power.get(key), b.power.get(key)
        if before is None:
            out.append(Change("事项信息", "added", None, f"新增{label}：{_q(after or '')}"))
        elif after is None:
            out.append(Change("事项信息", "removed", None, f"删除{label}（原为{_q(before)}）"))
        else:
            out.append(Change("事项信息", "changed", None, f"{label}由{_q(before)}改为{_q(after)}"))
    for group, label, words in (("material", "申请材料", _material_words),
                                ("fee", "收费", _fee_words)):
        ra, rb = _entries(a.power, group), _entries(b.power, group)
        for name, row in rb.items():
            if name not in ra:
                out.append(Change("事项信息", "added", None, f"新增{label}{_q(name)}{words(row)}"))
            elif ra[name] != row:
                out.append(Change("事项信息", "changed", None,
                                  f"{label}{_q(name)}由{words(ra[name])}改为{words(row)}"))
        for name in ra:
            if name not in rb:
                out.append(Change("事项信息", "removed", None, f"删除{label}{_q(name)}"))
    for name in sorted(set(a.posts) | set(b.posts)):
        if name not in a.posts:
            out.append(Change("岗位", "added", None, f"新增岗位{_q(name)}"))
        elif name not in b.posts:
            out.append(Change("岗位", "removed", None, f"删除岗位{_q(name)}"))
        elif a.posts[name] != b.posts[name]:
            out.append(Change("岗位", "changed", None, f"岗位{_q(name)}的职责改为"
                                                      f"{_q(b.posts[name])}"))
    for nid in list(b.nodes) + [n for n in a.nodes if n not in b.nodes]:
        na, nb = a.nodes.get(nid), b.nodes.get(nid)
        area = "环节" if (nb or na) and (nb or na).kind == "userTask" else "节点"  # type: ignore[union-attr]
        if na is None and nb is not None:
            out.append(Change(area, "added", nid, "新增" + _node_words(nb)))
        elif nb is None and na is not None:
            out.append(Change(area, "removed", nid, "删除" + _node_words(na)))
        elif na is not None and nb is not None and na != nb:
            out.append(Change(area, "changed", nid, _node_changes(na, nb)))
    for fid in list(b.flows) + [f for f in a.flows if f not in b.flows]:
        fa, fb = a.flows.get(fid), b.flows.get(fid)
        if fa is None and fb is not None:
            out.append(Change("连线", "added", fid, f"新增连线 {fid}：{_flow_words(fb, b)}"))
        elif fb is None and fa is not None:
            out.append(Change("连线", "removed", fid, f"删除连线 {fid}：{_flow_words(fa, a)}"))
        elif fa is not None and fb is not None and fa != fb:
            out.append(Change("连线", "changed", fid,
                              f"连线 {fid} 由 {_flow_words(fa, a)} 改为 {_flow_words(fb, b)}"))
    return out


def _entries(power: dict[str, str], group: str) -> dict[str, dict[str, str]]:
    """Repeated entries of the catalogue entry (materials, fees) by name, with their flags."""
    rows: dict[str, dict[str, str]] = {}
    for key, value in power.items():
        parts = key.split("/")
        if len(parts) != 2 or parts[1].split("[")[0].split("@")[0] != group:
            continue
        base, _, attr = parts[1].partition("@")
        rows.setdefault(base, {})[attr or "text"] = value
    return {(r.get("name") or r.get("text") or "").strip(): r for r in rows.values()}


def _material_words(row: dict[str, str]) -> str:
    key = (row.get("key") or "true").lower() in ("true", "1", "yes", "是")
    commitment = (row.get("commitment") or "").lower() in ("true", "1", "yes", "是")
    return f"（{'关键材料' if key else '非关键材料，可容缺后补'}{'，可承诺替代' if commitment else ''}）"


def _fee_words(row: dict[str, str]) -> str:
    return f"（依据：{row['basis']}）" if row.get("basis") else "（未写依据）"


def _node_changes(a: Node, b: Node) -> str:
    parts = []
    if a.name != b.name:
        parts.append(f"名称由{_q(a.name)}改为{_q(b.name)}")
    if a.kind != b.kind:
        parts.append(f"类型由 {a.kind} 改为 {b.kind}")
    if a.lane != b.lane:
        parts.append(f"岗位由{_q(a.lane or '（无）')}改为{_q(b.lane or '（无）')}")
    sa, sb = dict(a.settings), dict(b.settings)
    for key in sorted(set(sa) | set(sb)):
        if sa.get(key) != sb.get(key):
            label = SETTING_LABELS.get(key, f"sunshine:{key}")
            parts.append(f"{label}由{_q(sa.get(key, '（无）'))}改为{_q(sb.get(key, '（无）'))}")
    if a.attached_to != b.attached_to:
        parts.append(f"所附环节由 {a.attached_to} 改为 {b.attached_to}")
    if a.timer != b.timer:
        parts.append(f"定时由{_q(a.timer or '（无）')}改为{_q(b.timer or '（无）')}")
    if a.fields != b.fields:
        added = [f.split(":")[0] for f in b.fields if f not in a.fields]
        removed = [f.split(":")[0] for f in a.fields if f not in b.fields]
        parts.append("表单字段" + "".join(
            [f"新增或修改 {'、'.join(added)}" if added else "",
             ("，" if added and removed else "") + (f"删除或修改 {'、'.join(removed)}"
                                                    if removed else "")]) or "表单字段顺序调整")
    label = KIND_LABELS.get(b.kind, b.kind)
    return f"{label}{_q(b.name or b.id)}（{b.id}）：" + "；".join(parts)


def _flow_words(f: Flow, o: Outline) -> str:
    def name(nid: str) -> str:
        n = o.nodes.get(nid)
        return _q(n.name or nid) if n is not None else nid

    words = f"{name(f.source)} → {name(f.target)}"
    if f.condition:
        words += f"，条件 {f.condition}"
    if f.default:
        words += "（默认）"
    return words


def changed_elements(changes: Iterable[Change]) -> dict[str, list[str]]:
    """The element ids to colour on each flowchart: added and changed on the newer version's,
    removed on the older one's."""
    out: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    for c in changes:
        if c.element is not None and c.element not in out[c.kind]:
            out[c.kind].append(c.element)
    return out
