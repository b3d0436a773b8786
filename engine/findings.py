"""A lint finding (检查结果): file, element id, rule, what is wrong and how to fix it.

Lint (engine/lint.py), deploy (engine/services/catalogue_admin.py) and the web modeler all
speak in findings, so that a designer sees the same words wherever a file is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import DefinitionError


@dataclass(frozen=True)
class Finding:
    """One lint finding: where, which rule, what is wrong and how to fix it. ``element`` is
    None only when the file could not be read as BPMN at all."""

    file: str
    element: str | None
    rule: str
    message: str
    severity: str = "error"
    fix: str = ""

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.element) if p)
        return f"{where}: [{self.rule}] {self.message}" + (f" — {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, str | None]:
        return {"file": self.file, "element": self.element, "rule": self.rule,
                "message": self.message, "fix": self.fix, "severity": self.severity}


class Collector:
    """The findings of one file, in the order the rules found them."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def error(self, element: str | None, rule: str, message: str, fix: str) -> None:
        self.findings.append(Finding(self.file, element, rule, message, "error", fix))

    def warn(self, element: str | None, rule: str, message: str, fix: str) -> None:
        self.findings.append(Finding(self.file, element, rule, message, "warning", fix))

    def errors_since(self, mark: int) -> list[Finding]:
        return [f for f in self.findings[mark:] if f.severity == "error"]


def split_fix(text: str) -> tuple[str, str]:
    """A DefinitionError's "what — how to fix it" as (message, fix)."""
    what, sep, fix = text.partition(" — ")
    return (what, fix) if sep else (text, "fix the file in a BPMN modeler and lint it again")


def from_error(file: str, err: DefinitionError, rule: str,
               element: str | None = None) -> Finding:
    message, fix = split_fix(err.bare_message)
    return Finding(file, err.element or element, rule, message, "error", fix)
