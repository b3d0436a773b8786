"""`sunshine layout`: a BPMN file without a diagram gets one, laid out by the real graphviz dot.

Every flow node gets a shape and every sequence flow an edge; lanes hold their nodes' shapes;
the sunshine: content, the process graph and every byte outside the new diagram stay as they
were; a file that has a diagram is left alone; hostile ids and names reach neither DOT nor the
XML unescaped; a malformed file is refused with a clear message and a non-zero exit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.bpmn_layout import _kind, lay_out
from engine.modeler import outline, sunshine_content
from engine.xmlsafe import BPMNDI_NS, parse_bpmn_bytes
from tests.conftest import PROCESSES

FOREIGN = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "foreign"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
BPMNDI = f"{{{BPMNDI_NS}}}"
SIZES = {"event": (36, 36), "gateway": (50, 50)}


def without_diagram(path: Path) -> bytes:
    tree = etree.ElementTree(parse_bpmn_bytes(path.read_bytes()).getroot())
    for d in tree.getroot().findall(f"{BPMNDI}BPMNDiagram"):
        tree.getroot().remove(d)
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True)


def inputs() -> list[object]:
    shipped = [pytest.param(p, id=p.stem) for p in sorted(PROCESSES.glob("*.bpmn"))]
    return [pytest.param(FOREIGN / "bpmnio_signal_events_no_di.bpmn", id="signal_events_no_di"),
            pytest.param(FOREIGN / "implicit_split_no_di_zh.bpmn", id="implicit_split_no_di"),
            *shipped]


def bounds(root: etree._Element) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for shape in root.iter(f"{BPMNDI}BPMNShape"):
        b = shape.find(f"{DC}Bounds")
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width",
                                                                        "height"))
    return out


def check_laid_out(before: etree._Element, after: etree._Element) -> None:
    """Shapes for every flow node (standard sizes), edges for every flow, meaning unchanged."""
    shapes = [s.get("bpmnElement") for s in after.iter(f"{BPMNDI}BPMNShape")]
    assert len(shapes) == len(set(shapes)), "one shape per element"
    box = bounds(after)
    for el in after.iter():
        kind = _kind(el)
        if kind:
            assert el.get("id") in box, el.get("id")
            if kind in SIZES:
                assert box[el.get("id")][2:] == SIZES[kind], el.get("id")
            elif kind == "task":
                assert box[el.get("id")][2:] == (100, 80), el.get("id")
    edges = {e.get("bpmnElement"): e.findall(f"{DI}waypoint")
             for e in after.iter(f"{BPMNDI}BPMNEdge")}
    for flow in after.iter("{*}sequenceFlow"):
        assert len(edges[flow.get("id")]) >= 2, flow.get("id")
    assert sunshine_content(after) == sunshine_content(before)
    assert outline(after) == outline(before)  # kinds, names, lanes, settings, conditions
    non_di = {e.get("id") for e in before.iter() if isinstance(e.tag, str) and e.get("id")}
    assert non_di <= {e.get("id") for e in after.iter() if isinstance(e.tag, str)}


@pytest.mark.parametrize("path", inputs())
def test_a_file_without_a_diagram_gets_a_shape_for_every_node_and_an_edge_for_every_flow(
        path: Path) -> None:
    data = without_diagram(path) if path.parent == PROCESSES else path.read_bytes()
    result = lay_out(data, path.name)
    assert result.data is not None
    check_laid_out(parse_bpmn_bytes(data).getroot(), parse_bpmn_bytes(result.data).getroot())
    # nothing outside the new diagram moved: the file up to its closing tag is unchanged
    head = data[:data.rindex(b"</")].rstrip()
    assert result.data.startswith(head)


@pytest.mark.parametrize("name", ["public_notice.bpmn", "pre_decision_disclosure.bpmn"])
def test_lanes_are_bands_in_their_pool_holding_their_nodes_shapes(name: str) -> None:
    result = lay_out(without_diagram(PROCESSES / name), name)
    assert result.data is not None
    root = parse_bpmn_bytes(result.data).getroot()
    box = bounds(root)
    pool = box[root.find("{*}collaboration/{*}participant").get("id")]
    lanes = root.findall(".//{*}laneSet/{*}lane")
    assert len(lanes) >= 4
    previous_bottom = pool[1]
    for lane in lanes:
        lx, ly, lw, lh = box[lane.get("id")]
        assert ly == pytest.approx(previous_bottom), "bands stacked, no gap, no overlap"
        previous_bottom = ly + lh
        assert pool[0] < lx and lx + lw == pytest.approx(pool[0] + pool[2])
        for ref in lane.findall("{*}flowNodeRef"):
            x, y, w, h = box[ref.text]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, ref.text
    assert previous_bottom == pytest.approx(pool[1] + pool[3])


def test_the_shipped_processes_carry_their_diagram() -> None:
    for p in sorted(PROCESSES.glob("*.bpmn")):
        assert lay_out(p.read_bytes(), p.name).data is None, f"{p.name} has no diagram"


def test_a_file_with_a_diagram_is_left_unchanged(run_cli, tmp_path: Path) -> None:
    src = tmp_path / "food.bpmn"
    src.write_bytes((PROCESSES / "food_business_licence.bpmn").read_bytes())
    res = run_cli("layout", src, "-o", tmp_path / "out.bpmn")
    assert res.code == 0 and "left unchanged" in res.out
    assert not (tmp_path / "out.bpmn").exists()
    assert src.read_bytes() == (PROCESSES / "food_business_licence.bpmn").read_bytes()


def test_the_cli_lays_out_in_place_keeping_the_file_s_permissions(run_cli,
                                                                  tmp_path: Path) -> None:
    src = tmp_path / "signals.bpmn"
    original = (FOREIGN / "bpmnio_signal_events_no_di.bpmn").read_bytes()
    src.write_bytes(original)
    src.chmod(0o644)
    res = run_cli("layout", src)
    assert res.code == 0 and "5 shapes, 4 edges" in res.out, res.out + res.err
    assert (src.stat().st_mode & 0o777) == 0o644
    check_laid_out(parse_bpmn_bytes(original).getroot(), parse_bpmn_bytes(
        src.read_bytes()).getroot())
    assert run_cli("layout", src).out.count("left unchanged") == 1  # a second run: nothing to do


LONG = "x" * 3000
HOSTILE = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:sunshine="https://sunshine.gov.cn/schema/bpmn/1.0" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane&quot;]; a -> b" name="&lt;/lane&gt; {{ }}">
        <bpmn:flowNodeRef>s&quot;1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>t-&lt;x&gt;</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane2" name="}}; digraph {{">
        <bpmn:flowNodeRef>{LONG}</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>sub</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s&quot;1" name="&quot;]; n0 -> n1 [label=&quot;x" />
    <bpmn:userTask id="t-&lt;x&gt;" name="&lt;script&gt;alert(1)&lt;/script&gt; \\N"
        sunshine:timeLimit="2" />
    <bpmn:exclusiveGateway id="{LONG}" name="{LONG}" />
    <bpmn:boundaryEvent id="b" attachedToRef="t-&lt;x&gt;"><bpmn:timerEventDefinition/>
    </bpmn:boundaryEvent>
    <bpmn:subProcess id="sub" name="子流程">
      <bpmn:startEvent id="sub_s" /><bpmn:task id="sub_t" />
      <bpmn:sequenceFlow id="sub_f" sourceRef="sub_s" targetRef="sub_t" />
    </bpmn:subProcess>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1&quot;" sourceRef="s&quot;1" targetRef="t-&lt;x&gt;" />
    <bpmn:sequenceFlow id="f2" sourceRef="t-&lt;x&gt;" targetRef="{LONG}" />
    <bpmn:sequenceFlow id="f3" sourceRef="{LONG}" targetRef="sub">
      <bpmn:conditionExpression>a &lt; "b"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="e" />
    <bpmn:sequenceFlow id="f5" sourceRef="sub" targetRef="e" />
    <bpmn:sequenceFlow id="f6" sourceRef="{LONG}" targetRef="s&quot;1" />
  </bpmn:process>
</bpmn:definitions>
""".encode()


def test_hostile_ids_and_names_break_neither_dot_nor_the_xml() -> None:
    result = lay_out(HOSTILE, "hostile.bpmn")
    assert result.data is not None
    before, after = parse_bpmn_bytes(HOSTILE).getroot(), parse_bpmn_bytes(result.data).getroot()
    check_laid_out(before, after)
    box = bounds(after)
    assert {'s"1', "t-<x>", LONG, 'lane"]; a -> b', "sub_s", "sub_t", "b"} <= set(box)
    sub = next(s for s in after.iter(f"{BPMNDI}BPMNShape") if s.get("bpmnElement") == "sub")
    assert sub.get("isExpanded") == "true"
    sx, sy, sw, sh = box["sub"]
    for child in ("sub_s", "sub_t"):  # drawn inside their sub-process
        x, y, w, h = box[child]
        assert sx < x and x + w < sx + sw and sy < y and y + h < sy + sh
    hx, hy, hw, hh = box["t-<x>"]
    bx, by, _, _ = box["b"]
    assert hx <= bx <= hx + hw and by == hy + hh - 18  # on its activity's lower edge
    lanes = [s for s in after.iter(f"{BPMNDI}BPMNShape") if s.get("isHorizontal") == "true"]
    assert len(lanes) == 2


def test_a_malformed_file_is_refused_with_a_clear_error_and_nothing_written(
        run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(HOSTILE.replace(b"</bpmn:process>", b""))
    res = run_cli("layout", bad, "-o", tmp_path / "out.bpmn")
    assert res.code == 3
    assert "bad.bpmn" in res.err and "not well-formed XML (line" in res.err
    assert not (tmp_path / "out.bpmn").exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary file left behind either


def test_a_flow_to_a_missing_node_is_named(run_cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(HOSTILE.replace(b'targetRef="e" />', b'targetRef="nowhere" />', 1))
    res = run_cli("layout", broken)
    assert res.code == 3
    assert "broken.bpmn:f4: the sequence flow's targetRef 'nowhere' is not a flow node" in res.err
    assert broken.read_bytes() == HOSTILE.replace(b'targetRef="e" />',
                                                  b'targetRef="nowhere" />', 1)
