"""流程设计 and 公开: upload a BPMN file, see lint findings with their element ids and its
flowchart, deploy it as a new version, list the powers, withdraw one (with the reason) or put it
back in service; export the public site, the flowcharts and the cards as downloads.

An upload is read into memory, at most ``UPLOAD_LIMIT`` bytes, and never written to a path
(uploads.py); the name the browser sends is only a label for the messages. After a check, the
deploy form carries the same bytes back (base64 in a hidden field): ``deploy_bytes`` lints them
again. The modeler's pages (routes_modeler.py) are part of this router.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web import routes_modeler
from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.errors import WebError, is_htmx
from adapters.web.exports import Exports, zip_folder
from adapters.web.render import render
from adapters.web.sessions import Signed
from adapters.web.uploads import UPLOAD_LIMIT, Upload, uploaded
from engine.errors import Forbidden
from engine.services import catalogue_admin, web_views

router = APIRouter(include_in_schema=False)
router.include_router(routes_modeler.router)
__all__ = ["UPLOAD_LIMIT", "router"]

def _back(message: str) -> Response:
    return RedirectResponse("/designer?done=" + quote(message), status_code=303)


def _catalogue(request: Request, signed: Signed) -> dict[str, Any]:
    try:
        powers = web_views.designer_catalogue(env_of(request), signed.actor)
    except Forbidden:
        powers = None  # the refusal is on the page; a non-designer sees no catalogue
    return {"powers": powers}


# -- 流程设计 ---------------------------------------------------------------------------------


@router.get("/designer")
def designer(request: Request, done: str = "", signed: Signed = Depends(signed_in)) -> Response:
    powers = web_views.designer_catalogue(env_of(request), signed.actor)
    return render(request, "designer.html", {"powers": powers, "notice": done or None})


@router.post("/designer/check")
def check(request: Request, upload: Upload = Depends(uploaded)) -> Response:
    from adapters.flowchart import to_svg_bytes
    from adapters.publish.site import inline_svg

    result = web_views.check_upload(env_of(request), upload.signed.actor, upload.name, upload.data)
    svg = inline_svg(to_svg_bytes(result.diagram)) if result.diagram is not None else None
    return render(request, "designer_check.html", {
        "check": result, "svg": svg, "file_name": upload.name,
        "content_b64": base64.b64encode(upload.data).decode("ascii")})


@router.post("/designer/deploy")
def deploy(request: Request, upload: Upload = Depends(uploaded)) -> Response:
    request.state.form = ("designer_check.html", {"check": None, "svg": None,
                                                  "file_name": upload.name, "content_b64": ""})
    done = catalogue_admin.deploy_bytes(env_of(request), [(upload.name, upload.data)],
                                        actor=upload.signed.actor)
    parts = []
    for d in done:
        what = (f"第 {d.version} 版" if d.new else
                f"内容与第 {d.version} 版相同，{'重新启用该版本' if d.changed else '无变化'}")
        note = "（事项仍处于撤回状态，恢复后才能收件）" if d.withdrawn else ""
        parts.append(f"{d.code} {d.name}：{what}{note}")
    return _back("已部署 " + "；".join(parts))


@router.get("/designer/powers/{code}")
def versions(request: Request, code: str, v: int | None = None,
             signed: Signed = Depends(signed_in)) -> Response:
    """A power's deployed versions (who deployed which file when, which one new applications
    start on, how many cases still run on each) and the flowchart of the one chosen (``?v=``,
    else the current one)."""
    from adapters.flowchart import RenderError
    from adapters.publish.site import inline_svg
    from adapters.web.routes_catalogue import flowchart_svg

    env = env_of(request)
    rows = web_views.designer_versions(env, signed.actor, code)
    shown = next((r for r in rows if r.version == v), None) if v is not None else None
    if shown is None:
        shown = next((r for r in rows if r.current), rows[0])
    power, xml = web_views.designer_version_source(env, signed.actor, code, shown.version)
    try:
        svg, svg_error = inline_svg(flowchart_svg(power, xml)), None
    except RenderError as err:
        svg, svg_error = None, str(err)
    return render(request, "designer_power.html", {
        "code": code, "versions": rows, "shown": shown, "power": power, "svg": svg,
        "svg_error": svg_error})


@router.post("/designer/powers/{code}/withdraw")
def withdraw(request: Request, code: str, form: dict[str, Any] = Depends(read_form),
             signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("designer.html", lambda: {**_catalogue(request, signed),
                                                    "failed": code, "values": form})
    catalogue_admin.withdraw_power(env_of(request), code, actor=signed.actor,
                                   reason=text(form, "reason"))
    return _back(f"已撤回事项 {code}：不再收件，在办件继续办理")


@router.post("/designer/powers/{code}/reinstate")
def reinstate(request: Request, code: str, form: dict[str, Any] = Depends(read_form),
              signed: Signed = Depends(acting)) -> Response:
    request.state.form = ("designer.html", lambda: {**_catalogue(request, signed),
                                                    "failed": code, "values": form})
    catalogue_admin.reinstate_power(env_of(request), code, actor=signed.actor,
                                    reason=text(form, "reason"))
    return _back(f"已恢复事项 {code}，可以收件")


# -- 公开 -------------------------------------------------------------------------------------


@router.get("/publisher")
def publisher(request: Request, job: str = "", signed: Signed = Depends(signed_in)) -> Response:
    sources = web_views.publication(env_of(request), signed.actor)
    running = exports_of(request).get(job, signed.actor.login) if job else None
    return render(request, "publisher.html", {"powers": [p for p, _ in sources], "job": running})


def exports_of(request: Request) -> Exports:
    return request.app.state.exports  # type: ignore[no-any-return]


def _download(data: bytes, name: str, media: str, count: int | None = None) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if count is not None:
        headers["X-Sunshine-Published"] = str(count)
    return Response(data, media_type=media, headers=headers)


@router.get("/publisher/site.zip")
def site_zip(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    """The public catalogue as a static site (index.html + a page per public power)."""
    from adapters.publish.site import write_site

    sources = web_views.publication(env_of(request), signed.actor)
    with tempfile.TemporaryDirectory(prefix="sunshine-site-") as tmp:
        write_site(sources, tmp)
        data = zip_folder(Path(tmp))
    return _download(data, "sunshine-site.zip", "application/zip",
                     sum(1 for p, _ in sources if p.public))


@router.get("/publisher/export.zip")
def export_zip(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    """Every public power: the site, its flowchart (SVG + PNG) and its card (PDF)."""
    from adapters.publish.export import export_all

    sources = web_views.publication(env_of(request), signed.actor)
    with tempfile.TemporaryDirectory(prefix="sunshine-export-") as tmp:
        result = export_all(sources, tmp)
        data = zip_folder(Path(tmp))
    return _download(data, "sunshine-export.zip", "application/zip", result.count)


@router.post("/publisher/exports")
def start_export(request: Request, signed: Signed = Depends(acting)) -> Response:
    """全部导出 as a job: the page then shows its progress and, when done, the zip."""
    sources = web_views.publication(env_of(request), signed.actor)
    job = exports_of(request).start(signed.actor.login, sources)
    if is_htmx(request):
        return render(request, "_export_progress.html", {"job": job})
    return RedirectResponse(f"/publisher?job={quote(job.id)}#export", status_code=303)


@router.get("/publisher/exports/{job_id}")
def export_progress(request: Request, job_id: str,
                    signed: Signed = Depends(signed_in)) -> Response:
    job = exports_of(request).get(job_id, signed.actor.login)
    return render(request, "_export_progress.html", {"job": job})


@router.get("/publisher/exports/{job_id}/sunshine-export.zip")
def export_download(request: Request, job_id: str,
                    signed: Signed = Depends(signed_in)) -> Response:
    job = exports_of(request).get(job_id, signed.actor.login)
    if job.data is None:
        raise WebError("导出尚未完成 (the export is not finished)" if job.running else
                       f"导出失败：{job.error} (the export failed)", status=409,
                       code="not_ready")
    return _download(job.data, "sunshine-export.zip", "application/zip", job.total)


@router.get("/publisher/flowcharts/{code}.svg")
def flowchart_svg(request: Request, code: str, signed: Signed = Depends(signed_in)) -> Response:
    from adapters.flowchart import to_svg_bytes
    from adapters.publish.common import diagram_for, public_only, tree_of

    entries = public_only(web_views.publication(env_of(request), signed.actor, code))
    if not entries:
        raise WebError(f"事项 {code} 不公开，不能导出流程图 (not a public power)", status=409,
                       code="not_publishable")
    power, xml = entries[0]
    svg = to_svg_bytes(diagram_for(power, tree_of(xml, power.code)))
    return _download(svg, f"{power.code}.svg", "image/svg+xml")


@router.get("/publisher/cards/{code}.pdf")
def card_pdf(request: Request, code: str, signed: Signed = Depends(signed_in)) -> Response:
    from adapters.publish.card import write_card

    [(power, xml)] = web_views.publication(env_of(request), signed.actor, code)
    with tempfile.TemporaryDirectory(prefix="sunshine-card-") as tmp:
        out = Path(tmp) / "card.pdf"
        write_card(power, xml, out)  # a power that is not public is refused here (409)
        data = out.read_bytes()
    return _download(data, f"{power.code}.pdf", "application/pdf")
