"""监察报告 on the supervision pages: the signed reports (月报、季报、年报), the form to sign a
finished month, quarter or year, and each report's PDF and Excel file, drawn again from the
archived figures (adapters/report.py) after checking them against the digest they were signed
with — figures altered in the archive give an error page saying so, never a file."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from adapters.web.deps import acting, env_of, read_form, signed_in, text
from adapters.web.render import render
from adapters.web.sessions import Signed
from engine.services import identity, reports

router = APIRouter(include_in_schema=False)

MEDIA = {"pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def finished_periods(today: date) -> dict[str, tuple[str, str]]:
    """The last finished month, quarter and year (and the two months before), for the form."""
    out: dict[str, tuple[str, str]] = {}
    end = today.replace(day=1) - timedelta(days=1)
    for _ in range(3):
        start = end.replace(day=1)
        out[f"{start.year} 年 {start.month} 月"] = (start.isoformat(), end.isoformat())
        end = start - timedelta(days=1)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    q_end = quarter_start - timedelta(days=1)
    q_start = q_end.replace(month=(q_end.month - 1) // 3 * 3 + 1, day=1)
    out[f"{q_start.year} 年第 {(q_start.month - 1) // 3 + 1} 季度"] = (q_start.isoformat(),
                                                                   q_end.isoformat())
    year = today.year - 1
    out[f"{year} 年度"] = (date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat())
    return out


def _context(request: Request, signed: Signed, values: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    from adapters.report import title_of

    env = env_of(request)
    rows = reports.list_reports(env, signed.actor)
    signers = {r.signed_by for r in rows}
    names = {login: identity.show_user(env, login).name for login in signers}
    today = env.calendar().local_date(env.now())
    presets = finished_periods(today)
    first = next(iter(presets.values()))
    return {"reports": rows, "names": names, "titles": {r.id: title_of(r) for r in rows},
            "presets": presets, "values": values or {"from": first[0], "to": first[1]},
            "today": today}


@router.get("/supervision/reports")
def reports_page(request: Request, done: str = "", start: str = Query("", alias="from"),
                 end: str = Query("", alias="to"), signed: Signed = Depends(signed_in)
                 ) -> Response:
    values = {"from": start, "to": end} if start and end else None
    return render(request, "reports.html", {**_context(request, signed, values),
                                            "notice": done or None})


@router.post("/supervision/reports")
def sign(request: Request, form: dict[str, Any] = Depends(read_form),
         signed: Signed = Depends(acting)) -> Response:
    values = {"from": text(form, "from"), "to": text(form, "to")}
    request.state.form = ("reports.html", lambda: _context(request, signed, values))
    report = reports.sign_report(env_of(request), signed.actor, values["from"], values["to"])
    message = (f"第 {report.id} 号报告已签发并存档：{report.start} 至 {report.end}，"
               f"SHA-256 {report.sha256[:16]}…")
    return RedirectResponse(f"/supervision/reports?done={quote(message)}#report-{report.id}",
                            status_code=303)


def _file(request: Request, signed: Signed, report_id: int, kind: str) -> Response:
    from adapters.report import write_pdf, write_xlsx

    env = env_of(request)
    try:
        report = reports.get_report(env, signed.actor, report_id)
    except reports.ReportAltered as err:
        return render(request, "error.html", {"error": err, "status": 409,
                                              "title": "报告存档已被改动"}, status=409)
    signer = identity.show_user(env, report.signed_by)
    by = f"{signer.name}（{signer.login}）"
    when = report.signed_at.astimezone(env.calendar().tz).strftime("%Y-%m-%d %H:%M")
    write = write_pdf if kind == "pdf" else write_xlsx
    with tempfile.TemporaryDirectory(prefix="sunshine-report-") as folder:
        path = Path(folder) / f"report.{kind}"
        write(report, path, signer=by, local_time=when)
        data = path.read_bytes()
    name = f"sunshine-report-{report.id}-{report.start}-{report.end}.{kind}"
    return Response(data, media_type=MEDIA[kind],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/supervision/reports/{report_id}.pdf")
def report_pdf(request: Request, report_id: int, signed: Signed = Depends(signed_in)) -> Response:
    return _file(request, signed, report_id, "pdf")


@router.get("/supervision/reports/{report_id}.xlsx")
def report_xlsx(request: Request, report_id: int, signed: Signed = Depends(signed_in)
                ) -> Response:
    return _file(request, signed, report_id, "xlsx")
