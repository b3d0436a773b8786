"""Conditions written for Activiti, Flowable and Camunda 7 (JUEL/UEL ``${…}``), run here.

Files from those tools write conditions as ``${amount > 1000 && approved}``. This module parses
that subset of the Unified Expression Language with a tokenizer and a recursive-descent parser
and writes the same condition as a Python expression, which then runs in the restricted
environment of engine/scripting.py like any other condition (so it passes the same checks and
time limit). Anything outside the subset is refused with what to write instead: a method call or
a bean (``${loanService.check(amount)}``) would need Java objects the engine does not have.

The subset (docs/designer-guide.md, 条件表达式):

* variables (``amount``, ``金额``) and property access (``applicant.age``, ``form['age']``);
  a variable or property no step has set reads as null (None);
* literals: strings in single or double quotes (``\\'`` ``\\"`` ``\\\\`` escapes), whole and
  decimal numbers, ``true`` ``false`` ``null``;
* ``== != < > <= >=`` and ``eq ne lt gt le ge``; ``&& || !`` and ``and or not``; ``empty``;
  ``+ - * / div % mod``; ``a ? b : c``; parentheses.

Deliberate differences from JUEL, written in the guide: values are compared as Python compares
them (``'5' == 5`` is false: a form field's type decides), and ``<``/``>`` on an unset variable
fail the step with a clear error instead of reading null as 0.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass

from engine.errors import ScriptError

MAX_LENGTH = 2000  # characters of one expression
MAX_DEPTH = 40  # nesting of parentheses and operators
MAX_NUMBER_DIGITS = 30

# Objects the Java engines put in scope that Sunshine does not have: the process instance, the
# task, the signed-in user, Spring beans' usual names.
ENGINE_OBJECTS = frozenset({
    "execution", "task", "authenticatedUserId", "processEngine", "runtimeService",
    "taskService", "variables", "externalTask", "connector", "S", "XML", "JSON",
})
_KEYWORDS = frozenset({"and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "true", "false",
                       "null", "empty", "div", "mod", "instanceof"})
_SYMBOLS = ("==", "!=", "<=", ">=", "&&", "||", "->", "+=", "(", ")", "[", "]", ".", ",", "?",
            ":", "<", ">", "!", "+", "-", "*", "/", "%", "=", "&", "|", ";", "{", "}")
_NUMBER = re.compile(r"(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SPACE = " \t\r\n\u00a0\u3000"


class ExpressionRefused(ScriptError):
    """A ``${…}`` expression outside the subset the engine runs: what and what to write."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(f"{reason} — {fix}")
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, id, op, end
    text: str
    value: object = None
    at: int = 0


def is_el(text: str | None) -> bool:
    """True if a condition is written as a ``${…}`` / ``#{…}`` expression (in whole or part)."""
    return bool(text) and ("${" in text or "#{" in text)  # type: ignore[operator]


def _refuse(reason: str, fix: str) -> ExpressionRefused:
    return ExpressionRefused(reason, fix)


def _is_start(ch: str) -> bool:
    return ch == "_" or ch.isidentifier()


def _is_part(ch: str) -> bool:
    return ("a" + ch).isidentifier()


def tokenize(source: str, start: int) -> tuple[list[Token], int]:
    """Tokens of the expression that begins at ``start`` (just after ``${``), and the index just
    after its closing ``}``. Braces inside string literals do not close it."""
    tokens: list[Token] = []
    i, n = start, len(source)
    while True:
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise _refuse("the expression has no closing }", "end it with } — ${amount > 100}")
        ch = source[i]
        if ch == "}":
            tokens.append(Token("end", "}", at=i))
            return tokens, i + 1
        if ch in "'\"":
            value, i = _string(source, i)
            tokens.append(Token("str", value, value, at=i))
            continue
        m = _NUMBER.match(source, i)
        if ch.isdigit() or (ch == "." and m is not None):
            assert m is not None
            text = m.group(0)
            if len(text) > MAX_NUMBER_DIGITS:
                raise _refuse(f"the number {text[:20]}… is too long",
                              f"write numbers of at most {MAX_NUMBER_DIGITS} characters")
            value: object = float(text) if any(c in text for c in ".eE") else int(text)
            if isinstance(value, float) and value in (float("inf"), float("-inf")):
                raise _refuse(f"the number {text} is too large", "write a smaller number")
            tokens.append(Token("num", text, value, at=i))
            i = m.end()
            if i < n and _is_part(source[i]):
                raise _refuse(f"`{text}{source[i]}` is neither a number nor a name",
                              "put a space or an operator between a number and a name")
            continue
        if _is_start(ch):
            j = i + 1
            while j < n and _is_part(source[j]):
                j += 1
            tokens.append(Token("id", source[i:j], at=i))
            i = j
            continue
        sym = next((s for s in _SYMBOLS if source.startswith(s, i)), None)
        if sym is None:
            raise _refuse(f"the character {ch!r} cannot appear in a condition",
                          "use names, numbers, quoted text and the operators of the guide")
        tokens.append(Token("op", sym, at=i))
        i += len(sym)


def _string(source: str, i: int) -> tuple[str, int]:
    quote = source[i]
    out: list[str] = []
    j = i + 1
    while j < len(source):
        ch = source[j]
        if ch == "\\" and j + 1 < len(source) and source[j + 1] in "\\'\"":
            out.append(source[j + 1])
            j += 2
        elif ch == quote:
            return "".join(out), j + 1
        else:
            out.append(ch)
            j += 1
    raise _refuse("a quoted text is not closed", f"close it with {quote}")


class _Parser:
    """Recursive descent over the tokens of one expression; each method returns Python source
    for its part, fully parenthesised (EL and Python chain comparisons differently)."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "id") and tok.text in texts

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind not in ("op", "end"):
            raise _refuse(f"expected `{text}` but found {_shown(tok)}",
                          "check the parentheses and operators")

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _refuse(f"the expression nests deeper than {MAX_DEPTH} levels",
                          "split it: set a variable in a form field or script task first")

    def expression(self) -> str:
        self.nested()
        cond = self.binary(0)
        if self.at("?"):
            self.take()
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            cond = f"({yes} if {cond} else {no})"
        self.depth -= 1
        return cond

    # (EL operators, Python operator) by precedence, loosest first.
    LEVELS: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
        (("||", "or"), {"||": "or", "or": "or"}),
        (("&&", "and"), {"&&": "and", "and": "and"}),
        (("==", "!=", "eq", "ne"), {"==": "==", "eq": "==", "!=": "!=", "ne": "!="}),
        (("<", ">", "<=", ">=", "lt", "gt", "le", "ge"),
         {"<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=",
          "ge": ">="}),
        (("+", "-"), {"+": "+", "-": "-"}),
        (("*", "/", "div", "%", "mod"), {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"}),
    )

    def binary(self, level: int) -> str:
        if level == len(self.LEVELS):
            return self.unary()
        names, python = self.LEVELS[level]
        parts = [self.binary(level + 1)]
        comparison = level in (2, 3)
        while self.at(*names):
            op = python[self.take().text]
            right = self.binary(level + 1)
            if comparison:  # EL's a == b == c is (a == b) == c; Python would chain them
                self.nested()
                parts = [f"({' '.join(parts)} {op} {right})"]
            else:  # same precedence, left to right, in both languages: no nesting needed
                parts += [op, right]
        return parts[0] if len(parts) == 1 else f"({' '.join(parts)})"

    def unary(self) -> str:
        if self.at("!", "not", "-", "empty"):
            op = self.take().text
            self.nested()
            operand = self.unary()
            self.depth -= 1
            if op == "-":
                return f"(-{operand})"
            if op == "empty":
                return f"({operand} in (None, '', [], {{}}))"
            return f"(not {operand})"
        return self.postfix()

    def postfix(self) -> str:
        base, name = self.primary()
        while self.at(".", "["):
            if self.take().text == ".":
                tok = self.take()
                if tok.kind != "id":
                    raise _refuse(f"a name must follow `.`, not {_shown(tok)}",
                                  "write object.property, e.g. applicant.age")
                key = tok.text
                self.no_call(f"{name}.{key}")
                base, name = f"({base} or {{}}).get({key!r})", f"{name}.{key}"
            else:
                index = self.expression()
                self.expect("]")
                if index.startswith(("'", '"')):
                    base = f"({base} or {{}}).get({index})"
                else:
                    base = f"{base}[{index}]"
                name = f"{name}[…]"
                self.no_call(name)
        return base

    def no_call(self, name: str) -> None:
        if self.at("("):
            raise _refuse(f"`{name}(…)` calls a method or function, which the engine cannot run "
                          "(it has no Java objects or beans)",
                          "compute the value in a form field or a script task and compare the "
                          "variable, e.g. ${approved == true}")

    def primary(self) -> tuple[str, str]:
        tok = self.take()
        if tok.kind == "num":
            return repr(tok.value), tok.text
        if tok.kind == "str":
            return repr(tok.value), repr(tok.value)
        if tok.kind == "op" and tok.text == "(":
            inner = self.expression()
            self.expect(")")
            return f"({inner})", "(…)"
        if tok.kind == "id":
            literal = {"true": "True", "false": "False", "null": "None"}.get(tok.text)
            if literal is not None:
                return literal, tok.text
            if tok.text in _KEYWORDS:
                raise _refuse(f"`{tok.text}` is an operator and cannot stand here",
                              "check the expression around it" + (
                                  "; instanceof is not supported" if tok.text == "instanceof"
                                  else ""))
            if self.at(":") and self.peek(1).kind == "id" and self.peek(2).text == "(":
                raise _refuse(f"`{tok.text}:{self.peek(1).text}(…)` is an EL function, which the "
                              "engine cannot run",
                              "compute the value in a form field or a script task first")
            if (tok.text == "execution" and self.at(".") and self.peek(1).text == "getVariable"
                    and self.peek(2).text == "(" and self.peek(3).kind == "str"):
                var = str(self.peek(3).value)
                raise _refuse(f"`execution.getVariable({var!r})` calls the Camunda/Activiti engine",
                              f"write the variable itself: ${{{var}}}")
            self.no_call(tok.text)
            return _name(tok.text), tok.text
        if tok.kind == "end":
            raise _refuse("the expression ends too early", "complete it, e.g. ${amount > 100}")
        raise _refuse(f"{_shown(tok)} cannot start a value here", _fix_for(tok.text))


def _fix_for(symbol: str) -> str:
    return {
        "=": "compare with == (a single = assigns, which conditions may not do)",
        "&": "write && (or and)", "|": "write || (or or)",
        "->": "lambda expressions are not supported; compute the value in a script task",
        ";": "write one expression only", "+=": "conditions may not change variables",
        "{": "collections cannot be written in a condition; set them in a script task",
    }.get(symbol, "check the expression")


def _name(name: str) -> str:
    if name in ENGINE_OBJECTS:
        raise _refuse(f"`{name}` is an object of the Camunda/Activiti engine, which Sunshine does "
                      "not have", "write the process variable itself, e.g. ${approved}")
    if name.startswith("_"):
        raise _refuse(f"the name `{name}` starts with _, which conditions may not use",
                      "rename the variable without the leading _")
    if keyword.iskeyword(name) or name in ("print",):
        raise _refuse(f"the variable name `{name}` is reserved in the engine's conditions",
                      "rename the variable (e.g. add a suffix)")
    if unicodedata.normalize("NFKC", name) != name:
        raise _refuse(f"the variable name `{name}` contains characters with another standard "
                      f"form ({unicodedata.normalize('NFKC', name)!r})",
                      "write the name with ordinary letters (no full-width or ligature forms)")
    from engine.scripting import FORBIDDEN_NAMES

    if name in FORBIDDEN_NAMES:
        raise _refuse(f"`{name}` is not available to conditions", "rename the variable")
    return name


def _shown(tok: Token) -> str:
    return "the end of the expression" if tok.kind == "end" else f"`{tok.text}`"


def translate(text: str) -> str:
    """The Python expression for a ``${…}``/``#{…}`` condition; ExpressionRefused if it is outside
    the subset (the message says what, and what to write instead)."""
    if len(text) > MAX_LENGTH:
        raise _refuse(f"the expression is {len(text)} characters long (at most {MAX_LENGTH})",
                      "split it: set intermediate variables in form fields or a script task")
    source = text.strip(_SPACE)
    if not source.startswith(("${", "#{")):
        raise _refuse("text stands before the ${…} expression",
                      "write the whole condition inside one ${…}")
    tokens, end = tokenize(source, 2)
    rest = source[end:].strip(_SPACE)
    if rest:
        if rest.startswith(("${", "#{")):
            raise _refuse("the condition joins two expressions (${a}${b}), which yields text, "
                          "not a yes/no", "write one expression: ${a && b}")
        raise _refuse("text follows the ${…} expression",
                      "write the whole condition inside one ${…}")
    parser = _Parser(tokens)
    python = parser.expression()
    if parser.peek().kind != "end":
        tok = parser.peek()
        raise _refuse(f"{_shown(tok)} is not expected here",
                      _fix_for(tok.text) if tok.kind == "op" else
                      "join conditions with && or ||")
    return python


def variable_of(text: str) -> str | None:
    """The variable a ``${name}`` (or bare ``name``) collection reference names; None if it is
    anything else (a method call, a property path, a literal list)."""
    source = text.strip(_SPACE)
    if source.startswith(("${", "#{")) and source.endswith("}"):
        source = source[2:-1].strip(_SPACE)
    if source.isidentifier() and not keyword.iskeyword(source) and not source.startswith("_"):
        return source if source not in ENGINE_OBJECTS and source not in _KEYWORDS else None
    return None
