"""The web modeler's use cases (流程设计 › 建模器): open a power's file, fill the side form for
the selected element, check the drawing (lint, as deploy does), save it with nothing of its
``sunshine:`` content lost, deploy it as a new version, and compare two deployed versions.

Every one is a designer's: reading and checking under ``check_definition``, deploying under
``deploy`` (through ``catalogue_admin.deploy_bytes``, the one deploy there is). Nothing is
stored except by deploying; a save hands the checked file back to the designer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.catalogue import Power
from engine.errors import SunshineError
from engine.identity import Action, Actor
from engine.lint import Finding, lint_bytes
from engine.modeler import (
    Change,
    ContentLost,
    Loss,
    Outline,
    changed_elements,
    changed_keys,
    compare_outlines,
    element_ids,
    lost_content,
    outline,
    sunshine_content,
)
from engine.modeler_form import ElementForm, apply_form, form_for, resolve
from engine.services import catalogue_admin
from engine.services.context import Env
from engine.services.identity import require
from engine.xmlsafe import parse_bpmn_bytes

DESIGN = Action.CHECK_DEFINITION


@dataclass(frozen=True)
class Opened:
    """A deployed version opened in the modeler."""

    code: str
    version: int
    power: Power
    xml: bytes
    file: str


def open_version(env: Env, actor: Actor, code: str, version: int | None = None) -> Opened:
    """A power's file as deployed (the current version, or ``version``)."""
    require(env, actor, DESIGN, target=code)
    rows = catalogue_admin.power_versions(env, code)
    row = next((r for r in rows if r.version == version), None) if version is not None else \
        next((r for r in rows if r.current), rows[0])
    if row is None:
        from engine.errors import NotFound

        raise NotFound(f"事项 {code} 没有第 {version} 版 (no such version)")
    power, xml = catalogue_admin.version_source(env, code, row.version)
    return Opened(code, row.version, power, xml, row.file)


def _base(env: Env, code: str | None, version: int | None, base_xml: bytes | None) -> bytes | None:
    """What a save is compared with: the stored version it was opened from, else the file the
    designer opened (an upload or the new-power template)."""
    if code and version is not None:
        return catalogue_admin.version_source(env, code, version)[1]
    return base_xml


@dataclass(frozen=True)
class Edited:
    """A side form written into the file: the new file, the ``sunshine:`` keys it changed (a
    save may change them), the findings about that element, and the form to show now."""

    xml: bytes
    changed: tuple[str, ...]
    findings: tuple[Finding, ...]
    form: ElementForm


def side_form(env: Env, actor: Actor, xml: bytes, element: str) -> tuple[ElementForm,
                                                                          tuple[Finding, ...]]:
    """The side form for the selected element, with lint's findings about it."""
    require(env, actor, DESIGN, target=element)
    form = form_for(xml, element)
    return form, _about(_lint(env, xml)[0], form)


def edit(env: Env, actor: Actor, xml: bytes, element: str, kind: str,
         values: Mapping[str, Any]) -> Edited:
    """Write a side form into the file (``apply``) or only check it as the designer types
    (the same, without keeping the result)."""
    require(env, actor, DESIGN, target=element)
    new = apply_form(xml, element, kind, values)
    before = sunshine_content(parse_bpmn_bytes(xml).getroot())
    after = sunshine_content(parse_bpmn_bytes(new).getroot())
    root = parse_bpmn_bytes(new).getroot()
    _, el, _ = resolve(root, element)
    form = form_for(new, el.get("id") or element)
    findings = _about(_lint(env, new)[0], form)
    return Edited(new, tuple(changed_keys(before, after)), findings, form)


def _lint(env: Env, xml: bytes) -> tuple[list[Finding], list[Power]]:
    """Lint the drawing as deploy will: a call activity may call a process already deployed."""
    from engine.services.called import DeployedProcesses

    with env.uow() as uow:
        return lint_bytes(xml, "modeler.bpmn", DeployedProcesses(uow))


def _about(findings: Iterable[Finding], form: ElementForm) -> tuple[Finding, ...]:
    """The findings the side form shows: the element's own; for the power, the process's and
    the whole file's."""
    ids = {form.element} | ({form.process, None} if form.kind == "power" else set())
    return tuple(f for f in findings if f.element in ids)


@dataclass(frozen=True)
class Checked:
    """The drawing as lint sees it now, and what a save would lose."""

    findings: tuple[Finding, ...]
    lost: tuple[Loss, ...]
    power: Power | None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def check(env: Env, actor: Actor, xml: bytes, *, code: str | None = None,
          version: int | None = None, base_xml: bytes | None = None,
          edited: Iterable[str] = ()) -> Checked:
    """Lint the drawing (every finding with its element id, for the markers) and compare its
    ``sunshine:`` content with the version it was opened from."""
    require(env, actor, DESIGN, target=code or "")
    findings, powers = _lint(env, xml)
    return Checked(tuple(findings), tuple(_lost(env, xml, code, version, base_xml, edited)),
                   powers[0] if powers else None)


def _lost(env: Env, xml: bytes, code: str | None, version: int | None, base_xml: bytes | None,
          edited: Iterable[str]) -> list[Loss]:
    base = _base(env, code, version, base_xml)
    if base is None:
        return []
    try:
        before = sunshine_content(parse_bpmn_bytes(base).getroot())
    except SunshineError:
        return []  # the file opened was not BPMN: there was nothing to keep
    root = parse_bpmn_bytes(xml, "modeler.bpmn").getroot()
    return lost_content(before, sunshine_content(root), element_ids(root), edited=edited)


def save(env: Env, actor: Actor, xml: bytes, *, file: str, code: str | None = None,
         version: int | None = None, base_xml: bytes | None = None,
         edited: Iterable[str] = ()) -> bytes:
    """The drawing as a file to keep, refused (``ContentLost``, naming each value) if it lost
    ``sunshine:`` content the designer did not change. Lint findings do not stop a save (a
    draft may be unfinished); they stop a deploy."""
    require(env, actor, DESIGN, target=code or file)
    lost = _lost(env, xml, code, version, base_xml, edited)
    if lost:
        raise ContentLost(lost, file)
    return xml


def deploy(env: Env, actor: Actor, xml: bytes, *, file: str, code: str | None = None,
           version: int | None = None, base_xml: bytes | None = None,
           edited: Iterable[str] = (), now: datetime | None = None
           ) -> list[catalogue_admin.Deployed]:
    """Deploy the drawing as a new version (lint, all or nothing, as any deploy), refused first
    if it lost ``sunshine:`` content."""
    require(env, actor, Action.DEPLOY, target=code or file, now=now)
    lost = _lost(env, xml, code, version, base_xml, edited)
    if lost:
        raise ContentLost(lost, file)
    return catalogue_admin.deploy_bytes(env, [(file, xml)], actor=actor, now=now)


@dataclass(frozen=True)
class Comparison:
    """Two deployed versions of a power side by side: what changed, in words, and which
    elements to colour on each one's flowchart."""

    code: str
    a: Opened
    b: Opened
    changes: tuple[Change, ...]
    marks: dict[str, list[str]]  # added / changed (on b's chart), removed (on a's)

    def by_area(self) -> list[tuple[str, list[Change]]]:
        order = ("事项信息", "岗位", "环节", "节点", "连线")
        return [(area, [c for c in self.changes if c.area == area]) for area in order
                if any(c.area == area for c in self.changes)]


def compare_versions(env: Env, actor: Actor, code: str, a: int, b: int) -> Comparison:
    """What changed from version ``a`` to version ``b`` of a power."""
    require(env, actor, DESIGN, target=code)
    va, vb = open_version(env, actor, code, a), open_version(env, actor, code, b)
    changes = compare_outlines(_outline(va.xml), _outline(vb.xml))
    return Comparison(code, va, vb, tuple(changes), changed_elements(changes))


def _outline(xml: bytes) -> Outline:
    return outline(parse_bpmn_bytes(xml).getroot())


__all__ = ["Checked", "Comparison", "Edited", "Opened", "check", "compare_versions", "deploy",
           "edit", "open_version", "save", "side_form"]
