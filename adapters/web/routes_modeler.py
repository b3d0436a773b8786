"""流程设计 › 建模器: the web modeler (bpmn-js, vendored in static/vendor/bpmn-js) with a side
form rendered here for the selected element, lint markers, the public flowchart beside it,
save and deploy; and the comparison of two deployed versions.

The browser holds the drawing; every request that needs it posts the current XML (``xml``).
The side form is written into the XML here (engine/modeler_form.py) and the page imports the
result again, so the ``sunshine:`` content is only ever edited by the server. A save and a
deploy name what they were opened from (``code`` and ``version``, or ``base_xml`` for an
uploaded file or a new power) and the keys the side form changed (``edited``), so that anything
else of the ``sunshine:`` content that went missing refuses them (engine/modeler.py).

Included by routes_designer.py's router.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web import sessions
from adapters.web.deps import env_of, signed_in
from adapters.web.errors import WebError
from adapters.web.render import render
from adapters.web.sessions import Signed
from adapters.web.uploads import UPLOAD_LIMIT, Upload, label, uploaded
from engine.catalogue import Power
from engine.errors import Forbidden, SunshineError
from engine.modeler_form import CHOICES
from engine.services import modeler

router = APIRouter(include_in_schema=False)

NEW_POWER = Path(__file__).resolve().parent / "static" / "modeler-new.bpmn"
XML_LIMIT = UPLOAD_LIMIT  # as an upload
# the drawing, the file it was opened from and the side form's fields
REQUEST_LIMIT = 2 * XML_LIMIT + 256 * 1024

# lint rule → the side form's field its message belongs beside
RULE_FIELDS = {
    "power-code": "code", "duplicate-code": "code", "power-name": "name",
    "short-name": "shortName", "category": "category", "unit": "unit", "mode": "mode",
    "promised-limit": "promisedLimit", "promised-over-two-thirds": "promisedLimit",
    "statutory-limit": "statutoryLimit", "non-public-filing": "np_reason",
    "deemed-timer": "deemedApproval", "step-time-limit": "timeLimit", "step-role": "step",
    "special-kind": "special", "end-result": "result", "timer-deadline": "deadline",
    "step-lane": "lane", "not-executable": "executable",
}


async def modeler_form(request: Request) -> tuple[Signed, dict[str, Any]]:
    """A request from the modeler page: signed in, with the session's CSRF token (field or
    htmx header), the drawing at most ``XML_LIMIT`` bytes."""
    signed = sessions.require(env_of(request), request)
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > REQUEST_LIMIT:
        raise WebError(f"图过大：流程文件不能超过 {XML_LIMIT // (1024 * 1024)} MB (drawing too large)",
                       status=413, code="too_large")
    try:
        form = await request.form(max_files=0, max_fields=2000, max_part_size=REQUEST_LIMIT)
    except Exception as err:  # noqa: BLE001 - a form that cannot be read is bad input
        raise WebError(f"请求无法读取 (unreadable form): {err}", status=400,
                       code="bad_form") from None
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    token = values.get("csrf_token")
    sessions.check_csrf(request, signed, token if isinstance(token, str) else None)
    return signed, values


def script_json(value: Any) -> str:
    """JSON to sit inside <script type="application/json">: no ``<``, ``>`` or ``&`` that could
    close the element early (lint's messages quote the file's own text)."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def _field(values: dict[str, Any], name: str) -> str:
    value = values.get(name, "")
    return str(value[-1] if isinstance(value, list) and value else value or "")


def _xml(values: dict[str, Any], name: str = "xml") -> bytes:
    data = _field(values, name).encode("utf-8")
    if not data.strip():
        raise WebError("没有收到流程图 (no drawing sent): 请刷新页面后重试", status=400,
                       code="no_file", field=name)
    if len(data) > XML_LIMIT:
        raise WebError(f"图过大：流程文件不能超过 {XML_LIMIT // (1024 * 1024)} MB (drawing too large)",
                       status=413, code="too_large", field=name)
    return data


def _origin(values: dict[str, Any]) -> dict[str, Any]:
    """What the drawing was opened from, and the keys the side form changed since."""
    version = _field(values, "version")
    base = _field(values, "base_xml").encode("utf-8")
    try:
        edited = json.loads(_field(values, "edited") or "[]")
    except ValueError:
        edited = []
    return {"code": _field(values, "code") or None,
            "version": int(version) if version.isdigit() else None,
            "base_xml": base if base.strip() else None,
            "edited": [str(k) for k in edited] if isinstance(edited, list) else []}


def _file_name(values: dict[str, Any]) -> str:
    return label(_field(values, "file") or "modeler.bpmn")


# -- the page ---------------------------------------------------------------------------------


def _page(request: Request, *, xml: bytes, title: str, code: str | None = None,
          version: int | None = None, file: str = "", base: bool = False,
          notice: str | None = None, power: Power | None = None) -> Response:
    return render(request, "designer_modeler.html", {
        "xml": xml.decode("utf-8", "replace"), "title": title, "code": code or "",
        "version": version, "file": file, "base_xml": xml.decode("utf-8", "replace") if base else "",
        "notice": notice, "power": power})


@router.get("/designer/modeler/new")
def new_power(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    """A new power: a pool with one lane, a start, the acceptance step and an end."""
    from engine.services.web_views import DESIGN, require_role

    require_role(env_of(request), signed.actor, DESIGN, target="new")
    return _page(request, xml=NEW_POWER.read_bytes(), title="新事项", file="new_power.bpmn",
                 base=True)


@router.post("/designer/modeler/open")
def open_file(request: Request, upload: Upload = Depends(uploaded)) -> Response:
    """A file from the designer's computer (Camunda Modeler, Activiti …) opened in the
    modeler; a save is compared with it."""
    from engine.services.web_views import DESIGN, require_role

    require_role(env_of(request), upload.signed.actor, DESIGN, target=upload.name)
    return _page(request, xml=upload.data, title=upload.name, file=upload.name, base=True)


@router.get("/designer/modeler/{code}")
def open_power(request: Request, code: str, v: int | None = None, done: str = "",
               signed: Signed = Depends(signed_in)) -> Response:
    opened = modeler.open_version(env_of(request), signed.actor, code, v)
    return _page(request, xml=opened.xml, title=opened.power.name, code=code,
                 version=opened.version, file=opened.file, notice=done or None,
                 power=opened.power)


# -- the side form ---------------------------------------------------------------------------


def _side(request: Request, form: Any, findings: Any, *, xml: bytes | None = None,
          changed: tuple[str, ...] = (), saved: bool = False) -> Response:
    by_field: dict[str, list[Any]] = {}
    for f in findings:
        by_field.setdefault(RULE_FIELDS.get(f.rule, ""), []).append(f)
    return render(request, "designer_modeler_side.html", {
        "form": form, "findings": findings, "by_field": by_field, "choices": CHOICES,
        "xml_out": xml.decode("utf-8") if xml is not None else None,
        "changed": script_json(list(changed)), "saved": saved})


@router.post("/designer/modeler/form")
def side_form(request: Request, sent: tuple[Signed, dict[str, Any]] = Depends(modeler_form)
              ) -> Response:
    signed, values = sent
    form, findings = modeler.side_form(env_of(request), signed.actor, _xml(values),
                                       _field(values, "element"))
    return _side(request, form, findings)


@router.post("/designer/modeler/apply")
def apply(request: Request, sent: tuple[Signed, dict[str, Any]] = Depends(modeler_form)
          ) -> Response:
    """写入: the side form into the drawing; the page imports ``xml_out`` again."""
    signed, values = sent
    done = modeler.edit(env_of(request), signed.actor, _xml(values), _field(values, "element"),
                        _field(values, "kind"), values)
    return _side(request, done.form, done.findings, xml=done.xml, changed=done.changed,
                 saved=True)


@router.post("/designer/modeler/validate")
def validate(request: Request, sent: tuple[Signed, dict[str, Any]] = Depends(modeler_form)
             ) -> Response:
    """As the designer types: the same rules as lint, on the drawing with the form applied
    (nothing kept)."""
    from engine.services.web_views import DESIGN, require_role

    signed, values = sent
    require_role(env_of(request), signed.actor, DESIGN, target="validate")
    try:
        done = modeler.edit(env_of(request), signed.actor, _xml(values),
                            _field(values, "element"), _field(values, "kind"), values)
        findings = done.findings
    except Forbidden:
        raise  # a refusal is a 403 (errors.py), not a finding in a 200 fragment
    except SunshineError as err:
        return render(request, "_message.html", {"error": err})
    return render(request, "designer_modeler_findings.html", {"findings": findings})


# -- check, save, deploy -------------------------------------------------------------------


@router.post("/designer/modeler/check")
def check(request: Request, sent: tuple[Signed, dict[str, Any]] = Depends(modeler_form)
          ) -> Response:
    """Lint's findings (the page puts them on the diagram as markers), what a save would
    lose, and the public flowchart of the drawing as it is now."""
    from adapters.flowchart import RenderError, to_svg_bytes
    from adapters.publish.site import inline_svg
    from adapters.web.routes_catalogue import flowchart_svg
    from engine.diagram import extract
    from engine.xmlsafe import parse_bpmn_bytes

    signed, values = sent
    xml = _xml(values)
    origin = _origin(values)
    result = modeler.check(env_of(request), signed.actor, xml, **origin)
    try:
        if result.power is not None:
            svg, svg_error = inline_svg(flowchart_svg(result.power, xml)), None
        else:
            svg, svg_error = inline_svg(to_svg_bytes(extract(parse_bpmn_bytes(xml)))), None
    except (RenderError, SunshineError) as err:
        svg, svg_error = None, str(err)
    markers = [f.to_dict() for f in result.findings if f.element]
    return render(request, "designer_modeler_check.html", {
        "check": result, "svg": svg, "svg_error": svg_error,
        "markers": script_json(markers)})


@router.post("/designer/modeler/save")
def save(request: Request, sent: tuple[Signed, dict[str, Any]] = Depends(modeler_form)
         ) -> Response:
    """保存: the drawing as a .bpmn file, refused if it lost sunshine: content."""
    signed, values = sent
    name = _file_name(values)
    data = modeler.save(env_of(request), signed.actor, _xml(values), file=name,
                        **_origin(values))
    return Response(data, media_type="application/xml", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.post("/designer/modeler/deploy")
def deploy(request: Request, sent: tuple[Signed, dict[str, Any]] = Depends(modeler_form)
           ) -> Response:
    """部署为新版本 (a designer's act, lint first, as every deploy); then the modeler opens
    the version now in service."""
    signed, values = sent
    done = modeler.deploy(env_of(request), signed.actor, _xml(values), file=_file_name(values),
                          **_origin(values))
    d = done[0]
    what = f"第 {d.version} 版" if d.new else f"内容与第 {d.version} 版相同，未产生新版本"
    note = "（事项仍处于撤回状态，恢复后才能收件）" if d.withdrawn else ""
    target = f"/designer/modeler/{quote(d.code)}?done=" + quote(f"已部署 {d.code} {d.name}：{what}{note}")
    response = Response(status_code=204)
    response.headers["X-Sunshine-Location"] = target
    return response


# -- comparing two versions --------------------------------------------------------------------


@router.get("/designer/powers/{code}/compare")
def compare(request: Request, code: str, a: int | None = None, b: int | None = None,
            signed: Signed = Depends(signed_in)) -> Response:
    """What changed between two versions, in words and coloured on both flowcharts."""
    from adapters.flowchart import RenderError
    from adapters.publish.site import inline_svg
    from adapters.web.routes_catalogue import flowchart_svg
    from engine.services import web_views

    env = env_of(request)
    rows = web_views.designer_versions(env, signed.actor, code)
    numbers = sorted(r.version for r in rows)
    if b is None:
        b = numbers[-1]
    if a is None:
        a = max([n for n in numbers if n < b] or [b])
    if a == b and len(numbers) == 1:
        return RedirectResponse(f"/designer/powers/{quote(code)}", status_code=303)
    result = modeler.compare_versions(env, signed.actor, code, a, b)
    charts = {}
    for side in (result.a, result.b):
        try:
            charts[side.version] = (inline_svg(flowchart_svg(side.power, side.xml)), None)
        except RenderError as err:
            charts[side.version] = (None, str(err))
    return render(request, "designer_compare.html", {
        "code": code, "cmp": result, "versions": rows, "charts": charts,
        "marks": script_json(result.marks)})
