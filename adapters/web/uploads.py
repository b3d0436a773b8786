"""A designer's upload of a BPMN file (multipart): signed in, with the session's CSRF token, read
into memory (at most ``UPLOAD_LIMIT`` bytes) and never written to a path; the name the browser
sends is only a label for the messages. The upload form checks, deploys, or opens the file in
the modeler."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import PurePosixPath

from fastapi import Request
from starlette.datastructures import UploadFile

from adapters.web import sessions
from adapters.web.deps import env_of
from adapters.web.errors import WebError
from adapters.web.sessions import Signed

UPLOAD_LIMIT = 2 * 1024 * 1024  # a BPMN file is tens of kilobytes; 2 MB is plenty
# the request around it: the file, or the same bytes as base64 (4/3), and a few fields
REQUEST_LIMIT = UPLOAD_LIMIT * 4 // 3 + 64 * 1024


@dataclass(frozen=True)
class Upload:
    signed: Signed
    name: str  # the browser's file name, as a label only
    data: bytes
    fields: dict[str, str]


def label(name: str) -> str:
    """The file's own name without any folder (a label for messages, never opened)."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    return (base or "upload.bpmn")[:100]


async def uploaded(request: Request) -> Upload:
    """A designer's upload (multipart): signed in, with the session's CSRF token, at most
    ``UPLOAD_LIMIT`` bytes, read into memory."""
    signed = sessions.require(env_of(request), request)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise WebError("上传须注明大小 (Content-Length required)", status=411, code="length_required")
    if int(length) > REQUEST_LIMIT:
        raise WebError(f"文件过大：上传的 BPMN 文件不能超过 {UPLOAD_LIMIT // (1024 * 1024)} MB "
                       f"(upload too large)", status=413, code="too_large", field="bpmn")
    try:
        form = await request.form(max_files=1, max_fields=20, max_part_size=REQUEST_LIMIT)
    except Exception as err:  # noqa: BLE001 - a form that cannot be read is bad input, not a bug
        raise WebError(f"上传的表单无法读取 (unreadable form): {err}", status=400,
                       code="bad_form") from None
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    sessions.check_csrf(request, signed, fields.get("csrf_token"))
    part = form.get("bpmn")
    if isinstance(part, UploadFile) and part.filename:
        data = await part.read(UPLOAD_LIMIT + 1)
        name = part.filename
    elif fields.get("content_b64"):
        try:
            data = base64.b64decode(fields["content_b64"], validate=True)
        except (binascii.Error, ValueError):
            raise WebError("文件内容已损坏，请重新上传 (content damaged)", status=400,
                           code="bad_form", field="bpmn") from None
        name = fields.get("file_name", "")
    else:
        raise WebError("请选择要上传的 BPMN 文件 (choose a file)", status=400, code="no_file",
                       field="bpmn")
    if len(data) > UPLOAD_LIMIT:
        raise WebError(f"文件过大：上传的 BPMN 文件不能超过 {UPLOAD_LIMIT // (1024 * 1024)} MB "
                       f"(upload too large)", status=413, code="too_large", field="bpmn")
    if not data:
        raise WebError("上传的文件是空的 (empty file)", status=400, code="no_file", field="bpmn")
    return Upload(signed=signed, name=label(name), data=data, fields=fields)
