"""Public pages, no sign-in: 办件进度查询 by case number and query code (the receipt's QR code
opens it). What it shows is the service's masked answer (public_lookup): no ID number, no phone,
no internal opinion."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from adapters.web.deps import env_of
from adapters.web.render import render
from engine.services.supervision import public_lookup

router = APIRouter(include_in_schema=False)


@router.get("/lookup")
def lookup(request: Request, number: str = "", code: str = "") -> Response:
    values = {"number": number.strip(), "code": code.strip()}
    if not values["number"] and not values["code"]:
        return render(request, "lookup.html", {"values": values, "result": None})
    request.state.form = ("lookup.html", {"values": values, "result": None})
    result = public_lookup(env_of(request), values["number"], values["code"])
    return render(request, "lookup.html", {"values": values, "result": result})
