"""The public catalogue (职权目录), no sign-in: every public power in service with its promised
and statutory limits and whether deemed approval applies; each power's service guide (办事指南)
with its flowchart drawn from the definition that actually runs, inline as SVG.

Non-public powers (备案事项) and withdrawn ones never appear: the service answers only public
powers in service (admin_views.public_catalogue / public_guide). The guide's wording is the
published site's (adapters/publish/common.py), so the two never say different things.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from adapters.flowchart import RenderError, to_svg_bytes
from adapters.publish import common
from adapters.publish.site import inline_svg
from adapters.web.deps import env_of
from adapters.web.render import render
from engine.catalogue import Power
from engine.services import admin_views

router = APIRouter(include_in_schema=False)

GUIDE_TEXTS = {
    "material_marks": common.material_marks, "fees_text": common.fees_text,
    "statutory_text": common.statutory_text, "promised_text": common.promised_text,
    "deemed_text": common.deemed_text, "step_limit": common.step_limit,
    "step_counted": common.step_counted, "result_text": common.result_text,
    "leader_text": common.leader_text,
}

# Drawing a flowchart runs graphviz (tens of milliseconds or more); a deployed version never
# changes, so each is drawn once per process (by the hash of its BPMN) and kept.
_SVG: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_SVG_LOCK = threading.Lock()
_SVG_KEEP = 64


def flowchart_svg(power: Power, xml: bytes) -> bytes:
    key = (power.code, hashlib.sha256(xml).hexdigest())
    with _SVG_LOCK:
        if key in _SVG:
            _SVG.move_to_end(key)
            return _SVG[key]
    svg = to_svg_bytes(common.diagram_for(power, common.tree_of(xml, power.code)))
    with _SVG_LOCK:
        _SVG[key] = svg
        while len(_SVG) > _SVG_KEEP:
            _SVG.popitem(last=False)
    return svg


@router.get("/catalogue")
def catalogue(request: Request, q: str = "") -> Response:
    powers = admin_views.public_catalogue(env_of(request), q)
    return render(request, "catalogue.html", {"powers": powers, "q": q.strip()[:100]})


@router.get("/catalogue/{code}")
def guide(request: Request, code: str) -> Response:
    power, xml = admin_views.public_guide(env_of(request), code)
    try:
        svg = inline_svg(flowchart_svg(power, xml))
    except RenderError:  # graphviz or the font missing: the guide is still worth showing
        svg = None
    return render(request, "catalogue_power.html", {"p": power, "svg": svg, **GUIDE_TEXTS})


@router.get("/catalogue/{code}/flowchart.svg")
def flowchart(request: Request, code: str) -> Response:
    power, xml = admin_views.public_guide(env_of(request), code)
    return Response(flowchart_svg(power, xml), media_type="image/svg+xml",
                    headers={"Content-Disposition":
                             f'inline; filename="{common.slugs([power])[0]}.svg"'})
