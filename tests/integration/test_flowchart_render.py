"""Flowcharts drawn by the real graphviz ``dot`` (adapters/flowchart.py), read back as SVG."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lxml import etree

from adapters.flowchart import (
    MAX_ELEMENTS,
    FlowchartRefused,
    FlowchartTooLarge,
    GraphvizNotFound,
    RenderOptions,
    render,
    render_file,
    render_tree,
    to_dot,
    to_svg_bytes,
)
from engine.catalogue import processes, read_power
from engine.diagram import NAME_LIMIT, TRIGGER_TEXT, StepStats, extract
from engine.errors import ConfigError
from engine.xmlsafe import parse_bpmn_bytes, read_bpmn_file

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"

DEEMED_POWER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:sunshine="https://sunshine.gov.cn/schema/bpmn/1.0" id="D" targetNamespace="x">
  <bpmn:process id="sign" name="户外招牌设置审批" isExecutable="true">
    <bpmn:extensionElements>
      <sunshine:power code="XK-ZP-009" name="户外招牌设置审批" shortName="招牌" category="行政许可"
          unit="县城市管理局" mode="承诺件" statutoryLimit="20" promisedLimit="7"
          deemedApproval="true" />
    </bpmn:extensionElements>
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L1" name="综合受理窗口岗">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>accept</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>issue</bpmn:flowNodeRef><bpmn:flowNodeRef>ok</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>deemed_ok</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="L2" name="市容审查岗">
        <bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>test</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="L3" name="分管领导审批岗">
        <bpmn:flowNodeRef>decide</bpmn:flowNodeRef><bpmn:flowNodeRef>t</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s" name="申请" />
    <bpmn:userTask id="accept" name="窗口受理" sunshine:timeLimit="0" sunshine:step="acceptance" />
    <bpmn:userTask id="check" name="现场核查" sunshine:timeLimit="3" />
    <bpmn:userTask id="test" name="结构安全检测" sunshine:timeLimit="5" sunshine:counted="false"
        sunshine:special="检测" />
    <bpmn:userTask id="decide" name="审批决定" sunshine:timeLimit="2" sunshine:step="decision" />
    <bpmn:boundaryEvent id="t" name="超时默许" attachedToRef="decide" sunshine:deadline="promised">
      <bpmn:timerEventDefinition />
    </bpmn:boundaryEvent>
    <bpmn:userTask id="issue" name="制证送达" sunshine:timeLimit="1" />
    <bpmn:endEvent id="ok" name="办结" sunshine:result="approved" />
    <bpmn:endEvent id="deemed_ok" name="视为准予" sunshine:result="deemed_approved" />
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="accept" />
    <bpmn:sequenceFlow id="b" sourceRef="accept" targetRef="check" />
    <bpmn:sequenceFlow id="c" sourceRef="check" targetRef="test" />
    <bpmn:sequenceFlow id="d" sourceRef="test" targetRef="decide" />
    <bpmn:sequenceFlow id="e" sourceRef="decide" targetRef="issue" />
    <bpmn:sequenceFlow id="f" sourceRef="issue" targetRef="ok" />
    <bpmn:sequenceFlow id="g" sourceRef="t" targetRef="deemed_ok" />
  </bpmn:process>
</bpmn:definitions>
"""

# A bpmn.io-style file with no DI, two pools, a sub-process, an event-based gateway, data and
# an element no renderer knows.
FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="F" targetNamespace="x"
    exporter="bpmn-js (https://demo.bpmn.io)" exporterVersion="17.11.1">
  <collaboration id="C">
    <participant id="Pa" name="Applicant" />
    <participant id="Pb" name="Service Centre" processRef="proc" />
    <messageFlow id="m1" sourceRef="Pa" targetRef="st" />
    <messageFlow id="m2" sourceRef="reply" targetRef="Pa" />
  </collaboration>
  <process id="proc" isExecutable="false">
    <startEvent id="st" name="Request received"><messageEventDefinition /></startEvent>
    <subProcess id="sp" name="Check">
      <startEvent id="sp_s" /><task id="sp_t" name="Verify identity" /><endEvent id="sp_e" />
      <sequenceFlow id="x1" sourceRef="sp_s" targetRef="sp_t" />
      <sequenceFlow id="x2" sourceRef="sp_t" targetRef="sp_e" />
    </subProcess>
    <boundaryEvent id="be" attachedToRef="sp"><errorEventDefinition /></boundaryEvent>
    <eventBasedGateway id="ebg" />
    <intermediateCatchEvent id="wait" name="Seven days"><timerEventDefinition /></intermediateCatchEvent>
    <intermediateCatchEvent id="sig"><signalEventDefinition /></intermediateCatchEvent>
    <sendTask id="reply" name="Send reply" />
    <inclusiveGateway id="og" />
    <endEvent id="end" />
    <dataStoreReference id="store" name="Register" />
    <textAnnotation id="note"><text>No DI in this file</text></textAnnotation>
    <association id="as" sourceRef="sp" targetRef="note" />
    <whatIsThis id="odd" name="Unknown thing" />
    <sequenceFlow id="s1" sourceRef="st" targetRef="sp" />
    <sequenceFlow id="s2" sourceRef="sp" targetRef="ebg" />
    <sequenceFlow id="s3" sourceRef="ebg" targetRef="wait" />
    <sequenceFlow id="s4" sourceRef="ebg" targetRef="sig" />
    <sequenceFlow id="s5" sourceRef="wait" targetRef="og" />
    <sequenceFlow id="s6" sourceRef="sig" targetRef="og" />
    <sequenceFlow id="s7" sourceRef="og" targetRef="reply" />
    <sequenceFlow id="s8" sourceRef="reply" targetRef="end" />
    <sequenceFlow id="s9" sourceRef="be" targetRef="end" />
  </process>
</definitions>
"""


def svg_of(text: str, **kw: object) -> bytes:
    return to_svg_bytes(extract(parse_bpmn_bytes(text.encode("utf-8"))), RenderOptions(**kw))


def node_texts(svg: bytes) -> dict[str, str]:
    """The text inside each drawn node, keyed by BPMN id (lines joined, as wrapped)."""
    root = etree.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        if (g.get("class") or "") == "node" and (g.get("id") or "").startswith("bpmn-"):
            out[g.get("id")[5:]] = "".join(t.text or "" for t in g.iter(f"{SVG}text"))
    return out


def all_text(svg: bytes) -> str:
    root = etree.fromstring(svg)
    return "".join(t.text or "" for t in root.iter(f"{SVG}text"))


@pytest.fixture(scope="module")
def deemed_svg() -> bytes:
    return svg_of(DEEMED_POWER)


def test_the_svg_shows_every_steps_name_post_and_time_limit(deemed_svg: bytes) -> None:
    texts = node_texts(deemed_svg)
    power = read_power(processes(parse_bpmn_bytes(DEEMED_POWER.encode()))[0])
    assert power is not None and len(power.steps) == 5
    for step in power.steps:
        assert step.name in texts[step.id]
        assert step.post and step.post in texts[step.id]
        assert step.post in all_text(deemed_svg).replace(" ", "")  # the lane band's label too
    assert "时限 3 个工作日" in texts["check"]
    assert "当场办结 / 即办" in texts["accept"]
    assert "不计时（检测）" in texts["test"]


def test_the_legend_states_the_limits_and_the_deemed_approval_rule(deemed_svg: bytes) -> None:
    text = all_text(deemed_svg)
    for words in ("事项名称", "户外招牌设置审批", "事项编码", "XK-ZP-009", "实施主体", "县城市管理局",
                  "办件类型", "承诺件", "法定时限", "20 个工作日", "承诺时限", "7 个工作日",
                  "超时默许", "适用"):
        assert words in text, words


def test_the_chosen_cjk_font_is_named_in_the_svg(deemed_svg: bytes) -> None:
    assert b'font-family="WenQuanYi Zen Hei' in deemed_svg
    other = svg_of(DEEMED_POWER, fontname="Noto Sans CJK SC")
    assert b'font-family="Noto Sans CJK SC' in other
    assert b"WenQuanYi" not in other


def test_the_deemed_approval_timer_and_path_are_drawn_red_and_dashed(deemed_svg: bytes) -> None:
    root = etree.fromstring(deemed_svg)
    texts = node_texts(deemed_svg)
    assert "定时" in texts["decide"]  # the timer is a mark on its host's border
    red_labels = [t.text for t in root.iter(f"{SVG}text") if t.get("fill") == "#c62828"]
    assert "超时默许" in red_labels  # its name on the red arrow it starts
    red_dashed = [p for p in root.iter(f"{SVG}path")
                  if p.get("stroke") == "#c62828" and p.get("stroke-dasharray")]
    assert red_dashed, "the deemed-approval path must be a red dashed edge"
    grey = [p for g in root.iter(f"{SVG}g") if g.get("id") == "bpmn-test"
            for p in g.iter(f"{SVG}path") if p.get("fill") == "#d9d9d9"]
    assert grey, "a step that is not counted is filled grey"


def test_the_same_definition_gives_byte_identical_svg() -> None:
    first = svg_of(DEEMED_POWER)
    assert svg_of(DEEMED_POWER) == first
    assert svg_of(FOREIGN) == svg_of(FOREIGN)
    assert b"Generated by graphviz" in first  # a version comment, but no date or path
    assert not re.search(rb"20\d\d-\d\d-\d\d", first)


def test_png_and_pdf_are_chosen_by_the_file_extension(tmp_path: Path) -> None:
    tree = parse_bpmn_bytes(DEEMED_POWER.encode())
    png = render_tree(tree, tmp_path / "chart.png")
    pdf = render_tree(tree, tmp_path / "chart.pdf")
    svg = render_tree(tree, tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in svg.read_bytes()[:2000]


def test_png_and_pdf_are_deterministic_too_even_a_second_later(tmp_path: Path) -> None:
    tree = parse_bpmn_bytes(DEEMED_POWER.encode())
    first = {ext: render_tree(tree, tmp_path / f"a.{ext}").read_bytes() for ext in ("png", "pdf")}
    time.sleep(1.1)  # cairo stamps PDFs with the time to the second
    for ext, data in first.items():
        assert render_tree(tree, tmp_path / f"b.{ext}").read_bytes() == data, ext


def test_an_unknown_extension_is_refused_with_the_formats_to_use(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.svg, \*\.png or \*\.pdf"):
        render_tree(parse_bpmn_bytes(DEEMED_POWER.encode()), tmp_path / "chart.gif")


def test_a_missing_dot_program_says_how_to_install_graphviz() -> None:
    diagram = extract(parse_bpmn_bytes(DEEMED_POWER.encode()))
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        to_svg_bytes(diagram, RenderOptions(dot_binary="no-such-dot-program"))


def test_a_foreign_file_without_di_draws_every_element(tmp_path: Path) -> None:
    svg = svg_of(FOREIGN)
    texts = node_texts(svg)
    for node_id in ("st", "sp_s", "sp_t", "sp_e", "be", "ebg", "wait", "sig", "reply", "og",
                    "end", "store", "note", "odd", "Pa"):
        assert node_id in texts, node_id
    assert "whatIsThis" in texts["odd"]
    assert "◎" in texts["ebg"] and "○" in texts["og"]
    text = all_text(svg)
    assert "Check" in text and "Service Centre" in text  # sub-process and pool boxes
    root = etree.fromstring(svg)
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters) >= 3  # frame, pool, sub-process


def test_the_live_variant_shows_waiting_overdue_and_average_per_step() -> None:
    tree = parse_bpmn_bytes(DEEMED_POWER.encode())
    stats = {"check": StepStats(waiting=6, overdue=2, avg_days=1.5)}
    svg = to_svg_bytes(extract(tree, stats))
    text = node_texts(svg)["check"]
    assert "在办 6 件 · 超期 2 件" in text and "平均用时 1.5 个工作日" in text
    assert "实时统计" in all_text(svg)


def test_to_dot_names_the_font_for_graph_nodes_and_edges() -> None:
    dot = to_dot(extract(parse_bpmn_bytes(DEEMED_POWER.encode())), RenderOptions(fontname="X Font"))
    for scope in ("graph [", "node [", "edge ["):
        line = next(ln for ln in dot.splitlines() if ln.strip().startswith(scope))
        assert 'fontname="X Font"' in line


# --- every file we ship or keep as a fixture ---------------------------------------------------
def bpmn_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.bpmn"))


def test_there_are_processes_and_foreign_fixtures_to_render() -> None:
    # Guards the parametrised tests below against passing vacuously on an empty folder.
    assert len(bpmn_files("processes")) >= 5
    assert len(bpmn_files("tests/fixtures/bpmn/foreign")) >= 5


@pytest.mark.parametrize("path", bpmn_files("processes"), ids=lambda p: p.name)
def test_every_shipped_process_renders_with_each_step_and_post(path: Path, tmp_path: Path) -> None:
    _, tree = read_bpmn_file(str(path))
    out = render_file(path, tmp_path / "chart.svg")
    svg = out.read_bytes()
    texts = node_texts(svg)
    power = next(p for p in (read_power(x) for x in processes(tree)) if p is not None)
    assert power.name in all_text(svg)
    for step in power.steps:
        assert step.name.replace(" ", "") in texts[step.id].replace(" ", ""), step.id
        if step.post:
            assert step.post in texts[step.id], step.id
    assert b'font-family="WenQuanYi Zen Hei' in svg
    assert svg == to_svg_bytes(extract(tree))  # deterministic


@pytest.mark.parametrize("path", bpmn_files("tests/fixtures/bpmn/foreign"), ids=lambda p: p.name)
def test_every_foreign_fixture_renders_without_dropping_a_flow_node(path: Path) -> None:
    _, tree = read_bpmn_file(str(path))
    diagram = extract(tree)
    svg = to_svg_bytes(diagram)
    texts = node_texts(svg)
    expanded = {c.id for c in diagram.clusters}
    marks = {n.id for n in diagram.nodes if n.kind == "boundary" and n.attached_to in texts}
    missing = [n.id for n in diagram.nodes
               if n.id not in expanded and n.id not in texts and n.id not in marks]
    assert not missing
    assert diagram.nodes
    for n in diagram.nodes:  # a boundary event drawn on its host shows its trigger there
        if n.id in marks and n.trigger not in (None, "none"):
            assert TRIGGER_TEXT[n.trigger or ""][:2] in texts[n.attached_to or ""], n.id


def test_render_writes_into_a_new_folder(tmp_path: Path) -> None:
    out = render(extract(parse_bpmn_bytes(FOREIGN.encode())), tmp_path / "new" / "chart.svg")
    assert out.exists()


# --- drawing conventions: boundary events, lanes, annotations ----------------------------------
FOREIGN_DIR = ROOT / "tests/fixtures/bpmn/foreign"


def svg_of_file(name: str, **kw: object) -> tuple[bytes, object]:
    _, tree = read_bpmn_file(str(FOREIGN_DIR / name))
    diagram = extract(tree)
    return to_svg_bytes(diagram, RenderOptions(**kw)), diagram


def boxes(svg: bytes, cls: str) -> dict[str, tuple[float, float, float, float]]:
    """(x1, y1, x2, y2) of every cluster or node, keyed by its <title> (DOT name)."""
    out = {}
    for g in etree.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") != cls:
            continue
        title = g.find(f"{SVG}title")
        shape = g.find(f"{SVG}polygon")
        if shape is None:
            shape = g.find(f"{SVG}path")
        if shape is None or title is None:
            continue
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points")
                                               or shape.get("d") or "")]
        xs, ys = nums[0::2], nums[1::2]
        out[title.text or ""] = (min(xs), min(ys), max(xs), max(ys))
    return out


def test_boundary_events_are_marks_on_their_hosts_border_with_their_own_ports() -> None:
    svg, diagram = svg_of_file("camunda5_boundary_events_zh.bpmn")
    dot = to_dot(diagram)
    host = next(n for n in diagram.nodes if n.kind == "boundary").attached_to
    text = node_texts(svg)[host or ""]
    for word in ("定时", "消息", "错误"):
        assert word in text
    # each of the four events' flows leaves from its own mark (port) on the host
    assert len(set(re.findall(r"(n\d+:b\d):s ->", dot))) == 4
    # and the marks straddle the box's lower border: the box ends inside the marks' band
    root = etree.fromstring(svg)
    g = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"bpmn-{host}")
    paths = [[float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", p.get("d") or "")][1::2]
             for p in g.iter(f"{SVG}path") if p.get("fill") == "none"]
    box, marks = paths[0], paths[1:]
    assert len(marks) == 4
    for ys in marks:
        assert min(ys) < max(box) < max(ys)


def test_the_lanes_of_a_pool_are_one_grid_of_equal_bands() -> None:
    _, tree = read_bpmn_file(str(ROOT / "processes" / "food_business_licence.bpmn"))
    diagram = extract(tree)
    svg = to_svg_bytes(diagram)
    dot_names = {c.id: f"cluster_{i}" for i, c in enumerate(diagram.clusters)}
    clusters = boxes(svg, "cluster")
    lanes = [clusters[dot_names[c.id]] for c in diagram.lanes]
    assert len(lanes) >= 3
    widths = [x2 - x1 for x1, _, x2, _ in lanes]
    assert max(widths) - min(widths) < 2, widths  # equally wide …
    assert len({round(y1) for _, y1, _, _ in lanes}) == 1  # … starting on one line
    assert len({round(y2) for _, _, _, y2 in lanes}) == 1  # … and ending on one line
    lefts = sorted(x1 for x1, _, _, _ in lanes)
    assert all(b - a > min(widths) for a, b in zip(lefts, lefts[1:], strict=False))


def test_a_text_annotation_sits_beside_what_it_annotates() -> None:
    svg, diagram = svg_of_file("camunda5_not_executable_invoice.bpmn")
    note = next(n for n in diagram.nodes if n.kind == "annotation")
    link = next(e for e in diagram.edges if e.kind == "association" and note.id in
                (e.source, e.target))
    target = link.source if link.target == note.id else link.target
    names = {n.id: f"n{i}" for i, n in enumerate(diagram.nodes)}
    nodes = boxes(svg, "node")
    a, b = nodes[names[note.id]], nodes[names[target]]
    assert abs((a[1] + a[3]) / 2 - (b[1] + b[3]) / 2) < 2  # on the target's rank
    gap = max(a[0], b[0]) - min(a[2], b[2])
    assert gap < 120  # next to it, not across the chart


def test_an_unnamed_task_lane_and_pool_are_drawn() -> None:
    # bpmn.io writes new shapes without a name; graphviz 2.43 refuses an empty <b></b> label.
    svg, diagram = svg_of_file("bpmnio_unnamed_elements.bpmn")
    texts = node_texts(svg)
    assert "（未命名）" in texts["Activity_0k2j8dl"]
    assert not [c for c in diagram.lanes if c.label]  # no id shown as if it were a post
    assert "岗位" not in texts["Activity_1p3v6wz"]


def test_a_message_flow_that_dot_loses_under_newrank_is_drawn_by_the_plainer_layout() -> None:
    # graphviz 2.43 exits 1 with "lost n14 n7 edge" on this file under newrank (the first
    # layout), and writes the chart without the flow; the renderer draws it again without.
    svg, diagram = svg_of_file("bpmnio_message_flows_lost_edge.bpmn")
    flows = [e for e in diagram.edges if e.kind == "message"]
    drawn = [g for g in etree.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "edge"
             and any(p.get("stroke") == "#1565c0" for p in g.iter(f"{SVG}path"))]
    assert flows and len(drawn) == len(flows)


def test_when_graphviz_refuses_every_layout_the_error_names_the_flow(tmp_path: Path) -> None:
    # A stand-in for a graphviz that cannot route the flow at all (real graphviz routes it with
    # straight lines at the latest): it reads the chart and answers as dot 2.43 does.
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\ncat >/dev/null\necho "Error: lost n14 n7 edge" >&2\nexit 1\n')
    fake.chmod(0o755)
    _, tree = read_bpmn_file(str(FOREIGN_DIR / "bpmnio_message_flows_lost_edge.bpmn"))
    with pytest.raises(FlowchartRefused, match=r"message flow 'm0' \(from 'p2n3' to 'Part1'\)"
                       r".*connect it to a step or event"):
        to_svg_bytes(extract(tree), RenderOptions(dot_binary=str(fake)))


# --- what one file may cost ----------------------------------------------------------------
def chain(n: int, crossings: int = 0) -> bytes:
    ids = [f"t{i}" for i in range(n)]
    lanes = "".join(f'<lane id="L{j}" name="岗位{j}">' + "".join(
        f"<flowNodeRef>{t}</flowNodeRef>" for k, t in enumerate(ids) if k % 4 == j) + "</lane>"
        for j in range(4))
    tasks = "".join(f'<userTask id="{t}" name="环节 {t}" />' for t in ids)
    flows = "".join(f'<sequenceFlow id="f{k}" sourceRef="{ids[k]}" targetRef="{ids[k + 1]}" />'
                    for k in range(n - 1))
    flows += "".join(f'<sequenceFlow id="x{k}" sourceRef="{ids[(k * 37) % n]}" '
                     f'targetRef="{ids[(k * 11 + 5) % n]}" />' for k in range(crossings))
    return (f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" '
            f'targetNamespace="x"><process id="P"><laneSet id="s">{lanes}</laneSet>{tasks}'
            f"{flows}</process></definitions>").encode()


def test_a_chart_above_the_element_limit_is_refused_before_graphviz_runs() -> None:
    diagram = extract(parse_bpmn_bytes(chain(MAX_ELEMENTS)))
    # no graphviz at this path: the refusal comes first, without running anything
    with pytest.raises(FlowchartTooLarge, match=rf"at most {MAX_ELEMENTS}.*split the process"):
        to_svg_bytes(diagram, RenderOptions(dot_binary="no-such-dot-program"))


def test_dot_is_stopped_past_its_time() -> None:
    # dot takes about 1.1 s over this chart on an idle machine, and once in a full suite it
    # finished inside 0.5 s: the limit is a tenth of the time it takes
    diagram = extract(parse_bpmn_bytes(chain(300, crossings=60)))
    with pytest.raises(FlowchartTooLarge, match=r"longer than 0\.1 s"):
        to_svg_bytes(diagram, RenderOptions(timeout_seconds=0.1))


def test_dot_is_stopped_past_its_memory() -> None:
    diagram = extract(parse_bpmn_bytes(DEEMED_POWER.encode()))
    with pytest.raises(FlowchartTooLarge, match=r"more than the 64 MiB"):
        to_svg_bytes(diagram, RenderOptions(memory_mb=64))


def test_a_long_name_is_cut_on_the_chart_and_kept_whole_in_the_model() -> None:
    long = "审" * 5000
    diagram = extract(parse_bpmn_bytes(DEEMED_POWER.replace('name="现场核查"',
                                                            f'name="{long}"').encode()))
    step = diagram.node("check")
    assert step is not None and step.name == long
    first = step.label.split("\n")[0]
    assert len(first) == NAME_LIMIT and first.endswith("…")
    assert len(to_dot(diagram)) < 20000
