"""BPMN conditions and scripts (engine.scripting) run in a restricted environment: they compute
with case data, and everything that could reach the operating system, escape the guards or run
for ever is refused before it runs or stopped with ScriptError.

Scripts are run the way a case runs them: in a one-task SpiffWorkflow process driven by
engine.runtime.Runtime, which is where a service sees a ScriptError."""

from __future__ import annotations

import time
import types
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from SpiffWorkflow.util.task import TaskState

from engine.definitions import parse_specs
from engine.errors import ScriptError
from engine.runtime import Runtime
from engine.scripting import (
    TIME_LIMIT_SECONDS,
    RestrictedEnvironment,
    ScriptTimeLimit,
    check_source,
    evaluate_here,
)
from engine.serialization import spec_to_dict

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" '
         'targetNamespace="http://bpmn.io/schema/bpmn">'
         '<bpmn:process id="p" isExecutable="true">')
_TAIL = "</bpmn:process></bpmn:definitions>"


def _script_process(script: str) -> str:
    return (_HEAD +
            '<bpmn:startEvent id="start"/>'
            '<bpmn:scriptTask id="script" scriptFormat="python">'
            f'<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
            '<bpmn:userTask id="after" name="after"/>'
            '<bpmn:endEvent id="end"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="after"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>' + _TAIL)


def _condition_process(condition: str) -> str:
    return (_HEAD +
            '<bpmn:startEvent id="start"/>'
            '<bpmn:exclusiveGateway id="gw" default="f_no"/>'
            '<bpmn:userTask id="yes" name="yes"/><bpmn:userTask id="no" name="no"/>'
            '<bpmn:endEvent id="end_yes"/><bpmn:endEvent id="end_no"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
            '<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="yes">'
            '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
            f'{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="no"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="yes" targetRef="end_yes"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="no" targetRef="end_no"/>' + _TAIL)


def _start(xml: str, data: dict | None = None) -> Runtime:
    tree = etree.ElementTree(etree.fromstring(xml.encode()))
    return Runtime.start(spec_to_dict(parse_specs(tree, "test.bpmn", "p")), data or {})


def run_script(script: str, **data: object) -> dict:
    """Run a script task; the data of the user task after it."""
    runtime = _start(_script_process(script), data)
    [task] = runtime.workflow.get_tasks(state=TaskState.READY, manual=True)
    return dict(task.data)


def branch(condition: str, **data: object) -> str:
    """Which way a gateway with this condition (default: the other way) sends the case."""
    [ready] = _start(_condition_process(condition), data).ready_tasks()
    return ready.spec_id


# -- what works ------------------------------------------------------------------------------


def test_a_condition_on_case_data_chooses_the_path() -> None:
    assert branch('decision == "approve"', decision="approve") == "yes"
    assert branch('decision == "approve"', decision="refuse") == "no"
    assert branch("area > 50 and len(items) == 2", area=60, items=[1, 2]) == "yes"


def test_data_written_by_a_script_lands_in_the_task_data() -> None:
    data = run_script('fee = area * 2\nlabel = f"{applicant}：{fee}"\nitems.append(3)\n'
                      "when = datetime.date(2026, 3, 2).isoformat()\nroot = math.sqrt(16)",
                      area=30, applicant="张三", items=[1, 2])
    assert data["fee"] == 60 and data["label"] == "张三：60"
    assert data["items"] == [1, 2, 3]
    assert data["when"] == "2026-03-02" and data["root"] == 4.0
    assert data["area"] == 30  # what was there stays


def test_functions_and_helpers_a_script_defines_do_not_land_in_the_task_data() -> None:
    data = run_script("def double(x):\n    return x * 2\nfee = double(area)", area=5)
    assert data["fee"] == 10
    assert "double" not in data and "math" not in data and "datetime" not in data


def test_a_script_that_fails_is_a_script_error_naming_the_problem() -> None:
    with pytest.raises(ScriptError, match="ZeroDivisionError"):
        run_script("fee = 100 // waived", waived=0)


def test_check_source_lists_every_problem_it_can_see() -> None:
    problems = check_source("import os\ndata = open('/etc/passwd').read()\nx = ().__class__")
    assert any("imports a module (os)" in p for p in problems)
    assert any("`open`" in p for p in problems)
    assert any("`__class__`" in p for p in problems)
    assert len(problems) == 3


def test_check_source_reports_a_syntax_error_with_its_line() -> None:
    [problem] = check_source("fee = 1\nif fee >\n    pass")
    assert problem.startswith("not valid Python (line 2")


def test_check_source_passes_an_ordinary_condition_and_script() -> None:
    assert check_source('acceptance == "accept"', "eval") == []
    assert check_source("total = sum([1, 2])\nlabel = '%s 元' % total") == []


# -- what is refused ---------------------------------------------------------------------------

ESCAPES = {
    "import": "import os\nos.system('true')",
    "from import": "from subprocess import run",
    "__import__": "x = __import__('os')",
    "open": "data = open('/etc/passwd').read()",
    "eval": "x = eval('1 + 1')",
    "exec": "exec('x = 1')",
    "compile": "c = compile('1', 'x', 'eval')",
    "subclasses walk": "x = ().__class__.__bases__[0].__subclasses__()",
    "getattr": "x = getattr(1, '__class__')",
    "globals": "g = globals()",
    "format attribute": "x = '{0.__class__}'.format(1)",
    "format on the type": "x = str.format('{0.__globals__}', len)",
    "format_map": "x = '{a.__class__}'.format_map({'a': 1})",
    "f-string attribute": "x = f'{len.__self__}'",
    "generator frame": "g = (i for i in [1])\nf = g.gi_frame.f_back.f_globals",
    "generator code": "def gen():\n    yield 1\nc = gen().gi_code",
    "private name": "_x = 1",
    "datetime module's sys": "x = datetime.sys.modules['os'].system('true')",
    "math module's loader": "x = math.__loader__",
    "catching the time limit": "try:\n    pass\nexcept Exception:\n    pass",
    "class definition": "class A:\n    pass",
}


@pytest.mark.parametrize("source", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_script_reaching_for_the_system_is_refused_with_a_script_error(source: str) -> None:
    with pytest.raises(ScriptError):
        run_script(source)


@pytest.mark.parametrize("source", [
    "__import__('os').system('true') == 0",
    "().__class__.__bases__[0].__subclasses__() == []",
    "'{0.__class__}'.format(1) == ''",
    "getattr(decision, '__class__') is None",
    "(i for i in [1]).gi_frame is None",
    "open('/etc/passwd').read() == ''",
], ids=["__import__", "subclasses", "format", "getattr", "gi_frame", "open"])
def test_a_condition_reaching_for_the_system_is_refused_with_a_script_error(source: str) -> None:
    with pytest.raises(ScriptError):
        branch(source, decision="approve")


@pytest.mark.parametrize("source", [s for s in ESCAPES.values()
                                    if "datetime.sys" not in s and "class A" not in s])
def test_check_source_sees_each_escape_before_deployment(source: str) -> None:
    assert check_source(source) != []


def test_the_modules_a_script_sees_are_not_the_real_modules() -> None:
    for name in ("math", "datetime"):  # what a sandbox worker sees (engine.sandbox)
        assert not isinstance(evaluate_here(name, {}), types.ModuleType)
    env = RestrictedEnvironment()
    assert env.evaluate("datetime.sys", {}) is None  # not sys: no path to sys.modules
    assert env.evaluate("math.factorial", {}) is None  # can run for minutes in one C call
    with pytest.raises(ScriptError, match="SimpleNamespace"):  # only JSON values come back
        env.evaluate("math", {})


def test_the_time_limit_cannot_be_caught_by_a_script() -> None:
    assert not issubclass(ScriptTimeLimit, Exception)
    assert any("try/except" in p for p in check_source(
        "while True:\n    try:\n        pass\n    except BaseException:\n        pass"))


# -- what runs too long or grows too big ---------------------------------------------------------


def _stopped(source: str, **data: object) -> float:
    started = time.monotonic()
    with pytest.raises(ScriptError) as err:
        run_script(source, **data)
    assert "longer than" in str(err.value) or "larger than" in str(err.value), str(err.value)
    return time.monotonic() - started


def test_an_endless_loop_in_a_script_is_stopped_after_the_time_limit() -> None:
    assert _stopped("while True:\n    pass") < TIME_LIMIT_SECONDS + 2


ENDLESS_CONDITION = "len([1 for i in range(10**6) for j in range(10**6)]) > 0"


def test_an_endless_loop_in_a_condition_is_stopped_after_the_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(ScriptError):
        branch(ENDLESS_CONDITION)
    assert time.monotonic() - started < TIME_LIMIT_SECONDS + 2


def test_a_condition_stopped_or_refused_at_run_time_says_why() -> None:
    # SpiffWorkflow raises WorkflowTaskException("Error evaluating expression …") from inside
    # its `except`, so the ScriptError is the exception's __context__; it has no `.exception`.
    with pytest.raises(ScriptError) as stopped:
        branch(ENDLESS_CONDITION)
    assert "longer than" in str(stopped.value)
    with pytest.raises(ScriptError) as refused:
        branch("decision.format_map({}) == ''", decision="approve")
    assert "format" in str(refused.value) and "refused" in str(refused.value)


@pytest.mark.parametrize("source", [
    "x = sum(range(10**9))",
    "x = 10**10**8",
    "x = pow(7, 10**9)",
    "x = 1 << 10**10",
    "x = 'a' * 10**10",
    "x = [0] * 10**9",
    "x = ('a' * 1000).join(['b'] * 100000)",
    "x = 'x'.ljust(10**10)",
    "x = '%0*d' % (10**10, 1)",
    "x = ('a' * 1000).replace('a', 'b' * 100000)",
    "x = 'a' * 1000000\nx += x",
], ids=["sum range", "power", "pow", "shift", "str repeat", "list repeat", "join", "ljust",
        "percent width", "replace", "doubling"])
def test_work_done_inside_one_c_call_is_refused_before_it_can_outrun_the_time_limit(
        source: str) -> None:
    assert _stopped(source) < TIME_LIMIT_SECONDS


# -- ${…} conditions from Activiti, Flowable and Camunda 7 (engine/el.py) ----------------------

from engine.el import MAX_DEPTH, MAX_LENGTH, ExpressionRefused, translate  # noqa: E402


def _el(expression: str, **data: object) -> object:
    return RestrictedEnvironment().evaluate(expression, dict(data))


@pytest.mark.parametrize(("expression", "data", "expected"), [
    ("${amount > 1000 && approved}", {"amount": 1500, "approved": True}, True),
    ("${amount gt 1000 and not approved}", {"amount": 1500, "approved": True}, False),
    ("#{decision eq 'approve' || decision == \"refuse\"}", {"decision": "refuse"}, True),
    ("${applicant.age >= 18}", {"applicant": {"age": 20}}, True),
    ("${applicant['age'] lt 18}", {"applicant": {"age": 20}}, False),
    ("${missing.deeper == null}", {}, True),
    ("${empty opinion}", {"opinion": ""}, True),
    ("${not empty items}", {"items": ["a"]}, True),
    ("${!(a ne b)}", {"a": 1, "b": 1}, True),
    ("${金额 > 100}", {"金额": 150}, True),
    ("${x le 2.5e0 ? true : false}", {"x": 2}, True),
    ("${(a + b) * 2 mod 5 == 1}", {"a": 1, "b": 2}, True),
    ("${a == b == false}", {"a": 1, "b": 2}, True),  # (a == b) == false, not a chain
    ("${s == '}\\' \"'}", {"s": "}' \""}, True),  # braces and escaped quotes inside text
    ("${unset}", {}, None),
])
def test_an_el_condition_runs_in_the_restricted_environment(
        expression: str, data: dict[str, object], expected: object) -> None:
    assert _el(expression, **data) == expected


@pytest.mark.parametrize(("expression", "words"), [
    ("${a}${b}", ("two expressions", "${a && b}")),
    ("approved is ${approved}", ("text stands before",)),
    ("${approved} and more", ("text follows",)),
    ("${loanService.check(amount)}", ("loanService.check", "form field")),
    ("${execution.getVariable('amount') > 5}", ("write the variable itself: ${amount}",)),
    ("${execution}", ("Camunda/Activiti engine",)),
    ("${fn:length(list) > 0}", ("EL function",)),
    ("${a = 1}", ("single = assigns",)),
    ("${a & b}", ("&&",)),
    ("${__class__}", ("starts with _",)),
    ("${class == 1}", ("reserved",)),
    ("${ﬁle == 1}", ("ordinary letters",)),
    ("${a > }", ("ends too early",)),
    ("${a > 1", ("no closing }",)),
    ("${'unclosed}", ("not closed",)),
    ("${x instanceof y}", ("instanceof",)),
    ("${[1, 2]}", ("cannot start a value",)),
    ("${x -> x}", ("lambda",)),
    ("${a # b}", ("cannot appear",)),
    ("${" + "9" * 40 + " > 1}", ("too long",)),
    ("${" + "(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5) + "}", ("nests deeper",)),
    ("${" + "a || " * 500 + "a}", (f"at most {MAX_LENGTH}",)),
])
def test_an_el_condition_outside_the_subset_is_refused_saying_what_to_write(
        expression: str, words: tuple[str, ...]) -> None:
    with pytest.raises(ExpressionRefused) as refused:
        translate(expression)
    assert all(w in str(refused.value) for w in words), str(refused.value)
    assert refused.value.fix


def test_a_refused_el_condition_fails_the_step_with_a_script_error_not_a_traceback() -> None:
    with pytest.raises(ScriptError, match="loanService"):
        _el("${loanService.check()}")


def test_a_long_chain_of_conditions_stays_within_pythons_nesting_limits() -> None:
    chain = "${" + " || ".join(f"a{i}" for i in range(250)) + "}"
    assert _el(chain, a249=True) is True


def test_the_translation_is_plain_python_the_restricted_checks_accept() -> None:
    from engine.scripting import check_source

    python = translate("${a.b.c eq 'x' && not empty d}")
    assert check_source(python, "eval") == []
    assert "import" not in python and "__" not in python
