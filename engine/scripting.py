"""The restricted environment in which BPMN conditions and scripts run.

A BPMN file is code from a file: SpiffWorkflow's default script engine runs any Python with
``eval``/``exec``, so a script task ``import os; os.popen('id')`` would run as the server's user.
Here conditions and scripts are compiled with RestrictedPython (as SpiffArena does): no
imports, no names or attributes starting with ``_``, only safe builtins (no ``open``, ``eval``,
``exec``, ``__import__``, ``getattr`` on private attributes), and a time limit. ``check_source``
lets lint refuse what can be seen before deployment; at run time anything else fails safely
with a ScriptError and the case is left unchanged (the service rolls back).
"""

from __future__ import annotations

import ast
import datetime
import math
import sys
import time
from collections.abc import Callable
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

from engine.errors import ScriptError

TIME_LIMIT_SECONDS = 1.0
FORBIDDEN_NAMES = frozenset(
    {"open", "eval", "exec", "compile", "globals", "locals", "vars", "getattr", "setattr",
     "delattr", "input", "breakpoint", "memoryview", "help", "exit", "quit", "__import__"}
)

_EXTRA_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round, "any": any,
    "all": all, "sorted": sorted, "enumerate": enumerate, "zip": zip, "range": range,
    "list": list, "dict": dict, "set": set, "tuple": tuple, "str": str, "int": int,
    "float": float, "bool": bool, "isinstance": isinstance, "map": map, "filter": filter,
    "reversed": reversed,
}
_SAFE_MODULES: dict[str, Any] = {"math": math, "datetime": datetime}


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
    return {
        "__builtins__": builtins,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_guard,
        "_inplacevar_": _inplace,
        **_SAFE_MODULES,
    }


def _inplace(op: str, x: Any, y: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
    }
    if op not in ops:
        raise ScriptError(f"operator {op} is not allowed in a BPMN script")
    return ops[op](x, y)


def check_source(source: str, mode: str = "exec") -> list[str]:
    """Problems that keep a condition (``mode='eval'``) or script from running; [] if none."""
    problems: list[str] = []
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return [f"not valid Python (line {err.lineno}: {err.msg})"]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ", ".join(a.name for a in node.names)
            problems.append(f"imports a module ({names}); scripts may not import anything")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            problems.append(f"uses `{node.id}`, which is not available to BPMN scripts")
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            problems.append(f"uses the name `{node.id}`; names starting with _ are not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            problems.append(f"reads the attribute `{node.attr}`; private attributes are refused")
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, "<bpmn>")
    for err in result.errors:
        if not any(err.split(":")[-1].strip() in p for p in problems):
            problems.append(err)
    # Deduplicate, keep order.
    return list(dict.fromkeys(problems))


class _Deadline:
    """A line tracer that stops a script after TIME_LIMIT_SECONDS."""

    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def __call__(self, frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > self.until:
            raise ScriptError(f"a BPMN script ran longer than {TIME_LIMIT_SECONDS:g} s and was stopped")
        return self


def _run_limited(fn: Callable[[], Any]) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Deadline(TIME_LIMIT_SECONDS))
    try:
        return fn()
    finally:
        sys.settrace(previous)


class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow script environment that evaluates with RestrictedPython and a time limit."""

    def __init__(self) -> None:
        super().__init__({})
        self._cache: dict[tuple[str, str], Any] = {}

    def _compile(self, source: str, mode: str) -> Any:
        key = (mode, source)
        if key not in self._cache:
            problems = check_source(source, mode)
            if problems:
                raise ScriptError(f"refused BPMN {'condition' if mode == 'eval' else 'script'}: "
                                  f"{problems[0]}")
            compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
            self._cache[key] = compiler(source, "<bpmn>").code
        return self._cache[key]

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = self._compile(expression, "eval")
        scope = _guards()
        scope.update(external_context or {})
        scope.update(context)
        return _run_limited(lambda: eval(code, scope))  # noqa: S307 - restricted code object

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        code = self._compile(script, "exec")
        guards = _guards()
        scope = dict(guards)
        scope.update(external_context or {})
        scope.update(context)
        _run_limited(lambda: exec(code, scope))  # noqa: S102 - restricted code object
        for key, value in scope.items():
            if key in guards or key.startswith("_") or callable(value):
                continue
            if external_context and key in external_context:
                continue
            context[key] = value
        for key in [k for k in context if k not in scope]:
            del context[key]
        return True


def restricted_script_engine() -> PythonScriptEngine:
    """The script engine every workflow of Sunshine runs with."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
