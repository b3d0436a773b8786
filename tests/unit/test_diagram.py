"""The flowchart's graph model, extracted from BPMN without graphviz (engine/diagram.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.diagram import FLOW_NODE_TAGS, NAME_LIMIT, Diagram, StepStats, clip, extract
from engine.errors import DefinitionError
from engine.xmlsafe import BPMN_NS, parse_bpmn_bytes

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:sunshine="https://sunshine.gov.cn/schema/bpmn/1.0"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="Defs" name="综合示例" targetNamespace="http://bpmn.io/schema/bpmn">
"""

# A power in our conventions: lanes are posts, a supplement loop, an uncounted expert review,
# and a deemed-approval timer on the decision whose path ends in deemed_approved.
POWER = HEAD + """
  <bpmn:collaboration id="Collab">
    <bpmn:participant id="Part" name="户外广告设置许可" processRef="ad" />
  </bpmn:collaboration>
  <bpmn:process id="ad" name="户外广告设置许可" isExecutable="true">
    <bpmn:extensionElements>
      <sunshine:power code="XK-TEST-001" name="户外广告设置许可" shortName="广告" category="行政许可"
          unit="县城市管理局" mode="承诺件" statutoryLimit="20" promisedLimit="10"
          deemedApproval="true" public="true" />
    </bpmn:extensionElements>
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L_win" name="窗口受理岗">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>accept</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw1</bpmn:flowNodeRef><bpmn:flowNodeRef>supp</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_na</bpmn:flowNodeRef><bpmn:flowNodeRef>cert</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_ok</bpmn:flowNodeRef><bpmn:flowNodeRef>end_deemed</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>dcert</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="L_rev" name="审查岗">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>expert</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="L_dec" name="审批岗">
        <bpmn:flowNodeRef>decide</bpmn:flowNodeRef><bpmn:flowNodeRef>gw2</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_no</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="申请" />
    <bpmn:userTask id="accept" name="受理" sunshine:timeLimit="0" sunshine:step="acceptance" />
    <bpmn:exclusiveGateway id="gw1" name="材料是否齐全" />
    <bpmn:userTask id="supp" name="一次性告知补正" sunshine:timeLimit="5" sunshine:step="supplement" />
    <bpmn:endEvent id="end_na" name="不予受理" sunshine:result="not_accepted" />
    <bpmn:userTask id="review" name="审查" sunshine:timeLimit="3" sunshine:step="review" />
    <bpmn:userTask id="expert" name="专家评审" sunshine:timeLimit="5" sunshine:counted="false"
        sunshine:special="专家评审" />
    <bpmn:userTask id="decide" name="审批决定" sunshine:timeLimit="2" sunshine:step="decision" />
    <bpmn:boundaryEvent id="deemed" name="超时默许" attachedToRef="decide" sunshine:deadline="promised">
      <bpmn:timerEventDefinition><bpmn:timeDate>promised_deadline</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:exclusiveGateway id="gw2" name="是否准予" />
    <bpmn:endEvent id="end_no" name="不予许可" sunshine:result="refused" />
    <bpmn:userTask id="cert" name="制证送达" sunshine:timeLimit="1" sunshine:step="certificate" />
    <bpmn:userTask id="dcert" name="视为准予制证" sunshine:timeLimit="1" sunshine:step="certificate" />
    <bpmn:endEvent id="end_ok" name="办结" sunshine:result="approved" />
    <bpmn:endEvent id="end_deemed" name="视为准予" sunshine:result="deemed_approved" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept" />
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="gw1" />
    <bpmn:sequenceFlow id="f3" sourceRef="gw1" targetRef="review">
      <bpmn:conditionExpression>acceptance == "accept"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw1" targetRef="supp">
      <bpmn:conditionExpression>acceptance == "supplement"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f5" sourceRef="supp" targetRef="accept" />
    <bpmn:sequenceFlow id="f6" sourceRef="gw1" targetRef="end_na">
      <bpmn:conditionExpression>acceptance == "refuse"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f7" sourceRef="review" targetRef="expert" />
    <bpmn:sequenceFlow id="f8" sourceRef="expert" targetRef="decide" />
    <bpmn:sequenceFlow id="f9" sourceRef="decide" targetRef="gw2" />
    <bpmn:sequenceFlow id="f10" sourceRef="gw2" targetRef="cert">
      <bpmn:conditionExpression>decision == "approve"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f11" sourceRef="gw2" targetRef="end_no" name="不予" />
    <bpmn:sequenceFlow id="f12" sourceRef="cert" targetRef="end_ok" />
    <bpmn:sequenceFlow id="f13" sourceRef="deemed" targetRef="dcert" />
    <bpmn:sequenceFlow id="f14" sourceRef="dcert" targetRef="end_deemed" />
  </bpmn:process>
</bpmn:definitions>
"""

# Everything else BPMN 2.0 has, in the shapes other tools write, plus one unknown element.
KITCHEN_SINK = HEAD + """
  <bpmn:signal id="Sig" name="台风预警" />
  <bpmn:timerEventDefinition id="SharedTimer" />
  <bpmn:category id="Cat"><bpmn:categoryValue id="CatVal" value="现场环节" /></bpmn:category>
  <bpmn:collaboration id="Collab">
    <bpmn:participant id="P_main" name="政务服务中心" processRef="main" />
    <bpmn:participant id="P_applicant" name="申请人" />
    <bpmn:messageFlow id="mf1" name="提交申请" sourceRef="P_applicant" targetRef="s_msg" />
    <bpmn:messageFlow id="mf2" sourceRef="send" targetRef="P_applicant" />
    <bpmn:textAnnotation id="ta_collab"><bpmn:text>申请人不在系统内</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="as_collab" sourceRef="P_applicant" targetRef="ta_collab" />
  </bpmn:collaboration>
  <bpmn:process id="main" name="综合流程" isExecutable="false">
    <bpmn:ioSpecification>
      <bpmn:dataInput id="proc_in" name="申请表" />
      <bpmn:inputSet><bpmn:dataInputRefs>proc_in</bpmn:dataInputRefs></bpmn:inputSet>
    </bpmn:ioSpecification>
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L_outer" name="业务科室">
        <bpmn:flowNodeRef>t_user</bpmn:flowNodeRef>
        <bpmn:childLaneSet id="cls">
          <bpmn:lane id="L_inner" name="审批科">
            <bpmn:flowNodeRef>t_user</bpmn:flowNodeRef>
            <bpmn:flowNodeRef>t_manual</bpmn:flowNodeRef>
          </bpmn:lane>
          <bpmn:lane id="L_empty" name="空岗位" />
        </bpmn:childLaneSet>
      </bpmn:lane>
      <bpmn:lane id="L_other" name="窗口">
        <bpmn:flowNodeRef>s_msg</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s_msg" name="收到申请"><bpmn:messageEventDefinition /></bpmn:startEvent>
    <bpmn:startEvent id="s_timer"><bpmn:eventDefinitionRef>SharedTimer</bpmn:eventDefinitionRef></bpmn:startEvent>
    <bpmn:startEvent id="s_signal"><bpmn:signalEventDefinition signalRef="Sig" /></bpmn:startEvent>
    <bpmn:startEvent id="s_cond"><bpmn:conditionalEventDefinition><bpmn:condition /></bpmn:conditionalEventDefinition></bpmn:startEvent>
    <bpmn:startEvent id="s_multi"><bpmn:messageEventDefinition /><bpmn:signalEventDefinition /></bpmn:startEvent>
    <bpmn:startEvent id="s_pmulti" parallelMultiple="true"><bpmn:messageEventDefinition /><bpmn:timerEventDefinition /></bpmn:startEvent>
    <bpmn:task id="t_plain" name="普通任务" />
    <bpmn:userTask id="t_user" name="审核" sunshine:timeLimit="3" />
    <bpmn:manualTask id="t_manual" name="现场核查" />
    <bpmn:serviceTask id="t_service" name="自动比对" />
    <bpmn:scriptTask id="t_script" name="生成编号" />
    <bpmn:sendTask id="send" name="发送通知" />
    <bpmn:receiveTask id="t_receive" name="接收回执" />
    <bpmn:businessRuleTask id="t_rule" name="规则判断" />
    <bpmn:callActivity id="t_call" name="身份核验" calledElement="identity" />
    <bpmn:userTask id="t_loop" name="循环任务"><bpmn:standardLoopCharacteristics /></bpmn:userTask>
    <bpmn:userTask id="t_mi" name="多实例任务"><bpmn:multiInstanceLoopCharacteristics isSequential="true" /></bpmn:userTask>
    <bpmn:exclusiveGateway id="g_x" name="是否通过" default="fl_default" />
    <bpmn:parallelGateway id="g_p" />
    <bpmn:inclusiveGateway id="g_o" />
    <bpmn:eventBasedGateway id="g_e" />
    <bpmn:complexGateway id="g_c" />
    <bpmn:intermediateCatchEvent id="i_timer" name="等待"><bpmn:timerEventDefinition /></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="i_link_in"><bpmn:linkEventDefinition name="A" /></bpmn:intermediateCatchEvent>
    <bpmn:intermediateThrowEvent id="i_link_out"><bpmn:linkEventDefinition name="A" /></bpmn:intermediateThrowEvent>
    <bpmn:intermediateThrowEvent id="i_esc"><bpmn:escalationEventDefinition /></bpmn:intermediateThrowEvent>
    <bpmn:intermediateThrowEvent id="i_comp"><bpmn:compensateEventDefinition /></bpmn:intermediateThrowEvent>
    <bpmn:intermediateThrowEvent id="i_none" name="里程碑" />
    <bpmn:subProcess id="sub" name="内部审查">
      <bpmn:startEvent id="sub_start" />
      <bpmn:task id="sub_task" name="内部任务" />
      <bpmn:endEvent id="sub_end" />
      <bpmn:sequenceFlow id="sf1" sourceRef="sub_start" targetRef="sub_task" />
      <bpmn:sequenceFlow id="sf2" sourceRef="sub_task" targetRef="sub_end" />
    </bpmn:subProcess>
    <bpmn:subProcess id="collapsed" name="折叠子流程" />
    <bpmn:transaction id="tx" name="缴费事务">
      <bpmn:startEvent id="tx_start" />
      <bpmn:endEvent id="tx_cancel"><bpmn:cancelEventDefinition /></bpmn:endEvent>
      <bpmn:sequenceFlow id="tf1" sourceRef="tx_start" targetRef="tx_cancel" />
    </bpmn:transaction>
    <bpmn:adHocSubProcess id="adhoc" name="现场处置">
      <bpmn:task id="adhoc_task" name="拍照" />
    </bpmn:adHocSubProcess>
    <bpmn:subProcess id="evsub" triggeredByEvent="true" name="投诉处理">
      <bpmn:startEvent id="evsub_start" isInterrupting="false"><bpmn:messageEventDefinition /></bpmn:startEvent>
      <bpmn:endEvent id="evsub_end" />
      <bpmn:sequenceFlow id="ef1" sourceRef="evsub_start" targetRef="evsub_end" />
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="b_timer" attachedToRef="t_user"><bpmn:timerEventDefinition /></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="b_msg" attachedToRef="t_user" cancelActivity="false"><bpmn:messageEventDefinition /></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="b_err" attachedToRef="sub"><bpmn:errorEventDefinition errorRef="E1" /></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="b_cancel" attachedToRef="tx"><bpmn:cancelEventDefinition /></bpmn:boundaryEvent>
    <bpmn:endEvent id="e_none" />
    <bpmn:endEvent id="e_term"><bpmn:terminateEventDefinition /></bpmn:endEvent>
    <bpmn:endEvent id="e_err"><bpmn:errorEventDefinition /></bpmn:endEvent>
    <bpmn:endEvent id="e_esc"><bpmn:escalationEventDefinition /></bpmn:endEvent>
    <bpmn:endEvent id="e_msg"><bpmn:messageEventDefinition /></bpmn:endEvent>
    <bpmn:endEvent id="e_sig"><bpmn:signalEventDefinition /></bpmn:endEvent>
    <bpmn:endEvent id="e_comp"><bpmn:compensateEventDefinition /></bpmn:endEvent>
    <bpmn:dataObject id="DO1" name="审查意见" />
    <bpmn:dataObjectReference id="DOR1" dataObjectRef="DO1" />
    <bpmn:dataObject id="DO_bare" name="裸数据对象" />
    <bpmn:dataStoreReference id="DS1" name="审批数据库" />
    <bpmn:task id="t_data" name="读写数据">
      <bpmn:property id="prop1" />
      <bpmn:dataInputAssociation id="dia1"><bpmn:sourceRef>DS1</bpmn:sourceRef><bpmn:targetRef>prop1</bpmn:targetRef></bpmn:dataInputAssociation>
      <bpmn:dataOutputAssociation id="doa1"><bpmn:targetRef>DOR1</bpmn:targetRef></bpmn:dataOutputAssociation>
    </bpmn:task>
    <bpmn:textAnnotation id="ta1"><bpmn:text>材料不齐一次告知</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="as1" sourceRef="t_plain" targetRef="ta1" />
    <bpmn:group id="grp" categoryValueRef="CatVal" />
    <bpmn:frobnicateTask id="weird" name="神秘元素" />
    <bpmn:sequenceFlow id="fl1" sourceRef="s_msg" targetRef="t_user" />
    <bpmn:sequenceFlow id="fl2" sourceRef="t_user" targetRef="g_x" />
    <bpmn:sequenceFlow id="fl_default" sourceRef="g_x" targetRef="sub" />
    <bpmn:sequenceFlow id="fl3" sourceRef="g_x" targetRef="send">
      <bpmn:conditionExpression>${ok}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fl4" sourceRef="sub" targetRef="e_none" />
    <bpmn:sequenceFlow id="fl5" sourceRef="b_timer" targetRef="e_term" />
  </bpmn:process>
</bpmn:definitions>
"""


def tree(text: str):  # noqa: ANN201 - an lxml tree
    return parse_bpmn_bytes(text.encode("utf-8"))


@pytest.fixture(scope="module")
def power() -> Diagram:
    return extract(tree(POWER))


@pytest.fixture(scope="module")
def sink() -> Diagram:
    return extract(tree(KITCHEN_SINK))


def node(d: Diagram, node_id: str):  # noqa: ANN201
    found = d.node(node_id)
    assert found is not None, f"{node_id} missing from the diagram"
    return found


def edge(d: Diagram, edge_id: str):  # noqa: ANN201
    found = [e for e in d.edges if e.id == edge_id]
    assert found, f"edge {edge_id} missing"
    return found[0]


# --- nothing dropped ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [POWER, KITCHEN_SINK], ids=["power", "kitchen-sink"])
def test_every_flow_node_in_the_file_becomes_exactly_one_node(text: str) -> None:
    t = tree(text)
    in_xml = [el.get("id") for el in t.getroot().iter()
              if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN_NS}}}")
              and el.tag.split("}")[1] in FLOW_NODE_TAGS]
    d = extract(t)
    drawn = [n.id for n in d.nodes if n.element_tag in FLOW_NODE_TAGS]
    assert len(in_xml) > 10
    assert drawn == in_xml  # same ids, same (document) order
    assert len({n.id for n in d.nodes}) == len(d.nodes)


def test_an_unknown_element_becomes_a_generic_node_whose_label_names_its_tag(sink: Diagram) -> None:
    weird = node(sink, "weird")
    assert weird.kind == "unknown"
    assert "frobnicateTask" in weird.label and "神秘元素" in weird.label
    assert weird.cluster == "P_main"


def test_an_edge_to_an_element_not_in_the_file_shows_a_placeholder_instead_of_crashing() -> None:
    broken = POWER.replace('targetRef="gw2" />', 'targetRef="gone" />')
    d = extract(tree(broken))
    assert node(d, "gone").kind == "unknown"
    assert "gone" in node(d, "gone").label


def test_a_flow_without_a_source_points_from_a_placeholder_node() -> None:
    d = extract(tree(POWER.replace('<bpmn:sequenceFlow id="f7" sourceRef="review"',
                                   '<bpmn:sequenceFlow id="f7"')))
    f7 = edge(d, "f7")
    assert node(d, f7.source).kind == "unknown" and "未指明的元素" in node(d, f7.source).label
    assert f7.target == "expert"


def test_a_data_association_to_a_referenced_data_object_lands_on_its_reference() -> None:
    text = KITCHEN_SINK.replace("<bpmn:targetRef>DOR1</bpmn:targetRef>",
                                "<bpmn:targetRef>DO1</bpmn:targetRef>")
    d = extract(tree(text))
    assert (edge(d, "doa1").source, edge(d, "doa1").target) == ("t_data", "DOR1")
    assert d.node("DO1") is None  # drawn once, as its reference


def test_missing_ids_still_give_distinct_nodes_and_duplicate_ids_are_refused_by_line() -> None:
    d = extract(tree(POWER.replace('<bpmn:endEvent id="end_ok"', '<bpmn:endEvent')))
    assert len({n.id for n in d.nodes}) == len(d.nodes)
    assert len([n for n in d.nodes if n.name == "办结"]) == 1
    # two elements with one id: the file is not valid BPMN, and the chart would draw one of them
    # in the other's place; the parser names both lines instead (engine/xmlsafe.py)
    with pytest.raises(DefinitionError, match=r"the id 'accept' is used twice.*line \d+"):
        tree(POWER.replace('<bpmn:userTask id="review"', '<bpmn:userTask id="accept"'))


# --- element kinds -----------------------------------------------------------------------------
@pytest.mark.parametrize("node_id, kind", [
    ("t_plain", "task"), ("t_user", "user_task"), ("t_manual", "manual_task"),
    ("t_service", "service_task"), ("t_script", "script_task"), ("send", "send_task"),
    ("t_receive", "receive_task"), ("t_rule", "business_rule_task"), ("t_call", "call_activity"),
    ("sub", "subprocess"), ("tx", "transaction"), ("adhoc", "adhoc_subprocess"),
    ("evsub", "event_subprocess"), ("g_x", "gateway_exclusive"), ("g_p", "gateway_parallel"),
    ("g_o", "gateway_inclusive"), ("g_e", "gateway_event"), ("g_c", "gateway_complex"),
    ("s_msg", "start"), ("e_none", "end"), ("i_timer", "intermediate_catch"),
    ("i_esc", "intermediate_throw"), ("b_timer", "boundary"), ("DOR1", "data_object"),
    ("DO_bare", "data_object"), ("DS1", "data_store"), ("proc_in", "data_input"),
    ("ta1", "annotation"), ("grp", "group"), ("P_applicant", "participant"),
])
def test_each_element_gets_its_kind(sink: Diagram, node_id: str, kind: str) -> None:
    assert node(sink, node_id).kind == kind


@pytest.mark.parametrize("node_id, trigger, word", [
    ("s_msg", "message", "消息"), ("s_timer", "timer", "定时"), ("s_signal", "signal", "信号"),
    ("s_cond", "conditional", "条件"), ("s_multi", "multiple", "多重"),
    ("s_pmulti", "parallel_multiple", "并行多重"), ("i_link_in", "link", "链接"),
    ("i_esc", "escalation", "升级"), ("i_comp", "compensation", "补偿"),
    ("e_term", "terminate", "终止"), ("tx_cancel", "cancel", "取消"), ("e_err", "error", "错误"),
    ("b_timer", "timer", "定时"), ("i_none", "none", "里程碑"),
])
def test_events_are_told_apart_by_their_event_definition(
        sink: Diagram, node_id: str, trigger: str, word: str) -> None:
    n = node(sink, node_id)
    assert n.trigger == trigger
    assert word in n.label


def test_loop_multi_instance_and_non_interrupting_markers_are_kept(sink: Diagram) -> None:
    assert "loop" in node(sink, "t_loop").markers
    assert "mi_sequential" in node(sink, "t_mi").markers
    assert "non_interrupting" in node(sink, "b_msg").markers
    assert "non_interrupting" in node(sink, "evsub_start").markers
    assert "non_interrupting" not in node(sink, "b_timer").markers
    assert "collapsed" in node(sink, "collapsed").markers


# --- containers --------------------------------------------------------------------------------
def test_each_process_of_a_collaboration_is_a_pool_and_a_black_box_pool_is_a_node(
        sink: Diagram) -> None:
    assert [p.id for p in sink.pools] == ["P_main"]
    assert sink.pools[0].label == "政务服务中心"
    assert node(sink, "P_applicant").cluster is None


def test_nested_lanes_are_nested_clusters_and_a_node_sits_in_its_innermost_lane(
        sink: Diagram) -> None:
    lanes = {c.id: c for c in sink.lanes}
    assert [c.id for c in sink.lanes] == ["L_outer", "L_inner", "L_empty", "L_other"]
    assert lanes["L_outer"].parent == "P_main"
    assert lanes["L_inner"].parent == "L_outer"
    assert node(sink, "t_user").cluster == "L_inner"
    assert node(sink, "t_user").post == "审批科"
    assert node(sink, "s_msg").cluster == "L_other"
    assert sink.anchor("L_empty") == (Diagram.placeholder("L_empty"), "L_empty")


def test_a_subprocess_is_a_cluster_holding_its_inner_nodes(sink: Diagram) -> None:
    subs = {c.id: c.kind for c in sink.clusters if c.kind not in ("pool", "lane")}
    assert subs == {"sub": "subprocess", "tx": "transaction", "adhoc": "adhoc_subprocess",
                    "evsub": "event_subprocess"}
    assert [n.id for n in sink.nodes_in("sub")] == ["sub_start", "sub_task", "sub_end"]
    assert node(sink, "sub").cluster == "P_main"
    assert "collapsed" not in node(sink, "sub").markers
    # flows into and out of an expanded sub-process attach to its start and end event
    assert sink.anchor("sub", head=True) == ("sub_start", "sub")
    assert sink.anchor("sub", head=False) == ("sub_end", "sub")


def test_a_boundary_event_is_tied_to_its_host_by_a_dotted_attachment_edge(sink: Diagram) -> None:
    att = [(e.source, e.target) for e in sink.edges if e.kind == "attachment"]
    assert ("t_user", "b_timer") in att and ("t_user", "b_msg") in att
    assert ("sub", "b_err") in att and ("tx", "b_cancel") in att
    assert node(sink, "b_timer").attached_to == "t_user"
    assert node(sink, "b_timer").cluster == node(sink, "t_user").cluster


def test_message_flows_data_associations_and_annotations_become_edges(sink: Diagram) -> None:
    kinds = {e.id: (e.kind, e.source, e.target) for e in sink.edges}
    assert kinds["mf1"] == ("message", "P_applicant", "s_msg")
    assert kinds["mf2"] == ("message", "send", "P_applicant")
    assert kinds["dia1"] == ("data", "DS1", "t_data")  # the task's own property is not drawn
    assert kinds["doa1"] == ("data", "t_data", "DOR1")
    assert kinds["as1"] == ("association", "t_plain", "ta1")
    assert kinds["as_collab"] == ("association", "P_applicant", "ta_collab")
    assert edge(sink, "mf1").label == "提交申请"
    assert node(sink, "DOR1").name == "审查意见"  # named after its data object
    assert node(sink, "grp").name == "现场环节"  # named after its category value
    assert "材料不齐一次告知" in node(sink, "ta1").label


def test_the_gateways_default_flow_is_known(sink: Diagram) -> None:
    assert edge(sink, "fl_default").default is True
    assert edge(sink, "fl3").default is False and edge(sink, "fl3").conditional is True


def test_one_process_can_be_extracted_alone() -> None:
    d = extract(tree(KITCHEN_SINK), process_id="main")
    assert d.node("P_applicant") is None
    assert not [e for e in d.edges if e.kind == "message"]
    assert d.node("t_user") is not None


def test_without_bands_drops_pools_and_lanes_but_keeps_subprocesses(sink: Diagram) -> None:
    flat = sink.without_bands()
    assert not flat.pools and not flat.lanes
    assert {c.id for c in flat.clusters} == {"sub", "tx", "adhoc", "evsub"}
    assert node(flat, "t_user").cluster is None and node(flat, "sub_task").cluster == "sub"
    assert "岗位：审批科" in node(flat, "t_user").label


# --- labels and markings of a power -----------------------------------------------------------
def test_a_step_label_gives_its_name_post_and_time_limit(power: Diagram) -> None:
    review = node(power, "review")
    assert review.label.split("\n") == ["审查", "岗位：审查岗", "时限 3 个工作日"]
    assert review.post == "审查岗" and review.time_limit == 3 and review.cluster == "L_rev"
    assert "当场办结 / 即办" in node(power, "accept").label


def test_a_step_the_law_does_not_count_is_marked_不计时(power: Diagram) -> None:
    expert = node(power, "expert")
    assert expert.counted is False and "not_counted" in expert.markers
    assert "不计时（专家评审）" in expert.label
    assert node(power, "review").counted is True


def test_the_deemed_approval_timer_and_only_its_own_path_are_marked(power: Diagram) -> None:
    assert "deemed" in node(power, "deemed").markers
    assert "超时默许" in node(power, "deemed").label and "定时" in node(power, "deemed").label
    assert {e.id for e in power.edges if e.marked == "deemed"} == {"f13", "f14"}
    assert "deemed" in node(power, "dcert").markers and "deemed" in node(power, "end_deemed").markers
    assert "deemed" not in node(power, "cert").markers


def test_the_supplement_path_is_marked(power: Diagram) -> None:
    assert {e.id for e in power.edges if e.marked == "supplement"} == {"f4", "f5"}
    assert "【补正】" in node(power, "supp").label


def test_designer_guide_conditions_read_as_words_on_the_arrows(power: Diagram) -> None:
    assert edge(power, "f3").label == "受理"
    assert edge(power, "f4").label == "补正"
    assert edge(power, "f6").label == "不予受理"
    assert edge(power, "f10").label == "准予"
    assert edge(power, "f11").label == "不予"  # the flow's own name wins


def test_the_legend_carries_the_powers_catalogue_facts(power: Diagram) -> None:
    lg = power.legend
    assert lg is not None
    assert (lg.power_name, lg.code, lg.unit, lg.mode) == ("户外广告设置许可", "XK-TEST-001",
                                                          "县城市管理局", "承诺件")
    assert (lg.statutory_text, lg.promised_text) == ("20 个工作日", "10 个工作日")
    assert lg.deemed_approval and lg.deemed_rule.startswith("适用")
    assert [k for k, _ in lg.key] == ["deemed", "supplement", "not_counted"]
    assert power.title == "户外广告设置许可"


def test_a_power_without_deemed_approval_says_不适用() -> None:
    d = extract(tree(POWER.replace('deemedApproval="true"', 'deemedApproval="false"')))
    assert d.legend is not None and d.legend.deemed_rule == "不适用"


def test_a_foreign_file_without_markings_has_no_legend(sink: Diagram) -> None:
    assert sink.legend is None
    assert sink.title == "综合流程"


def test_live_statistics_are_added_to_the_step_labels() -> None:
    stats = {"review": StepStats(waiting=4, overdue=1, avg_days=2.5),
             "decide": StepStats(waiting=0, overdue=0, avg_days=None)}
    d = extract(tree(POWER), stats)
    assert "在办 4 件 · 超期 1 件\n平均用时 2.5 个工作日" in node(d, "review").label
    assert "在办 0 件 · 超期 0 件\n平均用时 —" in node(d, "decide").label
    assert node(d, "review").stats == stats["review"]
    assert "在办" not in node(d, "accept").label
    assert d.legend is not None and d.legend.live and "live" in [k for k, _ in d.legend.key]


# --- determinism and layering ------------------------------------------------------------------
def test_extraction_is_deterministic() -> None:
    first = extract(tree(KITCHEN_SINK))
    for _ in range(3):
        assert extract(tree(KITCHEN_SINK)) == first
    assert extract(tree(POWER)) == extract(tree(POWER))


def test_the_engine_diagram_module_imports_no_graphviz() -> None:
    code = "import sys, engine.diagram; print('graphviz' in sys.modules, 'adapters' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.stdout.split() == ["False", "False"]


def test_a_long_name_is_cut_in_the_label_and_kept_whole_as_the_name() -> None:
    long = "现场核查" * 40
    d = extract(tree(POWER.replace('name="审查"', f'name="{long}"', 1)))
    step = next(n for n in d.nodes if n.name == long)
    assert step.label.split("\n")[0] == clip(long) and len(clip(long)) == NAME_LIMIT
    assert clip(long).endswith("…") and clip("短名称") == "短名称"


def test_an_annotation_sits_in_the_lane_of_what_it_annotates(sink: Diagram) -> None:
    target = node(sink, "t_plain")
    assert node(sink, "ta1").cluster == target.cluster
    assert node(sink, "ta_collab").cluster is None  # on a pool: where the file put it
