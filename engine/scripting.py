"""The restricted environment in which BPMN conditions and scripts run.

A BPMN file is code from a file: SpiffWorkflow's default script engine runs any Python with
``eval``/``exec``, so a script task ``import os; os.popen('id')`` would run as the server's user.
Here conditions and scripts are compiled with RestrictedPython (as SpiffArena does): no
imports, no names or attributes starting with ``_``, only safe builtins (no ``open``, ``eval``,
``exec``, ``__import__``, ``getattr`` on private attributes), and a time limit. ``check_source``
lets lint refuse what can be seen before deployment; at run time anything else fails safely
with a ScriptError and the case is left unchanged (the service rolls back).

Three holes RestrictedPython leaves open are closed here:

* ``math`` and ``datetime`` are offered as read-only namespaces of their public names, never as
  the modules: the ``datetime`` module carries ``datetime.sys``, and from there
  ``sys.modules['os']`` is one subscript away.
* The time limit is a line tracer. CPython drops a tracer that raised, so a script that caught
  the time-limit error would then loop for ever unwatched: ``try`` is refused, and the error is
  a BaseException that ``except Exception`` could not catch anyway.
* A tracer only runs between Python lines, so work done inside one C call (``sum(range(10**9))``,
  ``10**10**8``, ``'x' * 10**10``) escapes it: ``range`` is bounded and ``+ * ** << %`` and the
  padding and ``replace`` methods of strings refuse results past ``SIZE_LIMIT``.
"""

from __future__ import annotations

import ast
import datetime
import json
import math
import re
import sys
import time
import traceback
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.util.task import TaskState

from engine import sandbox
from engine.errors import ScriptError
from engine.sandbox import MEMORY_LIMIT_BYTES, TIME_LIMIT_SECONDS

SIZE_LIMIT = 1_000_000  # items, characters or bits one operation may produce
FORBIDDEN_NAMES = frozenset(
    {"open", "eval", "exec", "compile", "globals", "locals", "vars", "getattr", "setattr",
     "delattr", "input", "breakpoint", "memoryview", "help", "exit", "quit", "__import__",
     "BaseException"}
)
# str.format/format_map read attributes named in the format string ('{0.__class__}'), past
# every attribute guard; RestrictedPython refuses them at run time, lint says so up front.
FORMAT_METHODS = frozenset({"format", "format_map"})

_EXTRA_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round, "any": any,
    "all": all, "sorted": sorted, "enumerate": enumerate, "zip": zip, "range": range,
    "list": list, "dict": dict, "set": set, "tuple": tuple, "str": str, "int": int,
    "float": float, "bool": bool, "isinstance": isinstance, "map": map, "filter": filter,
    "reversed": reversed,
}


class ScriptTimeLimit(BaseException):
    """Raised inside a script that ran out of time; not an Exception, so scripts cannot catch
    it (and ``try`` is refused anyway). Turned into ScriptError outside the script."""


def _too_big(what: str) -> ScriptError:
    return ScriptError(f"a BPMN script tried to build {what} larger than {SIZE_LIMIT:,}; "
                       f"scripts work on small case data")


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > SIZE_LIMIT:
        raise _too_big("a range")
    return r


def _bounded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if (mod is None and isinstance(base, int) and isinstance(exp, int) and exp > 0
            and abs(base) > 1 and base.bit_length() * exp > SIZE_LIMIT):
        raise _too_big("a number (bits)")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


_FORMAT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)(?:\.(\*|\d+))?")


def _binop(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for the operators that can build a huge value inside one C call."""
    if op == "+":
        sa, sb = _size(a), _size(b)
        if sa is not None and sb is not None and sa + sb > SIZE_LIMIT:
            raise _too_big("a sequence")
        return a + b
    if op == "*":
        for seq, n in ((a, b), (b, a)):
            if _size(seq) is not None and isinstance(n, int) and _size(seq) * n > SIZE_LIMIT:
                raise _too_big("a sequence")
        if (isinstance(a, int) and isinstance(b, int)
                and a.bit_length() + b.bit_length() > SIZE_LIMIT):
            raise _too_big("a number (bits)")
        return a * b
    if op == "**":
        return _bounded_pow(a, b)
    if op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > SIZE_LIMIT:
            raise _too_big("a number (bits)")
        return a << b
    if op == "%":
        if isinstance(a, (str, bytes)):
            text = a.decode("latin-1") if isinstance(a, bytes) else a
            for match in _FORMAT_WIDTH.finditer(text):
                if "*" in match.groups("") or any(
                        g and g.isdigit() and int(g) > SIZE_LIMIT for g in match.groups()):
                    raise _too_big("a formatted string")
        return a % b
    raise ScriptError(f"operator {op} is not allowed in a BPMN script")


_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_TEXT = (str, bytes)


def _check_padding(text: Any, *args: Any) -> None:
    if any(isinstance(x, int) and x > SIZE_LIMIT for x in args):
        raise _too_big("a string")


def _check_replace(text: Any, old: Any, new: Any, count: int = -1) -> None:
    found = text.count(old) if count < 0 else min(count, text.count(old))
    if len(text) + found * max(0, len(new) - len(old)) > SIZE_LIMIT:
        raise _too_big("a string")


def _check_join(sep: Any, items: Any) -> list[Any]:
    items = list(items)
    if len(sep) * max(0, len(items) - 1) + sum(_size(i) or 0 for i in items) > SIZE_LIMIT:
        raise _too_big("a string")
    return items


def _check_extend(seq: Any, items: Any) -> None:
    if _size(seq) is not None and (_size(items) or 0) + len(seq) > SIZE_LIMIT:
        raise _too_big("a list")


def _guarded_method(obj: Any, name: str, method: Any) -> Any:
    """Methods that can grow a value by a large factor in one C call, bounded."""
    unbound = isinstance(obj, type)  # str.join(sep, items) as well as sep.join(items)
    if (issubclass(obj, _TEXT) if unbound else isinstance(obj, _TEXT)):
        check = {"replace": _check_replace, "join": None,
                 **{n: _check_padding for n in _PADDING}}.get(name, False)
    elif (issubclass(obj, list) if unbound else isinstance(obj, list)) and name == "extend":
        check = _check_extend
    else:
        check = False
    if check is False:
        return method

    def guarded(*args: Any) -> Any:
        target, rest = (args[0], args[1:]) if unbound else (obj, args)
        if name == "join":
            items = _check_join(target, *rest)
            return method(*args[:1], items) if unbound else method(items)
        check(target, *rest)  # type: ignore[operator]
        return method(*args)

    return guarded


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    """RestrictedPython's safer_getattr, with methods that can grow a value bounded."""
    value = safer_getattr(obj, name, *((default,) if default is not None else ()))
    return _guarded_method(obj, name, value)


def _namespace(module: Any, names: list[str]) -> SimpleNamespace:
    """A read-only view of some public names of a module (never the module itself)."""
    return SimpleNamespace(**{n: getattr(module, n) for n in names})


# No factorial/comb/perm/prod: each can run for minutes inside one C call.
_MATH_NAMES = [n for n in dir(math) if not n.startswith("_")
               and n not in ("factorial", "comb", "perm", "prod")]
_DATETIME_NAMES = ["date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR"]
_EXTRA_BUILTINS.update({"range": _bounded_range, "pow": _bounded_pow})


def _safe_modules() -> dict[str, Any]:
    return {"math": _namespace(math, _MATH_NAMES),
            "datetime": _namespace(datetime, _DATETIME_NAMES)}


def _write_guard(obj: Any) -> Any:
    # Scripts may write to plain data containers (task data is dicts and lists of JSON values).
    if isinstance(obj, (dict, list)):
        return obj
    raise ScriptError(f"a script may only change dictionaries and lists, not {type(obj).__name__}")


def _guards() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    for name in FORBIDDEN_NAMES:
        builtins.pop(name, None)
    builtins["_getattr_"] = _getattr
    return {
        "__builtins__": builtins,
        "_getattr_": _getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_guard,
        "_inplacevar_": _inplace,
        "_binop_": _binop,
        **_safe_modules(),
    }


def _inplace(op: str, x: Any, y: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: _binop("+", a, b), "-=": lambda a, b: a - b,
        "*=": lambda a, b: _binop("*", a, b), "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b, "%=": lambda a, b: _binop("%", a, b),
        "**=": lambda a, b: _binop("**", a, b), "<<=": lambda a, b: _binop("<<", a, b),
    }
    if op not in ops:
        raise ScriptError(f"operator {op} is not allowed in a BPMN script")
    return ops[op](x, y)


_GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%",
}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's rules, plus ``a op b`` → ``_binop_(op, a, b)`` for the operators
    that can build a huge value inside one C call (see module docstring)."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(op), node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call


def _compile(source: str, mode: str) -> Any:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    return compiler(source, "<bpmn>", policy=_Policy)


_GUARD_NAMES: frozenset[str] = frozenset()


def check_source(source: str, mode: str = "exec") -> list[str]:
    """Problems that keep a condition (``mode='eval'``) or script from running; [] if none."""
    problems: list[str] = []
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return [f"not valid Python (line {err.lineno}: {err.msg})"]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = (node.module or ".") if isinstance(node, ast.ImportFrom) else ", ".join(
                a.name for a in node.names)
            problems.append(f"imports a module ({names}); scripts may not import anything")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            problems.append(f"uses `{node.id}`, which is not available to BPMN scripts")
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            problems.append(f"uses the name `{node.id}`; names starting with _ are not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            problems.append(f"reads the attribute `{node.attr}`; private attributes are refused")
        elif isinstance(node, ast.Attribute) and node.attr in FORMAT_METHODS:
            problems.append(f"calls `.{node.attr}()`, which can read private attributes through "
                            f"its format string; use an f-string or `%` instead")
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            problems.append("uses try/except; BPMN scripts may not catch errors (a failing "
                            "script stops the step and leaves the case unchanged)")
    result = _compile(source, mode)
    for err in result.errors:
        # RestrictedPython names the offending name in quotes; skip what was said above.
        quoted = re.findall(r'"([^"]+)"', err)
        if not any(f"`{q}`" in p for q in quoted for p in problems):
            problems.append(err)
    # Deduplicate, keep order.
    return list(dict.fromkeys(problems))


class _Deadline:
    """A line tracer that stops a script after TIME_LIMIT_SECONDS."""

    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def __call__(self, frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > self.until:
            raise ScriptTimeLimit()
        return self


def _run_limited(fn: Callable[[], Any]) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Deadline(TIME_LIMIT_SECONDS))
    try:
        return fn()
    except ScriptTimeLimit:
        raise ScriptError(f"a BPMN script ran longer than {TIME_LIMIT_SECONDS:g} s and was "
                          f"stopped") from None
    except NotImplementedError as err:  # RestrictedPython's refusal of str.format & co.
        raise ScriptError(f"refused in a BPMN script: {err}") from None
    finally:
        sys.settrace(previous)


class _Unset(dict):  # type: ignore[type-arg]
    """Task data as a condition sees it: a variable no step has set yet reads as None, so a
    gateway's default flow is taken (``commitment == True`` is False when nobody recorded a
    commitment) instead of the case failing with a NameError. Builtins still resolve."""

    def __missing__(self, key: str) -> None:
        if key in _GUARD_NAMES:
            raise KeyError(key)
        return None


_CACHE: dict[tuple[str, str], Any] = {}


def _compiled(source: str, mode: str) -> Any:
    key = (mode, source)
    if key not in _CACHE:
        problems = check_source(source, mode)
        if problems:
            raise ScriptError(f"refused BPMN {'condition' if mode == 'eval' else 'script'}: "
                              f"{problems[0]}")
        if len(_CACHE) > 512:
            _CACHE.clear()
        _CACHE[key] = _compile(source, mode).code
    return _CACHE[key]


def evaluate_here(expression: str, context: dict, external_context: dict | None = None) -> Any:
    """Evaluate a condition in this process, with the guards and the line tracer only: what a
    sandbox worker does (engine/sandbox.py); never call it with a designer's text elsewhere."""
    code = _compiled(python_condition(expression), "eval")
    scope = _guards()
    scope.update(external_context or {})
    names = _Unset({**context, **(external_context or {})})
    return _run_limited(lambda: eval(code, scope, names))  # noqa: S307 - restricted code


def execute_here(script: str, context: dict, external_context: dict | None = None) -> None:
    """Run a script in this process and update ``context`` (see evaluate_here)."""
    code = _compiled(script, "exec")
    guards = _guards()
    scope = dict(guards)
    scope.update(external_context or {})
    scope.update(context)
    _run_limited(lambda: exec(code, scope))  # noqa: S102 - restricted code object
    for key, value in scope.items():
        if key in guards or key.startswith("_") or callable(value):
            continue  # as SpiffWorkflow's TaskDataEnvironment: functions stay in the script
        if external_context and key in external_context:
            continue
        context[key] = value
    for key in [k for k in context if k not in scope]:
        del context[key]


_CASE_VALUES = "case data holds text, numbers, true/false, null, lists and dictionaries"
_HINTS = {"set": "make it a list: sorted(…)", "frozenset": "make it a list: sorted(…)",
          "datetime": "store it as text: ….isoformat()", "date": "store it as text: ….isoformat()",
          "time": "store it as text: ….isoformat()",
          "timedelta": "store a number, e.g. ….days or ….total_seconds()",
          "function": "call it and keep its result", "builtin_function_or_method":
          "call it and keep its result", "bytes": "store text instead"}


def json_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be kept in case data (``name`` says whose it is), or None."""
    if isinstance(value, str) and len(value) > SIZE_LIMIT:
        return (f"{name} is a text of {len(value):,} characters; a value in case data may hold "
                f"at most {SIZE_LIMIT:,}")
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except RecursionError:
        return f"{name} nests lists or dictionaries too deeply to be kept ({_CASE_VALUES})"
    except ValueError as err:
        what = "refers to itself" if "ircular" in str(err) else "holds NaN or infinity"
        return f"{name} {what}, which case data cannot hold ({_CASE_VALUES})"
    except TypeError:
        found = _first_foreign(value)
        kind = type(found).__name__
        hint = _HINTS.get(kind)
        return (f"{name} holds a {kind}, which case data cannot hold ({_CASE_VALUES})"
                + (f"; {hint}" if hint else ""))
    if len(text) > SIZE_LIMIT * 4:
        return f"{name} is {len(text):,} characters as JSON; case data keeps small values"
    return None


def _first_foreign(value: Any) -> Any:
    """The first value inside ``value`` that JSON cannot hold (for the message)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(not isinstance(k, str) for k in item):
                return next(k for k in item if not isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not isinstance(item, (str, int, float, bool, type(None))):
            return item
    return value


def _failure_line(source: str, err: BaseException) -> str:
    line = 0
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == "<bpmn>":
            line = frame.lineno or 0
    lines = source.splitlines()
    if 0 < line <= len(lines):
        return f" (line {line}: `{lines[line - 1].strip()[:120]}`)"
    return ""


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """What a sandbox worker replies to one request (engine/sandbox.py): the condition's value
    or the script's data, or a sentence a designer can read. Never raises."""
    mode, source = request.get("mode"), str(request.get("source", ""))
    data, external = request.get("data") or {}, request.get("external") or {}
    kind = "condition" if mode == "eval" else "script"
    try:
        if mode == "eval":
            value = evaluate_here(source, data, external)
            problem = json_problem("its value", value)
            if problem:
                raise ScriptError(f"the BPMN condition gives no usable value: {problem}")
            return {"ok": True, "value": value}
        execute_here(source, data, external)
        for key, value in data.items():
            problem = json_problem(f"the variable `{key}`", value)
            if problem:
                raise ScriptError(f"the BPMN script's result cannot be recorded: {problem}")
        return {"ok": True, "data": data}
    except MemoryError:
        return {"ok": False, "retire": True, "error": (
            f"the BPMN {kind} needed more than {MEMORY_LIMIT_BYTES // 2**20} MB of memory and "
            f"was stopped")}
    except RecursionError:
        return {"ok": False, "error": f"the BPMN {kind} recursed too deeply (a function calling "
                                      f"itself without end?) and was stopped"}
    except ScriptError as err:
        return {"ok": False, "error": str(err)}
    except Exception as err:  # the script's own error (ZeroDivisionError, KeyError …)
        detail = f"{type(err).__name__}: {err}"[:300]
        return {"ok": False, "error": f"the BPMN {kind} failed with {detail}"
                                      f"{_failure_line(source, err)}"}


def _sandboxed(mode: str, source: str, context: dict, external: dict | None) -> dict[str, Any]:
    kind = "condition" if mode == "eval" else "script"
    for values in (context, external or {}):
        for key, value in values.items():
            problem = json_problem(f"the variable `{key}`", value)
            if problem:
                raise ScriptError(f"the BPMN {kind} cannot be given the case data: {problem}")
    request = {"mode": mode, "source": source, "data": context, "external": external or {}}
    try:
        reply = sandbox.pool().run(request)
    except sandbox.WorkerLost as lost:
        raise ScriptError(f"the BPMN {kind} {lost}") from None
    if not reply.get("ok"):
        raise ScriptError(str(reply.get("error") or f"the BPMN {kind} failed"))
    return reply


class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow script environment: each condition and script runs with RestrictedPython
    in a sandbox process (engine/sandbox.py); only JSON values go in and come out."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        reply = _sandboxed("eval", expression, context, external_context)
        return reply.get("value")

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        reply = _sandboxed("exec", script, context, external_context)
        data = reply["data"]
        for key in [k for k in context if k not in data]:
            del context[key]
        context.update(data)
        return True


def python_condition(expression: str) -> str:
    """A condition as Python: a JUEL ``${…}`` one (Activiti, Flowable, Camunda 7) translated by
    engine/el.py (ExpressionRefused if outside the subset), a Python one as it is."""
    from engine.el import is_el, translate

    return translate(expression) if is_el(expression) else expression


def condition_problems(expression: str) -> list[tuple[str, str]]:
    """(what is wrong, what to write instead) for each problem that keeps a condition from
    running in this environment; [] if none. Lint and the web modeler ask this."""
    from engine.el import ExpressionRefused

    try:
        python = python_condition(expression)
    except ExpressionRefused as err:
        return [(err.reason, err.fix)]
    return [(p, "write the condition with the variables of the case, e.g. "
                "decision == \"approve\" or ${decision == 'approve'}")
            for p in check_source(python, "eval")]


def _loop_variables(task: Any) -> dict[str, Any]:
    """What Camunda and Activiti call the multi-instance counters, for a completion condition or
    a step inside a multi-instance activity (SpiffWorkflow keeps them in internal data)."""
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

    parent = getattr(task, "parent", None)
    child, owner = task, parent
    if owner is None or not isinstance(owner.task_spec, MultiInstanceTask):
        return {}
    instances = [c for c in owner.children if c.task_spec.name == owner.task_spec.task_spec]
    completed = len(owner.internal_data.get("merged", []))
    cardinality = owner.internal_data.get("cardinality")
    total = cardinality if isinstance(cardinality, int) else len(instances) + len(
        owner.internal_data.get("remaining", []))
    index = child.internal_data.get("key_or_index")
    if not isinstance(index, int):
        index = child.internal_data.get("item") if isinstance(
            child.internal_data.get("item"), int) else instances.index(child) if (
            child in instances) else 0
    return {"nrOfInstances": total, "nrOfCompletedInstances": completed,
            "nrOfActiveInstances": sum(1 for c in instances if not c.has_state(
                TaskState.FINISHED_MASK)), "loopCounter": index}


class SunshineScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with the restricted environment, which also offers the
    multi-instance counters that Camunda-style completion conditions read."""

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        loop = _loop_variables(task)
        if loop:
            external_context = {**loop, **(external_context or {})}
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ScriptError as err:
            raise _at_element(task, err) from None

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> Any:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptError as err:
            raise _at_element(task, err) from None


def _at_element(task: Any, err: ScriptError) -> ScriptError:
    """The error, naming the BPMN element (id and name) whose condition or script it was."""
    spec = getattr(task, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", "?")
    name = getattr(spec, "bpmn_name", None)
    return ScriptError(f"`{element}`" + (f" “{name}”" if name else "") + f": {err}")


def restricted_script_engine() -> PythonScriptEngine:
    """The script engine every workflow of Sunshine runs with."""
    return SunshineScriptEngine(environment=RestrictedEnvironment())


_GUARD_NAMES = frozenset(_guards()) | frozenset(_guards()["__builtins__"])
