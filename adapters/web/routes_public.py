"""Public pages, no sign-in: 办件进度查询 by case number and query code (the receipt's QR code
opens it). What it shows is the service's masked answer (public_lookup): no ID number, no phone,
no internal opinion. And 审计签章: the signed seals of the audit trail the worker makes daily
(SUNSHINE_SEAL_DIR), listed with their roots and offered whole for auditors to archive."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

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


@router.get("/seals")
def seals(request: Request) -> Response:
    from adapters.sealing import published_seals

    directory = request.app.state.seal_dir
    found = published_seals(directory) if directory else []
    return render(request, "seals.html", {"seals": found, "configured": bool(directory)})


@router.get("/seals/{name}")
def seal_file(request: Request, name: str) -> Response:
    from adapters.sealing import SEAL_NAME

    directory = request.app.state.seal_dir
    path = Path(directory) / name if directory else None
    if path is None or not (SEAL_NAME.fullmatch(name) or name == "latest.json") \
            or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type="application/json", filename=name)
